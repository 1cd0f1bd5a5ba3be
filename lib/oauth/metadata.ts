import { createHash } from "node:crypto";
import { staticDocumentHandler, type StaticDocument, type StaticDocumentSource } from "../http/static-document";
import type { RouteHandler } from "../http/types";
import type { ScopeService } from "../scopes/scope-service";
import type { Clock } from "../server/clock";
import { assertionSigningAlgorithms } from "./client-auth";

/** Client authentication methods at the token, revocation and introspection endpoints. */
export const tokenEndpointAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] as const;
/** Introspection needs a client that can authenticate (RFC 7662 §2.1). */
const introspectionAuthMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt"] as const;

export const endpointPaths = {
  authorization: "/oauth/authorize",
  token: "/oauth/token",
  revocation: "/oauth/revoke",
  introspection: "/oauth/introspect",
  jwks: "/oauth/jwks",
} as const;

/** RFC 8414 §2 authorization server metadata: exactly what this server implements. */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: issuer + endpointPaths.authorization,
    token_endpoint: issuer + endpointPaths.token,
    jwks_uri: issuer + endpointPaths.jwks,
    scopes_supported: scopes,
    response_types_supported: ["code"],
    response_modes_supported: ["query", "form_post"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    token_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: assertionSigningAlgorithms,
    revocation_endpoint: issuer + endpointPaths.revocation,
    // RFC 7009 §2.1: public clients revoke their own tokens with client_id alone.
    revocation_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    revocation_endpoint_auth_signing_alg_values_supported: assertionSigningAlgorithms,
    introspection_endpoint: issuer + endpointPaths.introspection,
    introspection_endpoint_auth_methods_supported: introspectionAuthMethods,
    introspection_endpoint_auth_signing_alg_values_supported: assertionSigningAlgorithms,
    code_challenge_methods_supported: ["S256"], // RFC 7636; plain is refused (OAuth 2.1 §4.1.1)
    authorization_response_iss_parameter_supported: true, // RFC 9207 §3
    // RFC 9068 access tokens are signed with RS256.
    access_token_signing_alg_values_supported: ["RS256"],
  };
}

const REFRESH_MS = 60_000;

/**
 * Discovery documents are precomputed strings: the scope list comes from the database once a
 * minute, never per request. `invalidate()` drops the copy at once (`authly scopes create` calls it
 * in the process that ran the command; other instances see the new scope within the minute).
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

export const authorizationServerMetadataDocument: StaticDocumentSource = (container) =>
  container.discovery.oauth.current() ?? container.discovery.oauth.get();
export const authorizationServerMetadataHandler: RouteHandler = staticDocumentHandler(authorizationServerMetadataDocument);
