// The production server (`npm start`): a thin Node HTTP server. Machine endpoints in the route
// table (lib/http/routes.ts) are dispatched straight to their fetch-style handlers; every other
// request (pages, server actions) goes to Next.js. Both doors share lib/http/pipeline.ts.
import http from "node:http";
import type net from "node:net";
import next from "next";
import { startControlServer } from "./lib/cli/control-socket";
import { runCliCaptured } from "./lib/cli/run";
import { loadConfig } from "./lib/config/config";
import { embeddedPaths } from "./lib/db/embedded";
import { createProtocolDoor } from "./lib/http/node-door";
import { requestIdFrom } from "./lib/security/headers";
import { createLoggerFromConfig, type Container } from "./lib/server/container";
import { startContainer } from "./lib/server/first-start";
import { registerContainer } from "./lib/server/instance";
import { describeStartupError } from "./lib/server/startup-errors";

async function boot(): Promise<Container> {
  const config = loadConfig(process.env);
  return startContainer(config, { logger: createLoggerFromConfig(config) }, (notice) => process.stdout.write(notice + "\n"), { background: true });
}

async function main(): Promise<void> {
  let container: Container;
  try {
    container = await boot();
  } catch (error) {
    process.stderr.write(`authly: ${describeStartupError(error)}\n`);
    if (process.env.LOG_LEVEL === "debug") console.error(error);
    process.exit(1);
  }
  const { config, logger } = container;
  registerContainer(container);

  const app = next({ dev: false, dir: config.appRoot, hostname: config.host ?? "localhost", port: config.port });
  await app.prepare();
  const handleNext = app.getRequestHandler();

  // The route table's door: protocol endpoints never reach Next.js.
  const protocolDoor = createProtocolDoor(container);

  const server = http.createServer((req, res) => {
    if (protocolDoor(req, res)) return;
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    // Internal headers are set by this server only, never taken from the client.
    delete req.headers["x-authly-ui-locales"];
    const requestId = requestIdFrom(req.headers["x-request-id"] as string | undefined);
    res.setHeader("x-request-id", requestId);
    // Security headers of Next.js responses, with the CSP nonce, come from proxy.ts.
    handleNext(req, res).catch((error: unknown) => {
      logger.error("page request failed", { path: pathname, requestId, error });
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end("Internal Server Error");
      }
    });
  });
  server.keepAliveTimeout = 65_000;

  let control: net.Server | undefined;
  if (config.database.kind === "embedded") {
    // While this process holds the embedded database, `npx authly ...` runs its commands here.
    const socketPath = embeddedPaths(config.database.dataDir).controlSocket;
    control = await startControlServer(
      socketPath,
      (argv) => runCliCaptured(argv, container),
      logger,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (config.host) server.listen(config.port, config.host, resolve);
    else server.listen(config.port, resolve);
  }).catch(async (error: NodeJS.ErrnoException) => {
    process.stderr.write(`authly: cannot listen on port ${config.port}: ${error.code ?? error.message}\n`);
    await container.close();
    process.exit(1);
  });
  logger.info("Authly is listening", { url: `http://${config.host ?? "localhost"}:${config.port}`, issuer: config.issuer, database: container.db.description });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    control?.close();
    server.close(() => {
      void container.close().then(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
