/** GET /.well-known/oauth-authorization-server (RFC 8414 §3): the precomputed metadata document. */
import { staticDocumentHandler, type StaticDocumentSource } from "../http/static-document-handler";
import type { RouteHandler } from "../http/types";

export const authorizationServerMetadataDocument: StaticDocumentSource = (container) =>
  container.discovery.oauth.current() ?? container.discovery.oauth.get();
export const authorizationServerMetadataHandler: RouteHandler = staticDocumentHandler(authorizationServerMetadataDocument);
