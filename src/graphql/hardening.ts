/**
 * GraphQL hardening: query limits (graphql-armor: depth, aliases, directives,
 * cost; the token limit is graphql-js's own parser limit), introspection and
 * suggestions (off by default in production), batched HTTP requests (off
 * unless configured), and per-client rate limiting of GraphQL work: each
 * operation's cost (one point per field selected, as graphql-query-complexity's
 * simple estimator counts) is taken from a per-client budget per minute
 * (rate-limiter-flexible); an operation over budget gets RATE_LIMITED, HTTP 429
 * and Retry-After. On a PostgreSQL server the budget is counted in a table every
 * instance shares, so a client has one budget however many instances serve it.
 *
 * Suggestions: graphql-js suggests names in several places (unknown fields,
 * arguments, types and input fields in validation; enum values in validation
 * and in variable coercion). With suggestions off, `formatError` (the one place
 * every error of a response passes) removes every "Did you mean ...?" sentence.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, Lexer, Source, TokenKind } from 'graphql';
import { createHash } from 'node:crypto';

import type pg from 'pg';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GraphQLContext } from './context';
import { cachedEstimates, complexityEstimate, ONE_PER_FIELD } from './estimates';
import { RateLimitedError } from './errors';

/** Hardening settings (configuration; defaults in `defaultHardening`). */
export interface HardeningOptions {
  introspection: boolean;
  /** "Did you mean ...?" in error messages (fields, arguments, types, enum values); off in production. */
  fieldSuggestions: boolean;
  allowBatchedHttpRequests: boolean;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Per-client GraphQL cost budget per minute (configuration GRAPHQL_COST_PER_MINUTE). */
  costPerMinute: number;
  /** Budgets of particular clients (client id -> cost points per minute; API_CLIENTS `costPerMinute`), instead of `costPerMinute`. */
  clientCostPerMinute?: Readonly<Record<string, number>>;
}

/** Defaults that still allow the documented example queries (README, playground, the 50-borrower query). */
export function defaultHardening(production: boolean): HardeningOptions {
  return {
    introspection: !production,
    fieldSuggestions: !production,
    allowBatchedHttpRequests: false,
    maxDepth: 12,
    maxAliases: 15,
    maxDirectives: 20,
    maxTokens: 5000,
    maxCost: 20_000,
    // The default of GRAPHQL_COST_PER_MINUTE (src/config.ts). A full credit view (docs/benchmarks.md #2) costs 162
    // points: 200 000 a minute is about 20 views a second per client, half of what one instance serves (about 40
    // a second), and one budget for all instances together on a PostgreSQL server.
    costPerMinute: 200_000,
  };
}

/** The table per-client budgets are counted in on a PostgreSQL server (migration 20261204100000_rate_limit). */
export const RATE_LIMIT_TABLE = 'satukredit_rate_limit';
/** Prefix of the limiter keys (`graphql-cost:<client id>`), the same for every budget so a client is counted once. */
const KEY_PREFIX = 'graphql-cost';

/** The limiter key of a client: its id, or a hash of an id too long for the table's key column (255 characters with the prefix). */
function limiterKey(clientId: string): string {
  return clientId.length <= 200 ? clientId : `sha256:${createHash('sha256').update(clientId).digest('hex')}`;
}

/** A client's operation refused: over its budget; retry after `retryAfter` seconds. */
export interface CostRefusal {
  readonly budget: number;
  readonly retryAfter: number;
}

/** Where the per-client budgets are counted across instances: PostgreSQL (the app's pool) or Redis (REDIS_URL; an ioredis client and the key prefix). */
export type LimiterStore = { readonly pool: pg.Pool } | { readonly redis: unknown; readonly prefix: string };

/**
 * Per-client GraphQL cost budgets per minute (rate-limiter-flexible, fixed one-minute windows).
 *
 * With REDIS_URL the points are counted in Redis (same rules). With `pool` (a PostgreSQL server) the points are counted in RATE_LIMIT_TABLE, which every instance shares: a
 * client has one budget whichever instances its calls reach. The table comes from the migrations (the limiter does
 * not create it: instances starting together would race on CREATE TABLE). While the table cannot be reached each
 * instance counts in memory (the insurance limiter, same budget), so clients stay limited, per instance, until the
 * database answers again. A client over its budget is also remembered in memory until its window ends, so its
 * further calls are refused without a database round trip. Without `pool` (the embedded database: one process)
 * the points are counted in memory.
 *
 * One limiter per distinct budget, made on first use; they share one key space, so an instance giving a client
 * another budget (a configuration change rolling out) still counts the same points.
 */
export function costLimiter(o: Pick<HardeningOptions, 'costPerMinute' | 'clientCostPerMinute'>, store?: LimiterStore) {
  const pool = store && 'pool' in store ? store.pool : undefined;
  const redis = store && 'redis' in store ? store : undefined;
  const budgets = o.clientCostPerMinute ?? {};
  const limiters = new Map<number, RateLimiterAbstract>();
  function limiter(points: number): RateLimiterAbstract {
    let l = limiters.get(points);
    if (!l) {
      const memory = new RateLimiterMemory({ keyPrefix: KEY_PREFIX, points, duration: 60 });
      l = redis
        ? new RateLimiterRedis({
            storeClient: redis.redis,
            keyPrefix: `${redis.prefix}${KEY_PREFIX}`,
            points,
            duration: 60,
            insuranceLimiter: memory,
            inMemoryBlockOnConsumed: points + 1,
          })
        : pool
        ? new RateLimiterPostgres({
            storeClient: pool,
            storeType: 'pool',
            tableName: RATE_LIMIT_TABLE,
            tableCreated: true,
            keyPrefix: KEY_PREFIX,
            points,
            duration: 60,
            insuranceLimiter: memory,
            // Once over budget, refused from memory until the window ends (no blocking beyond it).
            inMemoryBlockOnConsumed: points + 1,
            // The table holds one row per client id, reused window after window: nothing to sweep.
            clearExpiredByTimeout: false,
          })
        : memory;
      limiters.set(points, l);
    }
    return l;
  }
  /** The client's budget: its own, else the default. */
  const budgetOf = (clientId: string): number => (Object.hasOwn(budgets, clientId) ? budgets[clientId]! : o.costPerMinute);
  /** Points this instance took from a client's shared budget and has not spent yet, until the window ends. */
  const leases = new Map<string, { remaining: number; until: number; exact: boolean }>();
  /** Takes exactly `cost` points from the shared budget. */
  const exactly = async (clientId: string, budget: number, cost: number): Promise<CostRefusal | null> => {
    try {
      await limiter(budget).consume(limiterKey(clientId), cost);
      return null;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return { budget, retryAfter: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) };
    }
  };
  return {
    budgetOf,
    /**
     * Takes `cost` points from the client's budget of this minute.
     *
     * With a shared store (PostgreSQL, Redis) an instance takes points in blocks of LEASE_SHARE of the budget and
     * spends them in memory, so a client's operations cost one round trip to the store per block, not one each.
     * A block the store refuses is given back and the operation's own points are asked for instead; from then on
     * until the window ends this instance asks the store for each operation's points exactly. So a client is never
     * let through over its budget; it may be refused up to one block per instance early (blocks taken, not spent).
     * @returns null when within budget, else the refusal (the points are counted all the same, as they are in memory).
     */
    async consume(clientId: string, cost: number): Promise<CostRefusal | null> {
      const budget = budgetOf(clientId);
      if (!store) return exactly(clientId, budget, cost);
      const now = Date.now();
      let lease = leases.get(clientId);
      if (lease && lease.until <= now) {
        leases.delete(clientId);
        lease = undefined;
      }
      if (lease && !lease.exact && lease.remaining >= cost) {
        lease.remaining -= cost;
        return null;
      }
      if (lease?.exact) return exactly(clientId, budget, cost);
      const block = Math.max(cost, Math.ceil(budget * LEASE_SHARE));
      if (block === cost) return exactly(clientId, budget, cost);
      const key = limiterKey(clientId);
      try {
        const r = await limiter(budget).consume(key, block);
        // Operations taking blocks at the same time add theirs up.
        const cur = leases.get(clientId);
        if (cur && !cur.exact && cur.until > now) cur.remaining += block - cost;
        else leases.set(clientId, { remaining: block - cost, until: now + r.msBeforeNext, exact: false });
        return null;
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        // Not a whole block left: give it back, take only this operation's points, and go exact until the window ends.
        await limiter(budget).reward(key, block).catch(() => undefined);
        leases.set(clientId, { remaining: 0, until: now + e.msBeforeNext, exact: true });
        return exactly(clientId, budget, cost);
      }
    },
  };
}

/** Share of a client's budget an instance takes from the shared store at a time (see `costLimiter`). */
export const LEASE_SHARE = 0.02;

/** graphql-js's suggestion sentences: `Did you mean "a", "b", or "c"?`, `Did you mean the enum value "X"?`, ... (names never hold "?"). */
const SUGGESTION = /\s*Did you mean\b[^?]*\?/g;

/** `message` without any "Did you mean ...?" sentence. */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/** Whether `source` holds more than `max` lexical tokens (counts at most max + 1; false when it does not lex). */
function overTokenLimit(source: string, max: number): boolean {
  try {
    const lexer = new Lexer(new Source(source));
    for (let n = 0; n <= max; n++) if (lexer.advance().kind === TokenKind.EOF) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * Apollo Server options and plugins implementing the hardening.
 * @param rateLimitPool the pool of a PostgreSQL server to count per-client budgets in (shared by every instance); in memory when unset.
 */
export function hardening(schema: GraphQLSchema, o: HardeningOptions, rateLimitStore?: LimiterStore) {
  const armor = new ApolloArmor({
    maxDepth: { n: o.maxDepth },
    maxAliases: { n: o.maxAliases },
    maxDirectives: { n: o.maxDirectives },
    // armor's token limit throws from a plugin hook, which Apollo answers with HTTP 500: the parser's own limit
    // (parseOptions.maxTokens below) aborts parsing instead, answered 400 and re-coded in formatError.
    maxTokens: { enabled: false },
    costLimit: { maxCost: o.maxCost },
    // Its mask covers quoted field suggestions only (not enum values); formatError below removes them all.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const limiter = costLimiter(o, rateLimitStore);

  /** Parse errors that are the token limit (the parser's own error, before Apollo wraps it). */
  const tokenLimitErrors = new WeakSet<Error>();
  const tokenLimit: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async parsingDidStart({ source }) {
          return async (err?: Error) => {
            if (err && source !== undefined && overTokenLimit(source, o.maxTokens)) tokenLimitErrors.add(err);
          };
        },
      };
    },
  };

  /** Applied to every formatted error of a response (after the API's own formatError). */
  function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    let out = formatted;
    const parseError = error instanceof GraphQLError ? error.originalError : undefined;
    if (parseError && tokenLimitErrors.has(parseError)) {
      // docs/errors.md: a limit broken is GRAPHQL_VALIDATION_FAILED (HTTP 400, which the parse error already has).
      out = { ...out, message: `Syntax Error: Token limit of ${o.maxTokens} exceeded.`, extensions: { ...out.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } };
    }
    if (!o.fieldSuggestions) out = { ...out, message: withoutSuggestions(out.message) };
    return out;
  }

  /**
   * An operation's cost, computed once per document, operation and the variables it depends on
   * (src/graphql/estimates.ts), not on every request. Invalid variables: execution answers them with
   * BAD_USER_INPUT (HTTP 400); the request is charged the minimum, and nothing is cached.
   */
  const costOf = cachedEstimates(complexityEstimate(schema, [ONE_PER_FIELD]), 1);

  const rateLimit: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue, operation }) {
          if (operation?.operation === 'subscription') return;
          const cost = costOf(document, request.operationName, request.variables ?? {});
          const refused = await limiter.consume(contextValue.scope.client.id, Math.max(1, cost));
          if (refused) {
            throw new RateLimitedError(`rate limit: this client's GraphQL work is over ${refused.budget} cost points per minute (this operation costs ${cost})`, refused.retryAfter);
          }
        },
      };
    },
  };

  return {
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: o.maxTokens },
    plugins: [...armor.plugins, tokenLimit, rateLimit],
    introspection: o.introspection,
    allowBatchedHttpRequests: o.allowBatchedHttpRequests,
    formatError,
  };
}
