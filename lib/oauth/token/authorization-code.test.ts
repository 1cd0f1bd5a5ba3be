// The authorization_code grant on its narrow dependencies: MemoryTokenStore, a manual clock and
// real signing (tests/support/grant-deps.ts). The same grant runs through HTTP on both databases
// in tests/token.test.ts and tests/token-races.test.ts.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { grantFixture, ISSUER, testClient, type GrantFixture } from "../../../tests/support/grant-deps";
import { tokenHash } from "../../oidc/id-token";
import { hashSecret } from "../../security/secrets";
import { OAuthError } from "../errors";
import * as authorizationCode from "./authorization-code";
import { bindGrant, type TokenResponse } from "./grant";

const REDIRECT = "https://app.example.com/callback";

let f: GrantFixture;
let grant: ReturnType<typeof bindGrant>;
beforeEach(() => {
  f = grantFixture();
  grant = bindGrant(authorizationCode, f.deps);
});
afterEach(() => f.close());

/** The OAuthError the promise rejects with (RFC 6749 §5.2 error code, description, status). */
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

/** A client, an active user and a code for them with the given scopes. */
function setUp(scopes = ["openid", "offline_access", "api"], options: Partial<Parameters<GrantFixture["code"]>[0]> = {}) {
  const client = testClient();
  const userId = f.user("ada@example.com");
  const code = f.code({ client, userId, scopes, redirectUri: REDIRECT, ...options });
  return { client, userId, ...code };
}

const exchange = (client: ReturnType<typeof testClient>, code: string, verifier: string, extra: Record<string, string> = {}) =>
  grant(f.request(client, { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, ...extra }));

describe("authorization_code grant", () => {
  it("exports its grant type and parameters for the token endpoint's table", () => {
    expect(authorizationCode.grantType).toBe("authorization_code");
    expect(Object.keys(authorizationCode.parameters.shape).sort()).toEqual(["code", "code_verifier", "redirect_uri", "resource"]);
  });

  it("redeems a code for an access token, a refresh token and an ID token (OAuth 2.1 §4.1.3, OIDC Core §3.1.3.3)", async () => {
    const { client, userId, code, id, verifier } = setUp(["openid", "offline_access", "api"], { nonce: "n-0S6", sessionId: "sid-1" });
    const body = await exchange(client, code, verifier);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: client.accessTokenTtl, scope: "openid offline_access api" });

    const access = await f.accessTokens.verify(body.access_token);
    expect(access).toMatchObject({
      iss: ISSUER,
      sub: f.subjects.subjectFor(client, userId),
      aud: ISSUER,
      client_id: client.clientId,
      scope: "openid offline_access api",
      sid: "sid-1",
      amr: ["pwd"],
      iat: f.clock.nowMs() / 1000,
      exp: f.clock.nowMs() / 1000 + client.accessTokenTtl,
    });

    const idToken = await f.signer.verify(body.id_token!, { typ: "JWT" });
    expect(idToken?.payload).toMatchObject({
      iss: ISSUER,
      aud: client.clientId,
      sub: f.subjects.subjectFor(client, userId),
      nonce: "n-0S6",
      sid: "sid-1",
      at_hash: tokenHash(body.access_token, "RS256"),
    });

    const refresh = await f.store.findRefreshToken(hashSecret(body.refresh_token!));
    expect(refresh).toMatchObject({ clientId: client.id, userId, authorizationCodeId: id, scopes: ["openid", "offline_access", "api"], revokedAt: null });
    expect(refresh!.idleExpiresAt!.getTime()).toBe(f.clock.nowMs() + client.refreshTokenIdleTtl * 1000);
    expect((await f.store.findAuthorizationCode(hashSecret(code)))?.consumedAt?.getTime()).toBe(f.clock.nowMs());
  });

  it("issues no refresh token for an OpenID request without offline_access (OIDC Core §11), nor to a client without the grant", async () => {
    const first = setUp(["openid", "api"]);
    const body = await exchange(first.client, first.code, first.verifier);
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeDefined();

    const client = testClient({ grantTypes: ["authorization_code"] });
    const second = f.code({ client, userId: first.userId, scopes: ["api"], redirectUri: REDIRECT });
    const plain = await exchange(client, second.code, second.verifier);
    expect(plain.refresh_token).toBeUndefined();
    expect(plain.id_token).toBeUndefined();
    expect(plain.scope).toBe("api");
  });

  it("puts the user claims the claims request names in the ID token (OIDC Core §5.5)", async () => {
    const { client, code, verifier } = setUp(["openid"], { claims: { id_token: { email: { essential: true } } } });
    const body = await exchange(client, code, verifier);
    const payload = (await f.signer.verify(body.id_token!, { typ: "JWT" }))!.payload;
    expect(payload.email).toBe("ada@example.com");
    // Only what was asked for: email_verified comes with the email scope, not with the email claim.
    expect(payload).not.toHaveProperty("email_verified");
    expect(payload).not.toHaveProperty("name");
  });

  it("refuses a code_verifier that does not match the code_challenge, and the code stays unused (RFC 7636 §4.6)", async () => {
    const { client, code, verifier } = setUp();
    const wrong = "a".repeat(43);
    expect(await refusal(exchange(client, code, wrong))).toEqual({ error: "invalid_grant", description: "code_verifier does not match the code_challenge", status: 400 });
    expect(await refusal(exchange(client, code, "short"))).toEqual({ error: "invalid_grant", description: "code_verifier is malformed", status: 400 });
    expect((await f.store.findAuthorizationCode(hashSecret(code)))?.consumedAt).toBeNull();
    expect((await exchange(client, code, verifier)).access_token).toBeDefined();
  });

  it("answers invalid_request when a required parameter is missing (RFC 6749 §5.2)", async () => {
    const { client, code } = setUp();
    expect(await refusal(grant(f.request(client, { grant_type: "authorization_code", code })))).toMatchObject({ error: "invalid_request", status: 400 });
    expect(await refusal(grant(f.request(client, { grant_type: "authorization_code", code_verifier: "a".repeat(43) })))).toMatchObject({ error: "invalid_request" });
  });

  it("requires redirect_uri exactly when the authorization request had one (OAuth 2.1 §4.1.3)", async () => {
    const { client, code, verifier } = setUp();
    const mismatch = { error: "invalid_grant", description: "redirect_uri does not match the authorization request", status: 400 };
    expect(await refusal(exchange(client, code, verifier, { redirect_uri: "https://app.example.com/other" }))).toEqual(mismatch);
    expect(await refusal(grant(f.request(client, { grant_type: "authorization_code", code, code_verifier: verifier })))).toEqual(mismatch);

    const without = f.code({ client, userId: f.user(), scopes: ["api"] });
    expect(await refusal(exchange(client, without.code, without.verifier))).toEqual(mismatch);
    const body = await grant(f.request(client, { grant_type: "authorization_code", code: without.code, code_verifier: without.verifier }));
    expect(body.access_token).toBeDefined();
  });

  it("refuses a code issued to another client, which then still works for its own (RFC 6749 §4.1.3)", async () => {
    const { client, code, verifier } = setUp();
    const other = testClient();
    expect(await refusal(exchange(other, code, verifier))).toEqual({ error: "invalid_grant", description: "the authorization code is invalid", status: 400 });
    expect(await refusal(exchange(client, "not-a-code", verifier))).toMatchObject({ error: "invalid_grant", description: "the authorization code is invalid" });
    expect((await exchange(client, code, verifier)).access_token).toBeDefined();
  });

  it("refuses an expired code, by the injected clock", async () => {
    const { client, code, verifier } = setUp();
    f.clock.advance(client.authorizationCodeTtl * 1000);
    expect(await refusal(exchange(client, code, verifier))).toEqual({ error: "invalid_grant", description: "the authorization code has expired", status: 400 });
  });

  it("refuses the code of a user who is no longer active", async () => {
    const { client, userId, code, verifier } = setUp();
    f.store.setUserStatus(userId, "disabled");
    expect(await refusal(exchange(client, code, verifier))).toEqual({ error: "invalid_grant", description: "the user is no longer active", status: 400 });
  });

  it("a replayed code is refused and revokes every token issued from it (RFC 6749 §4.1.2)", async () => {
    const { client, code, id, verifier } = setUp();
    const first = await exchange(client, code, verifier);
    expect(await f.accessTokens.verify(first.access_token)).not.toBeNull();

    f.clock.advance(5_000);
    expect(await refusal(exchange(client, code, verifier))).toEqual({ error: "invalid_grant", description: "the authorization code has already been used", status: 400 });
    // The access token is on the revocation list, in memory and in the store's record.
    expect(await f.accessTokens.verify(first.access_token)).toBeNull();
    const jti = (await f.accessTokens.decodeOwn(first.access_token))!.jti;
    expect((await f.store.revokedSince(null, f.clock.now())).entries.map((e) => e.jti)).toContain(jti);
    // The refresh token's family is revoked.
    expect((await f.store.findRefreshToken(hashSecret(first.refresh_token!)))?.familyRevokedAt?.getTime()).toBe(f.clock.nowMs());
    expect(f.auditEvents).toEqual([
      expect.objectContaining({ type: "token.code_replay", actorId: client.clientId, targetId: id, outcome: "failure", details: { revokedFamilies: 1, revokedAccess: 1 } }),
    ]);
  });

  it("of two concurrent redemptions one wins, and the loser revokes what the winner got", async () => {
    const { client, code, verifier } = setUp();
    const results = await Promise.allSettled([exchange(client, code, verifier), exchange(client, code, verifier)]);
    const won = results.filter((r): r is PromiseFulfilledResult<TokenResponse> => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ error: "invalid_grant", description: "the authorization code has already been used" });
    expect(await f.accessTokens.verify(won[0]!.value.access_token)).toBeNull();
    expect((await f.store.findRefreshToken(hashSecret(won[0]!.value.refresh_token!)))?.familyRevokedAt).not.toBeNull();
  });

  it("issues tokens only for a resource the authorization request named (RFC 8707 §2.2)", async () => {
    const { client, code, verifier } = setUp(["api"], { resources: ["https://api.example.com/"] });
    expect(await refusal(exchange(client, code, verifier, { resource: "https://other.example.com/" }))).toMatchObject({ error: "invalid_target" });
    const body = await exchange(client, code, verifier, { resource: "https://api.example.com/" });
    expect((await f.accessTokens.verify(body.access_token))?.aud).toBe("https://api.example.com/");
  });
});
