/**
 * GraphQL hardening: query limits (graphql-armor: depth, aliases, directives,
 * cost; the token limit is graphql-js's own parser limit), introspection and
 * suggestions (off by default in production), batched HTTP requests (off
 * unless configured), and per-client rate limiting of GraphQL work: each
 * operation's cost (one point per field selected, as graphql-query-complexity's
 * simple estimator counts) is taken from a per-client budget per minute
 * (rate-limiter-flexible); an operation over budget gets RATE_LIMITED, HTTP 429
 * and Retry-After.
 *
 * Suggestions: graphql-js suggests names in several places (unknown fields,
 * arguments, types and input fields in validation; enum values in validation
 * and in variable coercion). With suggestions off, `formatError` (the one place
 * every error of a response passes) removes every "Did you mean ...?" sentence.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, Lexer, Source, TokenKind } from 'graphql';
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
  /** "Did you mean ...?" in error messages (fields, arguments, types, enum values); off in production. */
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

/** Apollo Server options and plugins implementing the hardening. */
export function hardening(schema: GraphQLSchema, o: HardeningOptions) {
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
  const limiter = new RateLimiterMemory({ points: o.costPerMinute, duration: 60 });

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
    parseOptions: { maxTokens: o.maxTokens },
    plugins: [...armor.plugins, tokenLimit, rateLimit],
    introspection: o.introspection,
    allowBatchedHttpRequests: o.allowBatchedHttpRequests,
    formatError,
  };
}
