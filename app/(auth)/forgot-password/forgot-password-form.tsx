"use client";

import { useTranslations } from "next-intl";
import { useActionState } from "react";
import { CenteredCard } from "@/components/ui/centered-card";
import type { ForgotPasswordState } from "./actions";
import { Field, FormAlert, FormFootnote, submitClass } from "@/components/auth/form-parts";
import { KeyIcon, MailIcon } from "@/components/ui/icons";
import { useFocusFirstInvalid } from "@/components/auth/use-focus-invalid";
import { FocusedOnArrival } from "@/components/auth/focused-on-arrival";

interface ForgotPasswordFormProps {
  action: (previous: ForgotPasswordState, formData: FormData) => Promise<ForgotPasswordState>;
  product: string;
  resetMinutes: number;
  signInHref: string;
  /** "No account yet? Create one", when registration is open. */
  registerHref?: string;
}

/**
 * The "Forgot your password?" card: the email form, then the same "check your mail" answer for
 * every address (the page never says whether an address has an account).
 */
export function ForgotPasswordForm({ action, product, resetMinutes, signInHref, registerHref }: ForgotPasswordFormProps) {
  const t = useTranslations("ForgotPassword");
  const [state, formAction, pending] = useActionState(action, {});
  const formRef = useFocusFirstInvalid(state);

  if (state.sent) {
    return (
      <FocusedOnArrival>
        <CenteredCard icon={MailIcon} title={t("sentTitle")} lead={t("sentLead", { email: state.sent.email })}>
          <p className="mt-4 text-sm leading-relaxed text-fg-muted">{t("sentHint", { minutes: resetMinutes })}</p>
          <FormFootnote href={signInHref} label={t("backToSignIn")} />
        </CenteredCard>
      </FocusedOnArrival>
    );
  }

  const emailError = state.error === "email_invalid" ? t("errors.emailInvalid") : undefined;
  const formError = state.error === "rate_limited" ? t("errors.rateLimited") : state.error === "mail_failed" ? t("errors.mailFailed") : undefined;
  return (
    <CenteredCard icon={KeyIcon} title={t("title")} lead={t("lead", { product })}>
      <form ref={formRef} action={formAction} noValidate className="mt-6 space-y-4" aria-describedby={formError ? "forgot-error" : undefined}>
        {formError ? <FormAlert id="forgot-error">{formError}</FormAlert> : null}
        <Field
          name="email"
          label={t("email")}
          type="email"
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          required
          maxLength={320}
          defaultValue={state.email}
          error={emailError}
        />
        <button type="submit" disabled={pending} className={submitClass}>
          {pending ? t("submitting") : t("submit")}
        </button>
      </form>
      <FormFootnote href={signInHref} label={t("backToSignIn")} />
      {registerHref ? <FormFootnote href={registerHref} label={t("register")} /> : null}
    </CenteredCard>
  );
}
