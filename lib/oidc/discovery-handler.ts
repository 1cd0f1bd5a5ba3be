/** GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §4): the precomputed provider metadata (discovery.ts). */
import { staticDocumentHandler, type StaticDocumentSource } from "../http/static-document-handler";
import type { RouteHandler } from "../http/types";

export const openidConfigurationDocument: StaticDocumentSource = (container) => container.discovery.oauth.current() ?? container.discovery.oauth.get();
export const openidConfigurationHandler: RouteHandler = staticDocumentHandler(openidConfigurationDocument);
