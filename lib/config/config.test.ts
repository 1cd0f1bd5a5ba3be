import { mkdtempSync, writeFileSync, statSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as configModule from "./config";
import { ConfigError, describeDatabase, loadConfig } from "./config";
import { resolveMasterKey } from "./master-key";
import { createLogger, silentLogger } from "../observability/logger";

const cwd = "/srv/authly";

function issuesOf(env: Record<string, string>) {
  try {
    loadConfig(env, { cwd });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has working defaults: embedded database in ./data, port 3000, localhost issuer", () => {
    const config = loadConfig({}, { cwd });
    expect(config).toMatchObject({
      port: 3000,
      issuer: "http://localhost:3000",
      dataDir: "/srv/authly/data",
      database: { kind: "embedded", dataDir: "/srv/authly/data" },
      redisUrl: undefined,
      autoMigrate: true,
      passwordHashing: { memoryKiB: 19456, iterations: 2, parallelism: 1 },
      log: { level: "info", format: "json" },
    });
    expect(describeDatabase(config)).toBe("embedded database at /srv/authly/data");
  });

  it("uses PostgreSQL when DATABASE_URL is set and never prints its password", () => {
    const config = loadConfig({ DATABASE_URL: "postgresql://app:s3cret@db.internal:5433/authly" }, { cwd });
    expect(config.database).toEqual({ kind: "postgres", url: "postgresql://app:s3cret@db.internal:5433/authly", queryTimeoutMs: 10_000 });
    expect(describeDatabase(config)).toBe("PostgreSQL at db.internal:5433/authly");
  });

  it("derives the issuer from PORT and strips a trailing slash (RFC 8414 §2)", () => {
    expect(loadConfig({ PORT: "8080" }, { cwd }).issuer).toBe("http://localhost:8080");
    expect(loadConfig({ AUTHLY_ISSUER: "https://id.example.com/" }, { cwd }).issuer).toBe("https://id.example.com");
    expect(loadConfig({ AUTHLY_ISSUER: "https://example.com/tenant/" }, { cwd }).issuer).toBe("https://example.com/tenant");
  });

  it.each([
    [{ PORT: "abc" }, "PORT", /whole number/],
    [{ PORT: "70000" }, "PORT", /at most 65535/],
    [{ DATABASE_URL: "mysql://x@y/z" }, "DATABASE_URL", /postgresql:\/\//],
    [{ REDIS_URL: "http://cache" }, "REDIS_URL", /redis:\/\//],
    [{ AUTHLY_ADMIN_EMAIL: "admin" }, "AUTHLY_ADMIN_EMAIL", /email/],
    [{ AUTHLY_ADMIN_PASSWORD: "short" }, "AUTHLY_ADMIN_PASSWORD", /at least 12/],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", /debug|info/],
    [{ AUTHLY_AUTO_MIGRATE: "maybe" }, "AUTHLY_AUTO_MIGRATE", /true/],
    [{ AUTHLY_ISSUER: "not a url" }, "AUTHLY_ISSUER", /absolute URL/],
    [{ AUTHLY_ISSUER: "https://id.example.com/?x=1" }, "AUTHLY_ISSUER", /query or fragment/],
    [{ AUTHLY_ISSUER: "http://id.example.com", NODE_ENV: "production" }, "AUTHLY_ISSUER", /https/],
    [{ AUTHLY_DEFAULT_LOCALE: "it" }, "AUTHLY_DEFAULT_LOCALE", /one of en, de, fr/],
  ])("rejects %j naming %s", (env, variable, message) => {
    const issues = issuesOf(env);
    const issue = issues.find((i) => i.variable === variable);
    expect(issue?.message).toMatch(message);
  });

  it("accepts every supported locale as AUTHLY_DEFAULT_LOCALE", () => {
    expect(loadConfig({}, { cwd }).defaultLocale).toBe("en");
    for (const locale of ["en", "de", "fr"]) expect(loadConfig({ AUTHLY_DEFAULT_LOCALE: locale }, { cwd }).defaultLocale).toBe(locale);
  });

  it("reports every bad variable at once, without echoing secrets", () => {
    const issues = issuesOf({ PORT: "x", REDIS_URL: "nope-secret-value", LOG_LEVEL: "x" });
    expect(issues.map((i) => i.variable).sort()).toEqual(["LOG_LEVEL", "PORT", "REDIS_URL"]);
    expect(JSON.stringify(issues)).not.toContain("nope-secret-value");
    const error = new ConfigError(issues);
    expect(error.message).toMatch(/^Invalid configuration:\n {2}/);
  });

  it("reads secrets from NAME_FILE, and refuses both forms at once", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "authly-secret-"));
    const file = path.join(dir, "admin-password");
    writeFileSync(file, "from-a-file-password\n");
    expect(loadConfig({ AUTHLY_ADMIN_PASSWORD_FILE: file }, { cwd }).admin.password).toBe("from-a-file-password");
    expect(issuesOf({ AUTHLY_ADMIN_PASSWORD_FILE: file, AUTHLY_ADMIN_PASSWORD: "another-password-x" })[0]).toMatchObject({
      variable: "AUTHLY_ADMIN_PASSWORD",
      message: expect.stringMatching(/not both/),
    });
    expect(issuesOf({ DATABASE_URL_FILE: path.join(dir, "missing") })[0]).toMatchObject({
      variable: "DATABASE_URL_FILE",
      message: expect.stringMatching(/cannot read .*ENOENT/),
    });
  });
});

describe("resolveMasterKey", () => {
  it("generates a key into the data directory with mode 0600 on the embedded default, logs it, and reuses it", () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "authly-mk-")), "data");
    const lines: string[] = [];
    const logger = createLogger({ level: "info", write: (line) => lines.push(line) });
    const config = loadConfig({ AUTHLY_DATA_DIR: dataDir }, { cwd });
    const first = resolveMasterKey(config, logger);
    expect(first).toHaveLength(32);
    const file = path.join(dataDir, "master.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).toMatch(/generated a new master key/);
    expect(lines.join("\n")).not.toContain(readFileSync(file, "utf8").trim());
    expect(resolveMasterKey(config, silentLogger)).toEqual(first);
  });

  it("is required in production with PostgreSQL", () => {
    const config = loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgresql://u@db/authly" }, { cwd });
    expect(() => resolveMasterKey(config, silentLogger)).toThrow(/AUTHLY_MASTER_KEY: is required in production/);
  });

  it("rejects a malformed AUTHLY_MASTER_KEY naming the variable", () => {
    const config = loadConfig({ AUTHLY_MASTER_KEY: "too-short" }, { cwd });
    expect(() => resolveMasterKey(config, silentLogger)).toThrow(/AUTHLY_MASTER_KEY/);
  });
});

describe(".env.example", () => {
  it("documents exactly the variables the schema reads", () => {
    const text = readFileSync(path.resolve(".env.example"), "utf8");
    const documented = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    const { envSchema } = configModule;
    expect([...documented].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });
});
