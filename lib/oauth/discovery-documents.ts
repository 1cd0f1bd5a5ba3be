import { createHash } from "node:crypto";
import type { StaticDocument } from "../http/static-document";
import type { ScopeService } from "../scopes/scope-service";
import type { Clock } from "../server/clock";
import { authorizationServerMetadata } from "./metadata";

const REFRESH_MS = 60_000;

/**
 * Discovery documents (RFC 8414, OpenID Connect Discovery 1.0) are precomputed strings: the scope
 * list comes from the database once a minute, never per request. `invalidate()` drops the copy at
 * once (`authly scopes create` calls it in the process that ran the command; other instances see
 * the new scope within the minute).
 */
export class DiscoveryDocuments {
  private built: (StaticDocument & { builtAt: number }) | undefined;
  private building: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      issuer: string;
      scopes: ScopeService;
      clock: Clock;
      /** Extra documents (e.g. OpenID Connect Discovery) are built from the same inputs. */
      build?: (issuer: string, scopes: readonly string[]) => Record<string, unknown>;
    },
  ) {}

  invalidate(): void {
    this.built = undefined;
  }

  /** The document without waiting, once built (a stale copy also schedules a rebuild). */
  current(): StaticDocument | undefined {
    if (this.built && this.deps.clock.nowMs() - this.built.builtAt > REFRESH_MS) void this.rebuild().catch(() => undefined);
    return this.built;
  }

  async get(): Promise<StaticDocument> {
    const ready = this.current(); // a stale copy keeps serving while it is rebuilt
    if (ready) return ready;
    await this.rebuild();
    return this.built!;
  }

  private rebuild(): Promise<void> {
    this.building ??= (async () => {
      try {
        const scopes = (await this.deps.scopes.list()).filter((s) => s.enabled).map((s) => s.name);
        const doc = (this.deps.build ?? authorizationServerMetadata)(this.deps.issuer, scopes);
        const body = JSON.stringify(doc);
        this.built = {
          body,
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
          headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300", "access-control-allow-origin": "*" },
          builtAt: this.deps.clock.nowMs(),
        };
      } finally {
        this.building = undefined;
      }
    })();
    return this.building;
  }
}
