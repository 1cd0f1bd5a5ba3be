// A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL here) that can be paused: while
// paused, bytes are held in both directions and new connections are accepted but not forwarded,
// exactly what a frozen or partitioned database looks like from the client's side.
import net from "node:net";

export interface PausableProxy {
  port: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** Bytes from the client not yet forwarded (while paused or before the upstream connected). */
  held: Buffer[];
}

export async function startPausableProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<PausableProxy> {
  let paused = false;
  const pairs = new Set<Pair>();

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on("data", (chunk) => {
      if (paused) {
        // Hold: the socket stops reading, the bytes wait in the kernel buffers.
        upstream.pause();
        upstream.unshift(chunk);
        return;
      }
      pair.client.write(chunk);
    });
    upstream.on("error", () => pair.client.destroy());
    upstream.on("close", () => pair.client.destroy());
    for (const chunk of pair.held.splice(0)) upstream.write(chunk);
  };

  const server = net.createServer((client) => {
    const pair: Pair = { client, upstream: undefined, held: [] };
    pairs.add(pair);
    client.on("data", (chunk) => {
      if (paused || !pair.upstream) pair.held.push(chunk);
      else pair.upstream.write(chunk);
    });
    client.on("error", () => pair.upstream?.destroy());
    client.on("close", () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (!paused) connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const pair of pairs) {
        if (!pair.upstream) connectUpstream(pair);
        else {
          for (const chunk of pair.held.splice(0)) pair.upstream.write(chunk);
          pair.upstream.resume();
        }
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
