import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one logger per process, named after the service. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: ['req.headers.authorization', 'password', '*.password'], remove: true },
  });
}
