"use server";

import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import type { PasswordChangeErrors } from "@/lib/account/password-service";
import { GENDER_CUSTOM_FIELD, profileFieldNames, type ProfileErrors } from "@/lib/account/profile";
import { BROWSER_STATE_COOKIE } from "@/lib/oidc/session-state";
import type { Container } from "@/lib/server/container";
import { getContainer } from "@/lib/server/instance";
import { accountPaths, loginUrl, requestMeta, type AccountPath } from "./account-context";

/**
 * The account pages' server actions. Each one reads the browser session from the cookie again
 * (the page that rendered the form proves nothing) and refuses without one by sending the browser
 * to the sign-in page. Next.js checks the Origin of every server action, and proxy.ts refuses
 * cross-site posts (Fetch Metadata): no extra CSRF token is needed here.
 */
async function signedIn(returnTo: AccountPath) {
  const [container, cookieStore] = await Promise.all([getContainer(), cookies()]);
  const session = await container.sessions.fromCookies(cookieStore);
  if (!session) redirect(loginUrl(returnTo));
  return { container, cookieStore, session, meta: await requestMeta(container) };
}

type CookieStore = Awaited<ReturnType<typeof cookies>>;

/**
 * Removes the session and browser-state cookies with the attributes they were set with (a
 * `__Host-` cookie is only replaced by a Secure, Path=/ one: RFC 6265bis §4.1.3.2).
 */
function clearSessionCookies(container: Container, cookieStore: CookieStore): void {
  cookieStore.set(container.sessions.cookieName, "", { ...container.sessions.cookieOptions({ expiresAt: container.clock.now() }), maxAge: 0 });
  cookieStore.set(BROWSER_STATE_COOKIE, "", container.sessions.browserStateCookieOptions(0));
}

/** A form value as the services expect it: a string, or undefined when absent (never a File). */
function field(formData: FormData, name: string): unknown {
  return formData.get(name) ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Profile
// ---------------------------------------------------------------------------------------------

export interface ProfileState {
  status?: "saved" | "unchanged" | "invalid";
  errors?: ProfileErrors;
  /** What was submitted, shown again after an error. */
  values?: Record<string, string>;
}

export async function saveProfile(_previous: ProfileState, formData: FormData): Promise<ProfileState> {
  const { container, session, meta } = await signedIn(accountPaths.profile);
  const form: Record<string, unknown> = {};
  for (const name of [...profileFieldNames, GENDER_CUSTOM_FIELD]) form[name] = field(formData, name);
  const outcome = await container.account.updateProfile(session.userId, form, meta);
  if (outcome.status === "not_found") redirect(loginUrl(accountPaths.profile));
  if (outcome.status === "invalid") {
    const values = Object.fromEntries(Object.entries(form).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
    return { status: "invalid", errors: outcome.errors, values };
  }
  // The name in the page header and the overview come from the profile too.
  revalidatePath(accountPaths.overview, "layout");
  return { status: outcome.status };
}

// ---------------------------------------------------------------------------------------------
// Password
// ---------------------------------------------------------------------------------------------

export interface PasswordState {
  status?: "changed" | "invalid" | "throttled";
  errors?: PasswordChangeErrors;
  otherSessionsEnded?: number;
  retryAfterMinutes?: number;
  /** The checkbox as submitted (the passwords themselves are never sent back). */
  signOutOthers?: boolean;
}

export async function changePassword(_previous: PasswordState, formData: FormData): Promise<PasswordState> {
  const { container, session, meta } = await signedIn(accountPaths.password);
  const form = {
    current_password: field(formData, "current_password"),
    new_password: field(formData, "new_password"),
    confirm_password: field(formData, "confirm_password"),
    sign_out_others: field(formData, "sign_out_others"),
  };
  const signOutOthers = form.sign_out_others !== undefined;
  const outcome = await container.account.changePassword({ userId: session.userId, sessionId: session.id }, form, meta);
  switch (outcome.status) {
    case "changed":
      revalidatePath(accountPaths.overview, "layout");
      return { status: "changed", otherSessionsEnded: outcome.otherSessionsEnded, signOutOthers };
    case "throttled":
      return { status: "throttled", retryAfterMinutes: Math.ceil(outcome.retryAfterSeconds / 60), signOutOthers };
    case "invalid":
      return { status: "invalid", errors: outcome.errors, signOutOthers };
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

const sessionFormSchema = z.object({ session: z.string().min(1).max(64) });

/** "Sign out" beside one device. For this browser's own session it is the plain sign-out. */
export async function endSession(formData: FormData): Promise<void> {
  const { container, cookieStore, session, meta } = await signedIn(accountPaths.sessions);
  const parsed = sessionFormSchema.safeParse({ session: formData.get("session") });
  if (!parsed.success) redirect(`${accountPaths.sessions}?done=not_found`);
  if (parsed.data.session === session.id) {
    await container.account.signOut(session.id, meta);
    clearSessionCookies(container, cookieStore);
    redirect("/logout/done");
  }
  const ended = await container.account.endSession(session.userId, parsed.data.session, meta);
  redirect(`${accountPaths.sessions}?done=${ended ? "ended" : "not_found"}`);
}

/** "Sign out everywhere": every session of the user, this one included, then the sign-in page. */
export async function endAllSessions(): Promise<void> {
  const { container, cookieStore, session, meta } = await signedIn(accountPaths.sessions);
  await container.account.endAllSessions(session.userId, meta);
  clearSessionCookies(container, cookieStore);
  redirect("/login");
}

/** "Sign out" in the page header: this browser's session. */
export async function signOut(): Promise<void> {
  const { container, cookieStore, session, meta } = await signedIn(accountPaths.overview);
  await container.account.signOut(session.id, meta);
  clearSessionCookies(container, cookieStore);
  redirect("/logout/done");
}

// ---------------------------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------------------------

const revokeFormSchema = z.object({ client: z.string().min(1).max(64) });

/** "Revoke access" for one application: consent withdrawn, its tokens revoked. */
export async function revokeAccess(formData: FormData): Promise<void> {
  const { container, session, meta } = await signedIn(accountPaths.applications);
  const parsed = revokeFormSchema.safeParse({ client: formData.get("client") });
  const revoked = parsed.success && (await container.account.withdrawConsent(session.userId, parsed.data.client, meta));
  redirect(`${accountPaths.applications}?done=${revoked ? "revoked" : "not_found"}`);
}
