/**
 * Finfra wire format (../shared/seeds/finfra-platform-docs.txt).
 *
 * Documented there: `POST /api/auth/token/v2` (Basic clientId:clientSecret ->
 * `access_token`, `refresh_token`), `POST /api/auth/refresh`, borrower types
 * PERSONAL/BUSINESS and statuses PENDING/VERIFIED/APPROVED/BLOCKED, loan
 * creation `POST /api/core/loans/{userId}` (single payment) and
 * `.../{userId}/bnpl`, loan statuses PENDING/SIGNING/ACTIVE/DISBURSED/REPAID/REJECTED,
 * `GET /api/core/loans/details/{uniqueId}`, `sk_sandbox_`/`sk_prod_` keys,
 * webhooks with `{ type, status, data }` bodies and a `finfra-auth-key` header.
 *
 * Not in the seed (it defers to an "API Reference" we do not have), so fixed
 * here and kept in this one file: the borrower paths under `/api/core/users`,
 * the loan list `GET /api/core/loans/{userId}`, snake_case body fields beside
 * the documented camelCase ids (`userId`, `loanUniqueId`), ISO dates, and the
 * error body `{ error, message }`.
 */
import { z } from 'zod';

export const FINFRA_PATHS = {
  token: '/api/auth/token/v2',
  refresh: '/api/auth/refresh',
  users: '/api/core/users',
  user: (userId: string) => `/api/core/users/${encodeURIComponent(userId)}`,
  kycVerify: (userId: string) => `/api/core/users/${encodeURIComponent(userId)}/kyc/verify`,
  createLoan: (userId: string) => `/api/core/loans/${encodeURIComponent(userId)}`,
  createBnpl: (userId: string) => `/api/core/loans/${encodeURIComponent(userId)}/bnpl`,
  listLoans: (userId: string) => `/api/core/loans/${encodeURIComponent(userId)}`,
  loanDetails: (uniqueId: string) => `/api/core/loans/details/${encodeURIComponent(uniqueId)}`,
  signingInitiate: '/api/core/loans/signing/initiate',
  disburse: (uniqueId: string) => `/api/core/loans/${encodeURIComponent(uniqueId)}/disbursement`,
  reject: (uniqueId: string) => `/api/core/loans/${encodeURIComponent(uniqueId)}/reject`,
  /** Callback paths Finfra POSTs to the partner. */
  userStatusCallback: (callbackTitle: string) => `/api/core/ftm/users/${encodeURIComponent(callbackTitle)}/status`,
  paymentGatewayCallback: (kind: string) => `/api/core/payment-gateway/${encodeURIComponent(kind)}/status`,
} as const;

/** Client secrets select the environment: no URL switch. */
export const FINFRA_KEY_PREFIX = { sandbox: 'sk_sandbox_', production: 'sk_prod_' } as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const isoInstant = z.string().datetime({ offset: true });
const rupiah = z.number().int().nonnegative().describe('Integer rupiah.');
const percentString = z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal percentage string');

/** Response of the token exchange and refresh. `expires_in` in seconds. */
export const FinfraToken = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().positive().describe('Access token lifetime, seconds.'),
});
export type FinfraToken = z.infer<typeof FinfraToken>;

/** Every non-2xx body. */
export const FinfraError = z.object({ error: z.string(), message: z.string() });

/**
 * Borrower status: the lifecycle table's PENDING/VERIFIED/APPROVED/BLOCKED, and REJECTED, the other result of KYC
 * verification the KYC flow names ("Finfra ... approves or rejects"; "APPROVED or REJECTED").
 */
export const FinfraBorrowerStatus = z.enum(['PENDING', 'VERIFIED', 'APPROVED', 'REJECTED', 'BLOCKED']);
/** `borrower_type`: PERSONAL (a natural person, KTP + biometrics) or BUSINESS (a registered legal entity). */
export const FinfraBorrowerType = z.enum(['PERSONAL', 'BUSINESS']);
export const FinfraLoanStatus = z.enum(['PENDING', 'SIGNING', 'ACTIVE', 'DISBURSED', 'REPAID', 'REJECTED']);
export const FinfraLoanType = z.enum(['SINGLE_PAYMENT', 'BNPL']);
export const FinfraFrequency = z.enum(['WEEKLY', 'BIWEEKLY', 'MONTHLY']);

/** GET /api/core/users/{userId}, minimized. */
export const FinfraBorrower = z.object({
  userId: z.string().min(1),
  borrower_type: FinfraBorrowerType,
  name: z.string(),
  id_number: z.string(),
  /** The borrower's phone on file (62...), given at registration; absent when none was given. */
  phone_number: z.string().optional(),
  status: FinfraBorrowerStatus,
  created_at: isoInstant,
});
export type FinfraBorrower = z.infer<typeof FinfraBorrower>;

/** GET /api/core/users?id_number={NIK}: the partner's borrowers holding that NIK (at most one; NIKs are unique). */
export const FinfraBorrowerList = z.object({ users: z.array(FinfraBorrower) });
export type FinfraBorrowerList = z.infer<typeof FinfraBorrowerList>;

/** GET /api/core/loans/{userId}. */
export const FinfraLoanList = z.object({
  userId: z.string(),
  loans: z.array(
    z.object({
      loanUniqueId: z.string().min(1),
      loan_type: FinfraLoanType,
      status: FinfraLoanStatus,
      amount: rupiah,
      created_at: isoInstant,
    }),
  ),
});
export type FinfraLoanList = z.infer<typeof FinfraLoanList>;

export const FinfraInstallment = z.object({
  installment_number: z.number().int().positive(),
  due_date: isoDate,
  principal_amount: rupiah,
  interest_amount: rupiah,
  total_amount: rupiah,
  paid_amount: rupiah,
  status: z.enum(['UNPAID', 'PARTIAL', 'PAID', 'OVERDUE']),
});

export const FinfraPayment = z.object({
  payment_id: z.string().min(1),
  amount: rupiah,
  method: z.enum(['VA', 'PAYMENT_LINK']),
  bank_code: z.string(),
  status: z.enum(['PENDING', 'PAID', 'FAILED']),
  paid_at: isoInstant,
  settled_at: isoInstant.nullable().describe('When the payment settled; null until then.'),
});

export const FinfraDisbursement = z.object({
  amount: rupiah,
  bank_code: z.string(),
  account_number: z.string(),
  status: z.enum(['PENDING', 'SUCCESS', 'FAILED']),
  disbursed_at: isoInstant.nullable(),
});

/** GET /api/core/loans/details/{uniqueId}. `interest_rate` is a flat percentage per month. */
export const FinfraLoanDetails = z.object({
  loanUniqueId: z.string().min(1),
  userId: z.string().min(1),
  loan_type: FinfraLoanType,
  status: FinfraLoanStatus,
  amount: rupiah,
  interest_rate: percentString.describe('Flat interest per month, a decimal percentage ("2" = 2% a month).'),
  /** Single payment: tenor in `tenor_unit`. BNPL: number of installments. */
  tenor: z.number().int().positive().describe('Single payment: the tenor in `tenor_unit`s. BNPL: the number of installments.'),
  tenor_unit: z.enum(['DAY', 'MONTH']).nullable(),
  frequency: FinfraFrequency.nullable(),
  disbursed_at: isoInstant.nullable(),
  maturity_date: isoDate.nullable(),
  installments: z.array(FinfraInstallment),
  payments: z.array(FinfraPayment),
  disbursement: FinfraDisbursement.nullable(),
});
export type FinfraLoanDetails = z.infer<typeof FinfraLoanDetails>;

/** Webhook body: `{ type, status, data }` (the doc's callback example). */
export const FinfraCallback = z.object({
  type: z.enum(['user_created', 'user_verify', 'user_credit_score', 'loan', 'bnpl', 'invoice', 'va']),
  status: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});
export type FinfraCallback = z.infer<typeof FinfraCallback>;

/**
 * `data` of a `user_credit_score` callback ("Credit score result"). The document names the callback and the
 * `credit-source` values (`afpi`, `clik`, or both) but not the body's fields, so they are fixed here: the borrower's
 * `userId`, the integer `credit_score`, the `credit_source` it was computed from and `scored_at`, an ISO-8601 instant.
 */
export const FinfraCreditScoreData = z.object({
  userId: z.string().min(1),
  credit_score: z.number().int().nonnegative(),
  credit_source: z.enum(['afpi', 'clik', 'both']),
  scored_at: isoInstant,
});
export type FinfraCreditScoreData = z.infer<typeof FinfraCreditScoreData>;
