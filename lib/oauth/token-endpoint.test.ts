// The token endpoint's dispatch on narrow dependencies: a client authentication that answers a
// chosen client, and the grants' test deps (tests/support/grant-deps.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { grantFixture, ISSUER, testClient, type GrantFixture } from "../../tests/support/grant-deps";
import type { Client } from "../generated/prisma/client";
import type { Endpoint } from "../http/endpoint";
import { grantTypes } from "../protocol/constants";
import { OAuthError } from "./errors";
import { tokenEndpoint } from "./token-endpoint";

let f: GrantFixture;
let endpoint: Endpoint;
let client: Client;
let authenticated: { params: Map<string, string>; endpointUrl: string }[];

beforeEach(() => {
  f = grantFixture();
  client = testClient({ grantTypes: ["client_credentials", "refresh_token"], scopes: ["api"] });
  authenticated = [];
  endpoint = tokenEndpoint({
    clientAuth: {
      authenticate: async (_request, params, _endpoint, endpointUrl) => {
        authenticated.push({ params, endpointUrl });
        return { client, method: "client_secret_basic" };
      },
    },
    issuer: ISSUER,
    grants: { authorization_code: f.deps, refresh_token: f.deps, client_credentials: { accessTokens: f.accessTokens, issuer: ISSUER } },
  });
});
afterEach(() => f.close());

const post = (form: Record<string, string>) =>
  endpoint(new Request(`${ISSUER}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() }), {
    requestId: "req-1",
    clientIp: "192.0.2.1",
  });

async function refusal(promise: Promise<unknown>): Promise<{ error: string; description?: string }> {
  const error = await promise.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return { error: (error as OAuthError).error, description: (error as OAuthError).description };
}

describe("token endpoint", () => {
  it("answers a grant's body as JSON that no cache may store (RFC 6749 §5.1), authenticating the client at the token URL", async () => {
    const response = await post({ grant_type: "client_credentials" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("pragma")).toBe("no-cache");
    const body = (await response.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe("api");
    expect((await f.accessTokens.verify(body.access_token))?.client_id).toBe(client.clientId);
    expect(authenticated.map((a) => a.endpointUrl)).toEqual([`${ISSUER}/oauth/token`]);
  });

  it("dispatches every grant type of lib/protocol/constants.ts to its module", async () => {
    client = testClient({ grantTypes: [...grantTypes] });
    // Each module parses its own parameters: without them, each answers with its own invalid_request.
    expect(await refusal(post({ grant_type: "authorization_code" }))).toEqual({ error: "invalid_request", description: "code is required" });
    expect(await refusal(post({ grant_type: "refresh_token" }))).toEqual({ error: "invalid_request", description: "refresh_token is required" });
    expect((await post({ grant_type: "client_credentials" })).status).toBe(200);
  });

  it("refuses a missing or unknown grant_type before authenticating anyone (RFC 6749 §5.2)", async () => {
    expect(await refusal(post({}))).toEqual({ error: "invalid_request", description: "grant_type is required" });
    expect(await refusal(post({ grant_type: "password" }))).toMatchObject({ error: "unsupported_grant_type" });
    expect(await refusal(post({ grant_type: "implicit" }))).toMatchObject({ error: "unsupported_grant_type" });
    expect(authenticated).toEqual([]);
  });

  it("answers unauthorized_client for a grant type the client is not registered for (RFC 6749 §5.2)", async () => {
    expect(await refusal(post({ grant_type: "authorization_code", code: "x", code_verifier: "y" }))).toEqual({
      error: "unauthorized_client",
      description: "the client may not use this grant type",
    });
    expect(authenticated).toHaveLength(1);
  });
});
