import winston from 'winston';
import { redact } from '../redaction/redact.js';

export type Logger = winston.Logger;

// Every field of every log line, however deep it sits (objects, arrays, errors): values under secret names
// are replaced whole, strings are scanned for secret shapes (tokens, keys, passwords in URLs, …). The same
// rules as tool outputs (src/redaction/redact.ts). Nested objects are copied, never changed in place.
const INTERNAL = new Set(['level', 'timestamp']);
export const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (!INTERNAL.has(key)) info[key] = redact(info[key], { key });
  }
  return info;
});

export function createLogger(
  opts: { level?: string; format?: 'json' | 'text' | 'auto'; inCluster?: boolean; /** Instead of the console (tests). */ stream?: NodeJS.WritableStream } = {},
): Logger {
  const json = opts.format === 'json' || (opts.format !== 'text' && opts.inCluster);
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      redactFormat(),
      json
        ? winston.format.json()
        : winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${timestamp} ${level.padEnd(5)} ${message}${rest}`;
          }),
    ),
    transports: [opts.stream ? new winston.transports.Stream({ stream: opts.stream }) : new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** A logger for tests and library use that drops everything. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
