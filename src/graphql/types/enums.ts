/** GraphQL enums, registered from the domain's string unions. */
import { registerEnumType } from 'type-graphql';
import { PROVIDER_DEFINITIONS } from '../../providers/registry';
import type { AccessKind } from '../../core/consent-guard';
import type { PartError } from '../../core/credit.service';
import type { ReconciliationIssueKind } from '../../domain/ledger';

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
registerEnumType(CurrencyCodeEnum, {
  name: 'CurrencyCode',
  description: 'ISO 4217 currency code.',
  valuesConfig: { IDR: { description: 'Indonesian rupiah; amounts are whole rupiah (no minor unit in use).' } },
});

export const LoanTypeEnum = enumOf('SINGLE_PAYMENT', 'INSTALLMENT');
registerEnumType(LoanTypeEnum, {
  name: 'LoanType',
  description: 'SINGLE_PAYMENT: principal and interest repaid at maturity (Finfra single-payment). INSTALLMENT: scheduled installments (Cairin, Finfra BNPL, Dompet Kilat MONTH tenors).',
  valuesConfig: {
    SINGLE_PAYMENT: { description: 'Principal and interest repaid in one payment at maturity (Finfra `type` SINGLE_PAYMENT).' },
    INSTALLMENT: { description: 'Repaid in scheduled installments (Cairin loans, Finfra `type` BNPL, Dompet Kilat MONTH tenors).' },
  },
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
  description: "An installment's state, derived from cleared money against its amount due and its due date (Jakarta).",
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
  valuesConfig: {
    PENDING: { description: 'Received from the borrower; the bank settlement has not confirmed it yet (not counted as paid).' },
    CLEARED: { description: 'Confirmed by the bank settlement: counted as paid.' },
    FAILED: { description: 'Rejected by the bank: never counted as paid.' },
  },
});

export const DisbursementStatusEnum = enumOf('PENDING', 'COMPLETED', 'FAILED');
registerEnumType(DisbursementStatusEnum, {
  name: 'DisbursementStatus',
  description: 'Where a disbursement to the borrower stands.',
  valuesConfig: {
    PENDING: { description: 'Ordered; the money has not reached the borrower yet.' },
    COMPLETED: { description: 'The money was sent to the borrower.' },
    FAILED: { description: 'The transfer failed; nothing was sent.' },
  },
});

export const BankChannelEnum = enumOf('BCA', 'MANDIRI', 'BRI', 'BNI', 'OTHER');
registerEnumType(BankChannelEnum, {
  name: 'BankChannel',
  description: 'Bank rail money moved over.',
  valuesConfig: {
    BCA: { description: 'Bank Central Asia.' },
    MANDIRI: { description: 'Bank Mandiri.' },
    BRI: { description: 'Bank Rakyat Indonesia.' },
    BNI: { description: 'Bank Negara Indonesia.' },
    OTHER: { description: 'Any other bank or rail (the provider named one not listed, or none).' },
  },
});

export const TenorUnitEnum = enumOf('DAY', 'WEEK', 'MONTH');
registerEnumType(TenorUnitEnum, {
  name: 'TenorUnit',
  description: "Unit of a loan's length.",
  valuesConfig: {
    DAY: { description: 'Calendar days.' },
    WEEK: { description: 'Weeks (Finfra weekly or biweekly installments).' },
    MONTH: { description: 'Calendar months.' },
  },
});

export const RatePeriodEnum = enumOf('DAY', 'MONTH', 'YEAR');
registerEnumType(RatePeriodEnum, {
  name: 'RatePeriod',
  description: 'Period a flat interest rate is quoted per.',
  valuesConfig: {
    DAY: { description: 'Per day.' },
    MONTH: { description: 'Per month (Finfra `interest_rate`, Dompet Kilat `references.interest`).' },
    YEAR: { description: 'Per year (Cairin `annualRatePct`).' },
  },
});

export const FrequencyEnum = enumOf('WEEKLY', 'BIWEEKLY', 'MONTHLY');
registerEnumType(FrequencyEnum, {
  name: 'Frequency',
  description: 'Installment frequency.',
  valuesConfig: {
    WEEKLY: { description: 'Every week.' },
    BIWEEKLY: { description: 'Every two weeks.' },
    MONTHLY: { description: 'Every month.' },
  },
});

export const ScheduleSourceEnum = enumOf('PROVIDER', 'RECONSTRUCTED');
registerEnumType(ScheduleSourceEnum, {
  name: 'ScheduleSource',
  description: "Where a loan's installment schedule comes from.",
  valuesConfig: {
    PROVIDER: { description: 'The provider returned the schedule.' },
    RECONSTRUCTED: { description: 'Rebuilt by Satu Kredit from the loan terms (Dompet Kilat gives terms only).' },
  },
});

export const ProviderHealthEnum = enumOf('OK', 'STALE', 'UNAVAILABLE', 'NO_CONSENT');
registerEnumType(ProviderHealthEnum, {
  name: 'ProviderHealth',
  description: "Whether a provider's part of an answer was read.",
  valuesConfig: {
    OK: { description: 'The provider answered, or its cached copy was fresh.' },
    STALE: { description: 'The provider failed; its last cached copy is served, marked stale, and counted in the totals.' },
    UNAVAILABLE: { description: 'The provider failed with nothing cached: its part is missing from the totals.' },
    NO_CONSENT: { description: 'No ACTIVE consent covers the provider: no call was made, nothing cached was served.' },
  },
});

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
  description: 'Where provider data in an answer came from.',
  valuesConfig: {
    LIVE: { description: 'Read from the provider for this request.' },
    CACHE: { description: 'Served from the cached copy while it was fresh.' },
    WEBHOOK: { description: 'Cached copy updated since by an applied provider or bank event.' },
  },
});

export const AccessKindEnum = enumOf('PROVIDER_READ', 'API_READ');
registerEnumType(AccessKindEnum, {
  name: 'AccessKind',
  description: 'What kind of read of borrower data an access-log entry records.',
  valuesConfig: {
    PROVIDER_READ: { description: "The provider's data was read under the consent, live or from the cache (see AccessLogEntry.source)." },
    API_READ: { description: 'Borrower data was returned to the API client.' },
  },
});

export const ProviderErrorCodeEnum = enumOf('PROVIDER_UNAVAILABLE', 'PROVIDER_TIMEOUT', 'PROVIDER_BAD_RESPONSE', 'FRESHNESS_NOT_MET', 'CONSENT_REQUIRED', 'CONSENT_REVOKED', 'CONSENT_EXPIRED');
registerEnumType(ProviderErrorCodeEnum, {
  name: 'ProviderErrorCode',
  description: "Why a provider's part of an answer was not read (the same code as the error's `extensions.code`).",
  valuesConfig: {
    PROVIDER_UNAVAILABLE: { description: 'The provider could not be reached or answered with an error.' },
    PROVIDER_TIMEOUT: { description: 'The provider did not answer in time (PROVIDER_TIMEOUT_MS).' },
    PROVIDER_BAD_RESPONSE: { description: 'The provider answered with data Satu Kredit could not read.' },
    FRESHNESS_NOT_MET: { description: 'The provider could not be read and the cached copy is older than the asked maxAgeSeconds (served, marked stale).' },
    CONSENT_REQUIRED: { description: 'No ACTIVE consent covers the provider and domain (none given, PENDING, PAUSED or REJECTED).' },
    CONSENT_REVOKED: { description: 'The consent covering it was revoked.' },
    CONSENT_EXPIRED: { description: 'The consent covering it expired.' },
  },
});

export const ReconciliationIssueKindEnum = enumOf(
  'SCHEDULE_SUM_MISMATCH',
  'INSTALLMENT_SPLIT_MISMATCH',
  'PAYMENT_WITHOUT_INSTALLMENT',
  'OVERPAYMENT',
  'PROVIDER_TOTAL_MISMATCH',
  'CLOSED_WITH_BALANCE',
  'STATUS_WITHOUT_PAYMENT',
  'INSTALLMENT_STATUS_WITHOUT_PAYMENT',
  'SETTLEMENT_AMOUNT_MISMATCH',
);
registerEnumType(ReconciliationIssueKindEnum, {
  name: 'ReconciliationIssueKind',
  description: "What the ledger found disagreeing between the provider's schedule, the payments and the running balance (src/domain/ledger.ts).",
  valuesConfig: {
    SCHEDULE_SUM_MISMATCH: { description: "The installments' principal and interest do not add up to the loan's terms (amount: the difference of the amounts due)." },
    INSTALLMENT_SPLIT_MISMATCH: { description: "An installment's principal plus interest differs from its amount due (amount: the difference)." },
    PAYMENT_WITHOUT_INSTALLMENT: { description: 'A repayment (cleared or pending) with nothing left to pay: the schedule is empty or already covered (amount: the repayment).' },
    OVERPAYMENT: { description: "Cleared money exceeds the schedule's total due (amount: the excess)." },
    PROVIDER_TOTAL_MISMATCH: { description: "The provider's stated totals (amount paid, number of payments) disagree with the cleared repayments Satu Kredit holds (amount: the difference of the amounts paid; null for a count)." },
    CLOSED_WITH_BALANCE: { description: 'The provider closed the loan over an unpaid schedule (amount: what cleared money leaves unpaid).' },
    STATUS_WITHOUT_PAYMENT: { description: 'The provider marked the loan repaid without the cleared money to cover it (amount: what is unpaid).' },
    INSTALLMENT_STATUS_WITHOUT_PAYMENT: {
      description: 'The provider reports an installment paid (e.g. Finfra `bnpl` PAID or `paid_amount`) beyond what cleared money pays it (amount: the part no cleared money backs).',
    },
    SETTLEMENT_AMOUNT_MISMATCH: { description: "A bank settlement names one of the loan's pending repayments but for another amount; it clears nothing (amount: the difference)." },
  },
});

export const UserErrorCodeEnum = enumOf(
  'NOT_FOUND',
  'INVALID_TRANSITION',
  'CLIENT_NOT_REGISTERED',
  'REDIRECT_URI_NOT_REGISTERED',
  'INVALID_NIK',
  'NO_PROVIDERS',
  'NO_DOMAINS',
  'NO_PURPOSE',
  'INVALID_PERIOD',
  'INVALID_DATA_LIFE',
  'INVALID_FETCH_INTERVAL',
  'INVALID_STATE',
  'INVALID_URL',
  'INVALID_EVENTS',
  'TOO_MANY_ENDPOINTS',
  'ENDPOINT_DELETED',
);
registerEnumType(UserErrorCodeEnum, {
  name: 'UserErrorCode',
  description: 'Why a mutation was refused (UserError.code); stable across releases.',
  valuesConfig: {
    NOT_FOUND: { description: 'The consent, borrower, endpoint or delivery named is not this client\'s, or does not exist.' },
    INVALID_TRANSITION: { description: "The consent's status does not allow the change (e.g. resuming an ACTIVE consent, pausing a REVOKED one), or it changed meanwhile." },
    CLIENT_NOT_REGISTERED: { description: 'The API client is not registered for consent requests (API_CLIENTS).' },
    REDIRECT_URI_NOT_REGISTERED: { description: '`redirectUri` is not one registered for the client (API_CLIENTS).' },
    INVALID_NIK: { description: '`nik` is not 15-16 digits.' },
    NO_PROVIDERS: { description: '`providers` is empty.' },
    NO_DOMAINS: { description: '`domains` is empty.' },
    NO_PURPOSE: { description: '`purpose` is empty or longer than 300 characters.' },
    INVALID_PERIOD: { description: '`expiresAt` is not in the future and after `startsAt`.' },
    INVALID_DATA_LIFE: { description: '`dataLifeSeconds` is not a positive integer.' },
    INVALID_FETCH_INTERVAL: { description: '`fetchIntervalSeconds` is negative.' },
    INVALID_STATE: { description: '`state` is longer than 500 characters.' },
    INVALID_URL: { description: 'The webhook endpoint URL is not an allowed https URL.' },
    INVALID_EVENTS: { description: 'No event type, or an unknown one, was given for the webhook endpoint.' },
    TOO_MANY_ENDPOINTS: { description: 'The client already has 16 webhook endpoints.' },
    ENDPOINT_DELETED: { description: "The delivery's endpoint was deleted; nothing is sent to it." },
  },
});

/** Whether two string unions are the same set (compile-time checks that an enum lists exactly the core's values). */
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const exhaustive: [
  SameSet<keyof typeof ReconciliationIssueKindEnum, ReconciliationIssueKind>,
  SameSet<keyof typeof AccessKindEnum, AccessKind>,
  SameSet<keyof typeof ProviderErrorCodeEnum, PartError['code']>,
] = [true, true, true];
void exhaustive;
