import { ConfigError } from '@shutter/config';
import { loadGatewayConfig } from './config.ts';
import { startGateway } from './gateway.ts';

try {
  const gateway = await startGateway(loadGatewayConfig());
  const stop = async () => {
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78); // EX_CONFIG
  }
  if (e instanceof Error && 'code' in e && e.code === 'ENOENT') {
    console.error(`gateway: ${e.message}\nRun \`npm run compose\` to build schema/supergraph.graphql from the subgraphs.`);
    process.exit(1);
  }
  throw e;
}
