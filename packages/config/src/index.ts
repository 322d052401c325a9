import { readFileSync } from 'node:fs';
import { z } from 'zod';

export { z };

/** Thrown when the environment does not satisfy a service's schema; lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `${service}: the configuration is not valid:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet these environment variables (see README.md, "Configuration"), or run `npm start`, which sets them all.',
    );
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once, at start-up. Every problem is reported together,
 * so that one failed start tells the operator everything that must change.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const env = withFileValues(schema, source);
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const given = env[name];
    return given === undefined ? `${name}: ${issue.message} (not set)` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
}

/**
 * `NAME_FILE=/path` stands for `NAME=<the file's content>` (Docker and Kubernetes secrets), for any
 * NAME of the schema that is not set directly.
 */
function withFileValues(schema: z.ZodObject, source: Record<string, string | undefined>): Record<string, string | undefined> {
  const env = { ...source };
  for (const name of Object.keys(schema.shape)) {
    const file = source[`${name}_FILE`];
    if (env[name] === undefined && file) {
      try {
        env[name] = readFileSync(file, 'utf8').trim();
      } catch {
        // Left unset: the schema then reports NAME as missing, beside every other problem.
      }
    }
  }
  return env;
}

/** Common env fields. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.url({ message: 'must be a URL' }),
  postgresUrl: () =>
    z.string().regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' }),
  redisUrl: () => z.string().regex(/^rediss?:\/\//, { message: 'must be a redis:// URL' }).default('redis://127.0.0.1:6379'),
  secret: (minLength = 32) => z.string().min(minLength, { message: `must be at least ${minLength} characters` }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  nodeEnv: () => z.enum(['development', 'production', 'test']).default('development'),
};
