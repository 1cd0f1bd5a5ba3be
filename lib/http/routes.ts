import { healthHandler, readyHandler } from "../operations/health";
import type { Route } from "./types";

/**
 * The machine endpoints served by fast, plain handlers. server.ts dispatches these paths
 * directly; app/ mounts the same handlers so `next dev` serves them too.
 */
export const routes: readonly Route[] = [
  { path: "/api/health", methods: ["GET"], handler: healthHandler },
  { path: "/api/ready", methods: ["GET"], handler: readyHandler },
];

const byPath = new Map(routes.map((r) => [r.path, r]));

export function findRoute(pathname: string): Route | undefined {
  return byPath.get(pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname);
}

export function allowedMethods(route: Route): string[] {
  return route.methods.includes("GET") ? [...route.methods, "HEAD"] : [...route.methods];
}
