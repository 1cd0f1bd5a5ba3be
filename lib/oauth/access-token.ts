import { randomUUID } from "node:crypto";
import { isAbsoluteUriWithoutFragment } from "../clients/redirect-uri";
import type { Client } from "../generated/prisma/client";
import { accessTokenSigningAlgorithm, type SigningAlgorithm } from "../protocol/constants";
import type { Clock } from "../server/clock";
import { OAuthError } from "./errors";
import type { RevocationList } from "./revocation-list";

/** What signs and verifies Authly's own JWTs (the in-memory key store). */
export interface TokenSigner {
  sign(payload: Record<string, unknown>, options: { typ: string; alg?: SigningAlgorithm }): Promise<string>;
  verify(token: string, options?: { typ?: string }): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown>; kid: string } | null>;
}

/** RFC 9068 §2.1 */
export const ACCESS_TOKEN_TYPE = "at+jwt";
const CLOCK_SKEW_SECONDS = 60;

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresAt: Date;
  expiresIn: number;
}

/** The verified claims of an access token Authly issued. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  scope?: string;
  auth_time?: number;
  acr?: string;
  amr?: string[];
  sid?: string;
}

/**
 * The audience of an access token (RFC 8707 §2, RFC 9068 §3): the requested `resource` values,
 * each of which must be in `allowed` (the client's registered resources, or those of the grant)
 * or be the issuer itself; without a `resource`, `allowed`, or the issuer when that is empty (a
 * token for Authly's own APIs, such as UserInfo). A client with no registered resources can thus
 * obtain tokens only for the issuer, never for another resource server's audience.
 */
export function resolveAudience(requested: string | undefined, allowed: readonly string[], issuer: string): string[] {
  if (requested === undefined) return allowed.length > 0 ? [...allowed] : [issuer];
  const resources = requested.split(" ");
  for (const r of resources) {
    if (!isAbsoluteUriWithoutFragment(r)) throw new OAuthError("invalid_target", "resource must be an absolute URI without a fragment"); // RFC 8707 §2
    // RFC 8707 §2: invalid_target when the resource is unknown or not one the client may obtain tokens for.
    if (r !== issuer && !allowed.includes(r)) throw new OAuthError("invalid_target", "the resource is not allowed for this client");
  }
  return [...new Set(resources)];
}

/** Verified tokens remembered (resource servers introspect the same token many times). */
const VERIFIED_CACHE_SIZE = 10_000;
const VERIFIED_CACHE_MS = 60_000;

/** Issues and verifies RFC 9068 JWT access tokens. */
export class AccessTokenService {
  /** token -> claims whose signature and issuer were checked, until min(exp, 60 s); bounded. */
  private readonly verified = new Map<string, { claims: AccessTokenClaims; untilMs: number }>();

  constructor(
    private readonly deps: { signer: TokenSigner; clock: Clock; issuer: string; revocations: RevocationList },
  ) {}

  async issue(input: {
    client: Client;
    subject: string;
    scopes: readonly string[];
    audience: readonly string[];
    ttlSeconds: number;
    authTime?: Date | null;
    acr?: string | null;
    amr?: readonly string[];
    sid?: string | null;
    /** Chosen beforehand when the token's bookkeeping row is stored before it is signed. */
    jti?: string;
    /** Issued-at in epoch seconds, likewise. */
    iat?: number;
  }): Promise<IssuedAccessToken> {
    const iat = input.iat ?? Math.floor(this.deps.clock.nowMs() / 1000);
    const exp = iat + input.ttlSeconds;
    const jti = input.jti ?? randomUUID();
    // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope per §2.2.3; auth_time/acr/amr per §2.2.1.
    const payload: Record<string, unknown> = {
      iss: this.deps.issuer,
      sub: input.subject,
      aud: input.audience.length === 1 ? input.audience[0] : input.audience,
      client_id: input.client.clientId,
      iat,
      exp,
      jti,
    };
    if (input.scopes.length > 0) payload.scope = input.scopes.join(" ");
    if (input.authTime) payload.auth_time = Math.floor(input.authTime.getTime() / 1000);
    if (input.acr) payload.acr = input.acr;
    if (input.amr && input.amr.length > 0) payload.amr = input.amr;
    if (input.sid) payload.sid = input.sid;
    const token = await this.deps.signer.sign(payload, { typ: ACCESS_TOKEN_TYPE, alg: accessTokenSigningAlgorithm });
    return { token, jti, expiresAt: new Date(exp * 1000), expiresIn: input.ttlSeconds };
  }

  /**
   * Verifies an access token: signature by a current or retired key, `typ` at+jwt (RFC 9068 §4),
   * our issuer, not expired, not revoked. Returns null for anything else (foreign, expired, forged).
   */
  verify(token: string): AccessTokenClaims | null | Promise<AccessTokenClaims | null> {
    if (token.length > 8192) return null;
    const nowMs = this.deps.clock.nowMs();
    const hit = this.verified.get(token);
    // A token verified before is answered without a promise when the revocation list can be too.
    if (hit && hit.untilMs > nowMs) return this.stillValid(hit.claims, nowMs);
    return this.verifySignature(token, nowMs).then((claims) => (claims ? this.stillValid(claims, nowMs) : null));
  }

  private async verifySignature(token: string, nowMs: number): Promise<AccessTokenClaims | null> {
    const verified = await this.deps.signer.verify(token, { typ: ACCESS_TOKEN_TYPE });
    if (!verified) return null;
    const p = verified.payload;
    if (p.iss !== this.deps.issuer) return null;
    if (typeof p.exp !== "number" || typeof p.iat !== "number") return null;
    if (typeof p.jti !== "string" || typeof p.sub !== "string" || typeof p.client_id !== "string") return null;
    const claims = p as unknown as AccessTokenClaims;
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, untilMs: Math.min(claims.exp * 1000, nowMs + VERIFIED_CACHE_MS) });
    return claims;
  }

  /** Time window and revocation (RFC 7662 §2.2: a revoked token is not active), checked on every call. */
  private stillValid(claims: AccessTokenClaims, nowMs: number): AccessTokenClaims | null | Promise<AccessTokenClaims | null> {
    const now = Math.floor(nowMs / 1000);
    if (claims.exp <= now) return null;
    if (claims.iat > now + CLOCK_SKEW_SECONDS) return null;
    const revoked = this.deps.revocations.isRevoked(claims.jti);
    if (revoked instanceof Promise) return revoked.then((r) => (r ? null : claims));
    return revoked ? null : claims;
  }

  /** Reads the claims of a token we signed without checking expiry or revocation (revocation needs jti/exp). */
  decodeOwn(token: string): Promise<AccessTokenClaims | null> {
    if (token.length > 8192) return Promise.resolve(null);
    return this.verifySignature(token, this.deps.clock.nowMs());
  }
}
