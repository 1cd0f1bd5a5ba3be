import { hkdfSync } from "node:crypto";
import { AccountService } from "../account/account-service";
import { ApplicationsService } from "../account/applications-service";
import { PasswordChangeService } from "../account/password-service";
import { ProfileService } from "../account/profile-service";
import { AccountSessionService } from "../account/session-service";
import { AuditLog } from "../audit/audit-log";
import type { Cache } from "../cache/cache";
import { MemoryCache } from "../cache/memory-cache";
import { RedisCache } from "../cache/redis-cache";
import { ClientService } from "../clients/client-service";
import { GrantService } from "../consent/grant-service";
import type { AppConfig } from "../config/config";
import { resolveMasterKey } from "../config/master-key";
import type { Database } from "../db/database";
import { openEmbedded } from "../db/embedded";
import { openPostgres } from "../db/postgres";
import { LoginThrottle } from "../identity/login-throttle";
import { Argon2idPasswordHasher, type PasswordHasher } from "../identity/password-hasher";
import { PasswordLoginService } from "../identity/password-login";
import { UserService } from "../identity/user-service";
import { KeyEncryption } from "../security/key-encryption";
import { KeyStore } from "../keys/key-store";
import { KeyRotationSchedule } from "../keys/rotation-schedule";
import { SigningKeyService } from "../keys/signing-key-service";
import { InteractionService } from "../oauth/interaction/flow";
import { InteractionStore } from "../oauth/interaction/store";
import { InteractionViews } from "../oauth/interaction/view";
import { IdTokenService } from "../oidc/id-token";
import { SubjectIdentifiers } from "../oidc/subject";
import { BackchannelLogoutWorker } from "../oidc/backchannel-logout";
import { LogoutService } from "../oidc/logout/service";
import { createLogger, type Logger } from "../observability/logger";
import { ReadinessCheck } from "../observability/readiness";
import type { PrismaClient } from "../generated/prisma/client";
import { AccessTokenService } from "../oauth/access-token";
import { ExpiredRecordPurge } from "../oauth/expired-records";
import { ClientAuthenticator } from "../oauth/client-auth";
import { IssuedTokenRevoker } from "../oauth/issued-tokens";
import { DiscoveryDocuments } from "../oauth/discovery-documents";
import { providerMetadata } from "../oidc/discovery";
import { RevocationList } from "../oauth/revocation-list";
import type { TokenStore } from "../oauth/token-store/interface";
import { SqlTokenStore } from "../oauth/token-store/sql";
import { tokenEndpoint } from "../oauth/token-endpoint";
import { introspectionEndpoint } from "../oauth/introspection";
import { revocationEndpoint } from "../oauth/revocation";
import type { Endpoint } from "../http/endpoint";
import { securityHeaders } from "../security/headers";
import { ProtocolRateLimits } from "../security/rate-limits";
import { EgressPolicy, loopbackEgressAllowed } from "../security/egress";
import { RemoteKeySets } from "../oauth/remote-jwks";
import { ScopeService } from "../scopes/scope-service";
import { BrowserSessionService } from "../sessions/browser-session";
import { DEFAULT_TENANT_ID } from "../tenancy/tenant";
import { TenantSettingsService } from "../tenancy/tenant-settings";
import type { Mailer } from "../mail/mailer";
import { OutboxMailer, outboxDir } from "../mail/outbox-mailer";
import { SmtpMailer } from "../mail/smtp-mailer";
import { PasswordResetService } from "../identity/password-reset";
import { RegistrationService } from "../identity/registration";
import { UserTokenService } from "../identity/email-link-tokens";
import { systemClock, type Clock } from "./clock";
import { DeferredWork } from "./deferred-work";
import { Scheduler } from "./scheduler";

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
  /** Shorthand for db.prisma. */
  readonly prisma: PrismaClient;
  readonly cache: Cache;
  readonly passwordHasher: PasswordHasher;
  readonly keyEncryption: KeyEncryption;
  readonly audit: AuditLog;
  readonly users: UserService;
  readonly clients: ClientService;
  readonly scopes: ScopeService;
  readonly signingKeys: SigningKeyService;
  /** The signing keys in memory: signs and verifies JWTs, serves the JWKS (no database read per request). */
  readonly keyStore: KeyStore;
  /** Automatic key rotation; started by startContainer with `{ background: true }` (server, next dev). */
  readonly keyRotation: KeyRotationSchedule;
  /** Hourly deletion of expired protocol records; started with `{ background: true }`. */
  readonly expiredRecords: ExpiredRecordPurge;
  readonly readiness: ReadinessCheck;
  readonly rateLimits: ProtocolRateLimits;
  /** The security headers every response gets (both doors), computed once from the issuer. */
  readonly securityHeaders: readonly (readonly [string, string])[];
  readonly clientAuth: ClientAuthenticator;
  /** Revoked access tokens by jti: recorded in the database, held in memory by every instance. */
  readonly revocations: RevocationList;
  /** The locking transactions of code redemption, refresh rotation and revocation (SqlTokenStore). */
  readonly tokenStore: TokenStore;
  readonly accessTokens: AccessTokenService;
  readonly tokenRevoker: IssuedTokenRevoker;
  readonly discovery: { oauth: DiscoveryDocuments };
  /** The token, introspection and revocation endpoints, bound to the narrow dependencies each declares. */
  readonly endpoints: { token: Endpoint; introspection: Endpoint; revocation: Endpoint };
  /** Seals browser cookies (iron-session); derived from the master key, so every instance shares it. */
  readonly cookieSecret: string;
  /** Browser sessions (authly_session cookie -> Session row). */
  readonly sessions: BrowserSessionService;
  /** Consent grants and their history. */
  readonly grants: GrantService;
  /** Branding and self-registration switch of the tenant (cached in memory, invalidated on change). */
  readonly tenantSettings: TenantSettingsService;
  /** Password sign-in with brute-force protection (lib/identity/password-login.ts, login-throttle.ts). */
  readonly passwordLogin: PasswordLoginService;
  /** Pending authorization requests between /oauth/authorize and the login/consent pages. */
  readonly interactions: InteractionService;
  /** OpenID Connect: subject identifiers (public or pairwise) and ID tokens. */
  readonly oidc: { subjects: SubjectIdentifiers; idTokens: IdTokenService };
  /** Ends browser sessions: token revocation, audit, front- and back-channel logout (lib/oidc/logout/service.ts). */
  readonly logout: LogoutService;
  /** The signed-in user's self-service: profile, password, sessions, applications (lib/account). */
  readonly account: AccountService;
  /** Outgoing mail: SMTP when SMTP_URL is set, else .eml files in <dataDir>/outbox (lib/mail). */
  readonly mailer: Mailer;
  /** Self-registration and email verification; password reset by email (single-use mailed links). */
  readonly registration: RegistrationService;
  readonly passwordReset: PasswordResetService;
  /** Work done after an answer (a reset request's lookup, mail and audit); drained by close(), awaited in tests with settled(). */
  readonly deferredWork: DeferredWork;
  /** Back-Channel Logout 1.0 delivery queue; started with `{ background: true }`. */
  readonly backchannelLogout: BackchannelLogoutWorker;
  /** Runs the timed background work (key rotation, purge, back-channel deliveries); stopped by close(). */
  readonly scheduler: Scheduler;
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
  mailer?: Mailer;
}

export function createLoggerFromConfig(config: AppConfig): Logger {
  return createLogger({ level: config.log.level, format: config.log.format });
}

export async function openDatabase(config: AppConfig): Promise<Database> {
  return config.database.kind === "embedded" ? openEmbedded(config.database.dataDir) : openPostgres(config.database.url, { queryTimeoutMs: config.database.queryTimeoutMs });
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
  // Every timed background task runs here (lib/server/scheduler.ts); nothing is scheduled until startContainer's `{ background: true }`.
  const scheduler = new Scheduler({ clock, logger: logger.child({ component: "scheduler" }) });
  const passwordHasher = overrides.passwordHasher ?? new Argon2idPasswordHasher(config.passwordHashing);
  const keyEncryption = new KeyEncryption(masterKey);
  const audit = new AuditLog({ prisma, clock, logger: logger.child({ component: "audit" }), tenantId });
  const scopes = new ScopeService({ prisma, tenantId, audit });
  const users = new UserService({ prisma, passwordHasher, clock, audit, tenantId });
  // OWASP SSRF Prevention Cheat Sheet: one policy for every request to a registered URL (lib/security/egress.ts).
  const egress = new EgressPolicy({ allowLoopback: loopbackEgressAllowed(config.issuer), allowHosts: config.egress.allowHosts });
  const clients = new ClientService({ prisma, scopes, audit, clock, tenantId, cache, logger: logger.child({ component: "clients" }), egress });
  const signingKeys = new SigningKeyService({ prisma, encryption: keyEncryption, clock, logger: logger.child({ component: "keys" }), audit, tenantId });
  const keyStore = new KeyStore({ signingKeys, cache, clock, logger: logger.child({ component: "key-store" }), cacheSeconds: config.keys.cacheSeconds });
  const keyRotation = new KeyRotationSchedule({ signingKeys, keyStore, db, clock, logger: logger.child({ component: "key-rotation" }), rotationDays: config.keys.rotationDays, scheduler });
  const readiness = new ReadinessCheck({ database: db, cache: config.redisUrl ? cache : undefined });

  // Without Redis, protocol rate-limit counters live in a memory pool of their own (bounded, evicting).
  const rateLimitCache: Cache = cache.kind === "memory" ? new MemoryCache({ clock, logger: logger.child({ component: "rate-limit-cache" }) }) : cache;
  const rateLimits = new ProtocolRateLimits(rateLimitCache, logger.child({ component: "rate-limit" }), config.rateLimit);
  const remoteKeySets = new RemoteKeySets({ egress, clock });
  // Code redemption, refresh rotation, revocation and used assertion ids: one statement or one
  // locking transaction each (lib/oauth/token-store/sql.ts).
  const tokenStore: TokenStore = new SqlTokenStore({ sql: db.sql, tenantId });
  const clientAuth = new ClientAuthenticator({ clients, assertions: tokenStore, clock, logger: logger.child({ component: "client-auth" }), rateLimits, issuer: config.issuer, remoteKeySets });
  // The database is the record of revocations; every instance holds the live ones in memory.
  const revocations = new RevocationList({ source: tokenStore, cache, clock, logger: logger.child({ component: "revocations" }),
    options: { syncIntervalMs: config.revocationSyncSeconds * 1000, maxStalenessMs: Math.max(30_000, config.revocationSyncSeconds * 10_000) } });
  const accessTokens = new AccessTokenService({ signer: keyStore, clock, issuer: config.issuer, revocations });
  const expiredRecords = new ExpiredRecordPurge({ prisma, clock, logger: logger.child({ component: "purge" }), tenantId, scheduler });
  const tokenRevoker = new IssuedTokenRevoker({ store: tokenStore, clock, revocations });
  // One document for RFC 8414 and OpenID Connect Discovery (they must agree).
  const discovery = { oauth: new DiscoveryDocuments({ issuer: config.issuer, scopes, clock, logger: logger.child({ component: "discovery" }), build: providerMetadata }) };
  // HKDF (RFC 5869) so the cookie secret is independent of the key-encryption key.
  const cookieSecret = Buffer.from(hkdfSync("sha256", masterKey, new Uint8Array(0), "authly cookie sealing v1", 32)).toString("base64url");
  const sessions = new BrowserSessionService({ prisma, clock, tenantId, cookieSecret,
    secureCookies: config.issuer.startsWith("https:"),
    idleSeconds: config.session.idleSeconds,
    absoluteSeconds: config.session.absoluteSeconds,
    browserStateCrossSite: config.issuer.startsWith("https:") || /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/.test(config.issuer),
  });
  const grants = new GrantService({ prisma, clock, tenantId });
  const tenantSettings = new TenantSettingsService({ prisma, tenantId, cache, clock, audit, logger: logger.child({ component: "tenant-settings" }) });
  // OIDC Core §8.1: the pairwise salt is secret and the same on every instance.
  const subjects = new SubjectIdentifiers(new Uint8Array(hkdfSync("sha256", masterKey, new Uint8Array(0), "authly pairwise subject v1", 32)));
  const idTokens = new IdTokenService({ signer: keyStore, clock, issuer: config.issuer, subjects });
  // Each protocol endpoint gets what it declares, nothing more (docs/architecture.md, "Narrow dependencies").
  const userGrants = { tokens: tokenStore, revoker: tokenRevoker, audit, clock, issuer: config.issuer, accessTokens, subjects, idTokens, users };
  const endpoints = {
    token: tokenEndpoint({
      clientAuth,
      issuer: config.issuer,
      grants: { authorization_code: userGrants, refresh_token: userGrants, client_credentials: { accessTokens, issuer: config.issuer } },
    }),
    introspection: introspectionEndpoint({ clientAuth, accessTokens, tokens: tokenStore, clock, subjects, issuer: config.issuer }),
    revocation: revocationEndpoint({ clientAuth, accessTokens, tokens: tokenStore, revoker: tokenRevoker, audit, issuer: config.issuer }),
  };
  // OWASP ASVS 2.2.1 / NIST SP 800-63B §5.2.2: counters in the shared cache, named by an HMAC under a key every instance derives alike.
  const loginThrottle = new LoginThrottle({ cache, clock, logger: logger.child({ component: "login-throttle" }), settings: config.loginThrottle,
    keySecret: new Uint8Array(hkdfSync("sha256", masterKey, new Uint8Array(0), "authly login throttle v1", 32)) });
  const passwordLogin = new PasswordLoginService({ users, throttle: loginThrottle, sessions, audit, clock, logger: logger.child({ component: "password-login" }),
    // Called at sign-in time, long after construction: `logout` is defined by then.
    endReplacedSession: (sessionId) => logout.endSession(sessionId, { reason: "replaced" }) });
  const interactions = new InteractionService({
    store: new InteractionStore({ prisma, clock, tenantId }),
    views: new InteractionViews({ prisma, tenantId, clients, users, grants }),
    prisma, clock, tenantId, clients, sessions, grants, audit, subjects, passwordLogin,
  });
  const backchannelLogout = new BackchannelLogoutWorker({ prisma, clock, logger: logger.child({ component: "backchannel-logout" }), audit, signer: keyStore, subjects, issuer: config.issuer, tenantId, egress, scheduler });
  const logout = new LogoutService({ prisma, clock, tenantId, issuer: config.issuer, sessions, tokenRevoker, audit, backchannel: backchannelLogout });
  const mailer: Mailer = overrides.mailer ?? (config.mail.smtpUrl
    ? new SmtpMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, clock, logger: logger.child({ component: "mail" }) })
    : new OutboxMailer({ dir: outboxDir(config.dataDir), from: config.mail.from, clock, logger: logger.child({ component: "mail" }) }));
  const userTokens = new UserTokenService({ prisma, clock, tenantId });
  const deferredWork = new DeferredWork({ logger: logger.child({ component: "deferred-work" }) });
  const mailFlows = { prisma, tenantId, users, tokens: userTokens, passwordHasher, mailer, settings: tenantSettings, audit, cache, issuer: config.issuer };
  const registration = new RegistrationService({ ...mailFlows, logger: logger.child({ component: "registration" }) });
  const passwordReset = new PasswordResetService({ ...mailFlows, clock, logout, tokenRevoker, deferred: deferredWork, logger: logger.child({ component: "password-reset" }) });
  const account = new AccountService({
    profile: new ProfileService({ prisma, clock, tenantId, audit }),
    password: new PasswordChangeService({ prisma, clock, tenantId, audit, cache, passwordHasher, logout, tokenRevoker }),
    sessions: new AccountSessionService({ prisma, clock, tenantId, logout }),
    applications: new ApplicationsService({ prisma, tenantId, audit, grants, tokenRevoker }),
  });

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
    keyStore,
    keyRotation,
    expiredRecords,
    readiness,
    cookieSecret,
    securityHeaders: Object.entries(securityHeaders({ https: config.issuer.startsWith("https:") })),
    prisma,
    clientAuth,
    revocations,
    tokenStore,
    accessTokens,
    tokenRevoker,
    discovery,
    endpoints,
    rateLimits,
    sessions,
    grants,
    tenantSettings,
    passwordLogin,
    interactions,
    oidc: { subjects, idTokens },
    logout,
    account,
    mailer,
    registration,
    passwordReset,
    deferredWork,
    backchannelLogout,
    scheduler,
    async close() {
      if (closed) return;
      closed = true;
      // First, while the database, cache and mailer are still open: work promised after an answer.
      await deferredWork.close();
      // Cancels key rotation, the purge and the back-channel deliveries, and waits for their runs in progress.
      await scheduler.stop();
      await keyRotation.stop();
      await revocations.close();
      await mailer.close().catch(() => undefined);
      // The in-memory copies: unsubscribe and wait for their loads (side by side: each may wait on the cache).
      await Promise.all([keyStore.close(), clients.close(), tenantSettings.close(), discovery.oauth.close()]);
      await cache.close().catch(() => undefined);
      if (rateLimitCache !== cache) await rateLimitCache.close().catch(() => undefined);
      await db.close();
    },
  };
}
