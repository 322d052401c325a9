export * from './errors.ts';
export * from './http-server.ts';
export * from './graphql-handler.ts';
export * from './logger.ts';
export * from './subgraph.ts';
export * from './scalars.ts';
export * from './pagination.ts';
export * from './main.ts';
