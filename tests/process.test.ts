import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startControlServer } from "../lib/cli/control-socket";
import { runCliCaptured } from "../lib/cli/run";
import { embeddedPaths } from "../lib/db/embedded";
import { silentLogger } from "../lib/observability/logger";
import { runStartupTasks } from "../lib/server/first-start";
import { createTestContainer, databaseKind, freshDatabase, type TestContext } from "./support/test-env";

// These tests run the real entry points as child processes.
const baseEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", NODE_ENV: "test" as const, NEXT_TELEMETRY_DISABLED: "1" };

/** Runs node asynchronously (the test process may itself have to answer the child). */
function runNode(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const cli = (env: Record<string, string>, ...argv: string[]) => runNode(["bin/authly.js", ...argv], env);

describe(`entry points (${databaseKind})`, () => {
  const contexts: TestContext[] = [];
  afterEach(async () => {
    while (contexts.length) await contexts.pop()!.cleanup();
  });

  it("the server refuses to start with an invalid variable, naming it in plain words", async () => {
    const result = await runNode(["--import", "tsx", "server.ts"], { PORT: "eighty", AUTHLY_DATA_DIR: ".tmp/never-used" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Invalid configuration:");
    expect(result.stderr).toMatch(/PORT: expected a whole number/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.runIf(databaseKind === "postgres")("the server stops with one line naming the database host when PostgreSQL is unreachable", async () => {
    const result = await runNode(["--import", "tsx", "server.ts"], {
      DATABASE_URL: "postgresql://postgres:topsecret@127.0.0.1:1/authly",
      AUTHLY_MASTER_KEY: "0".repeat(64),
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^authly: Cannot open the PostgreSQL at 127\.0\.0\.1:1\/authly: .*ECONNREFUSED/);
    expect(result.stderr).not.toContain("topsecret");
  });

  it("the CLI creates and lists a client and a user against a fresh database", async () => {
    const target = freshDatabase({ migrated: false });
    const env = { ...target.env, AUTHLY_ADMIN_EMAIL: "admin@example.com", AUTHLY_ADMIN_PASSWORD: "admin-password-123" };
    try {
      const created = await cli(env, "clients", "create", "--name", "Demo", "--type", "confidential", "--redirect-uri", "https://demo.example.com/cb", "--grant-types", "authorization_code,refresh_token", "--scopes", "openid profile", "--json");
      expect(created.code).toBe(0);
      expect(created.stderr).not.toMatch(/error|\n\s+at /i);
      const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
      expect(client.client_secret).toEqual(expect.any(String));
      expect((await cli(env, "users", "create", "--email", "erin@example.com", "--password", "erin-password-1")).code).toBe(0);
      const clients = await cli(env, "clients", "list");
      expect(clients.stdout).toContain(client.client_id);
      const users = await cli(env, "users", "list", "--json");
      expect((JSON.parse(users.stdout) as { email: string }[]).map((u) => u.email).sort()).toEqual(["admin@example.com", "erin@example.com"]);
      const bad = await cli(env, "clients", "create", "--name", "X");
      expect(bad.code).toBe(2);
    } finally {
      target.dispose();
    }
  });

  it("a process killed during first start leaves a database that the next start completes", async () => {
    const target = freshDatabase({ migrated: false });
    try {
      for (const delayMs of [300, 1200]) {
        const child = spawn(process.execPath, ["bin/authly.js", "migrate"], { env: { ...baseEnv, ...target.env }, stdio: "ignore" });
        await new Promise((r) => setTimeout(r, delayMs));
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
      }
      const done = await cli(target.env, "migrate");
      expect(done.code).toBe(0);
      const listed = await cli(target.env, "users", "list", "--json");
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as { roles: string[] }[]).filter((u) => u.roles.includes("admin"))).toHaveLength(1);
      expect(JSON.parse((await cli(target.env, "keys", "list", "--json")).stdout)).toHaveLength(6);
    } finally {
      target.dispose();
    }
  });

  it.runIf(databaseKind === "postgres")("two processes starting at once against one fresh PostgreSQL database both succeed; one admin", async () => {
    const target = freshDatabase({ migrated: false });
    const env = { ...target.env, AUTHLY_ADMIN_EMAIL: "admin@example.com", AUTHLY_ADMIN_PASSWORD: "admin-password-123" };
    try {
      const [a, b] = await Promise.all([cli(env, "migrate"), cli(env, "migrate")]);
      expect([a.code, b.code, a.code === 0 ? "" : a.stderr, b.code === 0 ? "" : b.stderr]).toEqual([0, 0, "", ""]);
      const applied = [a.stdout, b.stdout].filter((o) => o.startsWith("Applied"));
      expect(applied).toHaveLength(1);
      const users = JSON.parse((await cli(env, "users", "list", "--json")).stdout) as { roles: string[] }[];
      expect(users.filter((u) => u.roles.includes("admin"))).toHaveLength(1);
    } finally {
      target.dispose();
    }
  });

  it.runIf(databaseKind === "embedded")("while a server holds the embedded database, the CLI stops with a clear message or goes through the server", async () => {
    const ctx = await createTestContainer();
    contexts.push(ctx);
    await runStartupTasks(ctx.container);
    const env = { AUTHLY_DATA_DIR: ctx.target.dataDir };

    // No control socket: a clear refusal, and the data is untouched.
    const refused = await cli(env, "clients", "list");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/in use by another Authly process \(pid \d+\)/);

    // With the server's control socket: the command runs inside the server.
    const socketPath = embeddedPaths(ctx.target.dataDir).controlSocket;
    const server = await startControlServer(
      socketPath,
      (argv) => runCliCaptured(argv, ctx.container),
      silentLogger,
    );
    try {
      const created = await cli(env, "clients", "create", "--name", "Via server", "--type", "public", "--redirect-uri", "https://x.example.com/cb", "--grant-types", "authorization_code", "--scopes", "openid", "--json");
      expect(created.code).toBe(0);
      const { client_id } = JSON.parse(created.stdout) as { client_id: string };
      expect((await ctx.container.clients.findByClientId(client_id))?.name).toBe("Via server");
      const usage = await cli(env, "clients", "create", "--name", "X");
      expect(usage.code).toBe(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(existsSync(socketPath)).toBe(false);
  });
});
