import { describe, expect, it } from "vitest";
import { checkRedirectUri, matchRedirectUri } from "./redirect-uri";

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

describe("matchRedirectUri", () => {
  const web = ["https://app.example.com/cb", "https://app.example.com/cb2?tenant=a"];
  const native = ["http://127.0.0.1/callback", "http://[::1]:8080/cb", "com.example.app:/oauth", "http://localhost:9000/cb"];

  it("matches registered URIs by exact string comparison", () => {
    expect(matchRedirectUri("https://app.example.com/cb", web, "web")).toBe("https://app.example.com/cb");
    expect(matchRedirectUri("https://app.example.com/cb2?tenant=a", web, "web")).toBe("https://app.example.com/cb2?tenant=a");
  });

  it.each([
    "https://app.example.com/cb/",
    "https://APP.example.com/cb",
    "https://app.example.com:443/cb",
    "https://app.example.com/CB",
    "https://app.example.com/cb?x=1",
    "https://app.example.com/cb2?tenant=b",
    "https://app.example.com/cb#frag",
    "https://app.example.com/c%62",
    "https://app.example.com/cb.evil.com",
    "https://app.example.com",
  ])("rejects anything but the exact string for web clients: %s", (uri) => {
    expect(matchRedirectUri(uri, web, "web")).toBeUndefined();
  });

  it("lets the port of a loopback IP literal redirect differ for native clients (RFC 8252 §7.3)", () => {
    expect(matchRedirectUri("http://127.0.0.1:51234/callback", native, "native")).toBe("http://127.0.0.1/callback");
    expect(matchRedirectUri("http://127.0.0.1/callback", native, "native")).toBe("http://127.0.0.1/callback");
    expect(matchRedirectUri("http://[::1]:3000/cb", native, "native")).toBe("http://[::1]:8080/cb");
    expect(matchRedirectUri("http://[::1]/cb", native, "native")).toBe("http://[::1]:8080/cb");
  });

  it.each([
    "http://127.0.0.1:51234/callback/extra",
    "http://127.0.0.1:51234/Callback",
    "http://127.0.0.1:51234/callback?x=1",
    "http://127.0.0.1:99999/callback",
    "http://127.0.0.1:0/callback",
    "http://127.0.0.2:51234/callback",
    "https://127.0.0.1:51234/callback",
    "http://localhost:9001/cb",
    "http://[::1]:3000/callback",
    "com.example.app:/oauth/x",
  ])("keeps every other part exact for native clients: %s", (uri) => {
    expect(matchRedirectUri(uri, native, "native")).toBeUndefined();
  });

  it("gives web clients no port exception, even for loopback", () => {
    expect(matchRedirectUri("http://127.0.0.1:5000/callback", ["http://127.0.0.1/callback"], "web")).toBeUndefined();
  });
});
