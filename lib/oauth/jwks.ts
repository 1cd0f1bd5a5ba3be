import { staticDocumentHandler, type StaticDocumentSource } from "../http/static-document-handler";
import type { RouteHandler } from "../http/types";

/**
 * The JWKS endpoint (RFC 7517 §5; OpenID Connect Discovery 1.0 §3 `jwks_uri`): the key store's
 * precomputed body with public members only, a strong ETag, and 304 for a matching If-None-Match.
 */
export const jwksDocument: StaticDocumentSource = (container) => container.keyStore.currentJwks() ?? container.keyStore.jwks();

export const jwksHandler: RouteHandler = staticDocumentHandler(jwksDocument);
