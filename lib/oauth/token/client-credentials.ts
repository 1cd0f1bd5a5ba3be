import { z } from "zod";
import { resolveAudience, type AccessTokenService } from "../access-token";
import { OAuthError } from "../errors";
import { parseScope } from "../params";
import type { GrantRequest, TokenResponse } from "./grant";

export const grantType = "client_credentials" as const;

/** Parameters of the client_credentials grant (OAuth 2.1 §4.2.1). */
export const parameters = z.object({
  scope: z.string().optional(),
  resource: z.string().optional(),
});

/** What a client's token for itself needs: nothing from storage. */
export interface ClientCredentialsGrantDeps {
  accessTokens: Pick<AccessTokenService, "issue">;
  /** The issuer: the audience of tokens for Authly's own APIs (RFC 8707). */
  issuer: string;
}

/** Scopes that describe a user and mean nothing without one. */
const userScopes = new Set(["openid", "offline_access"]);

/**
 * OAuth 2.1 §4.2: a confidential client obtains a token for itself. The hot path: the client comes
 * from the in-memory cache, the signing key from the key store; nothing is read from or written to
 * the database (the token is a self-contained JWT; revocation uses the jti list).
 */
export async function handler(deps: ClientCredentialsGrantDeps, { client, params }: GrantRequest<z.infer<typeof parameters>>): Promise<TokenResponse> {
  // OAuth 2.1 §4.2: only confidential clients may use this grant.
  if (client.type !== "confidential" || client.tokenEndpointAuthMethod === "none") {
    throw new OAuthError("unauthorized_client", "client_credentials is only for confidential clients");
  }
  const allowed = client.scopes.filter((s) => !userScopes.has(s));
  let scopes: string[];
  if (params.scope === undefined) {
    scopes = allowed; // RFC 6749 §3.3: a default scope when none is requested.
  } else {
    scopes = parseScope(params.scope);
    // RFC 6749 §3.3 lets the server ignore or refuse; at the token endpoint we refuse, so an
    // integration mistake is visible instead of producing a token with less than expected.
    const refused = scopes.filter((s) => !allowed.includes(s));
    if (refused.length > 0) throw new OAuthError("invalid_scope", "the client may not request this scope");
  }
  const audience = resolveAudience(params.resource, client.resources, deps.issuer);
  const access = await deps.accessTokens.issue({
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
}
