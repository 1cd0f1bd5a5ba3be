/** JSON response helpers. Protocol and operations responses are never cached unless stated. */
export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...init.headers },
  });
}

export function methodNotAllowed(allowed: readonly string[]): Response {
  // RFC 9110 §15.5.6: 405 carries Allow.
  return json({ error: "method_not_allowed" }, { status: 405, headers: { allow: allowed.join(", ") } });
}

export function serverError(requestId: string): Response {
  return json({ error: "server_error", request_id: requestId }, { status: 500 });
}
