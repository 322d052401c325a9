import { baseFields, DEFAULT_PORTS, env, listenFields, loadConfig, z } from '@shutter/config';

export const mediaConfigSchema = z
  .object({
    ...baseFields,
    ...listenFields('MEDIA', DEFAULT_PORTS.media),
    MEDIA_DATABASE_URL: env.postgresUrl(),
    // Where clients reach this service's upload and file URLs (a proxy in production); by default
    // the address it listens on.
    MEDIA_PUBLIC_URL: env.url().optional(),
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
    // A deleted post's row is kept this long (its files go at once), so that references other
    // services still hold resolve until they have handled post.deleted; then the worker purges it.
    DELETED_POST_GRACE_SECONDS: z.coerce.number().int().min(0).default(3600),
  })
  .refine((c) => c.MEDIA_STORAGE !== 's3' || !!c.S3_BUCKET, { message: 'S3_BUCKET is required when MEDIA_STORAGE=s3', path: ['S3_BUCKET'] });

export type MediaConfig = z.infer<typeof mediaConfigSchema>;

export const loadMediaConfig = (source: Record<string, string | undefined> = process.env) => loadConfig('media', mediaConfigSchema, source);
