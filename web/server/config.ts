import { fileURLToPath } from 'node:url';
import { env, loadConfig, z } from '@shutter/config';

const origins = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const list = value.split(',').map((v) => v.trim()).filter(Boolean);
    const parsed: string[] = [];
    for (const item of list) {
      try {
        parsed.push(new URL(item).origin);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not a URL` });
      }
    }
    return parsed;
  });

export const webConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  LOG_LEVEL: env.logLevel(),
  WEB_HOST: z.string().default('127.0.0.1'),
  WEB_PORT: env.port(3000),
  // The gateway and the media service behind this origin. The same variables the gateway reads
  // (GATEWAY_URL is new; MEDIA_URL is media's GraphQL URL, of which only the origin is used here,
  // for its public /uploads and /files paths).
  GATEWAY_URL: env.url().default('http://127.0.0.1:4000/graphql'),
  MEDIA_URL: env.url().default('http://127.0.0.1:4002/graphql'),
  // The built client (vite build; npm run build): web/dist, from server/ and from the bundle in
  // server-dist/ alike (the web image sets it).
  WEB_DIST_DIR: z.string().default(fileURLToPath(new URL('../dist', import.meta.url))),
  // Where browsers reach this server, when it is behind a proxy: https here makes the session cookie
  // Secure and adds HSTS, and its origin is the only one the /auth endpoints accept. Unset: the
  // request's own Host (with http or https) is the origin.
  WEB_PUBLIC_URL: env.url().optional(),
  // Other origins images and uploads come from (S3 or a CDN), for the Content-Security-Policy.
  WEB_MEDIA_ORIGINS: origins,
  // How long the session cookie lives: as long as the refresh token in it (the users service's setting).
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  // A proxied request whose upstream says nothing for this long is answered 504.
  WEB_PROXY_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  // Request bodies: GraphQL and /auth JSON, and uploads (media refuses more than 20 MiB itself).
  WEB_MAX_GRAPHQL_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  WEB_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(20 * 1024 * 1024),
});

export type WebConfig = z.infer<typeof webConfigSchema>;

export const loadWebConfig = (source: Record<string, string | undefined> = process.env) => loadConfig('web', webConfigSchema, source);
