import type { Cache } from "../cache/cache";
import type { Database } from "../db/database";
import { summarizeCause } from "../db/errors";

export interface ComponentStatus {
  status: "ok" | "error";
  /** Why it failed (no secrets, no stack). */
  error?: string;
  latencyMs?: number;
}

export interface ReadinessReport {
  status: "ready" | "unavailable";
  checks: Record<string, ComponentStatus>;
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Readiness: the database answers, and Redis answers when it is configured. */
export class ReadinessCheck {
  constructor(private readonly deps: { database: Database; cache?: Cache }) {}

  private async probe(what: string, fn: () => Promise<void>): Promise<ComponentStatus> {
    const started = performance.now();
    try {
      await withTimeout(fn(), what);
      return { status: "ok", latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { status: "error", error: summarizeCause(error) };
    }
  }

  async check(): Promise<ReadinessReport> {
    const checks: Record<string, ComponentStatus> = {};
    const tasks: Promise<void>[] = [
      this.probe("the database", () => this.deps.database.ping()).then((s) => void (checks.database = s)),
    ];
    const cache = this.deps.cache;
    if (cache) tasks.push(this.probe("Redis", () => cache.ping()).then((s) => void (checks.redis = s)));
    await Promise.all(tasks);
    const ok = Object.values(checks).every((c) => c.status === "ok");
    return { status: ok ? "ready" : "unavailable", checks };
  }
}
