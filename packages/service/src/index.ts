export * from './errors.ts';
export * from './http-server.ts';
export * from './graphql-handler.ts';
export * from './logger.ts';
export * from './subgraph.ts';
export * from './scalars.ts';
export * from './pagination.ts';
export * from './main.ts';
export * from './cursor.ts';
export * from './endpoints.ts';
export * from './input-strings.ts';
export * from './representations.ts';
export * from './deadline.ts';
export * from './readiness.ts';
export * from './redis.ts';
export * from './graphql-metrics.ts';
// Every process entry wraps its start in it (runMain(withTelemetry(name, start))): tracing set up first, flushed last.
export { withTelemetry } from '@shutter/telemetry';
