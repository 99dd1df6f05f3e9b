/**
 * Ledger events: what a provider or bank callback means for the ledger, in the
 * one vocabulary. Each provider folder parses its stored callbacks into these
 * (`ProviderDefinition.ledgerEvents`); the core applies them (src/core/ledger-apply.ts).
 * Amounts are integer rupiah; instants are `Date`s; days are Asia/Jakarta dates.
 */
import type { LocalDate } from './dates';
import type { CreditScoreSource } from './credit-score';
import type { BankChannel, DisbursementStatus, InstallmentStatus, LoanStatus, ProviderCode, RepaymentStatus } from './types';

/** A repayment seen by an event: upserted by (provider, externalId); its status only moves forward. */
export interface RepaymentEvent {
  readonly type: 'REPAYMENT';
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  /** The provider's payment id (or a deterministic id where it gives none); the dedupe key. */
  readonly externalId: string;
  readonly amount: bigint;
  readonly channel: BankChannel;
  /** What the money was sent to or the provider's reference; settlements match on it. */
  readonly reference: string | null;
  readonly status: RepaymentStatus;
  readonly paidAt: Date;
  readonly clearedAt: Date | null;
}

/** A loan's status reported by an event, with cumulative totals where the provider gives them. */
export interface LoanStatusEvent {
  readonly type: 'LOAN_STATUS';
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  readonly status: LoanStatus;
  /** Total repaid so far as the provider reports it, integer rupiah. */
  readonly reportedPaid?: bigint;
  /** Installments paid so far as the provider reports it. */
  readonly reportedNumberOfPay?: number;
  /**
   * When the provider reported this status: the callback's receipt time (Finfra `loan` and Dompet Kilat callbacks
   * carry no status time). Kept as the time the status took effect (`LedgerLoanState.statusAt`); absent when unknown.
   */
  readonly at?: Date;
}

/**
 * One installment's state as the provider reports it by event (Finfra `bnpl`): recorded per (provider, loan,
 * seq), the report with the latest `reportedAt` winning. It never pays an installment: only cleared money does
 * (src/domain/loan-view.ts); a reported payment cleared money does not cover raises a reconciliation issue.
 */
export interface InstallmentStateEvent {
  readonly type: 'INSTALLMENT_STATE';
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  /** 1-based installment sequence (Finfra `installment_number`). */
  readonly seq: number;
  /** The reported status in our vocabulary (Finfra UNPAID -> DUE, PARTIAL -> PARTIALLY_PAID, PAID, OVERDUE). */
  readonly status: InstallmentStatus;
  /** Amount the provider says was paid on the installment, integer rupiah (Finfra `paid_amount`); null when not given. */
  readonly paidAmount: bigint | null;
  /** The report's time (Finfra `updated_at` when given, else the callback's receipt time): orders reports. */
  readonly reportedAt: Date;
}

/** A disbursement seen by an event: upserted by (provider, externalId); its status only moves forward (PENDING < COMPLETED < FAILED). */
export interface DisbursementEvent {
  readonly type: 'DISBURSEMENT';
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  /** The provider's transaction id (Dompet Kilat `transactionId`); the dedupe key. */
  readonly externalId: string;
  /** Integer rupiah. */
  readonly amount: bigint;
  readonly channel: BankChannel;
  readonly status: DisbursementStatus;
  /** When the money was sent; null when unknown. */
  readonly disbursedAt: Date | null;
}

/** A change that has no ledger effect of its own but is pushed to subscribers (e.g. a BNPL installment notice). */
export interface LoanNoticeEvent {
  readonly type: 'LOAN_NOTICE';
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  /** What the provider said happened (lowercase wire kind, e.g. `bnpl`). */
  readonly kind: string;
}

/** A bank's confirmation that money arrived (SNAP VA payment notification). */
export interface SettlementEvent {
  readonly type: 'SETTLEMENT';
  readonly bank: string;
  readonly partnerId: string;
  /** The bank's X-EXTERNAL-ID, unique per partner per Jakarta day. */
  readonly externalId: string;
  readonly day: LocalDate;
  /** The repayment it settles (the provider's payment reference). */
  readonly reference: string;
  /** Virtual account the money was paid to. */
  readonly account: string;
  readonly amount: bigint;
  readonly settledAt: Date;
}

/**
 * A provider's credit score of one of its borrowers (Finfra `user_credit_score`): stored per (provider,
 * providerUserId, source), a later `scoredAt` replacing an earlier one (src/core/credit-score.service.ts). It touches no loan.
 */
export interface CreditScoreEvent {
  readonly type: 'CREDIT_SCORE';
  readonly provider: ProviderCode;
  /** The provider's id of the borrower (Finfra `userId`). */
  readonly providerUserId: string;
  readonly score: number;
  readonly source: CreditScoreSource;
  readonly scoredAt: Date;
}

/** Any ledger event. */
export type LedgerEvent = RepaymentEvent | LoanStatusEvent | InstallmentStateEvent | DisbursementEvent | LoanNoticeEvent | SettlementEvent | CreditScoreEvent;
