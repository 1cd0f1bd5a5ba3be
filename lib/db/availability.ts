/**
 * Telling "the database cannot answer right now" apart from every other failure, so that callers
 * answer 503 with Retry-After (RFC 9110 §15.6.4) instead of 500, and never wait forever: a query
 * that ran into the statement or client-side timeout, a connection that could not be made or was
 * lost, a pool with no free connection in time, a server shutting down or out of connections.
 */

/** PostgreSQL SQLSTATE classes and codes meaning "not now" (PostgreSQL Appendix A). */
const UNAVAILABLE_STATES = new Set([
  "57014", // query_canceled: statement_timeout
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "55P03", // lock_not_available: lock_timeout
  "25P03", // idle_in_transaction_session_timeout
]);

/** Errors of the pg driver and the pool whose messages are their only marker. */
const UNAVAILABLE_MESSAGES = [
  /Query read timeout/i,
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /connection timeout/i,
  /Client has encountered a connection error/i,
  /Connection refused|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH/,
  /canceling statement due to statement timeout/i,
  /terminating connection/i,
];

const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** Prisma's own codes for an unreachable database or an exhausted pool. */
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);

/** Marks an error of ours that already means "the database is unavailable". */
export class DatabaseUnavailableNow extends Error {
  constructor(cause: unknown) {
    super("the database is temporarily unavailable", { cause });
    this.name = "DatabaseUnavailableNow";
  }
}

/** Whether `error` (or one of its causes) says the database is unreachable or too slow right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    if (current instanceof DatabaseUnavailableNow) return true;
    const e = current as { code?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    for (const code of [e.code, e.originalCode]) {
      if (typeof code === "string" && (UNAVAILABLE_STATES.has(code) || PRISMA_UNAVAILABLE.has(code) || code.startsWith("08"))) return true;
      if (typeof code === "string" && /^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|HOSTUNREACH|NETUNREACH)$/.test(code)) return true;
    }
    // Driver adapter error kinds (@prisma/driver-adapter-utils).
    if (typeof e.kind === "string" && UNAVAILABLE_KINDS.has(e.kind)) return true;
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(e.message as string))) return true;
    if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    current = e.cause;
  }
  return false;
}

/** Seconds a client should wait before trying again after a 503 for an unavailable database. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
