import type { Client } from "../../generated/prisma/client";
import type { Container } from "../../server/container";

export interface GrantRequest {
  container: Container;
  /** The authenticated client. */
  client: Client;
  /** The form parameters of the token request (RFC 6749 §3.2, duplicates already rejected). */
  params: Map<string, string>;
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

export type GrantHandler = (request: GrantRequest) => Promise<TokenResponse>;
