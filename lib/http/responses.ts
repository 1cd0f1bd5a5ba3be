/**
 * Response construction for protocol handlers.
 *
 * Handlers return standard `Response`s. The production server registers its HTTP adapter's
 * lightweight Response class (same API, materializes a real one only when a property beyond
 * status/headers/body is touched), which the adapter writes to the socket without copying; `next dev`
 * and tests get the platform `Response`. The class is a capability chosen once at start-up, not state.
 * Responses made here remember their plain header object, so the pipeline can add the security
 * headers to it without materializing a `Headers` instance.
 */
const responseClassSlot = Symbol.for("authly.responseClass");
const plainHeaders = Symbol.for("authly.plainHeaders");

type ResponseClass = new (body: BodyInit | null, init: ResponseInit) => Response;

export function registerResponseClass(cls: ResponseClass): void {
  (globalThis as Record<symbol, unknown>)[responseClassSlot] = cls;
}

/** A response whose headers are a plain object the pipeline may still extend. */
export function makeResponse(body: string | Uint8Array | null, status: number, headers: Record<string, string>): Response {
  const Cls = ((globalThis as Record<symbol, unknown>)[responseClassSlot] as ResponseClass | undefined) ?? Response;
  const response = new Cls(body as BodyInit | null, { status, headers });
  if (Cls !== Response) (response as unknown as Record<symbol, unknown>)[plainHeaders] = headers;
  return response;
}

/** The still-mutable plain headers of a response from `makeResponse` on the production server. */
export function mutableHeadersOf(response: Response): Record<string, string> | undefined {
  return (response as unknown as Record<symbol, Record<string, string> | undefined>)[plainHeaders];
}

/** JSON response helpers. Protocol and operations responses are never cached unless stated. */
export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return makeResponse(JSON.stringify(body), init.status ?? 200, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    ...init.headers,
  });
}

export function methodNotAllowed(allowed: readonly string[]): Response {
  // RFC 9110 §15.5.6: 405 carries Allow.
  return json({ error: "method_not_allowed" }, { status: 405, headers: { allow: allowed.join(", ") } });
}

export function serverError(requestId: string): Response {
  return json({ error: "server_error", request_id: requestId }, { status: 500 });
}

/**
 * Requests from Next's client router or link prefetches (`RSC: 1`, `Next-Router-Prefetch`) would
 * otherwise run a GET endpoint's side effects (consuming an interaction, ending a session). They
 * get an inert answer; Next then navigates the browser to the URL for real (a non-RSC response
 * makes it fall back to a full page load).
 */
export function isNextRouterFetch(request: Request): boolean {
  return request.headers.get("rsc") === "1" || request.headers.has("next-router-prefetch");
}

export function inertResponse(): Response {
  return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
}
