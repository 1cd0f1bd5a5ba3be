"use client";

import { useTranslations } from "next-intl";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { CheckIcon, CopyIcon } from "./icons";

type Status = "idle" | "copied" | "selected";

const subscribe = () => () => {};

/**
 * Copies the text of the element with id `targetId`. Rendered only once JavaScript runs (without it
 * the code stays selectable by hand). Falls back to selecting the text where the Clipboard API is
 * unavailable (plain-http origins other than localhost).
 */
export function CopyButton({ targetId, what }: { targetId: string; what: string }) {
  const t = useTranslations("CopyButton");
  const hydrated = useSyncExternalStore(subscribe, () => true, () => false);
  const [status, setStatus] = useState<Status>("idle");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => () => clearTimeout(timer.current), []);

  if (!hydrated) return null;

  async function copy() {
    const target = document.getElementById(targetId);
    if (!target) return;
    const text = target.textContent ?? "";
    let next: Status = "copied";
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(target);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      next = "selected";
    }
    setStatus(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setStatus("idle"), 2500);
  }

  const copied = status === "copied";
  return (
    <>
      <button
        type="button"
        onClick={copy}
        aria-label={t("copyLabel", { what })}
        className="inline-flex shrink-0 items-center gap-1.5 rounded-md border border-white/15 bg-white/5 px-2.5 py-1.5 text-xs font-medium text-code-fg transition-colors hover:bg-white/10 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[#a5b4fc]"
      >
        {copied ? <CheckIcon className="size-3.5 text-emerald-400" /> : <CopyIcon className="size-3.5" />}
        <span aria-hidden="true">{copied ? t("copied") : t("copy")}</span>
      </button>
      <span role="status" className="sr-only">
        {status === "copied" ? t("copiedAnnouncement", { what }) : status === "selected" ? t("selected") : ""}
      </span>
    </>
  );
}
