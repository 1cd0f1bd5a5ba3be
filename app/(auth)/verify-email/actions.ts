"use server";

import { cookies } from "next/headers";
import { getContainer } from "@/lib/server/instance";
import { formRequestMeta } from "../request-meta";

export interface ResendState {
  sent?: { email: string };
  error?: "signed_out" | "rate_limited" | "mail_failed";
  /** Confirmed meanwhile (another tab): nothing to send. */
  alreadyVerified?: boolean;
}

/**
 * "Send a new link" for the signed-in user whose address is not confirmed yet. The form has no
 * fields: the session says who asks, so nobody can have links sent to someone else's address.
 */
export async function resendVerification(_previous: ResendState): Promise<ResendState> {
  const [container, cookieStore] = await Promise.all([getContainer(), cookies()]);
  const session = await container.sessions.fromCookies(cookieStore);
  if (!session) return { error: "signed_out" };
  const outcome = await container.registration.resendVerification(session.userId, await formRequestMeta(container));
  switch (outcome.status) {
    case "sent":
      return { sent: { email: outcome.email } };
    case "already_verified":
      return { alreadyVerified: true };
    case "unknown_user":
      return { error: "signed_out" };
    default:
      return { error: outcome.status };
  }
}
