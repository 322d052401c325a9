import { baseFields, DEFAULT_PORTS, env, listenFields, loadConfig, z } from '@shutter/config';

const pem = (label: string) =>
  z
    .string()
    // Accept PEM with real newlines or with `\n` escapes (as env files and CI secrets carry them).
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => value.includes(`-----BEGIN ${label}-----`), { message: `must be a PEM "${label}"` });

/** A base64url value that decodes to exactly `bytes` bytes (VAPID keys are raw P-256 values). */
const base64urlKey = (bytes: number, what: string) =>
  z
    .string()
    .trim()
    .refine((value) => /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes, {
      message: `must be ${what}: ${bytes} bytes, base64url`,
    });

/** The fields of a Google service-account key file that the FCM sender uses. */
const serviceAccountSchema = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(1),
  private_key: z.string().includes('-----BEGIN PRIVATE KEY-----', { message: 'must be a PKCS#8 PEM' }),
  private_key_id: z.string().optional(),
  token_uri: z.url().default('https://oauth2.googleapis.com/token'),
});

export type ServiceAccount = z.infer<typeof serviceAccountSchema>;

const serviceAccountJson = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be the service account key file (JSON)' });
      return z.NEVER;
    }
  })
  .pipe(serviceAccountSchema);

export const usersConfigSchema = z
  .object({
    ...baseFields,
    ...listenFields('USERS', DEFAULT_PORTS.users),
    USERS_DATABASE_URL: env.postgresUrl(),
    ACCESS_TOKEN_PRIVATE_KEY: pem('PRIVATE KEY'),
    // 10 s at the least: the web client's browser tests let tokens expire during a journey, to see
    // them refreshed (and sockets reconnected) with no visible error.
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~25 ms a hash on one core here.
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(8_192).default(19_456),
    ARGON2_TIME_COST: z.coerce.number().int().min(1).default(2),
    // Web Push: the worker sends with the key pair (without it, Web Push devices are skipped, a
    // warning at start); the HTTP server needs only the public key, which browsers subscribe with
    // (webPushPublicKey), so the private key need not be handed to it.
    VAPID_PUBLIC_KEY: base64urlKey(65, 'an uncompressed P-256 public key').optional(),
    VAPID_PRIVATE_KEY: base64urlKey(32, 'a P-256 private key').optional(),
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)/, { message: 'must be a mailto: or https: URL (push services contact the sender there)' })
      .default('mailto:push@shutter.local'),
    // FCM HTTP v1: the service account key file's JSON (or FCM_SERVICE_ACCOUNT_FILE=path); without it, FCM devices are skipped.
    FCM_SERVICE_ACCOUNT: serviceAccountJson.optional(),
    FCM_ENDPOINT: env.url().default('https://fcm.googleapis.com'),
    // Sends are network waits, not CPU: many at a time per worker process.
    PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
    // The first retry's delay; each next one doubles (or waits what Retry-After asks, if longer).
    PUSH_RETRY_DELAY_MS: z.coerce.number().int().min(1).default(1_000),
  })
  .refine((c) => !c.VAPID_PRIVATE_KEY || !!c.VAPID_PUBLIC_KEY, {
    message: 'VAPID_PRIVATE_KEY needs its VAPID_PUBLIC_KEY (pushes are signed with the pair)',
    path: ['VAPID_PRIVATE_KEY'],
  });

export type UsersConfig = z.infer<typeof usersConfigSchema>;

export const loadUsersConfig = (source: Record<string, string | undefined> = process.env) =>
  loadConfig('users', usersConfigSchema, source);
