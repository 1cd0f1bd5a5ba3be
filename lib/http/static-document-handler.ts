/**
 * The route side of a static document (lib/http/static-document.ts): where a route finds its
 * document, and the fetch-style handler that serves it. Kept apart from the document itself,
 * because a source reads the container and the container builds the services that make documents.
 */
import type { Container } from "../server/container";
import { makeResponse } from "./responses";
import { staticDocumentReply, type StaticDocument } from "./static-document";

/** Returns the document directly when it is at hand (the common case), else a promise of it. */
export type StaticDocumentSource = (container: Container) => StaticDocument | Promise<StaticDocument>;

/**
 * The fetch-style handler of a static document route (the Next door and tests use it): a
 * RouteHandler (lib/http/types.ts) that reads only the container from the route context.
 */
export function staticDocumentHandler(source: StaticDocumentSource): (request: Request, ctx: { container: Container }) => Promise<Response> {
  return async (request, { container }) => {
    const reply = staticDocumentReply(await source(container), request.headers.get("if-none-match"));
    return makeResponse(reply.body, reply.status, reply.headers);
  };
}
