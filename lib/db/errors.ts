/** The database cannot be reached or opened; the message names where and why, without secrets. */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly target: string,
    readonly causeSummary: string,
  ) {
    super(`Cannot open the ${target}: ${causeSummary}`);
    this.name = "DatabaseUnavailableError";
  }
}

/** The embedded database folder is held by another running process. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `The embedded database at ${dataDir} is in use by another Authly process (pid ${ownerPid}). ` +
        `Stop that process first, or run this command while the server is up so it can be forwarded to it.`,
    );
    this.name = "EmbeddedDatabaseBusyError";
  }
}

/** A short cause for a connection error: the errno code and message, no stack. */
export function summarizeCause(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return summarizeCause(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error.message.split("\n")[0] ?? "";
    return code && !message.includes(code) ? `${code} ${message}` : message || code || error.name;
  }
  return String(error);
}
