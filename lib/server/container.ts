import { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import { MemoryCache } from "../cache/memory-cache";
import { RedisCache } from "../cache/redis-cache";
import { ClientService } from "../clients/client-service";
import type { AppConfig } from "../config/config";
import { resolveMasterKey } from "../config/master-key";
import type { Database } from "../db/database";
import { openEmbedded } from "../db/embedded";
import { openPostgres } from "../db/postgres";
import { Argon2idPasswordHasher, type PasswordHasher } from "../identity/password-hasher";
import { UserService } from "../identity/user-service";
import { KeyEncryption } from "../keys/key-encryption";
import { SigningKeyService } from "../keys/signing-key-service";
import { createLogger, type Logger } from "../observability/logger";
import { ReadinessCheck } from "../observability/readiness";
import { ScopeService } from "../scopes/scope-service";
import { DEFAULT_TENANT_ID } from "../tenancy/tenant";
import { systemClock, type Clock } from "./clock";

/**
 * The composition root: the only place that constructs services. Everything a service needs
 * (database, cache, clock, logger, config, keys) is passed in explicitly, so tests build their
 * own container and several processes can share one PostgreSQL + Redis.
 */
export interface Container {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly cache: Cache;
  readonly passwordHasher: PasswordHasher;
  readonly keyEncryption: KeyEncryption;
  readonly audit: AuditLog;
  readonly users: UserService;
  readonly clients: ClientService;
  readonly scopes: ScopeService;
  readonly signingKeys: SigningKeyService;
  readonly readiness: ReadinessCheck;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  logger?: Logger;
  clock?: Clock;
  /** An already open database (tests); otherwise opened from config. */
  database?: Database;
  cache?: Cache;
  passwordHasher?: PasswordHasher;
  masterKey?: Uint8Array;
}

export function createLoggerFromConfig(config: AppConfig): Logger {
  return createLogger({ level: config.log.level, format: config.log.format });
}

export async function openDatabase(config: AppConfig): Promise<Database> {
  return config.database.kind === "embedded" ? openEmbedded(config.database.dataDir) : openPostgres(config.database.url);
}

export async function createContainer(config: AppConfig, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? createLoggerFromConfig(config);
  const clock = overrides.clock ?? systemClock;
  const masterKey = overrides.masterKey ?? resolveMasterKey(config, logger);
  const db = overrides.database ?? (await openDatabase(config));
  const cache: Cache =
    overrides.cache ??
    (config.redisUrl
      ? new RedisCache({ url: config.redisUrl, logger: logger.child({ component: "redis" }) })
      : new MemoryCache({ clock, logger: logger.child({ component: "cache" }) }));

  const tenantId = DEFAULT_TENANT_ID;
  const prisma = db.prisma;
  const passwordHasher = overrides.passwordHasher ?? new Argon2idPasswordHasher(config.passwordHashing);
  const keyEncryption = new KeyEncryption(masterKey);
  const audit = new AuditLog({ prisma, clock, logger: logger.child({ component: "audit" }), tenantId });
  const scopes = new ScopeService({ prisma, tenantId });
  const users = new UserService({ prisma, passwordHasher, clock, audit, tenantId });
  const clients = new ClientService({ prisma, scopes, audit, clock, tenantId });
  const signingKeys = new SigningKeyService({ prisma, encryption: keyEncryption, clock, logger: logger.child({ component: "keys" }), audit, tenantId });
  const readiness = new ReadinessCheck({ database: db, cache: config.redisUrl ? cache : undefined });

  let closed = false;
  return {
    config,
    logger,
    clock,
    db,
    cache,
    passwordHasher,
    keyEncryption,
    audit,
    users,
    clients,
    scopes,
    signingKeys,
    readiness,
    async close() {
      if (closed) return;
      closed = true;
      await cache.close().catch(() => undefined);
      await db.close();
    },
  };
}
