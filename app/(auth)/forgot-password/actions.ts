"use server";

import { z } from "zod";
import { getContainer } from "@/lib/server/instance";
import { formRequestMeta } from "../request-meta";

export interface ForgotPasswordState {
  /**
   * Set once the request is accepted: the same answer, given in the same time, whether or not the
   * address has an account; the mail follows after the answer (PasswordResetService.requestReset).
   */
  sent?: { email: string };
  email?: string;
  /** Reset answers never say "mail_failed" (that would depend on the account); the form shares the state shape. */
  error?: "email_invalid" | "rate_limited" | "mail_failed";
}

const forgotForm = z.object({ email: z.string().catch("") });

/** The "Forgot your password?" form's server action: a thin wrapper around PasswordResetService.requestReset. */
export async function requestPasswordReset(_previous: ForgotPasswordState, formData: FormData): Promise<ForgotPasswordState> {
  const form = forgotForm.parse({ email: formData.get("email") });
  const container = await getContainer();
  const outcome = await container.passwordReset.requestReset(form, await formRequestMeta(container));
  const email = form.email.slice(0, 320);
  switch (outcome.status) {
    case "sent":
      return { sent: { email: outcome.email } };
    case "invalid":
      return { email, error: "email_invalid" };
    default:
      return { email, error: outcome.status };
  }
}
