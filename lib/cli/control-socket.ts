import { chmodSync, rmSync } from "node:fs";
import net from "node:net";
import type { Logger } from "../observability/logger";

/**
 * The embedded database belongs to one process at a time. While the server holds it, CLI
 * commands are forwarded over a Unix socket in the data directory (mode 0600, so only the
 * owner of the data can use it) and run inside the server against the same container.
 * Protocol: one JSON line {argv} in, one JSON line {exitCode, stdout, stderr} out.
 */
export interface ControlRequest {
  argv: string[];
}
export interface ControlResponse {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const MAX_REQUEST_BYTES = 64 * 1024;

export function startControlServer(
  socketPath: string,
  run: (argv: string[]) => Promise<ControlResponse>,
  logger: Logger,
): Promise<net.Server> {
  rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("error", () => undefined);
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) {
        socket.destroy();
        return;
      }
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      socket.pause();
      void (async () => {
        let response: ControlResponse;
        try {
          const request = JSON.parse(line) as ControlRequest;
          if (!Array.isArray(request.argv) || !request.argv.every((a) => typeof a === "string")) throw new Error("bad request");
          response = await run(request.argv);
        } catch (error) {
          logger.warn("control socket request failed", { error });
          response = { exitCode: 1, stdout: "", stderr: "The server could not run this command.\n" };
        }
        socket.end(JSON.stringify(response) + "\n");
      })();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o600);
      resolve(server);
    });
  });
}

export function sendControlCommand(socketPath: string, argv: string[], timeoutMs = 60_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let data = "";
    socket.setEncoding("utf8");
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("the server did not answer in time")));
    socket.on("connect", () => socket.write(JSON.stringify({ argv } satisfies ControlRequest) + "\n"));
    socket.on("data", (chunk: string) => (data += chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      try {
        resolve(JSON.parse(data) as ControlResponse);
      } catch {
        reject(new Error("the server sent an unreadable answer"));
      }
    });
  });
}
