export * from './postgres.ts';
export * from './redis.ts';
export * from './secrets.ts';
export * from './progress.ts';
