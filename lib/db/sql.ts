/** The raw SQL a database offers Authly outside Prisma: migrations, locks, health checks. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction, committed when it resolves and rolled back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export interface SqlDatabase extends SqlRunner {
  /**
   * The same, without the query timeout: for migrations, which may legitimately run long.
   * Absent where there is no timeout (the embedded database).
   */
  unbounded?: SqlRunner;
  /**
   * Runs fn while holding an exclusive lock shared by every process using this database
   * (PostgreSQL advisory lock; the embedded database is single-process and locks in memory).
   */
  withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** A promise chain that runs critical sections one after another (per instance, not global). */
export class InProcessMutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
