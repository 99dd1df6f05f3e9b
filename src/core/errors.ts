/**
 * Failures of the application core, as plain typed errors. The GraphQL layer maps
 * them to `GraphQLError`s with literal `extensions.code`s in one place
 * (src/graphql/errors.ts); the core never imports GraphQL.
 */
import type { ConsentDenial, ConsentDomain } from '../domain/consent';
import type { ProviderCode } from '../domain/types';
import { ProviderError } from '../providers/errors';

/** Base of every core failure. */
export abstract class CoreError extends Error {}

/** A read refused for want of an ACTIVE consent (`denial` says why). */
export class ConsentDenied extends CoreError {
  override readonly name = 'ConsentDenied';
  constructor(
    readonly denial: ConsentDenial,
    readonly provider: ProviderCode | null,
    readonly domain: ConsentDomain,
  ) {
    const what = provider ? `${provider} ${domain.toLowerCase()}` : domain.toLowerCase();
    const why = denial === 'CONSENT_REVOKED' ? 'was revoked' : denial === 'CONSENT_EXPIRED' ? 'has expired' : 'is not active';
    super(`the borrower's consent for ${what} ${why}`);
  }
}

/** The thing asked for does not exist (or is not this client's to know). */
export class NotFound extends CoreError {
  override readonly name = 'NotFound';
}

/** Codes a provider's part of an answer can fail with. */
export type ProviderFailureCode = 'PROVIDER_UNAVAILABLE' | 'PROVIDER_TIMEOUT' | 'PROVIDER_BAD_RESPONSE' | 'FRESHNESS_NOT_MET';

/** A provider could not be read (or not freshly enough); the message is client-safe (no provider body). */
export class ProviderFailure extends CoreError {
  override readonly name = 'ProviderFailure';
  constructor(
    readonly provider: ProviderCode,
    readonly code: ProviderFailureCode,
    message: string,
  ) {
    super(message.startsWith(provider) ? message : `${provider}: ${message}`);
  }
}

/** An argument the client gave is invalid; `argumentName` names it. */
export class InvalidInput extends CoreError {
  override readonly name = 'InvalidInput';
  constructor(
    message: string,
    readonly argumentName?: string,
  ) {
    super(message);
  }
}

/** Too many requests of one kind from one caller or for one subject; retry after `retryAfterSeconds`. */
export class TooManyRequests extends CoreError {
  override readonly name = 'TooManyRequests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Client-safe code and reason for any error thrown by a provider read. */
export function providerFailure(provider: ProviderCode, e: unknown): { code: ProviderFailureCode; message: string } {
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
