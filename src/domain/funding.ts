/**
 * Funding positions (pure): the borrower's money placed as a lender on a provider's funding side (Cairin's
 * funding product: from IDR 1,000,000 over 60-91 days at a stated economic benefit of up to 11% a year).
 * Money is integer rupiah (`bigint`), dates Jakarta `YYYY-MM-DD`, the rate an exact decimal percentage string.
 */
import type { LocalDate } from './dates';
import type { ProviderCode } from './types';

/**
 * Lifecycle of a funding position: PENDING (placed, waiting to be allocated to loans), ACTIVE (allocated,
 * accruing), MATURED (its tenor ended; principal and benefit returned or being returned), CANCELLED (withdrawn
 * or refunded before allocation; accrues nothing).
 */
export type FundingStatus = 'PENDING' | 'ACTIVE' | 'MATURED' | 'CANCELLED';
export const FUNDING_STATUSES: readonly FundingStatus[] = ['PENDING', 'ACTIVE', 'MATURED', 'CANCELLED'];

/** One funding position at one provider. */
export interface FundingPosition {
  readonly provider: ProviderCode;
  /** The provider's id of the position (Cairin `fundingId`). */
  readonly positionId: string;
  /** Money placed, integer rupiah. */
  readonly amount: bigint;
  /** Jakarta date the position started accruing. */
  readonly startedOn: LocalDate;
  /** Length of the position in days (Cairin: 60-91). */
  readonly tenorDays: number;
  /** Jakarta date the position matures. */
  readonly maturesOn: LocalDate;
  /** Stated economic benefit per year as an exact decimal percentage string ("10.5"), never a float. */
  readonly annualRatePercent: string;
  /** Benefit accrued so far as the provider states it, integer rupiah. */
  readonly accruedBenefit: bigint;
  readonly status: FundingStatus;
}

/** Totals over funding positions, integer rupiah. */
export interface FundingTotals {
  /** Money placed in PENDING and ACTIVE positions (not yet returned). */
  readonly placed: bigint;
  /** Benefit accrued on PENDING and ACTIVE positions. */
  readonly accruedBenefit: bigint;
  /** Number of PENDING and ACTIVE positions. */
  readonly openCount: number;
}

/** Whether a position still holds the lender's money (PENDING or ACTIVE). */
export function isOpen(p: Pick<FundingPosition, 'status'>): boolean {
  return p.status === 'PENDING' || p.status === 'ACTIVE';
}

/** Sums the open positions (`isOpen`). */
export function fundingTotals(positions: readonly FundingPosition[]): FundingTotals {
  let placed = 0n;
  let accruedBenefit = 0n;
  let openCount = 0;
  for (const p of positions) {
    if (!isOpen(p)) continue;
    placed += p.amount;
    accruedBenefit += p.accruedBenefit;
    openCount++;
  }
  return { placed, accruedBenefit, openCount };
}

/**
 * Positions from a FUNDING snapshot payload (bigint amounts were stored as decimal strings).
 * @throws TypeError/SyntaxError when the payload is not a stored list of positions.
 */
export function reviveFundingPositions(payload: unknown): FundingPosition[] {
  return (payload as Record<string, unknown>[]).map((p) => ({
    ...(p as unknown as FundingPosition),
    amount: BigInt(p.amount as string),
    accruedBenefit: BigInt(p.accruedBenefit as string),
  }));
}
