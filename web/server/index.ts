export { loadWebConfig, webConfigSchema, type WebConfig } from './config.ts';
export { startWebServer, type RunningWebServer } from './server.ts';
