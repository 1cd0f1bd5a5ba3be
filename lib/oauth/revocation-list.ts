import type { Cache } from "../cache/cache";
import type { PrismaClient } from "../generated/prisma/client";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";

/**
 * Revoked JWT access tokens by `jti`. A JWT stays verifiable until it expires, so introspection
 * checks this list (RFC 7662 §2.2: a revoked token is not active). The hot path reads only the
 * cache (Redis when configured, shared by every instance); each entry expires when the token would
 * have. The database copy lets the list survive a restart of the process or of Redis: it is loaded
 * into the cache once per process before the first lookup.
 */
export class RevocationList {
  private warm: Promise<void> | undefined;
  private warmed = false;

  constructor(
    private readonly deps: { prisma: PrismaClient; cache: Cache; clock: Clock; logger: Logger; tenantId: string },
  ) {}

  private key(jti: string): string {
    return `revoked-jti:${jti}`;
  }

  async revoke(entries: { jti: string; expiresAt: Date }[]): Promise<void> {
    const now = this.deps.clock.nowMs();
    const live = entries.filter((e) => e.expiresAt.getTime() > now);
    if (live.length === 0) return;
    await this.deps.prisma.revokedAccessToken.createMany({
      data: live.map((e) => ({ jti: e.jti, tenantId: this.deps.tenantId, revokedAt: new Date(now), expiresAt: e.expiresAt })),
      skipDuplicates: true,
    });
    await Promise.all(live.map((e) => this.deps.cache.set(this.key(e.jti), "1", { ttlMs: e.expiresAt.getTime() - now })));
  }

  /** Synchronous with the in-process cache once loaded (the introspection hot path). */
  isRevoked(jti: string): boolean | Promise<boolean> {
    if (this.warmed && this.deps.cache.getNow) return this.deps.cache.getNow(this.key(jti)) !== null;
    return this.isRevokedAsync(jti);
  }

  private async isRevokedAsync(jti: string): Promise<boolean> {
    await (this.warm ??= this.load());
    return (await this.deps.cache.get(this.key(jti))) !== null;
  }

  /** Copies unexpired database entries into the cache (once per process) and drops expired rows. */
  private async load(): Promise<void> {
    const now = this.deps.clock.now();
    try {
      const rows = await this.deps.prisma.revokedAccessToken.findMany({ where: { tenantId: this.deps.tenantId, expiresAt: { gt: now } } });
      await Promise.all(rows.map((r) => this.deps.cache.set(this.key(r.jti), "1", { ttlMs: r.expiresAt.getTime() - now.getTime() })));
      await this.deps.prisma.revokedAccessToken.deleteMany({ where: { expiresAt: { lte: now } } });
      this.warmed = true;
    } catch (error) {
      this.warm = undefined; // try again on the next lookup
      throw error;
    }
  }
}
