import { getContainer } from "../server/instance";
import { pageRequestMeta } from "./page-door";
import { runRoute } from "./pipeline";
import { findRoute } from "./routes";

/**
 * Mounts a route-table handler as a Next.js route handler (the second door, used by `next dev`;
 * the production server dispatches these paths before Next sees them).
 */
export function mountRoute(path: string): (request: Request) => Promise<Response> {
  const route = findRoute(path);
  if (!route) throw new Error(`no route for ${path}`);
  // Next.js does not show route handlers the socket: its X-Forwarded-For is the client's own when
  // the client sent one. So no socket address here (the pipeline then counts the client as
  // "unknown", or takes the trusted proxy's X-Forwarded-For: lib/http/client-address.ts), unless
  // the page door in front of Next.js decided it (lib/http/page-door.ts).
  return async (request: Request) => runRoute(route, request, await getContainer(), pageRequestMeta(request.headers).ipAddress);
}
