export * from './database.ts';
export * from './secrets.ts';
export * from './graphql.ts';
