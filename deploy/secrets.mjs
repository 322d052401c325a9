/**
 * The Secrets the manifests read, printed as YAML for `kubectl apply` (nothing is sent anywhere):
 *   npm run build        (once: make-secrets.js is a bundle; or run this inside the shutter image)
 *   USERS_DATABASE_URL=postgres://shutter_users:...@db.internal:5432/shutter_users \
 *   MEDIA_DATABASE_URL=... SOCIAL_GRAPH_DATABASE_URL=... FEED_DATABASE_URL=... \
 *   REDIS_URL=rediss://:password@redis.internal:6380 \
 *   S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=... \
 *   node deploy/secrets.mjs ./shutter-keys | kubectl -n shutter apply -f -
 *
 * shutter-keys: the gateway signing secret, the access-token key pair and the VAPID key pair, made
 *   once into the folder given (kept: run it again and the same keys come out; keep that folder
 *   as safe as the keys, or delete it once the Secret exists and pass the Secret on instead).
 * shutter-datastores: each subgraph's Postgres URL (a role and database of its own, as compose
 *   makes them), Redis as a URL for the services and as address, password and TLS flag for
 *   KEDA's redis scaler, and media's S3 key (leave S3_* unset where the pod gets a role instead,
 *   e.g. IAM roles for service accounts: the manifests mark those keys optional).
 * shutter-fcm (only with FCM_SERVICE_ACCOUNT_FILE=path): the FCM service account key.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const keysDir = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node deploy/secrets.mjs <folder for the keys> | kubectl -n <namespace> apply -f -');
  process.exit(64);
}

const problems = [];
const need = (name, pattern) => {
  const value = process.env[name];
  if (!value) problems.push(`${name} is not set`);
  else if (pattern && !pattern.test(value)) problems.push(`${name} must match ${pattern}`);
  return value ?? '';
};
const databases = Object.fromEntries(
  ['users', 'media', 'social-graph', 'feed'].map((s) => [`${s}-database-url`, need(`${s.toUpperCase().replace('-', '_')}_DATABASE_URL`, /^postgres(ql)?:\/\//)]),
);
const redisUrl = need('REDIS_URL', /^rediss?:\/\//);
const s3 = { id: process.env.S3_ACCESS_KEY_ID, secret: process.env.S3_SECRET_ACCESS_KEY };
if (!!s3.id !== !!s3.secret) problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all');
if (problems.length > 0) {
  console.error(`secrets: ${problems.join('; ')}`);
  process.exit(64);
}

const makeSecrets = join(root, 'packages/local-infra/dist/make-secrets.js');
if (!existsSync(makeSecrets)) {
  console.error(`secrets: ${makeSecrets} is missing: run \`npm run build\` first (or run this script in the shutter image)`);
  process.exit(1);
}
// Its own messages go to stderr: stdout is the YAML.
execFileSync(process.execPath, [makeSecrets, keysDir], { stdio: ['ignore', 2, 2] });
const KEY_FILES = ['gateway_signing_secret', 'access_token_private_key.pem', 'access_token_public_key.pem', 'vapid_public_key', 'vapid_private_key'];

// KEDA's redis scaler wants host:port and the password apart, and TLS as a flag.
const redis = new URL(redisUrl);
const datastores = {
  ...databases,
  'redis-url': redisUrl,
  'redis-address': `${redis.hostname}:${redis.port || 6379}`,
  'redis-password': decodeURIComponent(redis.password),
  'redis-tls': redis.protocol === 'rediss:' ? 'enable' : 'disable',
  ...(s3.id ? { 's3-access-key-id': s3.id, 's3-secret-access-key': s3.secret } : {}),
};

const secret = (name, data) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, labels: { 'app.kubernetes.io/part-of': 'shutter' } },
  type: 'Opaque',
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const secrets = [
  secret('shutter-keys', Object.fromEntries(KEY_FILES.map((f) => [f, readFileSync(join(keysDir, f), 'utf8')]))),
  secret('shutter-datastores', datastores),
];
if (process.env.FCM_SERVICE_ACCOUNT_FILE) secrets.push(secret('shutter-fcm', { 'service-account.json': readFileSync(process.env.FCM_SERVICE_ACCOUNT_FILE, 'utf8') }));
// JSON is YAML, and needs no YAML library here.
process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: secrets }, null, 2) + '\n');
