import { z } from "zod";
import type { Client, PrismaClient } from "../generated/prisma/client";
import { Prisma } from "../generated/prisma/client";
import type { Cache } from "../cache/cache";
import { channels } from "../cache/channels";
import { CachedValue, InvalidatingCache } from "../cache/invalidating-cache";
import type { Logger } from "../observability/logger";
import type { AuditLog } from "../audit/audit-log";
import type { ScopeService } from "../scopes/scope-service";
import type { Clock } from "../server/clock";
import { ValidationError, fromZodIssues } from "../server/errors";
import { EgressError, type Egress } from "../security/egress";
import { hashSecret, randomToken } from "../security/secrets";
import { originOf } from "../oidc/session-state";
import { redirectHosts } from "../oidc/subject";
import { clientAssertionAlgorithms, clientAuthMethods, defaultIdTokenSigningAlgorithm, grantTypes, signingAlgorithms, subjectTypes } from "../protocol/constants";
import { isWebUrl } from "../http/web-url";
import { checkRedirectUri, isAbsoluteUriWithoutFragment } from "./redirect-uri";

export const newClientSchema = z.object({
  name: z.string().trim().min(1, { error: "is required" }).max(200),
  type: z.enum(["confidential", "public"], { error: 'must be "confidential" or "public"' }),
  applicationType: z.enum(["web", "native"]).default("web"),
  redirectUris: z.array(z.string()).default([]),
  postLogoutRedirectUris: z.array(z.string()).default([]),
  grantTypes: z
    .array(z.enum(grantTypes, { error: `must be one of ${grantTypes.join(", ")}` }))
    .min(1, { error: "name at least one grant type" }),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, { error: "is not a valid scope token (RFC 6749 §3.3)" })).default([]),
  tokenEndpointAuthMethod: z.enum(clientAuthMethods, { error: `must be one of ${clientAuthMethods.join(", ")}` }).optional(),
  requireConsent: z.boolean().default(true),
  /** RFC 8707 resource indicators: the default audiences of this client's access tokens. */
  resources: z.array(z.string().max(2048)).default([]),
  /** RFC 7591 §2: public keys for private_key_jwt, by value or by reference (not both). */
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(20) }, { error: 'must be a JWK Set {"keys": [...]}' }).optional(),
  jwksUri: z.string().max(2048).optional(),
  tokenEndpointAuthSigningAlg: z.enum(clientAssertionAlgorithms).optional(),
  // Lifetimes in seconds. Authorization codes live at most 60 s (OAuth 2.1 §4.1.2 recommends a short lifetime).
  accessTokenTtl: z.number().int().min(60).max(86_400).optional(),
  refreshTokenTtl: z.number().int().min(300).max(31_536_000).optional(),
  refreshTokenIdleTtl: z.number().int().min(300).max(31_536_000).optional(),
  idTokenTtl: z.number().int().min(60).max(86_400).optional(),
  // OpenID Connect Dynamic Client Registration 1.0 §2 metadata.
  /** OIDC Core §8: "public" (the user id) or "pairwise" (a value per sector identifier). */
  subjectType: z.enum(subjectTypes).default("public"),
  sectorIdentifierUri: z.string().max(2048).optional(),
  idTokenSignedResponseAlg: z.enum(signingAlgorithms).default(defaultIdTokenSigningAlgorithm),
  /** Seconds; re-authentication is required when the session is older (Registration §2 default_max_age). */
  defaultMaxAge: z.number().int().min(0).max(31_536_000).optional(),
  requireAuthTime: z.boolean().default(false),
  /** Front-Channel Logout 1.0 §2. */
  frontchannelLogoutUri: z.string().max(2048).optional(),
  frontchannelLogoutSessionRequired: z.boolean().default(false),
  /** Back-Channel Logout 1.0 §2.2. */
  backchannelLogoutUri: z.string().max(2048).optional(),
  backchannelLogoutSessionRequired: z.boolean().default(false),
  /** Whether ending a browser session revokes this client's refresh tokens of that session. */
  revokeRefreshTokensOnLogout: z.boolean().default(true),
  logoUri: z.string().max(2048).optional(),
  clientUri: z.string().max(2048).optional(),
  policyUri: z.string().max(2048).optional(),
  tosUri: z.string().max(2048).optional(),
});

/** Client metadata URLs (RFC 7591 §2): no fragment; plain http only on loopback hosts where https is required. */
const httpsUrl = { http: "loopback", fragment: false } as const;
const webUrl = { http: "any", fragment: false } as const;
export type NewClient = z.input<typeof newClientSchema>;

export interface CreatedClient {
  client: Client;
  /** Shown once; only its hash is stored. */
  clientSecret?: string;
}

/** How long an instance serves a client from memory without asking the database. */
const CLIENT_CACHE_MS = 60_000;
/** Unknown client ids are remembered briefly so garbage ids cannot hammer the database. */
const MISSING_CLIENT_CACHE_MS = 5_000;
const MAX_CACHED_CLIENTS = 10_000;
const CHANGE_CHANNEL = channels.clientsChanged;

export class ClientService {
  /** Enabled clients by client_id (null: unknown or disabled), served from memory on the protocol's hot paths. */
  private readonly active: InvalidatingCache<string, Client | null>;
  /** The origins of authorization_code clients' redirect URIs (check_session iframe). */
  private readonly codeOrigins: CachedValue<readonly string[]>;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      scopes: ScopeService;
      audit: AuditLog;
      clock: Clock;
      tenantId: string;
      cache: Cache;
      logger: Logger;
      /** Fetches sector_identifier_uri documents (lib/security/egress.ts). */
      egress: Egress;
    },
  ) {
    this.active = new InvalidatingCache<string, Client | null>({
      name: "clients",
      clock: deps.clock,
      logger: deps.logger,
      load: async (clientId) => {
        const found = await this.findByClientId(clientId);
        return found && found.enabled ? found : null;
      },
      ttlMs: (client) => (client ? CLIENT_CACHE_MS : MISSING_CLIENT_CACHE_MS),
      maxEntries: MAX_CACHED_CLIENTS,
      // The message is the client_id that changed; every instance drops its copy of it.
      channel: { cache: deps.cache, channel: CHANGE_CHANNEL, mode: "drop", encode: (clientId) => clientId ?? "", decode: (clientId) => ({ key: clientId }) },
    });
    this.codeOrigins = new CachedValue<readonly string[]>({
      name: "client origins",
      clock: deps.clock,
      logger: deps.logger,
      load: () => this.readCodeOrigins(),
      ttlMs: CLIENT_CACHE_MS,
      // Any client change may add or remove an origin.
      channel: { cache: deps.cache, channel: CHANGE_CHANNEL, mode: "drop" },
    });
  }

  /** Listens for client changes made by other instances (Redis pub/sub when configured). */
  startListening(): Promise<unknown> {
    return Promise.all([this.active.listen(), this.codeOrigins.listen()]);
  }

  /** Drops the cached copy here and on every other instance. Call after any change to a client. */
  async announceChange(clientId: string): Promise<void> {
    this.codeOrigins.invalidate();
    await this.active.announce(clientId);
  }

  /** Unsubscribes and waits for the reads in progress (container.close). */
  async close(): Promise<void> {
    await Promise.all([this.active.close(), this.codeOrigins.close()]);
  }

  async create(input: NewClient, actor: { type: "admin" | "cli" | "system"; id?: string } = { type: "system" }): Promise<CreatedClient> {
    const parsed = newClientSchema.safeParse(input);
    if (!parsed.success) throw fromZodIssues(parsed.error.issues);
    const c = parsed.data;
    const issues: { field: string; message: string }[] = [];
    const grantTypes = [...new Set(c.grantTypes)];

    const authMethod = c.tokenEndpointAuthMethod ?? (c.type === "public" ? "none" : "client_secret_basic");
    // OAuth 2.1 §2.1: public clients cannot authenticate; confidential clients must.
    if (c.type === "public" && authMethod !== "none") issues.push({ field: "tokenEndpointAuthMethod", message: 'public clients use "none"' });
    if (c.type === "confidential" && authMethod === "none") issues.push({ field: "tokenEndpointAuthMethod", message: 'confidential clients cannot use "none"' });
    // OAuth 2.1 §4.2: the client credentials grant is for confidential clients only.
    if (c.type === "public" && grantTypes.includes("client_credentials")) {
      issues.push({ field: "grantTypes", message: "client_credentials is only for confidential clients" });
    }
    if (grantTypes.includes("refresh_token") && !grantTypes.includes("authorization_code")) {
      issues.push({ field: "grantTypes", message: "refresh_token needs authorization_code" });
    }
    const redirectUris = [...new Set(c.redirectUris)];
    if (grantTypes.includes("authorization_code") && redirectUris.length === 0) {
      issues.push({ field: "redirectUris", message: "authorization_code needs at least one redirect URI (OAuth 2.1 §2.3)" });
    }
    for (const uri of [...redirectUris, ...c.postLogoutRedirectUris]) {
      const problem = checkRedirectUri(uri, c.applicationType);
      if (problem) issues.push({ field: redirectUris.includes(uri) ? "redirectUris" : "postLogoutRedirectUris", message: `${uri} ${problem}` });
    }
    const resources = [...new Set(c.resources)];
    for (const r of resources) {
      // RFC 8707 §2: an absolute URI without a fragment.
      if (!isAbsoluteUriWithoutFragment(r)) issues.push({ field: "resources", message: `${r} must be an absolute URI without a fragment (RFC 8707 §2)` });
    }
    if (c.refreshTokenIdleTtl !== undefined && c.refreshTokenTtl !== undefined && c.refreshTokenIdleTtl > c.refreshTokenTtl) {
      issues.push({ field: "refreshTokenIdleTtl", message: "must not exceed refreshTokenTtl" });
    }
    if (c.jwks && c.jwksUri) issues.push({ field: "jwks", message: "give jwks or jwksUri, not both (RFC 7591 §2)" });
    if (c.jwksUri && !isWebUrl(c.jwksUri, { http: "loopback" })) {
      issues.push({ field: "jwksUri", message: "must be an https URL" });
    }
    if (c.jwks?.keys.some((k) => "d" in k)) issues.push({ field: "jwks", message: "must hold public keys only" });
    if (authMethod === "private_key_jwt" && !c.jwks && !c.jwksUri) {
      issues.push({ field: "jwks", message: "private_key_jwt needs the client's public keys (jwks or jwksUri)" });
    }
    for (const field of ["logoUri", "clientUri", "policyUri", "tosUri"] as const) {
      const value = c[field];
      if (value !== undefined && !isWebUrl(value, webUrl)) issues.push({ field, message: "must be an absolute http(s) URL" });
    }
    // Back-Channel Logout 1.0 §2.2: an absolute URI without a fragment (https outside loopback).
    if (c.backchannelLogoutUri !== undefined && !isWebUrl(c.backchannelLogoutUri, httpsUrl)) {
      issues.push({ field: "backchannelLogoutUri", message: "must be an https URL without a fragment" });
    }
    // Front-Channel Logout 1.0 §2: "The domain, port, and scheme of this URL MUST be the same as
    // that of a registered Redirection URI value."
    if (c.frontchannelLogoutUri !== undefined) {
      const origins = new Set(redirectUris.map(originOf));
      if (!isWebUrl(c.frontchannelLogoutUri, webUrl) || !origins.has(originOf(c.frontchannelLogoutUri))) {
        issues.push({ field: "frontchannelLogoutUri", message: "must be an absolute URL with the scheme, host and port of a redirect URI" });
      }
    }
    if (c.subjectType === "pairwise") {
      const sectorProblem = await checkSectorIdentifier(c.sectorIdentifierUri, redirectUris, this.deps.egress, this.deps.logger);
      if (sectorProblem) issues.push({ field: "sectorIdentifierUri", message: sectorProblem });
    } else if (c.sectorIdentifierUri !== undefined) {
      issues.push({ field: "sectorIdentifierUri", message: "only pairwise clients have a sector identifier" });
    }
    const scopes = [...new Set(c.scopes)];
    const known = await this.deps.scopes.enabledNames();
    const unknown = scopes.filter((s) => !known.has(s));
    if (unknown.length > 0) issues.push({ field: "scopes", message: `unknown scope(s): ${unknown.join(", ")}` });
    if (issues.length > 0) throw new ValidationError(issues);

    // Client secrets are 256-bit random values, so a SHA-256 hash is a sound way to store them.
    const clientSecret = c.type === "confidential" && authMethod !== "private_key_jwt" ? randomToken(32) : undefined;
    const clientId = randomToken(18);
    const now = this.deps.clock.now();
    const client = await this.deps.prisma.$transaction(async (tx) => {
      const created = await tx.client.create({
        data: {
          tenantId: this.deps.tenantId,
          clientId,
          name: c.name,
          type: c.type,
          applicationType: c.applicationType,
          secretHash: clientSecret ? hashSecret(clientSecret) : null,
          redirectUris,
          postLogoutRedirectUris: [...new Set(c.postLogoutRedirectUris)],
          grantTypes,
          responseTypes: grantTypes.includes("authorization_code") ? ["code"] : [],
          scopes,
          tokenEndpointAuthMethod: authMethod,
          tokenEndpointAuthSigningAlg: c.tokenEndpointAuthSigningAlg ?? null,
          requireConsent: c.requireConsent,
          resources,
          ...(c.accessTokenTtl !== undefined ? { accessTokenTtl: c.accessTokenTtl } : {}),
          ...(c.refreshTokenTtl !== undefined ? { refreshTokenTtl: c.refreshTokenTtl } : {}),
          ...(c.refreshTokenIdleTtl !== undefined ? { refreshTokenIdleTtl: c.refreshTokenIdleTtl } : {}),
          jwks: c.jwks ? (c.jwks as Prisma.InputJsonValue) : undefined,
          jwksUri: c.jwksUri ?? null,
          ...(c.idTokenTtl !== undefined ? { idTokenTtl: c.idTokenTtl } : {}),
          subjectType: c.subjectType,
          sectorIdentifierUri: c.sectorIdentifierUri ?? null,
          idTokenSignedResponseAlg: c.idTokenSignedResponseAlg,
          defaultMaxAge: c.defaultMaxAge ?? null,
          requireAuthTime: c.requireAuthTime,
          frontchannelLogoutUri: c.frontchannelLogoutUri ?? null,
          frontchannelLogoutSessionRequired: c.frontchannelLogoutSessionRequired,
          backchannelLogoutUri: c.backchannelLogoutUri ?? null,
          backchannelLogoutSessionRequired: c.backchannelLogoutSessionRequired,
          revokeRefreshTokensOnLogout: c.revokeRefreshTokensOnLogout,
          logoUri: c.logoUri ?? null,
          clientUri: c.clientUri ?? null,
          policyUri: c.policyUri ?? null,
          tosUri: c.tosUri ?? null,
          createdAt: now,
        },
      });
      await this.deps.audit.record(
        { type: "client.created", actorType: actor.type, actorId: actor.id, targetType: "client", targetId: created.clientId, details: { name: c.name, type: c.type } },
        tx,
      );
      return created;
    });
    await this.announceChange(client.clientId);
    return { client, clientSecret };
  }

  list(options: { take?: number; skip?: number } = {}): Promise<Client[]> {
    return this.deps.prisma.client.findMany({
      where: { tenantId: this.deps.tenantId },
      orderBy: { createdAt: "asc" },
      take: Math.min(options.take ?? 100, 1000),
      skip: options.skip ?? 0,
    });
  }

  /**
   * The enabled client with this public client_id, or null. Used on every protocol request, so it
   * is served from memory (60 s; unknown ids 5 s; dropped on any change) and never costs a database
   * read when warm: a warm entry is answered synchronously, no promise on the token endpoint's hot path.
   */
  findActive(clientId: string): Client | null | Promise<Client | null> {
    if (clientId.length === 0 || clientId.length > 255) return null;
    return this.active.getNow(clientId);
  }

  /**
   * The origins (scheme, host, port) of the redirect URIs of every enabled client with the
   * authorization_code grant, sorted: the relying-party pages that may embed the check_session
   * iframe (lib/oidc/check-session.ts). Served from memory like `findActive`, and dropped on any
   * client change (here, or on another instance through `clients:changed`). A failed read is not remembered.
   */
  authorizationCodeOrigins(): Promise<readonly string[]> {
    return this.codeOrigins.get();
  }

  findByClientId(clientId: string): Promise<Client | null> {
    return this.deps.prisma.client.findFirst({ where: { clientId, tenantId: this.deps.tenantId } });
  }

  private async readCodeOrigins(): Promise<readonly string[]> {
    const rows = await this.deps.prisma.client.findMany({
      where: { tenantId: this.deps.tenantId, enabled: true, grantTypes: { has: "authorization_code" } },
      select: { redirectUris: true },
    });
    const found = new Set<string>();
    for (const uri of rows.flatMap((r) => r.redirectUris)) {
      const origin = originOf(uri);
      if (origin && isWebUrl(origin)) found.add(origin);
    }
    return [...found].sort();
  }
}

/** The largest sector_identifier_uri document accepted (a JSON list of redirect URIs). */
const SECTOR_DOCUMENT_MAX_BYTES = 64 * 1024;
const SECTOR_FETCH_TIMEOUT_MS = 5_000;

/**
 * OIDC Core §8.1 and Registration §5: a pairwise client whose redirect URIs span several hosts
 * needs a sector_identifier_uri; when one is given, it must be https (loopback http allowed) and
 * serve a JSON array that contains every redirect URI of the client. The document is fetched
 * through the egress policy (lib/security/egress.ts: checked addresses, no redirects, size cap,
 * timeout); a refusal is a validation problem. Returns a problem, or null.
 */
async function checkSectorIdentifier(sectorIdentifierUri: string | undefined, redirectUris: readonly string[], egress: Egress, logger: Logger): Promise<string | null> {
  if (sectorIdentifierUri === undefined) {
    return redirectHosts(redirectUris).length > 1 ? "is required for a pairwise client whose redirect URIs have several hosts (OIDC Core §8.1)" : null;
  }
  if (!isWebUrl(sectorIdentifierUri, httpsUrl)) return "must be an https URL";
  let listed: unknown;
  try {
    const response = await egress.fetch(sectorIdentifierUri, {
      method: "GET",
      headers: { accept: "application/json" },
      maxBytes: SECTOR_DOCUMENT_MAX_BYTES,
      timeoutMs: SECTOR_FETCH_TIMEOUT_MS,
    });
    if (response.status < 200 || response.status > 299) return `could not be fetched (HTTP ${response.status})`;
    listed = JSON.parse(response.body.toString("utf8"));
  } catch (error) {
    if (!(error instanceof EgressError)) return "could not be fetched or is not JSON";
    // The egress message names a host or an address and the rule, never a path or a body.
    logger.info("sector_identifier_uri not fetched", { reason: error.message });
    if (error.reason === "too_large") return "serves a document that is too large";
    return `could not be fetched (${error.message})`;
  }
  if (!Array.isArray(listed) || !listed.every((u) => typeof u === "string")) return "must serve a JSON array of URIs (OIDC Registration §5)";
  const missing = redirectUris.filter((u) => !listed.includes(u));
  return missing.length > 0 ? `does not list the redirect URI(s) ${missing.join(", ")} (OIDC Registration §5)` : null;
}
