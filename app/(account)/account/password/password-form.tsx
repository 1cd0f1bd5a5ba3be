"use client";

import { useTranslations } from "next-intl";
import { useActionState } from "react";
import type { PasswordChangeErrors } from "@/lib/account/password-service";
import type { PasswordState } from "../actions";
import { ErrorNotice, SuccessNotice, fieldErrorClass, hintClass, inputClass, labelClass, primaryButtonClass } from "../ui";

interface PasswordFormProps {
  action: (previous: PasswordState, formData: FormData) => Promise<PasswordState>;
  minLength: number;
  maxLength: number;
  /** For password managers: the account the new password belongs to (a hidden username field). */
  email: string;
}

type Field = keyof PasswordChangeErrors;

/**
 * The change-password form. Works without JavaScript; the passwords are never sent back to the
 * browser, so after any answer the fields are empty again.
 */
export function PasswordForm({ action, minLength, maxLength, email }: PasswordFormProps) {
  const t = useTranslations("ChangePassword");
  const [state, formAction, pending] = useActionState(action, {});
  const errors = state.errors ?? {};
  const errorCount = Object.keys(errors).length;

  const message = (field: Field): string | null => {
    switch (field === "current_password" ? errors.current_password : field === "new_password" ? errors.new_password : errors.confirm_password) {
      case "required":
        return t("errors.currentRequired");
      case "wrong":
        return t("errors.currentWrong");
      case "too_short":
        return t("errors.newTooShort", { min: minLength });
      case "too_long":
        return t("errors.newTooLong", { max: maxLength });
      case "same_as_current":
        return t("errors.newSameAsCurrent");
      case "mismatch":
        return t("errors.confirmMismatch");
      default:
        return null;
    }
  };

  const input = (field: Field, label: string, autoComplete: string, hint?: string) => {
    const id = `password-${field}`;
    const error = message(field);
    const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
    return (
      <div>
        <label htmlFor={id} className={labelClass}>
          {label}
        </label>
        <input
          id={id}
          name={field}
          type="password"
          autoComplete={autoComplete}
          required
          minLength={field === "current_password" ? undefined : minLength}
          maxLength={maxLength}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          className={inputClass}
        />
        {hint ? (
          <p id={`${id}-hint`} className={hintClass}>
            {hint}
          </p>
        ) : null}
        {error ? (
          <p id={`${id}-error`} className={fieldErrorClass}>
            {error}
          </p>
        ) : null}
      </div>
    );
  };

  return (
    <form action={formAction} noValidate className="mt-6 max-w-xl rounded-2xl border border-border bg-surface p-5 shadow-sm sm:p-6">
      {state.status === "changed" ? (
        <SuccessNotice className="mb-6">
          <p>{t("changed")}</p>
          {state.signOutOthers ? <p className="mt-0.5 font-normal">{t("changedOthers", { count: state.otherSessionsEnded ?? 0 })}</p> : null}
        </SuccessNotice>
      ) : null}
      {state.status === "throttled" ? <ErrorNotice className="mb-6">{t("throttled", { minutes: state.retryAfterMinutes ?? 15 })}</ErrorNotice> : null}
      {errorCount > 0 ? <ErrorNotice className="mb-6">{t("errorSummary", { count: errorCount })}</ErrorNotice> : null}
      {/* Lets password managers file the new password under the right account. */}
      <input id="password-username" type="text" value={email} autoComplete="username" readOnly hidden />
      <div className="space-y-5">
        {input("current_password", t("current"), "current-password")}
        {input("new_password", t("new"), "new-password", t("newHint", { min: minLength }))}
        {input("confirm_password", t("confirm"), "new-password")}
        <div className="flex gap-3 rounded-xl border border-border bg-surface-muted p-4">
          <input
            id="password-sign-out-others"
            name="sign_out_others"
            type="checkbox"
            value="yes"
            // Checked by default; after an answer, as the user left it.
            defaultChecked={state.signOutOthers ?? true}
            aria-describedby="password-sign-out-others-hint"
            className="mt-0.5 size-4.5 shrink-0 rounded border-border-strong accent-[var(--c-accent)]"
          />
          <div>
            <label htmlFor="password-sign-out-others" className="text-sm font-medium text-fg">
              {t("signOutOthers")}
            </label>
            <p id="password-sign-out-others-hint" className="mt-0.5 text-sm leading-relaxed text-fg-muted">
              {t("signOutOthersHint")}
            </p>
          </div>
        </div>
      </div>
      <div className="mt-6 flex justify-end border-t border-border pt-5">
        <button type="submit" disabled={pending} className={`${primaryButtonClass} w-full sm:w-auto`}>
          {pending ? t("submitting") : t("submit")}
        </button>
      </div>
    </form>
  );
}
