"use server";

import { z } from "zod";
import type { NewPasswordError } from "@/lib/identity/registration";
import { getContainer } from "@/lib/server/instance";
import { formRequestMeta } from "../request-meta";

export interface RegisterState {
  /** Set once the mail is on its way (the same for a new and a known address). */
  sent?: { email: string };
  /** What the user typed, to show again after an error (never the password). */
  email?: string;
  name?: string;
  errors?: { email?: "invalid"; password?: NewPasswordError; name?: "too_long" };
  formError?: "disabled" | "rate_limited" | "mail_failed";
}

// Anything that is not a string (a file, a missing field) becomes "", which the service rejects.
const field = z.string().catch("");
const registerForm = z.object({ email: field, password: field, name: field });

/** The registration form's server action: a thin wrapper around RegistrationService.register. */
export async function register(_previous: RegisterState, formData: FormData): Promise<RegisterState> {
  const form = registerForm.parse({ email: formData.get("email"), password: formData.get("password"), name: formData.get("name") });
  const container = await getContainer();
  const outcome = await container.registration.register(form, await formRequestMeta(container));
  // Echo what was typed, bounded: the inputs accept no more anyway.
  const typed = { email: form.email.slice(0, 320), name: form.name.slice(0, 200) };
  switch (outcome.status) {
    case "check_mail":
      return { sent: { email: outcome.email } };
    case "invalid":
      return { ...typed, errors: outcome.errors };
    case "disabled":
      return { formError: "disabled" };
    default:
      return { ...typed, formError: outcome.status };
  }
}
