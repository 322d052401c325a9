export * from './database.ts';
export * from './secrets.ts';
export * from './graphql.ts';
export * from './web-push.ts';
export * from './redis-server.ts';
export * from './redis-cluster.ts';
