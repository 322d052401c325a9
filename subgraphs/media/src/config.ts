import { env, loadConfig, z } from '@shutter/config';

export const mediaConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    LOG_LEVEL: env.logLevel(),
    MEDIA_HOST: z.string().default('127.0.0.1'),
    MEDIA_PORT: env.port(4002),
    MEDIA_DATABASE_URL: env.postgresUrl(),
    // Where clients reach this service's upload and file URLs (a proxy in production); by default
    // the address it listens on.
    MEDIA_PUBLIC_URL: env.url().optional(),
    GATEWAY_SIGNING_SECRET: env.secret(32),
    REDIS_URL: env.redisUrl(),
    QUEUE_PREFIX: z.string().min(1).default('shutter'),
    MEDIA_STORAGE: z.enum(['local', 's3']).default('local'),
    MEDIA_STORAGE_DIR: z.string().default('.data/media'),
    S3_BUCKET: z.string().optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_ENDPOINT: env.url().optional(),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: z.stringbool().default(false),
    UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(20 * 1024 * 1024).default(20 * 1024 * 1024),
    UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(60).default(900),
    // Decompression bombs: a small file that decodes to more pixels than this is refused.
    MAX_INPUT_PIXELS: z.coerce.number().int().min(1).default(100_000_000),
    PROCESSING_CONCURRENCY: z.coerce.number().int().min(1).default(2),
  })
  .refine((c) => c.MEDIA_STORAGE !== 's3' || !!c.S3_BUCKET, { message: 'S3_BUCKET is required when MEDIA_STORAGE=s3', path: ['S3_BUCKET'] });

export type MediaConfig = z.infer<typeof mediaConfigSchema>;

export const loadMediaConfig = (source: Record<string, string | undefined> = process.env) => loadConfig('media', mediaConfigSchema, source);
