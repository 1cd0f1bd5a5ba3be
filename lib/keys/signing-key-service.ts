import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import type { PrismaClient, SigningKey } from "../generated/prisma/client";
import { Prisma } from "../generated/prisma/client";
import type { AuditLog } from "../audit/audit-log";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { signingAlgorithms, type SigningAlgorithm } from "../protocol/constants";
import type { KeyEncryption } from "../security/key-encryption";

/** Tokens are accepted up to this long after their exp, so retired keys stay published that much longer. */
const CLOCK_SKEW_SECONDS = 300;
const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600;

export interface RotationResult {
  alg: SigningAlgorithm;
  activated: string;
  retired?: string;
  next: string;
}

/**
 * Signing keys in the database: for each algorithm one `active` key (signs), one `next` key
 * (published ahead so relying parties cache it before it signs), and `retired` keys that stay in
 * the JWKS until every token they signed has expired. Private JWKs are stored encrypted.
 */
export class SigningKeyService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      encryption: KeyEncryption;
      clock: Clock;
      logger: Logger;
      audit: AuditLog;
      tenantId: string;
    },
  ) {}

  private async generate(alg: SigningAlgorithm, status: "active" | "next", tx: Prisma.TransactionClient): Promise<SigningKey> {
    const options = alg === "RS256" ? { modulusLength: 2048, extractable: true } : alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true };
    const { publicKey, privateKey } = await generateKeyPair(alg, options);
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    // RFC 7638 thumbprint as the key id: stable, unique, derived from the public key.
    const kid = await calculateJwkThumbprint(publicJwk, "sha256");
    const now = this.deps.clock.now();
    const published: JWK = { ...publicJwk, kid, alg, use: "sig" };
    return tx.signingKey.create({
      data: {
        tenantId: this.deps.tenantId,
        kid,
        alg,
        status,
        publicJwk: published as Prisma.InputJsonValue,
        privateJwkEncrypted: this.deps.encryption.encrypt(JSON.stringify({ ...privateJwk, kid, alg }), kid),
        createdAt: now,
        activatedAt: status === "active" ? now : null,
      },
    });
  }

  /** Makes sure every algorithm has an active and a next key (first start). Call under the startup lock. */
  async ensureKeys(): Promise<string[]> {
    const created: string[] = [];
    for (const alg of signingAlgorithms) {
      await this.deps.prisma.$transaction(async (tx) => {
        const existing = await tx.signingKey.findMany({ where: { tenantId: this.deps.tenantId, alg, status: { in: ["active", "next"] } } });
        if (!existing.some((k) => k.status === "active")) created.push((await this.generate(alg, "active", tx)).kid);
        if (!existing.some((k) => k.status === "next")) created.push((await this.generate(alg, "next", tx)).kid);
      });
    }
    if (created.length > 0) this.deps.logger.info("created signing keys", { count: created.length });
    return created;
  }

  /** The longest lifetime of any token a key may have signed, from the clients' settings. */
  private async maxTokenLifetimeSeconds(tx: Prisma.TransactionClient): Promise<number> {
    const agg = await tx.client.aggregate({
      where: { tenantId: this.deps.tenantId },
      _max: { accessTokenTtl: true, idTokenTtl: true },
    });
    return Math.max(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, agg._max.accessTokenTtl ?? 0, agg._max.idTokenTtl ?? 0);
  }

  /**
   * Rotates one algorithm (or all): next -> active, active -> retired, and a fresh next key.
   * Retired keys get expiresAt = now + longest token lifetime + clock skew.
   */
  async rotate(algorithms: readonly SigningAlgorithm[] = signingAlgorithms, actor: { type: "cli" | "admin" | "system"; id?: string } = { type: "system" }): Promise<RotationResult[]> {
    const results: RotationResult[] = [];
    for (const alg of algorithms) {
      const result = await this.deps.prisma.$transaction(async (tx) => {
        const now = this.deps.clock.now();
        const keys = await tx.signingKey.findMany({
          where: { tenantId: this.deps.tenantId, alg, status: { in: ["active", "next"] } },
          orderBy: { createdAt: "asc" },
        });
        const actives = keys.filter((k) => k.status === "active");
        const upcoming = keys.find((k) => k.status === "next");
        const lifetime = await this.maxTokenLifetimeSeconds(tx);
        const expiresAt = new Date(now.getTime() + (lifetime + CLOCK_SKEW_SECONDS) * 1000);
        if (actives.length > 0) {
          await tx.signingKey.updateMany({
            where: { id: { in: actives.map((k) => k.id) } },
            data: { status: "retired", rotatedAt: now, expiresAt },
          });
        }
        let activated: SigningKey;
        if (upcoming) {
          activated = await tx.signingKey.update({ where: { id: upcoming.id }, data: { status: "active", activatedAt: now } });
        } else {
          activated = await this.generate(alg, "active", tx);
        }
        const next = await this.generate(alg, "next", tx);
        await this.deps.audit.record(
          { type: "keys.rotated", actorType: actor.type, actorId: actor.id, targetType: "signing_key", targetId: activated.kid, details: { alg, retired: actives.map((k) => k.kid), next: next.kid } },
          tx,
        );
        return { alg, activated: activated.kid, retired: actives[0]?.kid, next: next.kid };
      });
      results.push(result);
    }
    this.deps.logger.info("rotated signing keys", { algorithms: results.map((r) => r.alg) });
    return results;
  }

  /** Keys to publish: active, next, and retired ones whose signed tokens may still be valid. */
  async listPublishable(): Promise<SigningKey[]> {
    const now = this.deps.clock.now();
    return this.deps.prisma.signingKey.findMany({
      where: {
        tenantId: this.deps.tenantId,
        OR: [{ status: { in: ["active", "next"] } }, { status: "retired", expiresAt: { gt: now } }],
      },
      orderBy: [{ alg: "asc" }, { createdAt: "asc" }],
    });
  }

  list(): Promise<SigningKey[]> {
    return this.deps.prisma.signingKey.findMany({ where: { tenantId: this.deps.tenantId }, orderBy: [{ alg: "asc" }, { createdAt: "asc" }] });
  }

  /** Decrypts a key's private JWK (for the signer; never logged or returned over HTTP). */
  decryptPrivateJwk(key: SigningKey): JWK {
    return JSON.parse(this.deps.encryption.decrypt(key.privateJwkEncrypted, key.kid)) as JWK;
  }
}
