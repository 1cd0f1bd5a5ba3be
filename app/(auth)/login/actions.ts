"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { pageRequestMeta } from "@/lib/http/page-door";
import { MAX_EMAIL_LENGTH, type LoginMeta } from "@/lib/identity/password-login";
import { MAX_PASSWORD_LENGTH } from "@/lib/identity/user-service";
import { isDatabaseUnavailable } from "@/lib/db/availability";
import { INTERACTION_COOKIE } from "@/lib/oauth/interaction/browser";
import { getContainer } from "@/lib/server/instance";
import { loadInteraction, requestInteractionLocale, signInTranslator } from "./request-locale";
import { safeReturnTo } from "./return-to";

export interface LoginState {
  /** unavailable: the database did not answer in time (RFC 9110 §15.6.4 spirit: try again shortly). */
  error?: "invalid_credentials" | "expired" | "throttled" | "unavailable";
  /** The text of a throttled answer (how long to wait), in the page's language. */
  message?: string;
  /** The email to show again after a failed attempt (never the password). */
  email?: string;
}

const credentials = {
  email: z.string().trim().max(MAX_EMAIL_LENGTH),
  password: z.string().max(MAX_PASSWORD_LENGTH),
};
const interactionLoginSchema = z.object({ interaction: z.string().max(128), ...credentials });
const directLoginSchema = z.object({ return_to: z.string().max(4096).optional(), ...credentials });

type Failure = { status: "invalid_credentials" } | { status: "throttled"; retryAfterSeconds: number; locked: boolean };

/**
 * The sign-in form of an authorization request. Wrong credentials re-render the form with one
 * message that does not say which part was wrong; success sets the session cookie and continues
 * the authorization request at /oauth/authorize/resume.
 */
export async function signIn(_previous: LoginState, formData: FormData): Promise<LoginState> {
  const parsed = interactionLoginSchema.safeParse({
    interaction: formData.get("interaction"),
    email: formData.get("email") ?? "",
    password: formData.get("password") ?? "",
  });
  if (!parsed.success) return { error: "invalid_credentials" };
  const { interaction, email, password } = parsed.data;
  const [container, cookieStore, meta] = await Promise.all([getContainer(), cookies(), requestMeta()]);
  let outcome: Awaited<ReturnType<typeof container.interactions.submitLogin>>;
  try {
    outcome = await container.interactions.submitLogin(interaction, cookieStore.get(container.sessions.hostOnly(INTERACTION_COOKIE))?.value, email, password, meta);
  } catch (error) {
    return unavailableState(error, email);
  }
  if (outcome.status === "invalid_interaction") return { error: "expired" };
  if (outcome.status !== "signed_in") return failureState(outcome, email, interaction);
  await container.sessions.writeCookie(cookieStore, outcome.session);
  // 303 to the resume path (a route-table handler, not a page): it issues the code or asks for consent.
  redirect(outcome.redirectTo);
}

/**
 * The plain sign-in form (/login without an authorization request). Success sets the session
 * cookie, with the same rules as a sign-in for a request (PasswordLoginService.startSession: the
 * same user keeps the browser's session, another user's is ended), and goes to `return_to`, a
 * path on this site only.
 */
export async function signInDirect(_previous: LoginState, formData: FormData): Promise<LoginState> {
  const parsed = directLoginSchema.safeParse({
    return_to: formData.get("return_to") ?? undefined,
    email: formData.get("email") ?? "",
    password: formData.get("password") ?? "",
  });
  if (!parsed.success) return { error: "invalid_credentials" };
  const { email, password } = parsed.data;
  const [container, cookieStore, meta] = await Promise.all([getContainer(), cookies(), requestMeta()]);
  let session: Awaited<ReturnType<typeof container.passwordLogin.startSession>>;
  try {
    const outcome = await container.passwordLogin.authenticate(email, password, meta);
    if (outcome.status !== "ok") return failureState(outcome, email);
    const current = await container.sessions.fromCookies(cookieStore);
    session = await container.passwordLogin.startSession(outcome.user, { current, meta });
  } catch (error) {
    return unavailableState(error, email);
  }
  await container.sessions.writeCookie(cookieStore, session);
  redirect(safeReturnTo(parsed.data.return_to));
}

/** Address and request id as server.ts decided them (lib/http/page-door.ts), never the client's own headers. */
async function requestMeta(): Promise<LoginMeta> {
  const requestHeaders = await headers();
  const { ipAddress, requestId } = pageRequestMeta(requestHeaders);
  return { ipAddress, userAgent: requestHeaders.get("user-agent") ?? undefined, requestId };
}

/**
 * A database that did not answer in time (lib/db/availability.ts): the form says "try again in a
 * moment" instead of an error page. Anything else is rethrown.
 */
async function unavailableState(error: unknown, email: string): Promise<LoginState> {
  if (!isDatabaseUnavailable(error)) throw error;
  (await getContainer()).logger.warn("sign-in: database unavailable", { error });
  return { error: "unavailable", email };
}

/** The form state after a failure; a throttled answer says how long to wait, in the page's language. */
async function failureState(outcome: Failure, email: string, interaction?: string): Promise<LoginState> {
  if (outcome.status === "invalid_credentials") return { error: "invalid_credentials", email };
  // The same language as the page: the request's ui_locales first (OIDC Core §3.1.2.1).
  const t = await signInTranslator(await requestInteractionLocale(interaction === undefined ? null : await loadInteraction(interaction)));
  const message = outcome.locked
    ? t("locked", { minutes: Math.ceil(outcome.retryAfterSeconds / 60) })
    : t("throttled", { seconds: outcome.retryAfterSeconds });
  return { error: "throttled", message, email };
}
