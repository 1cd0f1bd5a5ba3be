/**
 * Building blocks of the registration, email verification and password reset cards, in the style
 * of the sign-in card (app/(auth)/login). Plain components without hooks: server pages and the
 * client forms of these four pages share them.
 */
import Link from "next/link";
import type { InputHTMLAttributes, ReactNode } from "react";
import { AlertIcon } from "@/components/ui/icons";

export const inputClass =
  "mt-1.5 block w-full rounded-lg border border-border-strong bg-surface px-3 py-2.5 text-fg shadow-xs outline-none transition-colors placeholder:text-fg-muted focus:border-accent focus:ring-2 focus:ring-accent/25 aria-invalid:border-red-500";
export const submitClass =
  "w-full rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover disabled:cursor-wait disabled:opacity-70";
export const primaryLinkClass =
  "flex w-full items-center justify-center gap-2 rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover";
export const secondaryLinkClass =
  "flex w-full items-center justify-center rounded-lg border border-border-strong bg-surface px-4 py-2.5 text-sm font-semibold text-fg shadow-xs transition-colors hover:bg-surface-muted";
export const linkClass = "rounded-md font-medium text-accent hover:text-accent-hover hover:underline";

type FieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "name" | "className"> & {
  /** The input's id and name. */
  name: string;
  label: string;
  /** Shown under the label, e.g. "Optional". */
  tag?: string;
  hint?: string;
  /** The field's error, announced and linked to the input. */
  error?: string;
};

/** A labelled input with its hint and error, linked by aria-describedby. */
export function Field({ name, label, tag, hint, error, ...input }: FieldProps) {
  const hintId = hint ? `${name}-hint` : undefined;
  const errorId = error ? `${name}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div>
      <div className="flex items-baseline justify-between gap-3">
        <label htmlFor={name} className="block text-sm font-medium text-fg">
          {label}
        </label>
        {tag ? <span className="text-xs text-fg-muted">{tag}</span> : null}
      </div>
      <input id={name} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy} className={inputClass} {...input} />
      {error ? (
        <p id={errorId} role="alert" className="mt-1.5 flex gap-1.5 text-sm font-medium text-red-700 dark:text-red-300">
          <AlertIcon className="mt-0.5 size-4 shrink-0" />
          {error}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="mt-1.5 text-sm leading-relaxed text-fg-muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A problem with the whole form (rate limit, mail not sent), announced at once. */
export function FormAlert({ id, children }: { id: string; children: ReactNode }) {
  return (
    <div
      id={id}
      role="alert"
      className="flex gap-3 rounded-xl border border-red-300 bg-red-50 px-4 py-3 text-sm font-medium text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200"
    >
      <AlertIcon className="mt-0.5 size-4.5 shrink-0" />
      <div>{children}</div>
    </div>
  );
}

/** A confirmation inside a card ("we sent a new link"), announced politely. */
export function SuccessNote({ children }: { children: ReactNode }) {
  return (
    <p
      role="status"
      className="mt-6 rounded-xl border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm font-medium text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-200"
    >
      {children}
    </p>
  );
}

/** One or two full-width links: the next steps at the end of a card. */
export function NextSteps({ primary, secondary }: { primary: { href: string; label: string }; secondary?: { href: string; label: string } }) {
  return (
    <div className="mt-6 space-y-3">
      <Link href={primary.href} className={primaryLinkClass}>
        {primary.label}
      </Link>
      {secondary ? (
        <Link href={secondary.href} className={secondaryLinkClass}>
          {secondary.label}
        </Link>
      ) : null}
    </div>
  );
}

/** A quiet line of text with a link, centred under a form. */
export function FormFootnote({ text, href, label }: { text?: string; href: string; label: string }) {
  return (
    <p className="mt-4 text-center text-sm text-fg-muted">
      {text ? `${text} ` : null}
      <Link href={href} className={linkClass}>
        {label}
      </Link>
    </p>
  );
}
