/** What a protocol endpoint is told about a request besides the request itself (both doors supply it). */
export interface EndpointContext {
  requestId: string;
  /** The client's address (X-Forwarded-For only with AUTHLY_TRUST_PROXY), for rate limits and audit. */
  clientIp: string;
}

/**
 * A protocol endpoint with its dependencies bound: a plain fetch-style handler. Endpoints under
 * lib/oauth are made by a factory that takes the narrow dependencies they declare
 * (`tokenEndpoint(deps: TokenEndpointDeps)`, ...); the composition root calls it once.
 */
export type Endpoint = (request: Request, context: EndpointContext) => Promise<Response>;
