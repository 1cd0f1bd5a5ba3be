/**
 * The UserInfo endpoint (OIDC Core §5.3): GET or POST with a bearer access token (RFC 6750 §2.1
 * Authorization header, or §2.2 form body on POST), answering the claims the token's scopes
 * (Core §5.4) and claims request (§5.5) release for its subject. Errors per RFC 6750 §3.
 *
 * The token is verified in memory (keys from the key store, revocation from the jti list) and must
 * be meant for UserInfo (its `aud`); the database is read once: the token's row joined to its user.
 */
import type { RouteHandler } from "../http/types";
import type { AccessTokenClaims } from "../oauth/access-token";
import { OAuthError, oauthJson } from "../oauth/errors";
import { readFormBody } from "../oauth/params";
import type { Client } from "../generated/prisma/client";
import type { Container } from "../server/container";
import { claimColumns, releasedClaims, type ClaimSource } from "./claims";
import { oidcPaths } from "../protocol/paths";

/**
 * RFC 6750 §2.1: b64token. Its characters are printable ASCII, so a header token always passes the
 * edge text rule (lib/http/input.ts); a form-body token (§2.2) went through the form reader's.
 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Browser apps call UserInfo cross-origin with the token in a header, never with cookies. */
const corsHeaders = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "WWW-Authenticate",
};

function challenge(container: Container, error?: OAuthError): string {
  // RFC 6750 §3: realm, then error, error_description (and scope for insufficient_scope).
  let value = `Bearer realm="${container.config.issuer}"`;
  if (error) {
    value += `, error="${error.error}"`;
    if (error.description) value += `, error_description="${error.description.replace(/["\\]/g, "")}"`;
    if (error.error === "insufficient_scope") value += `, scope="openid"`;
  }
  return value;
}

function failure(container: Container, error: OAuthError): Response {
  // RFC 6750 §3: the error goes into WWW-Authenticate (and, as a courtesy, the JSON body).
  return oauthJson({ error: error.error, ...(error.description && { error_description: error.description }) }, error.status, {
    "www-authenticate": challenge(container, error),
    ...corsHeaders,
  });
}

/** The bearer token of the request, or a response explaining why there is none. */
async function bearerToken(request: Request, container: Container): Promise<string | Response> {
  const authorization = request.headers.get("authorization");
  let fromHeader: string | undefined;
  if (authorization !== null) {
    const match = BEARER.exec(authorization);
    // RFC 6750 §3.1: a malformed Authorization header is an invalid_request.
    if (!match) return failure(container, new OAuthError("invalid_request", "the Authorization header is not a Bearer token", { status: 400 }));
    fromHeader = match[1];
  }
  let fromBody: string | undefined;
  // RFC 6750 §2.2: the form-encoded body parameter; any other body is not ours to read.
  const type = request.headers.get("content-type") ?? "";
  if (request.method === "POST" && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    let params: Map<string, string>;
    try {
      params = await readFormBody(request);
    } catch (error) {
      if (error instanceof OAuthError) return failure(container, new OAuthError("invalid_request", error.description, { status: error.status }));
      throw error;
    }
    fromBody = params.get("access_token");
  }
  // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each request."
  if (fromHeader !== undefined && fromBody !== undefined) {
    return failure(container, new OAuthError("invalid_request", "the token was sent in more than one way", { status: 400 }));
  }
  const token = fromHeader ?? fromBody;
  if (token === undefined || token === "") {
    // RFC 6750 §3.1: without any authentication information the challenge carries no error code.
    return oauthJson({ error: "invalid_token", error_description: "a bearer access token is required" }, 401, { "www-authenticate": challenge(container), ...corsHeaders });
  }
  return token;
}

/** The columns read for UserInfo, as SQL (Prisma's quoted camelCase names). */
const userColumns = claimColumns.map((c) => `u."${c}"`).join(", ");
const USERINFO_QUERY = `SELECT ${userColumns}, u."status", a."userinfoClaims" AS "userinfoClaims"
  FROM "AccessToken" a JOIN "User" u ON u."id" = a."userId"
  WHERE a."jti" = $1 AND a."tenantId" = $2 AND a."clientId" = $3 AND a."revokedAt" IS NULL`;

/**
 * The user behind a verified token, with the claims the token's claims request named, in one
 * query (the token's row joined to its user): null when the row is gone or revoked, or the user
 * is not active. Plain SQL rather than Prisma here: measured, Prisma's two reads cost 2-5 ms per
 * request against ~0.6-1 ms for this one statement (docs/benchmarks.md).
 */
async function subjectUser(container: Container, claims: AccessTokenClaims, client: Client): Promise<{ user: ClaimSource; userinfoClaims: string[] } | null> {
  const rows = await container.db.sql.query<Record<string, unknown>>(USERINFO_QUERY, [claims.jti, client.tenantId, client.id]);
  const row = rows[0];
  if (!row || row.status !== "active") return null;
  const user = Object.fromEntries(claimColumns.map((c) => [c, row[c] ?? null])) as unknown as ClaimSource;
  // Drivers return timestamptz as a Date (pg) or a string; the claim needs the instant.
  user.updatedAt = row.updatedAt instanceof Date ? row.updatedAt : new Date(String(row.updatedAt));
  return { user, userinfoClaims: Array.isArray(row.userinfoClaims) ? (row.userinfoClaims as string[]) : [] };
}

/** True when the token's audience names the issuer or the UserInfo endpoint. */
function isForUserinfo(aud: string | string[], issuer: string): boolean {
  const userinfoUrl = issuer + oidcPaths.userinfo;
  return Array.isArray(aud) ? aud.some((a) => a === issuer || a === userinfoUrl) : aud === issuer || aud === userinfoUrl;
}

export const userinfoHandler: RouteHandler = async (request, { container }) => {
  if (request.method === "OPTIONS") {
    // CORS preflight (Fetch standard) for the Authorization header.
    return new Response(null, {
      status: 204,
      headers: { ...corsHeaders, "access-control-allow-methods": "GET, POST", "access-control-allow-headers": "Authorization, Content-Type", "access-control-max-age": "600" },
    });
  }
  const token = await bearerToken(request, container);
  if (token instanceof Response) return token;

  const verified = container.accessTokens.verify(token);
  const claims = verified instanceof Promise ? await verified : verified;
  // RFC 6750 §3.1: expired, revoked, malformed or foreign tokens are invalid_token (401).
  if (!claims) return failure(container, new OAuthError("invalid_token", "the access token is invalid, expired or revoked"));
  // RFC 9068 §4: a resource server MUST check that `aud` names it. UserInfo is the issuer's own
  // resource: the issuer or the UserInfo URL (as a resource indicator, RFC 8707 §2). A token minted
  // for another resource server is not accepted here (RFC 6750 §3.1 invalid_token).
  if (!isForUserinfo(claims.aud, container.config.issuer)) {
    return failure(container, new OAuthError("invalid_token", "the access token is not meant for this resource"));
  }
  const scopes = claims.scope ? claims.scope.split(" ") : [];
  // OIDC Core §5.3: UserInfo serves OpenID requests; RFC 6750 §3.1 insufficient_scope (403).
  if (!scopes.includes("openid")) return failure(container, new OAuthError("insufficient_scope", "the access token lacks the openid scope"));

  const found = container.clients.findActive(claims.client_id);
  const client = found instanceof Promise ? await found : found;
  const subject = client ? await subjectUser(container, claims, client) : null;
  if (!subject) return failure(container, new OAuthError("invalid_token", "the access token is invalid, expired or revoked"));
  // OIDC Core §5.3.2: sub is always returned and equals the ID token's sub (the token already carries it).
  const body = { ...releasedClaims(subject.user, scopes, subject.userinfoClaims), sub: claims.sub };
  return oauthJson(body, 200, corsHeaders);
};
