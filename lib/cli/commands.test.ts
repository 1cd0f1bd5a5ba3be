import { describe, expect, it } from "vitest";
import { parseCommand, UsageError } from "./commands";

describe("parseCommand", () => {
  it("parses clients create with repeated redirect URIs and comma-separated grant types", () => {
    expect(
      parseCommand([
        "clients", "create", "--name", "App", "--type", "public",
        "--redirect-uri", "https://a.example/cb", "--redirect-uri", "https://b.example/cb",
        "--grant-types", "authorization_code, refresh_token", "--scopes", "openid profile", "--auth-method", "none", "--json",
      ]),
    ).toEqual({
      kind: "clients-create",
      name: "App",
      type: "public",
      redirectUris: ["https://a.example/cb", "https://b.example/cb"],
      postLogoutRedirectUris: [],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile"],
      authMethod: "none",
      resources: [],
      jwksFile: undefined,
      jwksUri: undefined,
      oidc: {
        subjectType: "public",
        sectorIdentifierUri: undefined,
        requireAuthTime: false,
        frontchannelLogoutUri: undefined,
        frontchannelLogoutSessionRequired: false,
        backchannelLogoutUri: undefined,
        backchannelLogoutSessionRequired: false,
        revokeRefreshTokensOnLogout: true,
        requireConsent: true,
        logoUri: undefined,
        clientUri: undefined,
        policyUri: undefined,
        tosUri: undefined,
      },
      native: false,
      json: true,
    });
  });

  it("parses the OpenID Connect client metadata", () => {
    expect(
      parseCommand([
        "clients", "create", "--name", "RP", "--type", "confidential", "--redirect-uri", "https://rp.example/cb", "--grant-types", "authorization_code",
        "--pairwise", "--id-token-alg", "ES256", "--id-token-ttl", "600", "--default-max-age", "3600", "--require-auth-time",
        "--backchannel-logout-uri", "https://rp.example/bc", "--backchannel-logout-session-required",
        "--frontchannel-logout-uri", "https://rp.example/fc", "--keep-refresh-tokens-on-logout", "--skip-consent", "--policy-uri", "https://rp.example/privacy",
      ]),
    ).toMatchObject({
      oidc: {
        subjectType: "pairwise",
        idTokenSignedResponseAlg: "ES256",
        idTokenTtl: 600,
        defaultMaxAge: 3600,
        requireAuthTime: true,
        backchannelLogoutUri: "https://rp.example/bc",
        backchannelLogoutSessionRequired: true,
        frontchannelLogoutUri: "https://rp.example/fc",
        frontchannelLogoutSessionRequired: false,
        revokeRefreshTokensOnLogout: false,
        requireConsent: false,
        policyUri: "https://rp.example/privacy",
      },
    });
    expect(() => parseCommand(["clients", "create", "--name", "W", "--type", "public", "--grant-types", "x", "--id-token-alg", "HS256"])).toThrow(/RS256, ES256 or EdDSA/);
  });

  it("parses resources, keys and scopes commands", () => {
    expect(
      parseCommand([
        "clients", "create", "--name", "Job", "--type", "confidential", "--grant-types", "client_credentials",
        "--resource", "https://api.example.com", "--resource", "urn:example:api", "--auth-method", "private_key_jwt", "--jwks", "keys.json",
      ]),
    ).toMatchObject({ resources: ["https://api.example.com", "urn:example:api"], jwksFile: "keys.json", authMethod: "private_key_jwt" });
    expect(
      parseCommand(["clients", "create", "--name", "W", "--type", "public", "--grant-types", "authorization_code", "--refresh-token-ttl", "86400", "--access-token-ttl", "300"]),
    ).toMatchObject({ refreshTokenTtl: 86400, accessTokenTtl: 300 });
    expect(() => parseCommand(["clients", "create", "--name", "W", "--type", "public", "--grant-types", "x", "--access-token-ttl", "soon"])).toThrow(/whole number/);
    expect(parseCommand(["scopes", "create", "--name", "api", "--description", "Example API", "--json"])).toEqual({
      kind: "scopes-create",
      name: "api",
      description: "Example API",
      json: true,
    });
    expect(parseCommand(["scopes", "list"])).toEqual({ kind: "scopes-list", json: false });
    expect(() => parseCommand(["scopes", "create"])).toThrow(/--name is required/);
  });

  it("parses the other commands", () => {
    expect(parseCommand([])).toEqual({ kind: "help" });
    expect(parseCommand(["migrate"])).toEqual({ kind: "migrate" });
    expect(parseCommand(["users", "create", "--email", "a@b.example", "--password", "pw", "--admin"])).toMatchObject({ kind: "users-create", admin: true });
    expect(parseCommand(["keys", "rotate", "--alg", "ES256"])).toEqual({ kind: "keys-rotate", algorithms: ["ES256"], json: false });
    expect(parseCommand(["clients", "list", "--json"])).toEqual({ kind: "clients-list", json: true });
  });

  it.each([
    [["migrate", "now"], /takes no arguments/],
    [["users"], /create or list/],
    [["users", "delete"], /unknown users command/],
    [["clients", "create", "--type", "public"], /--name is required/],
    [["clients", "create", "--name", "A", "--type", "public", "--grant-types", "authorization_code", "--auth-method", "magic"], /--auth-method/],
    [["clients", "create", "--name", "A", "--type", "public", "--grant-types"], /argument missing|--grant-types/],
    [["keys"], /rotate or list/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});
