/**
 * Dompet Kilat wire -> domain. Dompet Kilat's read API gives loan terms only
 * (`loanData` and `references.interest` of GET /v1/borrower/{idNumber}), so the
 * schedule is reconstructed from the terms and marked RECONSTRUCTED. Repayment
 * state arrives by callback (disbursement and repayment), not by read.
 *
 * Conventions assumed (the doc is silent): `references.interest` is a flat
 * percentage per month, prorated per 30 days for DAY tenors; the schedule starts
 * on `contractDate`; a loan with a contract date is ACTIVE, without one PENDING. The repayment account
 * (`loanData.bankCode`, `loanData.paymentAccountNumber`, the pair the callbacks carry) is read where the record
 * gives it, its number masked.
 */
import { fromDayMonthYear, type LocalDate } from '../../domain/dates';
import { percent } from '../../domain/money';
import { scheduleFromTerms } from '../../domain/schedule';
import { bankChannel, type Loan, type ProviderBorrower, type RepaymentAccount, type TenorUnit } from '../../domain/types';
import type { DkBorrowerRecord } from './wire';

/** `loanData.unit` / callback `tenorUnit` ("MONTH", "day") -> TenorUnit. Unknown units read as DAY. */
export function tenorUnit(unit: string): TenorUnit {
  const u = unit.trim().toUpperCase();
  return u === 'MONTH' || u === 'MONTHS' ? 'MONTH' : u === 'WEEK' || u === 'WEEKS' ? 'WEEK' : 'DAY';
}

/**
 * `loanData.bankCode` + `loanData.paymentAccountNumber` (already masked by the wire schema) -> the loan's
 * repayment account, a VIRTUAL_ACCOUNT ("No VA untuk repayment"). The bank code maps to our channels
 * (`bankChannel`); any other code ("PERMATA", "BSI") reads as OTHER and is kept as `providerBankCode`.
 * Null when no VA number is given (before the contract). Not the borrower's own `bankName`/`bankAccountNumber`,
 * which is where disbursements go.
 */
export function repaymentAccountOf(ld: Pick<NonNullable<DkBorrowerRecord['loanData']>, 'bankCode' | 'paymentAccountNumber'>): RepaymentAccount | null {
  if (!ld.paymentAccountNumber) return null;
  const code = ld.bankCode?.trim().toUpperCase() || null;
  return { kind: 'VIRTUAL_ACCOUNT', bank: code ? bankChannel(code) : 'OTHER', providerBankCode: code, accountNumberMasked: ld.paymentAccountNumber };
}

/** GET /v1/borrower/{idNumber} `data` -> ProviderBorrower (minimized). */
export function toBorrower(w: DkBorrowerRecord): ProviderBorrower {
  return { provider: 'DOMPET_KILAT', externalId: w.idNumber, fullName: w.fullName, nik: w.idNumber, status: null };
}

/** The id we give a Dompet Kilat loan: its `contractNo`, or `DK-<idNumber>` before a contract exists. */
export function loanId(w: DkBorrowerRecord): string {
  return w.loanData?.contractNo || `DK-${w.idNumber}`;
}

/**
 * GET /v1/borrower/{idNumber} `data.loanData` -> Loan with a reconstructed schedule;
 * `today` (Jakarta) decides DUE vs OVERDUE for unpaid installments. Null when no loanData.
 */
export function toLoan(w: DkBorrowerRecord, accountId: string, today: LocalDate): Loan | null {
  const ld = w.loanData;
  if (!ld) return null;
  const principal = BigInt(ld.amount);
  const rate = { rate: percent(w.references?.interest ?? '0'), period: 'MONTH' as const };
  const tenor = { value: ld.tenor, unit: tenorUnit(ld.unit) };
  const start = ld.contractDate ? fromDayMonthYear(ld.contractDate) : null;
  const planned = start ? scheduleFromTerms(principal, rate, tenor, start) : [];
  return {
    provider: 'DOMPET_KILAT',
    accountId,
    providerLoanId: loanId(w),
    type: planned.length > 1 ? 'INSTALLMENT' : 'SINGLE_PAYMENT',
    status: start ? 'ACTIVE' : 'PENDING',
    principal,
    rate,
    tenor,
    frequency: tenor.unit === 'MONTH' ? 'MONTHLY' : null,
    disbursedOn: start,
    maturityDate: planned.at(-1)?.dueDate ?? null,
    originatedOn: start,
    repaymentAccount: repaymentAccountOf(ld),
    installments: planned.map((p) => ({ ...p, amountPaid: 0n, status: p.dueDate < today ? 'OVERDUE' : 'DUE' })),
    scheduleSource: 'RECONSTRUCTED',
  };
}
