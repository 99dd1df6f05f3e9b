/**
 * A provider's credit score of a borrower and the borrower's profile at a provider (type and KYC status), in the
 * one vocabulary. Pure types and functions. Finfra is the provider that gives these (its `user_credit_score`
 * callback and the borrower object of `GET /api/core/users/{userId}`, see src/providers/finfra/wire.ts).
 */
import { jakartaDate, type LocalDate } from './dates';
import type { ProviderCode } from './types';

export { BORROWER_TYPES, type BorrowerType, KYC_STATUSES, type KycStatus } from './types';

/**
 * The credit data source a score was computed from (Finfra's `credit-source` values `afpi`, `clik`, `both`):
 * AFPI (the fintech lending association's data centre, Pusdafil/FDC), CLIK (the credit bureau PT CLIK), or
 * AFPI_CLIK (both).
 */
export type CreditScoreSource = 'AFPI' | 'CLIK' | 'AFPI_CLIK';
export const CREDIT_SCORE_SOURCES: readonly CreditScoreSource[] = ['AFPI', 'CLIK', 'AFPI_CLIK'];

/**
 * A credit score a provider gave for one of its borrowers (its account), as stored: the latest per
 * (provider, provider user id, source).
 */
export interface CreditScore {
  readonly provider: ProviderCode;
  /** The provider's id of the borrower (Finfra `userId`; our ProviderAccount.externalId). */
  readonly providerUserId: string;
  /** The score as the provider gives it (an integer; the provider's documents give no scale). */
  readonly score: number;
  readonly source: CreditScoreSource;
  /** When the provider computed the score (Finfra `scored_at`). */
  readonly scoredAt: Date;
}

/** The Asia/Jakarta calendar date a score was computed on. */
export function scoredOn(s: Pick<CreditScore, 'scoredAt'>): LocalDate {
  return jakartaDate(s.scoredAt);
}

/**
 * Whether `next` replaces `current` as the stored score of its (provider, user, source): only a strictly later
 * `scoredAt` does, so a replayed or late older callback changes nothing and applying twice equals applying once.
 */
export function supersedes(current: Pick<CreditScore, 'scoredAt'> | null, next: Pick<CreditScore, 'scoredAt'>): boolean {
  return current === null || next.scoredAt.getTime() > current.scoredAt.getTime();
}
