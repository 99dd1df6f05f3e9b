/**
 * GraphQL error classes with literal `extensions.code`s, and the one map from
 * core errors (src/core/errors.ts) to them (`toGraphQLError`), used by the
 * server's error formatting and by subscriptions. Provider bodies and internal
 * details never reach the client: messages name the provider and a short reason.
 */
import { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ConsentDenied, CoreError, InvalidInput, NotFound, ProviderFailure, TooManyRequests } from '../core';
import type { PartError } from '../core/credit.service';
import type { ProviderCode } from '../domain/types';
import { isDatabaseUnavailable } from '../store/database';

/** Codes this API uses in `extensions.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_BAD_RESPONSE'
  | 'CONSENT_REQUIRED'
  | 'CONSENT_REVOKED'
  | 'CONSENT_EXPIRED'
  | 'RATE_LIMITED'
  | 'FRESHNESS_NOT_MET'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** Missing, malformed, expired or wrongly signed bearer token (HTTP 401). */
export class UnauthenticatedError extends GraphQLError {
  constructor(reason: string) {
    super(`not authenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

/** Authenticated, but the token lacks every scope that would allow the operation. */
export class ForbiddenError extends GraphQLError {
  constructor(scopes: readonly string[]) {
    const what = scopes.map((s) => `"${s}"`).join(' or ');
    super(`this operation needs the ${what} scope`, { extensions: { code: 'FORBIDDEN', requiredScope: scopes[0], ...(scopes.length > 1 ? { anyOfScopes: [...scopes] } : {}) } });
  }
}

/** An argument is invalid; `argumentName` names it. */
export class BadUserInputError extends GraphQLError {
  constructor(message: string, argumentName?: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', ...(argumentName ? { argumentName } : {}) } });
  }
}

/** The object asked for does not exist for this client. */
export class NotFoundError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'NOT_FOUND' } });
  }
}

/** The client spent its request budget (HTTP 429 with Retry-After). */
export class RateLimitedError extends GraphQLError {
  constructor(message: string, retryAfterSeconds: number) {
    // Apollo reads extensions.http (status, and headers as a Map) to shape the HTTP response; another
    // package's type augmentation declares headers as a record, hence the cast.
    const headers = new HeaderMap([['retry-after', String(retryAfterSeconds)]]) as unknown as Record<string, string>;
    super(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds, http: { status: 429, headers } } });
  }
}

/** When a client should retry after DATABASE_UNAVAILABLE (`Retry-After`), seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The database could not be reached (down, restarting, failing over): nothing about the request itself. The
 * server answers HTTP 503 with `Retry-After` when every error of a response is this one. The message names
 * no host, driver or statement.
 */
export class DatabaseUnavailableError extends GraphQLError {
  constructor() {
    super('the database is unavailable; retry later', { extensions: { code: 'DATABASE_UNAVAILABLE', retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS } });
  }
}

/** A read refused for want of an ACTIVE consent; the code is the denial. */
export class ConsentError extends GraphQLError {
  constructor(e: ConsentDenied) {
    super(e.message, { extensions: { code: e.denial, ...(e.provider ? { provider: e.provider } : {}), domain: e.domain } });
  }
}

/** A provider's part of the answer failed or was refused; the other providers' data is still returned. */
export class ProviderPartError extends GraphQLError {
  constructor(provider: ProviderCode, code: ErrorCode | PartError['code'], reason: string) {
    super(reason.startsWith(provider) ? reason : `${provider}: ${reason}`, { extensions: { code, provider } });
  }
}

/**
 * The GraphQL error for a core error, or DATABASE_UNAVAILABLE for a database that cannot be reached; anything
 * else is returned unchanged (masked later as internal).
 */
export function toGraphQLError(e: unknown): unknown {
  if (!(e instanceof CoreError)) return isDatabaseUnavailable(e) ? new DatabaseUnavailableError() : e;
  if (e instanceof ConsentDenied) return new ConsentError(e);
  if (e instanceof NotFound) return new NotFoundError(e.message);
  if (e instanceof InvalidInput) return new BadUserInputError(e.message, e.argumentName);
  if (e instanceof ProviderFailure) return new ProviderPartError(e.provider, e.code, e.message);
  if (e instanceof TooManyRequests) return new RateLimitedError(e.message, e.retryAfterSeconds);
  return e;
}

/**
 * Apollo's `formatError`: core errors get their code, an unreachable database DATABASE_UNAVAILABLE; internal
 * errors are masked (clients get a code, logs get the detail); transport-only extensions (`http`, `stacktrace`)
 * are dropped.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const mapped = original instanceof CoreError || (original !== undefined && isDatabaseUnavailable(original)) ? toGraphQLError(original) : null;
  if (mapped instanceof GraphQLError) return { message: mapped.message, path: formatted.path, locations: formatted.locations, extensions: { ...mapped.extensions } };
  const code = formatted.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR' || code === undefined || mapped) {
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  const { http: _http, stacktrace: _st, ...extensions } = formatted.extensions ?? {};
  return { ...formatted, extensions };
}

/**
 * The one scope check: passes when the client holds any of `scopes` (type-graphql's `@Authorized`
 * calls it through the schema's authChecker; subscriptions call it before they open).
 * @throws ForbiddenError naming the scopes when the client holds none of them.
 */
export function checkScopes(held: ReadonlySet<string>, scopes: readonly string[]): true {
  if (scopes.length && !scopes.some((s) => held.has(s))) throw new ForbiddenError(scopes);
  return true;
}
