/**
 * The logging surface the code depends on; the JSON logger behind it is
 * src/observability/logger.ts, passed in where the process starts.
 */

/** One JSON line per entry: a short past-tense message and fields. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Discards everything: for tests that do not look at logs. */
export const silentLogger: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
