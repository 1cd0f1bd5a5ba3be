import type { Container } from "../server/container";
import { requestIdFrom, securityHeaders } from "../security/headers";
import { methodNotAllowed, serverError } from "./responses";
import { allowedMethods } from "./routes";
import type { Route } from "./types";

/**
 * Runs a protocol route with the cross-cutting concerns that every response gets: request id,
 * security headers, method check, and a last-resort 500 that logs the cause but never leaks it.
 */
export async function runRoute(route: Route, request: Request, container: Container): Promise<Response> {
  const requestId = requestIdFrom(request.headers.get("x-request-id"));
  let response: Response;
  const allowed = allowedMethods(route);
  if (!allowed.includes(request.method)) {
    response = methodNotAllowed(allowed);
  } else {
    try {
      const effective = request.method === "HEAD" ? new Request(request, { method: "GET" }) : request;
      response = await route.handler(effective, { container, requestId });
      if (request.method === "HEAD") response = new Response(null, { status: response.status, headers: response.headers });
    } catch (error) {
      container.logger.error("unhandled error in route", { path: route.path, requestId, error });
      response = serverError(requestId);
    }
  }
  // Copy into fresh headers: some responses (Response.redirect, fetch results) have immutable ones.
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(securityHeaders({ https: container.config.issuer.startsWith("https:") }))) {
    if (!headers.has(name)) headers.set(name, value);
  }
  headers.set("x-request-id", requestId);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
