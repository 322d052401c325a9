export * from './endpoint.ts';
export * from './ids.ts';
export * from './live.ts';
export * from './social-graph.ts';
export * from './users.ts';
