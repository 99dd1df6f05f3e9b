/**
 * Arrears in OJK's terms (pure). POJK 10/2022 on LPBBTI (P2P lending) grades
 * a loan's quality by how many days its oldest unpaid installment is late,
 * and measures a book's health by TWP90: the share of outstanding that is
 * more than 90 days late. Days past due come from `credit.ts` (Jakarta
 * calendar days from the oldest unpaid installment's due date), so an
 * installment counts as late from 00:00 WIB the day after its due date, and
 * only cleared money (`amountPaid`) reduces arrears.
 */
import { daysPastDue, installmentOutstanding, loanOutstanding } from './credit';
import { splitPaid } from './ledger';
import { daysBetween, type LocalDate } from './dates';
import type { Rate } from './money';
import { type Loan, OWING_STATUSES } from './types';

/**
 * OJK quality class of a loan, best to worst:
 * LANCAR (current, 0 days late), DALAM_PERHATIAN_KHUSUS (special mention, 1-30),
 * KURANG_LANCAR (substandard, 31-60), DIRAGUKAN (doubtful, 61-90), MACET (loss, more than 90).
 */
export type QualityClass = 'LANCAR' | 'DALAM_PERHATIAN_KHUSUS' | 'KURANG_LANCAR' | 'DIRAGUKAN' | 'MACET';

/** Every quality class, ordered best (index 0) to worst. */
export const QUALITY_CLASSES: readonly QualityClass[] = ['LANCAR', 'DALAM_PERHATIAN_KHUSUS', 'KURANG_LANCAR', 'DIRAGUKAN', 'MACET'];

/**
 * Quality class for a number of days past due: 0 LANCAR, 1-30 DALAM_PERHATIAN_KHUSUS,
 * 31-60 KURANG_LANCAR, 61-90 DIRAGUKAN, 91 and more MACET.
 * @throws RangeError when `dpd` is negative or not an integer.
 */
export function qualityClass(dpd: number): QualityClass {
  if (!Number.isInteger(dpd) || dpd < 0) throw new RangeError(`days past due must be a non-negative integer, got ${dpd}`);
  if (dpd === 0) return 'LANCAR';
  if (dpd <= 30) return 'DALAM_PERHATIAN_KHUSUS';
  if (dpd <= 60) return 'KURANG_LANCAR';
  if (dpd <= 90) return 'DIRAGUKAN';
  return 'MACET';
}

/**
 * OJK collectibility (kolektibilitas, as SLIK reports it) of a quality class: 1 LANCAR, 2 DALAM_PERHATIAN_KHUSUS,
 * 3 KURANG_LANCAR, 4 DIRAGUKAN, 5 MACET.
 */
export function collectibility(c: QualityClass): 1 | 2 | 3 | 4 | 5 {
  return (QUALITY_CLASSES.indexOf(c) + 1) as 1 | 2 | 3 | 4 | 5;
}

/** Orders classes best first: negative when `a` is better than `b`, 0 when equal. */
export function compareQualityClass(a: QualityClass, b: QualityClass): number {
  return QUALITY_CLASSES.indexOf(a) - QUALITY_CLASSES.indexOf(b);
}

/**
 * The worst class among `classes` (a borrower is graded by their worst loan).
 * LANCAR when there are none: no loans, no arrears.
 */
export function worstClass(classes: Iterable<QualityClass>): QualityClass {
  let worst: QualityClass = 'LANCAR';
  for (const c of classes) if (compareQualityClass(c, worst) > 0) worst = c;
  return worst;
}

/** A loan's arrears as of a Jakarta date. */
export interface Arrears {
  /** Days past due of the oldest unpaid installment (0 when none is late). */
  readonly dpd: number;
  readonly class: QualityClass;
  /** Unpaid amount of installments due before `today`, integer rupiah (= principal + interest + any fee part of amountDue). */
  readonly overdueAmount: bigint;
  /** Of `overdueAmount`, unpaid principal (cleared money applied interest first within each installment), integer rupiah. */
  readonly principal: bigint;
  /** Of `overdueAmount`, unpaid scheduled interest, integer rupiah. */
  readonly interest: bigint;
  /** Due date of the oldest installment unpaid past its due date; null when none is late. */
  readonly oldestDueDate: LocalDate | null;
}

/**
 * Days past due, quality class and the overdue amount split into principal and interest, of one loan on
 * `today` (all zero/LANCAR unless the loan owes: ACTIVE or CLOSED_WITH_BALANCE). An installment is late from the day after its due date.
 */
export function arrears(loan: Loan, today: LocalDate): Arrears {
  // One pass over the installments (this runs for every loan of every view): the late ones, their unpaid
  // parts, and the oldest due date, from which the days past due follow (credit.ts `daysPastDue`).
  let overdueAmount = 0n;
  let principal = 0n;
  let interest = 0n;
  let oldestDueDate: LocalDate | null = null;
  if (OWING_STATUSES.has(loan.status)) {
    for (const i of loan.installments) {
      if (i.dueDate >= today) continue;
      const unpaid = installmentOutstanding(i);
      if (unpaid === 0n) continue;
      const paid = splitPaid(i);
      overdueAmount += unpaid;
      principal += i.principal - paid.principal;
      interest += i.interest - paid.interest;
      if (oldestDueDate === null || i.dueDate < oldestDueDate) oldestDueDate = i.dueDate;
    }
  }
  const dpd = oldestDueDate === null ? 0 : daysBetween(oldestDueDate, today);
  return { dpd, class: qualityClass(dpd), overdueAmount, principal, interest, oldestDueDate };
}

/** Arrears added up over several loans: amounts summed, the oldest due date and the largest DPD (with its class). */
export function totalArrears(list: Iterable<Arrears>): Arrears {
  let dpd = 0;
  let overdue = 0n;
  let principal = 0n;
  let interest = 0n;
  let oldestDueDate: LocalDate | null = null;
  for (const a of list) {
    if (a.dpd > dpd) dpd = a.dpd;
    overdue += a.overdueAmount;
    principal += a.principal;
    interest += a.interest;
    if (a.oldestDueDate !== null && (oldestDueDate === null || a.oldestDueDate < oldestDueDate)) oldestDueDate = a.oldestDueDate;
  }
  return { dpd, class: qualityClass(dpd), overdueAmount: overdue, principal, interest, oldestDueDate };
}

/** TWP90 (tingkat wanprestasi 90 hari) of a set of loans. */
export interface Twp90 {
  /** Outstanding (integer rupiah) of loans more than 90 days past due, i.e. in class MACET. */
  readonly outstandingOver90: bigint;
  /** Outstanding (integer rupiah) of all the loans. */
  readonly totalOutstanding: bigint;
  /**
   * outstandingOver90 / totalOutstanding as an exact, unreduced fraction of 1
   * (`formatPercent` from money.ts prints it as a percentage); null when nothing is outstanding.
   */
  readonly share: Rate | null;
}

/**
 * TWP90 on `today`: the whole outstanding of every loan whose DPD is above 90,
 * over the outstanding of all loans. Outstanding is `loanOutstanding` (unpaid
 * scheduled principal + interest of ACTIVE loans; cleared money only).
 */
export function twp90(loans: readonly Loan[], today: LocalDate): Twp90 {
  let outstandingOver90 = 0n;
  let totalOutstanding = 0n;
  for (const loan of loans) {
    const outstanding = loanOutstanding(loan);
    totalOutstanding += outstanding;
    if (daysPastDue(loan, today) > 90) outstandingOver90 += outstanding;
  }
  return {
    outstandingOver90,
    totalOutstanding,
    share: totalOutstanding === 0n ? null : { num: outstandingOver90, den: totalOutstanding },
  };
}
