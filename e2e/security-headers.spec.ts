import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { expect, test, type APIResponse } from "@playwright/test";

/**
 * Every route of the application, found by walking app/ (each page.tsx and route.ts is a route;
 * route groups "(name)" do not appear in URLs), requested from the production server: every
 * response carries the security headers, from the one proxy (pages) or the one pipeline
 * (protocol endpoints).
 */
function appRoutes(dir = "app", prefix = ""): { path: string; kind: "page" | "route" }[] {
  const found: { path: string; kind: "page" | "route" }[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      const segment = /^\(.*\)$/.test(entry) ? "" : `/${entry}`;
      found.push(...appRoutes(full, prefix + segment));
    } else if (entry === "page.tsx" || entry === "route.ts") {
      found.push({ path: prefix || "/", kind: entry === "page.tsx" ? "page" : "route" });
    }
  }
  return found;
}

const routes = appRoutes();
const directives = (csp: string | undefined) =>
  new Map((csp ?? "").split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));

function expectCommonHeaders(response: APIResponse, what: string, frameable = false) {
  const h = response.headers();
  expect(h["x-content-type-options"], what).toBe("nosniff");
  expect(h["referrer-policy"], what).toBe("no-referrer");
  expect(h["cross-origin-opener-policy"], what).toBe("same-origin");
  expect(h["permissions-policy"], what).toContain("camera=()");
  // Served over plain http here: HSTS would be ignored (RFC 6797 §8.1) and is not sent.
  expect(h["strict-transport-security"], what).toBeUndefined();
  const csp = directives(h["content-security-policy"]);
  expect(csp.size, `${what}: CSP`).toBeGreaterThan(0);
  expect(csp.get("script-src") ?? csp.get("default-src"), `${what}: script-src`).not.toContain("'unsafe-inline'");
  if (frameable) {
    expect(h["x-frame-options"], what).toBeUndefined();
    expect(csp.get("frame-ancestors"), what).not.toContain("*");
  } else {
    expect(h["x-frame-options"], what).toBe("DENY");
    expect(csp.get("frame-ancestors"), what).toEqual(["'none'"]);
  }
}

test.describe("security headers on every response", () => {
  test("the route list covers the pages and the protocol endpoints", () => {
    const paths = routes.map((r) => r.path);
    for (const expected of ["/", "/login", "/consent", "/account", "/oauth/token", "/oauth/authorize", "/oidc/userinfo", "/.well-known/openid-configuration"]) {
      expect(paths).toContain(expected);
    }
  });

  for (const route of routes) {
    test(`${route.kind} ${route.path}`, async ({ request }) => {
      const response = await request.get(route.path, { maxRedirects: 0 });
      expect(response.status(), route.path).toBeLessThan(500);
      expectCommonHeaders(response, route.path, route.path === "/oidc/check-session");
      if (route.kind === "page" && response.status() === 200) {
        // A nonce per request, on every script Next.js rendered; no inline script without it.
        const nonce = /'nonce-([^']+)'/.exec(response.headers()["content-security-policy"] ?? "")?.[1];
        expect(nonce, route.path).toBeTruthy();
        expect(directives(response.headers()["content-security-policy"]).get("script-src")).toContain("'strict-dynamic'");
        const html = await response.text();
        const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
        expect(scripts.length, route.path).toBeGreaterThan(0);
        for (const tag of scripts) expect(tag, route.path).toContain(`nonce="${nonce}"`);
        const again = await request.get(route.path, { maxRedirects: 0 });
        expect(again.headers()["content-security-policy"]).not.toBe(response.headers()["content-security-policy"]);
      }
      if (route.kind === "route") {
        // Other methods too (405s, errors) carry the headers.
        const post = await request.post(route.path, { maxRedirects: 0, form: { nothing: "1" } });
        expect(post.status(), `POST ${route.path}`).toBeLessThan(500);
        expectCommonHeaders(post, `POST ${route.path}`, route.path === "/oidc/check-session");
      }
    });
  }

  test("static files, the favicon, an unknown path and a refused cross-site post", async ({ request }) => {
    const home = await (await request.get("/")).text();
    const asset = /(\/_next\/static\/[^"']+\.(?:js|css))/.exec(home)?.[1];
    expect(asset).toBeTruthy();
    for (const target of [asset!, "/favicon.svg", "/no/such/page"]) {
      const response = await request.get(target);
      expectCommonHeaders(response, target);
    }
    // Fetch Metadata: a state-changing request another site started never reaches a page or action.
    const forged = await request.post("/account", { headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" }, form: { a: "1" } });
    expect(forged.status()).toBe(403);
    expectCommonHeaders(forged, "cross-site POST");
  });
});
