import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";

const run = promisify(execFile);
const dataDir = ".tmp/e2e-data";

/** Runs the `authly` CLI against the running server's embedded database. */
async function authly(...argv: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["bin/authly.js", ...argv], {
      env: { ...process.env, AUTHLY_DATA_DIR: dataDir, LOG_LEVEL: "warn" },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

test.describe("operations endpoints on the production server", () => {
  test("/api/health and /api/ready answer with security headers", async ({ request }) => {
    const health = await request.get("/api/health");
    expect(health.status()).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const headers = health.headers();
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["cache-control"]).toBe("no-store");
    expect(headers["x-request-id"]).toBeTruthy();

    const ready = await request.get("/api/ready");
    expect(ready.status()).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", checks: { database: { status: "ok" } } });

    const wrongMethod = await request.post("/api/health");
    expect(wrongMethod.status()).toBe(405);
  });

  test("pages get the same security headers", async ({ request }) => {
    const page = await request.get("/");
    expect(page.status()).toBe(200);
    expect(page.headers()["x-frame-options"]).toBe("DENY");
    expect(page.headers()["content-security-policy"]).toContain("object-src 'none'");
    expect(page.headers()["x-powered-by"]).toBeUndefined();
  });
});

test.describe("the CLI while the server holds the embedded database", () => {
  test("commands are carried out by the running server", async () => {
    const created = await authly(
      "clients", "create", "--name", "E2E app", "--type", "confidential",
      "--redirect-uri", "https://e2e.example.com/callback",
      "--grant-types", "authorization_code,refresh_token", "--scopes", "openid profile", "--json",
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    expect(client.client_secret).toBeTruthy();

    const listed = await authly("clients", "list", "--json");
    expect((JSON.parse(listed.stdout) as { client_id: string }[]).map((c) => c.client_id)).toContain(client.client_id);

    const users = await authly("users", "list", "--json");
    expect((JSON.parse(users.stdout) as { email: string; roles: string[] }[]).find((u) => u.email === "admin@example.com")?.roles).toEqual(["admin"]);

    const invalid = await authly("clients", "create", "--name", "Incomplete");
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("--type is required");
  });
});
