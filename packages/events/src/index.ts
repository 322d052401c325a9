export * from './catalogue.ts';
export * from './outbox.ts';
export * from './relay.ts';
export * from './queues.ts';
export * from './workers.ts';
export * from './inbox.ts';
export * from './durability.ts';
export * from './redis.ts';
