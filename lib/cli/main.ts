import { existsSync } from "node:fs";
import { loadConfig, ConfigError } from "../config/config";
import { embeddedPaths } from "../db/embedded";
import { EmbeddedDatabaseBusyError } from "../db/errors";
import { createContainer, createLoggerFromConfig } from "../server/container";
import { startContainer } from "../server/first-start";
import { describeStartupError } from "../server/startup-errors";
import { sendControlCommand } from "./control-socket";
import { parseCommand, UsageError } from "./commands";
import { EXIT_FAILURE, EXIT_USAGE, runCli, type CliOutput } from "./run";

/** The `authly` command (bin/authly.js). Returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io: CliOutput = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
  // Usage errors never touch the database.
  let kind: string;
  try {
    kind = parseCommand(argv).kind;
    if (kind === "help" || kind === "master-key") return runCli(argv, io, () => Promise.reject(new Error("unused")));
  } catch (error) {
    if (error instanceof UsageError) return runCli(argv, io, () => Promise.reject(error));
    throw error;
  }

  let config;
  try {
    // The CLI logs only warnings unless LOG_LEVEL says otherwise.
    config = loadConfig({ LOG_LEVEL: "warn", LOG_FORMAT: "pretty", ...env });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message + "\n");
      return EXIT_USAGE;
    }
    throw error;
  }
  const logger = createLoggerFromConfig(config);

  try {
    return await runCli(argv, io, async (fn) => {
      // `migrate` runs the start-up tasks itself and reports what it applied.
      const container =
        kind === "migrate" ? await createContainer(config, { logger }) : await startContainer(config, { logger }, (notice) => io.err(notice + "\n"));
      try {
        return await fn(container);
      } finally {
        await container.close();
      }
    });
  } catch (error) {
    if (error instanceof EmbeddedDatabaseBusyError && config.database.kind === "embedded") {
      const socket = embeddedPaths(config.database.dataDir).controlSocket;
      if (existsSync(socket)) {
        try {
          const answer = await sendControlCommand(socket, argv);
          if (answer.stdout) io.out(answer.stdout);
          if (answer.stderr) io.err(answer.stderr);
          return answer.exitCode;
        } catch (forwardError) {
          io.err(`authly: ${error.message}\n(forwarding to the running server failed: ${(forwardError as Error).message})\n`);
          return EXIT_FAILURE;
        }
      }
    }
    io.err(`authly: ${describeStartupError(error)}\n`);
    return EXIT_FAILURE;
  }
}
