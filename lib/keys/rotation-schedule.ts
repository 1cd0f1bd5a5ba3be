import type { Database } from "../db/database";
import type { SigningKey } from "../generated/prisma/client";
import type { Logger } from "../observability/logger";
import type { Clock } from "../server/clock";
import { Scheduler, type ScheduledTask } from "../server/scheduler";
import type { KeyStore } from "./key-store";
import { signingAlgorithms, type SigningAlgorithm } from "../protocol/constants";
import type { SigningKeyService } from "./signing-key-service";

const DAY_MS = 86_400_000;
/** How often each instance looks for keys that are due. */
export const ROTATION_CHECK_INTERVAL_MS = 3_600_000;
/** Name of the database-wide lock that keeps two instances from rotating the same keys twice. */
export const ROTATION_LOCK = "key-rotation";

export interface KeyRotationScheduleOptions {
  signingKeys: SigningKeyService;
  keyStore: KeyStore;
  db: Database;
  clock: Clock;
  logger: Logger;
  /** Rotate an algorithm's active key once it is this many days old (by activatedAt); 0 = never. */
  rotationDays: number;
  /** The process's scheduler (composition root); a scheduler of its own when none is given. */
  scheduler?: Scheduler;
}

/**
 * Rotates signing keys automatically: every hour (and once at start) each instance checks whether
 * an algorithm's active key is older than `rotationDays`; if so it rotates under a database-wide
 * lock, re-checking inside it, then announces the change so every instance reloads its keys.
 * The hourly check is the task "key-rotation" of the scheduler (lib/server/scheduler.ts).
 */
export class KeyRotationSchedule {
  private readonly scheduler: Scheduler;
  private task: ScheduledTask | undefined;
  private running: Promise<string[]> | undefined;

  constructor(private readonly deps: KeyRotationScheduleOptions) {
    this.scheduler = deps.scheduler ?? new Scheduler({ clock: deps.clock, logger: deps.logger });
  }

  /** Starts the hourly check, the first at once (no-op with rotationDays 0). The timer never keeps the process alive. */
  start(): void {
    if (this.task || this.deps.rotationDays <= 0) return;
    this.task = this.scheduler.every("key-rotation", ROTATION_CHECK_INTERVAL_MS, () => this.runOnce(), { runAtStart: true });
  }

  /** Stops the schedule and waits for a check that is running. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    await task?.cancel();
    await this.running?.catch(() => undefined);
  }

  /** One check; resolves with the algorithms this call rotated (none when nothing was due). */
  runOnce(): Promise<string[]> {
    // One check at a time per instance; a caller arriving meanwhile shares its result.
    this.running ??= this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async check(): Promise<SigningAlgorithm[]> {
    if (this.deps.rotationDays <= 0) return [];
    // A cheap check first, so the hourly tick takes no lock while nothing is due.
    if ((await this.dueAlgorithms()).length === 0) return [];
    const rotated = await this.deps.db.sql.withExclusiveLock(ROTATION_LOCK, async () => {
      // Re-check under the lock: another instance may have rotated while we waited for it.
      const due = await this.dueAlgorithms();
      if (due.length === 0) return [];
      await this.deps.signingKeys.rotate(due, { type: "system" });
      return due;
    });
    if (rotated.length > 0) {
      this.deps.logger.info("rotated signing keys on schedule", { algorithms: rotated, rotationDays: this.deps.rotationDays });
      await this.deps.keyStore.invalidate();
    }
    return rotated;
  }

  private async dueAlgorithms(): Promise<SigningAlgorithm[]> {
    const keys = await this.deps.signingKeys.listPublishable();
    const cutoff = this.deps.clock.nowMs() - this.deps.rotationDays * DAY_MS;
    return signingAlgorithms.filter((alg) => {
      const active = keys.filter((k: SigningKey) => k.alg === alg && k.status === "active");
      // No active key: nothing to rotate (the start-up tasks create keys).
      if (active.length === 0) return false;
      const newest = Math.max(...active.map((k) => (k.activatedAt ?? k.createdAt).getTime()));
      return newest <= cutoff;
    });
  }
}
