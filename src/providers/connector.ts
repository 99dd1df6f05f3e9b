/**
 * The contract every provider connector implements. A connector turns one
 * provider's wire format into normalized domain types; nothing provider-shaped
 * crosses this boundary.
 *
 * Reads are opened per GraphQL request (`openReads()`), backed by DataLoaders
 * created for that request only, so that many resolvers asking for the same
 * account's data make the fewest provider calls the provider's endpoints allow
 * and no cached answer ever outlives the request (a shared cache would leak one
 * API client's data to another).
 *
 * Example:
 *   const reads = connector.openReads();
 *   const [loans, repayments] = await Promise.all([reads.loans(acct), reads.repayments(acct)]);
 */
import type { Disbursement, Loan, ProviderBorrower, ProviderCode, Repayment } from '../domain/types';

/** A linked account at one provider, as stored in `ProviderAccount`. */
export interface AccountRef {
  /** Our ProviderAccount id. */
  readonly id: string;
  readonly provider: ProviderCode;
  /** Provider's identifier (Cairin accountId, Finfra userId, Dompet Kilat idNumber). */
  readonly externalId: string;
  /** Connector-private credentials (Cairin session), null for providers without per-account auth. */
  readonly credentials: unknown;
}

/**
 * Per-request reads of one provider. Every method may throw a `ProviderError`
 * (see ./errors.ts); callers turn it into a per-provider GraphQL error.
 */
export interface ProviderReads {
  /** The borrower as the provider knows them, minimized; null when the provider no longer has the account. */
  profile(account: AccountRef): Promise<ProviderBorrower | null>;
  /** Every loan of the account, each with its installment schedule. */
  loans(account: AccountRef): Promise<Loan[]>;
  /** One loan by the provider's loan id; null when the account has no such loan. */
  loan(account: AccountRef, providerLoanId: string): Promise<Loan | null>;
  /** Repayments of the account (all loans), newest first. */
  repayments(account: AccountRef): Promise<Repayment[]>;
  /** Disbursements of the account (all loans), newest first. */
  disbursements(account: AccountRef): Promise<Disbursement[]>;
}

/** A provider connector: configuration-bound, process-wide (token caches live here), reads per request. */
export interface ProviderConnector {
  readonly provider: ProviderCode;
  /** Opens a request-scoped read session with fresh DataLoaders. */
  openReads(): ProviderReads;
}

/** Supplies "today" in Asia/Jakarta and "now"; injected so tests and the sandbox share a clock. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };
