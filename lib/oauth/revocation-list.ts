import type { Cache, Unsubscribe } from "../cache/cache";
import { channels } from "../cache/channels";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { OAuthError } from "./errors";

/** Announces revocations to the other instances (a hint; the database is the record). */
export const REVOCATIONS_CHANNEL = channels.revocationsAdded;

/** Where the authoritative list lives (the RevokedAccessToken table, through the token store). */
export interface RevocationSource {
  /** Unexpired entries recorded at or after `since` (database clock; null: all), and the database's now. */
  revokedSince(since: Date | null, now: Date): Promise<{ databaseNow: Date; entries: { jti: string; expiresAt: Date }[] }>;
}

export interface RevocationListOptions {
  /** Read what other instances recorded at least this often (lookups start the read). */
  syncIntervalMs: number;
  /**
   * When the last successful read is older than this, a lookup waits for a fresh one, and answers
   * 503 if the database cannot give it: a revocation list that may be missing entries decides nothing.
   */
  maxStalenessMs: number;
}

/**
 * Revoked JWT access tokens by `jti`. A JWT stays verifiable until it expires, so introspection
 * checks this list (RFC 7662 §2.2: a revoked token is not active).
 *
 * The database is the record (RevokedAccessToken, written in the same transaction that revokes the
 * token's bookkeeping row). Every instance keeps the unexpired entries in memory, in a map of its
 * own that nothing evicts, and keeps it current three ways:
 *  - its own revocations are added at once;
 *  - other instances announce theirs over the cache's pub/sub (Redis), which is only a hint;
 *  - it reads what was recorded since its last read (by the database's own clock, with an overlap
 *    for transactions still committing) every `syncIntervalMs`, and at once when the connection
 *    to Redis comes back (announcements sent meanwhile were lost).
 * So a Redis restart, flush or eviction never brings a revoked token back, and with Redis down the
 * lookups keep answering from memory, refreshed from the database.
 */
export class RevocationList {
  private readonly revoked = new Map<string, number>();
  /** The database clock at the last successful read; the next read starts a little before it. */
  private databaseMark: Date | null = null;
  /** The instance clock at the last successful read; null before the first. */
  private syncedAtMs: number | null = null;
  private syncing: Promise<void> | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private detachReconnect: (() => void) | undefined;
  private subscribing: Promise<void> | undefined;
  private closed = false;

  /** Entries recorded this long before the last read are read again (commit delay of a writer). */
  static readonly OVERLAP_MS = 30_000;

  constructor(
    private readonly deps: { source: RevocationSource; cache: Cache; clock: Clock; logger: Logger; options: RevocationListOptions },
  ) {}

  /** Listens for other instances' announcements and for Redis reconnects. Idempotent. */
  start(): Promise<void> {
    this.subscribing ??= (async () => {
      try {
        this.unsubscribe = await this.deps.cache.subscribe(REVOCATIONS_CHANNEL, (message) => this.receive(message));
      } catch (error) {
        // Without announcements the periodic reads still bring every revocation in.
        this.deps.logger.warn("cannot subscribe to revocation announcements; relying on database reads", { error });
      }
      this.detachReconnect = this.deps.cache.onReconnect?.(() => {
        void this.sync().catch((error: unknown) => this.deps.logger.warn("revocation list refresh failed", { error }));
      });
    })();
    return this.subscribing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscribing;
    this.detachReconnect?.();
    await this.unsubscribe?.().catch(() => undefined);
    await this.syncing?.catch(() => undefined);
  }

  /**
   * Adds entries this instance has just recorded in the database, and announces them. The
   * announcement is best effort: the others read the database anyway.
   */
  async added(entries: { jti: string; expiresAt: Date }[]): Promise<void> {
    const now = this.deps.clock.nowMs();
    const live = entries.filter((e) => e.expiresAt.getTime() > now);
    if (live.length === 0) return;
    for (const e of live) this.revoked.set(e.jti, e.expiresAt.getTime());
    const message = JSON.stringify(live.map((e) => [e.jti, e.expiresAt.getTime()]));
    await this.deps.cache.publish(REVOCATIONS_CHANNEL, message).catch((error: unknown) => this.deps.logger.warn("cannot announce revocations; other instances read them from the database", { error }));
  }

  /**
   * Whether the jti is revoked. Synchronous when the list is fresh (the introspection hot path);
   * a promise when it must be read first. Rejects with a 503 OAuthError when the list is too old
   * and the database cannot refresh it.
   */
  isRevoked(jti: string): boolean | Promise<boolean> {
    if (!this.subscribing) void this.start();
    const now = this.deps.clock.nowMs();
    const age = this.syncedAtMs === null ? Infinity : now - this.syncedAtMs;
    if (age > this.deps.options.maxStalenessMs) {
      return this.sync().then(
        () => this.has(jti, this.deps.clock.nowMs()),
        (error: unknown) => {
          this.deps.logger.error("the revocation list cannot be read; answering 503", { error });
          throw new OAuthError("temporarily_unavailable", "the service is temporarily unavailable", { status: 503, headers: { "retry-after": "5" } });
        },
      );
    }
    if (age > this.deps.options.syncIntervalMs) {
      void this.sync().catch((error: unknown) => this.deps.logger.warn("revocation list refresh failed; serving the list in memory", { error }));
    }
    return this.has(jti, now);
  }

  /** Number of unexpired entries held (for tests and metrics). */
  get size(): number {
    return this.revoked.size;
  }

  /** Reads what was recorded since the last read (all of it the first time); one read at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.read().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async read(): Promise<void> {
    if (this.closed) return;
    const started = this.deps.clock.nowMs();
    const since = this.databaseMark ? new Date(this.databaseMark.getTime() - RevocationList.OVERLAP_MS) : null;
    const { databaseNow, entries } = await this.deps.source.revokedSince(since, new Date(started));
    for (const e of entries) this.revoked.set(e.jti, e.expiresAt.getTime());
    // Expired tokens fail verification anyway: drop their entries.
    for (const [jti, expiresAtMs] of this.revoked) if (expiresAtMs <= started) this.revoked.delete(jti);
    this.databaseMark = databaseNow;
    this.syncedAtMs = started;
  }

  private has(jti: string, nowMs: number): boolean {
    const expiresAtMs = this.revoked.get(jti);
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  private receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(parsed)) return;
    for (const item of parsed) {
      if (Array.isArray(item) && typeof item[0] === "string" && item[0].length <= 256 && typeof item[1] === "number") this.revoked.set(item[0], item[1]);
    }
  }
}
