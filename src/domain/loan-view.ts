/**
 * The loan as the ledger sees it (pure): the provider's loan and schedule,
 * merged with what events told us. Repayments from the provider's read and
 * from events are merged by id with status only moving forward; a PENDING
 * repayment becomes CLEARED when a bank settlement with the same reference and
 * amount is known (in whatever order the two arrived). Installment status,
 * balances, arrears and reconciliation issues are then derived from the
 * cleared money only, pending money shown separately.
 *
 * Installment states the provider reports by event (Finfra `bnpl`) are shown beside each installment
 * (`reported`) and never pay it: where cleared money is known (`derived`), a report counting more as paid than
 * cleared money pays raises INSTALLMENT_STATUS_WITHOUT_PAYMENT and the installment keeps its unpaid amount and
 * derived status; with the cleared money the two agree. Where the installments are the provider's own (its
 * repayments not readable), reports are shown only: there is no cleared money to check them against.
 *
 * Disbursements learned from events (Dompet Kilat `/v1/loan/disburse`) are merged with the provider's
 * (`mergeDisbursements`). `conditionSince` is the Jakarta date the loan's status took effect (`conditionSince`).
 */
import { jakartaDate, type LocalDate } from './dates';
import { arrears, type Arrears } from './delinquency';
import {
  advanceLoanStatus,
  advanceRepayment,
  applySchedule,
  checkReportedInstallments,
  DISBURSEMENT_STATE_ORDER,
  type LedgerInstallment,
  type LedgerRepayment,
  type LoanBalances,
  loanBalances,
  reconcile,
  type ReconciliationIssue,
  type ReportedInstallmentState,
  settlementOverdue,
  splitPaid,
} from './ledger';
import { sum } from './money';
import { type BankChannel, type Disbursement, type Installment, type Loan, type LoanStatus, OWING_STATUSES, type Repayment } from './types';

/** A settlement confirmation as stored (SNAP payment notification). */
export interface KnownSettlement {
  readonly reference: string;
  readonly amount: bigint;
  readonly settledAt: Date;
}

/** A repayment with its ledger-derived flags. */
export interface RepaymentView extends Repayment {
  /** PENDING longer than its channel's expected settlement lag. */
  readonly settlementOverdue: boolean;
}

/** An installment of the view: derived from the ledger (or the provider's own), with the provider's last event report of it. */
export type ViewInstallment = Installment & {
  /** Pending money allocated to it, integer rupiah (derived installments only). */
  pendingAmount?: bigint;
  /** The provider's latest event report of this installment (Finfra `bnpl`); absent when none. Never counts as payment. */
  reported?: ReportedInstallmentState;
};

/** Everything the loan-level fields read. */
export interface LoanView {
  /** The loan with status merged and installments derived from the ledger. */
  readonly loan: Loan & { readonly installments: readonly ViewInstallment[] };
  readonly repayments: readonly RepaymentView[];
  readonly balances: LoanBalances;
  readonly arrears: Arrears;
  readonly issues: readonly ReconciliationIssue[];
  /** True when installment status comes from the ledger; false when it is the provider's own (repayments not readable). */
  readonly derived: boolean;
  /** Jakarta date the loan's current `status` took effect (`conditionSince`); null when nothing tells it. */
  readonly conditionSince: LocalDate | null;
  /** Disbursements of this loan learned from events (merged into `disbursements` by the reading service). */
  readonly eventDisbursements: readonly Disbursement[];
  /** How fresh the provider data behind this view is (set by the service that read it). */
  readonly freshness?: import('./freshness').Freshness;
  /** This loan's disbursements as last read (live or cached), when the consent covers them. */
  readonly disbursements?: readonly import('./types').Disbursement[];
  /** Why disbursements could not be read (consent or provider failure), when they could not. */
  readonly disbursementsFailure?: { readonly code: string; readonly message: string };
  /** Why the provider's repayments could not be read (consent or provider failure), when they could not. */
  readonly repaymentsFailure?: { readonly code: string; readonly message: string };
}

/** Inputs of `buildLoanView`. */
export interface LoanViewInput {
  readonly loan: Loan;
  /** Repayments the provider's read returned for this loan; null when they could not be read (no consent). */
  readonly providerRepayments: readonly Repayment[] | null;
  /** Repayments learned from events for this loan. */
  readonly eventRepayments: readonly Repayment[];
  /** Settlements whose reference is one of this loan's repayment ids. */
  readonly settlements: readonly KnownSettlement[];
  /** Latest status (and reported totals) the provider sent by event; `statusAt`: when that status was first reported. */
  readonly reported: { status: LoanStatus; amountPaid: bigint | null; numberOfPay: number | null; statusAt?: Date | null } | null;
  /** The provider's latest event report per installment of this loan (Finfra `bnpl`); none when absent. */
  readonly installmentReports?: readonly ReportedInstallmentState[];
  /** Disbursements of this loan learned from events (Dompet Kilat disbursement callbacks); none when absent. */
  readonly eventDisbursements?: readonly Disbursement[];
  readonly today: LocalDate;
  readonly now: Date;
  /** Expected settlement lag per channel, minutes. */
  readonly lagMinutes: Readonly<Record<BankChannel, number>>;
}

function ledgerOf(r: Repayment): LedgerRepayment {
  return { id: r.id, amount: r.amount, channel: r.channel, paidAt: r.paidAt, status: r.status, clearedAt: r.clearedAt, reference: r.id };
}

/** Merges repayments by id; status only moves forward, the first clearing time wins. */
export function mergeRepayments(...lists: readonly (readonly Repayment[])[]): Repayment[] {
  const byId = new Map<string, Repayment>();
  for (const r of lists.flat()) {
    const cur = byId.get(r.id);
    if (!cur) {
      byId.set(r.id, r);
      continue;
    }
    const status = advanceRepayment(cur.status, r.status);
    byId.set(r.id, { ...cur, status, clearedAt: cur.clearedAt ?? r.clearedAt });
  }
  return [...byId.values()].sort((a, b) => b.paidAt.getTime() - a.paidAt.getTime());
}

/** Clears a PENDING repayment that a settlement confirms (same reference and amount). */
export function applySettlements(repayments: readonly Repayment[], settlements: readonly KnownSettlement[]): Repayment[] {
  return repayments.map((r) => {
    if (r.status !== 'PENDING') return r;
    const s = settlements.find((x) => x.reference === r.id && x.amount === r.amount);
    return s ? { ...r, status: 'CLEARED', clearedAt: s.settledAt } : r;
  });
}

/**
 * Merges disbursements by id (the provider's read first, then events): the first copy's amount, rail and time
 * are kept, its status only moves forward (PENDING < COMPLETED < FAILED), a missing time is taken from a later
 * copy. Newest first by `disbursedAt` (unknown times last), then id.
 */
export function mergeDisbursements(...lists: readonly (readonly Disbursement[])[]): Disbursement[] {
  const byId = new Map<string, Disbursement>();
  for (const d of lists.flat()) {
    const cur = byId.get(d.id);
    if (!cur) {
      byId.set(d.id, d);
      continue;
    }
    const status = DISBURSEMENT_STATE_ORDER.indexOf(d.status) > DISBURSEMENT_STATE_ORDER.indexOf(cur.status) ? d.status : cur.status;
    byId.set(d.id, { ...cur, status, disbursedAt: cur.disbursedAt ?? d.disbursedAt });
  }
  return [...byId.values()].sort((a, b) => (b.disbursedAt?.getTime() ?? -Infinity) - (a.disbursedAt?.getTime() ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The Jakarta date the loan's current status took effect (SLIK's tanggal kondisi), first rule that gives one:
 * 1. the provider's own date for the status: ACTIVE -> `disbursedOn` (Cairin disbursement `ts`, Finfra
 *    `disbursed_at`, Dompet Kilat `contractDate`); PENDING -> `originatedOn`;
 * 2. PAID_OFF from cleared money (`derived`, nothing owed): the payment date (`paidAt`) of the cleared repayment
 *    that completed the schedule (cleared repayments by payment time);
 * 3. the event that reported the status (`LedgerLoanState.statusAt`, the callback's receipt time), when the
 *    event-reported status is the provider status shown (for CLOSED_WITH_BALANCE: the CLOSED or PAID_OFF the
 *    provider reported);
 * 4. null: the provider's read gives no date for the status and no event reported it (e.g. a loan read CLOSED,
 *    REJECTED or SIGNING, whose lists carry no status time).
 */
export function conditionSince(
  status: LoanStatus,
  providerStatus: LoanStatus,
  loan: Pick<Loan, 'disbursedOn' | 'originatedOn'>,
  coveredAt: Date | null,
  reported: LoanViewInput['reported'],
): LocalDate | null {
  if (status === 'ACTIVE' && loan.disbursedOn) return loan.disbursedOn;
  if (status === 'PENDING' && loan.originatedOn) return loan.originatedOn;
  if (status === 'PAID_OFF' && coveredAt) return jakartaDate(coveredAt);
  if (reported?.statusAt && reported.status === providerStatus) return jakartaDate(reported.statusAt);
  return null;
}

/** When cleared repayments (by payment time, then id) first cover `totalDue`: that repayment's `paidAt`; null if they never do or nothing is due. */
function coveredAt(ledger: readonly LedgerRepayment[], totalDue: bigint): Date | null {
  if (totalDue <= 0n) return null;
  let running = 0n;
  const cleared = ledger.filter((r) => r.status === 'CLEARED').sort((a, b) => a.paidAt.getTime() - b.paidAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const r of cleared) {
    running += r.amount;
    if (running >= totalDue) return r.paidAt;
  }
  return null;
}

/** Builds the ledger view of one loan. */
export function buildLoanView(i: LoanViewInput): LoanView {
  const planned = i.loan.installments.map((x) => ({ seq: x.seq, dueDate: x.dueDate, principal: x.principal, interest: x.interest, amountDue: x.amountDue }));
  const derived = i.providerRepayments !== null || i.loan.scheduleSource === 'RECONSTRUCTED';
  const merged = applySettlements(mergeRepayments(i.providerRepayments ?? [], i.eventRepayments), i.settlements);
  const ledger = merged.map(ledgerOf);

  let installments: readonly ViewInstallment[] = i.loan.installments;
  if (derived) installments = applySchedule(planned, ledger, i.today).installments.slice().sort((a, b) => a.seq - b.seq) as LedgerInstallment[];
  const reports = i.installmentReports ?? [];
  if (reports.length) {
    const bySeq = new Map(reports.map((r) => [r.seq, r]));
    installments = installments.map((x) => {
      const r = bySeq.get(x.seq);
      return r ? { ...x, reported: r } : x;
    });
  }

  let status = i.loan.status;
  if (i.reported) status = advanceLoanStatus(status, i.reported.status);
  const providerStatus = status;
  const owed = sum(installments.map((x) => x.amountDue - x.amountPaid));
  if (derived && status === 'ACTIVE' && installments.length > 0 && owed === 0n) status = 'PAID_OFF';

  // Only cleared money makes a loan paid: a provider's CLOSED or PAID_OFF over an unpaid schedule keeps the debt.
  let closedIssue: ReconciliationIssue | null = null;
  if ((status === 'CLOSED' || status === 'PAID_OFF') && installments.length > 0 && owed > 0n) {
    closedIssue =
      status === 'CLOSED'
        ? { kind: 'CLOSED_WITH_BALANCE', message: `the provider closed the loan with ${owed} rupiah of its schedule unpaid by cleared money`, amount: owed }
        : { kind: 'STATUS_WITHOUT_PAYMENT', message: `the provider marked the loan repaid, but cleared money leaves ${owed} rupiah of its schedule unpaid`, amount: owed };
    status = 'CLOSED_WITH_BALANCE';
  }

  const loan = { ...i.loan, status, installments };
  const issues = reconcile(
    planned,
    ledger,
    // Terms are checked once a schedule exists (pending and rejected loans have none yet).
    planned.length > 0 ? { principal: i.loan.principal, totalInterest: sum(planned.map((p) => p.interest)) } : undefined,
    i.reported && (i.reported.amountPaid !== null || i.reported.numberOfPay !== null)
      ? { amountPaid: i.reported.amountPaid ?? undefined, numberOfPay: i.reported.numberOfPay ?? undefined }
      : undefined,
  );
  if (closedIssue) issues.push(closedIssue);
  // A provider's installment report without the cleared money behind it is flagged, never taken as payment.
  if (derived && reports.length) issues.push(...checkReportedInstallments(installments, reports));
  // A settlement naming a repayment still pending after matching, for another amount, cleared nothing: say so.
  for (const r of merged) {
    if (r.status !== 'PENDING') continue;
    for (const st of i.settlements) {
      if (st.reference !== r.id || st.amount === r.amount) continue;
      issues.push({
        kind: 'SETTLEMENT_AMOUNT_MISMATCH',
        message: `a bank settlement of ${st.amount} rupiah names repayment ${r.id} of ${r.amount} rupiah: it does not clear it`,
        repaymentId: r.id,
        expected: r.amount,
        actual: st.amount,
      });
    }
  }
  const repayments = merged.map((r) => ({ ...r, settlementOverdue: settlementOverdue(ledgerOf(r), i.lagMinutes, i.now) }));
  const balances = OWING_STATUSES.has(status) ? loanBalances(installments, derived ? ledger : []) : { principal: 0n, interest: 0n, lateFees: 0n, pending: 0n, total: 0n };
  const since = conditionSince(status, providerStatus, i.loan, status === 'PAID_OFF' && derived && owed === 0n ? coveredAt(ledger, sum(planned.map((p) => (p.amountDue > 0n ? p.amountDue : 0n)))) : null, i.reported);
  return { loan, repayments, balances, arrears: arrears(loan, i.today), issues, derived, conditionSince: since, eventDisbursements: i.eventDisbursements ?? [] };
}


/** The last cleared payment of a loan (Plaid Liabilities `last_payment_amount` / `last_payment_date`). */
export interface LastPayment {
  /** Integer rupiah. */
  readonly amount: bigint;
  /** Jakarta date the borrower paid (`paidAt`). */
  readonly date: LocalDate;
}

/**
 * The loan's latest cleared repayment by payment time; null when none has cleared (pending money is not a
 * payment yet). Reads `view.repayments`: the caller checks the REPAYMENTS consent.
 */
export function lastPayment(view: LoanView): LastPayment | null {
  let last: RepaymentView | null = null;
  for (const r of view.repayments) if (r.status === 'CLEARED' && (!last || r.paidAt > last.paidAt)) last = r;
  return last ? { amount: last.amount, date: jakartaDate(last.paidAt) } : null;
}

/** Principal and interest paid in one Jakarta calendar year, integer rupiah (Plaid `ytd_principal_paid` / `ytd_interest_paid`). */
export interface PaidInYear {
  readonly year: number;
  readonly principal: bigint;
  readonly interest: bigint;
}

/**
 * Principal and interest that cleared money paid in the Jakarta calendar year of `today`, by the date the
 * borrower paid. Cleared money is applied oldest installment first and interest first within each installment
 * (`applySchedule`, `splitPaid`), so the year's share is what the money paid up to 31 December pays minus what
 * the money paid before 1 January pays. Null when the view's installments are the provider's own (repayments not readable).
 */
export function paidInYear(view: LoanView, today: LocalDate): PaidInYear | null {
  if (!view.derived) return null;
  const year = Number(today.slice(0, 4));
  const yearStart = `${today.slice(0, 4)}-01-01`;
  const planned = view.loan.installments.map((x) => ({ seq: x.seq, dueDate: x.dueDate, principal: x.principal, interest: x.interest, amountDue: x.amountDue }));
  const cleared = view.repayments.filter((r) => r.status === 'CLEARED').map(ledgerOf);
  const split = (list: LedgerRepayment[]) => {
    let principal = 0n;
    let interest = 0n;
    for (const i of applySchedule(planned, list, today).installments) {
      const p = splitPaid(i);
      principal += p.principal;
      interest += p.interest;
    }
    return { principal, interest };
  };
  const nextYearStart = `${year + 1}-01-01`;
  const all = split(cleared.filter((r) => jakartaDate(r.paidAt) < nextYearStart));
  const before = split(cleared.filter((r) => jakartaDate(r.paidAt) < yearStart));
  return { year, principal: all.principal - before.principal, interest: all.interest - before.interest };
}
