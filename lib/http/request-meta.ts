import { MAX_ADDRESS_LENGTH } from "./client-address";
import { pageRequestMeta } from "./page-door";

/**
 * Who sent a request, as audit rows, session rows and per-address limits record it: one shape for
 * both doors of the production server, built in one place per door:
 *
 * - the protocol door (route handlers): `requestMetaOfRoute`, from the route context (the address
 *   the pipeline decided with lib/http/client-address.ts, and the response's request id) and the
 *   request's User-Agent;
 * - pages and server actions: `requestMetaOfPage`, from the internal headers server.ts set
 *   (lib/http/page-door.ts: never the client's own X-Forwarded-For or X-Request-Id) and the
 *   User-Agent.
 *
 * Both apply the length caps, and so do the two places that store the values (AuditLog and
 * BrowserSessionService), whoever called them.
 */
export interface RequestMeta {
  /** The client's address (lib/http/client-address.ts), at most MAX_ADDRESS_LENGTH characters. */
  ipAddress?: string;
  /** The User-Agent header as sent, at most MAX_USER_AGENT_LENGTH characters. */
  userAgent?: string;
  /** The request id of the response (X-Request-Id). */
  requestId?: string;
}

export { MAX_ADDRESS_LENGTH };
/** The longest User-Agent kept: enough for every real browser, bounded for the database. */
export const MAX_USER_AGENT_LENGTH = 512;

/** A User-Agent header cut to MAX_USER_AGENT_LENGTH; undefined when absent. */
export function boundedUserAgent(value: string | null | undefined): string | undefined {
  return value == null ? undefined : value.slice(0, MAX_USER_AGENT_LENGTH);
}

/** An address cut to MAX_ADDRESS_LENGTH (client-address.ts already gives at most that); undefined when absent. */
export function boundedAddress(value: string | null | undefined): string | undefined {
  return value == null ? undefined : value.slice(0, MAX_ADDRESS_LENGTH);
}

/** The protocol door: the route context's address and request id, and the request's User-Agent. */
export function requestMetaOfRoute(request: { headers: Pick<Headers, "get"> }, ctx: { clientIp: string; requestId: string }): RequestMeta {
  return { ipAddress: boundedAddress(ctx.clientIp), userAgent: boundedUserAgent(request.headers.get("user-agent")), requestId: ctx.requestId };
}

/** A page request or server action: address and request id as server.ts decided them, and the User-Agent. */
export function requestMetaOfPage(headers: Pick<Headers, "get">): RequestMeta {
  const { ipAddress, requestId } = pageRequestMeta(headers);
  return { ipAddress: boundedAddress(ipAddress), userAgent: boundedUserAgent(headers.get("user-agent")), requestId };
}
