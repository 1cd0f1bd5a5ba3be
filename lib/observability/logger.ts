/**
 * Structured logger: one JSON object per line (or a readable line with LOG_FORMAT=pretty).
 * Fields whose names look like secrets are redacted, so tokens and passwords never reach logs.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const secretKey = /pass(word)?|secret|token|authorization|cookie|assertion|private|master.?key|code_verifier|^code$/i;

/** Replaces secret-looking values and turns errors into plain objects (no stack unless debug). */
export function redact(value: unknown, includeStack = false, depth = 0): unknown {
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (includeStack && value.stack) out.stack = value.stack;
    return out;
  }
  if (value === null || typeof value !== "object" || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, includeStack, depth + 1));
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = secretKey.test(k) && v !== undefined && v !== null && typeof v !== "boolean" ? "[redacted]" : redact(v, includeStack, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level: LogLevel;
  format?: "json" | "pretty";
  /** Where lines go; defaults to stdout (errors and warnings to stderr). */
  write?: (line: string, level: LogLevel) => void;
  clock?: () => Date;
}

function defaultWrite(line: string, level: LogLevel): void {
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const min = levelRank[options.level];
  const write = options.write ?? defaultWrite;
  const clock = options.clock ?? (() => new Date());
  const includeStack = options.level === "debug";
  const emit = (level: Exclude<LogLevel, "silent">, message: string, fields?: LogFields) => {
    if (levelRank[level] < min) return;
    const all = redact({ ...bound, ...fields }, includeStack) as LogFields;
    if (options.format === "pretty") {
      const extra = Object.keys(all).length ? " " + JSON.stringify(all) : "";
      write(`${clock().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra}`, level);
    } else {
      write(JSON.stringify({ time: clock().toISOString(), level, msg: message, ...all }), level);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ level: "silent" });
