import type { Client } from "../../generated/prisma/client";
import type { Prisma } from "../../generated/prisma/client";
import { hashSecret, randomToken } from "../../security/secrets";
import type { Clock } from "../../server/clock";
import { parseClaimsRequest, releasedClaims, requestedUserClaims, type ClaimSource } from "../../oidc/claims";
import type { IdTokenService } from "../../oidc/id-token";
import type { SubjectIdentifiers } from "../../oidc/subject";
import type { AccessTokenService } from "../access-token";
import { newRowId, type IssuedRecords, type NewRefreshToken } from "../token-store/interface";
import type { TokenResponse } from "./grant";

/** Where the claims of a user come from (UserService in the server). */
export interface UserDirectory {
  findById(userId: string): Promise<ClaimSource | null>;
}

/** What issuing a user's tokens needs: the grants that issue them (code, refresh) extend it. */
export interface UserTokenDeps {
  clock: Clock;
  accessTokens: Pick<AccessTokenService, "issue">;
  /** OIDC Core §8: public or pairwise subject identifiers. */
  subjects: Pick<SubjectIdentifiers, "subjectFor">;
  idTokens: Pick<IdTokenService, "issue">;
  /** Read only for user claims the claims request asks for in the ID token (OIDC Core §5.5). */
  users: UserDirectory;
}

export interface UserGrant {
  client: Client;
  userId: string;
  /** Scopes the refresh token (and by default the access token) carry. */
  scopes: string[];
  /** Scopes of this access token: a subset of `scopes` when the request narrowed them (RFC 6749 §6). */
  accessScopes: string[];
  resources: string[];
  audience: string[];
  sessionId: string | null;
  authTime: Date | null;
  acr: string | null;
  amr: string[];
  claims: Prisma.JsonValue | null;
  /** The authentication request's nonce: echoed in the ID token of a code exchange (OIDC Core §3.1.3.6), not on refresh. */
  nonce: string | null;
  authorizationCodeId: string | null;
  /** Continue this refresh token family (rotation) or start a new one; null: no refresh token. */
  refresh: { familyId: string; expiresAt: Date } | "new" | null;
}

/**
 * The tokens of a user grant, planned before anything is stored: the rows to insert (in the same
 * transaction that consumes the code or rotates the refresh token, lib/oauth/token-store/), and
 * `respond`, which signs the tokens once those rows are committed. Nothing is signed for a request
 * that loses a race.
 */
export interface PlannedUserTokens {
  records: IssuedRecords;
  respond(): Promise<TokenResponse>;
}

export function planUserTokens(deps: UserTokenDeps, grant: UserGrant): PlannedUserTokens {
  const now = deps.clock.now();
  const iat = Math.floor(now.getTime() / 1000);
  const jti = newRowId();
  const accessExpiresAt = new Date((iat + grant.client.accessTokenTtl) * 1000);

  let refreshToken: string | undefined;
  let refreshRecord: NewRefreshToken | undefined;
  let family: IssuedRecords["family"];
  if (grant.refresh) {
    refreshToken = randomToken(32);
    const familyId = grant.refresh === "new" ? newRowId() : grant.refresh.familyId;
    const expiresAt = grant.refresh === "new" ? new Date(now.getTime() + grant.client.refreshTokenTtl * 1000) : grant.refresh.expiresAt;
    if (grant.refresh === "new") {
      family = { id: familyId, clientId: grant.client.id, userId: grant.userId, sessionId: grant.sessionId, authorizationCodeId: grant.authorizationCodeId, createdAt: now, expiresAt };
    }
    refreshRecord = {
      id: newRowId(),
      tokenHash: hashSecret(refreshToken), // stored hashed, never the token
      familyId,
      clientId: grant.client.id,
      userId: grant.userId,
      sessionId: grant.sessionId,
      authorizationCodeId: grant.authorizationCodeId,
      scopes: grant.scopes,
      resources: grant.resources,
      claims: grant.claims,
      authTime: grant.authTime,
      acr: grant.acr,
      amr: grant.amr,
      createdAt: now,
      expiresAt,
      // Idle expiry renews with each rotation but never passes the family's absolute expiry.
      idleExpiresAt: new Date(Math.min(now.getTime() + grant.client.refreshTokenIdleTtl * 1000, expiresAt.getTime())),
    };
  }

  const records: IssuedRecords = {
    ...(family && { family }),
    ...(refreshRecord && { refreshToken: refreshRecord }),
    accessToken: {
      jti,
      clientId: grant.client.id,
      userId: grant.userId,
      sessionId: grant.sessionId,
      authorizationCodeId: grant.authorizationCodeId,
      refreshTokenId: refreshRecord?.id ?? null,
      familyId: refreshRecord?.familyId ?? null,
      scopes: grant.accessScopes,
      // OIDC Core §5.5: what UserInfo releases beyond the scopes' claims.
      userinfoClaims: requestedUserClaims(parseClaimsRequest(grant.claims)?.userinfo),
      createdAt: now,
      expiresAt: accessExpiresAt,
    },
  };

  const respond = async (): Promise<TokenResponse> => {
    const access = await deps.accessTokens.issue({
      client: grant.client,
      // OIDC Core §8: the subject as this client sees it (pairwise clients get their own value).
      subject: deps.subjects.subjectFor(grant.client, grant.userId),
      scopes: grant.accessScopes,
      audience: grant.audience,
      ttlSeconds: grant.client.accessTokenTtl,
      authTime: grant.authTime,
      acr: grant.acr,
      amr: grant.amr,
      sid: grant.sessionId,
      jti,
      iat,
    });
    const body: TokenResponse = { access_token: access.token, token_type: "Bearer", expires_in: access.expiresIn };
    // RFC 6749 §5.1: scope is returned (we always return it, even when identical to the request).
    if (grant.accessScopes.length > 0) body.scope = grant.accessScopes.join(" ");
    if (refreshToken) body.refresh_token = refreshToken;
    // OIDC Core §3.1.3.3: an ID token for OpenID requests; §12.2: again on refresh, with the
    // original auth_time (carried on the refresh token) and without a nonce.
    if (grant.accessScopes.includes("openid")) body.id_token = await issueIdToken(deps, grant, access.token);
    return body;
  };
  return { records, respond };
}

async function issueIdToken(deps: UserTokenDeps, grant: UserGrant, accessToken: string): Promise<string> {
  // OIDC Core §5.5: user claims asked for in the claims request's id_token member.
  const requested = parseClaimsRequest(grant.claims)?.id_token;
  let userClaims: Record<string, unknown> | undefined;
  if (requested && Object.keys(requested).length > 0) {
    const user = await deps.users.findById(grant.userId);
    if (user) userClaims = releasedClaims(user, [], requested);
  }
  return deps.idTokens.issue({
    client: grant.client,
    userId: grant.userId,
    sessionId: grant.sessionId,
    authTime: grant.authTime,
    acr: grant.acr,
    amr: grant.amr,
    nonce: grant.nonce,
    accessToken,
    userClaims,
  });
}

/** OIDC Core §11: for OpenID requests a refresh token needs offline_access; plain OAuth grants get one when the client may refresh. */
export function mayIssueRefreshToken(client: Client, scopes: readonly string[]): boolean {
  if (!client.grantTypes.includes("refresh_token")) return false;
  return scopes.includes("openid") ? scopes.includes("offline_access") : true;
}
