/**
 * The check_session iframe (Session Management 1.0 §3.2): its page and headers through the shared
 * pipeline and through the production door, the frame-ancestors list that follows the registered
 * clients, and the default deny that every other route keeps.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisCache } from "../lib/cache/redis-cache";
import { createProtocolDoor } from "../lib/http/node-door";
import { checkSessionScript } from "../lib/oidc/check-session";
import { oidcPaths } from "../lib/protocol/paths";
import { silentLogger } from "../lib/observability/logger";
import { runStartupTasks } from "../lib/server/first-start";
import { call } from "./support/oauth";
import { REDIS_TEST_URL } from "./support/paths";
import { createTestContainer, databaseKind, freshDatabase, type TestContext } from "./support/test-env";

const PATH = oidcPaths.checkSession;

function directives(response: Response): Map<string, string> {
  const csp = response.headers.get("content-security-policy") ?? "";
  return new Map(csp.split(";").map((d) => d.trim()).filter(Boolean).map((d) => [d.split(" ")[0]!, d.slice(d.indexOf(" ") + 1)]));
}

const frameAncestors = (response: Response) => directives(response).get("frame-ancestors");

describe(`check_session iframe (${databaseKind})`, () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContainer();
    await runStartupTasks(ctx.container);
  });
  afterAll(async () => ctx?.cleanup());

  describe("through the shared pipeline", () => {
    it("without any client, nobody may frame it", async () => {
      const response = await call(ctx.container, PATH);
      expect(response.status).toBe(200);
      expect(frameAncestors(response)).toBe("'none'");
    });

    it("serves the page with its own policy: script by hash, registered origins as frame-ancestors, no X-Frame-Options", async () => {
      const { container } = ctx;
      await container.clients.create({
        name: "Web app",
        type: "confidential",
        redirectUris: ["https://app.example.com/cb?tenant=a", "https://app.example.com/other", "https://app.example.com:8443/cb"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid"],
      });
      await container.clients.create({
        name: "Native app",
        type: "public",
        applicationType: "native",
        redirectUris: ["com.example.app:/callback", "http://127.0.0.1/callback"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      });
      // Not a relying party of the code flow: its redirect URI's origin is not listed.
      await container.clients.create({
        name: "Service",
        type: "confidential",
        redirectUris: ["https://service.example.com/cb"],
        grantTypes: ["client_credentials"],
      });

      const response = await call(container, PATH);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBeNull();
      // The pipeline's other headers are still there.
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-request-id")).toBeTruthy();

      const csp = directives(response);
      expect([...csp.keys()]).toEqual(["default-src", "script-src", "base-uri", "form-action", "frame-ancestors"]);
      expect(csp.get("default-src")).toBe("'none'");
      expect(csp.get("frame-ancestors")).toBe("http://127.0.0.1 https://app.example.com https://app.example.com:8443");

      // The hash in the policy is that of the one inline script on the page.
      const body = await response.text();
      const scripts = [...body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
      expect(scripts).toEqual([checkSessionScript]);
      expect(csp.get("script-src")).toBe(`'sha256-${createHash("sha256").update(scripts[0]!).digest("base64")}'`);
    });

    it("lists a new client's origins at once, and drops disabled clients once that is announced", async () => {
      const { container } = ctx;
      const { client } = await container.clients.create({
        name: "SPA",
        type: "public",
        redirectUris: ["http://localhost:5173/callback"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      });
      expect(frameAncestors(await call(container, PATH))).toBe("http://127.0.0.1 http://localhost:5173 https://app.example.com https://app.example.com:8443");

      // Disabled behind the service's back: the cached list is served until it expires (60 s) ...
      await container.prisma.client.update({ where: { id: client.id }, data: { enabled: false } });
      expect(frameAncestors(await call(container, PATH))).toContain("http://localhost:5173");
      ctx.clock.advance(61_000);
      expect(frameAncestors(await call(container, PATH))).not.toContain("http://localhost:5173");

      // ... and dropped at once when the change is announced (clients:changed).
      await container.prisma.client.update({ where: { id: client.id }, data: { enabled: true } });
      expect(frameAncestors(await call(container, PATH))).not.toContain("http://localhost:5173");
      await container.clients.announceChange(client.clientId);
      expect(frameAncestors(await call(container, PATH))).toContain("http://localhost:5173");
    });

    it("answers HEAD with the same headers and no body; other methods get 405", async () => {
      const { container } = ctx;
      const get = await call(container, PATH);
      const head = await call(container, PATH, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      expect(head.headers.get("content-security-policy")).toBe(get.headers.get("content-security-policy"));
      expect(head.headers.get("x-frame-options")).toBeNull();

      for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
        const response = await call(container, PATH, { method });
        expect(response.status, method).toBe(405);
        expect(response.headers.get("allow")).toBe("GET, HEAD");
        // Not the page: the default policy forbids framing it.
        expect(frameAncestors(response)).toBe("'none'");
      }
    });

    it("every other route still refuses to be framed", async () => {
      for (const path of ["/api/health", "/oauth/jwks", "/oauth/token", "/oauth/authorize?client_id=nope"]) {
        const response = await call(ctx.container, path);
        expect(response.headers.get("x-frame-options"), path).toBe("DENY");
        expect(frameAncestors(response), path).toBe("'none'");
      }
    });
  });

  describe("through the production door (real HTTP)", () => {
    let server: http.Server;
    let base: string;

    beforeAll(async () => {
      const door = createProtocolDoor(ctx.container);
      server = http.createServer((req, res) => {
        if (!door(req, res)) res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    });

    it("serves the same page and headers; static documents and other routes keep DENY", async () => {
      const page = await fetch(`${base}${PATH}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("x-frame-options")).toBeNull();
      expect(frameAncestors(page)).toBe("http://127.0.0.1 http://localhost:5173 https://app.example.com https://app.example.com:8443");
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      expect(await page.text()).toContain(checkSessionScript);

      const head = await fetch(`${base}${PATH}`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("x-frame-options")).toBeNull();
      expect(head.headers.get("content-security-policy")).toBe(page.headers.get("content-security-policy"));

      const post = await fetch(`${base}${PATH}`, { method: "POST" });
      expect(post.status).toBe(405);
      await post.arrayBuffer();

      for (const path of ["/api/health", "/oauth/jwks", "/.well-known/oauth-authorization-server"]) {
        const response = await fetch(`${base}${path}`);
        expect(response.headers.get("x-frame-options"), path).toBe("DENY");
        expect(frameAncestors(response), path).toBe("'none'");
        await response.arrayBuffer();
      }
      // HEAD through this door works for the other plain routes as well (it used to throw there).
      const health = await fetch(`${base}/api/health`, { method: "HEAD" });
      expect(health.status).toBe(200);
      expect(health.headers.get("x-frame-options")).toBe("DENY");
    });
  });

  describe.runIf(databaseKind === "postgres")("two instances on one PostgreSQL and Redis", () => {
    const contexts: TestContext[] = [];
    afterAll(async () => {
      for (const c of contexts) await c.cleanup();
    });

    it("a client created on A is listed by B at once (clients:changed), not after B's cache expires", async () => {
      const target = freshDatabase();
      const prefix = `authly-test:${randomUUID()}:`;
      const masterKey = randomBytes(32);
      const make = async () => {
        const c = await createTestContainer({
          target,
          env: { REDIS_URL: REDIS_TEST_URL },
          overrides: { masterKey, cache: new RedisCache({ url: REDIS_TEST_URL, logger: silentLogger, prefix }) },
        });
        contexts.push(c);
        return c;
      };
      const a = await make();
      await runStartupTasks(a.container);
      const b = await make();
      await b.container.clients.startListening();
      expect(frameAncestors(await call(b.container, PATH))).toBe("'none'");

      await a.container.clients.create({
        name: "Elsewhere",
        type: "public",
        redirectUris: ["https://elsewhere.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      });
      // B's clock never moves: only the message can have dropped its cached list.
      await vi.waitFor(async () => expect(frameAncestors(await call(b.container, PATH))).toBe("https://elsewhere.example.com"), { timeout: 5_000, interval: 10 });
    });
  });
});
