/**
 * The repayment ledger and its reconciliation (pure).
 *
 * A repayment is PENDING from the moment the borrower pays until the bank's
 * settlement confirms it (CLEARED); each rail (BCA, Mandiri, BRI, BNI) confirms
 * on its own lag. Installment status is DERIVED here from the planned schedule
 * and the repayments, never taken on trust from a provider:
 *
 * - cleared money is allocated to installments oldest due date first (ties by seq);
 * - pending money is allocated after it, in the same order, and never counts as paid;
 * - within one installment, money pays interest first, then principal.
 *
 * Provider events arrive late, twice and out of order, so repayments are
 * deduplicated by id and states only move forward (`advanceRepayment`,
 * `advanceLoanStatus`). All amounts are integer rupiah (`bigint`).
 */
import { compareDates, jakartaDate, type LocalDate } from './dates';
import { sum } from './money';
import type { PlannedInstallment } from './schedule';
import type { BankChannel, DisbursementStatus, Installment, InstallmentStatus, LoanStatus, RepaymentStatus } from './types';

// ---------------------------------------------------------------------------
// Repayments and settlement
// ---------------------------------------------------------------------------

/** A repayment as the ledger holds it. */
export interface LedgerRepayment {
  /** Provider's (or, where the provider gives none, the connector's deterministic) transaction id; the dedupe key. */
  readonly id: string;
  /** Integer rupiah, >= 0. */
  readonly amount: bigint;
  readonly channel: BankChannel;
  /** When the borrower paid. */
  readonly paidAt: Date;
  readonly status: RepaymentState;
  /** When the bank settlement confirmed it; null until CLEARED. */
  readonly clearedAt: Date | null;
  /** What the money was sent to: virtual account number, bank account, or provider reference. */
  readonly reference: string;
}

/** A bank's confirmation that money landed (one settlement row / callback). */
export interface SettlementConfirmation {
  /** Reference the bank reports (VA number or transfer reference). */
  readonly reference: string;
  /** Integer rupiah. */
  readonly amount: bigint;
  /** Credited account (VA or account number). */
  readonly account: string;
  readonly channel: BankChannel;
  readonly settledAt: Date;
  /** The bank's own id for this settlement: the idempotency key of the confirmation. */
  readonly externalId: string;
}

/** Outcome of `matchSettlement`: exactly one repayment, several (a human decides), or none. */
export type SettlementMatch =
  | { readonly kind: 'match'; readonly match: LedgerRepayment }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly LedgerRepayment[] }
  | { readonly kind: 'none' };

/**
 * Finds the PENDING repayment a settlement confirms. A candidate is PENDING,
 * has exactly the settled amount, has a `reference` equal to the settlement's
 * `reference` or `account` (exact string comparison: normalize in the
 * connector), and a compatible channel (equal, or either side OTHER).
 * Exactly one candidate is a match; two or more are `ambiguous` (never guessed);
 * zero is `none`. Non-PENDING repayments never match, so a replayed bank
 * callback must be deduplicated by `externalId` before calling this, or it
 * would confirm a second, equal payment to the same virtual account.
 */
export function matchSettlement(pending: readonly LedgerRepayment[], s: SettlementConfirmation): SettlementMatch {
  const candidates = pending.filter(
    (r) =>
      r.status === 'PENDING' &&
      r.amount === s.amount &&
      (r.reference === s.reference || r.reference === s.account) &&
      (r.channel === s.channel || r.channel === 'OTHER' || s.channel === 'OTHER'),
  );
  if (candidates.length === 1) return { kind: 'match', match: candidates[0]! };
  if (candidates.length > 1) return { kind: 'ambiguous', candidates };
  return { kind: 'none' };
}

/**
 * True when `r` is still PENDING longer than its channel's expected settlement
 * lag: `now - paidAt > expectedLagMinutes[r.channel]` minutes (strictly).
 * Always false for CLEARED and FAILED repayments.
 * @throws RangeError when the channel's lag is missing, negative or not finite.
 */
export function settlementOverdue(r: LedgerRepayment, expectedLagMinutes: Readonly<Record<BankChannel, number>>, now: Date): boolean {
  const lag = expectedLagMinutes[r.channel];
  if (typeof lag !== 'number' || !Number.isFinite(lag) || lag < 0) throw new RangeError(`no valid settlement lag for channel ${r.channel}: ${lag}`);
  if (r.status !== 'PENDING') return false;
  return now.getTime() - r.paidAt.getTime() > lag * 60_000;
}

// ---------------------------------------------------------------------------
// Monotonic states
// ---------------------------------------------------------------------------

/** State of a repayment (same values as `RepaymentStatus`). */
export type RepaymentState = RepaymentStatus;

/**
 * Repayment states in the order they may advance: PENDING < CLEARED < FAILED.
 * FAILED is terminal: nothing moves a failed repayment, and a FAILED after a
 * CLEARED is taken as the bank reversing (returning) the transfer.
 */
export const REPAYMENT_STATE_ORDER: readonly RepaymentState[] = ['PENDING', 'CLEARED', 'FAILED'];

/**
 * The state after `incoming` arrives for a repayment in `current`: the later of
 * the two in `REPAYMENT_STATE_ORDER`, so a stale event (PENDING after CLEARED)
 * never moves it back. Commutative, associative and idempotent: any arrival
 * order of the same events ends in the same (maximal) state.
 */
export function advanceRepayment(current: RepaymentState, incoming: RepaymentState): RepaymentState {
  return REPAYMENT_STATE_ORDER.indexOf(incoming) > REPAYMENT_STATE_ORDER.indexOf(current) ? incoming : current;
}

/**
 * Our loan statuses in the order they may advance (a total order, so
 * `advanceLoanStatus` does not depend on arrival order):
 * PENDING < SIGNING < APPROVED < REJECTED < ACTIVE < CLOSED < PAID_OFF.
 * REJECTED is reachable only from the pre-ACTIVE states and no pre-ACTIVE event
 * leaves it; if a provider contradicts itself (REJECTED and ACTIVE for one loan),
 * ACTIVE wins, because money has moved. PAID_OFF outranks CLOSED: a loan closed
 * after being repaid stays PAID_OFF.
 */
export const LOAN_LIFECYCLE: readonly LoanStatus[] = ['PENDING', 'SIGNING', 'APPROVED', 'REJECTED', 'ACTIVE', 'CLOSED', 'PAID_OFF'];

/**
 * Installment statuses a provider reports by event, in the order that breaks a tie between two reports with the
 * same time (the later wins): DUE < OVERDUE < PARTIALLY_PAID < PENDING_SETTLEMENT < PAID.
 */
export const INSTALLMENT_REPORT_ORDER: readonly InstallmentStatus[] = ['DUE', 'OVERDUE', 'PARTIALLY_PAID', 'PENDING_SETTLEMENT', 'PAID'];

/** Disbursement states in the order they may advance: PENDING < COMPLETED < FAILED (a FAILED after COMPLETED is a returned transfer). */
export const DISBURSEMENT_STATE_ORDER: readonly DisbursementStatus[] = ['PENDING', 'COMPLETED', 'FAILED'];

/** The loan status after `incoming` arrives in `current`: the later of the two in `LOAN_LIFECYCLE` (never moves back). */
export function advanceLoanStatus(current: LoanStatus, incoming: LoanStatus): LoanStatus {
  return LOAN_LIFECYCLE.indexOf(incoming) > LOAN_LIFECYCLE.indexOf(current) ? incoming : current;
}

/**
 * Collapses repeated deliveries of one repayment: one entry per `id`, in order of
 * first appearance. Among copies, the one with the most advanced state wins
 * (`advanceRepayment`); among equally advanced copies, the first.
 * @throws RangeError on a negative amount.
 */
export function dedupeRepayments(repayments: readonly LedgerRepayment[]): LedgerRepayment[] {
  const byId = new Map<string, LedgerRepayment>();
  for (const r of repayments) {
    if (r.amount < 0n) throw new RangeError(`repayment ${r.id} has a negative amount ${r.amount}`);
    const seen = byId.get(r.id);
    if (!seen || advanceRepayment(seen.status, r.status) !== seen.status) byId.set(r.id, r);
  }
  return [...byId.values()];
}

// ---------------------------------------------------------------------------
// Allocation: deriving installment status
// ---------------------------------------------------------------------------

/** A derived installment with the pending (not yet cleared) money allocated to it. */
export interface LedgerInstallment extends Installment {
  /** Pending money allocated to this installment after the cleared money, integer rupiah; never counted in amountPaid. */
  readonly pendingAmount: bigint;
}

/** Result of `applySchedule`. */
export interface AppliedSchedule {
  /** The installments in due-date order (ties by seq) with derived amountPaid, pendingAmount and status. */
  readonly installments: readonly LedgerInstallment[];
  /** Cleared money received (after dedupe). */
  readonly cleared: bigint;
  /** Pending money received (after dedupe), not yet confirmed by the bank. */
  readonly pending: bigint;
  /** Cleared money beyond the schedule's total due. */
  readonly overpayment: bigint;
  /** Pending money beyond what remains unpaid after the cleared money. */
  readonly pendingExcess: bigint;
}

/** Due-date order (oldest first), ties by seq. */
function byDueDate<T extends Pick<Installment, 'dueDate' | 'seq'>>(a: T, b: T): number {
  return compareDates(a.dueDate, b.dueDate) || a.seq - b.seq;
}

/**
 * Derives each installment's cleared `amountPaid`, `pendingAmount` and status on
 * `today` from the planned schedule and the repayments.
 *
 * Repayments are first deduplicated by id (`dedupeRepayments`), so applying the
 * same repayment twice changes nothing; FAILED ones are ignored. Cleared money
 * is allocated oldest due date first; pending money after it, in the same order.
 * Status, first rule that holds:
 * PAID (amountPaid = amountDue); PENDING_SETTLEMENT (pending money covers the
 * whole unpaid rest, even when past the due date); OVERDUE (unpaid rest and
 * dueDate < today, whether or not partly paid); PARTIALLY_PAID (some cleared
 * money); DUE.
 * @throws RangeError on a negative repayment amount.
 */
export function applySchedule(planned: readonly PlannedInstallment[], repayments: readonly LedgerRepayment[], today: LocalDate): AppliedSchedule {
  const unique = dedupeRepayments(repayments);
  const cleared = sum(unique.filter((r) => r.status === 'CLEARED').map((r) => r.amount));
  const pending = sum(unique.filter((r) => r.status === 'PENDING').map((r) => r.amount));
  let clearedLeft = cleared;
  let pendingLeft = pending;
  const installments = [...planned].sort(byDueDate).map((p): LedgerInstallment => {
    const due = p.amountDue > 0n ? p.amountDue : 0n;
    const amountPaid = clearedLeft < due ? clearedLeft : due;
    clearedLeft -= amountPaid;
    const unpaid = due - amountPaid;
    const pendingAmount = pendingLeft < unpaid ? pendingLeft : unpaid;
    pendingLeft -= pendingAmount;
    let status: InstallmentStatus;
    if (unpaid === 0n) status = 'PAID';
    else if (pendingAmount === unpaid) status = 'PENDING_SETTLEMENT';
    else if (compareDates(p.dueDate, today) < 0) status = 'OVERDUE';
    else if (amountPaid > 0n) status = 'PARTIALLY_PAID';
    else status = 'DUE';
    return { seq: p.seq, dueDate: p.dueDate, principal: p.principal, interest: p.interest, amountDue: p.amountDue, amountPaid, pendingAmount, status };
  });
  return { installments, cleared, pending, overpayment: clearedLeft, pendingExcess: pendingLeft };
}

/**
 * How an installment's cleared `amountPaid` splits: interest first, then
 * principal; anything beyond principal + interest (provider fees, overpayment)
 * is `rest`.
 */
export function splitPaid(i: Pick<Installment, 'principal' | 'interest' | 'amountPaid'>): { interest: bigint; principal: bigint; rest: bigint } {
  let left = i.amountPaid > 0n ? i.amountPaid : 0n;
  const interest = left < i.interest ? left : i.interest;
  left -= interest;
  const principal = left < i.principal ? left : i.principal;
  return { interest, principal, rest: left - principal };
}

/** Outstanding balances of a loan, integer rupiah. */
export interface LoanBalances {
  /** Unpaid principal (cleared money only). */
  readonly principal: bigint;
  /** Unpaid scheduled interest (cleared money only). */
  readonly interest: bigint;
  /** Late fees owed, as given by the caller (0 unless given). */
  readonly lateFees: bigint;
  /** Money paid but not yet cleared (PENDING repayments, deduplicated); shown, not subtracted. */
  readonly pending: bigint;
  /** principal + interest + lateFees. */
  readonly total: bigint;
}

/**
 * Outstanding principal and interest from derived installments (their cleared
 * `amountPaid`, applied interest first within each installment), plus the
 * pending money of `repayments` shown separately, never subtracted.
 * @throws RangeError on negative late fees or a negative repayment amount.
 */
export function loanBalances(
  installments: readonly Pick<Installment, 'principal' | 'interest' | 'amountPaid'>[],
  repayments: readonly LedgerRepayment[],
  options: { lateFees?: bigint } = {},
): LoanBalances {
  const lateFees = options.lateFees ?? 0n;
  if (lateFees < 0n) throw new RangeError(`late fees cannot be negative: ${lateFees}`);
  let principal = 0n;
  let interest = 0n;
  for (const i of installments) {
    const paid = splitPaid(i);
    principal += i.principal - paid.principal;
    interest += i.interest - paid.interest;
  }
  const pending = sum(dedupeRepayments(repayments).filter((r) => r.status === 'PENDING').map((r) => r.amount));
  return { principal, interest, lateFees, pending, total: principal + interest + lateFees };
}

// ---------------------------------------------------------------------------
// Reconciliation
// ---------------------------------------------------------------------------

/** The loan terms a schedule must add up to. */
export interface ScheduleTerms {
  /** Amount lent, integer rupiah. */
  readonly principal: bigint;
  /** Total interest over the tenor, integer rupiah (e.g. `totalFlatInterest`). */
  readonly totalInterest: bigint;
}

/**
 * Totals a provider states beside its payment list (Dompet Kilat's repayment
 * callback: `loanAmountPaid`, `numberOfPay`, `histories`), checked against the
 * ledger's cleared repayments.
 */
export interface ProviderReportedTotals {
  /** Cumulative amount the provider says was paid, integer rupiah. */
  readonly amountPaid?: bigint;
  /** Number of payments the provider says were made. */
  readonly numberOfPay?: number;
}

/** One discrepancy found by `reconcile`; every kind has a human-readable `message`. */
export type ReconciliationIssue =
  | {
      /** The installments do not add up to the terms. */
      readonly kind: 'SCHEDULE_SUM_MISMATCH';
      readonly message: string;
      /** principal + totalInterest of the terms. */
      readonly expected: bigint;
      /** Sum of amountDue. */
      readonly actual: bigint;
      readonly principal: { readonly expected: bigint; readonly actual: bigint };
      readonly interest: { readonly expected: bigint; readonly actual: bigint };
    }
  | {
      /** One installment's principal + interest differs from its amountDue. */
      readonly kind: 'INSTALLMENT_SPLIT_MISMATCH';
      readonly message: string;
      readonly seq: number;
      /** principal + interest. */
      readonly expected: bigint;
      /** amountDue. */
      readonly actual: bigint;
    }
  | {
      /** A repayment (cleared or pending) with nothing left to pay: the schedule is empty or already covered. */
      readonly kind: 'PAYMENT_WITHOUT_INSTALLMENT';
      readonly message: string;
      readonly repaymentId: string;
      readonly amount: bigint;
      readonly status: RepaymentState;
    }
  | {
      /** Cleared money exceeds the schedule's total due. */
      readonly kind: 'OVERPAYMENT';
      readonly message: string;
      /** Total due. */
      readonly expected: bigint;
      /** Cleared money. */
      readonly actual: bigint;
      /** actual - expected. */
      readonly amount: bigint;
    }
  | {
      /**
       * The provider closed the loan (CLOSED) while cleared money does not cover the schedule (a write-off,
       * a restructuring): the unpaid amount stays owed in the view.
       */
      readonly kind: 'CLOSED_WITH_BALANCE';
      readonly message: string;
      /** Unpaid amount of the schedule (cleared money only), integer rupiah. */
      readonly amount: bigint;
    }
  | {
      /** The provider marked the loan repaid (PAID_OFF) while cleared money does not cover the schedule. */
      readonly kind: 'STATUS_WITHOUT_PAYMENT';
      readonly message: string;
      /** Unpaid amount of the schedule (cleared money only), integer rupiah. */
      readonly amount: bigint;
    }
  | {
      /**
       * The provider reports more paid on an installment (Finfra `bnpl`: PAID, or `paid_amount`) than cleared money
       * pays it: the installment keeps its unpaid amount and status derived from cleared money.
       */
      readonly kind: 'INSTALLMENT_STATUS_WITHOUT_PAYMENT';
      readonly message: string;
      readonly seq: number;
      /** What the provider counts as paid: the amount due for PAID, else its reported paid amount; integer rupiah. */
      readonly expected: bigint;
      /** What cleared money pays on the installment (`amountPaid`), integer rupiah. */
      readonly actual: bigint;
      /** expected - actual: the reported payment no cleared money backs, integer rupiah. */
      readonly amount: bigint;
    }
  | {
      /** A bank settlement names one of this loan's pending repayments but for another amount: it clears nothing. */
      readonly kind: 'SETTLEMENT_AMOUNT_MISMATCH';
      readonly message: string;
      readonly repaymentId: string;
      /** The repayment's amount. */
      readonly expected: bigint;
      /** The settlement's amount. */
      readonly actual: bigint;
    }
  | {
      /** The provider's stated totals disagree with the cleared repayments we hold. */
      readonly kind: 'PROVIDER_TOTAL_MISMATCH';
      readonly message: string;
      readonly field: 'amountPaid' | 'numberOfPay';
      /** What the provider reported. */
      readonly expected: bigint;
      /** What the ledger's cleared repayments give. */
      readonly actual: bigint;
    };

/** Kinds of `ReconciliationIssue`. */
export type ReconciliationIssueKind = ReconciliationIssue['kind'];

/**
 * Checks that the installments add up exactly to the terms: sum of principal =
 * `principal`, sum of interest = `totalInterest`, sum of amountDue = both.
 * Returns [] or one SCHEDULE_SUM_MISMATCH issue.
 */
export function validateScheduleAgainstTerms(
  planned: readonly PlannedInstallment[],
  principal: bigint,
  totalInterest: bigint,
): ReconciliationIssue[] {
  const actualPrincipal = sum(planned.map((i) => i.principal));
  const actualInterest = sum(planned.map((i) => i.interest));
  const actual = sum(planned.map((i) => i.amountDue));
  const expected = principal + totalInterest;
  if (actualPrincipal === principal && actualInterest === totalInterest && actual === expected) return [];
  return [
    {
      kind: 'SCHEDULE_SUM_MISMATCH',
      message:
        `installments sum to ${actual} (principal ${actualPrincipal}, interest ${actualInterest}); ` +
        `terms give ${expected} (principal ${principal}, interest ${totalInterest})`,
      expected,
      actual,
      principal: { expected: principal, actual: actualPrincipal },
      interest: { expected: totalInterest, actual: actualInterest },
    },
  ];
}

/** One INSTALLMENT_SPLIT_MISMATCH issue per installment whose principal + interest differs from its amountDue. */
export function validateInstallmentSplits(planned: readonly PlannedInstallment[]): ReconciliationIssue[] {
  return planned
    .filter((i) => i.principal + i.interest !== i.amountDue)
    .map((i) => ({
      kind: 'INSTALLMENT_SPLIT_MISMATCH' as const,
      message: `installment ${i.seq} (due ${i.dueDate}): principal ${i.principal} + interest ${i.interest} = ${i.principal + i.interest}, amountDue is ${i.amountDue}`,
      seq: i.seq,
      expected: i.principal + i.interest,
      actual: i.amountDue,
    }));
}

/** Orders repayments by when they were paid, then id (for a stable, replayable attribution). */
function byPaidAt(a: LedgerRepayment, b: LedgerRepayment): number {
  return a.paidAt.getTime() - b.paidAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Reconciles a planned schedule with the repayments (deduplicated by id; FAILED ignored):
 * - SCHEDULE_SUM_MISMATCH when `terms` are given and the installments do not add up to them;
 * - INSTALLMENT_SPLIT_MISMATCH per installment whose principal + interest != amountDue;
 * - PAYMENT_WITHOUT_INSTALLMENT per repayment that finds nothing left to pay:
 *   repayments are taken cleared first, then pending, each by paidAt (then id),
 *   and one whose running total before it already covers the whole schedule
 *   (always, when the schedule is empty) is reported;
 * - OVERPAYMENT when cleared money exceeds the total due;
 * - PROVIDER_TOTAL_MISMATCH when `reported` totals disagree with the cleared repayments.
 * An empty array means the ledger is consistent.
 * @throws RangeError on a negative repayment amount.
 */
export function reconcile(
  planned: readonly PlannedInstallment[],
  repayments: readonly LedgerRepayment[],
  terms?: ScheduleTerms,
  reported?: ProviderReportedTotals,
): ReconciliationIssue[] {
  const issues: ReconciliationIssue[] = [];
  if (terms) issues.push(...validateScheduleAgainstTerms(planned, terms.principal, terms.totalInterest));
  issues.push(...validateInstallmentSplits(planned));

  const unique = dedupeRepayments(repayments);
  const cleared = unique.filter((r) => r.status === 'CLEARED').sort(byPaidAt);
  const pending = unique.filter((r) => r.status === 'PENDING').sort(byPaidAt);
  const totalDue = sum(planned.map((i) => (i.amountDue > 0n ? i.amountDue : 0n)));
  let running = 0n;
  for (const r of [...cleared, ...pending]) {
    if (running >= totalDue) {
      issues.push({
        kind: 'PAYMENT_WITHOUT_INSTALLMENT',
        message:
          planned.length === 0
            ? `${r.status.toLowerCase()} repayment ${r.id} of ${r.amount} on ${jakartaDate(r.paidAt)} for a loan with no schedule`
            : `${r.status.toLowerCase()} repayment ${r.id} of ${r.amount} on ${jakartaDate(r.paidAt)} arrived after the whole schedule (${totalDue}) was covered`,
        repaymentId: r.id,
        amount: r.amount,
        status: r.status,
      });
    }
    running += r.amount;
  }

  const clearedTotal = sum(cleared.map((r) => r.amount));
  if (clearedTotal > totalDue) {
    issues.push({
      kind: 'OVERPAYMENT',
      message: `cleared repayments total ${clearedTotal}, ${clearedTotal - totalDue} more than the ${totalDue} due`,
      expected: totalDue,
      actual: clearedTotal,
      amount: clearedTotal - totalDue,
    });
  }

  if (reported?.amountPaid !== undefined && reported.amountPaid !== clearedTotal) {
    issues.push({
      kind: 'PROVIDER_TOTAL_MISMATCH',
      message: `provider reports ${reported.amountPaid} paid; cleared repayments total ${clearedTotal}`,
      field: 'amountPaid',
      expected: reported.amountPaid,
      actual: clearedTotal,
    });
  }
  if (reported?.numberOfPay !== undefined && reported.numberOfPay !== cleared.length) {
    issues.push({
      kind: 'PROVIDER_TOTAL_MISMATCH',
      message: `provider reports ${reported.numberOfPay} payments; the ledger holds ${cleared.length} cleared`,
      field: 'numberOfPay',
      expected: BigInt(reported.numberOfPay),
      actual: BigInt(cleared.length),
    });
  }
  return issues;
}

// ---------------------------------------------------------------------------
// Provider-reported installment states
// ---------------------------------------------------------------------------

/** An installment's state as the provider last reported it by event (Finfra `bnpl`). */
export interface ReportedInstallmentState {
  /** 1-based installment sequence. */
  readonly seq: number;
  readonly status: InstallmentStatus;
  /** Paid amount the provider reported, integer rupiah; null when it gave none. */
  readonly paidAmount: bigint | null;
  /** The report's time. */
  readonly reportedAt: Date;
}

/**
 * What a provider's report counts as paid on an installment: its whole amount due for PAID, else the reported
 * paid amount; null when the report claims no amount (DUE, OVERDUE, PARTIALLY_PAID without an amount).
 */
export function reportedPaid(i: Pick<Installment, 'amountDue'>, r: ReportedInstallmentState): bigint | null {
  if (r.status === 'PAID') return i.amountDue > 0n ? i.amountDue : 0n;
  return r.paidAmount;
}

/**
 * Checks provider-reported installment states against installments derived from cleared money: one
 * INSTALLMENT_STATUS_WITHOUT_PAYMENT per installment whose report counts more as paid (`reportedPaid`) than cleared
 * money pays it (`amountPaid`). A report saying less than cleared money pays raises nothing (cleared money is the
 * fact; the report may predate the payment); a report for a seq the schedule lacks is ignored.
 */
export function checkReportedInstallments(installments: readonly Installment[], reports: readonly ReportedInstallmentState[]): ReconciliationIssue[] {
  const issues: ReconciliationIssue[] = [];
  for (const r of [...reports].sort((a, b) => a.seq - b.seq)) {
    const i = installments.find((x) => x.seq === r.seq);
    if (!i) continue;
    const claimed = reportedPaid(i, r);
    if (claimed === null || claimed <= i.amountPaid) continue;
    issues.push({
      kind: 'INSTALLMENT_STATUS_WITHOUT_PAYMENT',
      message: `the provider reports installment ${r.seq} (due ${i.dueDate}) ${r.status.toLowerCase().replace('_', ' ')} with ${claimed} rupiah paid, but cleared money pays ${i.amountPaid}: ${claimed - i.amountPaid} rupiah stays owed`,
      seq: r.seq,
      expected: claimed,
      actual: i.amountPaid,
      amount: claimed - i.amountPaid,
    });
  }
  return issues;
}
