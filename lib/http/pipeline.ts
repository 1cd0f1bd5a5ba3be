import type { Container } from "../server/container";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../db/availability";
import { isInvalidTextInput } from "../db/errors";
import { OAuthError, oauthErrorResponse, tooManyRequests } from "../oauth/errors";
import { requestIdFrom } from "../security/headers";
import { RateLimitExceeded } from "../security/rate-limits";
import { clientAddress as resolveClientAddress } from "./client-address";
import { methodNotAllowed, mutableHeadersOf, serverError } from "./responses";
import { allowedMethods } from "./routes";
import type { Route } from "./types";

/**
 * The client's address: the socket peer, or the first X-Forwarded-For hop behind a trusted proxy.
 * Decided by lib/http/client-address.ts, the same function the page door uses.
 */
export function clientAddress(request: Request, container: Container, socketAddress: string | undefined): string {
  const trustProxy = container.config.trustProxy;
  // The header is read only when it may be used (reading headers has a cost on the hot path).
  return resolveClientAddress({ socketAddress, forwardedFor: trustProxy ? request.headers.get("x-forwarded-for") : undefined, trustProxy }) ?? "unknown";
}

/**
 * The security headers a route's responses get where they do not set them. A frameable route
 * (the check_session iframe) gets no X-Frame-Options: its page's own CSP frame-ancestors decides,
 * and any other response of it (405, 500) still carries the default CSP with frame-ancestors 'none'.
 */
export function securityHeadersFor(route: Route, container: Container): readonly (readonly [string, string])[] {
  return route.frameable ? container.securityHeaders.filter(([name]) => name !== "x-frame-options") : container.securityHeaders;
}

/**
 * Runs a protocol route with the cross-cutting concerns that every response gets: request id,
 * security headers, method check, per-IP rate limit, OAuth error serialization, and a
 * last-resort 500 that logs the cause but never leaks it.
 */
export async function runRoute(route: Route, request: Request, container: Container, socketAddress?: string): Promise<Response> {
  const requestId = requestIdFrom(request.headers.get("x-request-id"));
  const clientIp = clientAddress(request, container, socketAddress);
  let response: Response;
  const allowed = allowedMethods(route);
  if (!allowed.includes(request.method)) {
    response = methodNotAllowed(allowed);
  } else {
    try {
      if (route.rateLimit) {
        const pending = container.rateLimits.checkIp(route.rateLimit, clientIp);
        if (pending) await pending;
      }
      // Rebuilt from url and headers: the production door's lightweight Request is not a platform
      // Request, and `new Request(request, ...)` throws on it (HEAD answered 500 there).
      const effective = request.method === "HEAD" ? new Request(request.url, { method: "GET", headers: request.headers }) : request;
      response = await route.handler(effective, { container, requestId, clientIp });
      if (request.method === "HEAD") response = new Response(null, { status: response.status, headers: response.headers });
    } catch (error) {
      if (error instanceof RateLimitExceeded) {
        response = oauthErrorResponse(tooManyRequests(error));
      } else if (error instanceof OAuthError) {
        if (error.status >= 500) container.logger.error("protocol error", { path: route.path, requestId, error });
        response = oauthErrorResponse(error);
      } else if (isDatabaseUnavailable(error)) {
        // A paused, unreachable or overloaded database (statement or connection timeout): the
        // request may succeed later. RFC 9110 §15.6.4 503 with Retry-After, never a hang or a 500.
        container.logger.warn("database unavailable", { path: route.path, requestId, error });
        response = oauthErrorResponse(new OAuthError("temporarily_unavailable", "the service is temporarily unavailable, try again later", { status: 503, headers: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) } }));
      } else if (isInvalidTextInput(error)) {
        // Text the database cannot store that got past the edge checks (lib/http/input.ts): the
        // request is malformed (RFC 6749 §5.2 invalid_request), not the server broken.
        container.logger.warn("input the database cannot store", { path: route.path, requestId, error });
        response = oauthErrorResponse(new OAuthError("invalid_request", "the request contains text that cannot be processed"));
      } else {
        container.logger.error("unhandled error in route", { path: route.path, requestId, error });
        response = serverError(requestId);
      }
    }
  }
  const security = securityHeadersFor(route, container);
  const plain = mutableHeadersOf(response);
  if (plain) {
    // The production server's lightweight response: extend its header object in place.
    for (const [name, value] of security) if (!(name in plain)) plain[name] = value;
    plain["x-request-id"] = requestId;
    return response;
  }
  // Set on the response itself when its headers are mutable (cheap); copy otherwise
  // (Response.redirect and fetch results have immutable headers).
  let headers = response.headers;
  try {
    headers.set("x-request-id", requestId);
  } catch {
    headers = new Headers(response.headers);
    headers.set("x-request-id", requestId);
    response = new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
  for (const [name, value] of security) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return response;
}
