// The processes the bench starts (servers in their own process groups, wrk, the CLI) and the cleanup
// steps (temporary folders, PostgreSQL schemas): everything is stopped and removed once, on success,
// on failure and on Ctrl-C.
import { closeSync, openSync } from "node:fs";
import { execFile, spawn } from "node:child_process";

/** An error whose message is shown to the user as is (no stack trace). */
export function fail(message) {
  const error = new Error(message);
  error.benchMessage = true;
  throw error;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function killTree(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Servers are started detached: each is the leader of its own process group (start.mjs may
    // be running `next build` in a child process).
    if (child.benchGroup) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Tracks the bench's child processes and cleanup steps. `installSignalHandlers` makes Ctrl-C (and
 * SIGTERM, SIGHUP) stop everything and exit; a second Ctrl-C does not wait for graceful shutdowns.
 */
export function createSupervisor({ log = (line) => process.stderr.write(line + "\n") } = {}) {
  /** Every process group we started (servers), and running wrk/CLI processes. */
  const children = new Set();
  /** Cleanup steps (remove temp dirs, drop schemas), run once, last in first out. */
  const cleanups = [];
  let interrupted = false;
  let cleanedUp = false;

  function track(child) {
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  }

  async function stopChild(child, ms = 10_000) {
    killTree(child, "SIGTERM");
    if (!(await waitExit(child, ms))) {
      killTree(child, "SIGKILL");
      await waitExit(child, 2_000);
    }
    // The group may still hold a grandchild (e.g. an interrupted `next build`).
    if (child.benchGroup) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* none left */
      }
    }
  }

  async function cleanup() {
    if (cleanedUp) return;
    cleanedUp = true;
    await Promise.all([...children].map((c) => stopChild(c, 10_000)));
    while (cleanups.length) {
      const step = cleanups.pop();
      try {
        await step();
      } catch (error) {
        log(`bench: cleanup: ${error.message}`);
      }
    }
  }

  function installSignalHandlers() {
    // Last resort when the process exits without running cleanup (an uncaught throw in a callback).
    process.on("exit", () => {
      for (const child of children) killTree(child, "SIGKILL");
    });
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
      process.on(signal, () => {
        if (interrupted) {
          for (const child of children) killTree(child, "SIGKILL");
          process.exit(130);
        }
        interrupted = true;
        log(`\nbench: ${signal}, stopping the servers and cleaning up...`);
        void cleanup().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
      });
    }
  }

  /** Runs a command to its end; never rejects. */
  function run(cmd, args, { env, cwd, timeoutMs = 120_000 } = {}) {
    return new Promise((resolve) => {
      track(
        execFile(cmd, args, { env, cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), error });
        }),
      );
    });
  }

  /** Starts a server as the leader of its own process group, its output appended to `logFile`. */
  function spawnServer(cmd, args, { cwd, env, logFile }) {
    const fd = openSync(logFile, "a");
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd], detached: true });
    closeSync(fd);
    child.benchGroup = true;
    return track(child);
  }

  return {
    track,
    run,
    spawnServer,
    stopChild,
    cleanup,
    installSignalHandlers,
    onCleanup: (step) => cleanups.push(step),
    get interrupted() {
      return interrupted;
    },
    checkInterrupted() {
      if (interrupted) fail("interrupted");
    },
  };
}
