/**
 * The token store on the database (the TokenStore contract: interface.ts): the statements behind redeeming codes, rotating refresh tokens and
 * revoking what was issued together. Every state change that decides whether a token is alive is
 * one transaction with an explicit order of row locks:
 *
 *   code exchange     lock the code row -> consumed? (replay) : mark consumed + insert tokens
 *   refresh rotation  lock the family row -> revoked? : rotate the token (conditional UPDATE) + insert tokens
 *   revocation        lock the family rows (ordered by id) -> revoke their tokens and access tokens
 *
 * A transaction that waited for a lock reads, in its next statement, everything the lock holder
 * committed (PostgreSQL READ COMMITTED takes a new snapshot per statement). That is why the lock is
 * taken by a statement of its own: revoking a family after waiting on its row sees the tokens a
 * concurrent rotation inserted, and rotation never inserts into a family revoked before it.
 * RFC 9700 §4.14.2 (refresh token reuse), RFC 6749 §4.1.2 and OAuth 2.1 §4.1.3 (code replay).
 *
 * Plain SQL (the same on PGlite and PostgreSQL) through `SqlDatabase.transaction`, not Prisma's
 * interactive transactions: the lock order is explicit and the hot paths make few round trips.
 */
import type { SqlDatabase, SqlRunner } from "../../db/sql";
import type {
  CodeRedemption,
  IssuedRecords,
  JsonValue,
  NewRefreshToken,
  RefreshRotation,
  RevocationScope,
  RevokedAccessTokens,
  StoredAuthorizationCode,
  StoredRefreshToken,
  TokenStore,
} from "./interface";

/** PostgreSQL codes after which a transaction may simply run again (deadlock, serialization). */
const RETRYABLE = new Set(["40P01", "40001"]);
const MAX_ATTEMPTS = 3;

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** text[] from either driver (pg parses arrays; some paths return the literal). */
function toStringArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" && value.startsWith("{")) {
    const inner = value.slice(1, -1);
    return inner === "" ? [] : inner.split(",").map((v) => v.replace(/^"|"$/g, ""));
  }
  return [];
}

function toJson(value: unknown): JsonValue | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") {
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  }
  return value as JsonValue;
}

const INSERT_FAMILY = `INSERT INTO "RefreshTokenFamily" ("id", "tenantId", "clientId", "userId", "sessionId", "authorizationCodeId", "createdAt", "expiresAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

const INSERT_REFRESH_TOKEN = `INSERT INTO "RefreshToken" ("id", "tenantId", "tokenHash", "familyId", "clientId", "userId", "sessionId", "authorizationCodeId",
    "scopes", "resources", "claims", "authTime", "acr", "amr", "createdAt", "expiresAt", "idleExpiresAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11::jsonb, $12, $13, $14::text[], $15, $16, $17)`;

const INSERT_ACCESS_TOKEN = `INSERT INTO "AccessToken" ("jti", "tenantId", "clientId", "userId", "sessionId", "authorizationCodeId", "refreshTokenId", "familyId",
    "scopes", "userinfoClaims", "createdAt", "expiresAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11, $12)`;

const FIND_REFRESH_TOKEN = `SELECT t."id", t."tenantId", t."tokenHash", t."familyId", t."clientId", t."userId", t."sessionId", t."authorizationCodeId",
    t."scopes", t."resources", t."claims", t."authTime", t."acr", t."amr", t."createdAt", t."expiresAt", t."idleExpiresAt",
    t."rotatedAt", t."revokedAt", f."revokedAt" AS "familyRevokedAt", u."status"::text AS "userStatus", s."endedAt" AS "sessionEndedAt"
  FROM "RefreshToken" t
  JOIN "RefreshTokenFamily" f ON f."id" = t."familyId"
  LEFT JOIN "User" u ON u."id" = t."userId"
  LEFT JOIN "Session" s ON s."id" = t."sessionId"
  WHERE t."tokenHash" = $1`;

const FIND_AUTHORIZATION_CODE = `SELECT c."id", c."tenantId", c."clientId", c."userId", c."sessionId", c."redirectUri", c."scopes", c."resources",
    c."codeChallenge", c."codeChallengeMethod", c."nonce", c."claims", c."authTime", c."acr", c."amr", c."createdAt", c."expiresAt", c."consumedAt",
    u."status"::text AS "userStatus"
  FROM "AuthorizationCode" c
  LEFT JOIN "User" u ON u."id" = c."userId"
  WHERE c."codeHash" = $1`;

export class SqlTokenStore implements TokenStore {
  constructor(private readonly deps: { sql: SqlDatabase; tenantId: string }) {}

  /** A presented authorization code with its user's status (one statement). */
  async findAuthorizationCode(codeHash: string): Promise<StoredAuthorizationCode | null> {
    const rows = await this.deps.sql.query<Record<string, unknown>>(FIND_AUTHORIZATION_CODE, [codeHash]);
    const r = rows[0];
    if (!r) return null;
    return {
      id: String(r.id),
      tenantId: String(r.tenantId),
      clientId: String(r.clientId),
      userId: String(r.userId),
      sessionId: (r.sessionId as string | null) ?? null,
      redirectUri: String(r.redirectUri),
      scopes: toStringArray(r.scopes),
      resources: toStringArray(r.resources),
      codeChallenge: String(r.codeChallenge),
      codeChallengeMethod: String(r.codeChallengeMethod),
      nonce: (r.nonce as string | null) ?? null,
      claims: toJson(r.claims),
      authTime: toDateOrNull(r.authTime),
      acr: (r.acr as string | null) ?? null,
      amr: toStringArray(r.amr),
      createdAt: toDate(r.createdAt),
      expiresAt: toDate(r.expiresAt),
      consumedAt: toDateOrNull(r.consumedAt),
      userStatus: (r.userStatus as string | null) ?? null,
    };
  }

  /** A presented refresh token with its family's, user's and session's state (one statement). */
  async findRefreshToken(tokenHash: string): Promise<StoredRefreshToken | null> {
    const rows = await this.deps.sql.query<Record<string, unknown>>(FIND_REFRESH_TOKEN, [tokenHash]);
    const r = rows[0];
    if (!r) return null;
    return {
      id: String(r.id),
      tenantId: String(r.tenantId),
      tokenHash: String(r.tokenHash),
      familyId: String(r.familyId),
      clientId: String(r.clientId),
      userId: (r.userId as string | null) ?? null,
      sessionId: (r.sessionId as string | null) ?? null,
      authorizationCodeId: (r.authorizationCodeId as string | null) ?? null,
      scopes: toStringArray(r.scopes),
      resources: toStringArray(r.resources),
      claims: toJson(r.claims),
      authTime: toDateOrNull(r.authTime),
      acr: (r.acr as string | null) ?? null,
      amr: toStringArray(r.amr),
      createdAt: toDate(r.createdAt),
      expiresAt: toDate(r.expiresAt),
      idleExpiresAt: toDateOrNull(r.idleExpiresAt),
      rotatedAt: toDateOrNull(r.rotatedAt),
      revokedAt: toDateOrNull(r.revokedAt),
      familyRevokedAt: toDateOrNull(r.familyRevokedAt),
      userStatus: (r.userStatus as string | null) ?? null,
      sessionEndedAt: toDateOrNull(r.sessionEndedAt),
    };
  }

  /**
   * OAuth 2.1 §4.1.3: redeems an authorization code once. In one transaction: lock the code; if it
   * was used before, revoke everything issued from it (RFC 6749 §4.1.2) and report the replay;
   * otherwise mark it used and store the tokens issued for it. Concurrent redemptions serialize on
   * the code row, so exactly one succeeds and a replay sees (and revokes) the winner's tokens.
   */
  redeemCode(codeId: string, now: Date, records: IssuedRecords, reason = "code_replay"): Promise<CodeRedemption> {
    return this.transaction(async (tx) => {
      const locked = await tx.query<{ consumedAt: unknown }>(`SELECT "consumedAt" FROM "AuthorizationCode" WHERE "id" = $1 AND "tenantId" = $2 FOR UPDATE`, [codeId, this.deps.tenantId]);
      if (locked.length === 0) return { outcome: "missing" };
      if (locked[0]!.consumedAt !== null) {
        return { outcome: "replayed", revoked: await this.revokeIn(tx, { kind: "code", authorizationCodeId: codeId }, reason, now) };
      }
      await tx.query(`UPDATE "AuthorizationCode" SET "consumedAt" = $2 WHERE "id" = $1`, [codeId, now]);
      await this.insert(tx, records);
      return { outcome: "redeemed" };
    });
  }

  /**
   * OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: rotates a refresh token. In one transaction: lock the
   * family; a revoked family issues nothing; the presented token is marked rotated only if it was
   * neither rotated nor revoked (one conditional UPDATE); if it was rotated already, this is reuse
   * and the family is revoked right here, after the rotation that won has committed its tokens.
   */
  rotateRefreshToken(token: { id: string; familyId: string }, now: Date, records: IssuedRecords & { refreshToken: NewRefreshToken }): Promise<RefreshRotation> {
    return this.transaction(async (tx) => {
      const family = await tx.query<{ revokedAt: unknown }>(`SELECT "revokedAt" FROM "RefreshTokenFamily" WHERE "id" = $1 AND "tenantId" = $2 FOR UPDATE`, [token.familyId, this.deps.tenantId]);
      if (family.length === 0) return { outcome: "revoked" };
      const rotated =
        family[0]!.revokedAt === null
          ? await tx.query<{ id: string }>(
              `UPDATE "RefreshToken" SET "rotatedAt" = $2, "replacedById" = $3 WHERE "id" = $1 AND "rotatedAt" IS NULL AND "revokedAt" IS NULL RETURNING "id"`,
              [token.id, now, records.refreshToken.id],
            )
          : [];
      if (rotated.length === 0) {
        // Rotated by a concurrent request (which has committed: it held the family lock) or before:
        // reuse, even when the family is revoked already.
        const state = await tx.query<{ rotatedAt: unknown }>(`SELECT "rotatedAt" FROM "RefreshToken" WHERE "id" = $1`, [token.id]);
        if (state[0] && state[0].rotatedAt !== null) {
          return { outcome: "reused", revoked: await this.revokeIn(tx, { kind: "family", familyId: token.familyId }, "reuse_detected", now) };
        }
        return { outcome: "revoked" };
      }
      await this.insert(tx, records);
      return { outcome: "rotated" };
    });
  }

  /**
   * Revokes what matches `scope`: the families (recorded on the family row first, so nothing can
   * join them later), their refresh tokens, and their access tokens together with the other
   * access tokens the scope names. Returns the unexpired access tokens turned off.
   */
  revoke(scope: RevocationScope, reason: string, now: Date): Promise<RevokedAccessTokens> {
    return this.transaction((tx) => this.revokeIn(tx, scope, reason, now));
  }

  /** Expires the unredeemed codes a client holds for a user (a withdrawn consent, a password reset). */
  async expirePendingCodes(where: { userId: string; clientId?: string }, now: Date): Promise<number> {
    const params: unknown[] = [this.deps.tenantId, where.userId, now];
    let sql = `UPDATE "AuthorizationCode" SET "expiresAt" = $3 WHERE "tenantId" = $1 AND "userId" = $2 AND "consumedAt" IS NULL AND "expiresAt" > $3`;
    if (where.clientId) {
      params.push(where.clientId);
      sql += ` AND "clientId" = $4`;
    }
    const rows = await this.deps.sql.query<{ id: string }>(`${sql} RETURNING "id"`, params);
    return rows.length;
  }

  /**
   * Records revoked access tokens by jti (RFC 7009 §2.1), whether or not they have a bookkeeping
   * row (client_credentials tokens have none); unexpired ones only.
   */
  async revokeAccessTokens(entries: { jti: string; expiresAt: Date }[], now: Date): Promise<void> {
    const live = entries.filter((e) => e.expiresAt.getTime() > now.getTime());
    if (live.length === 0) return;
    const jtis = live.map((e) => e.jti);
    await this.transaction(async (tx) => {
      await tx.query(`UPDATE "AccessToken" SET "revokedAt" = $2 WHERE "jti" = ANY($1::text[]) AND "revokedAt" IS NULL`, [jtis, now]);
      await this.recordRevoked(tx, live, now);
    });
  }

  /**
   * RFC 7523 §3 item 7: records the jti of a client assertion, once. True when this is its first
   * use; false when an unexpired assertion of the same client already used it. One statement, so
   * of concurrent presentations exactly one wins; the record lives in the database, not in a
   * cache that can lose it. A row whose assertion has expired may be taken over (the old assertion
   * can no longer be presented).
   */
  async recordClientAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    const rows = await this.deps.sql.query<{ jti: string }>(
      `INSERT INTO "UsedClientAssertion" ("clientId", "jti", "tenantId", "expiresAt") VALUES ($1, $2, $3, $4)
       ON CONFLICT ("clientId", "jti") DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt", "tenantId" = EXCLUDED."tenantId"
         WHERE "UsedClientAssertion"."expiresAt" <= $5
       RETURNING "jti"`,
      [clientId, jti, this.deps.tenantId, expiresAt, now],
    );
    return rows.length === 1;
  }

  /** Unexpired revoked access tokens recorded after `since` (database clock), with the database's now. */
  async revokedSince(since: Date | null, now: Date): Promise<{ databaseNow: Date; entries: { jti: string; expiresAt: Date }[] }> {
    const rows = await this.deps.sql.query<{ jti: string | null; expiresAt: unknown; databaseNow: unknown }>(
      `SELECT r."jti", r."expiresAt", n."databaseNow" FROM (SELECT CURRENT_TIMESTAMP AS "databaseNow") n
         LEFT JOIN "RevokedAccessToken" r ON r."tenantId" = $1 AND r."expiresAt" > $2 AND ($3::timestamptz IS NULL OR r."recordedAt" >= $3::timestamptz)`,
      [this.deps.tenantId, now, since],
    );
    const databaseNow = toDate(rows[0]?.databaseNow ?? new Date());
    return { databaseNow, entries: rows.filter((r) => r.jti !== null).map((r) => ({ jti: r.jti!, expiresAt: toDate(r.expiresAt) })) };
  }

  // -------------------------------------------------------------------------------------------

  private async insert(tx: SqlRunner, records: IssuedRecords): Promise<void> {
    const t = this.deps.tenantId;
    const f = records.family;
    if (f) await tx.query(INSERT_FAMILY, [f.id, t, f.clientId, f.userId, f.sessionId, f.authorizationCodeId, f.createdAt, f.expiresAt]);
    const r = records.refreshToken;
    if (r) {
      await tx.query(INSERT_REFRESH_TOKEN, [
        r.id, t, r.tokenHash, r.familyId, r.clientId, r.userId, r.sessionId, r.authorizationCodeId,
        r.scopes, r.resources, r.claims === null || r.claims === undefined ? null : JSON.stringify(r.claims),
        r.authTime, r.acr, r.amr, r.createdAt, r.expiresAt, r.idleExpiresAt,
      ]);
    }
    const a = records.accessToken;
    await tx.query(INSERT_ACCESS_TOKEN, [a.jti, t, a.clientId, a.userId, a.sessionId, a.authorizationCodeId, a.refreshTokenId, a.familyId, a.scopes, a.userinfoClaims, a.createdAt, a.expiresAt]);
  }

  private async revokeIn(tx: SqlRunner, scope: RevocationScope, reason: string, now: Date): Promise<RevokedAccessTokens> {
    const t = this.deps.tenantId;
    // 1. Lock and revoke the families, in id order (two revocations never wait on each other in a
    //    cycle). A statement of its own: the next statements see what the lock holders committed.
    let familyWhere: string;
    let familyParams: unknown[];
    switch (scope.kind) {
      case "family":
        familyWhere = `"id" = $4`;
        familyParams = [scope.familyId];
        break;
      case "code":
        familyWhere = `"authorizationCodeId" = $4`;
        familyParams = [scope.authorizationCodeId];
        break;
      case "user":
        familyWhere = `"userId" = $4`;
        familyParams = [scope.userId];
        break;
      case "client-user":
        familyWhere = `"userId" = $4 AND "clientId" = $5`;
        familyParams = [scope.userId, scope.clientId];
        break;
      case "session":
        familyWhere = `"sessionId" = $4 AND "clientId" = ANY($5::text[])`;
        familyParams = [scope.sessionId, scope.familiesOfClients];
        break;
    }
    const families = await tx.query<{ id: string }>(
      `UPDATE "RefreshTokenFamily" SET "revokedAt" = COALESCE("revokedAt", $2), "revokedReason" = COALESCE("revokedReason", $3)
        WHERE "id" IN (SELECT "id" FROM "RefreshTokenFamily" WHERE "tenantId" = $1 AND ${familyWhere} ORDER BY "id" FOR UPDATE)
        RETURNING "id"`,
      [t, now, reason, ...familyParams],
    );
    const familyIds = families.map((f) => f.id);

    // 2. Their refresh tokens, and the access tokens of the families or named by the scope.
    if (familyIds.length > 0) {
      await tx.query(`UPDATE "RefreshToken" SET "revokedAt" = $2, "revokedReason" = $3 WHERE "familyId" = ANY($1::text[]) AND "revokedAt" IS NULL`, [familyIds, now, reason]);
    }
    let accessWhere: string;
    let accessParams: unknown[];
    switch (scope.kind) {
      case "family":
        accessWhere = `FALSE`;
        accessParams = [];
        break;
      case "code":
        accessWhere = `"authorizationCodeId" = $4`;
        accessParams = [scope.authorizationCodeId];
        break;
      case "user":
        accessWhere = `"userId" = $4`;
        accessParams = [scope.userId];
        break;
      case "client-user":
        accessWhere = `"userId" = $4 AND "clientId" = $5`;
        accessParams = [scope.userId, scope.clientId];
        break;
      case "session":
        accessWhere = `"sessionId" = $4`;
        accessParams = [scope.sessionId];
        break;
    }
    const accessRows = await tx.query<{ jti: string; expiresAt: unknown }>(
      `UPDATE "AccessToken" SET "revokedAt" = $2
        WHERE "tenantId" = $1 AND "revokedAt" IS NULL AND ("familyId" = ANY($3::text[]) OR (${accessWhere}))
        RETURNING "jti", "expiresAt"`,
      [t, now, familyIds, ...accessParams],
    );
    const live = accessRows.map((r) => ({ jti: r.jti, expiresAt: toDate(r.expiresAt) })).filter((e) => e.expiresAt.getTime() > now.getTime());
    await this.recordRevoked(tx, live, now);
    return { families: familyIds.length, accessTokens: live };
  }

  /** The authoritative revocation list (RFC 7662 §2.2: a revoked token is not active). */
  private async recordRevoked(tx: SqlRunner, live: { jti: string; expiresAt: Date }[], now: Date): Promise<void> {
    if (live.length === 0) return;
    await tx.query(
      `INSERT INTO "RevokedAccessToken" ("jti", "tenantId", "revokedAt", "expiresAt")
         SELECT j, $2, $3, e FROM unnest($1::text[], $4::timestamptz[]) AS x(j, e)
         ON CONFLICT ("jti") DO NOTHING`,
      [live.map((e) => e.jti), this.deps.tenantId, now, live.map((e) => e.expiresAt)],
    );
  }

  /** Runs fn in a transaction, again when PostgreSQL broke a deadlock or a serialization conflict. */
  private async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.sql.transaction(fn);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(errorCode(error) ?? "")) throw error;
      }
    }
  }
}
