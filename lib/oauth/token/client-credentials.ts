import { z } from "zod";
import { resolveAudience } from "../access-token";
import { OAuthError } from "../errors";
import { parseScope } from "../params";
import type { GrantHandler } from "./types";

const clientCredentialsParams = z.object({
  scope: z.string().optional(),
  resource: z.string().optional(),
});

/** Scopes that describe a user and mean nothing without one. */
const userScopes = new Set(["openid", "offline_access"]);

/**
 * OAuth 2.1 §4.2: a confidential client obtains a token for itself. The hot path: the client comes
 * from the in-memory cache, the signing key from the key store; nothing is read from or written to
 * the database (the token is a self-contained JWT; revocation uses the jti list).
 */
export const clientCredentialsGrant: GrantHandler = async ({ container, client, params }) => {
  // OAuth 2.1 §4.2: only confidential clients may use this grant.
  if (client.type !== "confidential" || client.tokenEndpointAuthMethod === "none") {
    throw new OAuthError("unauthorized_client", "client_credentials is only for confidential clients");
  }
  const parsed = clientCredentialsParams.safeParse(Object.fromEntries(params));
  if (!parsed.success) throw new OAuthError("invalid_request", parsed.error.issues[0]!.message);
  const allowed = client.scopes.filter((s) => !userScopes.has(s));
  let scopes: string[];
  if (parsed.data.scope === undefined) {
    scopes = allowed; // RFC 6749 §3.3: a default scope when none is requested.
  } else {
    scopes = parseScope(parsed.data.scope);
    // RFC 6749 §3.3 lets the server ignore or refuse; at the token endpoint we refuse, so an
    // integration mistake is visible instead of producing a token with less than expected.
    const refused = scopes.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw new OAuthError("invalid_scope", "the client may not request this scope");
  }
  const audience = resolveAudience(parsed.data.resource, client.resources, container.config.issuer);
  const access = await container.accessTokens.issue({
    client,
    // RFC 9068 §2.2: without a resource owner, sub identifies the client.
    subject: client.clientId,
    scopes,
    audience,
    ttlSeconds: client.accessTokenTtl,
  });
  const body: { access_token: string; token_type: "Bearer"; expires_in: number; scope?: string } = {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
  };
  if (scopes.length > 0) body.scope = scopes.join(" ");
  return body;
};
