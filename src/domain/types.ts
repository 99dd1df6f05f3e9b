/**
 * Normalized domain types: the one vocabulary every connector maps into and
 * every GraphQL type maps out of. Money is integer rupiah (`bigint`); dates are
 * Asia/Jakarta `LocalDate`s; instants are `Date`s.
 */
import type { LocalDate } from './dates';
import type { Rate } from './money';

/** The providers we federate (Prisma enum `Provider`). */
export type ProviderCode = 'CAIRIN' | 'FINFRA' | 'DOMPET_KILAT';
/** Every provider code (mirrors the Prisma `Provider` enum). */
export const PROVIDER_CODES: readonly ProviderCode[] = ['CAIRIN', 'FINFRA', 'DOMPET_KILAT'];
export const PROVIDERS: readonly ProviderCode[] = ['CAIRIN', 'FINFRA', 'DOMPET_KILAT'];

/**
 * The lender's legal name per provider, as the provider's own documents give it (the Cairin brief: Cairin runs
 * under PT Idana Solusi Sejahtera, OJK-licensed LPBBTI operator, KEP-29/D.05/2021); null where the documents name
 * none (Finfra is infrastructure for lenders it does not name; Dompet Kilat is middleware).
 */
export const LENDER_LEGAL_NAMES: Readonly<Record<ProviderCode, string | null>> = { CAIRIN: 'PT Idana Solusi Sejahtera', FINFRA: null, DOMPET_KILAT: null };

/** How a loan is repaid: one bullet payment at maturity, or scheduled installments. */
export type LoanType = 'SINGLE_PAYMENT' | 'INSTALLMENT';

/**
 * One lifecycle for every provider's loan.
 * PENDING: applied, awaiting agreement; SIGNING: agreement out for signature;
 * APPROVED: signed, awaiting disbursement; ACTIVE: disbursed, balance owed;
 * PAID_OFF: fully repaid; REJECTED: refused before disbursement; CLOSED: closed by the provider otherwise.
 * CLOSED_WITH_BALANCE is never a provider's status: the loan view (`buildLoanView`) gives it to a loan the
 * provider closed or marked repaid while cleared money does not cover its schedule; it still owes (outstanding,
 * days past due and quality class count as for ACTIVE). Only cleared money makes a loan PAID_OFF.
 */
export type LoanStatus = 'PENDING' | 'SIGNING' | 'APPROVED' | 'ACTIVE' | 'PAID_OFF' | 'REJECTED' | 'CLOSED' | 'CLOSED_WITH_BALANCE';

/** Statuses of a loan that owes money: ACTIVE and CLOSED_WITH_BALANCE (balances, arrears and payoff count them). */
export const OWING_STATUSES: ReadonlySet<LoanStatus> = new Set<LoanStatus>(['ACTIVE', 'CLOSED_WITH_BALANCE']);

/** Unit of a tenor. */
export type TenorUnit = 'DAY' | 'WEEK' | 'MONTH';

/** Length of a loan with its unit (`tenor` + `unit`/`tenorUnit`, or `tenorDays`). */
export interface Tenor {
  readonly value: number;
  readonly unit: TenorUnit;
}

/** Period a rate is quoted per. */
export type RatePeriod = 'DAY' | 'MONTH' | 'YEAR';

/** A flat interest rate as the provider quotes it (e.g. Cairin `annualRatePct` 24 per YEAR). */
export interface InterestRate {
  readonly rate: Rate;
  readonly period: RatePeriod;
}

/** Repayment frequency of an installment loan. */
export type Frequency = 'WEEKLY' | 'BIWEEKLY' | 'MONTHLY';

/**
 * Status of one installment as the provider reports it (issue 4 derives it from
 * the ledger instead): PAID, PARTIALLY_PAID, DUE (not yet past its date),
 * OVERDUE (unpaid after its due date), PENDING_SETTLEMENT (paid, bank has not confirmed).
 */
export type InstallmentStatus = 'PAID' | 'PARTIALLY_PAID' | 'DUE' | 'OVERDUE' | 'PENDING_SETTLEMENT';

/** One scheduled payment. */
export interface Installment {
  /** 1-based sequence number. */
  readonly seq: number;
  readonly dueDate: LocalDate;
  /** Principal part, integer rupiah. */
  readonly principal: bigint;
  /** Interest part, integer rupiah. */
  readonly interest: bigint;
  /** principal + interest (+ fees the provider adds), integer rupiah. */
  readonly amountDue: bigint;
  /** Cleared money applied to this installment, integer rupiah. */
  readonly amountPaid: bigint;
  readonly status: InstallmentStatus;
}

/** Bank rail a repayment or disbursement moved over. */
export type BankChannel = 'BCA' | 'MANDIRI' | 'BRI' | 'BNI' | 'OTHER';

/** A bank code as providers write it ("BCA", "bni", "MANDIRI") -> channel; unknown banks are OTHER. */
export function bankChannel(bankCode: string): BankChannel {
  const c = bankCode.trim().toUpperCase();
  return c === 'BCA' || c === 'MANDIRI' || c === 'BRI' || c === 'BNI' ? c : 'OTHER';
}

/** PENDING until the bank settlement confirms it, then CLEARED; FAILED if the bank rejected it. */
export type RepaymentStatus = 'PENDING' | 'CLEARED' | 'FAILED';

/** Money received from the borrower. */
export interface Repayment {
  /** Provider's transaction id. */
  readonly id: string;
  readonly providerLoanId: string;
  readonly amount: bigint;
  readonly channel: BankChannel;
  readonly status: RepaymentStatus;
  readonly paidAt: Date;
  readonly clearedAt: Date | null;
}

/** PENDING: instructed; COMPLETED: landed in the borrower's account; FAILED. */
export type DisbursementStatus = 'PENDING' | 'COMPLETED' | 'FAILED';

/** Money sent to the borrower. */
export interface Disbursement {
  readonly id: string;
  readonly providerLoanId: string;
  readonly amount: bigint;
  readonly channel: BankChannel;
  readonly status: DisbursementStatus;
  readonly disbursedAt: Date | null;
}

/**
 * Kind of account the borrower pays a loan into. VIRTUAL_ACCOUNT: a number the lender's bank issued for this
 * loan or borrower (Dompet Kilat `paymentAccountNumber`, "No VA untuk repayment"); BANK_ACCOUNT: an ordinary
 * account of the lender (no provider gives one today).
 */
export type RepaymentAccountKind = 'VIRTUAL_ACCOUNT' | 'BANK_ACCOUNT';

/**
 * The account a borrower pays a loan into (Plaid Liabilities' payment account, SLIK has none), masked at the
 * connector: the full number is never held (not in memory past the connector, not in snapshots, not in answers).
 */
export interface RepaymentAccount {
  readonly kind: RepaymentAccountKind;
  /** The bank, in our channel vocabulary; OTHER for a bank code outside it (then `providerBankCode` says which). */
  readonly bank: BankChannel;
  /** The provider's own bank code as it sent it, trimmed and upper-cased (Dompet Kilat `bankCode`, e.g. "BNI", "PERMATA"); null when none was sent. */
  readonly providerBankCode: string | null;
  /** The number with every character but the last 4 replaced by `*` (all masked when shorter than 8), see `maskAccountNumber`. */
  readonly accountNumberMasked: string;
}

/**
 * An account number masked for display: spaces and dashes dropped, then every character but the last 4 replaced
 * by `*` ("8808999966040139" -> "************0139"); a number of fewer than 8 characters is masked entirely, so
 * that the visible part never is half the number.
 */
export function maskAccountNumber(number: string): string {
  const n = number.replace(/[\s-]/g, '');
  const shown = n.length >= 8 ? 4 : 0;
  return '*'.repeat(n.length - shown) + n.slice(n.length - shown);
}

/** Where a schedule came from: the provider's own, or rebuilt by us from the loan terms. */
export type ScheduleSource = 'PROVIDER' | 'RECONSTRUCTED';

/** One credit agreement at one provider, normalized. */
export interface Loan {
  readonly provider: ProviderCode;
  /** Our ProviderAccount id the loan was read through. */
  readonly accountId: string;
  /** The provider's loan id (Cairin `loanId`, Finfra `loanUniqueId`, Dompet Kilat `contractNo`). */
  readonly providerLoanId: string;
  readonly type: LoanType;
  readonly status: LoanStatus;
  readonly principal: bigint;
  readonly rate: InterestRate | null;
  readonly tenor: Tenor;
  readonly frequency: Frequency | null;
  readonly disbursedOn: LocalDate | null;
  readonly maturityDate: LocalDate | null;
  /**
   * Jakarta date the credit agreement was made (SLIK's origination date): Dompet Kilat `loanData.contractDate`,
   * Finfra `created_at` of the loan list, Cairin `appliedAt` of the loan list (the app's agreement is accepted when
   * applying); null when the provider gives none; absent on loans cached before it was read.
   */
  readonly originatedOn?: LocalDate | null;
  /**
   * The account the borrower pays this loan into, masked (Dompet Kilat `loanData.bankCode` and
   * `loanData.paymentAccountNumber`); null when the provider gives none (Cairin and Finfra reads never do);
   * absent on loans cached before it was read. Behind the REPAYMENTS consent domain in the API.
   */
  readonly repaymentAccount?: RepaymentAccount | null;
  readonly installments: readonly Installment[];
  readonly scheduleSource: ScheduleSource;
}

/** Who the borrower is at a provider: a natural person or a registered legal entity (Finfra `borrower_type`). */
export type BorrowerType = 'PERSONAL' | 'BUSINESS';
export const BORROWER_TYPES: readonly BorrowerType[] = ['PERSONAL', 'BUSINESS'];

/**
 * Where the borrower stands in the provider's KYC (Know Your Customer) onboarding, as Finfra's documents list it
 * (borrower status lifecycle, and the KYC flow's verification result): PENDING (created, KYC not started),
 * VERIFIED (documents submitted, under review), APPROVED (KYC passed, may borrow), REJECTED (KYC verification
 * refused), BLOCKED (suspended from the platform).
 */
export type KycStatus = 'PENDING' | 'VERIFIED' | 'APPROVED' | 'REJECTED' | 'BLOCKED';
export const KYC_STATUSES: readonly KycStatus[] = ['PENDING', 'VERIFIED', 'APPROVED', 'REJECTED', 'BLOCKED'];

/** A borrower's identity at one provider, minimized (no KTP images, family card, mother's name...). */
export interface ProviderBorrower {
  readonly provider: ProviderCode;
  readonly externalId: string;
  readonly fullName: string | null;
  /** NIK as the provider holds it (`idNumber`, `id_number`). */
  readonly nik: string | null;
  /** Provider-side KYC or account status, normalized to upper case (Finfra PENDING/VERIFIED/APPROVED/BLOCKED). */
  readonly status: string | null;
  /** Natural person or legal entity (Finfra `borrower_type`); null or absent where the provider gives none. */
  readonly borrowerType?: BorrowerType | null;
  /** The borrower's KYC status at the provider (Finfra `status` of the borrower); null or absent where the provider gives none. */
  readonly kycStatus?: KycStatus | null;
}
