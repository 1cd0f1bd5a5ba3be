// Driver adapter for the Prisma CLI (migrate diff / migrate dev) under the WASM schema engine.
// The application does not use this file: it builds its own adapters in lib/db/.
// It works around three @prisma/adapter-pg 6.19.3 problems seen with the WASM engine:
//  1. catalog queries return the system types `name`/`char` (OID 19/18) and their arrays,
//     which the adapter cannot deserialize (prisma/orm#27403): remap them to text/text[];
//  2. a connection string overrides `database`, so the shadow pool hit the main database:
//     pass discrete connection fields;
//  3. the shadow database was never dropped while its pool was open: close it first.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";

const remappedTypes: Record<number, number> = { 19: 25, 18: 25, 1002: 1009, 1003: 1009 };

function remapFields(result: unknown): unknown {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results) {
    const fields = (r as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
    if (!fields) continue;
    for (const field of fields) {
      const mapped = remappedTypes[field.dataTypeID];
      if (mapped !== undefined) field.dataTypeID = mapped;
    }
  }
  return result;
}

class RemappingClient extends pg.Client {
  // pg-pool calls query(config, callback); the adapter calls the promise form.
  override query(...args: unknown[]): never {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      const callback = last as (err: Error | null, res: unknown) => void;
      const rest = args.slice(0, -1);
      return (super.query as (...a: unknown[]) => unknown)(...rest, (err: Error | null, res: unknown) =>
        callback(err, err ? res : remapFields(res)),
      ) as never;
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    if (out && typeof (out as Promise<unknown>).then === "function") {
      return (out as Promise<unknown>).then(remapFields) as never;
    }
    return out as never;
  }
}

function poolConfig(url: string, database?: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || "postgres",
    password: decodeURIComponent(u.password) || undefined,
    database: database ?? (decodeURIComponent(u.pathname.slice(1)) || "postgres"),
    Client: RemappingClient as unknown as typeof pg.Client,
    allowExitOnIdle: true,
  };
}

class MigrationPg extends PrismaPg {
  constructor(private readonly url: string) {
    super(poolConfig(url));
  }

  override async connectToShadowDb() {
    const name = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
    const admin = new pg.Client(poolConfig(this.url));
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const shadowPool = new pg.Pool(poolConfig(this.url, name));
    const url = this.url;
    const factory = new PrismaPg(shadowPool);
    const adapter = await factory.connect();
    const originalDispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await originalDispose().catch(() => undefined);
      await shadowPool.end().catch(() => undefined);
      const dropper = new pg.Client(poolConfig(url));
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    };
    return adapter as never;
  }
}

export function createMigrationAdapter(url: string) {
  if (!url) throw new Error("Set DATABASE_URL (postgresql://...) for Prisma CLI commands.");
  return new MigrationPg(url);
}
