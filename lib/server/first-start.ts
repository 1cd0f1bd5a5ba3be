import path from "node:path";
import { applyMigrations, readMigrations, type MigrationResult } from "../db/migrations";
import { generatePassword } from "../identity/password-hasher";
import { DEFAULT_TENANT_ID, DEFAULT_TENANT_NAME } from "../tenancy/tenant";
import type { AppConfig } from "../config/config";
import { createContainer, type Container, type ContainerOverrides } from "./container";

export const DEFAULT_ADMIN_EMAIL = "admin@authly.local";

export interface StartupReport {
  migrations: MigrationResult | undefined;
  scopesCreated: number;
  keysCreated: number;
  /** Set when this process created the admin user. */
  admin?: { email: string; generatedPassword?: string };
}


/**
 * First start and every start after it: migrations, the default tenant, the standard scopes,
 * signing keys and an admin user. Everything runs under one database-wide lock and is idempotent,
 * so concurrent starts serialize and a start killed half-way is completed by the next one.
 */
export async function runStartupTasks(container: Container, options: { forceMigrations?: boolean } = {}): Promise<StartupReport> {
  const { db, config, logger } = container;
  const migrations = config.autoMigrate || options.forceMigrations
    ? readMigrations(path.join(config.appRoot, "prisma", "migrations"))
    : undefined;
  return db.sql.withExclusiveLock("startup", async () => {
    const migrationResult = migrations ? await applyMigrations(db.sql, migrations, logger) : undefined;
    await db.prisma.tenant.upsert({
      where: { id: DEFAULT_TENANT_ID },
      create: { id: DEFAULT_TENANT_ID, name: DEFAULT_TENANT_NAME },
      update: {},
    });
    const scopesCreated = await container.scopes.ensureStandardScopes();
    const keysCreated = (await container.signingKeys.ensureKeys()).length;

    let admin: StartupReport["admin"];
    if ((await container.users.countAdmins()) === 0) {
      const email = config.admin.email ?? DEFAULT_ADMIN_EMAIL;
      const generatedPassword = config.admin.password ? undefined : generatePassword(20);
      const existing = await container.users.findByEmail(email);
      if (existing) {
        // The configured admin email belongs to an existing account: grant it the admin role.
        await db.prisma.user.update({ where: { id: existing.id }, data: { roles: { set: [...new Set([...existing.roles, "admin"])] } } });
        admin = { email };
      } else {
        await container.users.create(
          { email, password: config.admin.password ?? generatedPassword, roles: ["admin"], emailVerified: true, name: "Administrator" },
          { type: "system" },
        );
        admin = { email, generatedPassword };
      }
      logger.info("created the admin user", { email });
    }
    return { migrations: migrationResult, scopesCreated, keysCreated, admin };
  });
}

/** The one-time console notice for a generated admin password (not a log line). */
export function formatGeneratedAdminNotice(email: string, password: string): string {
  const lines = [
    "An admin account was created with a generated password. It is shown only this once:",
    `  email:    ${email}`,
    `  password: ${password}`,
    "Sign in and change it, or set AUTHLY_ADMIN_EMAIL and AUTHLY_ADMIN_PASSWORD before the first start.",
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const bar = "=".repeat(width + 4);
  return [bar, ...lines.map((l) => `| ${l.padEnd(width)} |`), bar].join("\n");
}

/**
 * Builds the container and runs the start-up tasks (server, `next dev`, CLI). A generated admin
 * password goes to `announce` once; a failed start closes what it opened. Long-running processes
 * pass `{ background: true }` to start background work (automatic key rotation, purging expired records, back-channel logout deliveries); the CLI does not.
 */
export async function startContainer(
  config: AppConfig,
  overrides: ContainerOverrides,
  announce: (notice: string) => void,
  options: { background?: boolean } = {},
): Promise<Container> {
  const container = await createContainer(config, overrides);
  try {
    const report = await runStartupTasks(container);
    if (report.admin?.generatedPassword) announce(formatGeneratedAdminNotice(report.admin.email, report.admin.generatedPassword));
    // After the start-up tasks: the keys exist now.
    await container.keyStore.start();
    // The revocation list: announcements from other instances, and a first read of the record.
    await container.revocations.start();
    await container.revocations.sync();
    if (options.background) {
      container.keyRotation.start();
      container.expiredRecords.start();
      // Back-Channel Logout 1.0: deliveries queued by any instance (or before a restart).
      container.backchannelLogout.start();
    }
    return container;
  } catch (error) {
    await container.close();
    throw error;
  }
}
