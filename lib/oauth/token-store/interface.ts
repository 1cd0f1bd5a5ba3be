/**
 * The token store: what the token endpoint's grants, introspection, revocation, the
 * `IssuedTokenRevoker`, the revocation list and client authentication need from storage. Two
 * implementations keep the same contract (tests/support/token-store-contract.ts):
 *
 *   SqlTokenStore     (sql.ts)     plain SQL with explicit row locks; the one the server runs
 *   MemoryTokenStore  (memory.ts)  the same rules in memory, for unit tests of the grants
 *
 * The rules every implementation keeps (docs/security.md, "Tokens: rotation, reuse and revocation"):
 *  - a code is redeemed once; a second redemption revokes everything issued from it (RFC 6749
 *    §4.1.2, OAuth 2.1 §4.1.3);
 *  - a refresh token is rotated once; presenting a rotated token revokes its family, whether or
 *    not the family was revoked already (RFC 9700 §4.14.2);
 *  - nothing is ever inserted into a revoked family;
 *  - time is what the caller passes as `now` (the injected clock), never the store's own.
 */
import { randomUUID } from "node:crypto";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A refresh token row to insert. */
export interface NewRefreshToken {
  id: string;
  tokenHash: string;
  familyId: string;
  clientId: string;
  userId: string;
  sessionId: string | null;
  authorizationCodeId: string | null;
  scopes: string[];
  resources: string[];
  claims: unknown;
  authTime: Date | null;
  acr: string | null;
  amr: string[];
  createdAt: Date;
  expiresAt: Date;
  idleExpiresAt: Date;
}

/** The bookkeeping row of an issued JWT access token (the token itself is never stored). */
export interface NewAccessToken {
  jti: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  authorizationCodeId: string | null;
  refreshTokenId: string | null;
  familyId: string | null;
  scopes: string[];
  userinfoClaims: string[];
  createdAt: Date;
  expiresAt: Date;
}

/** A new family to create together with its first refresh token. */
export interface NewFamily {
  id: string;
  clientId: string;
  userId: string;
  sessionId: string | null;
  authorizationCodeId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface IssuedRecords {
  family?: NewFamily;
  refreshToken?: NewRefreshToken;
  accessToken: NewAccessToken;
}

/** Access tokens that a revocation turned off while still unexpired: they go on the revocation list. */
export interface RevokedAccessTokens {
  families: number;
  accessTokens: { jti: string; expiresAt: Date }[];
}

export type CodeRedemption =
  | { outcome: "redeemed" }
  /** The code was used before: everything issued from it is revoked now. */
  | { outcome: "replayed"; revoked: RevokedAccessTokens }
  /** The code row is gone (purged). */
  | { outcome: "missing" };

export type RefreshRotation =
  | { outcome: "rotated" }
  /** The token was rotated before: its family is revoked now. */
  | { outcome: "reused"; revoked: RevokedAccessTokens }
  /** The family was revoked (or the token itself): nothing issued. */
  | { outcome: "revoked" };

/** A presented authorization code, read in one statement with its user's status. */
export interface StoredAuthorizationCode {
  id: string;
  tenantId: string;
  clientId: string;
  userId: string;
  sessionId: string | null;
  /** "" when the authorization request had no redirect_uri (OAuth 2.1 §4.1.3). */
  redirectUri: string;
  scopes: string[];
  resources: string[];
  codeChallenge: string;
  codeChallengeMethod: string;
  nonce: string | null;
  /** The OIDC Core §5.5 claims request. */
  claims: JsonValue | null;
  authTime: Date | null;
  acr: string | null;
  amr: string[];
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
  /** The user's status, null when the user is gone. */
  userStatus: string | null;
}

/** The state of a presented refresh token, read in one statement with its family, user and session. */
export interface StoredRefreshToken {
  id: string;
  tenantId: string;
  tokenHash: string;
  familyId: string;
  clientId: string;
  userId: string | null;
  sessionId: string | null;
  authorizationCodeId: string | null;
  scopes: string[];
  resources: string[];
  claims: JsonValue | null;
  authTime: Date | null;
  acr: string | null;
  amr: string[];
  createdAt: Date;
  expiresAt: Date;
  idleExpiresAt: Date | null;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  familyRevokedAt: Date | null;
  /** The user's status, null when the token has no user. */
  userStatus: string | null;
  /** When the token's browser session ended, if it did. */
  sessionEndedAt: Date | null;
}

/** What to revoke: families matching a condition, plus access tokens matching one (any of them). */
export type RevocationScope =
  | { kind: "family"; familyId: string }
  | { kind: "code"; authorizationCodeId: string }
  | { kind: "user"; userId: string }
  | { kind: "client-user"; userId: string; clientId: string }
  /** The access tokens issued in a browser session, and the families of the given clients in it. */
  | { kind: "session"; sessionId: string; familiesOfClients: string[] };

export interface TokenStore {
  /** A presented authorization code (by the hash of the code) with its user's status; null when unknown. */
  findAuthorizationCode(codeHash: string): Promise<StoredAuthorizationCode | null>;

  /**
   * OAuth 2.1 §4.1.3: redeems an authorization code once: marks it used and stores the tokens
   * issued for it, atomically. If it was used before (concurrently or earlier), revokes everything
   * issued from it instead (RFC 6749 §4.1.2) and reports the replay. Of concurrent redemptions
   * exactly one is `redeemed`.
   */
  redeemCode(codeId: string, now: Date, records: IssuedRecords, reason?: string): Promise<CodeRedemption>;

  /** A presented refresh token (by its hash) with its family's, user's and session's state; null when unknown. */
  findRefreshToken(tokenHash: string): Promise<StoredRefreshToken | null>;

  /**
   * OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: rotates a refresh token and stores its successor and the
   * new access token, atomically. A revoked family (or token) issues nothing (`revoked`); a token
   * rotated before is reuse: its family is revoked, after any concurrent rotation that won has
   * stored its tokens, so those are revoked too (`reused`). Of concurrent rotations exactly one is `rotated`.
   */
  rotateRefreshToken(token: { id: string; familyId: string }, now: Date, records: IssuedRecords & { refreshToken: NewRefreshToken }): Promise<RefreshRotation>;

  /**
   * Revokes what matches `scope`: the families (on the family first, so nothing can join them
   * later; an earlier revocation's time and reason are kept), their refresh tokens, and their
   * access tokens together with the other access tokens the scope names. Returns the number of
   * families matched and the access tokens turned off that were still unexpired at `now`.
   */
  revoke(scope: RevocationScope, reason: string, now: Date): Promise<RevokedAccessTokens>;

  /** Expires the unredeemed, unexpired codes a client holds for a user (all clients when none is named); returns how many. */
  expirePendingCodes(where: { userId: string; clientId?: string }, now: Date): Promise<number>;

  /**
   * Records revoked access tokens by jti (RFC 7009 §2.1), whether or not they have a bookkeeping
   * row (client_credentials tokens have none); entries already expired at `now` are skipped.
   */
  revokeAccessTokens(entries: { jti: string; expiresAt: Date }[], now: Date): Promise<void>;

  /**
   * RFC 7523 §3 item 7: records the jti of a client assertion, once. True when this is its first
   * use; false when an assertion of the same client with the same jti, unexpired at `now`, used
   * it already. Of concurrent presentations exactly one wins.
   */
  recordClientAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;

  /**
   * The revocation list's record (RFC 7662 §2.2: a revoked token is not active): entries
   * unexpired at `now` and recorded at or after `since` (by the store's own clock; null: all),
   * with the store's clock reading.
   */
  revokedSince(since: Date | null, now: Date): Promise<{ databaseNow: Date; entries: { jti: string; expiresAt: Date }[] }>;
}

/** A new random identifier for a family or token row. */
export const newRowId = (): string => randomUUID();
