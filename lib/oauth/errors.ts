import { makeResponse } from "../http/responses";
import type { RateLimitExceeded } from "../security/rate-limits";

/**
 * The one OAuth error family. Every protocol failure is an `OAuthError` value carrying its RFC
 * error code and HTTP status; `oauthErrorResponse` is the one place that serializes it.
 */

/** RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 8707 §2, OAuth 2.1 §3.2.4 error codes. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "access_denied"
  | "unsupported_response_type"
  | "server_error"
  | "temporarily_unavailable"
  | "unsupported_token_type"
  | "invalid_target"
  | "invalid_token"
  | "insufficient_scope"
  | "login_required"
  | "consent_required"
  | "interaction_required"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "slow_down";

const defaultStatus: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401, // RFC 6749 §5.2
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  unsupported_token_type: 400,
  invalid_target: 400,
  invalid_token: 401, // RFC 6750 §3.1
  insufficient_scope: 403, // RFC 6750 §3.1
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  request_not_supported: 400,
  request_uri_not_supported: 400,
  slow_down: 429,
};

export class OAuthError extends Error {
  readonly status: number;
  /** Extra response headers (WWW-Authenticate, Retry-After, Allow). */
  readonly headers: Record<string, string>;

  constructor(
    readonly error: OAuthErrorCode,
    /** Human-readable, ASCII, safe to show to the client developer (RFC 6749 §5.2). Never secrets. */
    readonly description?: string,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(description ? `${error}: ${description}` : error);
    this.name = "OAuthError";
    this.status = options.status ?? defaultStatus[error];
    this.headers = options.headers ?? {};
  }
}

/**
 * The answer to an address or client over its rate limit (lib/security/rate-limits.ts): 429 with
 * Retry-After (RFC 6585 §4), error temporarily_unavailable (RFC 6749 §4.1.2.1).
 */
export function tooManyRequests(refusal: RateLimitExceeded): OAuthError {
  return new OAuthError("temporarily_unavailable", "too many requests, retry later", {
    status: 429,
    headers: { "retry-after": String(refusal.retryAfterSeconds) },
  });
}

/** RFC 6749 §5.2: error_description uses %x20-21 / %x23-5B / %x5D-7E only. */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "?").slice(0, 300);
}

/** Serializes an OAuthError as RFC 6749 §5.2 JSON; `Cache-Control: no-store` per §5.1. */
export function oauthErrorResponse(error: OAuthError): Response {
  const body: Record<string, string> = { error: error.error };
  if (error.description) body.error_description = safeDescription(error.description);
  return makeResponse(JSON.stringify(body), error.status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    pragma: "no-cache",
    ...error.headers,
  });
}

/** A JSON success response for a protocol endpoint (RFC 6749 §5.1: no-store). */
export function oauthJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return makeResponse(JSON.stringify(body), status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    pragma: "no-cache",
    ...headers,
  });
}
