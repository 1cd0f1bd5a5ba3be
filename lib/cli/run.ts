import { readFileSync } from "node:fs";
import type { Client, Scope, SigningKey, User } from "../generated/prisma/client";
import { generateMasterKey } from "../security/key-encryption";
import { generatePassword } from "../identity/password-hasher";
import { isLockedOut } from "../identity/password-login";
import { ConflictError, ValidationError } from "../server/errors";
import type { Container } from "../server/container";
import { formatGeneratedAdminNotice, runStartupTasks } from "../server/first-start";
import { parseCommand, usage, UsageError, type Command } from "./commands";

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Gives the command a ready container (migrated and seeded) and cleans up afterwards. */
export type ContainerProvider = <T>(fn: (container: Container) => Promise<T>) => Promise<T>;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Parses argv and runs it; returns the exit code. Never throws for expected failures. */
export async function runCli(argv: string[], io: CliOutput, withContainer: ContainerProvider): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`authly: ${error.message}\n\n${usage}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (command.kind === "help") {
    io.out(usage + "\n");
    return EXIT_OK;
  }
  if (command.kind === "master-key") {
    io.out(generateMasterKey() + "\n");
    return EXIT_OK;
  }
  try {
    return await withContainer((container) => execute(command, container, io));
  } catch (error) {
    if (error instanceof ValidationError) {
      io.err(`authly: invalid input:\n${error.issues.map((i) => `  ${i.field}: ${i.message}`).join("\n")}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConflictError) {
      io.err(`authly: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

/** Runs a command against an already started container and returns its output (control socket). */
export async function runCliCaptured(argv: string[], container: Container): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const exitCode = await runCli(argv, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) }, (fn) => fn(container));
  return { exitCode, stdout, stderr };
}

const userJson = (u: User, nowMs: number) => ({
  id: u.id,
  email: u.email,
  email_verified: u.emailVerified,
  name: u.name ?? undefined,
  roles: u.roles,
  status: u.status,
  // A sign-in lockout in force (lib/identity/login-throttle.ts).
  ...(isLockedOut(u, nowMs) && { locked_until: u.lockedUntil!.toISOString(), failed_login_count: u.failedLoginCount }),
  created_at: u.createdAt.toISOString(),
});

/** Client metadata with RFC 7591 §2 / §3.2.1 member names. */
const clientJson = (c: Client, secret?: string) => ({
  client_id: c.clientId,
  ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
  client_name: c.name,
  client_type: c.type,
  application_type: c.applicationType,
  redirect_uris: c.redirectUris,
  post_logout_redirect_uris: c.postLogoutRedirectUris,
  grant_types: c.grantTypes,
  response_types: c.responseTypes,
  scope: c.scopes.join(" "),
  token_endpoint_auth_method: c.tokenEndpointAuthMethod,
  ...(c.resources.length ? { resources: c.resources } : {}),
  access_token_ttl: c.accessTokenTtl,
  ...(c.grantTypes.includes("refresh_token") ? { refresh_token_ttl: c.refreshTokenTtl, refresh_token_idle_ttl: c.refreshTokenIdleTtl } : {}),
  ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
  ...(c.jwks ? { jwks: c.jwks } : {}),
  // OpenID Connect Dynamic Client Registration 1.0 §2, Front-/Back-Channel Logout 1.0 metadata.
  subject_type: c.subjectType,
  ...(c.sectorIdentifierUri ? { sector_identifier_uri: c.sectorIdentifierUri } : {}),
  id_token_signed_response_alg: c.idTokenSignedResponseAlg,
  id_token_ttl: c.idTokenTtl,
  ...(c.defaultMaxAge !== null ? { default_max_age: c.defaultMaxAge } : {}),
  require_auth_time: c.requireAuthTime,
  ...(c.frontchannelLogoutUri ? { frontchannel_logout_uri: c.frontchannelLogoutUri, frontchannel_logout_session_required: c.frontchannelLogoutSessionRequired } : {}),
  ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: c.backchannelLogoutSessionRequired } : {}),
  revoke_refresh_tokens_on_logout: c.revokeRefreshTokensOnLogout,
  require_consent: c.requireConsent,
  ...(c.logoUri ? { logo_uri: c.logoUri } : {}),
  ...(c.clientUri ? { client_uri: c.clientUri } : {}),
  ...(c.policyUri ? { policy_uri: c.policyUri } : {}),
  ...(c.tosUri ? { tos_uri: c.tosUri } : {}),
  client_id_issued_at: Math.floor(c.createdAt.getTime() / 1000),
  enabled: c.enabled,
});

function readJwksFile(file: string): { keys: Record<string, unknown>[] } {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ValidationError([{ field: "jwks", message: `cannot read a JSON Web Key Set from ${file}: ${(error as Error).message}` }]);
  }
}

const scopeJson = (s: Scope) => ({ name: s.name, description: s.description, claims: s.claims, system: s.system, enabled: s.enabled });

const keyJson = (k: SigningKey) => ({
  kid: k.kid,
  alg: k.alg,
  status: k.status,
  created_at: k.createdAt.toISOString(),
  activated_at: k.activatedAt?.toISOString(),
  rotated_at: k.rotatedAt?.toISOString(),
  expires_at: k.expiresAt?.toISOString(),
});

function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

const printJson = (io: CliOutput, value: unknown) => io.out(JSON.stringify(value, null, 2) + "\n");

async function execute(command: Exclude<Command, { kind: "help" | "master-key" }>, c: Container, io: CliOutput): Promise<number> {
  const actor = { type: "cli" as const };
  switch (command.kind) {
    case "migrate": {
      const report = await runStartupTasks(c, { forceMigrations: true });
      const applied = report.migrations?.applied ?? [];
      io.out(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}\n` : "The database is up to date.\n");
      if (report.admin?.generatedPassword) io.err(formatGeneratedAdminNotice(report.admin.email, report.admin.generatedPassword) + "\n");
      return EXIT_OK;
    }
    case "users-create": {
      const generated = command.password === undefined ? generatePassword(20) : undefined;
      const user = await c.users.create(
        { email: command.email, password: command.password ?? generated, name: command.name, roles: command.admin ? ["admin"] : [] },
        actor,
      );
      if (command.json) printJson(io, { ...userJson(user, c.clock.nowMs()), ...(generated ? { password: generated } : {}) });
      else {
        io.out(`Created user ${user.email} (id ${user.id})${command.admin ? " with the admin role" : ""}.\n`);
        if (generated) io.out(`Generated password (shown once): ${generated}\n`);
      }
      return EXIT_OK;
    }
    case "users-list": {
      const users = await c.users.list({ take: 1000 });
      const now = c.clock.nowMs();
      if (command.json) printJson(io, users.map((u) => userJson(u, now)));
      else if (users.length === 0) io.out("No users.\n");
      else
        io.out(
          table([
            ["ID", "EMAIL", "NAME", "ROLES", "STATUS", "LOCKED_UNTIL"],
            ...users.map((u) => [u.id, u.email, u.name ?? "", u.roles.join(",") || "-", u.status, isLockedOut(u, now) ? u.lockedUntil!.toISOString() : "-"]),
          ]),
        );
      return EXIT_OK;
    }
    case "users-unlock": {
      const user = await c.users.findByEmail(command.email);
      const result = user ? await c.passwordLogin.unlock(user.id, actor) : null;
      if (!result) {
        io.err(`authly: there is no user with the email ${command.email.trim().toLowerCase()}\n`);
        return EXIT_FAILURE;
      }
      if (command.json) printJson(io, { ...userJson(result.user, c.clock.nowMs()), was_locked: result.wasLocked });
      else if (result.wasLocked) io.out(`Unlocked ${result.user.email}: it can sign in again.\n`);
      else io.out(`${result.user.email} was not locked; its failed sign-in attempts are cleared.\n`);
      return EXIT_OK;
    }
    case "clients-create": {
      const { client, clientSecret } = await c.clients.create(
        {
          name: command.name,
          type: command.type,
          applicationType: command.native ? "native" : "web",
          redirectUris: command.redirectUris,
          postLogoutRedirectUris: command.postLogoutRedirectUris,
          grantTypes: command.grantTypes as never,
          scopes: command.scopes,
          tokenEndpointAuthMethod: command.authMethod as never,
          resources: command.resources,
          jwks: command.jwksFile ? readJwksFile(command.jwksFile) : undefined,
          jwksUri: command.jwksUri,
          accessTokenTtl: command.accessTokenTtl,
          refreshTokenTtl: command.refreshTokenTtl,
          refreshTokenIdleTtl: command.refreshTokenIdleTtl,
          ...command.oidc,
        },
        actor,
      );
      if (command.json) printJson(io, clientJson(client, clientSecret));
      else {
        io.out(`Created ${client.type} client "${client.name}".\n  client_id:     ${client.clientId}\n`);
        if (clientSecret) io.out(`  client_secret: ${clientSecret}\n  (the secret is shown only this once; only its hash is stored)\n`);
      }
      return EXIT_OK;
    }
    case "clients-list": {
      const clients = await c.clients.list({ take: 1000 });
      if (command.json) printJson(io, clients.map((cl) => clientJson(cl)));
      else if (clients.length === 0) io.out("No clients.\n");
      else
        io.out(
          table([
            ["CLIENT_ID", "NAME", "TYPE", "GRANT_TYPES", "SCOPES", "ENABLED"],
            ...clients.map((cl) => [cl.clientId, cl.name, cl.type, cl.grantTypes.join(","), cl.scopes.join(" "), cl.enabled ? "yes" : "no"]),
          ]),
        );
      return EXIT_OK;
    }
    case "scopes-create": {
      const scope = await c.scopes.create({ name: command.name, description: command.description }, actor);
      c.discovery.oauth.invalidate();
      if (command.json) printJson(io, scopeJson(scope));
      else io.out(`Created scope "${scope.name}".\n`);
      return EXIT_OK;
    }
    case "scopes-list": {
      const scopes = await c.scopes.list();
      if (command.json) printJson(io, scopes.map(scopeJson));
      else io.out(table([["NAME", "SYSTEM", "ENABLED", "DESCRIPTION"], ...scopes.map((s) => [s.name, s.system ? "yes" : "no", s.enabled ? "yes" : "no", s.description ?? ""])]));
      return EXIT_OK;
    }
    case "tenant-show":
    case "tenant-set": {
      const settings = command.kind === "tenant-set" ? await c.tenantSettings.update(command.patch, actor) : await c.tenantSettings.get();
      if (command.json) printJson(io, settings);
      else
        io.out(
          table([
            ["SETTING", "VALUE"],
            ["product name", settings.productName ?? "(default: Authly)"],
            ["logo", settings.logoUri ?? "(default)"],
            ["accent colour", settings.accentColor ?? "(default)"],
            ["self-registration", settings.registrationEnabled ? "on" : "off"],
          ]),
        );
      return EXIT_OK;
    }
    case "keys-rotate": {
      const results = await c.signingKeys.rotate(command.algorithms, actor);
      // Reload this process's keys and tell every running instance (keys:changed) to reload theirs.
      await c.keyStore.invalidate();
      if (command.json) printJson(io, results);
      else for (const r of results) io.out(`${r.alg}: active ${r.activated}${r.retired ? `, retired ${r.retired}` : ""}, next ${r.next}\n`);
      return EXIT_OK;
    }
    case "keys-list": {
      const keys = await c.signingKeys.list();
      if (command.json) printJson(io, keys.map(keyJson));
      else io.out(table([["KID", "ALG", "STATUS", "CREATED", "EXPIRES"], ...keys.map((k) => [k.kid, k.alg, k.status, k.createdAt.toISOString(), k.expiresAt?.toISOString() ?? "-"])]));
      return EXIT_OK;
    }
  }
}
