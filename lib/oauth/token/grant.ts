import type { z } from "zod";
import type { Client } from "../../generated/prisma/client";
import type { GrantType } from "../../protocol/constants";
import { OAuthError } from "../errors";

export interface GrantRequest<P> {
  /** The authenticated client, allowed to use this grant type. */
  client: Client;
  /** The grant's parameters, parsed by its `parameters` schema (RFC 6749 §3.2, duplicates already rejected). */
  params: P;
  requestId: string;
  clientIp: string;
}

/** A token endpoint success body (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  [member: string]: unknown;
}

/**
 * What a grant module in lib/oauth/token/ exports, as node-oidc-provider's grants do
 * (lib/actions/grants/*.js: `grantType`, `parameters`, `handler`): the grant_type it answers, the
 * schema of its parameters, and its handler. The handler's first argument is the narrow set of
 * dependencies the grant declares (`AuthorizationCodeGrantDeps`, ...), as each flow of ory/fosite
 * declares the storage it needs; the composition root binds them (lib/server/container.ts).
 */
export interface Grant<P, D> {
  readonly grantType: GrantType;
  readonly parameters: z.ZodType<P>;
  handler(deps: D, request: GrantRequest<P>): Promise<TokenResponse>;
}

/** A grant with its dependencies bound: the token endpoint hands it the raw form parameters. */
export type BoundGrant = (request: GrantRequest<Map<string, string>>) => Promise<TokenResponse>;

export function bindGrant<P, D>(grant: Grant<P, D>, deps: D): BoundGrant {
  return async (request) => {
    const parsed = grant.parameters.safeParse(Object.fromEntries(request.params));
    // RFC 6749 §5.2: a required parameter is missing or a parameter is malformed.
    if (!parsed.success) throw new OAuthError("invalid_request", parsed.error.issues[0]!.message);
    return grant.handler(deps, { ...request, params: parsed.data });
  };
}
