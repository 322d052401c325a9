import { existsSync } from 'node:fs';
import { runMain, withTelemetry } from '@shutter/service';
import { loadGatewayConfig } from './config.ts';
import { startGateway } from './gateway.ts';

await runMain(
  withTelemetry('gateway', async () => {
    const config = loadGatewayConfig();
    if (!existsSync(config.SUPERGRAPH_PATH)) {
      console.error(`gateway: no supergraph at ${config.SUPERGRAPH_PATH}. Run \`npm run compose\` to build it from the subgraphs.`);
      process.exit(1);
    }
    return startGateway(config);
  }),
);
