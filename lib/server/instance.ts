import { loadConfig } from "../config/config";
import type { Container } from "./container";
import { startContainer } from "./first-start";

/**
 * The process's container, for code that Next.js loads (route handlers, server components).
 * The production server (server.ts) builds the container itself and registers it here before it
 * serves anything; under `next dev` the first request builds one from the environment.
 * The slot lives on globalThis because Next bundles its own copy of lib/ modules: this is the
 * one process-wide reference, owned by the composition root, and nothing else keeps state.
 */
const slot = Symbol.for("authly.container");

type Slot = { container?: Promise<Container> };

function holder(): Slot {
  const g = globalThis as unknown as Record<symbol, Slot | undefined>;
  return (g[slot] ??= {});
}

export function registerContainer(container: Container): void {
  holder().container = Promise.resolve(container);
}

export function getContainer(): Promise<Container> {
  const h = holder();
  if (!h.container) {
    const starting = startContainer(loadConfig(process.env), {}, (notice) => process.stdout.write(notice + "\n"), { background: true }).then(
      async (container) => {
        // Under `next dev` this process holds the embedded database: take CLI commands over its
        // control socket, as the production server does (server.ts registers its own container).
        if (container.config.database.kind === "embedded") {
          const [{ startControlServer }, { runCliCaptured }, { embeddedPaths }] = await Promise.all([
            import("../cli/control-socket"),
            import("../cli/run"),
            import("../db/embedded"),
          ]);
          const control = await startControlServer(embeddedPaths(container.config.database.dataDir).controlSocket, (argv) => runCliCaptured(argv, container), container.logger).catch(
            (error: unknown) => container.logger.warn("cannot accept CLI commands over the control socket", { error }),
          );
          if (control) {
            const closeContainer = container.close.bind(container);
            return { ...container, close: async () => { control.close(); await closeContainer(); } } satisfies Container;
          }
        }
        return container;
      },
    );
    h.container = starting;
    // A failed start is not kept: the next request tries again.
    starting.catch(() => {
      if (h.container === starting) h.container = undefined;
    });
  }
  return h.container;
}
