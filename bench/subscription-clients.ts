/**
 * The idle side of bench/subscriptions.ts, in a process of its own so that the gateway's memory is
 * measured without the clients' own: opens one graphql-ws socket per token, each with one
 * subscription, reports "ready" over IPC, and closes them all on "close".
 */
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.BENCH_WS_URL!;
const tokens = JSON.parse(readFileSync(process.env.BENCH_TOKENS_FILE!, 'utf8')) as string[];
const clients: Client[] = [];

await Promise.all(
  tokens.map(
    (token) =>
      new Promise<void>((resolve, reject) => {
        const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` }, on: { connected: () => resolve() }, onNonLazyError: reject });
        client.subscribe({ query: 'subscription { notificationAdded { id kind actor { username } post { id } } }' }, { next: () => {}, error: () => {}, complete: () => {} });
        clients.push(client);
      }),
  ),
);
// Let every subscribe reach the gateway and its Redis SUBSCRIBE before the parent measures.
await new Promise((r) => setTimeout(r, 1000));
process.send!({ ready: clients.length });
process.on('message', async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  process.exit(0);
});
