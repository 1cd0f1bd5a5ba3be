import { describe, expect, it } from "vitest";
import { checkRedirectUri } from "./redirect-uri";

describe("checkRedirectUri", () => {
  it.each([
    ["https://app.example.com/cb", "web"],
    ["https://app.example.com/cb?x=1", "web"],
    ["http://localhost:8080/cb", "web"],
    ["http://127.0.0.1/cb", "native"],
    ["http://[::1]/cb", "native"],
    ["com.example.app:/oauth2redirect", "native"],
  ] as const)("accepts %s (%s)", (uri, type) => {
    expect(checkRedirectUri(uri, type)).toBeUndefined();
  });

  it.each([
    ["/relative", "web", /absolute/],
    ["https://app.example.com/cb#x", "web", /fragment/],
    ["http://app.example.com/cb", "web", /https/],
    ["javascript:alert(1)", "native", /not allowed/],
    ["myapp:/cb", "native", /reverse domain/],
    ["com.example.app:/cb", "web", /native/],
    ["https://user:pw@app.example.com/cb", "web", /credentials/],
  ] as const)("rejects %s (%s)", (uri, type, message) => {
    expect(checkRedirectUri(uri, type)).toMatch(message);
  });
});
