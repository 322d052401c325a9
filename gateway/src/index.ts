export { startGateway, OPERATION_LIMITS, type RunningGateway } from './gateway.ts';
export { loadGatewayConfig, gatewayConfigSchema, type GatewayConfig } from './config.ts';
