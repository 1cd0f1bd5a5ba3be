import type { Container } from "../server/container";

export interface RouteContext {
  container: Container;
  requestId: string;
}

/** A protocol endpoint: a plain fetch-style handler shared by both doors (server.ts and app/). */
export type RouteHandler = (request: Request, ctx: RouteContext) => Promise<Response>;

export interface Route {
  path: string;
  /** Methods served; HEAD is answered wherever GET is. */
  methods: readonly string[];
  handler: RouteHandler;
}
