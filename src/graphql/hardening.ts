/**
 * GraphQL hardening: query limits (graphql-armor: depth, aliases, directives,
 * tokens, cost), introspection and field suggestions (off by default in
 * production), batched HTTP requests (off unless configured), and per-client
 * rate limiting of GraphQL work: each operation's cost (one point per field
 * selected, as graphql-query-complexity's simple estimator counts) is taken
 * from a per-client budget per minute (rate-limiter-flexible); an operation
 * over budget gets RATE_LIMITED, HTTP 429 and Retry-After.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLSchema } from 'graphql';
import { createRequire } from 'node:module';

// graphql-query-complexity's ESM build imports 'graphql/index.mjs', a second graphql instance beside the
// CommonJS one Apollo and type-graphql use ("Cannot use GraphQLObjectType from another module or realm").
// Its CommonJS build requires 'graphql' and so shares theirs.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)('graphql-query-complexity') as typeof import('graphql-query-complexity');
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { GraphQLContext } from './context';
import { RateLimitedError } from './errors';

/** Hardening settings (configuration; defaults in `defaultHardening`). */
export interface HardeningOptions {
  introspection: boolean;
  fieldSuggestions: boolean;
  allowBatchedHttpRequests: boolean;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Per-client GraphQL cost budget per minute. */
  costPerMinute: number;
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
    // A full credit view costs about 160 points: 1 000 000 a minute is about 100 views a second per client,
    // above what one instance sustains (about 40 a second in docs/benchmarks.md).
    costPerMinute: 1_000_000,
  };
}

/** Apollo Server options and plugins implementing the hardening. */
export function hardening(schema: GraphQLSchema, o: HardeningOptions) {
  const armor = new ApolloArmor({
    maxDepth: { n: o.maxDepth },
    maxAliases: { n: o.maxAliases },
    maxDirectives: { n: o.maxDirectives },
    maxTokens: { n: o.maxTokens },
    costLimit: { maxCost: o.maxCost },
    blockFieldSuggestion: { enabled: !o.fieldSuggestions },
  }).protect();
  const limiter = new RateLimiterMemory({ points: o.costPerMinute, duration: 60 });

  const rateLimit: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue, operation }) {
          if (operation?.operation === 'subscription') return;
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName, estimators: [simpleEstimator({ defaultComplexity: 1 })] });
          } catch {
            // Invalid variables: execution answers them with BAD_USER_INPUT (HTTP 400); charge the minimum.
            cost = 1;
          }
          try {
            await limiter.consume(contextValue.scope.client.id, Math.max(1, cost));
          } catch (e) {
            if (!(e instanceof RateLimiterRes)) throw e;
            const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
            throw new RateLimitedError(`rate limit: this client's GraphQL work is over ${o.costPerMinute} cost points per minute (this operation costs ${cost})`, retryAfter);
          }
        },
      };
    },
  };

  return {
    validationRules: armor.validationRules,
    plugins: [...armor.plugins, rateLimit],
    introspection: o.introspection,
    allowBatchedHttpRequests: o.allowBatchedHttpRequests,
  };
}
