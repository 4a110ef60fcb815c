/**
 * Structured logging: one JSON line per entry, a short past-tense message and
 * fields (`log.info("Applied NetworkPolicy", {namespace, name, baseline})`).
 */
import winston from 'winston';
import type { Logger } from '../lib/log.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** A JSON logger writing to stderr (stdout stays free for command output). */
export function createLogger(level: LogLevel): Logger {
  const w = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
  // A level below the logger's costs nothing: winston would format the entry before dropping it
  // (a debug line per reconcile was 5% of a resync's CPU at info level).
  const on = (l: LogLevel): boolean => LOG_LEVELS.indexOf(l) <= LOG_LEVELS.indexOf(level);
  const off = (): void => undefined;
  return {
    error: (m, f) => {
      w.error(m, f);
    },
    warn: on('warn')
      ? (m, f) => {
          w.warn(m, f);
        }
      : off,
    info: on('info')
      ? (m, f) => {
          w.info(m, f);
        }
      : off,
    debug: on('debug')
      ? (m, f) => {
          w.debug(m, f);
        }
      : off,
  };
}
