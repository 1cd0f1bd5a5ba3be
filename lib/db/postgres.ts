import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import type { Database } from "./database";
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
        try {
          return await inTransaction(conn, fn);
        } finally {
          conn.release();
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
}

/** Opens PostgreSQL through @prisma/adapter-pg. Fails with DatabaseUnavailableError naming the host. */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<Database> {
  let target: PostgresTarget;
  try {
    target = parsePostgresUrl(url);
  } catch {
    throw new DatabaseUnavailableError("PostgreSQL database", "DATABASE_URL is not a valid URL");
  }
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    max: options.maxConnections ?? 10,
    // Unqualified names (migrations, raw SQL) resolve in Authly's schema.
    options: `-c search_path=${quoteIdent(target.schema)}`,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);

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
    async withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const conn = await pool.connect();
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
    },
  };
}
