/**
 * Browser sessions: a `Session` row per sign-in, referenced from the browser by the
 * `authly_session` cookie. The cookie is sealed with iron-session (AES-256-CBC + HMAC-SHA-256
 * under `container.cookieSecret`) and carries the row id and the session's current cookie handle, so
 * ending a session in the database ends it everywhere, on every instance.
 *
 * Session credential renewal (OWASP Session Management Cheat Sheet, "Renew the Session ID After
 * Any Privilege Level Change"; session fixation): every successful authentication (`start`,
 * `reauthenticate`) draws a new random cookie handle; the row keeps only its SHA-256
 * (`cookieHandleHash`) and a cookie is accepted only with the row's current handle, so a cookie
 * obtained before a sign-in stops working at that sign-in. The row id stays the same across
 * re-authentications: it is the OIDC `sid` relying parties hold for front- and back-channel logout.
 *
 * Used from both doors: the protocol handlers read the Cookie header of a plain `Request` and
 * answer with a Set-Cookie header; Next server actions and pages pass `await cookies()` from
 * next/headers, which fits the `CookieReader` / `CookieWriter` shapes below (this module does not
 * import next/headers itself, so the fast door and the tests never load it).
 */
import { sealData, unsealData } from "iron-session";
import type { Prisma, PrismaClient, Session } from "../generated/prisma/client";
import { boundedAddress, boundedUserAgent, type RequestMeta } from "../http/request-meta";
import { hashSecret, randomToken, verifySecretHash } from "../security/secrets";
import type { Clock } from "../server/clock";
import { BROWSER_STATE_COOKIE, browserStateOf } from "../oidc/session-state";

/** The session cookie's name over plain http (loopback development). */
export const SESSION_COOKIE = "authly_session";
/**
 * Its name over https: the `__Host-` prefix makes the browser refuse it unless it is Secure,
 * Path=/ and has no Domain, so no subdomain can plant or overwrite it (RFC 6265bis §4.1.3.2).
 */
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/**
 * Default absolute lifetime of a browser session: 12 hours after sign-in, then the user signs in
 * again (NIST SP 800-63B §4.2.3, AAL2). AUTHLY_SESSION_MAX_HOURS changes it.
 */
export const SESSION_LIFETIME_SECONDS = 12 * 60 * 60;
/** Default idle lifetime: 30 minutes without any request (NIST SP 800-63B §4.2.3). AUTHLY_SESSION_IDLE_MINUTES. */
export const SESSION_IDLE_SECONDS = 30 * 60;
/**
 * Activity moves the idle expiry forward, but the row is written at most once per this many
 * seconds, so a burst of page views costs one write.
 */
export const SESSION_TOUCH_INTERVAL_SECONDS = 60;

/** Authentication method reference for a password sign-in (RFC 8176 §2: "pwd"). */
export const PASSWORD_AMR = ["pwd"];

export interface CookieOptions {
  httpOnly: boolean;
  sameSite: "lax" | "none";
  path: string;
  secure: boolean;
  /** Seconds; omitted for a cookie that ends with the browser session. */
  maxAge?: number;
}

/** What this module needs from a cookie store: Next's `cookies()` and `requestCookies()` both fit. */
export interface CookieReader {
  get(name: string): { value: string } | undefined;
}

export interface CookieWriter extends CookieReader {
  set(name: string, value: string, options: CookieOptions): unknown;
}

/** Parses a Cookie header (RFC 6265 §5.4). The first occurrence of a name wins; bad encodings are skipped. */
export function parseCookieHeader(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    const name = eq < 0 ? "" : part.slice(0, eq).trim();
    if (name === "") continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      // Not percent-decodable: not one of ours.
    }
  }
  return cookies;
}

/** The request's cookies as a `CookieReader`. */
export function requestCookies(request: Request): CookieReader {
  const cookies = parseCookieHeader(request.headers.get("cookie"));
  return {
    get(name) {
      const value = cookies.get(name);
      return value === undefined ? undefined : { value };
    },
  };
}

/** A Set-Cookie header value (RFC 6265 §4.1). Values are percent-encoded, names must be tokens. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path}`];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`);
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  parts.push(options.sameSite === "none" ? "SameSite=None" : "SameSite=Lax");
  return parts.join("; ");
}

export interface SessionStart extends Pick<RequestMeta, "ipAddress" | "userAgent"> {
  userId: string;
  /** Authentication methods used (RFC 8176); password sign-in: ["pwd"]. */
  amr?: string[];
  acr?: string | null;
}

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * A session just authenticated (`start`, `reauthenticate`, PasswordLoginService.startSession),
 * with its new cookie handle: the only moment the handle exists in clear, to be written into the
 * cookie (`writeCookie`, `setCookieHeader(s)`). It is never stored.
 */
export type IssuedSession = Session & { cookieHandle: string };

/**
 * What writing the session cookie needs. The handle is required for every row that has one
 * (`cookieHandleHash`); only a row from before handles existed can be written without it.
 */
export type CookieSession = Pick<Session, "id" | "expiresAt"> & Partial<Pick<Session, "cookieHandleHash">> & { cookieHandle?: string };

/** The sealed cookie's content: the session id (`sid`) and its cookie handle (`h`, absent in cookies from before handles). */
interface SealedSession {
  sid?: unknown;
  h?: unknown;
}

/** The longest cookie handle accepted from a cookie (randomToken(32) is 43 characters). */
const MAX_HANDLE_LENGTH = 128;

export class BrowserSessionService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      /** iron-session password (>= 32 characters). */
      cookieSecret: string;
      /** Mark cookies Secure and use the `__Host-` cookie name (when the issuer is https). */
      secureCookies: boolean;
      /** Idle and absolute lifetimes in seconds (config.session); defaults 30 minutes and 12 hours. */
      idleSeconds?: number;
      absoluteSeconds?: number;
      /**
       * Whether the browser-state cookie can be SameSite=None (which needs Secure): an https issuer,
       * or a loopback one (browsers accept Secure cookies from http://localhost).
       */
      browserStateCrossSite: boolean;
    },
  ) {}

  /** The name of the session cookie: `__Host-authly_session` over https, `authly_session` otherwise. */
  get cookieName(): string {
    return this.hostOnly(SESSION_COOKIE);
  }

  /**
   * A cookie name with the `__Host-` prefix over https (RFC 6265bis §4.1.3.2: the browser takes it
   * only when Secure, Path=/ and without Domain, so no subdomain can plant it), as it is otherwise.
   */
  hostOnly(name: string): string {
    return this.deps.secureCookies ? `__Host-${name}` : name;
  }

  private get idleMs(): number {
    return (this.deps.idleSeconds ?? SESSION_IDLE_SECONDS) * 1000;
  }

  private get absoluteMs(): number {
    return (this.deps.absoluteSeconds ?? SESSION_LIFETIME_SECONDS) * 1000;
  }

  /** The absolute and idle expiry of a session authenticated at `now`. */
  private lifetimeFrom(now: Date): { expiresAt: Date; idleExpiresAt: Date } {
    const expiresAt = new Date(now.getTime() + this.absoluteMs);
    return { expiresAt, idleExpiresAt: new Date(Math.min(expiresAt.getTime(), now.getTime() + this.idleMs)) };
  }

  /**
   * Creates the session row for a fresh sign-in. Its id is random (the OIDC `sid`); the returned
   * session carries its first cookie handle.
   */
  async start(input: SessionStart): Promise<IssuedSession> {
    const now = this.deps.clock.now();
    const cookieHandle = newCookieHandle();
    const session = await this.deps.prisma.session.create({
      data: {
        id: crypto.randomUUID(),
        cookieHandleHash: hashSecret(cookieHandle),
        tenantId: this.deps.tenantId,
        userId: input.userId,
        authTime: now,
        acr: input.acr ?? null,
        amr: input.amr ?? PASSWORD_AMR,
        ipAddress: boundedAddress(input.ipAddress),
        userAgent: boundedUserAgent(input.userAgent),
        createdAt: now,
        lastSeenAt: now,
        ...this.lifetimeFrom(now),
      },
    });
    return { ...session, cookieHandle };
  }

  /**
   * A new authentication of the session's own user (OIDC Core §3.1.2.1 prompt=login, max_age):
   * the session keeps its id (the `sid` relying parties hold) and gets a new auth time, methods,
   * acr and lifetime, and a new cookie handle that replaces the previous one in the same statement
   * (OWASP Session Management Cheat Sheet: renew the session ID after any privilege level change),
   * so the cookie held before this authentication stops working. Of concurrent
   * re-authentications the last write wins: exactly one handle works afterwards. Null when the
   * session is no longer valid.
   */
  async reauthenticate(sessionId: string, input: Omit<SessionStart, "userId">): Promise<IssuedSession | null> {
    const now = this.deps.clock.now();
    const cookieHandle = newCookieHandle();
    const updated = await this.deps.prisma.session.updateMany({
      where: { id: sessionId, tenantId: this.deps.tenantId, endedAt: null, expiresAt: { gt: now }, idleExpiresAt: { gt: now } },
      data: {
        cookieHandleHash: hashSecret(cookieHandle),
        authTime: now,
        acr: input.acr ?? null,
        amr: input.amr ?? PASSWORD_AMR,
        lastSeenAt: now,
        ...this.lifetimeFrom(now),
        ...(input.ipAddress !== undefined && { ipAddress: boundedAddress(input.ipAddress) }),
        ...(input.userAgent !== undefined && { userAgent: boundedUserAgent(input.userAgent) }),
      },
    });
    const session = updated.count === 1 ? await this.findValid(sessionId) : null;
    return session ? { ...session, cookieHandle } : null;
  }

  /**
   * The session if it exists, has not ended, is within both its absolute and its idle lifetime,
   * and its user is still active; else null.
   */
  async findValid(sessionId: string): Promise<Session | null> {
    if (typeof sessionId !== "string" || sessionId.length === 0 || sessionId.length > 64) return null;
    const now = this.deps.clock.now();
    const row = await this.deps.prisma.session.findFirst({
      where: { id: sessionId, tenantId: this.deps.tenantId, endedAt: null, expiresAt: { gt: now }, idleExpiresAt: { gt: now } },
      include: { user: { select: { status: true } } },
    });
    if (!row || row.user.status !== "active") return null;
    const { user: _user, ...session } = row;
    return session;
  }

  /**
   * The valid session referenced by the browser's cookie, or null: the cookie must carry the
   * session's current cookie handle (a cookie from before the last authentication is refused).
   * This is the browser using its session, so the idle expiry moves forward (see `touch`).
   */
  async fromCookies(cookies: CookieReader): Promise<Session | null> {
    const sealed = cookies.get(this.cookieName)?.value;
    if (!sealed) return null;
    const content = await this.unseal(sealed);
    const session = content ? await this.findValid(content.sessionId) : null;
    if (!session || !content || !handleMatches(session, content.handle)) return null;
    return this.touch(session);
  }

  /**
   * Records activity: lastSeenAt becomes now and the idle expiry now + idle lifetime (never past
   * the absolute expiry). Written at most once per SESSION_TOUCH_INTERVAL_SECONDS.
   */
  async touch(session: Session): Promise<Session> {
    const now = this.deps.clock.now();
    if (now.getTime() - session.lastSeenAt.getTime() < SESSION_TOUCH_INTERVAL_SECONDS * 1000) return session;
    const idleExpiresAt = new Date(Math.min(session.expiresAt.getTime(), now.getTime() + this.idleMs));
    await this.deps.prisma.session.updateMany({ where: { id: session.id, tenantId: this.deps.tenantId, endedAt: null }, data: { lastSeenAt: now, idleExpiresAt } });
    return { ...session, lastSeenAt: now, idleExpiresAt };
  }

  /** Same, from a plain Request (the fast door). */
  fromRequest(request: Request): Promise<Session | null> {
    return this.fromCookies(requestCookies(request));
  }

  /** Cookie attributes: HttpOnly, SameSite=Lax, Path=/, Secure on https, lives as long as the session. */
  cookieOptions(session: Pick<Session, "expiresAt">): CookieOptions {
    const remaining = Math.floor((session.expiresAt.getTime() - this.deps.clock.nowMs()) / 1000);
    return { httpOnly: true, sameSite: "lax", path: "/", secure: this.deps.secureCookies, maxAge: Math.max(0, remaining) };
  }

  /**
   * Session Management 1.0 §3: the OP browser state cookie, readable by the check_session iframe's
   * script (not HttpOnly; it holds no secret, only a value derived from the session id). The iframe
   * runs in the relying party's page, so the cookie must be SameSite=None to be visible there.
   */
  browserStateCookieOptions(maxAge?: number): CookieOptions {
    const crossSite = this.deps.browserStateCrossSite;
    return { httpOnly: false, sameSite: crossSite ? "none" : "lax", path: "/", secure: crossSite || this.deps.secureCookies, ...(maxAge !== undefined && { maxAge }) };
  }

  /** The OP browser state of a session (Session Management 1.0 §3). */
  browserState(session: Pick<Session, "id">): string {
    return browserStateOf(this.deps.cookieSecret, session.id);
  }

  /**
   * Sets the session cookie and the browser-state cookie through a Next cookie store (server
   * actions). `session` is the one `start` / `reauthenticate` / startSession returned: the cookie
   * carries its new handle.
   */
  async writeCookie(cookies: CookieWriter, session: CookieSession): Promise<void> {
    const options = this.cookieOptions(session);
    cookies.set(this.cookieName, await this.seal(session), options);
    cookies.set(BROWSER_STATE_COOKIE, this.browserState(session), this.browserStateCookieOptions(options.maxAge));
  }

  /** The session cookie's Set-Cookie header value for a plain Response (the fast door). */
  async setCookieHeader(session: CookieSession): Promise<string> {
    return serializeCookie(this.cookieName, await this.seal(session), this.cookieOptions(session));
  }

  /** Both Set-Cookie header values (session and browser state) for a plain Response. */
  async setCookieHeaders(session: CookieSession): Promise<string[]> {
    const options = this.cookieOptions(session);
    return [
      serializeCookie(this.cookieName, await this.seal(session), options),
      serializeCookie(BROWSER_STATE_COOKIE, this.browserState(session), this.browserStateCookieOptions(options.maxAge)),
    ];
  }

  /** A Set-Cookie header value that removes the session cookie. */
  clearCookieHeader(): string {
    return serializeCookie(this.cookieName, "", { httpOnly: true, sameSite: "lax", path: "/", secure: this.deps.secureCookies, maxAge: 0 });
  }

  /** Set-Cookie header values that remove the session and browser-state cookies (logout). */
  clearCookieHeaders(): string[] {
    return [this.clearCookieHeader(), serializeCookie(BROWSER_STATE_COOKIE, "", this.browserStateCookieOptions(0))];
  }

  /** Records that `clientRowId` (Client.id) received a code or tokens in this session (logout fan-out). */
  async addClient(sessionId: string, clientRowId: string, db: Db = this.deps.prisma): Promise<void> {
    await db.session.updateMany({
      where: { id: sessionId, tenantId: this.deps.tenantId, NOT: { clientIds: { has: clientRowId } } },
      data: { clientIds: { push: clientRowId } },
    });
  }

  /** Ends a session (logout, admin action); it is invalid from then on. */
  async end(sessionId: string, reason: string): Promise<boolean> {
    const result = await this.deps.prisma.session.updateMany({
      where: { id: sessionId, tenantId: this.deps.tenantId, endedAt: null },
      data: { endedAt: this.deps.clock.now(), endReason: reason.slice(0, 64) },
    });
    return result.count === 1;
  }

  private async seal(session: CookieSession): Promise<string> {
    if (session.cookieHandle === undefined && session.cookieHandleHash) {
      // A cookie without the current handle would be refused at once: a programming error, not a user's.
      throw new Error("the session cookie is written only with the handle of the authentication that returned the session");
    }
    const content: SealedSession = session.cookieHandle === undefined ? { sid: session.id } : { sid: session.id, h: session.cookieHandle };
    // The seal itself also expires (iron-session ttl), so an old cookie is dead even without the row.
    return sealData(content, { password: this.deps.cookieSecret, ttl: this.absoluteMs / 1000 });
  }

  private async unseal(sealed: string): Promise<{ sessionId: string; handle: string | null } | null> {
    if (sealed.length > 4096) return null;
    try {
      const data = await unsealData<SealedSession>(sealed, { password: this.deps.cookieSecret, ttl: this.absoluteMs / 1000 });
      if (typeof data.sid !== "string") return null;
      if (data.h === undefined) return { sessionId: data.sid, handle: null };
      return typeof data.h === "string" && data.h.length > 0 && data.h.length <= MAX_HANDLE_LENGTH ? { sessionId: data.sid, handle: data.h } : null;
    } catch {
      return null;
    }
  }
}

/** A new cookie handle: 256 random bits (RFC 6749 §10.10 asks >= 128 for guessable credentials). */
function newCookieHandle(): string {
  return randomToken(32);
}

/**
 * Whether a cookie's handle is the session's current one (compared as SHA-256 in constant time).
 * A row from before handles existed (null hash) accepts only the handle-less cookie of that time,
 * until its next authentication gives it a handle.
 */
function handleMatches(session: Pick<Session, "cookieHandleHash">, handle: string | null): boolean {
  const expected = session.cookieHandleHash ?? null;
  if (expected === null) return handle === null;
  return handle !== null && verifySecretHash(handle, expected);
}
