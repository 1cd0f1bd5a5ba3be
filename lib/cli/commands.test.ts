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
      native: false,
      json: true,
    });
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
