import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import type { Database } from "./database";
import { isDatabaseUnavailable } from "./availability";
import { DatabaseUnavailableError, summarizeCause } from "./errors";
import type { SqlDatabase, SqlRunner } from "./sql";

export interface PostgresTarget {
  /** Connection string without Prisma's `schema` parameter. */
  connectionString: string;
  /** The PostgreSQL schema holding Authly's tables (`?schema=` in DATABASE_URL, default public). */
  schema: string;
  /** host:port/database, for messages. */
  description: string;
}

export function parsePostgresUrl(url: string): PostgresTarget {
  const u = new URL(url);
  const schema = u.searchParams.get("schema") || "public";
  u.searchParams.delete("schema");
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres";
  return {
    connectionString: u.toString(),
    schema,
    description: `PostgreSQL at ${u.hostname}:${u.port || "5432"}/${database}${schema !== "public" ? ` (schema ${schema})` : ""}`,
  };
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Stable 32-bit key for pg_advisory_lock from a lock name. */
function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(`authly:${name}`)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function runnerFor(client: pg.Pool | pg.PoolClient): SqlRunner {
  const runner: SqlRunner = {
    async query<T>(sql: string, params?: unknown[]) {
      const result = await client.query(sql, params as unknown[] | undefined);
      return result.rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      if (client instanceof pg.Pool) {
        const conn = await client.connect();
        let failure: unknown;
        try {
          return await inTransaction(conn, fn);
        } catch (error) {
          failure = error;
          throw error;
        } finally {
          // A connection whose query timed out may still be busy on the server: drop it.
          conn.release(failure !== undefined && isDatabaseUnavailable(failure) ? (failure as Error) : undefined);
        }
      }
      return inTransaction(client, fn);
    },
  };
  return runner;
}

async function inTransaction<T>(conn: pg.PoolClient, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
  await conn.query("BEGIN");
  try {
    const out = await fn(runnerFor(conn));
    await conn.query("COMMIT");
    return out;
  } catch (error) {
    await conn.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

export interface OpenPostgresOptions {
  connectTimeoutMs?: number;
  maxConnections?: number;
  /**
   * Longest a query may run (server-side statement_timeout, and a client-side read timeout a
   * little longer for a server that stopped answering at all). Default 10 s. Migrations and the
   * start-up lock run on a separate connection without it.
   */
  queryTimeoutMs?: number;
}

/** Default longest query, in ms (AUTHLY_DATABASE_TIMEOUT_SECONDS). */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
/** How long a migration or the start-up lock may wait for a new connection. */
const MAINTENANCE_CONNECT_TIMEOUT_MS = 30_000;
/** The client-side read timeout allows this much beyond the server's statement timeout. */
const CLIENT_TIMEOUT_MARGIN_MS = 2_000;

/** Opens PostgreSQL through @prisma/adapter-pg. Fails with DatabaseUnavailableError naming the host. */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<Database> {
  let target: PostgresTarget;
  try {
    target = parsePostgresUrl(url);
  } catch {
    throw new DatabaseUnavailableError("PostgreSQL database", "DATABASE_URL is not a valid URL");
  }
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const common = {
    connectionString: target.connectionString,
    // Waiting for a connection (pool full, or the server not accepting) ends, and becomes a 503.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // TCP keep-alive: a connection to a server that vanished is noticed and dropped.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  const pool = new pg.Pool({
    ...common,
    max: options.maxConnections ?? 10,
    // Unqualified names (migrations, raw SQL) resolve in Authly's schema. A statement that runs
    // longer than the timeout is cancelled by the server (57014); a transaction left idle is ended.
    options: `-c search_path=${quoteIdent(target.schema)} -c statement_timeout=${queryTimeoutMs} -c idle_in_transaction_session_timeout=${queryTimeoutMs * 3}`,
    // A server that does not answer at all (paused, partitioned) cannot cancel anything: the
    // client gives up on its own a little later ("Query read timeout").
    query_timeout: queryTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  // Migrations and the start-up lock: no timeouts (a migration may take long; a second instance
  // waits for the first one's migrations), one connection at a time, opened only when needed.
  let maintenancePool: pg.Pool | undefined;
  const maintenance = () => {
    if (!maintenancePool) {
      // Its connections are opened on demand (a start, a migration), often while other processes
      // start too: a generous connect timeout, since nothing waits on them but the start itself.
      maintenancePool = new pg.Pool({ ...common, connectionTimeoutMillis: MAINTENANCE_CONNECT_TIMEOUT_MS, max: 2, options: `-c search_path=${quoteIdent(target.schema)}` });
      maintenancePool.on("error", () => undefined);
    }
    return maintenancePool;
  };

  try {
    const client = await pool.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`).catch((error: { code?: string }) => {
        // IF NOT EXISTS is not race-safe: a process creating the same schema at the same moment
        // makes this one fail with 23505 (pg_namespace) or 42P06; the schema exists either way.
        if (error.code !== "23505" && error.code !== "42P06") throw error;
      });
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(target.description, summarizeCause(error));
  }

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: target.schema }) });
  const base = runnerFor(pool);
  const sql: SqlDatabase = {
    ...base,
    unbounded: {
      query: (text, params) => runnerFor(maintenance()).query(text, params),
      exec: (text) => runnerFor(maintenance()).exec(text),
      transaction: (fn) => runnerFor(maintenance()).transaction(fn),
    },
    async withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const conn = await maintenance().connect();
      const key = lockKey(name);
      try {
        // Session-level advisory lock: held until unlocked or the connection drops (a killed
        // process releases it), so concurrent starts serialize their migrations and seeding.
        await conn.query("SELECT pg_advisory_lock($1)", [key]);
        try {
          return await fn();
        } finally {
          await conn.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => undefined);
        }
      } finally {
        conn.release();
      }
    },
  };

  return {
    kind: "postgres",
    description: target.description,
    prisma,
    sql,
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await maintenancePool?.end().catch(() => undefined);
    },
  };
}
