import winston from 'winston';

export type Logger = winston.Logger;

// Keys whose values must never reach a log line, however deep they sit in the metadata.
const SECRET_KEY = /(authorization|api[-_]?key|token|password|secret|bearer)/i;

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEY.test(key)) info[key] = '[redacted]';
  }
  return info;
});

export function createLogger(opts: { level?: string; format?: 'json' | 'text' | 'auto'; inCluster?: boolean } = {}): Logger {
  const json = opts.format === 'json' || (opts.format !== 'text' && opts.inCluster);
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(
      redact(),
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      json
        ? winston.format.json()
        : winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const rest = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
            return `${timestamp} ${level.padEnd(5)} ${message}${rest}`;
          }),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** A logger for tests and library use that drops everything. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
