/**
 * Ledger events: what a provider or bank callback means for the ledger, in the
 * one vocabulary. Each provider folder parses its stored callbacks into these
 * (`ProviderDefinition.ledgerEvents`); the core applies them (src/core/ledger-apply.ts).
 * Amounts are integer rupiah; instants are `Date`s; days are Asia/Jakarta dates.
 */
import type { LocalDate } from './dates';
import type { BankChannel, LoanStatus, ProviderCode, RepaymentStatus } from './types';

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

/** Any ledger event. */
export type LedgerEvent = RepaymentEvent | LoanStatusEvent | LoanNoticeEvent | SettlementEvent;
