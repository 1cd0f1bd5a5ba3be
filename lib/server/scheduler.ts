/**
 * The one place where background work runs on a timer: purging expired records, automatic key
 * rotation, the back-channel logout deliveries (and the retention jobs and metrics to come).
 *
 * Rules for every task:
 * - Timers are unref'd: a scheduled task never keeps the process alive.
 * - One run of a task at a time. A run that comes due while the previous one is still running
 *   (its interval elapsed, or `trigger()`) starts as soon as that one ends; several such become one.
 * - A failure (thrown or rejected) is logged with the task's name, never thrown; the schedule goes on.
 * - `stop()` cancels every task and waits for the runs in progress; `ScheduledTask.cancel()` does
 *   the same for one task.
 *
 * Built by the composition root (lib/server/container.ts) and stopped by `container.close()`.
 */
import type { Logger } from "../observability/logger";
import type { Clock } from "./clock";

/** setTimeout's largest delay (about 24.8 days); a later `at` waits in steps. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

export interface ScheduledTask {
  readonly name: string;
  /** Runs the task soon: now when idle, right after the current run otherwise. No-op once cancelled. */
  trigger(): void;
  /** No further runs; resolves when the run in progress (if any) has finished. Idempotent. */
  cancel(): Promise<void>;
}

export interface EveryOptions {
  /** Also run once at once (default false: the first run comes after `intervalMs`). */
  runAtStart?: boolean;
}

type Task = () => unknown;

export class Scheduler {
  private readonly tasks = new Map<string, TaskRunner>();
  private stopped = false;

  constructor(private readonly deps: { clock: Clock; logger: Logger }) {}

  /** Names of the scheduled tasks (for tests and metrics). */
  names(): string[] {
    return [...this.tasks.keys()];
  }

  /** Runs `task` every `intervalMs` (and at once with `runAtStart`). Names are unique among live tasks. */
  every(name: string, intervalMs: number, task: Task, options: EveryOptions = {}): ScheduledTask {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`intervalMs must be a positive number, got ${String(intervalMs)}`);
    const runner = this.add(name, task);
    const timer = setInterval(() => runner.trigger(), intervalMs);
    timer.unref();
    runner.onCancel = () => clearInterval(timer);
    if (options.runAtStart) runner.trigger();
    return runner;
  }

  /** Runs `task` once at `when` (epoch ms or a Date, by the injected clock; at once if it has passed). */
  at(name: string, when: number | Date, task: Task): ScheduledTask {
    const atMs = typeof when === "number" ? when : when.getTime();
    const runner = this.add(name, task, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const delay = atMs - this.deps.clock.nowMs();
      if (delay > MAX_TIMER_DELAY_MS) {
        timer = setTimeout(arm, MAX_TIMER_DELAY_MS);
      } else {
        timer = setTimeout(() => runner.trigger(), Math.max(0, delay));
      }
      timer.unref();
    };
    runner.onCancel = () => clearTimeout(timer);
    arm();
    return runner;
  }

  /** Cancels every task and waits for the runs in progress. Afterwards `every` and `at` refuse. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.tasks.values()].map((runner) => runner.cancel()));
  }

  private add(name: string, task: Task, options: { once?: boolean } = {}): TaskRunner {
    if (this.stopped) throw new Error(`the scheduler is stopped (task "${name}")`);
    if (this.tasks.has(name)) throw new Error(`a task named "${name}" is already scheduled`);
    const runner = new TaskRunner(name, task, this.deps.logger, options.once ?? false, () => {
      if (this.tasks.get(name) === runner) this.tasks.delete(name);
    });
    this.tasks.set(name, runner);
    return runner;
  }
}

class TaskRunner implements ScheduledTask {
  onCancel: () => void = () => undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private cancelled = false;

  constructor(
    readonly name: string,
    private readonly task: Task,
    private readonly logger: Logger,
    private readonly once: boolean,
    private readonly remove: () => void,
  ) {}

  trigger(): void {
    if (this.cancelled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.once) {
        this.cancelled = true;
        this.remove();
      } else if (this.again) {
        this.again = false;
        this.trigger();
      }
    });
  }

  async cancel(): Promise<void> {
    if (!this.cancelled) {
      this.cancelled = true;
      this.again = false;
      this.onCancel();
      this.remove();
    }
    // A run ending now may chain into no other: `cancelled` stops trigger().
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      await this.task();
    } catch (error) {
      this.logger.error("scheduled task failed", { task: this.name, error });
    }
  }
}
