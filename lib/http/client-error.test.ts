import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { securityHeaders } from "../security/headers";
import { answerClientError, clientErrorResponse } from "./client-error";

const headers = Object.entries(securityHeaders({ https: true }));

/** Sends raw bytes and reads everything the server answers until it closes the connection. */
function exchange(port: number, ...chunks: string[]): Promise<{ raw: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let raw = "";
    let error: string | undefined;
    socket.setEncoding("utf8").on("data", (d: string) => (raw += d));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on("close", () => resolve({ raw, error }));
    for (const chunk of chunks) socket.write(chunk);
  });
}

function parse(raw: string) {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const fields = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine.split(" ")[1]), statusLine, fields, body };
}

describe("clientErrorResponse", () => {
  it("maps parser errors to their status and carries the security headers, Content-Length and Connection: close", () => {
    const cases: [string | undefined, string][] = [
      ["HPE_HEADER_OVERFLOW", "HTTP/1.1 431 Request Header Fields Too Large"],
      ["HPE_CHUNK_EXTENSIONS_OVERFLOW", "HTTP/1.1 413 Content Too Large"],
      ["ERR_HTTP_REQUEST_TIMEOUT", "HTTP/1.1 408 Request Timeout"],
      ["HPE_INVALID_METHOD", "HTTP/1.1 400 Bad Request"],
      [undefined, "HTTP/1.1 400 Bad Request"],
      ["constructor", "HTTP/1.1 400 Bad Request"],
    ];
    for (const [code, statusLine] of cases) {
      const answer = parse(clientErrorResponse(code, headers));
      expect(answer.statusLine).toBe(statusLine);
      expect(Number(answer.fields.get("content-length"))).toBe(Buffer.byteLength(answer.body));
      expect(answer.fields.get("connection")).toBe("close");
      for (const [name, value] of headers) expect(answer.fields.get(name)).toBe(value);
    }
  });
});

describe("answerClientError on a real server", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function listen(handler: http.RequestListener = (_req, res) => res.end("ok"), withListener = true): Promise<number> {
    server = http.createServer(handler);
    if (withListener) server.on("clientError", (error: NodeJS.ErrnoException, socket: net.Socket) => answerClientError(error, socket, headers));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }

  const bigHeader = `GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${"a".repeat(20 * 1024)}\r\n\r\n`;

  it("Node's own answer to an oversized header carries none of the security headers (why the listener exists)", async () => {
    const answer = parse((await exchange(await listen(undefined, false), bigHeader)).raw);
    expect(answer.status).toBe(431);
    expect(answer.fields.has("x-content-type-options")).toBe(false);
  });

  it("answers 20 KiB of headers with 431 and the security headers, then closes", async () => {
    const { raw } = await exchange(await listen(), bigHeader);
    const answer = parse(raw);
    expect(answer.status).toBe(431);
    expect(answer.fields.get("x-content-type-options")).toBe("nosniff");
    expect(answer.fields.get("x-frame-options")).toBe("DENY");
    expect(answer.fields.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(answer.fields.get("strict-transport-security")).toContain("max-age=");
    expect(answer.fields.get("connection")).toBe("close");
    expect(answer.body).toBe("Request Header Fields Too Large\n");
  });

  it("answers once even when much more arrives after the headers overflowed", async () => {
    const { raw } = await exchange(await listen(), bigHeader.slice(0, -4), `\r\nX-More: ${"b".repeat(512 * 1024)}\r\n\r\n`);
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(parse(raw).status).toBe(431);
  });

  it("answers a garbage request line with 400 and the security headers", async () => {
    const answer = parse((await exchange(await listen(), "GARBAGE\r\n\r\n")).raw);
    expect(answer.status).toBe(400);
    expect(answer.fields.get("x-content-type-options")).toBe("nosniff");
    expect(answer.fields.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("never writes into a response that has started: a malformed pipelined request just ends the connection", async () => {
    let release: () => void = () => undefined;
    const port = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "10" });
      res.write("first");
      release = () => res.end("-half");
    });
    const socket = net.connect(port, "127.0.0.1");
    let raw = "";
    socket.setEncoding("utf8").on("data", (d: string) => {
      raw += d;
      if (raw.endsWith("first")) socket.write("GARBAGE\r\n\r\n"); // the second request, while the first answer is half written
    });
    socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await new Promise<void>((resolve) => socket.on("close", () => resolve()).on("error", () => undefined));
    release();
    expect(raw).not.toContain("400 Bad Request");
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});
