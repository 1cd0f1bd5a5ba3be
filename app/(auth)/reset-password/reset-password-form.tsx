"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { useActionState } from "react";
import type { ResetPasswordState } from "./actions";
import { Field, FormAlert, submitClass } from "@/components/auth/form-parts";
import { useFocusFirstInvalid } from "@/components/auth/use-focus-invalid";

interface ResetPasswordFormProps {
  action: (previous: ResetPasswordState, formData: FormData) => Promise<ResetPasswordState>;
  token: string;
  /** The account's address, for password managers (a hidden username field). */
  email: string;
  minPasswordLength: number;
  maxPasswordLength: number;
  requestNewHref: string;
}

/** The new password, twice. Works without JavaScript; the server's messages are announced. */
export function ResetPasswordForm({ action, token, email, minPasswordLength, maxPasswordLength, requestNewHref }: ResetPasswordFormProps) {
  const t = useTranslations("ResetPassword");
  const [state, formAction, pending] = useActionState(action, {});
  const formRef = useFocusFirstInvalid(state);
  const errors = state.errors ?? {};
  const passwordError = errors.password
    ? {
        too_short: t("errors.passwordTooShort", { min: minPasswordLength }),
        too_long: t("errors.passwordTooLong", { max: maxPasswordLength }),
        is_email: t("errors.passwordIsEmail"),
      }[errors.password]
    : undefined;
  return (
    <form ref={formRef} action={formAction} noValidate className="mt-6 space-y-4" aria-describedby={state.invalidToken ? "reset-error" : undefined}>
      {state.invalidToken ? (
        <FormAlert id="reset-error">
          {t("errors.invalidToken")}{" "}
          <Link href={requestNewHref} className="font-semibold underline">
            {t("requestNew")}
          </Link>
        </FormAlert>
      ) : null}
      <input type="hidden" name="token" value={token} />
      {/* Lets password managers store the new password for the right account. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <Field
        name="password"
        label={t("newPassword")}
        type="password"
        autoComplete="new-password"
        required
        maxLength={maxPasswordLength}
        hint={t("passwordHint", { min: minPasswordLength })}
        error={passwordError}
      />
      <Field
        name="confirmation"
        label={t("confirmPassword")}
        type="password"
        autoComplete="new-password"
        required
        maxLength={maxPasswordLength}
        error={errors.confirmation ? t("errors.mismatch") : undefined}
      />
      <button type="submit" disabled={pending} className={submitClass}>
        {pending ? t("submitting") : t("submit")}
      </button>
    </form>
  );
}
