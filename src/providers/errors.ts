/**
 * Typed provider failures. Each names the provider and the endpoint (a route
 * template such as "POST /mobile/loan/detail", never a concrete id), and maps
 * to one GraphQL `extensions.code`. Provider response bodies are kept out of
 * the message: clients see the code and a short reason only.
 */
import type { ProviderCode } from '../domain/types';

/** GraphQL error codes for provider failures. */
export type ProviderErrorCode = 'PROVIDER_UNAVAILABLE' | 'PROVIDER_TIMEOUT' | 'PROVIDER_BAD_RESPONSE' | 'PROVIDER_AUTH_FAILED';

/** Base class: a provider read or write did not produce a usable answer. */
export class ProviderError extends Error {
  override readonly name: string = 'ProviderError';
  constructor(
    readonly provider: ProviderCode,
    readonly endpoint: string,
    readonly code: ProviderErrorCode,
    message: string,
    /** HTTP status the provider answered with, when it answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`${provider} ${endpoint}: ${message}`, options);
  }
}

/** The provider did not answer within the timeout. */
export class ProviderTimeoutError extends ProviderError {
  override readonly name = 'ProviderTimeoutError';
  constructor(provider: ProviderCode, endpoint: string, timeoutMs: number) {
    super(provider, endpoint, 'PROVIDER_TIMEOUT', `no answer within ${timeoutMs} ms`);
  }
}

/** The provider answered, but the body does not match its wire schema. */
export class WireFormatError extends ProviderError {
  override readonly name = 'WireFormatError';
  constructor(
    provider: ProviderCode,
    endpoint: string,
    /** Dotted path of the first offending field ("installments.1.dueDate"), or "(body)". */
    readonly field: string,
    reason: string,
  ) {
    super(provider, endpoint, 'PROVIDER_BAD_RESPONSE', `response field "${field}" ${reason}`);
  }
}

/** The provider refused our credentials even after a fresh token. */
export class ProviderAuthError extends ProviderError {
  override readonly name = 'ProviderAuthError';
  constructor(provider: ProviderCode, endpoint: string, reason: string, status?: number) {
    super(provider, endpoint, 'PROVIDER_AUTH_FAILED', reason, status);
  }
}

/** The provider answered with a business error (envelope status, 4xx) we cannot treat as data. */
export class ProviderRejectedError extends ProviderError {
  override readonly name = 'ProviderRejectedError';
  constructor(
    provider: ProviderCode,
    endpoint: string,
    /** The provider's own error code (Dompet Kilat "02", Cairin "LOAN_NOT_FOUND", Finfra "bad_request"). */
    readonly providerCode: string,
    reason: string,
    status?: number,
  ) {
    super(provider, endpoint, 'PROVIDER_UNAVAILABLE', `${providerCode}: ${reason}`, status);
  }
}
