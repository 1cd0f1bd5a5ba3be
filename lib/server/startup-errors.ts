import { ConfigError } from "../config/config";
import { DatabaseUnavailableError, EmbeddedDatabaseBusyError, summarizeCause } from "../db/errors";

/** A start-up failure as a short human message (no stack trace). */
export function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof DatabaseUnavailableError || error instanceof EmbeddedDatabaseBusyError) return error.message;
  return `Start-up failed: ${summarizeCause(error)}`;
}
