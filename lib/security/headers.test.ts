import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "../../proxy";
import { UI_LOCALES_HEADER } from "../../i18n/locales";
import { createNonce, pagePolicy, pageSecurityHeaders, securityHeaders } from "./headers";

const directives = (csp: string | null | undefined) =>
  new Map((csp ?? "").split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));

/** The request headers the proxy hands on to Next.js (NextResponse.next({ request: { headers } })). */
function forwarded(response: Response): Headers {
  const out = new Headers();
  const names = response.headers.get("x-middleware-override-headers")?.split(",") ?? [];
  for (const name of names) {
    const value = response.headers.get(`x-middleware-request-${name}`);
    if (value !== null) out.set(name, value);
  }
  return out;
}

describe("security headers", () => {
  it("protocol responses: no scripts at all, never framed, no referrer, nosniff; HSTS only over https", () => {
    const plain = securityHeaders({ https: false });
    const csp = directives(plain["content-security-policy"]);
    expect(csp.get("script-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(plain).toMatchObject({
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cross-origin-opener-policy": "same-origin",
    });
    expect(plain["permissions-policy"]).toContain("camera=()");
    expect(plain).not.toHaveProperty("strict-transport-security");
    // RFC 6797 §6.1
    expect(securityHeaders({ https: true })["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
  });

  it("pages: scripts only with the request's nonce, never 'unsafe-inline'; eval only in development", () => {
    const nonce = createNonce();
    expect(Buffer.from(nonce, "base64")).toHaveLength(16);
    expect(createNonce()).not.toBe(nonce);
    const csp = directives(pagePolicy({ nonce }));
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(directives(pagePolicy({ nonce, development: true })).get("script-src")).toContain("'unsafe-eval'");
    expect(pageSecurityHeaders({ nonce, https: true })["strict-transport-security"]).toBeDefined();
  });
});

describe("proxy.ts (every Next.js response)", () => {
  it("sets the headers with a fresh nonce, and hands the same CSP to Next.js on the request", () => {
    const first = proxy(new NextRequest("http://localhost:3000/login"));
    const second = proxy(new NextRequest("http://localhost:3000/login"));
    const csp = first.headers.get("content-security-policy");
    const nonce = /'nonce-([^']+)'/.exec(csp ?? "")?.[1];
    expect(nonce).toBeTruthy();
    expect(second.headers.get("content-security-policy")).not.toBe(csp);
    expect(forwarded(first).get("content-security-policy")).toBe(csp);
    expect(first.headers.get("x-frame-options")).toBe("DENY");
    expect(first.headers.get("referrer-policy")).toBe("no-referrer");
    expect(first.headers.get("strict-transport-security")).toBeNull();
    expect(proxy(new NextRequest("https://id.example.com/account")).headers.get("strict-transport-security")).toContain("max-age=");
  });

  it("refuses state-changing requests another site started (Fetch Metadata), allows same-origin and legacy browsers", () => {
    const post = (site?: string) =>
      proxy(new NextRequest("http://localhost:3000/account", { method: "POST", headers: site ? { "sec-fetch-site": site } : {} }));
    for (const site of ["cross-site", "same-site"]) {
      const refused = post(site);
      expect(refused.status, site).toBe(403);
      expect(refused.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
    expect(post("same-origin").status).toBe(200);
    expect(post().status).toBe(200);
    // Navigations from other sites are fine (links to the login page).
    expect(proxy(new NextRequest("http://localhost:3000/login", { headers: { "sec-fetch-site": "cross-site" } })).status).toBe(200);
  });

  it("leaves protocol endpoints (served by Next.js only under next dev) to the pipeline", () => {
    const logout = proxy(new NextRequest("http://localhost:3000/oidc/logout", { method: "POST", headers: { "sec-fetch-site": "cross-site" } }));
    expect(logout.status).toBe(200);
    expect(logout.headers.get("content-security-policy")).toBeNull();
  });

  it("restores the Origin of a same-origin form post that no-referrer turned into \"null\"", () => {
    const response = proxy(
      new NextRequest("http://localhost:3000/login", { method: "POST", headers: { origin: "null", "sec-fetch-site": "same-origin", host: "127.0.0.1:3000" } }),
    );
    // The host the browser used (what Next.js compares the origin with), not the server's own name.
    expect(forwarded(response).get("origin")).toBe("http://127.0.0.1:3000");
    // Without the browser's word that it is same-origin, "null" stays (and Next.js refuses the action).
    const unvouched = proxy(new NextRequest("http://localhost:3000/login", { method: "POST", headers: { origin: "null" } }));
    expect(forwarded(unvouched).get("origin")).toBe("null");
  });

  it("passes ui_locales of the sign-in and consent pages on, and never a client-sent internal header", () => {
    const login = proxy(new NextRequest("http://localhost:3000/login?interaction=x&ui_locales=de", { headers: { [UI_LOCALES_HEADER]: "fr" } }));
    expect(forwarded(login).get(UI_LOCALES_HEADER)).toBe("de");
    const other = proxy(new NextRequest("http://localhost:3000/account?ui_locales=de", { headers: { [UI_LOCALES_HEADER]: "fr" } }));
    expect(forwarded(other).get(UI_LOCALES_HEADER)).toBeNull();
    expect(other.headers.get("x-middleware-override-headers")?.split(",")).not.toContain(UI_LOCALES_HEADER);
  });
});
