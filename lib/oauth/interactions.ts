/**
 * The hand-off between the authorization endpoint and the login and consent pages.
 *
 * A valid authorization request that needs the user is stored as an `Interaction` row (so any
 * instance can continue it) for 10 minutes, bound to the browser that sent it: the browser holds
 * a random value in the `authly_interaction` cookie and the row holds its SHA-256. The pages call
 * `get`, `submitLogin` and `submitConsent`; `GET /oauth/authorize/resume` calls `resume`, which
 * either sends the user on to the next page or consumes the interaction (single use) and
 * produces the authorization response.
 *
 * What is needed next (login, consent, nothing, or an error for prompt=none) is decided by the
 * interaction policy (lib/oidc/interaction-policy.ts) from the OpenID Connect rules of
 * lib/oidc/authentication-request.ts, the browser's session and what already happened in this
 * interaction (`result`: a sign-in completed here, a consent decision).
 */
import { isUiLocalesValue } from "../../i18n/locales";
import { Prisma } from "../generated/prisma/client";
import type { Client, Interaction, PrismaClient, Session } from "../generated/prisma/client";
import type { AuditLog } from "../audit/audit-log";
import type { ClientService } from "../clients/client-service";
import { GrantService } from "../consent/grant-service";
import type { UserService } from "../identity/user-service";
import type { PasswordLoginService } from "../identity/password-login";
import type { Logger } from "../observability/logger";
import {
  chooseAcr,
  canSatisfyAcr,
  effectiveMaxAge,
  essentialAcrRequest,
  individuallyRequestedClaims,
  parseAcrValues,
  parsePrompt,
  reauthenticationReason,
  type RequestedClaim,
} from "../oidc/authentication-request";
import { nextAuthenticationStep, type AuthenticationStep, type InteractionPrompt } from "../oidc/interaction-policy";
import type { SubjectIdentifiers } from "../oidc/subject";
import { claimsOfScopes } from "../oidc/claims";
import { hashSecret, randomToken, timingSafeEqualStrings } from "../security/secrets";
import type { Clock } from "../server/clock";
import type { BrowserSessionService } from "../sessions/browser-session";
import { issueAuthorizationCode } from "./authorization-code";
import type { AuthorizationRequest } from "./authorization-request";
import { OAuthError } from "./errors";

export const INTERACTION_COOKIE = "authly_interaction";
/** How long a pending authorization request waits for the user. */
export const INTERACTION_LIFETIME_SECONDS = 10 * 60;

export const LOGIN_PATH = "/login";
export const CONSENT_PATH = "/consent";
export const RESUME_PATH = "/oauth/authorize/resume";

/** The page of each prompt of the interaction policy (lib/oidc/interaction-policy.ts). */
const PROMPT_PAGES: Record<InteractionPrompt, string> = { login: LOGIN_PATH, consent: CONSENT_PATH };

/** What the browser binding cookie must look like (randomToken(32)). */
export function isBrowserBinding(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** Interaction ids: randomToken(32). */
export function isInteractionId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export type { InteractionPrompt };

interface StoredParams {
  request: AuthorizationRequest;
  /** hashSecret(browser binding cookie) */
  binding: string;
}

/** What happened inside the interaction so far (Interaction.result). */
interface StoredResult {
  /** The user who signed in here or decided. */
  userId: string;
  consent?: "allow" | "deny";
  grantId?: string;
  /**
   * The session started by a sign-in inside this interaction. Only such a sign-in satisfies
   * prompt=login/select_account, max_age and id_token_hint; an older session never does.
   */
  loginSessionId?: string;
}

/** Computes the `sub` a client sees for a user (container.oidc.subjects). */
export type SubjectSource = Pick<SubjectIdentifiers, "subjectFor">;

/** What the authorization endpoint does with a valid request. */
export type AuthorizeStep =
  /** Signed in and consented: issue the code now. */
  | { kind: "code" }
  /** Needs the user: start an interaction at this page. */
  | { kind: "interaction"; prompt: InteractionPrompt }
  /** prompt=none could not be honoured, or an essential acr cannot be met: an error to the client. */
  | { kind: "error"; error: OAuthError };

/** What the login and consent pages show. */
export interface InteractionView {
  id: string;
  prompt: InteractionPrompt;
  client: { name: string; clientUri: string | null; logoUri: string | null; policyUri: string | null; tosUri: string | null };
  /** Requested scopes, with the description stored for custom scopes. */
  scopes: { name: string; description: string | null }[];
  /**
   * User claims requested individually through the claims parameter, beyond the scopes
   * (OIDC Core §5.5), with whether the client marked them essential.
   */
  claims: RequestedClaim[];
  /**
   * What the user already allowed this client (an active grant): the consent page asks only for
   * the rest and lists these as already allowed.
   */
  granted: { scopes: string[]; claims: string[] };
  /** The signed-in user's email, once known (consent; on the login page: signing in again). */
  userEmail?: string;
  loginHint?: string;
  /** What the login form's email field starts with: an email login_hint, else (re-authentication) the signed-in user's. */
  loginEmail?: string;
  uiLocales?: string;
}

export type LoginOutcome =
  | { status: "signed_in"; session: Session; redirectTo: string }
  | { status: "invalid_credentials" }
  /** Too many failed attempts (lib/identity/login-throttle.ts): the password was not checked, or this failure locked the account. */
  | { status: "throttled"; retryAfterSeconds: number; locked: boolean }
  | { status: "invalid_interaction" };

export type ConsentOutcome = { status: "ok"; redirectTo: string } | { status: "invalid_interaction" } | { status: "login_required"; redirectTo: string };

export type ResumeStep =
  /** Continue at a page (relative URL). */
  | { kind: "redirect"; location: string }
  /** Consumed: send this authorization response to the client. */
  | { kind: "respond"; client: Client; request: AuthorizationRequest; outcome: { code: string } | { error: OAuthError } }
  /** Unknown, expired, used, or started in another browser: show an error page, never redirect. */
  | { kind: "invalid"; reason: "not_found" | "expired" | "consumed" | "other_browser" | "client_disabled" };

export interface RequestMeta {
  ipAddress?: string;
  userAgent?: string;
  requestId?: string;
}

export class InteractionService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      clients: ClientService;
      users: UserService;
      sessions: BrowserSessionService;
      grants: GrantService;
      audit: AuditLog;
      logger: Logger;
      /** The `sub` each client sees (id_token_hint comparison, OIDC Core §3.1.2.1). */
      subjects: SubjectSource;
      /** Password check with brute-force protection, and the session that follows a sign-in. */
      passwordLogin: Pick<PasswordLoginService, "authenticate" | "startSession">;
    },
  ) {}

  /**
   * What a valid request still needs from the user: nothing, a login, or consent, or, with
   * prompt=none, the error saying which (OIDC Core §3.1.2.6). Consent is skipped for clients with
   * requireConsent=false (unless prompt=consent) and when an active grant already covers every
   * requested scope and claim.
   */
  async nextPrompt(client: Client, request: AuthorizationRequest, session: Session | null): Promise<AuthorizeStep> {
    const step = await this.step(client, request, session, { signedInHere: false, consentDecided: false });
    switch (step.kind) {
      case "proceed":
        return { kind: "code" };
      case "error":
        return { kind: "error", error: new OAuthError(step.error, step.description) };
      default:
        return { kind: "interaction", prompt: step.kind };
    }
  }

  /** Issues the code for a request that needs nothing more from the user. */
  async issueCode(client: Client, request: AuthorizationRequest, session: Session): Promise<string> {
    const grant = await this.deps.grants.findActive(session.userId, client.id);
    const issued = await issueAuthorizationCode(
      { prisma: this.deps.prisma, clock: this.deps.clock, tenantId: this.deps.tenantId },
      { client, session, request, grantId: grant?.id ?? null },
    );
    return issued.code;
  }

  /**
   * Stores the request for the login or consent page and returns where to send the browser.
   * `browserBinding` is the raw `authly_interaction` cookie value.
   */
  async start(
    client: Client,
    request: AuthorizationRequest,
    session: Session | null,
    browserBinding: string,
    prompt: InteractionPrompt,
  ): Promise<{ id: string; location: string }> {
    // Same size as a code: 256 bits, unguessable (RFC 6749 §10.10).
    const id = randomToken(32);
    const now = this.deps.clock.now();
    const params: StoredParams = { request, binding: hashSecret(browserBinding) };
    await this.deps.prisma.interaction.create({
      data: {
        id,
        tenantId: this.deps.tenantId,
        clientId: client.id,
        prompt,
        params: params as unknown as Prisma.InputJsonValue,
        sessionId: session?.id ?? null,
        userId: session?.userId ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INTERACTION_LIFETIME_SECONDS * 1000),
      },
    });
    return { id, location: pageUrl(prompt, id, request.uiLocales) };
  }

  /** The interaction for the login/consent page, or null when it is unknown, expired, used or not this browser's. */
  async get(id: string, browserBinding: string | undefined): Promise<InteractionView | null> {
    const loaded = await this.load(id, browserBinding);
    if (!("interaction" in loaded)) return null;
    const { interaction, params } = loaded;
    const client = await this.deps.clients.findActive(params.request.clientId);
    if (!client || client.id !== interaction.clientId) return null;
    const scopeRows = params.request.scopes.length
      ? await this.deps.prisma.scope.findMany({ where: { tenantId: this.deps.tenantId, name: { in: params.request.scopes } }, select: { name: true, description: true } })
      : [];
    const descriptions = new Map(scopeRows.map((s) => [s.name, s.description]));
    const user = interaction.userId ? await this.deps.users.findById(interaction.userId) : null;
    const grant = user ? await this.deps.grants.findActive(user.id, client.id) : null;
    const request = params.request;
    // OIDC Core §3.1.2.1 login_hint: pre-fill the email when the hint is one. Otherwise a user who
    // must sign in again (prompt=login, max_age) starts from their own account, unless the client
    // asked for an account choice or named a user through id_token_hint.
    const prompts = parsePrompt(request.prompt);
    const selectAccount = prompts.ok && prompts.values.includes("select_account");
    const loginEmail = request.loginHint?.includes("@")
      ? request.loginHint
      : user && !selectAccount && request.idTokenHintSub === undefined
        ? user.email
        : undefined;
    return {
      id: interaction.id,
      prompt: interaction.prompt === "consent" && user ? "consent" : "login",
      client: { name: client.name, clientUri: client.clientUri, logoUri: client.logoUri, policyUri: client.policyUri, tosUri: client.tosUri },
      scopes: request.scopes.map((name) => ({ name, description: descriptions.get(name) ?? null })),
      claims: individuallyRequestedClaims(request.claims, request.scopes),
      granted: { scopes: grant?.scopes ?? [], claims: grant ? [...new Set([...grant.claims, ...claimsOfScopes(grant.scopes)])] : [] },
      ...(user && { userEmail: user.email }),
      ...(request.loginHint !== undefined && { loginHint: request.loginHint }),
      ...(loginEmail !== undefined && { loginEmail }),
      ...(request.uiLocales !== undefined && { uiLocales: request.uiLocales }),
    };
  }

  /**
   * Checks the credentials for a pending interaction (PasswordLoginService: throttled attempts are
   * refused without checking the password). On success a new browser session is started (the
   * caller sets its cookie) and the interaction continues at the resume URL. A failure never says
   * whether the email or the password was wrong.
   */
  async submitLogin(id: string, browserBinding: string | undefined, email: string, password: string, meta: RequestMeta = {}): Promise<LoginOutcome> {
    const loaded = await this.load(id, browserBinding);
    if (!("interaction" in loaded)) return { status: "invalid_interaction" };
    const authenticated = await this.deps.passwordLogin.authenticate(email, password, meta);
    if (authenticated.status !== "ok") return authenticated;
    const { user } = authenticated;
    const request = loaded.params.request;
    // OIDC Core §3.1.2.1 acr_values (voluntary, in order of preference) and an essential acr
    // (§5.5.1.1): the first one we support; a password sign-in otherwise.
    const acr = chooseAcr(parseAcrValues(request.acrValues), essentialAcrRequest(request.claims)?.values ?? null);
    // The browser's session when this request started (or last resumed): the same user signing in
    // again (prompt=login, max_age, select_account) keeps it, another user replaces it.
    const current = loaded.interaction.sessionId ? await this.deps.sessions.findValid(loaded.interaction.sessionId) : null;
    const session = await this.deps.passwordLogin.startSession(user, { current, acr, meta });
    // A consent decision made by someone else in this browser does not carry over.
    const previous = loaded.interaction.result as StoredResult | null;
    const result: StoredResult = { ...(previous?.userId === user.id && previous), userId: user.id, loginSessionId: session.id };
    await this.deps.prisma.interaction.updateMany({
      where: { id, consumedAt: null },
      data: { userId: user.id, sessionId: session.id, result: result as unknown as Prisma.InputJsonValue },
    });
    return { status: "signed_in", session, redirectTo: resumeUrl(id) };
  }

  /**
   * Records the user's consent decision. "allow" creates or extends the Grant and appends a
   * ConsentRecord; "deny" appends a ConsentRecord. Both continue at the resume URL, which sends
   * the code or `access_denied` (RFC 6749 §4.1.2.1) to the client.
   */
  async submitConsent(id: string, browserBinding: string | undefined, decision: "allow" | "deny"): Promise<ConsentOutcome> {
    const loaded = await this.load(id, browserBinding);
    if (!("interaction" in loaded)) return { status: "invalid_interaction" };
    const { interaction, params } = loaded;
    const userId = interaction.userId;
    if (!userId) return { status: "login_required", redirectTo: pageUrl("login", id, params.request.uiLocales) };
    // OIDC Core §5.5: the individually requested claims are part of what the user allows.
    const claims = individuallyRequestedClaims(params.request.claims, params.request.scopes).map((c) => c.name);
    const previous = interaction.result as StoredResult | null;
    // Keep the record of a sign-in completed here (by this user).
    const kept: Partial<StoredResult> = previous?.userId === userId && previous.loginSessionId ? { loginSessionId: previous.loginSessionId } : {};
    let result: StoredResult;
    if (decision === "allow") {
      const grant = await this.deps.grants.allow(userId, interaction.clientId, params.request.scopes, claims);
      result = { ...kept, consent: "allow", userId, grantId: grant.id };
    } else {
      await this.deps.grants.recordDenial(userId, interaction.clientId, params.request.scopes, claims);
      result = { ...kept, consent: "deny", userId };
    }
    await this.deps.prisma.interaction.updateMany({ where: { id, consumedAt: null }, data: { result: result as unknown as Prisma.InputJsonValue } });
    await this.deps.audit.record({
      type: decision === "allow" ? "consent.granted" : "consent.denied",
      actorType: "user",
      actorId: userId,
      targetType: "client",
      targetId: params.request.clientId,
      details: { scopes: params.request.scopes, ...(claims.length > 0 && { claims }) },
    });
    return { status: "ok", redirectTo: resumeUrl(id) };
  }

  /**
   * Continues an interaction (GET /oauth/authorize/resume): checks what is still needed with the
   * browser's current session and either sends the user to login or consent, or consumes the
   * interaction (exactly once) and returns the authorization response to send.
   */
  async resume(id: string, browserBinding: string | undefined, session: Session | null): Promise<ResumeStep> {
    const loaded = await this.load(id, browserBinding);
    if (!("interaction" in loaded)) return { kind: "invalid", reason: loaded.reason };
    const { interaction, params } = loaded;
    const request = params.request;
    const client = await this.deps.clients.findActive(request.clientId);
    if (!client || client.id !== interaction.clientId) return { kind: "invalid", reason: "client_disabled" };

    if (!session) {
      await this.setPrompt(id, "login");
      return { kind: "redirect", location: pageUrl("login", id, request.uiLocales) };
    }
    let result = interaction.result as StoredResult | null;
    if (interaction.userId !== session.userId || interaction.sessionId !== session.id) {
      // The browser's session changed since (signed in elsewhere, or as someone else): continue with it.
      const sameUser = interaction.userId === session.userId;
      if (!sameUser) result = null;
      await this.deps.prisma.interaction.updateMany({
        where: { id, consumedAt: null },
        data: { userId: session.userId, sessionId: session.id, ...(!sameUser && { result: Prisma.DbNull }) },
      });
    }
    if (result && result.userId !== session.userId) result = null;

    const step = await this.step(client, request, session, {
      signedInHere: result?.loginSessionId === session.id,
      consentDecided: result?.consent === "allow" || result?.consent === "deny",
    });
    if (step.kind !== "proceed" && step.kind !== "error") {
      await this.setPrompt(id, step.kind);
      return { kind: "redirect", location: pageUrl(step.kind, id, request.uiLocales) };
    }

    // Single use: only the request that flips consumedAt from null gets to answer.
    const consumed = await this.deps.prisma.interaction.updateMany({
      where: { id, tenantId: this.deps.tenantId, consumedAt: null, expiresAt: { gt: this.deps.clock.now() } },
      data: { consumedAt: this.deps.clock.now() },
    });
    if (consumed.count !== 1) return { kind: "invalid", reason: "consumed" };

    if (step.kind === "error") return { kind: "respond", client, request, outcome: { error: new OAuthError(step.error, step.description) } };
    if (result?.consent === "deny") {
      // RFC 6749 §4.1.2.1: "access_denied: The resource owner or authorization server denied the request."
      return { kind: "respond", client, request, outcome: { error: new OAuthError("access_denied", "the user denied the request") } };
    }
    const code = await this.issueCode(client, request, session);
    return { kind: "respond", client, request, outcome: { code } };
  }

  /** The interaction policy's decision (lib/oidc/interaction-policy.ts) for this request and session. */
  private async step(
    client: Client,
    request: AuthorizationRequest,
    session: Session | null,
    progress: { signedInHere: boolean; consentDecided: boolean },
  ): Promise<AuthenticationStep> {
    const parsed = parsePrompt(request.prompt);
    const prompts = parsed.ok ? parsed.values : [];
    const essentialAcr = essentialAcrRequest(request.claims);
    const reauthentication = session
      ? reauthenticationReason({
          prompts,
          // OIDC Core §3.1.2.1 max_age, else the client's default_max_age (OIDC Registration §2).
          maxAge: effectiveMaxAge(request.maxAge, client.defaultMaxAge),
          authTimeMs: session.authTime.getTime(),
          nowMs: this.deps.clock.nowMs(),
          ...(request.idTokenHintSub !== undefined && { hintSubject: request.idTokenHintSub }),
          sessionSubject: this.deps.subjects.subjectFor(client, session.userId),
          essentialAcr,
          sessionAcr: session.acr,
        })
      : null;
    // The grant is looked up only for a signed-in user who has not answered the consent screen
    // here yet: the one fact of the policy that costs a query.
    const consentNeeded = session && !progress.consentDecided ? await this.needsConsent(client, session.userId, request) : false;
    return nextAuthenticationStep({
      prompts,
      acrSatisfiable: canSatisfyAcr(essentialAcr),
      hasSession: session !== null,
      reauthentication,
      signedInHere: progress.signedInHere,
      consentNeeded,
      consentDecided: progress.consentDecided,
    });
  }

  private async needsConsent(client: Client, userId: string, request: AuthorizationRequest): Promise<boolean> {
    // First-party clients registered with requireConsent=false never ask (unless prompt=consent).
    if (!client.requireConsent) return false;
    const claims = individuallyRequestedClaims(request.claims, request.scopes).map((c) => c.name);
    return !GrantService.covers(await this.deps.grants.findActive(userId, client.id), request.scopes, claims);
  }

  private async setPrompt(id: string, prompt: InteractionPrompt): Promise<void> {
    await this.deps.prisma.interaction.updateMany({ where: { id, consumedAt: null }, data: { prompt } });
  }

  private async load(
    id: string,
    browserBinding: string | undefined,
  ): Promise<{ interaction: Interaction; params: StoredParams } | { reason: "not_found" | "expired" | "consumed" | "other_browser" }> {
    if (!isInteractionId(id)) return { reason: "not_found" };
    const interaction = await this.deps.prisma.interaction.findFirst({ where: { id, tenantId: this.deps.tenantId } });
    if (!interaction) return { reason: "not_found" };
    const params = interaction.params as unknown as StoredParams;
    // The browser that started the request must be the one finishing it (login CSRF, RFC 9700 §4.7).
    if (!isBrowserBinding(browserBinding) || !timingSafeEqualStrings(hashSecret(browserBinding), params.binding)) {
      return { reason: "other_browser" };
    }
    if (interaction.consumedAt) return { reason: "consumed" };
    if (interaction.expiresAt.getTime() <= this.deps.clock.nowMs()) return { reason: "expired" };
    return { interaction, params };
  }
}

/**
 * The login or consent page of an interaction. The request's `ui_locales` (OIDC Core §3.1.2.1)
 * rides along in the URL, so that the whole page, layout included, is rendered in that language
 * (proxy.ts passes it to the i18n configuration); it is a list of language tags, nothing more.
 */
export function pageUrl(prompt: InteractionPrompt, id: string, uiLocales?: string): string {
  const base = `${PROMPT_PAGES[prompt]}?interaction=${encodeURIComponent(id)}`;
  const locales = uiLocales?.trim();
  return isUiLocalesValue(locales) ? `${base}&ui_locales=${encodeURIComponent(locales)}` : base;
}

export function resumeUrl(id: string): string {
  return `${RESUME_PATH}?interaction=${encodeURIComponent(id)}`;
}
