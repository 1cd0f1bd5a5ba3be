import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { Duplex } from "node:stream";

/**
 * The answer to a request Node's HTTP parser refused (headers too large, a malformed request line,
 * a request that took too long): Node would answer it itself, without the security headers every
 * other response carries. server.ts answers through `answerClientError` instead.
 */
const STATUS = new Map<string, readonly [number, string]>([
  // RFC 6585 §5
  ["HPE_HEADER_OVERFLOW", [431, "Request Header Fields Too Large"]],
  // RFC 9110 §15.5.14 (Node answers 413 to oversized chunk extensions)
  ["HPE_CHUNK_EXTENSIONS_OVERFLOW", [413, "Content Too Large"]],
  // RFC 9110 §15.5.9 (server.requestTimeout / headersTimeout)
  ["ERR_HTTP_REQUEST_TIMEOUT", [408, "Request Timeout"]],
]);
// RFC 9110 §15.5.1: everything else the parser refuses.
const BAD_REQUEST = [400, "Bad Request"] as const;

/** The bytes of the answer to a parser error `code`: status line, headers, a one-line text body. */
export function clientErrorResponse(code: string | undefined, securityHeaders: readonly (readonly [string, string])[]): string {
  const [status, reason] = (code !== undefined && STATUS.get(code)) || BAD_REQUEST;
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    "content-type: text/plain; charset=utf-8",
    `content-length: ${Buffer.byteLength(body)}`,
    "cache-control: no-store",
    // RFC 9112 §9.6: the connection ends with this answer.
    "connection: close",
    `x-request-id: ${randomUUID()}`,
    ...securityHeaders.map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** After the answer, how long the client may go on sending before the socket is destroyed. */
const LINGER_MS = 1000;

/**
 * The `clientError` listener's work. ECONNRESET (the client is gone), a socket that can no longer
 * be written, or one whose current response has already started: destroyed without a word, as Node
 * does. Otherwise the answer is written and the write side closed; the socket is destroyed when the
 * client closes its side, or after LINGER_MS, so the answer is not lost to a TCP reset caused by
 * request bytes still arriving (RFC 9112 §9.6, lingering close). The parser reports each later
 * chunk again: those calls find the socket ended and do nothing.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, securityHeaders: readonly (readonly [string, string])[]): void {
  if (socket.writableEnded) return;
  // Node's own default checks the response attached to the socket the same way (lib/_http_server.js).
  const current = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(error.code, securityHeaders));
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once("close", () => clearTimeout(linger));
}
