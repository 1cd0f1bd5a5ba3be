/** Where the OpenID Connect endpoints live (announced in /.well-known/openid-configuration). */
export const oidcPaths = {
  discovery: "/.well-known/openid-configuration",
  userinfo: "/oidc/userinfo",
  /** RP-Initiated Logout 1.0 §2 end_session_endpoint. */
  endSession: "/oidc/logout",
  /** Session Management 1.0 §3.3 check_session_iframe. */
  checkSession: "/oidc/check-session",
} as const;
