import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getVariableValues,
  GraphQLError,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type SelectionSetNode,
} from 'graphql';
import { connectRedis, redisReady, type RedisClient } from '@shutter/service';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '@shutter/service';
import type { GatewayContext } from './context.ts';

/**
 * The buckets. Every HTTP operation counts in `ip` (per client address) and, signed in, in `user`;
 * a graphql-ws subscribe counts in `user`. The rest are stricter buckets for what is worth
 * abusing: guessing passwords, making accounts, spinning sessions, filling the image workers, and
 * opening sockets.
 */
export const RATE_LIMIT_BUCKETS = ['ip', 'user', 'logIn', 'logInAccount', 'signUp', 'refreshSession', 'createUpload', 'wsConnect'] as const;
export type BucketName = (typeof RATE_LIMIT_BUCKETS)[number];

/** One bucket's size: `points` per `seconds` (a fixed window per key, kept in Redis). */
export interface RateLimitSetting {
  points: number;
  seconds: number;
}

export interface RateLimitCheck {
  bucket: BucketName;
  key: string;
  points?: number;
}

/** Where one bucket stands for one key after a request: what the RateLimit headers say. */
export interface BucketState {
  bucket: BucketName;
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

export interface RateLimitOutcome {
  allowed: boolean;
  /** Seconds until every bucket that refused has room again (0 when allowed). */
  retryAfterSeconds: number;
  /** The buckets that refused. */
  refused: BucketName[];
  states: BucketState[];
}

const ALLOWED: RateLimitOutcome = { allowed: true, retryAfterSeconds: 0, refused: [], states: [] };

interface Bucket {
  setting: RateLimitSetting;
  shared: RateLimiterRedis;
  /** This process's own count, used while Redis cannot answer. */
  local: RateLimiterMemory;
}

/**
 * Rate limits in Redis (rate-limiter-flexible), so that every gateway process counts against the
 * same buckets. The connection fails fast: no offline queue (a command while disconnected fails at
 * once) and a command timeout, so a slow or absent Redis costs a request milliseconds, not seconds.
 *
 * When Redis cannot answer, each process goes on counting on its own (an in-memory bucket of the
 * same size) and logs a warning: the gateway stays up (failing closed would make a Redis outage an
 * outage of everything), and a password guesser still meets a limit per process instead of none.
 */
export class RateLimits {
  private readonly redis: RedisClient;
  private readonly buckets = new Map<BucketName, Bucket>();
  private lastWarning = 0;

  constructor(
    settings: Record<BucketName, RateLimitSetting | null>,
    private readonly options: { redisUrl: string; prefix: string; commandTimeoutMs: number; logger: Logger },
  ) {
    this.redis = connectRedis(options.redisUrl, {
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      // A request's checks (and concurrent requests') go out in one write: one round trip, not one each.
      enableAutoPipelining: true,
    });
    let down = false;
    this.redis.on('error', (err: Error) => {
      if (!down) options.logger.warn({ err: { message: err.message } }, 'rate limits: Redis is unreachable; each gateway process limits on its own until it is back');
      down = true;
    });
    this.redis.on('ready', () => {
      if (down) options.logger.info('rate limits: Redis is back; limits are shared again');
      down = false;
    });
    for (const name of RATE_LIMIT_BUCKETS) {
      const setting = settings[name];
      if (!setting) continue;
      const size = { points: setting.points, duration: setting.seconds };
      this.buckets.set(name, {
        setting,
        shared: new RateLimiterRedis({ storeClient: this.redis, keyPrefix: `${options.prefix}:ratelimit:${name}`, rejectIfRedisNotReady: true, ...size }),
        local: new RateLimiterMemory({ keyPrefix: name, ...size }),
      });
    }
  }

  /** Counts `points` (1) against each bucket's key; allowed only if every bucket had room. */
  async consume(checks: readonly RateLimitCheck[]): Promise<RateLimitOutcome> {
    const active = checks.filter((c) => this.buckets.has(c.bucket));
    if (active.length === 0) return ALLOWED;
    const results = await Promise.all(active.map((check) => this.consumeOne(check)));
    const refused = results.filter((r) => !r.allowed);
    return {
      allowed: refused.length === 0,
      retryAfterSeconds: Math.max(0, ...refused.map((r) => r.state.resetSeconds)),
      refused: [...new Set(refused.map((r) => r.state.bucket))],
      states: results.map((r) => r.state),
    };
  }

  private async consumeOne(check: RateLimitCheck): Promise<{ allowed: boolean; state: BucketState }> {
    const bucket = this.buckets.get(check.bucket)!;
    const points = check.points ?? 1;
    let result: RateLimiterRes;
    let allowed = true;
    try {
      result = await this.consumeFrom(bucket, check.key, points);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      result = e;
      allowed = false;
    }
    return {
      allowed,
      state: {
        bucket: check.bucket,
        limit: bucket.setting.points,
        windowSeconds: bucket.setting.seconds,
        remaining: result.remainingPoints,
        resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      },
    };
  }

  /** Redis's count; this process's own when Redis fails (a RateLimiterRes rejection is a refusal, not a failure). */
  private async consumeFrom(bucket: Bucket, key: string, points: number): Promise<RateLimiterRes> {
    try {
      return await bucket.shared.consume(key, points);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw e;
      const now = Date.now();
      // One line a minute while it lasts, not one per request.
      if (now - this.lastWarning > 60_000) {
        this.lastWarning = now;
        this.options.logger.warn({ err: { message: (e as Error).message } }, 'rate limits: Redis did not answer; counted by this gateway process alone');
      }
      return bucket.local.consume(key, points);
    }
  }

  /** Resolves once the shared counters' Redis is ready, or after `timeoutMs` (false): see redisReady. */
  connected(timeoutMs: number): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` and
 * `RateLimit`, one item per bucket the request counted in), and `Retry-After` when refused.
 */
export function rateLimitHeaders(outcome: RateLimitOutcome): Record<string, string> {
  if (outcome.states.length === 0) return {};
  return {
    'ratelimit-policy': outcome.states.map((s) => `"${s.bucket}";q=${s.limit};w=${s.windowSeconds}`).join(', '),
    ratelimit: outcome.states.map((s) => `"${s.bucket}";r=${s.remaining};t=${s.resetSeconds}`).join(', '),
    ...(outcome.allowed ? {} : { 'retry-after': String(outcome.retryAfterSeconds) }),
  };
}

/** Joins the RateLimit fields of two sets of headers (the HTTP layer's buckets and an operation's). */
export function mergeRateLimitHeaders(into: Record<string, string>, more: Record<string, string>): Record<string, string> {
  const merged = { ...into };
  for (const [name, value] of Object.entries(more)) {
    merged[name] = name === 'ratelimit' || name === 'ratelimit-policy' ? [merged[name], value].filter(Boolean).join(', ') : value;
  }
  return merged;
}

export const rateLimitedMessage = (outcome: RateLimitOutcome) => `Too many requests: try again in ${outcome.retryAfterSeconds} s.`;

/** RATE_LIMITED with when to retry; over HTTP (Apollo reads extensions.http) a 429 with the headers. */
export function rateLimitedError(outcome: RateLimitOutcome, transport: 'http' | 'ws' = 'http'): GraphQLError {
  const http = { status: 429, headers: new Map(Object.entries(rateLimitHeaders(outcome))) };
  return new GraphQLError(rateLimitedMessage(outcome), {
    extensions: { code: 'RATE_LIMITED', retryAfter: outcome.retryAfterSeconds, buckets: outcome.refused, ...(transport === 'http' ? { http } : {}) },
  });
}

/** Who a request is, for the keys of its buckets. */
export interface Requester {
  /** The client's address key (an IPv6 address by its /64). */
  address: string;
  viewerId: string | null;
}

/** A login name's key: hashed, so that Redis holds no email addresses, and of a fixed size. */
const loginKey = (login: unknown) => `login:${createHash('sha256').update(String(login ?? '').trim().toLowerCase()).digest('base64url').slice(0, 22)}`;

/**
 * The root fields of the public API (the contract's Mutation) that have stricter buckets, and the
 * bucket and key each use counts against. logIn counts per address (credential stuffing from one
 * place) and per login name (one account's password guessed from many places).
 */
const FIELD_BUCKETS: Record<string, (args: Record<string, unknown>, who: Requester) => { bucket: BucketName; key: string }[]> = {
  logIn: (args, who) => [
    { bucket: 'logIn', key: `ip:${who.address}` },
    { bucket: 'logInAccount', key: loginKey((args.input as { usernameOrEmail?: unknown } | undefined)?.usernameOrEmail) },
  ],
  signUp: (_, who) => [{ bucket: 'signUp', key: `ip:${who.address}` }],
  refreshSession: (_, who) => [{ bucket: 'refreshSession', key: `ip:${who.address}` }],
  createUpload: (_, who) => [{ bucket: 'createUpload', key: who.viewerId ? `user:${who.viewerId}` : `ip:${who.address}` }],
};

/**
 * Every use of a bucketed root field in an operation: each response key executes once, so
 * `a: logIn(...) b: logIn(...)` counts two and a field repeated under one key counts one. Fragments
 * are followed; @skip and @include are not read, so a skipped field counts too (never fewer).
 */
function bucketedFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): Map<string, FieldNode> {
  const found = new Map<string, FieldNode>();
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (FIELD_BUCKETS[selection.name.value]) found.set(selection.alias?.value ?? selection.name.value, selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      for (const [key, field] of bucketedFields(selection.selectionSet, fragments, seen)) found.set(key, field);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) for (const [key, field] of bucketedFields(fragment.selectionSet, fragments, seen)) found.set(key, field);
    }
  }
  return found;
}

/**
 * Counts each mutation's bucketed root fields before it runs (after validation, so only operations
 * that would execute count); refused, it answers RATE_LIMITED (HTTP 429) and nothing runs. The
 * gateway's own operations (subscription hydration) are not counted.
 */
export function fieldRateLimitPlugin(limits: RateLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      if (contextValue.internal) return;
      return {
        async didResolveOperation({ operation, document, schema, request, response }) {
          if (operation?.operation !== 'mutation') return;
          const root = schema.getMutationType() as GraphQLObjectType;
          const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
          const fields = bucketedFields(operation.selectionSet, fragments);
          if (fields.size === 0) return;
          // Variables as execution will coerce them; if they do not coerce, execution refuses the
          // operation anyway, and the address keys still count.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          const who: Requester = { address: contextValue.clientAddress ?? 'unknown', viewerId: contextValue.viewerId };
          const checks = new Map<string, RateLimitCheck>();
          for (const field of fields.values()) {
            const checksOf = FIELD_BUCKETS[field.name.value]!;
            let args: Record<string, unknown> = {};
            const definition = root.getFields()[field.name.value];
            if (definition && 'coerced' in coerced) {
              try {
                args = getArgumentValues(definition, field, coerced.coerced);
              } catch {
                // Left empty: execution reports the bad argument.
              }
            }
            for (const { bucket, key } of checksOf(args, who)) {
              const id = `${bucket} ${key}`;
              const check = checks.get(id);
              if (check) check.points = (check.points ?? 1) + 1;
              else checks.set(id, { bucket, key });
            }
          }
          const outcome = await limits.consume([...checks.values()]);
          if (!outcome.allowed) throw rateLimitedError(outcome);
          for (const [name, value] of Object.entries(rateLimitHeaders(outcome))) response.http.headers.set(name, value);
        },
      };
    },
  };
}
