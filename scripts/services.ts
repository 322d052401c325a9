import { fileURLToPath } from 'node:url';
import { DEFAULT_PORTS, envPrefix } from '@shutter/config';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface SubgraphDefinition {
  /** The subgraph's name in the supergraph; its URL is overridden by <NAME>_URL at the gateway. */
  name: string;
  dir: string;
  port: number;
  /** The env variable its database URL is read from. */
  databaseEnv: string;
  /** Its database and role, when `npm start` or the tests provision them. */
  database: string;
  /** Whether it has a worker process (src/worker.ts: BullMQ workers, outbox relay). */
  worker: boolean;
  /** Settings of its own that `npm start` provides. */
  env?: (local: { dataDir: string; port: number; webUrl: string; accessTokenPrivateKey: string; vapidPublicKey: string; vapidPrivateKey: string }) => Record<string, string>;
}

/** Every subgraph, in the order they start. Compose, start and migrate all read this list. */
export const SUBGRAPHS: SubgraphDefinition[] = [
  {
    name: 'users',
    dir: 'subgraphs/users',
    port: DEFAULT_PORTS.users,
    databaseEnv: 'USERS_DATABASE_URL',
    database: 'shutter_users',
    // Push delivery: it owns the devices.
    worker: true,
    // Only the users subgraph issues access tokens, so only it gets the private key; and it pushes.
    env: ({ accessTokenPrivateKey, vapidPublicKey, vapidPrivateKey }) => ({
      ACCESS_TOKEN_PRIVATE_KEY: process.env.ACCESS_TOKEN_PRIVATE_KEY ?? accessTokenPrivateKey,
      VAPID_PUBLIC_KEY: process.env.VAPID_PUBLIC_KEY ?? vapidPublicKey,
      VAPID_PRIVATE_KEY: process.env.VAPID_PRIVATE_KEY ?? vapidPrivateKey,
    }),
  },
  {
    name: 'media',
    dir: 'subgraphs/media',
    port: DEFAULT_PORTS.media,
    databaseEnv: 'MEDIA_DATABASE_URL',
    database: 'shutter_media',
    worker: true,
    // Browsers reach uploads and files through the web origin, which proxies /uploads and /files.
    env: ({ dataDir, webUrl }) => ({
      MEDIA_STORAGE_DIR: process.env.MEDIA_STORAGE_DIR ?? `${dataDir}/media`,
      MEDIA_PUBLIC_URL: process.env.MEDIA_PUBLIC_URL ?? webUrl,
    }),
  },
  {
    name: 'social-graph',
    dir: 'subgraphs/social-graph',
    port: DEFAULT_PORTS['social-graph'],
    databaseEnv: 'SOCIAL_GRAPH_DATABASE_URL',
    database: 'shutter_social_graph',
    worker: true,
  },
  {
    name: 'feed',
    dir: 'subgraphs/feed',
    port: DEFAULT_PORTS.feed,
    databaseEnv: 'FEED_DATABASE_URL',
    database: 'shutter_feed',
    worker: true,
  },
];

export const GATEWAY_PORT = DEFAULT_PORTS.gateway;

/**
 * The web client's server (web/): the one origin a browser uses. It serves the built client and
 * proxies /graphql to the gateway, /uploads and /files to media. Started last, printed first.
 */
export const WEB = { name: 'web', entry: 'web/server-dist/main.js' } as const;
export const webPort = () => Number(process.env.WEB_PORT ?? DEFAULT_PORTS.web);
export const webUrl = () => `http://${process.env.WEB_HOST && process.env.WEB_HOST !== '0.0.0.0' ? process.env.WEB_HOST : '127.0.0.1'}:${webPort()}`;

export const urlEnvOf = (name: string) => `${envPrefix(name)}_URL`;
export const portEnvOf = (name: string) => `${envPrefix(name)}_PORT`;
