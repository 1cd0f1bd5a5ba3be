"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import type { NewPasswordError } from "@/lib/identity/registration";
import { getContainer } from "@/lib/server/instance";
import { formRequestMeta } from "../request-meta";
import { pagePaths } from "@/lib/protocol/paths";

export interface ResetPasswordState {
  errors?: { password?: NewPasswordError; confirmation?: "mismatch" };
  /** The link stopped working meanwhile (used in another tab, expired while the form was open). */
  invalidToken?: boolean;
}

const field = z.string().catch("");
const resetForm = z.object({ token: field, password: field, confirmation: field });

/**
 * The "Choose a new password" form's server action: a thin wrapper around
 * PasswordResetService.resetPassword. Success leaves the token's URL for the "done" card.
 */
export async function resetPassword(_previous: ResetPasswordState, formData: FormData): Promise<ResetPasswordState> {
  const form = resetForm.parse({ token: formData.get("token"), password: formData.get("password"), confirmation: formData.get("confirmation") });
  const container = await getContainer();
  const { locale: _locale, ...meta } = await formRequestMeta(container);
  const outcome = await container.passwordReset.resetPassword(form, meta);
  if (outcome.status === "invalid_token") return { invalidToken: true };
  if (outcome.status === "invalid") return { errors: outcome.errors };
  // 303 to a URL without the (now spent) token: it leaves the address bar and the history.
  redirect(`${pagePaths.resetPassword}?done=1`);
}
