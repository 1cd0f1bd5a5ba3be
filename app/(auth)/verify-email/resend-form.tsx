"use client";

import { useTranslations } from "next-intl";
import { useActionState } from "react";
import type { ResendState } from "./actions";
import { FormAlert, SuccessNote, submitClass } from "@/components/auth/form-parts";

/** The "Send a new link" button of a signed-in, unverified user, with its outcome. */
export function ResendForm({ action, email }: { action: (previous: ResendState) => Promise<ResendState>; email: string }) {
  const t = useTranslations("VerifyEmail");
  const [state, formAction, pending] = useActionState(action, {});
  const error =
    state.error === "rate_limited" ? t("errors.rateLimited") : state.error === "mail_failed" ? t("errors.mailFailed") : state.error === "signed_out" ? t("errors.signedOut") : undefined;
  return (
    <form action={formAction} className="mt-6 space-y-4">
      {error ? <FormAlert id="resend-error">{error}</FormAlert> : null}
      {state.sent ? <SuccessNote>{t("resent", { email: state.sent.email })}</SuccessNote> : null}
      {state.alreadyVerified ? <SuccessNote>{t("alreadyLead", { email })}</SuccessNote> : null}
      <button type="submit" disabled={pending || state.alreadyVerified} aria-describedby={error ? "resend-error" : undefined} className={submitClass}>
        {pending ? t("resending") : t("resend")}
      </button>
    </form>
  );
}
