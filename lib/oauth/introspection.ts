import { z } from "zod";
import type { Client } from "../generated/prisma/client";
import type { Endpoint } from "../http/endpoint";
import type { SubjectIdentifiers } from "../oidc/subject";
import { oauthPaths } from "../protocol/paths";
import type { Clock } from "../server/clock";
import { hashSecret } from "../security/secrets";
import type { AccessTokenClaims, AccessTokenService } from "./access-token";
import type { ClientAuthenticator } from "./client-auth";
import { OAuthError, oauthJson } from "./errors";
import { readFormBody } from "./params";
import type { TokenStore } from "./token-store/interface";

/** What introspection needs: no writes, and no database read for access tokens. */
export interface IntrospectionDeps {
  clientAuth: Pick<ClientAuthenticator, "authenticate">;
  accessTokens: Pick<AccessTokenService, "verify">;
  tokens: Pick<TokenStore, "findRefreshToken">;
  clock: Clock;
  /** OIDC Core §8: the subject as the calling client sees it. */
  subjects: Pick<SubjectIdentifiers, "subjectFor">;
  issuer: string;
}

const introspectionParams = z.object({
  token: z.string({ error: "token is required" }).min(1, { error: "token is required" }).max(8192, { error: "token is too long" }),
  token_type_hint: z.string().max(64).optional(),
});

const inactive = () => oauthJson({ active: false });

/**
 * May `caller` learn about a token issued to `owner` for `audience`? The owner may, and so may a
 * resource server the token is meant for (its client_id or one of its resources is in `aud`).
 * Everything else is answered `active: false` (RFC 7662 §4: do not reveal tokens to other parties).
 */
function mayIntrospect(caller: Client, ownerClientId: string, audience: string | string[] | undefined): boolean {
  if (caller.clientId === ownerClientId) return true;
  const aud = typeof audience === "string" ? [audience] : (audience ?? []);
  return aud.includes(caller.clientId) || caller.resources.some((r) => aud.includes(r));
}

function introspectAccessToken(deps: IntrospectionDeps, caller: Client, token: string): Response | null | Promise<Response | null> {
  if (token.split(".").length !== 3) return null;
  const verified = deps.accessTokens.verify(token);
  return verified instanceof Promise ? verified.then((claims) => accessTokenAnswer(caller, claims)) : accessTokenAnswer(caller, verified);
}

function accessTokenAnswer(caller: Client, claims: AccessTokenClaims | null): Response | null {
  if (!claims) return null;
  if (!mayIntrospect(caller, claims.client_id, claims.aud)) return inactive();
  // RFC 7662 §2.2 members.
  return oauthJson({
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    token_type: "Bearer",
    exp: claims.exp,
    iat: claims.iat,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
    ...(claims.auth_time !== undefined ? { auth_time: claims.auth_time } : {}),
    ...(claims.acr !== undefined ? { acr: claims.acr } : {}),
  });
}

async function introspectRefreshToken(deps: IntrospectionDeps, caller: Client, token: string): Promise<Response | null> {
  if (token.includes(".") || token.length > 512) return null;
  const row = await deps.tokens.findRefreshToken(hashSecret(token));
  if (!row) return null;
  const now = deps.clock.nowMs();
  // RFC 7662 §2.2: revoked (the token or its family), rotated or expired tokens are not active.
  const live =
    !row.revokedAt && !row.familyRevokedAt && !row.rotatedAt && row.expiresAt.getTime() > now && (!row.idleExpiresAt || row.idleExpiresAt.getTime() > now);
  // Refresh tokens are for their client only.
  if (!live || row.clientId !== caller.id) return inactive();
  return oauthJson({
    active: true,
    scope: row.scopes.join(" ") || undefined,
    client_id: caller.clientId,
    token_type: "refresh_token",
    exp: Math.floor((row.idleExpiresAt && row.idleExpiresAt < row.expiresAt ? row.idleExpiresAt : row.expiresAt).getTime() / 1000),
    iat: Math.floor(row.createdAt.getTime() / 1000),
    // The subject as this client sees it (OIDC Core §8: pairwise clients get their own value).
    sub: row.userId ? deps.subjects.subjectFor(caller, row.userId) : undefined,
    iss: deps.issuer,
  });
}

/**
 * RFC 7662 token introspection, client-authenticated. Expired, revoked, forged or foreign tokens
 * are `{"active": false}`. The access-token path reads no database: keys and the client come from
 * memory, revocation from the jti list in the cache.
 */
export function introspectionEndpoint(deps: IntrospectionDeps): Endpoint {
  const endpointUrl = deps.issuer + oauthPaths.introspection;
  return async (request) => {
    const params = await readFormBody(request);
    const { client, method } = await deps.clientAuth.authenticate(request, params, "introspect", endpointUrl);
    // RFC 7662 §2.1: the endpoint requires authorization; a public client cannot authenticate.
    if (method === "none") throw new OAuthError("invalid_client", "introspection requires client authentication", { status: 401 });
    const parsed = introspectionParams.safeParse(Object.fromEntries(params));
    if (!parsed.success) throw new OAuthError("invalid_request", parsed.error.issues[0]!.message);
    const { token, token_type_hint: hint } = parsed.data;
    // RFC 7662 §2.1: the hint only orders the search; unknown hints are ignored.
    const order = hint === "refresh_token" ? [introspectRefreshToken, introspectAccessToken] : [introspectAccessToken, introspectRefreshToken];
    for (const attempt of order) {
      const answer = attempt(deps, client, token);
      const response = answer instanceof Promise ? await answer : answer;
      if (response) return response;
    }
    return inactive();
  };
}
