import http from "node:http";
import type { AddressInfo } from "node:net";
import { createProtocolDoor } from "../../lib/http/node-door";
import type { Container } from "../../lib/server/container";

/**
 * The production door (lib/http/node-door.ts) on 127.0.0.1:<ephemeral port>. It listens first,
 * because the issuer must be the URL the server answers on: create the container with `issuer`,
 * then `serve(container)`. Until then every request gets 503; paths outside the route table 404.
 */
export async function listenForDoor(): Promise<{ issuer: string; serve(container: Container): void; close(): Promise<void> }> {
  let handle: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve(container) {
      const door = createProtocolDoor(container);
      handle = (req, res) => {
        if (!door(req, res)) res.writeHead(404).end();
      };
    },
    close: () => closeServer(server),
  };
}

/** Closes a server, its keep-alive connections included. */
export function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
