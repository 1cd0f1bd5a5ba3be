// The production server (`npm start`): a thin Node HTTP server. Machine endpoints in the route
// table (lib/http/routes.ts) are dispatched straight to their fetch-style handlers; every other
// request (pages, server actions) goes to Next.js. Both doors share lib/http/pipeline.ts.
import type net from "node:net";
import next from "next";
import { startControlServer } from "./lib/cli/control-socket";
import { runCliCaptured } from "./lib/cli/run";
import { loadConfig } from "./lib/config/config";
import { embeddedPaths } from "./lib/db/embedded";
import { answerClientError } from "./lib/http/client-error";
import { createDrainingServer } from "./lib/http/draining-server";
import { createProtocolDoor } from "./lib/http/node-door";
import { preparePageRequest, registerPageDoor } from "./lib/http/page-door";
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

  // Pages and server actions believe the internal headers set below only once this is registered.
  registerPageDoor();

  const { server, drain } = createDrainingServer((req, res) => {
    if (protocolDoor(req, res)) return;
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    // Internal headers are set by this server only, never taken from the client: the client address
    // and the request id (lib/http/page-door.ts), and the ui_locales that proxy.ts sets.
    delete req.headers["x-authly-ui-locales"];
    const requestId = preparePageRequest(req, res, { trustProxy: config.trustProxy });
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
  // Requests Node's parser refuses (headers over 16 KiB, a malformed request line) are answered with
  // the security headers every other response carries, not Node's bare default.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: net.Socket) => answerClientError(error, socket, container.securityHeaders));

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

  // Stopping: no new connections; open ones finish their requests with `Connection: close`
  // (lib/http/draining-server.ts) within DRAIN_MS, after which they are cut. Then the container
  // closes (background workers, caches, the database: for the embedded one, its files and lock),
  // within CLOSE_MS. Exit 0 only when both finished by themselves.
  const DRAIN_MS = 7_000;
  const CLOSE_MS = 2_000;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    // Last resort, should a step below hang in a way its own deadline does not cover.
    setTimeout(() => process.exit(1), DRAIN_MS + CLOSE_MS + 2_000);
    control?.close();
    const drained = await drain({ deadlineMs: DRAIN_MS });
    if (drained === "forced") logger.warn("connections still open at the shutdown deadline were closed", { afterMs: DRAIN_MS });
    const closed = await Promise.race([
      container.close().then(
        () => true,
        (error: unknown) => {
          logger.error("closing the services failed", { error });
          return false;
        },
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_MS)),
    ]);
    if (closed) logger.info("shut down", { signal });
    else logger.error("the services did not close in time", { afterMs: CLOSE_MS });
    process.exit(drained === "drained" && closed ? 0 : 1);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

void main();
