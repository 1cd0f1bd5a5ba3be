import { getContainer } from "../server/instance";
import { runRoute } from "./pipeline";
import { findRoute } from "./routes";

/**
 * Mounts a route-table handler as a Next.js route handler (the second door, used by `next dev`;
 * the production server dispatches these paths before Next sees them).
 */
export function mountRoute(path: string): (request: Request) => Promise<Response> {
  const route = findRoute(path);
  if (!route) throw new Error(`no route for ${path}`);
  // Next's own router appends the socket address as the last X-Forwarded-For hop.
  return async (request: Request) =>
    runRoute(route, request, await getContainer(), request.headers.get("x-forwarded-for")?.split(",").pop()?.trim());
}
