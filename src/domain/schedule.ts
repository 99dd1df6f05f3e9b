/**
 * Installment math (pure). Flat-rate schedules as the providers describe them:
 * interest is charged on the original principal for every period; each
 * installment carries an equal share of principal and interest in integer
 * rupiah, and the rounding remainder goes on the last installment, so the
 * installments always sum to principal + total interest exactly.
 */
import { addDays, addMonths, type LocalDate } from './dates';
import { divRound, type Rate } from './money';
import type { Frequency, Installment, InterestRate, Tenor } from './types';

/** A scheduled installment before any payment is applied. */
export type PlannedInstallment = Pick<Installment, 'seq' | 'dueDate' | 'principal' | 'interest' | 'amountDue'>;

/**
 * Splits `total` into `n` integer parts, equal but for the remainder, which the last part carries.
 * @throws RangeError when n < 1 or total < 0.
 */
export function splitEvenly(total: bigint, n: number): bigint[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot split into ${n} parts`);
  if (total < 0n) throw new RangeError('cannot split a negative amount');
  const each = total / BigInt(n);
  const parts = Array.from({ length: n }, () => each);
  parts[n - 1] = total - each * BigInt(n - 1);
  return parts;
}

/**
 * Flat interest for `principal` at `rate` (a fraction per `rate.period`) over a
 * time expressed as a fraction `periodsNum/periodsDen` of that period, rounded half up to the rupiah.
 */
export function flatInterest(principal: bigint, rate: Rate, periodsNum: bigint, periodsDen = 1n): bigint {
  return divRound(principal * rate.num * periodsNum, rate.den * periodsDen);
}

/**
 * Total flat interest over a tenor, converting the rate's period to the tenor's
 * unit by the day-count convention all three providers use for flat loans:
 * a month is 30 days, a year is 12 months (360 days), a week is 7 days.
 */
export function totalFlatInterest(principal: bigint, rate: InterestRate, tenor: Tenor): bigint {
  const tenorDays = BigInt(tenorInDays(tenor));
  const periodDays = rate.period === 'DAY' ? 1n : rate.period === 'MONTH' ? 30n : 360n;
  return flatInterest(principal, rate.rate, tenorDays, periodDays);
}

/** A tenor's length in days under the 30-day month convention. */
export function tenorInDays(tenor: Tenor): number {
  return tenor.unit === 'DAY' ? tenor.value : tenor.unit === 'WEEK' ? tenor.value * 7 : tenor.value * 30;
}

/**
 * Builds a flat schedule: principal and interest each split evenly over the due dates.
 * @throws RangeError when no due dates are given or amounts are negative.
 */
export function flatSchedule(principal: bigint, totalInterest: bigint, dueDates: readonly LocalDate[]): PlannedInstallment[] {
  const n = dueDates.length;
  const p = splitEvenly(principal, n);
  const i = splitEvenly(totalInterest, n);
  return dueDates.map((dueDate, k) => ({
    seq: k + 1,
    dueDate,
    principal: p[k]!,
    interest: i[k]!,
    amountDue: p[k]! + i[k]!,
  }));
}

/** Due dates of `n` installments every `frequency` from `start` (exclusive). Monthly steps use calendar months. */
export function dueDatesEvery(start: LocalDate, frequency: Frequency, n: number): LocalDate[] {
  return Array.from({ length: n }, (_, k) =>
    frequency === 'MONTHLY' ? addMonths(start, k + 1) : addDays(start, (k + 1) * (frequency === 'WEEKLY' ? 7 : 14)),
  );
}

/**
 * Cairin's schedule convention (brief: 1,000,000 over 120 days at 24% a year ->
 * 4 installments of 250,000 + 20,000): one installment per full 30 days of tenor
 * (at least one), due every 30 days from disbursement, the last on the tenor's
 * final day; flat interest at annualRate/12 per installment.
 */
export function cairinSchedule(principal: bigint, annualRate: Rate, tenorDays: number, disbursedOn: LocalDate): PlannedInstallment[] {
  const n = Math.max(1, Math.floor(tenorDays / 30));
  const dueDates = Array.from({ length: n }, (_, k) => addDays(disbursedOn, k === n - 1 ? tenorDays : (k + 1) * 30));
  const interest = flatInterest(principal, annualRate, BigInt(n), 12n);
  return flatSchedule(principal, interest, dueDates);
}

/** A single-payment (bullet) loan: principal plus all interest due at maturity. */
export function bulletSchedule(principal: bigint, totalInterest: bigint, maturity: LocalDate): PlannedInstallment[] {
  return flatSchedule(principal, totalInterest, [maturity]);
}

/**
 * Reconstructs a schedule from loan terms only (Dompet Kilat gives `tenor`,
 * `unit`, `amount` and a monthly `interest`): MONTH tenors pay monthly, DAY and
 * WEEK tenors are a single payment at the end.
 */
export function scheduleFromTerms(principal: bigint, rate: InterestRate, tenor: Tenor, start: LocalDate): PlannedInstallment[] {
  const interest = totalFlatInterest(principal, rate, tenor);
  if (tenor.unit === 'MONTH') return flatSchedule(principal, interest, dueDatesEvery(start, 'MONTHLY', tenor.value));
  const end = addDays(start, tenorInDays(tenor));
  return bulletSchedule(principal, interest, end);
}
