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
      native: false,
      json: true,
    });
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
