// The client_credentials grant on its narrow dependencies: an access token service signing with
// test keys (tests/support/grant-deps.ts); no store at all. tests/token.test.ts and
// tests/standard-client.test.ts run it through HTTP on both databases.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { grantFixture, ISSUER, testClient, type GrantFixture } from "../../../tests/support/grant-deps";
import type { Client } from "../../generated/prisma/client";
import { OAuthError } from "../errors";
import * as clientCredentials from "./client-credentials";
import { bindGrant, type BoundGrant } from "./grant";

let f: GrantFixture;
let grant: BoundGrant;
beforeEach(() => {
  f = grantFixture();
  // Only what the grant declares.
  const deps: clientCredentials.ClientCredentialsGrantDeps = { accessTokens: f.accessTokens, issuer: ISSUER };
  grant = bindGrant(clientCredentials, deps);
});
afterEach(() => f.close());

const service = (overrides: Partial<Client> = {}) => testClient({ grantTypes: ["client_credentials"], scopes: ["openid", "offline_access", "api", "reports"], ...overrides });
const token = (client: Client, params: Record<string, string> = {}) => grant(f.request(client, { grant_type: "client_credentials", ...params }));

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

describe("client_credentials grant", () => {
  it("exports its grant type and parameters for the token endpoint's table", () => {
    expect(clientCredentials.grantType).toBe("client_credentials");
    expect(Object.keys(clientCredentials.parameters.shape).sort()).toEqual(["resource", "scope"]);
  });

  it("issues a token for the client itself with its scopes minus the user scopes by default (OAuth 2.1 §4.2, RFC 6749 §3.3)", async () => {
    const client = service();
    const body = await token(client);
    expect(body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: client.accessTokenTtl, scope: "api reports" });
    expect(body).not.toHaveProperty("refresh_token");
    expect(await f.accessTokens.verify(body.access_token)).toMatchObject({
      iss: ISSUER,
      // RFC 9068 §2.2: without a resource owner, sub is the client.
      sub: client.clientId,
      client_id: client.clientId,
      aud: ISSUER,
      scope: "api reports",
      exp: f.clock.nowMs() / 1000 + client.accessTokenTtl,
    });
  });

  it("issues the requested subset of scopes, and refuses a scope the client may not have with invalid_scope", async () => {
    const client = service();
    const narrowed = await token(client, { scope: "reports" });
    expect(narrowed.scope).toBe("reports");
    expect((await f.accessTokens.verify(narrowed.access_token))?.scope).toBe("reports");

    const refused = { error: "invalid_scope", description: "the client may not request this scope", status: 400 };
    expect(await refusal(token(client, { scope: "api admin" }))).toEqual(refused);
    // User scopes mean nothing without a user.
    expect(await refusal(token(client, { scope: "openid" }))).toEqual(refused);
  });

  it("answers unauthorized_client to a public client (OAuth 2.1 §4.2)", async () => {
    for (const client of [service({ type: "public", tokenEndpointAuthMethod: "none", secretHash: null }), service({ tokenEndpointAuthMethod: "none" })]) {
      expect(await refusal(token(client))).toEqual({ error: "unauthorized_client", description: "client_credentials is only for confidential clients", status: 400 });
    }
  });

  it("issues a token for a registered resource and refuses any other with invalid_target (RFC 8707 §2)", async () => {
    const client = service({ resources: ["https://api.example.com/"] });
    expect((await f.accessTokens.verify((await token(client)).access_token))?.aud).toBe("https://api.example.com/");
    expect((await f.accessTokens.verify((await token(client, { resource: "https://api.example.com/" })).access_token))?.aud).toBe("https://api.example.com/");
    expect(await refusal(token(client, { resource: "https://other.example.com/" }))).toMatchObject({ error: "invalid_target", status: 400 });
    expect(await refusal(token(client, { resource: "not a uri" }))).toMatchObject({ error: "invalid_target" });
  });
});
