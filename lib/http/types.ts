import type { Container } from "../server/container";
import type { EndpointContext } from "./endpoint";

export interface RouteContext extends EndpointContext {
  container: Container;
}

/** A protocol endpoint: a plain fetch-style handler shared by both doors (server.ts and app/). */
export type RouteHandler = (request: Request, ctx: RouteContext) => Promise<Response>;

export interface Route {
  path: string;
  /** Methods served; HEAD is answered wherever GET is, unless `noHead` (GET has side effects). */
  methods: readonly string[];
  noHead?: boolean;
  handler: RouteHandler;
  /**
   * For GET routes whose response never depends on the request: the precomputed document. The
   * production server writes it straight to the socket; `handler` must be
   * `staticDocumentHandler(document)` so both doors answer alike.
   */
  document?: import("./static-document-handler").StaticDocumentSource;
  /**
   * May be shown in another site's frame: the response gets no `X-Frame-Options: DENY` and must
   * set its own Content-Security-Policy with frame-ancestors. Only the OIDC check_session iframe.
   */
  frameable?: boolean;
  /** Counted against the per-IP protocol rate limit under this name. */
  rateLimit?: import("../security/rate-limits").LimitedEndpoint;
}
