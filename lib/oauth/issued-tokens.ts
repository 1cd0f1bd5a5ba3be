import type { Clock } from "../server/clock";
import type { RevocationList } from "./revocation-list";
import type { RevocationScope, RevokedAccessTokens, TokenStore } from "./token-store/interface";

/** What a revocation turned off. */
export interface RevocationCount {
  /** Refresh token families revoked. */
  families: number;
  /** Unexpired access tokens revoked (now on the revocation list). */
  accessTokens: number;
}

/**
 * Revokes what was issued together: a refresh token family with its access tokens, everything
 * issued from one authorization code, everything a client holds for a user, everything a user
 * holds, or the access tokens of a browser session. Used by code replay detection (RFC 6749
 * §4.1.2, OAuth 2.1 §4.1.3), refresh token reuse detection (RFC 9700 §4.14.2), revocation
 * (RFC 7009 §2.1), consent withdrawal, logout and password changes. Each revocation is one
 * transaction in the token store (lib/oauth/token-store/); afterwards the revoked access tokens
 * are added to this instance's revocation list and announced to the others.
 */
export class IssuedTokenRevoker {
  constructor(private readonly deps: { store: TokenStore; clock: Clock; revocations: Pick<RevocationList, "added"> }) {}

  /** Revokes every refresh token of the family and every access token issued from it. */
  revokeFamily(familyId: string, reason: string): Promise<RevocationCount> {
    return this.revoke({ kind: "family", familyId }, reason);
  }

  /** Revokes the refresh token families and access tokens issued from an authorization code. */
  revokeIssuedFromCode(authorizationCodeId: string, reason: string): Promise<RevocationCount> {
    return this.revoke({ kind: "code", authorizationCodeId }, reason);
  }

  /**
   * Takes back everything a client holds for a user (a withdrawn consent): every refresh token
   * family with its access tokens, access tokens issued without a refresh token, and codes not yet
   * redeemed (they would still give tokens).
   */
  async revokeAllOfClientForUser(userId: string, clientRowId: string, reason: string): Promise<RevocationCount> {
    const counts = await this.revoke({ kind: "client-user", userId, clientId: clientRowId }, reason);
    await this.deps.store.expirePendingCodes({ userId, clientId: clientRowId }, this.deps.clock.now());
    return counts;
  }

  /**
   * Takes back everything the user holds, with every client, whatever the session state or the
   * client's logout setting: after a password reset or change ("my password may have been stolen")
   * no token obtained before it may still work.
   */
  async revokeAllOfUser(userId: string, reason: string): Promise<RevocationCount> {
    const counts = await this.revoke({ kind: "user", userId }, reason);
    await this.deps.store.expirePendingCodes({ userId }, this.deps.clock.now());
    return counts;
  }

  /**
   * The end of a browser session: every access token issued in it, and the refresh token families
   * of the given clients (those whose `revokeRefreshTokensOnLogout` is on).
   */
  revokeSession(sessionId: string, familiesOfClients: string[], reason: string): Promise<RevocationCount> {
    return this.revoke({ kind: "session", sessionId, familiesOfClients }, reason);
  }

  /** Revokes access tokens by jti (RFC 7009 §2.1), with or without a bookkeeping row. */
  async revokeAccessToken(jti: string, expiresAt: Date): Promise<void> {
    const entries = [{ jti, expiresAt }];
    await this.deps.store.revokeAccessTokens(entries, this.deps.clock.now());
    await this.deps.revocations.added(entries);
  }

  /** Adds what a store transaction revoked (code replay, refresh token reuse) to the revocation list. */
  async announce(revoked: RevokedAccessTokens): Promise<RevocationCount> {
    await this.deps.revocations.added(revoked.accessTokens);
    return { families: revoked.families, accessTokens: revoked.accessTokens.length };
  }

  private async revoke(scope: RevocationScope, reason: string): Promise<RevocationCount> {
    return this.announce(await this.deps.store.revoke(scope, reason, this.deps.clock.now()));
  }
}
