/**
 * Cairin app-protocol wire format (../shared/seeds/cairin-connector-brief.txt).
 *
 * The brief fixes `POST /mobile/loan/detail` with `{ loanId, include }` and its
 * answer (`loanId`, `principal`, `currency`, `tenorDays`, `annualRatePct`,
 * `disbursement { bank, ts, amount, status }`, `installments[] { seq, dueDate,
 * principal, interest, amountDue, status }`, where an unpaid installment may
 * carry only `amountDue`), the liveness-gated session, and cleared/pending
 * repayments over BCA, Mandiri, BRI and BNI. It says field names are
 * "confirmed during the build"; the session, list, history and funding
 * portfolio (lender side) shapes below are ours, kept in this one file. Dates are `YYYY-MM-DD` (Jakarta), instants
 * ISO-8601 with offset, amounts integer rupiah. Errors are `{ code, message }`.
 */
import { z } from 'zod';

export const CAIRIN_PATHS = {
  login: '/mobile/auth/login',
  liveness: '/mobile/auth/liveness',
  token: '/mobile/auth/token',
  refresh: '/mobile/auth/refresh',
  loanList: '/mobile/loan/list',
  loanDetail: '/mobile/loan/detail',
  history: '/mobile/transaction/history',
  identity: '/mobile/account/identity',
  fundingPortfolio: '/mobile/funding/portfolio',
} as const;

/** Error codes in `{ code, message }` bodies. */
export const CAIRIN_ERRORS = {
  invalidCredentials: 'INVALID_CREDENTIALS',
  livenessRequired: 'LIVENESS_REQUIRED',
  tokenExpired: 'TOKEN_EXPIRED',
  unauthorized: 'UNAUTHORIZED',
  refreshExpired: 'REFRESH_EXPIRED',
  loanNotFound: 'LOAN_NOT_FOUND',
  badRequest: 'BAD_REQUEST',
} as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const isoInstant = z.string().datetime({ offset: true });
const rupiah = z.number().int().nonnegative().describe('Integer rupiah.');
export const CairinBank = z.enum(['BCA', 'MANDIRI', 'BRI', 'BNI']);

export const CairinError = z.object({ code: z.string(), message: z.string() });

/** POST /mobile/auth/login `{ phoneNumber, pin, deviceId }`. */
export const CairinLoginResponse = z.object({
  loginTicket: z.string().min(1),
  livenessRequired: z.boolean().describe('The device has not passed the KTP + liveness check: POST /mobile/auth/liveness before the token.'),
  expiresIn: z.number().int().positive().describe('Lifetime of the login ticket, seconds.'),
});

/** POST /mobile/auth/liveness `{ loginTicket, ktpImage, selfieImage }` (base64 images, one-time gate). */
export const CairinLivenessResponse = z.object({ verified: z.boolean() });

/**
 * POST /mobile/auth/token `{ loginTicket }` and POST /mobile/auth/refresh `{ refreshToken }`.
 * `expiresIn`/`refreshExpiresIn` in seconds. Refresh re-issues the refresh token
 * periodically (the answer may carry a new one; the old stays valid until its own expiry).
 */
export const CairinSession = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().positive().describe('Access token lifetime, seconds.'),
  refreshExpiresIn: z.number().int().positive().describe('What is left of the refresh token\'s lifetime, seconds.'),
  accountId: z.string().min(1),
});
export type CairinSession = z.infer<typeof CairinSession>;

/**
 * GET /mobile/account/identity: the KYC identity linkage of the session's account (brief, data domain
 * "Identity / KYC: identity linkage only"): the KTP number (NIK) the onboarding verified, nothing else.
 */
export const CairinIdentity = z.object({ accountId: z.string().min(1), idNumber: z.string().regex(/^\d{15,16}$/, 'expected a 15-16 digit NIK') });
export type CairinIdentity = z.infer<typeof CairinIdentity>;

export const CairinLoanStatus = z.enum(['pending_disbursement', 'active', 'paid_off', 'rejected']);

/** GET /mobile/loan/list: the account's loans and its approved limit. */
export const CairinLoanList = z.object({
  accountId: z.string(),
  limit: z.object({ approvedLimit: rupiah, outstanding: rupiah }),
  loans: z.array(
    z.object({
      loanId: z.string().min(1),
      principal: rupiah,
      currency: z.literal('IDR'),
      tenorDays: z.number().int().positive(),
      status: CairinLoanStatus,
      appliedAt: isoInstant,
    }),
  ),
});
export type CairinLoanList = z.infer<typeof CairinLoanList>;

export const CairinInstallment = z.object({
  seq: z.number().int().positive(),
  dueDate: isoDate,
  principal: rupiah.optional(),
  interest: rupiah.optional(),
  amountDue: rupiah,
  amountPaid: rupiah.optional(),
  status: z.enum(['paid', 'partial', 'due', 'overdue', 'pending']),
});

/** POST /mobile/loan/detail `{ loanId, include: ["installments","disbursement"] }`. */
export const CairinLoanDetail = z.object({
  loanId: z.string().min(1),
  principal: rupiah,
  currency: z.literal('IDR'),
  tenorDays: z.number().int().positive(),
  annualRatePct: z.number().nonnegative().describe('Annual interest rate, percent (24 = 24% a year).'),
  status: CairinLoanStatus,
  disbursement: z
    .object({
      bank: CairinBank,
      ts: isoInstant,
      amount: rupiah,
      status: z.enum(['cleared', 'pending', 'failed']),
    })
    .nullable()
    .optional(),
  installments: z.array(CairinInstallment).optional(),
});
export type CairinLoanDetail = z.infer<typeof CairinLoanDetail>;

/** GET /mobile/transaction/history?type=all&page=1&size=100: the account's money movements, newest first. */
export const CairinHistory = z.object({
  transactions: z.array(
    z.object({
      txnId: z.string().min(1),
      loanId: z.string().min(1),
      type: z.enum(['repayment', 'disbursement']),
      amount: rupiah,
      bank: CairinBank,
      ts: isoInstant,
      status: z.enum(['cleared', 'pending', 'failed']),
      clearedAt: isoInstant.nullable().describe('When the bank settlement cleared it; null while pending.'),
    }),
  ),
  page: z.number().int().positive(),
  size: z.number().int().positive(),
  total: z.number().int().nonnegative(),
  hasMore: z.boolean(),
});
export type CairinHistory = z.infer<typeof CairinHistory>;

/** Cairin funding position status: waiting for allocation, accruing, term ended, withdrawn before allocation. */
export const CairinFundingStatus = z.enum(['pending_allocation', 'active', 'matured', 'cancelled']);

/**
 * GET /mobile/funding/portfolio: the session account's positions as a lender on Cairin's funding product (brief,
 * data domain "Funding positions (lender side): per position amount, tenor 60-91 days, accrued benefit"; app
 * profile: from IDR 1,000,000 over 60-91 days at an economic benefit up to 11 percent per annum). Field names
 * are ours, in the style of the loan endpoints. `annualBenefitPct` is a decimal percentage (10.5 = 10.5% a
 * year); `accruedBenefit` the benefit accrued to date as Cairin states it, integer rupiah.
 */
export const CairinFundingPortfolio = z.object({
  accountId: z.string(),
  positions: z.array(
    z.object({
      fundingId: z.string().min(1),
      amount: rupiah,
      currency: z.literal('IDR'),
      startDate: isoDate,
      tenorDays: z.number().int().positive(),
      maturityDate: isoDate,
      annualBenefitPct: z
        .number()
        .nonnegative()
        .refine((n) => /^\d+(\.\d+)?$/.test(String(n)), 'expected a plain decimal percentage'),
      accruedBenefit: rupiah,
      status: CairinFundingStatus,
    }),
  ),
});
export type CairinFundingPortfolio = z.infer<typeof CairinFundingPortfolio>;
