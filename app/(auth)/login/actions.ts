"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { INTERACTION_COOKIE } from "@/lib/oauth/interactions";
import { getContainer } from "@/lib/server/instance";
import { clientAddressFromHeaders } from "../request-meta";

export interface LoginState {
  error?: "invalid_credentials" | "expired";
  /** The email to show again after a failed attempt (never the password). */
  email?: string;
}

const loginSchema = z.object({
  interaction: z.string().max(128),
  email: z.string().trim().max(320),
  password: z.string().max(1024),
});

/**
 * The sign-in form's server action. Wrong credentials re-render the form with one message that
 * does not say which part was wrong; success sets the session cookie and continues the
 * authorization request at /oauth/authorize/resume.
 */
export async function signIn(_previous: LoginState, formData: FormData): Promise<LoginState> {
  const parsed = loginSchema.safeParse({
    interaction: formData.get("interaction"),
    email: formData.get("email") ?? "",
    password: formData.get("password") ?? "",
  });
  if (!parsed.success) return { error: "invalid_credentials" };
  const { interaction, email, password } = parsed.data;
  const [container, cookieStore, requestHeaders] = await Promise.all([getContainer(), cookies(), headers()]);
  const outcome = await container.interactions.submitLogin(interaction, cookieStore.get(INTERACTION_COOKIE)?.value, email, password, {
    ipAddress: clientAddressFromHeaders(requestHeaders, container.config.trustProxy),
    userAgent: requestHeaders.get("user-agent") ?? undefined,
    requestId: requestHeaders.get("x-request-id") ?? undefined,
  });
  if (outcome.status === "invalid_interaction") return { error: "expired" };
  if (outcome.status === "invalid_credentials") return { error: "invalid_credentials", email };
  await container.sessions.writeCookie(cookieStore, outcome.session);
  // 303 to the resume path (a route-table handler, not a page): it issues the code or asks for consent.
  redirect(outcome.redirectTo);
}
