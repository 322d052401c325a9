import { env, loadConfig, z } from '@shutter/config';

const pem = (label: string) =>
  z
    .string()
    // Accept PEM with real newlines or with `\n` escapes (as env files and CI secrets carry them).
    .transform((value) => value.replace(/\\n/g, '\n'))
    .refine((value) => value.includes(`-----BEGIN ${label}-----`), { message: `must be a PEM "${label}"` });

export const usersConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  USERS_HOST: z.string().default('127.0.0.1'),
  USERS_PORT: env.port(4001),
  USERS_DATABASE_URL: env.postgresUrl(),
  GATEWAY_SIGNING_SECRET: env.secret(32),
  ACCESS_TOKEN_PRIVATE_KEY: pem('PRIVATE KEY'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  // OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~25 ms a hash on one core here.
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8_192).default(19_456),
  ARGON2_TIME_COST: z.coerce.number().int().min(1).default(2),
});

export type UsersConfig = z.infer<typeof usersConfigSchema>;

export const loadUsersConfig = (source: Record<string, string | undefined> = process.env) =>
  loadConfig('users', usersConfigSchema, source);
