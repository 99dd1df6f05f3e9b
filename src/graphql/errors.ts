/**
 * GraphQL error classes with literal `extensions.code`s, and the mapping of
 * provider failures to codes. Provider bodies and internal details never reach
 * the client: messages name the provider and a short reason only.
 */
import { GraphQLError } from 'graphql';
import type { ProviderCode } from '../domain/types';
import { ProviderError } from '../providers/errors';

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
  | 'INTERNAL_SERVER_ERROR';

/** Missing, malformed, expired or wrongly signed bearer token (HTTP 401). */
export class UnauthenticatedError extends GraphQLError {
  constructor(reason: string) {
    super(`not authenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

/** Authenticated, but the token lacks the scope the field needs. */
export class ForbiddenError extends GraphQLError {
  constructor(scope: string) {
    super(`this operation needs the "${scope}" scope`, { extensions: { code: 'FORBIDDEN', requiredScope: scope } });
  }
}

/** A provider's part of the answer failed or was refused; the other providers' data is still returned. */
export class ProviderPartError extends GraphQLError {
  constructor(provider: ProviderCode, code: ErrorCode, reason: string) {
    super(reason.startsWith(provider) ? reason : `${provider}: ${reason}`, { extensions: { code, provider } });
  }
}

/** Client-visible code and reason for any error thrown by a provider read. */
export function providerFailure(provider: ProviderCode, e: unknown): { code: ErrorCode; message: string } {
  if (e instanceof ProviderError) {
    switch (e.code) {
      case 'PROVIDER_TIMEOUT':
        return { code: 'PROVIDER_TIMEOUT', message: `${provider} did not answer in time` };
      case 'PROVIDER_BAD_RESPONSE':
        return { code: 'PROVIDER_BAD_RESPONSE', message: `${provider} sent a response we could not read` };
      case 'PROVIDER_AUTH_FAILED':
        return { code: 'PROVIDER_UNAVAILABLE', message: `${provider} refused our session; the account may need to be linked again` };
      default:
        return { code: 'PROVIDER_UNAVAILABLE', message: `${provider} is unavailable` };
    }
  }
  return { code: 'PROVIDER_UNAVAILABLE', message: `${provider} is unavailable` };
}
