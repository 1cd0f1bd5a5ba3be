import { createHash } from "node:crypto";
import { CachedValue } from "../cache/invalidating-cache";
import type { StaticDocument } from "../http/static-document";
import type { Logger } from "../observability/logger";
import type { ScopeService } from "../scopes/scope-service";
import type { Clock } from "../server/clock";
import { authorizationServerMetadata } from "./metadata";

const REFRESH_MS = 60_000;

/**
 * Discovery documents (RFC 8414, OpenID Connect Discovery 1.0) are precomputed strings held in a
 * `CachedValue` (lib/cache/invalidating-cache.ts): the scope list comes from the database once a
 * minute, never per request, and a stale copy keeps serving while it is rebuilt. `invalidate()`
 * drops the copy at once (`authly scopes create` calls it in the process that ran the command;
 * other instances see the new scope within the minute).
 */
export class DiscoveryDocuments {
  private readonly document: CachedValue<StaticDocument>;

  constructor(
    private readonly deps: {
      issuer: string;
      scopes: ScopeService;
      clock: Clock;
      logger: Logger;
      /** Extra documents (e.g. OpenID Connect Discovery) are built from the same inputs. */
      build?: (issuer: string, scopes: readonly string[]) => Record<string, unknown>;
    },
  ) {
    this.document = new CachedValue<StaticDocument>({
      name: "discovery document",
      clock: deps.clock,
      logger: deps.logger,
      load: () => this.build(),
      ttlMs: REFRESH_MS,
      staleMs: Number.POSITIVE_INFINITY,
    });
  }

  invalidate(): void {
    this.document.invalidate();
  }

  /** The document without waiting, once built (a stale copy also schedules a rebuild). */
  current(): StaticDocument | undefined {
    return this.document.peek();
  }

  /** The document, built on first use; a stale copy keeps serving while it is rebuilt. */
  get(): Promise<StaticDocument> {
    return this.document.get();
  }

  /** Waits for a rebuild in progress (container.close). */
  close(): Promise<void> {
    return this.document.close();
  }

  private async build(): Promise<StaticDocument> {
    const scopes = (await this.deps.scopes.list()).filter((s) => s.enabled).map((s) => s.name);
    const doc = (this.deps.build ?? authorizationServerMetadata)(this.deps.issuer, scopes);
    const body = JSON.stringify(doc);
    return {
      body,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300", "access-control-allow-origin": "*" },
    };
  }
}
