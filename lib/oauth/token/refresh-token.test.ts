// The refresh_token grant on its narrow dependencies: MemoryTokenStore, a manual clock and real
// signing (tests/support/grant-deps.ts). The same grant runs through HTTP on both databases in
// tests/token.test.ts and tests/token-races.test.ts.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { grantFixture, testClient, type GrantFixture } from "../../../tests/support/grant-deps";
import type { Client } from "../../generated/prisma/client";
import { hashSecret } from "../../security/secrets";
import { OAuthError } from "../errors";
import * as authorizationCode from "./authorization-code";
import { bindGrant, type BoundGrant, type TokenResponse } from "./grant";
import * as refreshToken from "./refresh-token";

const REDIRECT = "https://app.example.com/callback";

let f: GrantFixture;
let codeGrant: BoundGrant;
let refreshGrant: BoundGrant;
beforeEach(() => {
  f = grantFixture();
  codeGrant = bindGrant(authorizationCode, f.deps);
  refreshGrant = bindGrant(refreshToken, f.deps);
});
afterEach(() => f.close());

async function refusal(promise: Promise<unknown>): Promise<{ error: string; description?: string; status: number }> {
  const error = await promise.then(
    () => {
      throw new Error("expected the grant to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  const { error: code, description, status } = error as OAuthError;
  return { error: code, description, status };
}

/** A code exchange: the tokens a refresh starts from. */
async function signedIn(options: { client?: Client; scopes?: string[]; resources?: string[]; sessionId?: string } = {}) {
  const client = options.client ?? testClient();
  const userId = f.user("ada@example.com");
  const code = f.code({ client, userId, scopes: options.scopes ?? ["openid", "offline_access", "api"], redirectUri: REDIRECT, resources: options.resources, sessionId: options.sessionId, nonce: "n-1" });
  const tokens = await codeGrant(f.request(client, { grant_type: "authorization_code", code: code.code, code_verifier: code.verifier, redirect_uri: REDIRECT }));
  return { client, userId, tokens };
}

const refresh = (client: Client, token: string, extra: Record<string, string> = {}): Promise<TokenResponse> =>
  refreshGrant(f.request(client, { grant_type: "refresh_token", refresh_token: token, ...extra }));

describe("refresh_token grant", () => {
  it("exports its grant type and parameters for the token endpoint's table", () => {
    expect(refreshToken.grantType).toBe("refresh_token");
    expect(Object.keys(refreshToken.parameters.shape).sort()).toEqual(["refresh_token", "resource", "scope"]);
  });

  it("rotates the refresh token on every use (OAuth 2.1 §4.3.1) and issues an ID token without a nonce (OIDC Core §12.2)", async () => {
    const { client, userId, tokens } = await signedIn();
    f.clock.advance(60_000);
    const next = await refresh(client, tokens.refresh_token!);
    expect(next).toMatchObject({ token_type: "Bearer", expires_in: client.accessTokenTtl, scope: "openid offline_access api" });
    expect(next.refresh_token).toBeDefined();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);

    const old = await f.store.findRefreshToken(hashSecret(tokens.refresh_token!));
    const rotated = await f.store.findRefreshToken(hashSecret(next.refresh_token!));
    expect(old?.rotatedAt?.getTime()).toBe(f.clock.nowMs());
    expect(rotated).toMatchObject({ familyId: old!.familyId, rotatedAt: null, revokedAt: null });
    // Idle expiry renews with the rotation; the family's absolute expiry stays.
    expect(rotated!.idleExpiresAt!.getTime()).toBe(f.clock.nowMs() + client.refreshTokenIdleTtl * 1000);
    expect(rotated!.expiresAt.getTime()).toBe(old!.expiresAt.getTime());

    expect(await f.accessTokens.verify(next.access_token)).toMatchObject({ sub: f.subjects.subjectFor(client, userId), client_id: client.clientId });
    const first = (await f.signer.verify(tokens.id_token!, { typ: "JWT" }))!.payload;
    const again = (await f.signer.verify(next.id_token!, { typ: "JWT" }))!.payload;
    expect(first.nonce).toBe("n-1");
    expect(again).not.toHaveProperty("nonce");
    expect(again.auth_time).toBe(first.auth_time);
    expect(again.iat).toBe((first.iat as number) + 60);
  });

  it("a rotated token presented again is reuse: refused, and its whole family is revoked (RFC 9700 §4.14.2)", async () => {
    const { client, tokens } = await signedIn();
    const next = await refresh(client, tokens.refresh_token!);
    f.clock.advance(1_000);

    expect(await refusal(refresh(client, tokens.refresh_token!))).toEqual({ error: "invalid_grant", description: "the refresh token has already been used", status: 400 });
    // The successor and every access token of the family are dead.
    expect(await refusal(refresh(client, next.refresh_token!))).toEqual({ error: "invalid_grant", description: "the refresh token has been revoked", status: 400 });
    expect(await f.accessTokens.verify(tokens.access_token)).toBeNull();
    expect(await f.accessTokens.verify(next.access_token)).toBeNull();
    const family = (await f.store.findRefreshToken(hashSecret(next.refresh_token!)))!;
    expect(f.auditEvents).toEqual([
      expect.objectContaining({ type: "token.refresh_reuse_detected", actorId: client.clientId, targetId: family.familyId, details: { revokedFamilies: 1, revokedAccess: 2 } }),
    ]);

    // Presented again later: reuse again, recorded again, whatever the family's state.
    expect(await refusal(refresh(client, tokens.refresh_token!))).toMatchObject({ description: "the refresh token has already been used" });
    expect(f.auditEvents.filter((e) => e.type === "token.refresh_reuse_detected")).toHaveLength(2);
  });

  it("of two concurrent uses of one token one rotates, and the other's reuse revokes what it got", async () => {
    const { client, tokens } = await signedIn();
    const results = await Promise.allSettled([refresh(client, tokens.refresh_token!), refresh(client, tokens.refresh_token!)]);
    const won = results.filter((r): r is PromiseFulfilledResult<TokenResponse> => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected")).toEqual([expect.objectContaining({ reason: expect.objectContaining({ error: "invalid_grant" }) })]);
    expect(await f.accessTokens.verify(won[0]!.value.access_token)).toBeNull();
    expect(await refusal(refresh(client, won[0]!.value.refresh_token!))).toMatchObject({ description: "the refresh token has been revoked" });
  });

  it("narrows the access token's scope on request, while the refresh token keeps the original grant (RFC 6749 §6)", async () => {
    const { client, tokens } = await signedIn();
    const narrowed = await refresh(client, tokens.refresh_token!, { scope: "api" });
    expect(narrowed.scope).toBe("api");
    expect(narrowed.id_token).toBeUndefined();
    expect((await f.accessTokens.verify(narrowed.access_token))?.scope).toBe("api");
    expect((await f.store.findRefreshToken(hashSecret(narrowed.refresh_token!)))?.scopes).toEqual(["openid", "offline_access", "api"]);

    const full = await refresh(client, narrowed.refresh_token!);
    expect(full.scope).toBe("openid offline_access api");
    expect(full.id_token).toBeDefined();
  });

  it("refuses a scope beyond the original grant with invalid_scope (RFC 6749 §6), and the token stays usable", async () => {
    const { client, tokens } = await signedIn();
    expect(await refusal(refresh(client, tokens.refresh_token!, { scope: "api profile" }))).toEqual({
      error: "invalid_scope",
      description: "the scope exceeds what was originally granted",
      status: 400,
    });
    expect((await refresh(client, tokens.refresh_token!)).access_token).toBeDefined();
  });

  it("refuses a token issued to another client, which then still works for its own (RFC 6749 §6)", async () => {
    const { client, tokens } = await signedIn();
    expect(await refusal(refresh(testClient(), tokens.refresh_token!))).toEqual({ error: "invalid_grant", description: "the refresh token is invalid", status: 400 });
    expect(await refusal(refresh(client, "unknown-token"))).toMatchObject({ error: "invalid_grant", description: "the refresh token is invalid" });
    expect((await refresh(client, tokens.refresh_token!)).access_token).toBeDefined();
  });

  it("refuses a token past its idle expiry, by the injected clock", async () => {
    const { client, tokens } = await signedIn();
    f.clock.advance(client.refreshTokenIdleTtl * 1000);
    expect(await refusal(refresh(client, tokens.refresh_token!))).toEqual({ error: "invalid_grant", description: "the refresh token has expired", status: 400 });
  });

  it("refuses a revoked family, a user who is no longer active, and a session that ended for a client that asks for it", async () => {
    const revoked = await signedIn();
    const family = (await f.store.findRefreshToken(hashSecret(revoked.tokens.refresh_token!)))!.familyId;
    await f.deps.revoker.revokeFamily(family, "revoked");
    expect(await refusal(refresh(revoked.client, revoked.tokens.refresh_token!))).toMatchObject({ error: "invalid_grant", description: "the refresh token has been revoked" });

    const disabled = await signedIn();
    f.store.setUserStatus(disabled.userId, "disabled");
    expect(await refusal(refresh(disabled.client, disabled.tokens.refresh_token!))).toMatchObject({ error: "invalid_grant", description: "the user is no longer active" });

    const loggedOut = await signedIn({ sessionId: "sid-ended" });
    f.store.endSession("sid-ended", f.clock.now());
    expect(await refusal(refresh(loggedOut.client, loggedOut.tokens.refresh_token!))).toMatchObject({ error: "invalid_grant", description: "the session of this refresh token has ended" });
    // A client that keeps its refresh tokens after logout (revokeRefreshTokensOnLogout off) goes on.
    const keeps = await signedIn({ client: testClient({ revokeRefreshTokensOnLogout: false }), sessionId: "sid-kept" });
    f.store.endSession("sid-kept", f.clock.now());
    expect((await refresh(keeps.client, keeps.tokens.refresh_token!)).access_token).toBeDefined();
  });

  it("answers invalid_request without a refresh_token, and invalid_target for a resource outside the grant (RFC 6749 §5.2, RFC 8707 §2.2)", async () => {
    const { client, tokens } = await signedIn({ scopes: ["api", "offline_access"], resources: ["https://api.example.com/"] });
    expect(await refusal(refreshGrant(f.request(client, { grant_type: "refresh_token" })))).toMatchObject({ error: "invalid_request", description: "refresh_token is required" });
    expect(await refusal(refresh(client, tokens.refresh_token!, { resource: "https://other.example.com/" }))).toMatchObject({ error: "invalid_target" });
    const body = await refresh(client, tokens.refresh_token!, { resource: "https://api.example.com/" });
    expect((await f.accessTokens.verify(body.access_token))?.aud).toBe("https://api.example.com/");
  });
});
