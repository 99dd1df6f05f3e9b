/** Finfra wire -> domain. Pure functions. */
import { jakartaDate, parseInstant } from '../../domain/dates';
import { percent } from '../../domain/money';
import {
  type BankChannel,
  bankChannel,
  Disbursement,
  InstallmentStatus,
  Loan,
  LoanStatus,
  ProviderBorrower,
  Repayment,
  Tenor,
} from '../../domain/types';
import type { CreditScoreSource } from '../../domain/credit-score';
import type { CreditScoreEvent } from '../../domain/events';
import type { FinfraBorrower, FinfraCreditScoreData, FinfraLoanDetails } from './wire';

/** Finfra loan status -> ours. Finfra ACTIVE means "signed, awaiting disbursement". */
export const LOAN_STATUS: Record<FinfraLoanDetails['status'], LoanStatus> = {
  PENDING: 'PENDING',
  SIGNING: 'SIGNING',
  ACTIVE: 'APPROVED',
  DISBURSED: 'ACTIVE',
  REPAID: 'PAID_OFF',
  REJECTED: 'REJECTED',
};

const INSTALLMENT_STATUS: Record<FinfraLoanDetails['installments'][number]['status'], InstallmentStatus> = {
  UNPAID: 'DUE',
  PARTIAL: 'PARTIALLY_PAID',
  PAID: 'PAID',
  OVERDUE: 'OVERDUE',
};

/** Bank code ("BCA", "bni", "MANDIRI") -> channel. */
export const channel: (bankCode: string) => BankChannel = bankChannel;

/** `GET /api/core/users/{userId}` -> ProviderBorrower: `borrower_type` as is, the borrower `status` as the KYC status. */
export function toBorrower(w: FinfraBorrower): ProviderBorrower {
  return { provider: 'FINFRA', externalId: w.userId, fullName: w.name, nik: w.id_number, status: w.status, borrowerType: w.borrower_type, kycStatus: w.status };
}

/** Finfra `credit_source` -> ours. */
export const CREDIT_SOURCE: Record<FinfraCreditScoreData['credit_source'], CreditScoreSource> = { afpi: 'AFPI', clik: 'CLIK', both: 'AFPI_CLIK' };

/** `data` of a `user_credit_score` callback -> the ledger's credit-score event. */
export function toCreditScoreEvent(d: FinfraCreditScoreData): CreditScoreEvent {
  return { type: 'CREDIT_SCORE', provider: 'FINFRA', providerUserId: d.userId, score: d.credit_score, source: CREDIT_SOURCE[d.credit_source], scoredAt: parseInstant(d.scored_at) };
}

function tenorOf(w: FinfraLoanDetails): Tenor {
  if (w.loan_type === 'SINGLE_PAYMENT') return { value: w.tenor, unit: w.tenor_unit ?? 'DAY' };
  switch (w.frequency) {
    case 'WEEKLY':
      return { value: w.tenor, unit: 'WEEK' };
    case 'BIWEEKLY':
      return { value: w.tenor * 2, unit: 'WEEK' };
    default:
      return { value: w.tenor, unit: 'MONTH' };
  }
}

/** `GET /api/core/loans/details/{uniqueId}` -> Loan (schedule as Finfra gives it). */
export function toLoan(w: FinfraLoanDetails, accountId: string, createdAt?: string): Loan {
  const installments = w.installments.map((i) => ({
    seq: i.installment_number,
    dueDate: i.due_date,
    principal: BigInt(i.principal_amount),
    interest: BigInt(i.interest_amount),
    amountDue: BigInt(i.total_amount),
    amountPaid: BigInt(i.paid_amount),
    status: INSTALLMENT_STATUS[i.status],
  }));
  return {
    provider: 'FINFRA',
    accountId,
    providerLoanId: w.loanUniqueId,
    type: w.loan_type === 'BNPL' ? 'INSTALLMENT' : 'SINGLE_PAYMENT',
    status: LOAN_STATUS[w.status],
    principal: BigInt(w.amount),
    rate: { rate: percent(w.interest_rate), period: 'MONTH' },
    tenor: tenorOf(w),
    frequency: w.frequency,
    disbursedOn: w.disbursed_at ? jakartaDate(parseInstant(w.disbursed_at)) : null,
    maturityDate: w.maturity_date ?? installments.at(-1)?.dueDate ?? null,
    originatedOn: createdAt ? jakartaDate(parseInstant(createdAt)) : null,
    installments,
    scheduleSource: 'PROVIDER',
  };
}

/** `payments[]` of loan details -> Repayments. PAID means settled (`settled_at`). */
export function toRepayments(w: FinfraLoanDetails): Repayment[] {
  return w.payments.map((p) => ({
    id: p.payment_id,
    providerLoanId: w.loanUniqueId,
    amount: BigInt(p.amount),
    channel: channel(p.bank_code),
    status: p.status === 'PAID' ? 'CLEARED' : p.status === 'FAILED' ? 'FAILED' : 'PENDING',
    paidAt: parseInstant(p.paid_at),
    clearedAt: p.settled_at ? parseInstant(p.settled_at) : null,
  }));
}

/** `disbursement` of loan details -> Disbursement (the loan id doubles as its id: one per loan). */
export function toDisbursements(w: FinfraLoanDetails): Disbursement[] {
  const d = w.disbursement;
  if (!d) return [];
  return [
    {
      id: `${w.loanUniqueId}:disbursement`,
      providerLoanId: w.loanUniqueId,
      amount: BigInt(d.amount),
      channel: channel(d.bank_code),
      status: d.status === 'SUCCESS' ? 'COMPLETED' : d.status,
      disbursedAt: d.disbursed_at ? parseInstant(d.disbursed_at) : null,
    },
  ];
}
