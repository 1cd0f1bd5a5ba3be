import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client";
import type { Database } from "./database";
import { DatabaseUnavailableError, EmbeddedDatabaseBusyError, summarizeCause } from "./errors";
import { InProcessMutex, type SqlDatabase, type SqlRunner } from "./sql";

/** Files inside AUTHLY_DATA_DIR. */
export function embeddedPaths(dataDir: string) {
  return {
    database: path.join(dataDir, "db"),
    lock: path.join(dataDir, "authly.lock"),
    /** Unix socket on which a running server accepts CLI commands (see lib/cli/control-socket.ts). */
    controlSocket: path.join(dataDir, "authly.sock"),
  };
}

interface EmbeddedLockOwner {
  pid: number;
  startedAt: string;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock file's owner, or undefined while it is being written or when it is garbage. */
function readLockOwner(lock: string): EmbeddedLockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(/*turbopackIgnore: true*/ lock, "utf8")) as EmbeddedLockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PGlite is single-process: the data directory is guarded by a lock file naming the owner's pid.
 * A lock left by a process that no longer exists (killed, crashed) is taken over.
 */
function acquireLock(dataDir: string): () => void {
  const { lock } = embeddedPaths(dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(/*turbopackIgnore: true*/ lock, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      return () => {
        if (readLockOwner(lock)?.pid === process.pid) rmSync(/*turbopackIgnore: true*/ lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // Unreadable: being written right now, or garbage: retry, then treat as stale.
      const owner = readLockOwner(lock);
      if (owner && isProcessAlive(owner.pid)) {
        throw new EmbeddedDatabaseBusyError(dataDir, owner.pid);
      }
      if (!owner && attempt < 2) continue;
      rmSync(lock, { force: true });
    }
  }
  throw new DatabaseUnavailableError(`embedded database at ${dataDir}`, "could not take the lock file");
}

function runnerFor(db: Pick<PGlite, "query" | "exec">, transaction: SqlRunner["transaction"]): SqlRunner {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      const result = await db.query<T>(sql, params);
      return result.rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    transaction,
  };
}

/**
 * Opens (creating on first use) the embedded PostgreSQL (PGlite) in dataDir/db.
 * A first initialisation happens in a temporary folder that is renamed into place only once
 * complete, so a process killed during first start leaves nothing half-made behind.
 */
export async function openEmbedded(dataDir: string): Promise<Database> {
  const description = `embedded database at ${dataDir}`;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new DatabaseUnavailableError(description, summarizeCause(error));
  }
  const release = acquireLock(dataDir);
  const paths = embeddedPaths(dataDir);
  let pglite: PGlite;
  try {
    if (!existsSync(/*turbopackIgnore: true*/ paths.database)) {
      const staging = `${paths.database}.init-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      const fresh = await PGlite.create(staging);
      await fresh.close();
      renameSync(staging, paths.database);
    }
    pglite = await PGlite.create(paths.database);
  } catch (error) {
    release();
    throw new DatabaseUnavailableError(description, summarizeCause(error));
  }

  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const mutex = new InProcessMutex();
  const transaction: SqlRunner["transaction"] = (fn) =>
    pglite.transaction((tx) => fn(runnerFor(tx, () => Promise.reject(new Error("nested transactions are not supported")))));
  const sql: SqlDatabase = {
    ...runnerFor(pglite, transaction),
    // One process owns the folder (lock file), so an in-process mutex is enough.
    withExclusiveLock: (_name, fn) => mutex.run(fn),
  };

  let closed = false;
  return {
    kind: "embedded",
    description,
    prisma,
    sql,
    async ping() {
      await pglite.query("SELECT 1");
    },
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => undefined);
      await pglite.close().catch(() => undefined);
      release();
    },
  };
}
