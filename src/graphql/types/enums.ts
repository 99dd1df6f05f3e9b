/** GraphQL enums, registered from the domain's string unions. */
import { registerEnumType } from 'type-graphql';
import { PROVIDER_DEFINITIONS } from '../../providers/registry';

/** Builds a `{ A: 'A', ... }` object type-graphql can register from a list of names. */
export function enumOf<const T extends string>(...names: T[]): { [K in T]: K } {
  return Object.fromEntries(names.map((n) => [n, n])) as { [K in T]: K };
}

export const ProviderEnum = enumOf(...PROVIDER_DEFINITIONS.map((p) => p.code));
registerEnumType(ProviderEnum, {
  name: 'Provider',
  description: 'A lending provider Satu Kredit federates.',
  valuesConfig: Object.fromEntries(PROVIDER_DEFINITIONS.map((p) => [p.code, { description: p.description }])),
});

export const CurrencyCodeEnum = enumOf('IDR');
registerEnumType(CurrencyCodeEnum, { name: 'CurrencyCode', description: 'ISO 4217 currency code.' });

export const LoanTypeEnum = enumOf('SINGLE_PAYMENT', 'INSTALLMENT');
registerEnumType(LoanTypeEnum, {
  name: 'LoanType',
  description: 'SINGLE_PAYMENT: principal and interest repaid at maturity (Finfra single-payment). INSTALLMENT: scheduled installments (Cairin, Finfra BNPL, Dompet Kilat MONTH tenors).',
});

export const LoanStatusEnum = enumOf('PENDING', 'SIGNING', 'APPROVED', 'ACTIVE', 'PAID_OFF', 'REJECTED', 'CLOSED', 'CLOSED_WITH_BALANCE');
registerEnumType(LoanStatusEnum, {
  name: 'LoanStatus',
  description: 'One lifecycle for every provider.',
  valuesConfig: {
    PENDING: { description: 'Applied, awaiting agreement (Finfra PENDING, Dompet Kilat without contract).' },
    SIGNING: { description: 'Agreement out for signature (Finfra SIGNING).' },
    APPROVED: { description: 'Signed or approved, not yet disbursed (Finfra ACTIVE, Cairin pending_disbursement).' },
    ACTIVE: { description: 'Disbursed; a balance is owed (Finfra DISBURSED, Cairin active, Dompet Kilat active).' },
    PAID_OFF: { description: 'Fully repaid: cleared money covers the schedule (the provider says Finfra REPAID, Cairin paid_off, Dompet Kilat completed, or the ledger shows it).' },
    REJECTED: { description: 'Refused before disbursement.' },
    CLOSED: { description: 'Closed by the provider otherwise (Dompet Kilat closed), with nothing of the schedule unpaid.' },
    CLOSED_WITH_BALANCE: {
      description:
        'Closed or marked repaid by the provider while cleared money does not cover the schedule (a write-off, a status without payment): it still owes, with reconciliation issue CLOSED_WITH_BALANCE or STATUS_WITHOUT_PAYMENT. Never a provider status.',
    },
  },
});

export const InstallmentStatusEnum = enumOf('PAID', 'PARTIALLY_PAID', 'DUE', 'OVERDUE', 'PENDING_SETTLEMENT');
registerEnumType(InstallmentStatusEnum, {
  name: 'InstallmentStatus',
  valuesConfig: {
    PAID: { description: 'Fully paid with cleared money.' },
    PARTIALLY_PAID: { description: 'Part paid; the rest is owed.' },
    DUE: { description: 'Unpaid, due date not yet passed.' },
    OVERDUE: { description: 'Unpaid after its due date (from 00:00 WIB the next day).' },
    PENDING_SETTLEMENT: { description: 'A payment covers it but the bank has not confirmed settlement.' },
  },
});

export const RepaymentStatusEnum = enumOf('PENDING', 'CLEARED', 'FAILED');
registerEnumType(RepaymentStatusEnum, {
  name: 'RepaymentStatus',
  description: 'PENDING until the bank settlement confirms the repayment, then CLEARED; FAILED when the bank rejected it.',
});

export const DisbursementStatusEnum = enumOf('PENDING', 'COMPLETED', 'FAILED');
registerEnumType(DisbursementStatusEnum, { name: 'DisbursementStatus' });

export const BankChannelEnum = enumOf('BCA', 'MANDIRI', 'BRI', 'BNI', 'OTHER');
registerEnumType(BankChannelEnum, { name: 'BankChannel', description: 'Bank rail money moved over.' });

export const TenorUnitEnum = enumOf('DAY', 'WEEK', 'MONTH');
registerEnumType(TenorUnitEnum, { name: 'TenorUnit' });

export const RatePeriodEnum = enumOf('DAY', 'MONTH', 'YEAR');
registerEnumType(RatePeriodEnum, { name: 'RatePeriod', description: 'Period a flat interest rate is quoted per.' });

export const FrequencyEnum = enumOf('WEEKLY', 'BIWEEKLY', 'MONTHLY');
registerEnumType(FrequencyEnum, { name: 'Frequency', description: 'Installment frequency.' });

export const ScheduleSourceEnum = enumOf('PROVIDER', 'RECONSTRUCTED');
registerEnumType(ScheduleSourceEnum, {
  name: 'ScheduleSource',
  valuesConfig: {
    PROVIDER: { description: 'The provider returned the schedule.' },
    RECONSTRUCTED: { description: 'Rebuilt by Satu Kredit from the loan terms (Dompet Kilat gives terms only).' },
  },
});

export const ProviderHealthEnum = enumOf('OK', 'STALE', 'UNAVAILABLE', 'NO_CONSENT');
registerEnumType(ProviderHealthEnum, { name: 'ProviderHealth', description: "Whether a provider's part of an answer was read." });

export const QualityClassEnum = enumOf('LANCAR', 'DALAM_PERHATIAN_KHUSUS', 'KURANG_LANCAR', 'DIRAGUKAN', 'MACET');
registerEnumType(QualityClassEnum, {
  name: 'QualityClass',
  description: "OJK loan quality class for P2P lending (POJK 10/2022), from days past due.",
  valuesConfig: {
    LANCAR: { description: 'Current: not late.' },
    DALAM_PERHATIAN_KHUSUS: { description: 'Special mention: 1-30 days past due.' },
    KURANG_LANCAR: { description: 'Substandard: 31-60 days past due.' },
    DIRAGUKAN: { description: 'Doubtful: 61-90 days past due.' },
    MACET: { description: 'Loss: over 90 days past due.' },
  },
});

export const FreshnessSourceEnum = enumOf('LIVE', 'CACHE', 'WEBHOOK');
registerEnumType(FreshnessSourceEnum, {
  name: 'FreshnessSource',
  valuesConfig: {
    LIVE: { description: 'Read from the provider for this request.' },
    CACHE: { description: 'Served from the cached copy while it was fresh.' },
    WEBHOOK: { description: 'Cached copy updated since by an applied provider or bank event.' },
  },
});
