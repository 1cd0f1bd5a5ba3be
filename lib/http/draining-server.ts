import http from "node:http";

export type DrainOutcome = "drained" | "forced";

export interface DrainingServer {
  readonly server: http.Server;
  /** True from the first `drain` call on. */
  readonly stopping: boolean;
  /**
   * Stops taking connections and lets the open ones finish: every response whose headers are
   * written from now on says `Connection: close` (RFC 9112 §9.6) and Node closes its connection
   * after it; idle keep-alive connections are closed at once and then every `sweepMs` (a connection
   * whose response had started before the stop turns idle when it ends). At `deadlineMs` the
   * remaining connections are cut. "drained" when every connection ended by itself, "forced"
   * otherwise. Later calls return the first call's promise.
   */
  drain(options: { deadlineMs: number; sweepMs?: number }): Promise<DrainOutcome>;
}

/**
 * The production server's HTTP server (both doors: route table and Next.js), able to stop without
 * waiting for keep-alive connections to time out. The `Connection: close` decision sits in the one
 * method every response passes through, `writeHead` (Node calls it for implicit headers too), so
 * responses already in progress when the stop begins get it as well, whichever door wrote them.
 */
export function createDrainingServer(listener: http.RequestListener, options: Omit<http.ServerOptions, "ServerResponse"> = {}): DrainingServer {
  let stopping = false;
  let drained: Promise<DrainOutcome> | undefined;

  class DrainingResponse<Request extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<Request> {
    // Fixed parameters (no rest array, no Reflect.apply): this runs for every response.
    override writeHead(statusCode: number, reason?: unknown, headers?: unknown): this {
      if (stopping && !this.headersSent) this.setHeader("connection", "close");
      return (http.ServerResponse.prototype.writeHead as (this: http.ServerResponse, ...args: unknown[]) => http.ServerResponse).call(this, statusCode, reason, headers) as this;
    }
  }

  const server = http.createServer({ ...options, ServerResponse: DrainingResponse }, listener);

  return {
    server,
    get stopping() {
      return stopping;
    },
    drain({ deadlineMs, sweepMs = 100 }) {
      if (drained) return drained;
      stopping = true;
      drained = new Promise<DrainOutcome>((resolve) => {
        let forced = false;
        const sweep = setInterval(() => server.closeIdleConnections(), sweepMs);
        const finish = () => {
          clearInterval(sweep);
          clearTimeout(deadline);
          clearTimeout(cutoff);
          resolve(forced ? "forced" : "drained");
        };
        let cutoff: NodeJS.Timeout | undefined;
        const deadline = setTimeout(() => {
          forced = true;
          server.closeAllConnections();
          // Sockets Node does not count as HTTP connections must not hold the stop either.
          cutoff = setTimeout(finish, 1000);
        }, deadlineMs);
        // Also closes the idle connections (Node >= 19); the callback runs once none is left.
        server.close(() => finish());
        server.closeIdleConnections();
      });
      return drained;
    },
  };
}
