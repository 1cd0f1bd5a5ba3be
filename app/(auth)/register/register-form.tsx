"use client";

import { useTranslations } from "next-intl";
import { useActionState } from "react";
import { BackHomeLink, CenteredCard } from "@/components/ui/centered-card";
import type { RegisterState } from "./actions";
import { MailIcon, UserPlusIcon } from "@/components/ui/icons";
import { Field, FormAlert, FormFootnote, submitClass } from "@/components/auth/form-parts";
import { useFocusFirstInvalid } from "@/components/auth/use-focus-invalid";
import { FocusedOnArrival } from "@/components/auth/focused-on-arrival";

interface RegisterFormProps {
  action: (previous: RegisterState, formData: FormData) => Promise<RegisterState>;
  product: string;
  minPasswordLength: number;
  maxPasswordLength: number;
  maxNameLength: number;
  verifyHours: number;
  signInHref: string;
  forgotPasswordHref: string;
}

/**
 * The registration card: the form, then "check your mail" once it is sent. Works without
 * JavaScript (progressive enhancement of the server action). The browser's own validation is off
 * (noValidate): the server's messages are in the page's language and announced.
 */
export function RegisterForm({ action, product, minPasswordLength, maxPasswordLength, maxNameLength, verifyHours, signInHref, forgotPasswordHref }: RegisterFormProps) {
  const t = useTranslations("Register");
  const [state, formAction, pending] = useActionState(action, {});
  const formRef = useFocusFirstInvalid(state);

  if (state.sent) {
    return (
      <FocusedOnArrival>
        <CenteredCard icon={MailIcon} title={t("sentTitle")} lead={t("sentLead", { email: state.sent.email })}>
          <p className="mt-4 text-sm leading-relaxed text-fg-muted">{t("sentHint", { hours: verifyHours })}</p>
          <BackHomeLink label={t("backHome")} />
        </CenteredCard>
      </FocusedOnArrival>
    );
  }

  const errors = state.errors ?? {};
  const emailError = errors.email ? t("errors.emailInvalid") : undefined;
  const passwordError = errors.password
    ? {
        too_short: t("errors.passwordTooShort", { min: minPasswordLength }),
        too_long: t("errors.passwordTooLong", { max: maxPasswordLength }),
        is_email: t("errors.passwordIsEmail"),
      }[errors.password]
    : undefined;
  const nameError = errors.name ? t("errors.nameTooLong", { max: maxNameLength }) : undefined;
  const formError = state.formError
    ? { rate_limited: t("errors.rateLimited"), mail_failed: t("errors.mailFailed"), disabled: t("errors.disabled") }[state.formError]
    : undefined;

  return (
    <CenteredCard icon={UserPlusIcon} title={t("title")} lead={t("lead", { product })}>
      <form ref={formRef} action={formAction} noValidate className="mt-6 space-y-4" aria-describedby={formError ? "register-error" : undefined}>
        {formError ? <FormAlert id="register-error">{formError}</FormAlert> : null}
        <Field name="name" label={t("name")} tag={t("optional")} type="text" autoComplete="name" maxLength={maxNameLength} defaultValue={state.name} error={nameError} />
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
        <Field
          name="password"
          label={t("password")}
          type="password"
          autoComplete="new-password"
          required
          maxLength={maxPasswordLength}
          hint={t("passwordHint", { min: minPasswordLength })}
          error={passwordError}
        />
        <button type="submit" disabled={pending} className={submitClass}>
          {pending ? t("submitting") : t("submit")}
        </button>
      </form>
      <FormFootnote text={t("haveAccount")} href={signInHref} label={t("signIn")} />
      <FormFootnote href={forgotPasswordHref} label={t("forgotPassword")} />
      <BackHomeLink label={t("backHome")} />
    </CenteredCard>
  );
}
