/**
 * The client side of bench/subscriptions.ts and bench/live.ts, in a process of its own so that the
 * gateway's memory and CPU are measured without the clients' own: opens one graphql-ws socket per
 * token (BENCH_TOKENS_FILE), each with one subscription (BENCH_QUERY), reports "ready" over IPC,
 * and answers the parent's messages:
 *   { type: 'arrivals', id }  → { type: 'arrivals', id, at: [epoch ms, one per socket that got it] }
 *   { type: 'close' }         → closes every socket and exits.
 * The arrival of a message is timed on receipt (performance.timeOrigin + now: comparable with the
 * parent's clock on one machine), under the root field's `id`.
 */
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.BENCH_WS_URL!;
const query = process.env.BENCH_QUERY ?? 'subscription { notificationAdded { id kind actor { username } post { id } } }';
const tokens = JSON.parse(readFileSync(process.env.BENCH_TOKENS_FILE!, 'utf8')) as string[];
const clients: Client[] = [];
const arrivals = new Map<string, number[]>();
let errors = 0;
/** The first few subscription errors, as the gateway said them. */
const errorSamples: string[] = [];

const record = (data: Record<string, { id?: string } | null> | null | undefined) => {
  const at = performance.timeOrigin + performance.now();
  const root = data ? Object.values(data)[0] : null;
  if (!root?.id) return;
  let list = arrivals.get(root.id);
  if (!list) arrivals.set(root.id, (list = []));
  list.push(at);
};

// Opened a few hundred at a time: thousands of handshakes at once only measure the accept queue.
const BATCH = 200;
for (let i = 0; i < tokens.length; i += BATCH) {
  await Promise.all(
    tokens.slice(i, i + BATCH).map(
      (token) =>
        new Promise<void>((resolve, reject) => {
          const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` }, on: { connected: () => resolve() }, onNonLazyError: reject });
          client.subscribe({ query }, { next: (result) => record(result.data as Record<string, { id?: string }> | null), error: (e) => {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(JSON.stringify(e).slice(0, 300));
          }, complete: () => {} });
          clients.push(client);
        }),
    ),
  );
}
// Let every subscribe reach the gateway and its Redis SUBSCRIBE before the parent measures.
await new Promise((r) => setTimeout(r, 1000));
process.send!({ type: 'ready', ready: clients.length, errors, errorSamples });
process.on('message', async (message: { type: string; id?: string }) => {
  if (message.type === 'arrivals') {
    process.send!({ type: 'arrivals', id: message.id, at: arrivals.get(message.id!) ?? [], errors });
    return;
  }
  await Promise.all(clients.map((c) => c.dispose()));
  process.exit(0);
});
