import type http from "node:http";
import { requestIdFrom } from "../security/headers";
import { clientAddress } from "./client-address";

/**
 * The production server's door to Next.js (pages, server actions): what every request handed to
 * Next.js carries, decided by server.ts and only there.
 *
 * Pages and server actions cannot see the socket, and the X-Forwarded-For that Next.js shows them
 * is the client's own when the client sent one (Next.js only fills it in when it is missing). So
 * server.ts decides the client address with the same function as the protocol door
 * (lib/http/client-address.ts) and passes it, with the request id of the response, in internal
 * request headers: any copy the client sent is removed first. Pages read them with
 * `requestMetaOfPage` (lib/http/request-meta.ts), never X-Forwarded-For or X-Request-Id.
 */
export const CLIENT_ADDRESS_HEADER = "x-authly-client-address";
/** The request id of this request's response (X-Request-Id), for audit rows written while serving it. */
export const REQUEST_ID_HEADER = "x-authly-request-id";

/**
 * Prepares a request for Next.js: removes client-sent copies of the internal headers, sets them
 * from the socket (or the trusted proxy's X-Forwarded-For), and sets the response's X-Request-Id.
 * Returns the request id.
 */
export function preparePageRequest(req: http.IncomingMessage, res: http.ServerResponse, options: { trustProxy: boolean }): string {
  const requestId = requestIdFrom(req.headers["x-request-id"] as string | undefined);
  const forwarded = req.headers["x-forwarded-for"];
  const address = clientAddress({
    socketAddress: req.socket.remoteAddress,
    forwardedFor: Array.isArray(forwarded) ? forwarded.join(",") : forwarded,
    trustProxy: options.trustProxy,
  });
  if (address) req.headers[CLIENT_ADDRESS_HEADER] = address;
  else delete req.headers[CLIENT_ADDRESS_HEADER];
  req.headers[REQUEST_ID_HEADER] = requestId;
  res.setHeader("x-request-id", requestId);
  return requestId;
}

/**
 * Whether this process serves pages through `preparePageRequest` (server.ts registers it before it
 * listens). Under `next dev` or `next start` nothing removes client-sent internal headers, so they
 * are not believed there: pages get no address and no request id rather than a forged one.
 * The flag lives on globalThis because Next.js bundles its own copy of lib/ modules (as the
 * container's slot in lib/server/instance.ts); it is set once, by the entry point.
 */
const PAGE_DOOR = Symbol.for("authly.page-door");

export function registerPageDoor(): void {
  (globalThis as unknown as Record<symbol, boolean | undefined>)[PAGE_DOOR] = true;
}

function pageDoorInFront(): boolean {
  return (globalThis as unknown as Record<symbol, boolean | undefined>)[PAGE_DOOR] === true;
}

/**
 * The client address and request id of a page request or server action, as server.ts decided
 * them: the part of its RequestMeta (lib/http/request-meta.ts) that only this door can vouch for.
 */
export function pageRequestMeta(headers: Pick<Headers, "get">): { ipAddress: string | undefined; requestId: string | undefined } {
  if (!pageDoorInFront()) return { ipAddress: undefined, requestId: undefined };
  return { ipAddress: headers.get(CLIENT_ADDRESS_HEADER) ?? undefined, requestId: headers.get(REQUEST_ID_HEADER) ?? undefined };
}
