import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import type { ClientService } from "../clients/client-service";
import type { Client } from "../generated/prisma/client";
import { isAcceptableText } from "../http/input";
import type { Logger } from "../observability/logger";
import { clientAssertionAlgorithms, type ClientAuthMethod } from "../protocol/constants";
import { oauthPaths } from "../protocol/paths";
import { RateLimitExceeded, type LimitedEndpoint, type ProtocolRateLimits } from "../security/rate-limits";
import { equalSecretHashes, hashSecret } from "../security/secrets";
import type { Clock } from "../server/clock";
import { OAuthError, tooManyRequests } from "./errors";
import type { RemoteKeySets } from "./remote-jwks";

/** RFC 7523 §2.2 */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** An assertion may not claim to live longer than this (RFC 7523 §3 lets the server limit exp). */
const MAX_ASSERTION_LIFETIME_SECONDS = 600;
const CLOCK_SKEW_SECONDS = 60;

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

/** Text that passes the edge rule (lib/http/input.ts): no NUL or other control character, no lone surrogate. */
const acceptableText = (value: string) => isAcceptableText(value);

const basicCredentials = z.object({
  clientId: z.string().min(1).max(255).refine(acceptableText),
  clientSecret: z.string().min(1).max(512).refine(acceptableText),
});

const assertionClaims = z.object({
  iss: z.string().min(1),
  sub: z.string().min(1),
  // The jti becomes part of a replay-guard key (RFC 7523 §3 item 7): the same text rule.
  jti: z.string().min(1).max(256).refine(acceptableText),
  exp: z.number(),
});

const utf8 = new TextDecoder("utf-8", { fatal: true });

function invalidClient(description: string, usedBasic: boolean): OAuthError {
  // RFC 6749 §5.2: 401 with WWW-Authenticate when the client tried the Authorization header.
  return new OAuthError("invalid_client", description, {
    status: 401,
    headers: usedBasic ? { "www-authenticate": 'Basic realm="authly", charset="UTF-8"' } : {},
  });
}

/** A client over its rate limit gets the endpoint's 429 (lib/oauth/errors.ts); any other error is passed on as it is. */
function rateLimitAnswer(error: unknown): unknown {
  return error instanceof RateLimitExceeded ? tooManyRequests(error) : error;
}

function formDecode(value: string): string {
  // RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded before Basic encoding.
  return decodeURIComponent(value.replace(/\+/g, " "));
}

/**
 * Parses `Authorization: Basic ...` (RFC 7617); throws invalid_client when it is malformed: not
 * base64, not UTF-8 (RFC 7617 §2.1 charset="UTF-8"), or, once form-decoded (RFC 6749 §2.3.1),
 * outside the edge text rule (client_id and client_secret are VSCHAR, RFC 6749 Appendix A.1, A.2).
 */
function parseBasic(header: string): { clientId: string; clientSecret: string } {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) throw invalidClient("malformed Basic credentials", true);
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(match[1]!, "base64"));
  } catch {
    throw invalidClient("malformed Basic credentials", true);
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw invalidClient("malformed Basic credentials", true);
  let parsed;
  try {
    parsed = basicCredentials.safeParse({ clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) });
  } catch {
    throw invalidClient("malformed Basic credentials", true);
  }
  if (!parsed.success) throw invalidClient("malformed Basic credentials", true);
  return parsed.data;
}

/**
 * Client authentication at the token, introspection and revocation endpoints
 * (RFC 6749 §2.3, OAuth 2.1 §2.4, RFC 7523 §2.2 and §3, OIDC Core §9).
 */
export class ClientAuthenticator {
  /**
   * Parsed Basic headers: client_id and the SHA-256 of the presented secret (never the secret
   * itself), so a repeated header skips decoding and hashing. The hash is still compared with the
   * client's stored hash, in constant time, on every request.
   */
  private readonly basicParsed = new Map<string, { clientId: string; secretHash: string }>();
  private readonly keySets = new Map<string, { version: number; getKey: JWTVerifyGetKey }>();

  constructor(
    private readonly deps: {
      clients: ClientService;
      /** The record of used client assertion ids (TokenStore). */
      assertions: { recordClientAssertion(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> };
      clock: Clock;
      logger: Logger;
      rateLimits: ProtocolRateLimits;
      issuer: string;
      /** Key sets behind jwks_uri, fetched through the egress policy (lib/oauth/remote-jwks.ts). */
      remoteKeySets: RemoteKeySets;
    },
  ) {}

  /**
   * Authenticates the client of a request whose form parameters are `params`. Exactly one method
   * may be used (RFC 6749 §2.3); it must be the client's registered `token_endpoint_auth_method`.
   * `endpointUrl` is the URL being called, accepted as an assertion audience.
   */
  async authenticate(request: Request, params: Map<string, string>, endpoint: LimitedEndpoint, endpointUrl: string): Promise<AuthenticatedClient> {
    const authorization = request.headers.get("authorization");
    const usedBasic = authorization !== null && /^basic\s/i.test(authorization);
    const assertionType = params.get("client_assertion_type");
    const assertion = params.get("client_assertion");
    const postSecret = params.get("client_secret");
    const methodsUsed = [usedBasic, postSecret !== undefined, assertion !== undefined || assertionType !== undefined].filter(Boolean).length;
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    if (methodsUsed > 1) throw new OAuthError("invalid_request", "use exactly one client authentication method");
    // RFC 6749 §5.2: the client tried the Authorization header, so 401 with a Basic challenge.
    if (authorization !== null && !usedBasic) throw invalidClient("unsupported Authorization scheme at this endpoint", true);

    if (usedBasic) {
      let credentials = this.basicParsed.get(authorization);
      if (!credentials) {
        const parsed = parseBasic(authorization);
        credentials = { clientId: parsed.clientId, secretHash: hashSecret(parsed.clientSecret) };
        if (this.basicParsed.size >= 1000) this.basicParsed.clear();
        this.basicParsed.set(authorization, credentials);
      }
      const { clientId, secretHash } = credentials;
      const bodyClientId = params.get("client_id");
      if (bodyClientId !== undefined && bodyClientId !== clientId) throw new OAuthError("invalid_request", "client_id does not match the credentials");
      const found = this.secretClient(clientId, secretHash, "client_secret_basic", true, endpoint);
      const client = found instanceof Promise ? await found : found;
      return { client, method: "client_secret_basic" };
    }
    if (postSecret !== undefined) {
      const clientId = params.get("client_id");
      if (!clientId) throw invalidClient("client_id is required with client_secret", false);
      const found = this.secretClient(clientId, hashSecret(postSecret), "client_secret_post", false, endpoint);
      const client = found instanceof Promise ? await found : found;
      return { client, method: "client_secret_post" };
    }
    if (assertion !== undefined || assertionType !== undefined) {
      if (assertionType !== JWT_BEARER_ASSERTION_TYPE) throw new OAuthError("invalid_request", `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
      if (!assertion) throw new OAuthError("invalid_request", "client_assertion is required");
      const client = await this.assertionClient(assertion, params.get("client_id"), endpoint, endpointUrl);
      return { client, method: "private_key_jwt" };
    }
    const clientId = params.get("client_id");
    if (!clientId) throw invalidClient("client authentication is required", false);
    const found = this.knownClient(clientId, endpoint);
    const client = found instanceof Promise ? await found : found;
    // OAuth 2.1 §2.4: a public client identifies itself with client_id only ("none").
    if (!client || client.tokenEndpointAuthMethod !== "none") throw invalidClient("client authentication failed", false);
    return { client, method: "none" };
  }

  /**
   * The active client named by a request, counted against its per-client rate limit. Only a
   * client that exists is counted: a counter per unknown client_id would let anyone fill the
   * cache with keys of their choosing. The count comes before the secret or assertion is checked,
   * so failed authentications of a real client count too. Synchronous when the client cache and
   * the rate-limit cache both answer in process (the hot path, docs/architecture.md).
   */
  private knownClient(clientId: string, endpoint: LimitedEndpoint): Client | null | Promise<Client | null> {
    const found = this.deps.clients.findActive(clientId);
    return found instanceof Promise ? found.then((client) => this.counted(client, endpoint)) : this.counted(found, endpoint);
  }

  private counted(client: Client | null, endpoint: LimitedEndpoint): Client | null | Promise<Client | null> {
    if (!client) return null;
    let limited: void | Promise<void>;
    try {
      limited = this.deps.rateLimits.checkClient(endpoint, client.clientId);
    } catch (error) {
      throw rateLimitAnswer(error);
    }
    return limited ? limited.then(() => client, (error: unknown) => Promise.reject(rateLimitAnswer(error))) : client;
  }

  private secretClient(clientId: string, presentedHash: string, method: ClientAuthMethod, usedBasic: boolean, endpoint: LimitedEndpoint): Client | Promise<Client> {
    const check = (client: Client | null): Client => {
      const ok =
        client !== null &&
        client.tokenEndpointAuthMethod === method &&
        client.secretHash !== null &&
        // Secrets are 256-bit random values stored as SHA-256, compared in constant time.
        equalSecretHashes(presentedHash, client.secretHash) &&
        (client.secretExpiresAt === null || client.secretExpiresAt.getTime() > this.deps.clock.nowMs());
      if (!ok) throw invalidClient("client authentication failed", usedBasic);
      return client;
    };
    const found = this.knownClient(clientId, endpoint);
    return found instanceof Promise ? found.then(check) : check(found);
  }

  /** RFC 7523 §3 / OIDC Core §9 private_key_jwt. */
  private async assertionClient(assertion: string, bodyClientId: string | undefined, endpoint: LimitedEndpoint, endpointUrl: string): Promise<Client> {
    // The client is named by the unverified `sub`/`iss`; the signature check below settles it.
    let claimed: string | undefined;
    try {
      const payload = JSON.parse(Buffer.from(assertion.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: unknown; iss?: unknown };
      claimed = typeof payload.sub === "string" ? payload.sub : undefined;
    } catch {
      claimed = undefined;
    }
    // The claimed client id is looked up: the edge text rule applies to it like to any client_id.
    if (!claimed || claimed.length > 255 || !isAcceptableText(claimed)) throw invalidClient("client_assertion is malformed", false);
    if (bodyClientId !== undefined && bodyClientId !== claimed) throw invalidClient("client_id does not match the assertion", false);
    const client = await this.knownClient(claimed, endpoint);
    if (!client || client.tokenEndpointAuthMethod !== "private_key_jwt") throw invalidClient("client authentication failed", false);

    const getKey = this.keySetFor(client);
    if (!getKey) throw invalidClient("the client has no registered keys", false);
    const issuer = this.deps.issuer;
    // RFC 7523 §3: aud identifies the authorization server; the issuer and the endpoint URL are accepted.
    const audiences = [...new Set([issuer, issuer + oauthPaths.token, endpointUrl])];
    const algorithms = client.tokenEndpointAuthSigningAlg ? [client.tokenEndpointAuthSigningAlg] : [...clientAssertionAlgorithms];
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, getKey, {
        audience: audiences,
        issuer: client.clientId, // RFC 7523 §3: iss = client_id
        subject: client.clientId, // RFC 7523 §3: sub = client_id
        algorithms,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: this.deps.clock.now(),
        requiredClaims: ["exp", "jti"],
      }));
    } catch (error) {
      if (!(error instanceof joseErrors.JOSEError)) this.deps.logger.warn("client assertion check failed", { error });
      throw invalidClient("client_assertion is invalid", false);
    }
    const claims = assertionClaims.safeParse(payload);
    if (!claims.success) throw invalidClient("client_assertion lacks jti or exp", false);
    const nowSeconds = Math.floor(this.deps.clock.nowMs() / 1000);
    if (claims.data.exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS) throw invalidClient("client_assertion expires too far in the future", false);
    // RFC 7523 §3 item 7: a jti may be used only once; remember it until the assertion expires.
    const ttlMs = Math.max(1, claims.data.exp + CLOCK_SKEW_SECONDS - nowSeconds) * 1000;
    // Recorded in the database (not an evictable cache): a flushed or restarted Redis must not
    // make a captured assertion usable again.
    const fresh = await this.deps.assertions.recordClientAssertion(client.id, claims.data.jti, new Date(this.deps.clock.nowMs() + ttlMs), this.deps.clock.now());
    if (!fresh) throw invalidClient("client_assertion has already been used", false);
    return client;
  }

  private keySetFor(client: Client): JWTVerifyGetKey | undefined {
    const version = client.updatedAt.getTime();
    const cached = this.keySets.get(client.clientId);
    if (cached && cached.version === version) return cached.getKey;
    let getKey: JWTVerifyGetKey | undefined;
    try {
      if (client.jwks) getKey = createLocalJWKSet(client.jwks as unknown as Parameters<typeof createLocalJWKSet>[0]);
      // A refused or failing jwks_uri makes jwtVerify throw a non-JOSE error: logged, then invalid_client.
      else if (client.jwksUri) getKey = this.deps.remoteKeySets.keySet(client.jwksUri);
    } catch (error) {
      this.deps.logger.warn("a client's registered keys are unusable", { clientId: client.clientId, error });
      return undefined;
    }
    if (getKey) this.keySets.set(client.clientId, { version, getKey });
    return getKey;
  }
}
