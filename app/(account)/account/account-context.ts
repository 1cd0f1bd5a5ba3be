import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { isTimeZone } from "@/lib/account/profile";
import type { Session, User } from "@/lib/generated/prisma/client";
import { requestMetaOfPage, type RequestMeta } from "@/lib/http/request-meta";
import { accountPaths, pagePaths, type AccountPath } from "@/lib/protocol/paths";
import type { Container } from "@/lib/server/container";
import { getContainer } from "@/lib/server/instance";

export interface SignedInAccount {
  container: Container;
  session: Session;
  user: User;
}

/** The account pages' paths (lib/protocol/paths.ts); the login page sends the user back to the one asked for. */
export { accountPaths, type AccountPath };

/** The sign-in page, coming back to `path` afterwards. */
export function loginUrl(path: AccountPath): string {
  return `${pagePaths.login}?return_to=${encodeURIComponent(path)}`;
}

/**
 * The signed-in user of this request, once per render (layout and page share it), or null when
 * the browser has no valid session (none, ended, idle or absolutely expired: checked in the
 * database on every request) or the user is gone.
 */
export const loadAccount = cache(async (): Promise<SignedInAccount | null> => {
  const [container, cookieStore] = await Promise.all([getContainer(), cookies()]);
  const session = await container.sessions.fromCookies(cookieStore);
  if (!session) return null;
  const user = await container.account.findUser(session.userId);
  return user ? { container, session, user } : null;
});

/** Like loadAccount, but sends a signed-out browser to the sign-in page first. */
export async function requireAccount(path: AccountPath): Promise<SignedInAccount> {
  const account = await loadAccount();
  if (!account) redirect(loginUrl(path));
  return account;
}

/**
 * Address, user agent and request id of this request, for the audit trail and session rows.
 * Address and request id as server.ts decided them (lib/http/request-meta.ts), never the client's own headers.
 */
export async function requestMeta(_container: Container): Promise<RequestMeta> {
  return requestMetaOfPage(await headers());
}

/**
 * The user's own time zone (the zoneinfo claim) for dates shown to them, when it is one this
 * runtime knows; otherwise the pages' default (i18n/formats.ts).
 */
export function userTimeZone(user: Pick<User, "zoneinfo">): { timeZone: string } | undefined {
  return user.zoneinfo && isTimeZone(user.zoneinfo) ? { timeZone: user.zoneinfo } : undefined;
}
