/**
 * One behavioural contract for every TokenStore (lib/oauth/token-store/interface.ts), run against
 * MemoryTokenStore in the unit project (lib/oauth/token-store/memory.test.ts) and against
 * SqlTokenStore on both databases (tests/token-store.contract.test.ts). The rules are those of
 * docs/security.md ("Tokens: rotation, reuse and revocation").
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRowId, type IssuedRecords, type NewRefreshToken, type TokenStore } from "../../lib/oauth/token-store/interface";
import { hashSecret, randomToken } from "../../lib/security/secrets";

export interface CodeInput {
  clientId: string;
  userId: string;
  sessionId?: string | null;
  redirectUri?: string;
  scopes?: string[];
  resources?: string[];
  claims?: Record<string, unknown> | null;
  nonce?: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A store, and the rows of other tables its statements read or reference (clients, users, sessions, codes). */
export interface TokenStoreHarness {
  readonly store: TokenStore;
  /** A client row; returns its id (Client.id). */
  client(): Promise<string>;
  /** A user with this status ("active" unless given); returns the id. */
  user(status?: "active" | "disabled" | "locked"): Promise<string>;
  setUserStatus(userId: string, status: "active" | "disabled" | "locked"): Promise<void>;
  /** A browser session of the user; returns its id. */
  session(userId: string): Promise<string>;
  endSession(sessionId: string, at: Date): Promise<void>;
  /** Stores an unredeemed authorization code as the authorization endpoint does; returns its id and the hash it is found by. */
  code(input: CodeInput): Promise<{ id: string; hash: string }>;
  close(): Promise<void>;
}

const MINUTE = 60_000;
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

interface Issue {
  clientId: string;
  userId: string;
  now: Date;
  sessionId?: string | null;
  codeId?: string | null;
  /** Start a family, continue one (a rotation), or issue an access token without a refresh token. */
  family: "new" | string | null;
  accessTtlMs?: number;
  scopes?: string[];
  claims?: Record<string, unknown> | null;
}

/** The rows a grant would store: a family (when new), a refresh token (with the token in clear) and an access token. */
function records(input: Issue): { records: IssuedRecords; refresh?: { token: string; hash: string; id: string; familyId: string }; jti: string } {
  const { now } = input;
  const jti = newRowId();
  const scopes = input.scopes ?? ["openid", "offline_access"];
  let family: IssuedRecords["family"];
  let refreshToken: NewRefreshToken | undefined;
  let refresh: { token: string; hash: string; id: string; familyId: string } | undefined;
  if (input.family !== null) {
    const familyId = input.family === "new" ? newRowId() : input.family;
    const expiresAt = at(now, 30 * 24 * 60 * MINUTE);
    if (input.family === "new") {
      family = { id: familyId, clientId: input.clientId, userId: input.userId, sessionId: input.sessionId ?? null, authorizationCodeId: input.codeId ?? null, createdAt: now, expiresAt };
    }
    const token = randomToken(32);
    refresh = { token, hash: hashSecret(token), id: newRowId(), familyId };
    refreshToken = {
      id: refresh.id,
      tokenHash: refresh.hash,
      familyId,
      clientId: input.clientId,
      userId: input.userId,
      sessionId: input.sessionId ?? null,
      authorizationCodeId: input.codeId ?? null,
      scopes,
      resources: ["https://api.example.com/a,b"],
      claims: input.claims === undefined ? { userinfo: { email: null } } : input.claims,
      authTime: at(now, -MINUTE),
      acr: "urn:example:acr",
      amr: ["pwd"],
      createdAt: now,
      expiresAt,
      idleExpiresAt: at(now, 14 * 24 * 60 * MINUTE),
    };
  }
  return {
    jti,
    refresh,
    records: {
      ...(family && { family }),
      ...(refreshToken && { refreshToken }),
      accessToken: {
        jti,
        clientId: input.clientId,
        userId: input.userId,
        sessionId: input.sessionId ?? null,
        authorizationCodeId: input.codeId ?? null,
        refreshTokenId: refresh?.id ?? null,
        familyId: refresh?.familyId ?? null,
        scopes,
        userinfoClaims: [],
        createdAt: now,
        expiresAt: at(now, input.accessTtlMs ?? 15 * MINUTE),
      },
    },
  };
}

const jtis = (revoked: { accessTokens: { jti: string }[] }) => revoked.accessTokens.map((a) => a.jti).sort();

export function describeTokenStoreContract(name: string, makeHarness: () => Promise<TokenStoreHarness>): void {
  describe(`TokenStore contract: ${name}`, () => {
    let h: TokenStoreHarness;
    let store: TokenStore;
    beforeAll(async () => {
      h = await makeHarness();
      store = h.store;
    });
    afterAll(() => h.close());

    /** A client and an active user of their own, so that scopes such as "user" touch only this test's rows. */
    const parties = async () => {
      const clientId = await h.client();
      const userId = await h.user();
      return { clientId, userId };
    };
    /** Redeems a new code of the client for the user with these tokens (a family unless `family: null`). */
    const redeemed = async (clientId: string, userId: string, now: Date, extra: Partial<Issue> = {}) => {
      const code = await h.code({ clientId, userId, sessionId: extra.sessionId ?? null, createdAt: now, expiresAt: at(now, MINUTE) });
      const issued = records({ clientId, userId, now, family: "new", codeId: code.id, ...extra });
      expect(await store.redeemCode(code.id, now, issued.records)).toEqual({ outcome: "redeemed" });
      return { ...issued, code };
    };
    /** A redeemed code with a new family: the state after a code exchange. */
    const exchanged = async (now: Date, extra: Partial<Issue> = {}) => {
      const p = await parties();
      const { code, ...issued } = await redeemed(p.clientId, p.userId, now, extra);
      return { ...p, code, issued, refresh: issued.refresh! };
    };

    describe("authorization codes", () => {
      it("finds a code by its hash, with everything the authorization endpoint stored and its user's status", async () => {
        const now = new Date();
        const p = await parties();
        const claims = { id_token: { email: { essential: true } }, userinfo: { name: null } };
        const code = await h.code({
          ...p,
          redirectUri: "https://app.example.com/cb",
          scopes: ["openid", "profile"],
          resources: ["https://api.example.com/x,y", "https://other.example.com/"],
          claims,
          nonce: "n-1",
          createdAt: now,
          expiresAt: at(now, MINUTE),
        });
        const found = await store.findAuthorizationCode(code.hash);
        expect(found).toMatchObject({
          id: code.id,
          clientId: p.clientId,
          userId: p.userId,
          redirectUri: "https://app.example.com/cb",
          scopes: ["openid", "profile"],
          resources: ["https://api.example.com/x,y", "https://other.example.com/"],
          claims,
          nonce: "n-1",
          codeChallengeMethod: "S256",
          amr: ["pwd"],
          consumedAt: null,
          userStatus: "active",
        });
        expect(found!.expiresAt.getTime()).toBe(at(now, MINUTE).getTime());
        expect(await store.findAuthorizationCode(hashSecret(randomToken(32)))).toBeNull();

        await h.setUserStatus(p.userId, "disabled");
        expect((await store.findAuthorizationCode(code.hash))?.userStatus).toBe("disabled");
      });

      it("redeems a code once and stores its tokens; a second redemption revokes them (RFC 6749 §4.1.2)", async () => {
        const now = new Date();
        const { code, issued, refresh, clientId, userId } = await exchanged(now);
        expect((await store.findAuthorizationCode(code.hash))?.consumedAt?.getTime()).toBe(now.getTime());
        const stored = await store.findRefreshToken(refresh.hash);
        expect(stored).toMatchObject({
          id: refresh.id,
          familyId: refresh.familyId,
          clientId,
          userId,
          authorizationCodeId: code.id,
          scopes: ["openid", "offline_access"],
          resources: ["https://api.example.com/a,b"],
          claims: { userinfo: { email: null } },
          acr: "urn:example:acr",
          amr: ["pwd"],
          rotatedAt: null,
          revokedAt: null,
          familyRevokedAt: null,
          userStatus: "active",
          sessionEndedAt: null,
        });
        expect(stored!.idleExpiresAt?.getTime()).toBe(at(now, 14 * 24 * 60 * MINUTE).getTime());

        const later = at(now, 1000);
        const second = records({ clientId, userId, now: later, family: "new", codeId: code.id });
        const replay = await store.redeemCode(code.id, later, second.records);
        expect(replay).toEqual({ outcome: "replayed", revoked: { families: 1, accessTokens: [{ jti: issued.jti, expiresAt: issued.records.accessToken.expiresAt }] } });
        // The replay stored nothing, and what the first redemption issued is dead.
        expect(await store.findRefreshToken(second.refresh!.hash)).toBeNull();
        const after = await store.findRefreshToken(refresh.hash);
        expect(after?.revokedAt?.getTime()).toBe(later.getTime());
        expect(after?.familyRevokedAt?.getTime()).toBe(later.getTime());
        expect((await store.revokedSince(null, later)).entries.map((e) => e.jti)).toContain(issued.jti);
      });

      it("answers missing for a code that is not there", async () => {
        const now = new Date();
        const p = await parties();
        expect(await store.redeemCode(newRowId(), now, records({ ...p, now, family: null }).records)).toEqual({ outcome: "missing" });
      });

      it("of concurrent redemptions of one code exactly one succeeds", async () => {
        const now = new Date();
        const p = await parties();
        const code = await h.code({ ...p, createdAt: now, expiresAt: at(now, MINUTE) });
        const attempts = Array.from({ length: 6 }, () => records({ ...p, now, family: "new", codeId: code.id }));
        const outcomes = await Promise.all(attempts.map((a) => store.redeemCode(code.id, now, a.records)));
        expect(outcomes.filter((o) => o.outcome === "redeemed")).toHaveLength(1);
        expect(outcomes.filter((o) => o.outcome === "replayed")).toHaveLength(5);
        const winner = attempts[outcomes.findIndex((o) => o.outcome === "redeemed")]!;
        // The replays came after the winner committed: its tokens are revoked.
        expect((await store.findRefreshToken(winner.refresh!.hash))?.familyRevokedAt).not.toBeNull();
        const stored = await Promise.all(attempts.map((a) => store.findRefreshToken(a.refresh!.hash)));
        expect(stored.filter((s) => s !== null)).toHaveLength(1);
      });

      it("expires the pending codes of a user, for one client or all of them", async () => {
        const now = new Date();
        const userId = await h.user();
        const [a, b] = [await h.client(), await h.client()];
        const codeA = await h.code({ clientId: a, userId, createdAt: now, expiresAt: at(now, MINUTE) });
        const codeB = await h.code({ clientId: b, userId, createdAt: now, expiresAt: at(now, MINUTE) });
        const expired = await h.code({ clientId: a, userId, createdAt: at(now, -2 * MINUTE), expiresAt: at(now, -MINUTE) });
        const { code: used } = await redeemed(a, userId, now, { family: null });

        expect(await store.expirePendingCodes({ userId, clientId: a }, now)).toBe(1);
        expect((await store.findAuthorizationCode(codeA.hash))?.expiresAt.getTime()).toBe(now.getTime());
        expect((await store.findAuthorizationCode(codeB.hash))?.expiresAt.getTime()).toBe(at(now, MINUTE).getTime());
        expect((await store.findAuthorizationCode(expired.hash))?.expiresAt.getTime()).toBe(at(now, -MINUTE).getTime());
        expect((await store.findAuthorizationCode(used.hash))?.expiresAt.getTime()).toBe(at(now, MINUTE).getTime());
        expect(await store.expirePendingCodes({ userId }, now)).toBe(1);
        expect((await store.findAuthorizationCode(codeB.hash))?.expiresAt.getTime()).toBe(now.getTime());
        expect(await store.expirePendingCodes({ userId }, now)).toBe(0);
      });
    });

    describe("refresh tokens", () => {
      it("rotates a token once; presenting it again is reuse and revokes the family with every access token (RFC 9700 §4.14.2)", async () => {
        const now = new Date();
        const { issued, refresh, clientId, userId } = await exchanged(now);
        const t1 = at(now, MINUTE);
        const next = records({ clientId, userId, now: t1, family: refresh.familyId });
        expect(await store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, t1, { ...next.records, refreshToken: next.records.refreshToken! })).toEqual({
          outcome: "rotated",
        });
        expect((await store.findRefreshToken(refresh.hash))?.rotatedAt?.getTime()).toBe(t1.getTime());
        expect(await store.findRefreshToken(next.refresh!.hash)).toMatchObject({ familyId: refresh.familyId, rotatedAt: null, revokedAt: null, familyRevokedAt: null });

        const t2 = at(now, 2 * MINUTE);
        const thief = records({ clientId, userId, now: t2, family: refresh.familyId });
        const reuse = await store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, t2, { ...thief.records, refreshToken: thief.records.refreshToken! });
        expect(reuse.outcome).toBe("reused");
        if (reuse.outcome !== "reused") return;
        expect(reuse.revoked.families).toBe(1);
        expect(jtis(reuse.revoked)).toEqual([issued.jti, next.jti].sort());
        expect(await store.findRefreshToken(thief.refresh!.hash)).toBeNull();
        expect(await store.findRefreshToken(next.refresh!.hash)).toMatchObject({ revokedAt: t2, familyRevokedAt: t2 });
        const listed = (await store.revokedSince(null, t2)).entries.map((e) => e.jti);
        expect(listed).toEqual(expect.arrayContaining([issued.jti, next.jti]));
      });

      it("a rotated token is reuse even when its family was revoked already; the first revocation's time stays", async () => {
        const now = new Date();
        const { refresh, clientId, userId } = await exchanged(now);
        const next = records({ clientId, userId, now, family: refresh.familyId });
        await store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, now, { ...next.records, refreshToken: next.records.refreshToken! });
        const revokedAt = at(now, MINUTE);
        expect((await store.revoke({ kind: "family", familyId: refresh.familyId }, "revoked", revokedAt)).families).toBe(1);

        const later = at(now, 2 * MINUTE);
        const again = records({ clientId, userId, now: later, family: refresh.familyId });
        const reuse = await store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, later, { ...again.records, refreshToken: again.records.refreshToken! });
        // The family is matched again (idempotent); nothing was left alive to turn off.
        expect(reuse).toEqual({ outcome: "reused", revoked: { families: 1, accessTokens: [] } });
        expect((await store.findRefreshToken(next.refresh!.hash))?.familyRevokedAt?.getTime()).toBe(revokedAt.getTime());
        expect(await store.findRefreshToken(again.refresh!.hash)).toBeNull();
      });

      it("a revoked family issues nothing, and an unknown family is revoked", async () => {
        const now = new Date();
        const { refresh, clientId, userId } = await exchanged(now);
        await store.revoke({ kind: "family", familyId: refresh.familyId }, "revoked", now);
        const next = records({ clientId, userId, now, family: refresh.familyId });
        expect(await store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, now, { ...next.records, refreshToken: next.records.refreshToken! })).toEqual({
          outcome: "revoked",
        });
        expect(await store.findRefreshToken(next.refresh!.hash)).toBeNull();
        expect((await store.findRefreshToken(refresh.hash))?.rotatedAt).toBeNull();

        const unknown = records({ clientId, userId, now, family: newRowId() });
        expect(await store.rotateRefreshToken({ id: newRowId(), familyId: unknown.refresh!.familyId }, now, { ...unknown.records, refreshToken: unknown.records.refreshToken! })).toEqual({
          outcome: "revoked",
        });
      });

      it("of concurrent rotations of one token exactly one succeeds, and the others' reuse revokes what it issued", async () => {
        const now = new Date();
        const { refresh, clientId, userId } = await exchanged(now);
        const attempts = Array.from({ length: 6 }, () => records({ clientId, userId, now, family: refresh.familyId }));
        const outcomes = await Promise.all(
          attempts.map((a) => store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, now, { ...a.records, refreshToken: a.records.refreshToken! })),
        );
        expect(outcomes.filter((o) => o.outcome === "rotated")).toHaveLength(1);
        expect(outcomes.filter((o) => o.outcome === "reused")).toHaveLength(5);
        const winner = attempts[outcomes.findIndex((o) => o.outcome === "rotated")]!;
        expect(await store.findRefreshToken(winner.refresh!.hash)).toMatchObject({ revokedAt: now, familyRevokedAt: now });
      });

      it("reads its user's status and its session's end with the token", async () => {
        const now = new Date();
        const p = await parties();
        const sessionId = await h.session(p.userId);
        const issued = await redeemed(p.clientId, p.userId, now, { sessionId, claims: null });
        expect(await store.findRefreshToken(issued.refresh!.hash)).toMatchObject({ sessionId, userStatus: "active", sessionEndedAt: null, claims: null });
        await h.setUserStatus(p.userId, "locked");
        await h.endSession(sessionId, at(now, MINUTE));
        const found = await store.findRefreshToken(issued.refresh!.hash);
        expect(found?.userStatus).toBe("locked");
        expect(found?.sessionEndedAt?.getTime()).toBe(at(now, MINUTE).getTime());
      });
    });

    describe("revocation", () => {
      it("a user's everything, with every client; another user's tokens stay", async () => {
        const now = new Date();
        const userId = await h.user();
        const [a, b] = [await h.client(), await h.client()];
        const withA = await redeemed(a, userId, now);
        const withB = await redeemed(b, userId, now);
        const accessOnly = await redeemed(a, userId, now, { family: null });
        const other = await exchanged(now);

        const revoked = await store.revoke({ kind: "user", userId }, "password_changed", at(now, 1));
        expect(revoked.families).toBe(2);
        expect(jtis(revoked)).toEqual([withA.jti, withB.jti, accessOnly.jti].sort());
        expect((await store.findRefreshToken(withA.refresh!.hash))?.revokedAt).not.toBeNull();
        expect((await store.findRefreshToken(withB.refresh!.hash))?.familyRevokedAt).not.toBeNull();
        expect(await store.findRefreshToken(other.refresh.hash)).toMatchObject({ revokedAt: null, familyRevokedAt: null });
        // Revoked before: not turned off twice.
        expect(await store.revoke({ kind: "user", userId }, "password_changed", at(now, 2))).toEqual({ families: 2, accessTokens: [] });
      });

      it("what a client holds for a user, and nothing of another client", async () => {
        const now = new Date();
        const userId = await h.user();
        const [a, b] = [await h.client(), await h.client()];
        const withA = await redeemed(a, userId, now);
        const withB = await redeemed(b, userId, now);
        const revoked = await store.revoke({ kind: "client-user", userId, clientId: a }, "consent_withdrawn", now);
        expect(revoked.families).toBe(1);
        expect(jtis(revoked)).toEqual([withA.jti]);
        expect((await store.findRefreshToken(withB.refresh!.hash))?.familyRevokedAt).toBeNull();
      });

      it("a session's access tokens, and the families of the named clients only", async () => {
        const now = new Date();
        const userId = await h.user();
        const sessionId = await h.session(userId);
        const [a, b] = [await h.client(), await h.client()];
        const withA = await redeemed(a, userId, now, { sessionId });
        const withB = await redeemed(b, userId, now, { sessionId });
        const revoked = await store.revoke({ kind: "session", sessionId, familiesOfClients: [a] }, "logout", now);
        expect(revoked.families).toBe(1);
        // Every access token of the session, whatever its client; only client a's family.
        expect(jtis(revoked)).toEqual([withA.jti, withB.jti].sort());
        expect((await store.findRefreshToken(withA.refresh!.hash))?.familyRevokedAt).not.toBeNull();
        expect(await store.findRefreshToken(withB.refresh!.hash)).toMatchObject({ revokedAt: null, familyRevokedAt: null });
      });

      it("what was issued from a code; expired access tokens are turned off but not listed", async () => {
        const now = new Date();
        const { code, issued, refresh, clientId, userId } = await exchanged(now, { accessTtlMs: 1000 });
        const next = records({ clientId, userId, now, family: refresh.familyId, codeId: code.id });
        await store.rotateRefreshToken({ id: refresh.id, familyId: refresh.familyId }, now, { ...next.records, refreshToken: next.records.refreshToken! });
        const later = at(now, 2000);
        const revoked = await store.revoke({ kind: "code", authorizationCodeId: code.id }, "code_replay", later);
        expect(revoked.families).toBe(1);
        expect(jtis(revoked)).toEqual([next.jti]);
        expect((await store.revokedSince(null, later)).entries.map((e) => e.jti)).not.toContain(issued.jti);
      });

      it("records revoked access tokens by jti, with or without a row, unexpired ones only", async () => {
        const now = new Date();
        const { issued, userId } = await exchanged(now);
        const bare = { jti: newRowId(), expiresAt: at(now, MINUTE) };
        const expired = { jti: newRowId(), expiresAt: at(now, -1) };
        await store.revokeAccessTokens([{ jti: issued.jti, expiresAt: issued.records.accessToken.expiresAt }, bare, expired], now);
        const listed = (await store.revokedSince(null, now)).entries.map((e) => e.jti);
        expect(listed).toEqual(expect.arrayContaining([issued.jti, bare.jti]));
        expect(listed).not.toContain(expired.jti);
        // The access token's row is revoked: a later revocation of the user does not list it again.
        expect(jtis(await store.revoke({ kind: "user", userId }, "revoked", now))).toEqual([]);
      });

      it("lists revocations recorded since a reading of the store's clock, unexpired at now", async () => {
        const now = new Date();
        const first = { jti: newRowId(), expiresAt: at(now, MINUTE) };
        await store.revokeAccessTokens([first], now);
        const { databaseNow } = await store.revokedSince(null, now);
        const second = { jti: newRowId(), expiresAt: at(now, 10 * MINUTE) };
        await store.revokeAccessTokens([second], now);
        expect((await store.revokedSince(databaseNow, now)).entries.map((e) => e.jti)).toContain(second.jti);
        expect((await store.revokedSince(at(databaseNow, 60 * MINUTE), now)).entries).toEqual([]);
        const later = (await store.revokedSince(null, at(now, 5 * MINUTE))).entries.map((e) => e.jti);
        expect(later).toContain(second.jti);
        expect(later).not.toContain(first.jti);
      });
    });

    describe("client assertions", () => {
      it("records a jti once per client until the assertion expires (RFC 7523 §3)", async () => {
        const now = new Date();
        const [a, b] = [randomUUID(), randomUUID()];
        const jti = randomUUID();
        const expiresAt = at(now, MINUTE);
        expect(await store.recordClientAssertion(a, jti, expiresAt, now)).toBe(true);
        expect(await store.recordClientAssertion(a, jti, expiresAt, at(now, 1000))).toBe(false);
        expect(await store.recordClientAssertion(b, jti, expiresAt, now)).toBe(true);
        // Expired: the old assertion can no longer be presented, so its record is taken over.
        expect(await store.recordClientAssertion(a, jti, at(now, 3 * MINUTE), expiresAt)).toBe(true);
        expect(await store.recordClientAssertion(a, jti, at(now, 3 * MINUTE), at(now, 2 * MINUTE))).toBe(false);
        const concurrent = await Promise.all(Array.from({ length: 5 }, () => store.recordClientAssertion(a, `${jti}-c`, expiresAt, now)));
        expect(concurrent.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
