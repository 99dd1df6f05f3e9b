/**
 * Cairin wire -> domain. Pure functions.
 * Unpaid installments may carry only `amountDue` (the brief's seq 2); their
 * principal/interest split is then taken from Cairin's own schedule convention
 * (`cairinSchedule`) when that reproduces `amountDue`, else the interest share
 * is the convention's and principal the rest.
 */
import { addDays, jakartaDate, parseInstant } from '../../domain/dates';
import type { FundingPosition, FundingStatus } from '../../domain/funding';
import { formatPercent, percent } from '../../domain/money';
import { cairinSchedule } from '../../domain/schedule';
import type { Disbursement, Installment, InstallmentStatus, Loan, LoanStatus, Repayment } from '../../domain/types';
import type { CairinFundingPortfolio, CairinHistory, CairinLoanDetail } from './wire';

/** Cairin loan status -> ours. */
export const LOAN_STATUS: Record<CairinLoanDetail['status'], LoanStatus> = {
  pending_disbursement: 'APPROVED',
  active: 'ACTIVE',
  paid_off: 'PAID_OFF',
  rejected: 'REJECTED',
};

const INSTALLMENT_STATUS: Record<NonNullable<CairinLoanDetail['installments']>[number]['status'], InstallmentStatus> = {
  paid: 'PAID',
  partial: 'PARTIALLY_PAID',
  due: 'DUE',
  overdue: 'OVERDUE',
  pending: 'PENDING_SETTLEMENT',
};

/** POST /mobile/loan/detail -> Loan. */
export function toLoan(w: CairinLoanDetail, accountId: string, appliedAt?: string): Loan {
  const rate = percent(String(w.annualRatePct));
  const wire = [...(w.installments ?? [])].sort((a, b) => a.seq - b.seq);
  const disbursedOn = w.disbursement?.ts ? jakartaDate(parseInstant(w.disbursement.ts)) : null;
  const start = disbursedOn ?? (wire[0] ? addDays(wire[0].dueDate, -30) : null);
  const planned = start ? cairinSchedule(BigInt(w.principal), rate, w.tenorDays, start) : [];
  const installments: Installment[] = wire.map((i) => {
    const amountDue = BigInt(i.amountDue);
    const plan = planned[i.seq - 1];
    let principal = i.principal !== undefined ? BigInt(i.principal) : undefined;
    let interest = i.interest !== undefined ? BigInt(i.interest) : undefined;
    if (principal === undefined || interest === undefined) {
      if (plan && plan.amountDue === amountDue) {
        principal ??= plan.principal;
        interest ??= plan.interest;
      } else {
        interest ??= plan ? (plan.interest < amountDue ? plan.interest : amountDue) : 0n;
        principal ??= amountDue - interest;
      }
    }
    const status = INSTALLMENT_STATUS[i.status];
    const amountPaid = i.amountPaid !== undefined ? BigInt(i.amountPaid) : status === 'PAID' ? amountDue : 0n;
    return { seq: i.seq, dueDate: i.dueDate, principal, interest, amountDue, amountPaid, status };
  });
  return {
    provider: 'CAIRIN',
    accountId,
    providerLoanId: w.loanId,
    type: installments.length === 1 ? 'SINGLE_PAYMENT' : 'INSTALLMENT',
    status: LOAN_STATUS[w.status],
    principal: BigInt(w.principal),
    rate: { rate, period: 'YEAR' },
    tenor: { value: w.tenorDays, unit: 'DAY' },
    frequency: installments.length > 1 ? 'MONTHLY' : null,
    disbursedOn,
    maturityDate: installments.at(-1)?.dueDate ?? null,
    originatedOn: appliedAt ? jakartaDate(parseInstant(appliedAt)) : null,
    installments,
    scheduleSource: 'PROVIDER',
  };
}

type Txn = CairinHistory['transactions'][number];

/** History rows of type repayment -> Repayments. */
export function toRepayments(rows: readonly Txn[]): Repayment[] {
  return rows
    .filter((t) => t.type === 'repayment')
    .map((t) => ({
      id: t.txnId,
      providerLoanId: t.loanId,
      amount: BigInt(t.amount),
      channel: t.bank,
      status: t.status === 'cleared' ? 'CLEARED' : t.status === 'failed' ? 'FAILED' : 'PENDING',
      paidAt: parseInstant(t.ts),
      clearedAt: t.clearedAt ? parseInstant(t.clearedAt) : null,
    }));
}

/** History rows of type disbursement -> Disbursements. */
export function toDisbursements(rows: readonly Txn[]): Disbursement[] {
  return rows
    .filter((t) => t.type === 'disbursement')
    .map((t) => ({
      id: t.txnId,
      providerLoanId: t.loanId,
      amount: BigInt(t.amount),
      channel: t.bank,
      status: t.status === 'cleared' ? 'COMPLETED' : t.status === 'failed' ? 'FAILED' : 'PENDING',
      disbursedAt: parseInstant(t.ts),
    }));
}

const FUNDING_STATUS: Record<CairinFundingPortfolio['positions'][number]['status'], FundingStatus> = {
  pending_allocation: 'PENDING',
  active: 'ACTIVE',
  matured: 'MATURED',
  cancelled: 'CANCELLED',
};

/**
 * GET /mobile/funding/portfolio -> FundingPositions, in Cairin's order. The rate (`annualBenefitPct`, a JSON
 * number) is read through its decimal text into an exact percentage string ("10.5"), never float arithmetic.
 * @throws RangeError when a rate is not a plain decimal (the wire schema refuses those first).
 */
export function toFundingPositions(w: CairinFundingPortfolio): FundingPosition[] {
  return w.positions.map((p) => ({
    provider: 'CAIRIN',
    positionId: p.fundingId,
    amount: BigInt(p.amount),
    startedOn: p.startDate,
    tenorDays: p.tenorDays,
    maturesOn: p.maturityDate,
    annualRatePercent: formatPercent(percent(String(p.annualBenefitPct))),
    accruedBenefit: BigInt(p.accruedBenefit),
    status: FUNDING_STATUS[p.status],
  }));
}
