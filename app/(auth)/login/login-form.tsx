"use client";

import Link from "next/link";
import { useActionState } from "react";
import type { LoginState } from "./actions";

interface LoginFormProps {
  action: (previous: LoginState, formData: FormData) => Promise<LoginState>;
  /** Hidden fields posted with the form (the interaction id, or return_to). */
  hidden: Record<string, string>;
  defaultEmail?: string;
  labels: {
    email: string;
    password: string;
    submit: string;
    submitting: string;
    invalidCredentials: string;
    expired: string;
    unavailable: string;
    forgotPassword: string;
  };
  /** Where "Forgot your password?" leads. */
  forgotPasswordHref: string;
}

const inputClass =
  "mt-1.5 block w-full rounded-lg border border-border-strong bg-surface px-3 py-2.5 text-fg shadow-xs outline-none transition-colors placeholder:text-fg-muted focus:border-accent focus:ring-2 focus:ring-accent/25 aria-invalid:border-red-500";

/** The sign-in form. Works without JavaScript (progressive enhancement of the server action). */
export function LoginForm({ action, hidden, defaultEmail, labels, forgotPasswordHref }: LoginFormProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const failed = state.error === "invalid_credentials";
  const fixedMessages: Partial<Record<NonNullable<LoginState["error"]>, string>> = {
    invalid_credentials: labels.invalidCredentials,
    expired: labels.expired,
    unavailable: labels.unavailable,
  };
  const message = (state.error && fixedMessages[state.error]) ?? state.message;
  const describedBy = state.error ? "login-error" : undefined;
  return (
    <form action={formAction} className="mt-6 space-y-4">
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {state.error ? (
        <p
          id="login-error"
          role="alert"
          className="rounded-xl border border-red-300 bg-red-50 px-4 py-3 text-sm font-medium text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200"
        >
          {message}
        </p>
      ) : null}
      <div>
        <label htmlFor="email" className="block text-sm font-medium text-fg">
          {labels.email}
        </label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          maxLength={320}
          defaultValue={state.email ?? defaultEmail}
          aria-invalid={failed || undefined}
          aria-describedby={describedBy}
          className={inputClass}
        />
      </div>
      <div>
        <label htmlFor="password" className="block text-sm font-medium text-fg">
          {labels.password}
        </label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={1024}
          aria-invalid={failed || undefined}
          aria-describedby={describedBy}
          className={inputClass}
        />
      </div>
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-lg bg-accent px-4 py-2.5 text-sm font-semibold text-accent-fg shadow-sm transition-colors hover:bg-accent-hover disabled:cursor-wait disabled:opacity-70"
      >
        {pending ? labels.submitting : labels.submit}
      </button>
      {/* After the button, so the keyboard order is email, password, sign in. */}
      <p className="text-center text-sm">
        <Link href={forgotPasswordHref} className="rounded-md font-medium text-accent hover:text-accent-hover hover:underline">
          {labels.forgotPassword}
        </Link>
      </p>
    </form>
  );
}
