/**
 * Balances and aggregates over normalized loans (pure). All amounts integer
 * rupiah; `today` is a Jakarta calendar date. An installment is overdue from
 * the day after its due date.
 */
import { daysBetween, type LocalDate } from './dates';
import { max, sum } from './money';
import { type Installment, type Loan, OWING_STATUSES } from './types';

/** Statuses whose balance is owed (money has left the lender, not all of it is back). */
const OWING = OWING_STATUSES;

/** Unpaid part of one installment (amountDue - amountPaid, never negative). */
export function installmentOutstanding(i: Installment): bigint {
  return max(0n, i.amountDue - i.amountPaid);
}

/** What the borrower still owes on a loan (principal + scheduled interest), from its schedule. 0 unless owing (ACTIVE, CLOSED_WITH_BALANCE). */
export function loanOutstanding(loan: Loan): bigint {
  if (!OWING.has(loan.status)) return 0n;
  return sum(loan.installments.map(installmentOutstanding));
}

/** Outstanding principal only: each installment's unpaid amount is applied to interest first, then principal. */
export function principalOutstanding(loan: Loan): bigint {
  if (!OWING.has(loan.status)) return 0n;
  return sum(
    loan.installments.map((i) => {
      const paidToPrincipal = max(0n, i.amountPaid - i.interest);
      return max(0n, i.principal - paidToPrincipal);
    }),
  );
}

/** Unpaid amount of installments whose due date is before `today`. */
export function overdueAmount(loan: Loan, today: LocalDate): bigint {
  if (!OWING.has(loan.status)) return 0n;
  return sum(loan.installments.filter((i) => i.dueDate < today).map(installmentOutstanding));
}

/**
 * The next installment the borrower has to pay: the earliest-due one with an
 * unpaid amount (an overdue one comes first). Null when nothing is owed.
 */
export function nextInstallment(loan: Loan): Installment | null {
  if (!OWING.has(loan.status)) return null;
  const open = loan.installments.filter((i) => installmentOutstanding(i) > 0n);
  open.sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.seq - b.seq));
  return open[0] ?? null;
}

/**
 * The next payment not yet due: the earliest installment due on or after `today` with an unpaid amount
 * (installments already late are arrears, not the next payment). Null when none is ahead or the loan is not ACTIVE.
 */
export function nextPaymentDue<I extends Installment>(loan: Loan & { readonly installments: readonly I[] }, today: LocalDate): I | null {
  if (!OWING.has(loan.status)) return null;
  let best: I | null = null;
  for (const i of loan.installments) {
    if (i.dueDate < today || installmentOutstanding(i) === 0n) continue;
    if (!best || i.dueDate < best.dueDate || (i.dueDate === best.dueDate && i.seq < best.seq)) best = i;
  }
  return best;
}

/** Days past due: Jakarta calendar days from the oldest unpaid installment's due date to `today` (0 when none is late). */
export function daysPastDue(loan: Loan, today: LocalDate): number {
  const next = nextInstallment(loan);
  if (!next || next.dueDate >= today) return 0;
  return daysBetween(next.dueDate, today);
}

/** Totals across loans of several providers. */
export interface CreditTotals {
  totalOutstanding: bigint;
  totalOverdue: bigint;
  /** The earliest next installment across loans, with its loan. */
  next: { loan: Loan; installment: Installment } | null;
}

/** Sums outstanding and overdue and picks the earliest next installment across loans. */
export function creditTotals(loans: readonly Loan[], today: LocalDate): CreditTotals {
  let next: CreditTotals['next'] = null;
  for (const loan of loans) {
    const i = nextInstallment(loan);
    if (i && (!next || i.dueDate < next.installment.dueDate)) next = { loan, installment: i };
  }
  return {
    totalOutstanding: sum(loans.map(loanOutstanding)),
    totalOverdue: sum(loans.map((l) => overdueAmount(l, today))),
    next,
  };
}
