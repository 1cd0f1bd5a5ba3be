import path from "node:path";
import { z } from "zod";
import { defaultLocale, locales, type Locale } from "../../i18n/locales";
import {
  EnvSecretProvider,
  FileSecretProvider,
  SecretFileError,
  resolveSecrets,
  secretVariables,
  type Environment,
  type SecretProvider,
} from "./secret-providers";
import { parseEgressAllowList } from "../security/egress";

/** One schema for every environment variable Authly reads (documented in .env.example). */
const booleanString = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: 'expected "true" or "false"' })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));

const postgresUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "postgresql:" || u.protocol === "postgres:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, { error: "expected a URL like postgresql://user:password@host:5432/database" });

const redisUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === "redis:" || u.protocol === "rediss:") && u.hostname !== "";
  } catch {
    return false;
  }
}, { error: "expected a URL like redis://host:6379 or rediss://host:6380" });

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).optional(),
  PORT: intString(1, 65535).default(3000),
  AUTHLY_ISSUER: z.string().optional(),
  AUTHLY_DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrl.optional(),
  AUTHLY_MASTER_KEY: z.string().optional(),
  AUTHLY_ADMIN_EMAIL: z.email({ error: "expected an email address" }).optional(),
  AUTHLY_ADMIN_PASSWORD: z.string().min(12, { error: "must be at least 12 characters" }).max(1024).optional(),
  AUTHLY_AUTO_MIGRATE: booleanString.default(true),
  AUTHLY_DEFAULT_LOCALE: z.enum(locales, { error: `expected one of ${locales.join(", ")}` }).default(defaultLocale),
  AUTHLY_PASSWORD_MEMORY_KIB: intString(8, 4_194_304).default(19456),
  AUTHLY_PASSWORD_ITERATIONS: intString(1, 100).default(2),
  AUTHLY_PASSWORD_PARALLELISM: intString(1, 64).default(1),
  AUTHLY_KEY_ROTATION_DAYS: intString(0, 3650).default(90),
  AUTHLY_KEY_CACHE_SECONDS: intString(1, 86_400).default(300),
  AUTHLY_REVOCATION_SYNC_SECONDS: intString(1, 3600).default(2),
  AUTHLY_DATABASE_TIMEOUT_SECONDS: intString(1, 600).default(10),
  AUTHLY_RATE_LIMIT_WINDOW_SECONDS: intString(1, 86_400).default(60),
  AUTHLY_RATE_LIMIT_PER_IP: intString(0, 100_000_000).default(1200),
  AUTHLY_RATE_LIMIT_PER_CLIENT: intString(0, 100_000_000).default(1200),
  AUTHLY_TRUST_PROXY: booleanString.default(false),
  /** Hosts and networks registered URLs may reach although they are not public (lib/security/egress.ts). */
  AUTHLY_EGRESS_ALLOW_HOSTS: z
    .string()
    .max(8192)
    .transform((v, ctx) => {
      const parsed = parseEgressAllowList(v);
      if (typeof parsed === "string") {
        ctx.addIssue({ code: "custom", message: `${parsed}; expected host names, IP addresses or CIDR networks, comma-separated` });
        return z.NEVER;
      }
      return v.split(/[\s,]+/).filter(Boolean);
    })
    .optional(),
  AUTHLY_SESSION_IDLE_MINUTES: intString(1, 525_600).default(30),
  AUTHLY_SESSION_MAX_HOURS: intString(1, 8_760).default(12),
  AUTHLY_LOGIN_DELAY_AFTER: intString(1, 1000).default(3),
  AUTHLY_LOGIN_LOCKOUT_AFTER: intString(1, 1000).default(10),
  AUTHLY_LOGIN_LOCKOUT_MINUTES: intString(1, 10_080).default(15),
  AUTHLY_LOGIN_IP_LOCKOUT_AFTER: intString(1, 100_000).default(100),
  SMTP_URL: z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === "smtp:" || u.protocol === "smtps:") && u.hostname !== "";
      } catch {
        return false;
      }
    }, { error: "expected a URL like smtp://user:password@host:587 or smtps://host:465" })
    .optional(),
  AUTHLY_MAIL_FROM: z.string().min(3).max(320).optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
});

export type RawEnv = z.input<typeof envSchema>;

export interface AppConfig {
  env: "development" | "production" | "test";
  host: string | undefined;
  port: number;
  /** The issuer identifier: https URL, no query or fragment, no trailing slash (RFC 8414 §2). */
  issuer: string;
  dataDir: string;
  database: { kind: "embedded"; dataDir: string } | { kind: "postgres"; url: string; queryTimeoutMs: number };
  redisUrl: string | undefined;
  masterKey: string | undefined;
  admin: { email: string | undefined; password: string | undefined };
  autoMigrate: boolean;
  defaultLocale: Locale;
  passwordHashing: { memoryKiB: number; iterations: number; parallelism: number };
  log: { level: "debug" | "info" | "warn" | "error" | "silent"; format: "json" | "pretty" };
  keys: {
    /** Rotate signing keys automatically after this many days (0: only by hand). */
    rotationDays: number;
    /** How long an instance trusts its in-memory copy of the signing keys. */
    cacheSeconds: number;
  };
  /**
   * How often an instance reads the revocations other instances recorded (the database is the
   * record; Redis announcements only make them arrive sooner).
   */
  revocationSyncSeconds: number;
  /** Fixed-window limits for the protocol endpoints; 0 disables a limit. */
  rateLimit: { windowSeconds: number; perIp: number; perClient: number };
  /** Take the client address from X-Forwarded-For (only behind a trusted reverse proxy). */
  trustProxy: boolean;
  /**
   * Outbound requests to registered URLs (jwks_uri, sector_identifier_uri, backchannel_logout_uri):
   * host names, IP addresses and CIDR networks allowed although not public (docs/security.md).
   */
  egress: { allowHosts: readonly string[] };
  /** Browser sessions end after this much inactivity, and in any case this long after sign-in. */
  session: { idleSeconds: number; absoluteSeconds: number };
  /**
   * Brute-force protection of password sign-in, counted per account and per client address over
   * the lockout period: progressive delays from `delayAfter` failures, a temporary lockout of the
   * account at `lockoutAfter` and of the address at `ipLockoutAfter`.
   */
  loginThrottle: { delayAfter: number; lockoutAfter: number; lockoutSeconds: number; ipLockoutAfter: number };
  /** Outgoing mail: SMTP when a URL is set, else files in AUTHLY_DATA_DIR/outbox. */
  mail: { smtpUrl: string | undefined; from: string };
  /** The folder holding prisma/migrations and messages (the installed application). */
  appRoot: string;
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      "Invalid configuration:\n" + issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]" || hostname.endsWith(".localhost");
}

/** RFC 8414 §2: https, no query, no fragment. http is accepted for loopback hosts and outside production. */
function normalizeIssuer(raw: string, production: boolean): string | ConfigIssue {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { variable: "AUTHLY_ISSUER", message: `expected an absolute URL such as https://id.example.com (got "${raw}")` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { variable: "AUTHLY_ISSUER", message: "must use https" };
  }
  if (url.protocol === "http:" && production && !isLoopback(url.hostname)) {
    return { variable: "AUTHLY_ISSUER", message: "must use https in production (RFC 8414 §2)" };
  }
  if (url.search || url.hash || raw.includes("?") || raw.includes("#")) {
    return { variable: "AUTHLY_ISSUER", message: "must not contain a query or fragment (RFC 8414 §2)" };
  }
  if (url.username || url.password) {
    return { variable: "AUTHLY_ISSUER", message: "must not contain credentials" };
  }
  return url.href.replace(/\/+$/, "");
}

export interface LoadConfigOptions {
  cwd?: string;
  appRoot?: string;
  secretProviders?: SecretProvider[];
}

/** Parses and validates the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Environment, options: LoadConfigOptions = {}): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];

  for (const variable of secretVariables) {
    if (env[variable] && env[`${variable}_FILE`]) {
      issues.push({ variable, message: `set either ${variable} or ${variable}_FILE, not both` });
    }
  }

  let secrets: Record<string, string | undefined> = {};
  try {
    secrets = resolveSecrets(options.secretProviders ?? [new FileSecretProvider(env), new EnvSecretProvider(env)]);
  } catch (error) {
    if (error instanceof SecretFileError) issues.push({ variable: error.variable, message: error.message });
    else throw error;
  }

  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    raw[key] = value === "" ? undefined : value;
  }
  Object.assign(raw, secrets);

  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? "environment");
      const isSecret = (secretVariables as readonly string[]).includes(variable);
      const got = raw[variable];
      const shown = got !== undefined && !isSecret ? ` (got "${got.length > 60 ? got.slice(0, 60) + "…" : got}")` : "";
      issues.push({ variable, message: issue.message + shown });
    }
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  const e = parsed.data;

  const production = e.NODE_ENV === "production";
  const issuer = normalizeIssuer(e.AUTHLY_ISSUER ?? `http://localhost:${e.PORT}`, production);
  if (typeof issuer !== "string") throw new ConfigError([issuer]);

  const dataDir = path.resolve(cwd, e.AUTHLY_DATA_DIR);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    issuer,
    dataDir,
    database: e.DATABASE_URL ? { kind: "postgres", url: e.DATABASE_URL, queryTimeoutMs: e.AUTHLY_DATABASE_TIMEOUT_SECONDS * 1000 } : { kind: "embedded", dataDir },
    redisUrl: e.REDIS_URL,
    masterKey: e.AUTHLY_MASTER_KEY,
    admin: { email: e.AUTHLY_ADMIN_EMAIL?.toLowerCase(), password: e.AUTHLY_ADMIN_PASSWORD },
    autoMigrate: e.AUTHLY_AUTO_MIGRATE,
    defaultLocale: e.AUTHLY_DEFAULT_LOCALE,
    passwordHashing: {
      memoryKiB: e.AUTHLY_PASSWORD_MEMORY_KIB,
      iterations: e.AUTHLY_PASSWORD_ITERATIONS,
      parallelism: e.AUTHLY_PASSWORD_PARALLELISM,
    },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    keys: { rotationDays: e.AUTHLY_KEY_ROTATION_DAYS, cacheSeconds: e.AUTHLY_KEY_CACHE_SECONDS },
    revocationSyncSeconds: e.AUTHLY_REVOCATION_SYNC_SECONDS,
    rateLimit: {
      windowSeconds: e.AUTHLY_RATE_LIMIT_WINDOW_SECONDS,
      perIp: e.AUTHLY_RATE_LIMIT_PER_IP,
      perClient: e.AUTHLY_RATE_LIMIT_PER_CLIENT,
    },
    trustProxy: e.AUTHLY_TRUST_PROXY,
    egress: { allowHosts: e.AUTHLY_EGRESS_ALLOW_HOSTS ?? [] },
    session: {
      idleSeconds: e.AUTHLY_SESSION_IDLE_MINUTES * 60,
      absoluteSeconds: e.AUTHLY_SESSION_MAX_HOURS * 3600,
    },
    loginThrottle: {
      delayAfter: e.AUTHLY_LOGIN_DELAY_AFTER,
      lockoutAfter: e.AUTHLY_LOGIN_LOCKOUT_AFTER,
      lockoutSeconds: e.AUTHLY_LOGIN_LOCKOUT_MINUTES * 60,
      ipLockoutAfter: e.AUTHLY_LOGIN_IP_LOCKOUT_AFTER,
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.AUTHLY_MAIL_FROM ?? `Authly <no-reply@${new URL(issuer).hostname}>` },
    appRoot: options.appRoot ?? env.AUTHLY_APP_ROOT ?? cwd,
  };
}

/** A printable description of where the database lives, without credentials. */
export function describeDatabase(config: Pick<AppConfig, "database">): string {
  if (config.database.kind === "embedded") return `embedded database at ${config.database.dataDir}`;
  const u = new URL(config.database.url);
  return `PostgreSQL at ${u.hostname}:${u.port || "5432"}${u.pathname}`;
}
