import type http from "node:http";
import { getRequestListener, type Http2Bindings, type HttpBindings } from "@hono/node-server";
import { requestIdFrom } from "../security/headers";
import type { Container } from "../server/container";
import { runRoute, securityHeadersFor } from "./pipeline";
import { registerResponseClass } from "./responses";
import { findRoute, routes } from "./routes";
import { ifNoneMatchMatches, staticDocumentReply, type StaticDocument } from "./static-document";
import type { Route } from "./types";

/**
 * The production server's door for the route table: plain Node HTTP, no framework.
 *
 * - Static documents (JWKS, discovery) are written straight to the socket from a precomputed body
 *   and header list: no Request or Response objects at all.
 * - Every other protocol route runs through `runRoute` via @hono/node-server's lightweight
 *   Request/Response adapter; responses built with `makeResponse` use the adapter's own Response
 *   class, so they are written without being copied.
 * Security headers and request ids are the same as on the Next door (lib/http/pipeline.ts).
 * Returns a listener that answers `false` when the path is not in the route table.
 */
export function createProtocolDoor(container: Container): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  registerResponseClass(captureAdapterResponseClass());
  const listeners = new Map<Route, ReturnType<typeof getRequestListener>>(
    routes.map((route) => [
      route,
      getRequestListener(
        (request: Request, env: HttpBindings | Http2Bindings) => runRoute(route, request, container, env.incoming.socket.remoteAddress),
        { overrideGlobalObjects: false },
      ),
    ]),
  );
  // Flat header lists per document object (a new object is built whenever the document changes).
  const headerLists = new WeakMap<StaticDocument, { ok: string[]; notModified: string[] }>();
  const flat = (route: Route, headers: Record<string, string>) => {
    const list: string[] = [];
    for (const [name, value] of Object.entries(headers)) list.push(name, value);
    for (const [name, value] of securityHeadersFor(route, container)) if (!(name in headers)) list.push(name, value);
    return list;
  };

  const writeDocument = (route: Route, doc: StaticDocument, req: http.IncomingMessage, res: http.ServerResponse, requestId: string) => {
    let lists = headerLists.get(doc);
    if (!lists) {
      lists = { ok: flat(route, staticDocumentReply(doc, null).headers), notModified: flat(route, staticDocumentReply(doc, "*").headers) };
      headerLists.set(doc, lists);
    }
    // Same decision as staticDocumentReply, without building a header object per request.
    const notModified = ifNoneMatchMatches(req.headers["if-none-match"], doc.etag);
    res.writeHead(notModified ? 304 : 200, [...(notModified ? lists.notModified : lists.ok), "x-request-id", requestId]);
    res.end(req.method === "HEAD" || notModified ? undefined : doc.body);
  };

  const documentFailed = (route: Route, res: http.ServerResponse, requestId: string, error: unknown) => {
    container.logger.error("unhandled error in route", { path: route.path, requestId, error });
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-request-id": requestId });
    res.end(JSON.stringify({ error: "server_error", request_id: requestId }));
  };

  const serveDocument = (route: Route, req: http.IncomingMessage, res: http.ServerResponse) => {
    const requestId = requestIdFrom(req.headers["x-request-id"] as string | undefined);
    try {
      const found = route.document!(container);
      // Synchronous when the document is at hand (the common case): no promise, no microtask.
      if (!(found instanceof Promise)) return writeDocument(route, found, req, res, requestId);
      found.then((doc) => writeDocument(route, doc, req, res, requestId)).catch((error: unknown) => documentFailed(route, res, requestId, error));
    } catch (error) {
      documentFailed(route, res, requestId, error);
    }
  };

  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const route = findRoute(q < 0 ? url : url.slice(0, q));
    if (!route) return false;
    if (route.document && (req.method === "GET" || req.method === "HEAD")) serveDocument(route, req, res);
    else void listeners.get(route)!(req, res);
    return true;
  };
}

/**
 * @hono/node-server installs its lightweight Response class only by replacing the global one.
 * Take the class, then put the platform globals back, so Next.js keeps the real ones.
 */
function captureAdapterResponseClass(): new (body: BodyInit | null, init: ResponseInit) => Response {
  const g = globalThis as { Request: typeof Request; Response: typeof Response };
  const original = { Request: g.Request, Response: g.Response };
  getRequestListener(() => new Response(null), { overrideGlobalObjects: true });
  const adapterResponse = g.Response;
  Object.defineProperty(globalThis, "Request", { value: original.Request, writable: true, configurable: true });
  Object.defineProperty(globalThis, "Response", { value: original.Response, writable: true, configurable: true });
  return adapterResponse;
}
