/**
 * Freshness policy (pure). Repayment state moves on two clocks, the due-date
 * calendar and bank settlement, so a cached copy is short-lived near an
 * installment's due date and while a repayment is pending, and long-lived
 * between due dates.
 */
import { addDays, type LocalDate } from './dates';
import type { Loan, Repayment } from './types';

/** Policy windows (configuration; defaults in DEFAULT_FRESHNESS). */
export interface FreshnessPolicy {
  /** Cache lifetime near a due date or while a repayment is pending, seconds. */
  nearDueTtlSeconds: number;
  /** Cache lifetime between due dates, seconds. */
  ttlSeconds: number;
  /** Days before a due date the short lifetime starts. */
  daysBeforeDue: number;
  /** Days after a due date it lasts (an unpaid installment is then overdue). */
  daysAfterDue: number;
}

/** Documented defaults: 5 minutes near due dates / pending repayments, 6 hours otherwise; window 2 days before to 1 day after. */
export const DEFAULT_FRESHNESS: FreshnessPolicy = { nearDueTtlSeconds: 300, ttlSeconds: 6 * 3600, daysBeforeDue: 2, daysAfterDue: 1 };

/** Where the data of an answer came from. */
export type FreshnessSource = 'LIVE' | 'CACHE' | 'WEBHOOK';

/** Freshness of a provider's part of an answer. */
export interface Freshness {
  readonly fetchedAt: Date;
  readonly ageSeconds: number;
  readonly source: FreshnessSource;
  /** Served although older than the policy or the client's max age (the provider could not answer). */
  readonly stale: boolean;
}

/** Whether an account's data is in a window where status is expected to flip. */
export function nearDue(loans: readonly Loan[], repayments: readonly Repayment[] | null, today: LocalDate, p: FreshnessPolicy): boolean {
  if (repayments?.some((r) => r.status === 'PENDING')) return true;
  const from = addDays(today, -p.daysAfterDue);
  const to = addDays(today, p.daysBeforeDue);
  return loans.some((l) => l.installments.some((i) => i.amountPaid < i.amountDue && i.dueDate >= from && i.dueDate <= to));
}

/** Lifetime of a cached copy, seconds. */
export function ttlSeconds(loans: readonly Loan[], repayments: readonly Repayment[] | null, today: LocalDate, p: FreshnessPolicy): number {
  return nearDue(loans, repayments, today, p) ? p.nearDueTtlSeconds : p.ttlSeconds;
}

type Json = Record<string, unknown>;
const big = (v: unknown): bigint => BigInt(v as string);
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

/** A LOANS snapshot: the account's loans and the credit limit the provider grants it (null: none given). */
export interface LoanList {
  readonly loans: Loan[];
  /** Integer rupiah. */
  readonly creditLimit: bigint | null;
}

/**
 * The LOANS snapshot payload of a read (what `reviveLoanList` reads back). Each loan is stored whole, its masked
 * `repaymentAccount` included (the API shows it behind REPAYMENTS).
 */
export function loanListPayload(list: LoanList): { loans: readonly Loan[]; creditLimit: bigint | null } {
  return { loans: list.loans, creditLimit: list.creditLimit };
}

/**
 * A LOANS snapshot payload: `{ loans, creditLimit }`, or (snapshots written before credit limits were read) the
 * array of loans alone, whose credit limit is then unknown (null).
 */
export function reviveLoanList(payload: unknown): LoanList {
  if (Array.isArray(payload)) return { loans: reviveLoans(payload), creditLimit: null };
  const p = payload as { loans: unknown; creditLimit?: string | null };
  return { loans: reviveLoans(p.loans), creditLimit: p.creditLimit === undefined || p.creditLimit === null ? null : BigInt(p.creditLimit) };
}

/**
 * Loans from a snapshot payload (bigint amounts were stored as decimal strings). A loan's `repaymentAccount` is
 * plain strings and passes through as stored (its number was masked before it was ever stored); payloads written
 * before it was read lack it, and the loan then has none (undefined, read as null).
 */
export function reviveLoans(payload: unknown): Loan[] {
  return (payload as Json[]).map((l) => {
    const rate = l.rate as { rate: { num: string; den: string }; period: string } | null;
    return {
      ...(l as unknown as Loan),
      principal: big(l.principal),
      rate: rate ? { rate: { num: big(rate.rate.num), den: big(rate.rate.den) }, period: rate.period as 'DAY' | 'MONTH' | 'YEAR' } : null,
      installments: (l.installments as Json[]).map((i) => ({
        ...(i as unknown as Loan['installments'][number]),
        principal: big(i.principal),
        interest: big(i.interest),
        amountDue: big(i.amountDue),
        amountPaid: big(i.amountPaid),
      })),
    };
  });
}

/** Disbursements from a snapshot payload. */
export function reviveDisbursements(payload: unknown): import('./types').Disbursement[] {
  return (payload as Json[]).map((d) => ({ ...(d as unknown as import('./types').Disbursement), amount: big(d.amount), disbursedAt: date(d.disbursedAt) }));
}

/** Repayments from a snapshot payload. */
export function reviveRepayments(payload: unknown): Repayment[] {
  return (payload as Json[]).map((r) => ({ ...(r as unknown as Repayment), amount: big(r.amount), paidAt: date(r.paidAt)!, clearedAt: date(r.clearedAt) }));
}
