import { authorizeHandler, resumeHandler } from "../oauth/authorize";
import { healthHandler, readyHandler } from "../operations/health";
import { jwksDocument, jwksHandler } from "../oauth/jwks";
import { authorizationServerMetadataDocument, authorizationServerMetadataHandler } from "../oauth/metadata-handler";
import { openidConfigurationDocument, openidConfigurationHandler } from "../oidc/discovery-handler";
import { checkSessionHandler } from "../oidc/check-session";
import { userinfoHandler } from "../oidc/userinfo";
import { endSessionHandler } from "../oidc/logout/handler";
import { oauthPaths, oidcPaths, operationsPaths, wellKnownPaths } from "../protocol/paths";
import type { Route } from "./types";

/**
 * The machine endpoints served by fast, plain handlers. server.ts dispatches these paths
 * directly; app/ mounts the same handlers so `next dev` serves them too.
 */
export const routes: readonly Route[] = [
  { path: operationsPaths.health, methods: ["GET"], handler: healthHandler },
  { path: operationsPaths.ready, methods: ["GET"], handler: readyHandler },
  { path: oauthPaths.authorization, methods: ["GET", "POST"], handler: authorizeHandler, noHead: true, rateLimit: "authorize" },
  { path: oauthPaths.authorizationResume, methods: ["GET"], handler: resumeHandler, noHead: true, rateLimit: "authorize" },
  { path: oauthPaths.jwks, methods: ["GET"], handler: jwksHandler, document: jwksDocument },
  { path: wellKnownPaths.oauthAuthorizationServer, methods: ["GET"], handler: authorizationServerMetadataHandler, document: authorizationServerMetadataDocument },
  // Endpoints the composition root binds to their narrow dependencies (container.endpoints).
  { path: oauthPaths.token, methods: ["POST"], handler: (request, context) => context.container.endpoints.token(request, context), rateLimit: "token" },
  { path: oauthPaths.introspection, methods: ["POST"], handler: (request, context) => context.container.endpoints.introspection(request, context), rateLimit: "introspect" },
  { path: oauthPaths.revocation, methods: ["POST"], handler: (request, context) => context.container.endpoints.revocation(request, context), rateLimit: "revoke" },
  { path: wellKnownPaths.openidConfiguration, methods: ["GET"], handler: openidConfigurationHandler, document: openidConfigurationDocument },
  { path: oidcPaths.userinfo, methods: ["GET", "POST", "OPTIONS"], handler: userinfoHandler, rateLimit: "userinfo" },
  // Session Management 1.0 §3.2: the OP iframe, the one page other sites may frame.
  { path: oidcPaths.checkSession, methods: ["GET"], handler: checkSessionHandler, frameable: true },
  // RP-Initiated Logout 1.0 §2: GET and POST; GET ends sessions, so no HEAD. Browser-facing, like /oauth/authorize.
  { path: oidcPaths.endSession, methods: ["GET", "POST"], handler: endSessionHandler, noHead: true, rateLimit: "logout" },
];

const byPath = new Map(routes.map((r) => [r.path, r]));

export function findRoute(pathname: string): Route | undefined {
  return byPath.get(pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname);
}

export function allowedMethods(route: Route): string[] {
  return route.methods.includes("GET") && !route.noHead ? [...route.methods, "HEAD"] : [...route.methods];
}
