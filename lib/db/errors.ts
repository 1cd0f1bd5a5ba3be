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

/**
 * PostgreSQL errors caused by the text of a request rather than by the server (SQLSTATE, PostgreSQL
 * Appendix A): 22021 character_not_in_repertoire (a NUL byte in text), 22P05
 * untranslatable_character (`\u0000` in jsonb), 22P02 invalid_text_representation (malformed
 * input for a type, e.g. a lone surrogate escape in jsonb), 54000 program_limit_exceeded (a value
 * too large to index).
 */
const INVALID_TEXT_SQLSTATES: ReadonlySet<string> = new Set(["22021", "22P05", "22P02", "54000"]);

const isInvalidTextCode = (code: unknown) => typeof code === "string" && INVALID_TEXT_SQLSTATES.has(code);

/** The SQLSTATE-bearing object a driver adapter error carries: `code` (both adapters), `originalCode` (adapter-pg). */
const adapterCauseCode = (cause: unknown) =>
  typeof cause === "object" && cause !== null && (isInvalidTextCode((cause as { code?: unknown }).code) || isInvalidTextCode((cause as { originalCode?: unknown }).originalCode));

/**
 * True when a database call failed because of input text PostgreSQL cannot take (see the codes
 * above), however it arrives:
 * - plain SQL (`SqlRunner`): pg's DatabaseError and PGlite's error carry the SQLSTATE as `code`;
 * - Prisma with either driver adapter: a DriverAdapterError whose `cause` holds `code`
 *   (adapter-pg adds `originalCode`), inside and outside interactive transactions;
 * - Prisma raw queries: PrismaClientKnownRequestError P2010 with `meta.driverAdapterError.cause`;
 * - Prisma with a lone surrogate in a string: the query engine cannot read its own JSON request
 *   and throws PrismaClientUnknownRequestError "JSON Error: ... surrogate / hex escape ...".
 * Such a request deserves a 400 (RFC 6749 §5.2 invalid_request), never a 500.
 */
export function isInvalidTextInput(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isInvalidTextCode((error as { code?: unknown }).code)) return true;
  if (adapterCauseCode((error as { cause?: unknown }).cause)) return true;
  const meta = (error as { meta?: { driverAdapterError?: { cause?: unknown } } }).meta;
  if (typeof meta === "object" && meta !== null && adapterCauseCode(meta.driverAdapterError?.cause)) return true;
  return error.name === "PrismaClientUnknownRequestError" && /JSON Error: [^\n]*(?:surrogate|hex escape|unicode code point)/i.test(error.message);
}
