/**
 * The hand-off between the authorization endpoint and the login and consent pages.
 *
 * A valid authorization request that needs the user is stored (./store.ts) and the browser sent
 * to the page of the prompt it needs (./browser.ts). The pages call `get` (./view.ts),
 * `submitLogin` and `submitConsent`; `GET /oauth/authorize/resume` calls `resume`, which either
 * sends the user on to the next page or consumes the interaction (single use) and produces the
 * authorization response.
 *
 * What is needed next (login, consent, nothing, or an error for prompt=none) is decided by the
 * interaction policy (lib/oidc/interaction-policy.ts) from the OpenID Connect rules of
 * lib/oidc/authentication-request.ts, the browser's session and what already happened in this
 * interaction (a sign-in completed here, a consent decision).
 */
import type { Client, PrismaClient, Session } from "../../generated/prisma/client";
import type { AuditLog } from "../../audit/audit-log";
import type { ClientService } from "../../clients/client-service";
import { GrantService } from "../../consent/grant-service";
import type { PasswordLoginService } from "../../identity/password-login";
import {
  chooseAcr,
  canSatisfyAcr,
  effectiveMaxAge,
  essentialAcrRequest,
  individuallyRequestedClaims,
  parseAcrValues,
  parsePrompt,
  reauthenticationReason,
} from "../../oidc/authentication-request";
import { nextAuthenticationStep, type AuthenticationStep, type InteractionPrompt } from "../../oidc/interaction-policy";
import type { SubjectIdentifiers } from "../../oidc/subject";
import type { Clock } from "../../server/clock";
import type { BrowserSessionService } from "../../sessions/browser-session";
import { issueAuthorizationCode } from "../authorization-code";
import type { AuthorizationRequest } from "../authorization-request";
import { OAuthError } from "../errors";
import { pageUrl, resumeUrl } from "./browser";
import type { InteractionResult, InteractionStore } from "./store";
import type { InteractionView, InteractionViews } from "./view";

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
      store: InteractionStore;
      views: InteractionViews;
      /** The authorization codes' storage (issueAuthorizationCode). */
      prisma: PrismaClient;
      clock: Clock;
      tenantId: string;
      clients: ClientService;
      sessions: BrowserSessionService;
      grants: GrantService;
      audit: AuditLog;
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
    const id = await this.deps.store.create(client, request, session, browserBinding, prompt);
    return { id, location: pageUrl(prompt, id, request.uiLocales) };
  }

  /** The interaction for the login/consent page, or null when it is unknown, expired, used or not this browser's. */
  async get(id: string, browserBinding: string | undefined): Promise<InteractionView | null> {
    const loaded = await this.deps.store.load(id, browserBinding);
    if (!("interaction" in loaded)) return null;
    return this.deps.views.of(loaded);
  }

  /**
   * Checks the credentials for a pending interaction (PasswordLoginService: throttled attempts are
   * refused without checking the password). On success a new browser session is started (the
   * caller sets its cookie) and the interaction continues at the resume URL. A failure never says
   * whether the email or the password was wrong.
   */
  async submitLogin(id: string, browserBinding: string | undefined, email: string, password: string, meta: RequestMeta = {}): Promise<LoginOutcome> {
    const loaded = await this.deps.store.load(id, browserBinding);
    if (!("interaction" in loaded)) return { status: "invalid_interaction" };
    const authenticated = await this.deps.passwordLogin.authenticate(email, password, meta);
    if (authenticated.status !== "ok") return authenticated;
    const { user } = authenticated;
    const { request } = loaded;
    // OIDC Core §3.1.2.1 acr_values (voluntary, in order of preference) and an essential acr
    // (§5.5.1.1): the first one we support; a password sign-in otherwise.
    const acr = chooseAcr(parseAcrValues(request.acrValues), essentialAcrRequest(request.claims)?.values ?? null);
    // The browser's session when this request started (or last resumed): the same user signing in
    // again (prompt=login, max_age, select_account) keeps it, another user replaces it.
    const current = loaded.interaction.sessionId ? await this.deps.sessions.findValid(loaded.interaction.sessionId) : null;
    const session = await this.deps.passwordLogin.startSession(user, { current, acr, meta });
    // A consent decision made by someone else in this browser does not carry over.
    const previous = loaded.result;
    const result: InteractionResult = { ...(previous?.userId === user.id && previous), userId: user.id, loginSessionId: session.id };
    await this.deps.store.recordSignIn(id, session, result);
    return { status: "signed_in", session, redirectTo: resumeUrl(id) };
  }

  /**
   * Records the user's consent decision. "allow" creates or extends the Grant and appends a
   * ConsentRecord; "deny" appends a ConsentRecord. Both continue at the resume URL, which sends
   * the code or `access_denied` (RFC 6749 §4.1.2.1) to the client.
   */
  async submitConsent(id: string, browserBinding: string | undefined, decision: "allow" | "deny"): Promise<ConsentOutcome> {
    const loaded = await this.deps.store.load(id, browserBinding);
    if (!("interaction" in loaded)) return { status: "invalid_interaction" };
    const { interaction, request } = loaded;
    const userId = interaction.userId;
    if (!userId) return { status: "login_required", redirectTo: pageUrl("login", id, request.uiLocales) };
    // OIDC Core §5.5: the individually requested claims are part of what the user allows.
    const claims = individuallyRequestedClaims(request.claims, request.scopes).map((c) => c.name);
    const previous = loaded.result;
    // Keep the record of a sign-in completed here (by this user).
    const kept: Partial<InteractionResult> = previous?.userId === userId && previous.loginSessionId ? { loginSessionId: previous.loginSessionId } : {};
    let result: InteractionResult;
    if (decision === "allow") {
      const grant = await this.deps.grants.allow(userId, interaction.clientId, request.scopes, claims);
      result = { ...kept, consent: "allow", userId, grantId: grant.id };
    } else {
      await this.deps.grants.recordDenial(userId, interaction.clientId, request.scopes, claims);
      result = { ...kept, consent: "deny", userId };
    }
    await this.deps.store.recordResult(id, result);
    await this.deps.audit.record({
      type: decision === "allow" ? "consent.granted" : "consent.denied",
      actorType: "user",
      actorId: userId,
      targetType: "client",
      targetId: request.clientId,
      details: { scopes: request.scopes, ...(claims.length > 0 && { claims }) },
    });
    return { status: "ok", redirectTo: resumeUrl(id) };
  }

  /**
   * Continues an interaction (GET /oauth/authorize/resume): checks what is still needed with the
   * browser's current session and either sends the user to login or consent, or consumes the
   * interaction (exactly once) and returns the authorization response to send.
   */
  async resume(id: string, browserBinding: string | undefined, session: Session | null): Promise<ResumeStep> {
    const loaded = await this.deps.store.load(id, browserBinding);
    if (!("interaction" in loaded)) return { kind: "invalid", reason: loaded.reason };
    const { interaction, request } = loaded;
    const client = await this.deps.clients.findActive(request.clientId);
    if (!client || client.id !== interaction.clientId) return { kind: "invalid", reason: "client_disabled" };

    if (!session) {
      await this.deps.store.setPrompt(id, "login");
      return { kind: "redirect", location: pageUrl("login", id, request.uiLocales) };
    }
    let result = loaded.result;
    if (interaction.userId !== session.userId || interaction.sessionId !== session.id) {
      // The browser's session changed since (signed in elsewhere, or as someone else): continue with it.
      const sameUser = interaction.userId === session.userId;
      if (!sameUser) result = null;
      await this.deps.store.moveToSession(id, session, !sameUser);
    }
    if (result && result.userId !== session.userId) result = null;

    const step = await this.step(client, request, session, {
      signedInHere: result?.loginSessionId === session.id,
      consentDecided: result?.consent === "allow" || result?.consent === "deny",
    });
    if (step.kind !== "proceed" && step.kind !== "error") {
      await this.deps.store.setPrompt(id, step.kind);
      return { kind: "redirect", location: pageUrl(step.kind, id, request.uiLocales) };
    }

    // Single use: only the request that flips consumedAt from null gets to answer.
    if (!(await this.deps.store.consume(id))) return { kind: "invalid", reason: "consumed" };

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
}
