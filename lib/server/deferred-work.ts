/**
 * Work that follows an answer instead of preceding it: the answer is sent without waiting for it,
 * so how long the answer takes cannot depend on it. Used where the work itself would reveal
 * something, e.g. whether an address has an account (password reset: OWASP Forgot Password Cheat
 * Sheet, "Ensure that the time taken for the user response message is uniform"; OWASP
 * Authentication Cheat Sheet, "Authentication Responses").
 *
 * Nothing is lost quietly: a task's failure is caught and logged with the task's name (never its
 * data), and `close()` (called by `container.close()` before the database closes) waits for every
 * task started so far, including tasks those tasks start. `settled()` does the same without
 * closing; tests await it.
 */
import type { Logger } from "../observability/logger";

export class DeferredWork {
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly deps: {
      logger: Logger;
      /**
       * When a task starts. By default after the current turn of the event loop (setImmediate), so
       * the caller's answer is on its way before the task does anything.
       */
      schedule?: (start: () => void) => void;
    },
  ) {}

  /** How many tasks have not finished. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Runs `task` after the current turn. Never throws and never rejects: a failure is logged as
   * "deferred task failed" with `name`. After `close()` a task still runs (and is waited for by a
   * later `settled()`), with a warning: its dependencies may be gone.
   */
  run(name: string, task: () => Promise<void>): void {
    if (this.closed) this.deps.logger.warn("deferred task started after close", { task: name });
    const schedule = this.deps.schedule ?? ((start: () => void) => void setImmediate(start));
    const done = new Promise<void>((resolve) => {
      schedule(() => {
        // A task that throws synchronously is caught like one that rejects.
        Promise.resolve()
          .then(task)
          .catch((error: unknown) => this.deps.logger.error("deferred task failed", { task: name, error }))
          .finally(resolve);
      });
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Resolves when every task started so far has finished (and every task those started). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Takes no more work quietly and waits for the tasks in progress (container.close). */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }
}
