import { pino, type DestinationStream, type Logger } from 'pino';
import { activeTraceIds } from '@shutter/telemetry';

export type { Logger };

/**
 * Structured JSON logs, one logger per process, named after the service. A line written while a
 * span is active carries its trace_id and span_id, so a log line leads to its trace and back.
 * `destination`: stdout unless given (a test reads the lines).
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    mixin: activeTraceIds,
    redact: { paths: ['req.headers.authorization', 'password', '*.password'], remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}
