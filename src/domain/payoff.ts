/**
 * Payoff quote (pure): the amount that closes a loan if paid on a given
 * Jakarta date. Flat-rate loans charge interest on the original principal;
 * paying off early owes only the interest accrued so far, under the same
 * day-count convention as `schedule.ts` (`totalFlatInterest`: a month is 30
 * days, a year 360). All amounts are integer rupiah (`bigint`).
 */
import { compareDates, daysBetween, isLocalDate, type LocalDate } from './dates';
import { installmentOutstanding } from './credit';
import { splitPaid } from './ledger';
import { totalFlatInterest } from './schedule';
import type { Installment, InterestRate } from './types';

/**
 * How interest accrues for a payoff. FLAT_ACCRUED: interest of every
 * installment due on or before the quote date in full, the current period's
 * interest pro-rated by the days elapsed in it, nothing for later periods.
 */
export type PayoffConvention = 'FLAT_ACCRUED';

/** Thrown when a payoff is asked for a date it cannot be quoted for (in the past, or before disbursement). */
export class PayoffRangeError extends RangeError {
  override readonly name = 'PayoffRangeError';
  constructor(message: string) {
    super(message);
  }
}

/** What `payoffQuote` needs. */
export interface PayoffInput {
  /** Original principal lent, integer rupiah (flat interest accrues on it). */
  readonly principal: bigint;
  readonly rate: InterestRate;
  readonly disbursedOn: LocalDate;
  readonly maturityDate: LocalDate;
  /**
   * Derived installments (`applySchedule`), whose `amountPaid` is cleared money only; `pendingAmount` (money
   * received, awaiting bank settlement) is shown apart in the quote, never subtracted.
   */
  readonly installments: readonly (Installment & { readonly pendingAmount?: bigint })[];
  /** The Jakarta date the payoff would be paid on. */
  readonly asOf: LocalDate;
  /** Today's Jakarta date: a quote is never given for a past day. */
  readonly today: LocalDate;
  /** Late fee per day past due, integer rupiah; 0 when omitted. */
  readonly lateFeePerDay?: bigint;
  readonly convention: PayoffConvention;
}

/** A payoff quote; amounts integer rupiah. */
export interface PayoffQuote {
  readonly asOf: LocalDate;
  /** Last Jakarta day the quote is valid: `asOf` itself, because interest and late fees accrue daily. */
  readonly goodThrough: LocalDate;
  /** The same date as `goodThrough` (its earlier name). */
  readonly expiresOn: LocalDate;
  readonly convention: PayoffConvention;
  /** Outstanding principal (cleared money applied interest first within each installment). */
  readonly principal: bigint;
  /** Interest accrued to `asOf` and unpaid; never more than the scheduled interest. */
  readonly interest: bigint;
  /** `lateFeePerDay` x days past due on `asOf` (no cap is applied here). */
  readonly lateFees: bigint;
  /** principal + interest + lateFees. */
  readonly total: bigint;
  /**
   * Money received for the loan but not yet confirmed by bank settlement (the installments' `pendingAmount`):
   * not subtracted from `total`; once it clears, the payoff falls by it.
   */
  readonly pending: bigint;
}

function requireDate(name: string, d: LocalDate): void {
  if (!isLocalDate(d)) throw new RangeError(`${name} "${d}" is not a YYYY-MM-DD date`);
}

/**
 * Quotes the amount that closes the loan on `asOf` (FLAT_ACCRUED):
 *
 * - principal: the unpaid principal of every installment;
 * - interest: for installments due on or before `asOf`, their unpaid interest;
 *   for the first installment due after `asOf` (the current period, which
 *   starts at the previous due date, or at disbursement), flat interest on the
 *   original principal for the days elapsed in the period
 *   (`totalFlatInterest` over that many days), capped at the installment's
 *   scheduled interest, less interest already paid on it; nothing for later
 *   installments. Interest paid ahead on periods that have not run is credited,
 *   first against the other accrued interest, then against principal;
 * - lateFees: `lateFeePerDay` x days from the oldest installment unpaid and due
 *   before `asOf` to `asOf`.
 *
 * On the disbursement day the quote is the principal; on maturity it is all
 * that is unpaid of the schedule, plus late fees. After maturity (a loan in
 * arrears past its last due date) it stays all that is unpaid of the schedule:
 * flat interest is scheduled interest and stops at maturity, while late fees
 * keep accruing to `asOf`. `pending` (received, not yet cleared) is shown apart.
 * @throws PayoffRangeError when asOf is before `today` or before `disbursedOn`.
 * @throws RangeError on a malformed date, a negative principal or a negative late fee.
 */
export function payoffQuote(input: PayoffInput): PayoffQuote {
  const { asOf, today, disbursedOn, maturityDate } = input;
  requireDate('asOf', asOf);
  requireDate('today', today);
  requireDate('disbursedOn', disbursedOn);
  requireDate('maturityDate', maturityDate);
  if (input.principal < 0n) throw new RangeError(`principal cannot be negative: ${input.principal}`);
  const lateFeePerDay = input.lateFeePerDay ?? 0n;
  if (lateFeePerDay < 0n) throw new RangeError(`late fee per day cannot be negative: ${lateFeePerDay}`);
  if (compareDates(asOf, today) < 0) throw new PayoffRangeError(`cannot quote a payoff for ${asOf}, before today (${today})`);
  if (compareDates(asOf, disbursedOn) < 0) throw new PayoffRangeError(`cannot quote a payoff for ${asOf}, before disbursement (${disbursedOn})`);

  const sorted = [...input.installments].sort((a, b) => compareDates(a.dueDate, b.dueDate) || a.seq - b.seq);
  let principalOwed = 0n;
  let interestOwed = 0n;
  let prepaidInterest = 0n;
  let periodStart = disbursedOn;
  let currentSeen = false;
  let oldestLate: LocalDate | null = null;
  let pending = 0n;
  for (const inst of sorted) {
    pending += inst.pendingAmount ?? 0n;
    const paid = splitPaid(inst);
    principalOwed += inst.principal - paid.principal;
    let accrued: bigint;
    if (compareDates(inst.dueDate, asOf) <= 0) {
      accrued = inst.interest;
    } else if (!currentSeen) {
      currentSeen = true;
      const elapsed = Math.max(0, daysBetween(periodStart, asOf));
      const byRate = totalFlatInterest(input.principal, input.rate, { value: elapsed, unit: 'DAY' });
      accrued = byRate < inst.interest ? byRate : inst.interest;
    } else {
      accrued = 0n;
    }
    if (paid.interest >= accrued) prepaidInterest += paid.interest - accrued;
    else interestOwed += accrued - paid.interest;
    if (oldestLate === null && compareDates(inst.dueDate, asOf) < 0 && installmentOutstanding(inst) > 0n) oldestLate = inst.dueDate;
    if (compareDates(inst.dueDate, periodStart) > 0) periodStart = inst.dueDate;
  }
  const creditToInterest = prepaidInterest < interestOwed ? prepaidInterest : interestOwed;
  const interest = interestOwed - creditToInterest;
  const creditToPrincipal = prepaidInterest - creditToInterest;
  const principal = principalOwed > creditToPrincipal ? principalOwed - creditToPrincipal : 0n;
  const lateFees = oldestLate === null ? 0n : lateFeePerDay * BigInt(daysBetween(oldestLate, asOf));
  return { asOf, goodThrough: asOf, expiresOn: asOf, convention: input.convention, principal, interest, lateFees, total: principal + interest + lateFees, pending };
}
