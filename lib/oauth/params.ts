import { isAcceptableParam, isAcceptableText } from "../http/input";
import { OAuthError } from "./errors";

/** Largest form body a protocol endpoint reads (a private_key_jwt assertion fits comfortably). */
export const MAX_FORM_BYTES = 64 * 1024;
/** Largest single parameter value. */
export const MAX_PARAM_LENGTH = 8 * 1024;
/** Largest number of distinct parameters. */
export const MAX_PARAMS = 64;

/**
 * Parameters that may repeat: RFC 8707 §2 allows several `resource` values. Their values are kept
 * joined by single spaces (a URI cannot contain a raw space), so split on " ".
 */
const repeatable = new Set(["resource"]);

/**
 * Parses `application/x-www-form-urlencoded` text into a map, enforcing the RFC 6749 §3.1 /
 * §3.2 rule that "request and response parameters MUST NOT be included more than once", and
 * rejecting oversized values. Parameters sent without a value are treated as omitted (§3.1).
 * Names and values must be valid UTF-8 once percent-decoded and pass the edge text rule
 * (lib/http/input.ts: no NUL or other control character, no lone surrogate); anything else is
 * `invalid_request` (RFC 6749 §5.2: "malformed"), before any of it reaches a lookup.
 */
export function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let count = 0;
  for (const [name, value] of formEntries(text)) {
    if (++count > MAX_PARAMS) throw new OAuthError("invalid_request", "too many parameters");
    if (name.length > 128) throw new OAuthError("invalid_request", "parameter name too long");
    if (value.length > MAX_PARAM_LENGTH) throw new OAuthError("invalid_request", `parameter ${safeName(name)} is too long`);
    if (!isAcceptableText(name) || !isAcceptableParam(name, value)) {
      throw new OAuthError("invalid_request", `parameter ${safeName(name)} contains a control character or malformed text`);
    }
    const previous = params.get(name);
    if (previous !== undefined) {
      if (!repeatable.has(name)) throw new OAuthError("invalid_request", `parameter ${safeName(name)} is included more than once`); // RFC 6749 §3.1
      if (value.includes(" ") || previous === "" || value === "") throw new OAuthError("invalid_target", "a resource must be an absolute URI");
      params.set(name, `${previous} ${value}`);
      continue;
    }
    params.set(name, value);
  }
  // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted."
  for (const [name, value] of params) if (value === "") params.delete(name);
  return params;
}

/**
 * The name/value pairs of a form body, split and decoded as the WHATWG URL Standard's
 * application/x-www-form-urlencoded parser does (§5.1: "+" is a space, a "%" not followed by two
 * hex digits stays as it is), except that percent-encoded bytes that are not UTF-8 are refused
 * rather than replaced with U+FFFD. Without "%" or "+" there is nothing to decode (the common
 * case: tokens are URL-safe).
 */
function formEntries(text: string): [string, string][] {
  const decode = text.includes("%") || text.includes("+");
  const entries: [string, string][] = [];
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    entries.push(decode ? [decodeComponent(name), decodeComponent(value)] : [name, value]);
  }
  return entries;
}

function decodeComponent(raw: string): string {
  const text = raw.includes("+") ? raw.replace(/\+/g, " ") : raw;
  if (!text.includes("%")) return text;
  try {
    // Throws on a malformed escape and on escapes that are not UTF-8; both are handled below.
    return decodeURIComponent(text);
  } catch {
    return decodeLenientEscapes(text);
  }
}

/** Percent-decoding that keeps a "%" without two hex digits (WHATWG URL §1.3); the bytes must be UTF-8. */
function decodeLenientEscapes(text: string): string {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const match of text.matchAll(/%[0-9A-Fa-f]{2}/g)) {
    if (match.index > start) parts.push(Buffer.from(text.slice(start, match.index), "utf8"));
    parts.push(Uint8Array.of(parseInt(match[0].slice(1), 16)));
    start = match.index + 3;
  }
  if (start < text.length) parts.push(Buffer.from(text.slice(start), "utf8"));
  return decodeUtf8(Buffer.concat(parts), "a percent-encoded parameter");
}

function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : "(invalid name)";
}

/**
 * Reads a POST body that must be `application/x-www-form-urlencoded` (RFC 6749 §3.2, RFC 7009 §2.1,
 * RFC 7662 §2.1). Wrong content type: 415 is not an OAuth code, so answer `invalid_request` with 415.
 */
export function readFormBody(request: Request): Promise<Map<string, string>> {
  try {
    return readFormBodyChecked(request);
  } catch (error) {
    return Promise.reject(error);
  }
}

function readFormBodyChecked(request: Request): Promise<Map<string, string>> {
  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/x-www-form-urlencoded") {
    throw new OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded", { status: 415 });
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && !/^\d+$/.test(declared)) throw new OAuthError("invalid_request", "Content-Length is malformed");
  if (declared !== null && Number(declared) > MAX_FORM_BYTES) {
    throw new OAuthError("invalid_request", "the request body is too large", { status: 413 });
  }
  // With a Content-Length (already checked against the limit, and enforced by the HTTP parser)
  // the whole body is read at once: on the production server this skips building a stream.
  // A plain promise chain rather than async functions: fewer promises on the hot path.
  if (declared === null) return readLimitedText(request, MAX_FORM_BYTES).then(parseParams);
  return request.text().then(
    (text) => {
      // text() decodes leniently: invalid UTF-8 becomes U+FFFD, which a form body never carries raw
      // (non-ASCII characters are percent-encoded).
      if (text.includes("\uFFFD")) throw new OAuthError("invalid_request", "the request body is not valid UTF-8");
      return parseParams(text);
    },
    () => {
      throw new OAuthError("invalid_request", "the request body could not be read");
    },
  );
}

function decodeUtf8(bytes: Uint8Array, what = "the request body"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new OAuthError("invalid_request", `${what} is not valid UTF-8`);
  }
}

async function readLimitedText(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch {
      throw new OAuthError("invalid_request", "the request body could not be read");
    }
    if (result.done) break;
    size += result.value.byteLength;
    if (size > limit) {
      void reader.cancel().catch(() => undefined); // not awaited: a tee branch (request.clone()) settles only once the other branch is cancelled too
      throw new OAuthError("invalid_request", "the request body is too large", { status: 413 });
    }
    chunks.push(result.value);
  }
  return decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

/** The query string of a request, parsed with the same rules. */
export function readQuery(request: Request): Map<string, string> {
  const url = request.url;
  const q = url.indexOf("?");
  if (q < 0) return new Map();
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  if (query.length > MAX_FORM_BYTES) throw new OAuthError("invalid_request", "the query string is too long");
  return parseParams(query);
}

/** Splits a space-delimited scope string (RFC 6749 §3.3) into unique tokens, validating the syntax. */
export function parseScope(value: string | undefined): string[] {
  if (value === undefined) return [];
  const tokens = value.split(" ").filter((t) => t !== "");
  for (const t of tokens) {
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(t)) throw new OAuthError("invalid_scope", "the scope parameter is malformed");
  }
  return [...new Set(tokens)];
}
