import { afterEach, describe, expect, it } from "vitest";
import { runRoute } from "../lib/http/pipeline";
import { findRoute } from "../lib/http/routes";
import type { Container } from "../lib/server/container";
import { REDIS_TEST_URL } from "./support/paths";
import { createTestContainer, databaseKind, type TestContext } from "./support/test-env";

async function get(container: Container, path: string, method = "GET") {
  const route = findRoute(path)!;
  return runRoute(route, new Request(`http://localhost${path}`, { method }), container);
}

describe(`health and readiness (${databaseKind})`, () => {
  const contexts: TestContext[] = [];
  afterEach(async () => {
    while (contexts.length) await contexts.pop()!.cleanup();
  });

  it("/api/health answers without I/O; /api/ready is 200 when the database answers", async () => {
    const ctx = await createTestContainer();
    contexts.push(ctx);
    const health = await get(ctx.container, "/api/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("cache-control")).toBe("no-store");
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    expect(health.headers.get("x-request-id")).toBeTruthy();

    const ready = await get(ctx.container, "/api/ready");
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe("ready");
    expect(body.checks.database?.status).toBe("ok");
    expect(body.checks).not.toHaveProperty("redis");
  });

  it("/api/ready checks Redis when it is configured", async () => {
    const ctx = await createTestContainer({ env: { REDIS_URL: REDIS_TEST_URL } });
    contexts.push(ctx);
    const ready = await get(ctx.container, "/api/ready");
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toMatchObject({ redis: { status: "ok" } });
  });

  it("/api/ready is 503 naming Redis when Redis does not answer", async () => {
    const ctx = await createTestContainer({ env: { REDIS_URL: "redis://127.0.0.1:1" } });
    contexts.push(ctx);
    const ready = await get(ctx.container, "/api/ready");
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
    expect(body.status).toBe("unavailable");
    expect(body.checks.database?.status).toBe("ok");
    expect(body.checks.redis?.status).toBe("error");
    expect(body.checks.redis?.error).toMatch(/^Redis is unreachable: connect ECONNREFUSED 127\.0\.0\.1:1\b/);
  });

  it("/api/ready is 503 naming the database when it is gone", async () => {
    const ctx = await createTestContainer();
    contexts.push(ctx);
    await ctx.container.db.close();
    const ready = await get(ctx.container, "/api/ready");
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { status: string }> };
    expect(body.checks.database?.status).toBe("error");
  });

  it("wrong methods get 405 with Allow; HEAD works like GET without a body", async () => {
    const ctx = await createTestContainer();
    contexts.push(ctx);
    const post = await get(ctx.container, "/api/health", "POST");
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await get(ctx.container, "/api/health", "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});
