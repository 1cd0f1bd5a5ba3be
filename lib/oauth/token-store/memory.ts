/**
 * The token store in memory: the same contract as SqlTokenStore (interface.ts; both run
 * tests/support/token-store-contract.ts), for unit tests of the grants and endpoints that need no
 * database. Every method changes its maps without awaiting anything in between, so each one is
 * atomic the way a transaction of the SQL store is: of concurrent redemptions or rotations exactly
 * one wins, and a revocation sees everything stored before it. A method that would fail (a
 * duplicate id or hash, a refresh token without its family) fails before it changes anything.
 *
 * What the SQL store reads from tables other services write (the authorization codes the
 * authorization endpoint issues, users' status, sessions' end) is set with `addAuthorizationCode`,
 * `setUserStatus` and `endSession`.
 */
import type { Clock } from "../../server/clock";
import type {
  CodeRedemption,
  IssuedRecords,
  JsonValue,
  NewAccessToken,
  NewFamily,
  NewRefreshToken,
  RefreshRotation,
  RevocationScope,
  RevokedAccessTokens,
  StoredAuthorizationCode,
  StoredRefreshToken,
  TokenStore,
} from "./interface";

/** An authorization code as the authorization endpoint stores it (lib/oauth/authorization-code.ts). */
export type NewAuthorizationCode = Omit<StoredAuthorizationCode, "tenantId" | "consumedAt" | "userStatus"> & { codeHash: string; tenantId?: string };

interface CodeRow extends Omit<StoredAuthorizationCode, "userStatus"> {
  codeHash: string;
}
interface FamilyRow extends NewFamily {
  tenantId: string;
  revokedAt: Date | null;
  revokedReason: string | null;
}
interface RefreshRow extends Omit<NewRefreshToken, "claims"> {
  tenantId: string;
  claims: JsonValue | null;
  rotatedAt: Date | null;
  replacedById: string | null;
  revokedAt: Date | null;
  revokedReason: string | null;
}
interface AccessRow extends NewAccessToken {
  tenantId: string;
  revokedAt: Date | null;
}
interface RevokedRow {
  tenantId: string;
  revokedAt: Date;
  expiresAt: Date;
  /** By the store's clock, like the database's CURRENT_TIMESTAMP. */
  recordedAt: Date;
}

/** What a JSON column gives back: the value as JSON text would carry it. */
const asJson = (value: unknown): JsonValue | null => (value === null || value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue));
const after = (date: Date, now: Date) => date.getTime() > now.getTime();

export class MemoryTokenStore implements TokenStore {
  private readonly codes = new Map<string, CodeRow>();
  private readonly codeIdByHash = new Map<string, string>();
  private readonly families = new Map<string, FamilyRow>();
  private readonly refreshTokens = new Map<string, RefreshRow>();
  private readonly refreshIdByHash = new Map<string, string>();
  private readonly accessTokens = new Map<string, AccessRow>();
  private readonly revokedAccess = new Map<string, RevokedRow>();
  private readonly usedAssertions = new Map<string, { tenantId: string; expiresAt: Date }>();
  private readonly userStatus = new Map<string, string>();
  private readonly sessionEnds = new Map<string, Date>();

  constructor(private readonly deps: { tenantId: string; clock: Clock }) {}

  // -- What other services write in the database ----------------------------------------------

  /** Stores a code the way the authorization endpoint does. */
  addAuthorizationCode(code: NewAuthorizationCode): void {
    if (this.codes.has(code.id) || this.codeIdByHash.has(code.codeHash)) throw new Error("duplicate authorization code");
    this.codes.set(code.id, {
      ...code,
      tenantId: code.tenantId ?? this.deps.tenantId,
      scopes: [...code.scopes],
      resources: [...code.resources],
      amr: [...code.amr],
      claims: asJson(code.claims),
      consumedAt: null,
    });
    this.codeIdByHash.set(code.codeHash, code.id);
  }

  /** A user's status ("active", "disabled", ...); null: the user is gone. */
  setUserStatus(userId: string, status: string | null): void {
    if (status === null) this.userStatus.delete(userId);
    else this.userStatus.set(userId, status);
  }

  /** Records that a browser session ended. */
  endSession(sessionId: string, at: Date): void {
    if (!this.sessionEnds.has(sessionId)) this.sessionEnds.set(sessionId, at);
  }

  // -- TokenStore -------------------------------------------------------------------------------

  async findAuthorizationCode(codeHash: string): Promise<StoredAuthorizationCode | null> {
    const id = this.codeIdByHash.get(codeHash);
    const code = id === undefined ? undefined : this.codes.get(id);
    if (!code) return null;
    const { codeHash: _hash, ...stored } = code;
    return {
      ...stored,
      scopes: [...code.scopes],
      resources: [...code.resources],
      amr: [...code.amr],
      claims: asJson(code.claims),
      userStatus: this.userStatus.get(code.userId) ?? null,
    };
  }

  async redeemCode(codeId: string, now: Date, records: IssuedRecords, reason = "code_replay"): Promise<CodeRedemption> {
    const code = this.codes.get(codeId);
    if (!code || code.tenantId !== this.deps.tenantId) return { outcome: "missing" };
    if (code.consumedAt !== null) {
      return { outcome: "replayed", revoked: this.revokeNow({ kind: "code", authorizationCodeId: codeId }, reason, now) };
    }
    this.assertInsertable(records);
    code.consumedAt = now;
    this.insert(records);
    return { outcome: "redeemed" };
  }

  async findRefreshToken(tokenHash: string): Promise<StoredRefreshToken | null> {
    const id = this.refreshIdByHash.get(tokenHash);
    const token = id === undefined ? undefined : this.refreshTokens.get(id);
    const family = token && this.families.get(token.familyId);
    if (!token || !family) return null;
    return {
      id: token.id,
      tenantId: token.tenantId,
      tokenHash: token.tokenHash,
      familyId: token.familyId,
      clientId: token.clientId,
      userId: token.userId,
      sessionId: token.sessionId,
      authorizationCodeId: token.authorizationCodeId,
      scopes: [...token.scopes],
      resources: [...token.resources],
      claims: asJson(token.claims),
      authTime: token.authTime,
      acr: token.acr,
      amr: [...token.amr],
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      idleExpiresAt: token.idleExpiresAt,
      rotatedAt: token.rotatedAt,
      revokedAt: token.revokedAt,
      familyRevokedAt: family.revokedAt,
      userStatus: token.userId === null ? null : (this.userStatus.get(token.userId) ?? null),
      sessionEndedAt: token.sessionId === null ? null : (this.sessionEnds.get(token.sessionId) ?? null),
    };
  }

  async rotateRefreshToken(token: { id: string; familyId: string }, now: Date, records: IssuedRecords & { refreshToken: NewRefreshToken }): Promise<RefreshRotation> {
    const family = this.families.get(token.familyId);
    if (!family || family.tenantId !== this.deps.tenantId) return { outcome: "revoked" };
    const current = this.refreshTokens.get(token.id);
    if (family.revokedAt === null && current && current.rotatedAt === null && current.revokedAt === null) {
      this.assertInsertable(records);
      current.rotatedAt = now;
      current.replacedById = records.refreshToken.id;
      this.insert(records);
      return { outcome: "rotated" };
    }
    // Rotated before: reuse, even when the family is revoked already (RFC 9700 §4.14.2).
    if (current && current.rotatedAt !== null) {
      return { outcome: "reused", revoked: this.revokeNow({ kind: "family", familyId: token.familyId }, "reuse_detected", now) };
    }
    return { outcome: "revoked" };
  }

  async revoke(scope: RevocationScope, reason: string, now: Date): Promise<RevokedAccessTokens> {
    return this.revokeNow(scope, reason, now);
  }

  async expirePendingCodes(where: { userId: string; clientId?: string }, now: Date): Promise<number> {
    let count = 0;
    for (const code of this.codes.values()) {
      if (code.tenantId !== this.deps.tenantId || code.userId !== where.userId || code.consumedAt !== null || !after(code.expiresAt, now)) continue;
      if (where.clientId && code.clientId !== where.clientId) continue;
      code.expiresAt = now;
      count++;
    }
    return count;
  }

  async revokeAccessTokens(entries: { jti: string; expiresAt: Date }[], now: Date): Promise<void> {
    const live = entries.filter((e) => after(e.expiresAt, now));
    if (live.length === 0) return;
    for (const { jti } of live) {
      const row = this.accessTokens.get(jti);
      if (row && row.revokedAt === null) row.revokedAt = now;
    }
    this.recordRevoked(live, now);
  }

  async recordClientAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    const key = `${clientId}\u0000${jti}`;
    const used = this.usedAssertions.get(key);
    // A record whose assertion has expired may be taken over (that assertion can no longer be presented).
    if (used && after(used.expiresAt, now)) return false;
    this.usedAssertions.set(key, { tenantId: this.deps.tenantId, expiresAt });
    return true;
  }

  async revokedSince(since: Date | null, now: Date): Promise<{ databaseNow: Date; entries: { jti: string; expiresAt: Date }[] }> {
    const entries: { jti: string; expiresAt: Date }[] = [];
    for (const [jti, row] of this.revokedAccess) {
      if (row.tenantId !== this.deps.tenantId || !after(row.expiresAt, now)) continue;
      if (since !== null && row.recordedAt.getTime() < since.getTime()) continue;
      entries.push({ jti, expiresAt: row.expiresAt });
    }
    return { databaseNow: this.deps.clock.now(), entries };
  }

  // ---------------------------------------------------------------------------------------------

  private assertInsertable(records: IssuedRecords): void {
    const { family, refreshToken, accessToken } = records;
    if (family && this.families.has(family.id)) throw new Error("duplicate refresh token family");
    if (refreshToken) {
      if (this.refreshTokens.has(refreshToken.id) || this.refreshIdByHash.has(refreshToken.tokenHash)) throw new Error("duplicate refresh token");
      if (!this.families.has(refreshToken.familyId) && family?.id !== refreshToken.familyId) throw new Error("refresh token without its family");
    }
    if (this.accessTokens.has(accessToken.jti)) throw new Error("duplicate access token");
  }

  private insert(records: IssuedRecords): void {
    const tenantId = this.deps.tenantId;
    const { family, refreshToken, accessToken } = records;
    if (family) this.families.set(family.id, { ...family, tenantId, revokedAt: null, revokedReason: null });
    if (refreshToken) {
      this.refreshTokens.set(refreshToken.id, {
        ...refreshToken,
        tenantId,
        scopes: [...refreshToken.scopes],
        resources: [...refreshToken.resources],
        amr: [...refreshToken.amr],
        claims: asJson(refreshToken.claims),
        rotatedAt: null,
        replacedById: null,
        revokedAt: null,
        revokedReason: null,
      });
      this.refreshIdByHash.set(refreshToken.tokenHash, refreshToken.id);
    }
    this.accessTokens.set(accessToken.jti, { ...accessToken, tenantId, scopes: [...accessToken.scopes], userinfoClaims: [...accessToken.userinfoClaims], revokedAt: null });
  }

  /** The families first (an earlier revocation's time and reason stay), then their tokens and the scope's access tokens. */
  private revokeNow(scope: RevocationScope, reason: string, now: Date): RevokedAccessTokens {
    const tenantId = this.deps.tenantId;
    const familyMatches = (f: FamilyRow): boolean => {
      switch (scope.kind) {
        case "family":
          return f.id === scope.familyId;
        case "code":
          return f.authorizationCodeId === scope.authorizationCodeId;
        case "user":
          return f.userId === scope.userId;
        case "client-user":
          return f.userId === scope.userId && f.clientId === scope.clientId;
        case "session":
          return f.sessionId === scope.sessionId && scope.familiesOfClients.includes(f.clientId);
      }
    };
    const accessMatches = (a: AccessRow): boolean => {
      switch (scope.kind) {
        case "family":
          return false;
        case "code":
          return a.authorizationCodeId === scope.authorizationCodeId;
        case "user":
          return a.userId === scope.userId;
        case "client-user":
          return a.userId === scope.userId && a.clientId === scope.clientId;
        case "session":
          return a.sessionId === scope.sessionId;
      }
    };

    const familyIds = new Set<string>();
    for (const family of this.families.values()) {
      if (family.tenantId !== tenantId || !familyMatches(family)) continue;
      family.revokedAt ??= now;
      family.revokedReason ??= reason;
      familyIds.add(family.id);
    }
    for (const token of this.refreshTokens.values()) {
      if (familyIds.has(token.familyId) && token.revokedAt === null) {
        token.revokedAt = now;
        token.revokedReason = reason;
      }
    }
    const live: { jti: string; expiresAt: Date }[] = [];
    for (const access of this.accessTokens.values()) {
      if (access.tenantId !== tenantId || access.revokedAt !== null) continue;
      if (!((access.familyId !== null && familyIds.has(access.familyId)) || accessMatches(access))) continue;
      access.revokedAt = now;
      if (after(access.expiresAt, now)) live.push({ jti: access.jti, expiresAt: access.expiresAt });
    }
    this.recordRevoked(live, now);
    return { families: familyIds.size, accessTokens: live };
  }

  /** The revocation list's record; a jti recorded before keeps its first record. */
  private recordRevoked(live: { jti: string; expiresAt: Date }[], now: Date): void {
    const recordedAt = this.deps.clock.now();
    for (const { jti, expiresAt } of live) {
      if (!this.revokedAccess.has(jti)) this.revokedAccess.set(jti, { tenantId: this.deps.tenantId, revokedAt: now, expiresAt, recordedAt });
    }
  }
}
