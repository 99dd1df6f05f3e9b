/**
 * Dompet Kilat Middleware API wire format (../shared/seeds/dompet-kilat-middleware-api.md).
 * Every response is the envelope `{ status, message, data }`: "00" success,
 * "02" duplicate entry (register), "001" record not found. Dates are `dd/MM/yyyy`
 * in request bodies and in `GET /v1/borrower/{idNumber}`; `loanData.amount` and
 * `plafons` are strings there, while callbacks carry ints. Requests are only
 * accepted from allow-listed IPs ("Mohon menginformasikan IP ... withelist IP").
 *
 * The zod schemas below are what our connector reads: everything else in the
 * provider's record (KTP/selfie images, mother's maiden name, family card,
 * emergency contacts, religion, marital status, income) is stripped at parse time.
 */
import { z } from 'zod';
import { maskAccountNumber } from '../../domain/types';

export const DK_PATHS = {
  registerBorrower: '/v1/borrower/register',
  getBorrower: (idNumber: string) => `/v1/borrower/${encodeURIComponent(idNumber)}`,
  registerLoan: '/v1/loan/register',
  /** Callback paths Dompet Kilat POSTs to the partner (curl examples in the doc). */
  disbursementCallback: '/v1/loan/disburse',
  repaymentCallback: '/v1/callback/loan/repayment',
} as const;

/** Envelope status codes documented in the seed. */
export const DK_STATUS = { success: '00', duplicate: '02', notFound: '001' } as const;

export const dkDate = z.string().regex(/^\d{2}\/\d{2}\/\d{4}$/, 'expected dd/MM/yyyy');
/** Integer rupiah sent as a string of digits ("1000000"). */
export const dkAmountString = z.string().regex(/^\d+$/, 'expected a string of digits');

/** `data.loanData` of GET /v1/borrower/{idNumber}. */
export const DkLoanData = z.object({
  tenor: z.number().int().positive(),
  /** "MONTH" in the doc; callbacks use lower-case "day". */
  unit: z.string(),
  amount: dkAmountString,
  /** "" or absent before the contract is signed. */
  contractNo: z.string().nullable().optional(),
  /** null or absent before the contract is signed (the doc's loan-register answer shows `contractDate: null`). */
  contractDate: dkDate.nullable().optional(),
  /**
   * Bank of the repayment virtual account ("BNI"). Not in the doc's GET example: the doc sends it with each loan
   * in its callbacks (`bankCode`, described there as "Kode bank untuk pencairan", while its example pairs it with
   * the VA number). We read the pair on the record's `loanData` where the middleware gives it; null, "" or
   * absent before the loan is contracted.
   */
  bankCode: z.string().nullable().optional(),
  /**
   * Repayment virtual-account number ("No VA untuk repayment", callback `paymentAccountNumber`, e.g.
   * "8808999966040139"), MASKED AT PARSE TIME ("************0139", `maskAccountNumber`): nothing of ours needs the
   * full number (callbacks carry their own), so it is never held past this schema. null when absent or blank.
   */
  paymentAccountNumber: z
    .string()
    .nullable()
    .optional()
    .transform((v) => (v && v.trim() ? maskAccountNumber(v) : null)),
});

/** `data` of GET /v1/borrower/{idNumber}, minimized to what we keep. */
export const DkBorrowerRecord = z.object({
  map: z.string(),
  productCode: z.string(),
  idNumber: z.string(),
  fullName: z.string(),
  phoneNumber: z.string(),
  email: z.string(),
  birthDate: dkDate,
  plafons: dkAmountString.optional().describe('The credit limit granted, integer rupiah as digits.'),
  loanData: DkLoanData.nullable().optional(),
  references: z.object({ interest: z.string().regex(/^\d+(\.\d+)?$/) }).nullable().optional(),
});
export type DkBorrowerRecord = z.infer<typeof DkBorrowerRecord>;

/** Envelope with arbitrary data, used before the status is known. */
export const DkEnvelope = z.object({ status: z.string(), message: z.string(), data: z.unknown() });
export type DkEnvelope = z.infer<typeof DkEnvelope>;

/** A payment inside `histories` of the repayment callback. */
export const DkHistory = z.object({ transactionTime: z.string(), paymentAmount: z.number().int() });

/** Body of the disbursement (`/v1/loan/disburse`) and repayment (`/v1/callback/loan/repayment`) callbacks. */
export const DkCallback = z.object({
  transactionId: z.string().min(1),
  loanCode: z.string().min(1),
  bankCode: z.string().min(1),
  paymentAccountNumber: z.string().min(1),
  status: z.enum(['active', 'completed', 'rejected', 'closed']),
  loanAmount: z.number().int().nonnegative(),
  loanAmountPaid: z.number().int().nonnegative().optional(),
  tenor: z.number().int().positive(),
  tenorUnit: z.string(),
  numberOfPay: z.number().int().nonnegative().optional(),
  histories: z.array(DkHistory).nullable().optional(),
});
export type DkCallback = z.infer<typeof DkCallback>;

/**
 * Full request body of POST /v1/borrower/register (all fields mandatory per the doc).
 * `phoneNumber` must start with 62; `idNumber`, `phoneNumber` and `email` are unique.
 */
export interface DkRegisterBorrowerRequest {
  map: 'PERSONAL_BORROWER';
  productCode: string;
  phoneNumber: string;
  email: string;
  fullName: string;
  idNumber: string;
  birthDate: string;
}

/** A phone number as Dompet Kilat takes it: 62 then digits. */
const phone62 = z.string().regex(/^62\d{6,13}$/).describe('Starts with 62; unique.');
/** A mandatory text field. */
const text = z.string().min(1);

/**
 * POST /v1/borrower/register body, as the document lists it (every field mandatory). The connector never registers
 * borrowers; the OpenAPI document (./openapi.ts) and the sandbox (which accepts numbers where strings are documented)
 * are built on it.
 */
export const DkRegisterBorrowerRequest = z.object({
  map: z.literal('PERSONAL_BORROWER'),
  productCode: text.describe('Kode produk.'),
  phoneNumber: phone62,
  email: z.string().email().describe('Unique.'),
  fullName: text,
  idNumber: z.string().regex(/^\d{1,16}$/, 'must be a NIK of at most 16 digits').describe('NIK, at most 16 digits; unique.'),
  birthDate: dkDate,
});

/** POST /v1/loan/register body: the registration fields plus the application (every field mandatory per the document). */
export const DkRegisterLoanRequest = DkRegisterBorrowerRequest.extend({
  gender: z.enum(['L', 'P']),
  birthPlace: text,
  officeName: text,
  startDate: dkDate.describe('When the borrower started the business or the job.'),
  address: text,
  village: text,
  subdistrict: text,
  city: text,
  province: text,
  postalCode: text,
  plafons: dkAmountString.describe('The credit limit to grant, integer rupiah as digits.'),
  job: text,
  jobType: text,
  jobOnline: text,
  income: text,
  homeOwnership: text,
  emergencyContactRelationship: text,
  emergencyContactName: text,
  emergencyContactNumber: phone62,
  religion: text,
  maritalStatus: text,
  education: text,
  motherMaidenName: text,
  bankName: text,
  bankAccountNumber: text,
  asset: text,
  familyCard: text,
  workExperience: text,
  fotoKtp: text.describe('KTP photo (base64 or a link).'),
  fotoSelfie: text.describe('Selfie photo (base64 or a link).'),
  loanData: z.object({ tenor: z.number().int().positive(), unit: text.describe('"MONTH" or "DAY".'), amount: dkAmountString.describe('At most `plafons`.') }),
  references: z.object({
    interest: z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal percentage').describe('Interest, a decimal percentage.'),
    businessAddress: z.string().optional(),
    businessVillage: z.string().optional(),
    businessSubdistrict: z.string().optional(),
    businessCity: z.string().optional(),
    businessProvince: z.string().optional(),
    businessOwnership: z.string().optional(),
    npwp: z.string().optional(),
    jobPosition: z.string().optional(),
  }),
});
