/**
 * Every path Authly's code refers to, defined once: the protocol endpoints of the route table
 * (lib/http/routes.ts) and their metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3), and the
 * pages the protocol and the mails send people to. This module imports nothing.
 */

/** OAuth 2.1 endpoints (RFC 8414 §2 member names). */
export const oauthPaths = {
  authorization: "/oauth/authorize",
  /** Where the login and consent pages hand an authorization request back (lib/oauth/interaction/flow.ts). */
  authorizationResume: "/oauth/authorize/resume",
  token: "/oauth/token",
  /** RFC 7009 */
  revocation: "/oauth/revoke",
  /** RFC 7662 */
  introspection: "/oauth/introspect",
  /** RFC 7517 JWK Set of the signing keys. */
  jwks: "/oauth/jwks",
} as const;

/** OpenID Connect endpoints (announced in the provider metadata). */
export const oidcPaths = {
  userinfo: "/oidc/userinfo",
  /** RP-Initiated Logout 1.0 §2 end_session_endpoint. */
  endSession: "/oidc/logout",
  /** Session Management 1.0 §3.3 check_session_iframe. */
  checkSession: "/oidc/check-session",
} as const;

/** RFC 8615 well-known URIs. */
export const wellKnownPaths = {
  /** RFC 8414 §3 authorization server metadata. */
  oauthAuthorizationServer: "/.well-known/oauth-authorization-server",
  /** OpenID Connect Discovery 1.0 §4. */
  openidConfiguration: "/.well-known/openid-configuration",
} as const;

/** Operations: liveness and readiness probes. */
export const operationsPaths = {
  health: "/api/health",
  ready: "/api/ready",
} as const;

/** The pages of sign-in, consent, logout, registration and the mailed links. */
export const pagePaths = {
  login: "/login",
  consent: "/consent",
  /** RP-Initiated Logout 1.0 §2: "ask the End-User whether to log out of the OP as well". */
  confirmLogout: "/logout",
  signedOut: "/logout/done",
  register: "/register",
  verifyEmail: "/verify-email",
  forgotPassword: "/forgot-password",
  resetPassword: "/reset-password",
  privacy: "/privacy",
} as const;

/** The signed-in user's self-service pages. */
export const accountPaths = {
  overview: "/account",
  profile: "/account/profile",
  password: "/account/password",
  sessions: "/account/sessions",
  applications: "/account/applications",
} as const;
export type AccountPath = (typeof accountPaths)[keyof typeof accountPaths];
