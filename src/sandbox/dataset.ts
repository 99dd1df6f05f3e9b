/**
 * Deterministic sandbox dataset: people who hold accounts at one, two or all
 * three providers under the same NIK, with realistic loans, schedules,
 * repayments and disbursements for each.
 *
 * Conventions: money is integer rupiah as `bigint` (converted with `Number()`
 * only when a server writes JSON); calendar dates are Asia/Jakarta `YYYY-MM-DD`
 * (`LocalDate`); instants are ISO-8601 strings with the WIB offset
 * ("2026-11-21T09:00:00.000+07:00"). Dompet Kilat records are kept exactly in
 * their wire shape (strings, `dd/MM/yyyy` dates) since that provider's record
 * is a flat document.
 *
 * Same `{ seed, borrowers, today }` => identical dataset: every random choice
 * comes from one seeded mulberry32 stream consumed in a fixed order.
 */
import type { z } from 'zod';
import { addDays, addMonths, daysBetween, isLocalDate, type LocalDate, toDayMonthYear } from '../domain/dates';
import { percent } from '../domain/money';
import { bulletSchedule, cairinSchedule, dueDatesEvery, flatSchedule, type PlannedInstallment, totalFlatInterest } from '../domain/schedule';
import type { Frequency, Tenor } from '../domain/types';
import type { CairinBank, CairinLoanStatus } from '../providers/cairin/wire';
import type { FinfraBorrowerStatus, FinfraLoanStatus } from '../providers/finfra/wire';

// ---------------------------------------------------------------------------
// Seeded PRNG
// ---------------------------------------------------------------------------

/**
 * mulberry32: a tiny 32-bit seeded PRNG. Returns a function yielding floats in [0, 1).
 * Not cryptographic; used for reproducible test data, latency jitter and fault rates.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience wrapper over a seeded `mulberry32` stream. */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A string of `n` decimal digits (leading zeros allowed). */
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(Math.floor(this.next() * 10));
    return s;
  }

  /** A string of `n` characters drawn from `alphabet`. */
  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }

  /** A log-uniform float in [min, max): small values more often, as loan sizes are. */
  logUniform(min: number, max: number): number {
    return Math.exp(Math.log(min) + this.next() * (Math.log(max) - Math.log(min)));
  }
}

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** The sandbox's provider keys (camelCase, as in `startSandbox` options and handles). */
export type SandboxProvider = 'cairin' | 'finfra' | 'dompetKilat';

/** Every sandbox provider key, in a fixed order. */
export const SANDBOX_PROVIDERS: readonly SandboxProvider[] = ['cairin', 'finfra', 'dompetKilat'];

/** One natural person of the dataset; the NIK is the key shared across providers. */
export interface SandboxPerson {
  /** NIK: 16 digits for generated people; the Dompet Kilat doc example keeps its 15-digit "362638287638783". */
  nik: string;
  fullName: string;
  /** Indonesian mobile number starting with 62. */
  phoneNumber: string;
  email: string;
  /** Jakarta calendar date of birth. */
  birthDate: LocalDate;
  /** L (laki-laki) or P (perempuan), as Dompet Kilat codes it. */
  gender: 'L' | 'P';
  /** Providers where this person holds an account. */
  providers: SandboxProvider[];
}

/** Cairin bank rail. */
export type CairinBankCode = z.infer<typeof CairinBank>;
/** Cairin installment status on the wire. */
export type CairinInstallmentStatus = 'paid' | 'partial' | 'due' | 'overdue' | 'pending';

/** One installment of a Cairin loan. Amounts in integer rupiah. */
export interface CairinInstallmentRecord {
  seq: number;
  dueDate: LocalDate;
  principal: bigint;
  interest: bigint;
  /** principal + interest. */
  amountDue: bigint;
  /** Cleared money applied (0 for due/overdue/pending; a pending repayment is not counted until it clears). */
  amountPaid: bigint;
  status: CairinInstallmentStatus;
  /** False when Cairin sends only `amountDue` for this unpaid installment (like the brief's seq 2). */
  showSplit: boolean;
}

/** One Cairin loan. Amounts in integer rupiah; `annualRatePct` is a flat yearly percentage. */
export interface CairinLoanRecord {
  loanId: string;
  principal: bigint;
  tenorDays: number;
  annualRatePct: number;
  status: z.infer<typeof CairinLoanStatus>;
  /** Instant the loan was applied for (ISO-8601, WIB offset). */
  appliedAt: string;
  /** Null until disbursed. `ts` is an ISO-8601 instant. */
  disbursement: { bank: CairinBankCode; ts: string; amount: bigint; status: 'cleared' | 'pending' | 'failed' } | null;
  /** Empty until disbursed. */
  installments: CairinInstallmentRecord[];
}

/** A Cairin money movement (transaction history row). */
export interface CairinTransactionRecord {
  txnId: string;
  loanId: string;
  type: 'repayment' | 'disbursement';
  /** Integer rupiah. */
  amount: bigint;
  bank: CairinBankCode;
  /** Instant the borrower paid / the disbursement was sent (ISO-8601, WIB offset). */
  ts: string;
  status: 'cleared' | 'pending' | 'failed';
  /** Instant the bank confirmed it; null while pending or when failed. */
  clearedAt: string | null;
}

/** A Cairin app account: login credentials, liveness state, limit, loans and history. */
export interface CairinAccountRecord {
  accountId: string;
  nik: string;
  fullName: string;
  /** Login: phone number (62...), 6-digit PIN and the registered device id. */
  phoneNumber: string;
  pin: string;
  deviceId: string;
  /** True once the one-time KTP + selfie liveness check passed (all generated accounts). */
  livenessDone: boolean;
  /** Approved credit limit, integer rupiah. */
  approvedLimit: bigint;
  loans: CairinLoanRecord[];
  transactions: CairinTransactionRecord[];
  /** Positions as a lender on Cairin's funding product; absent or empty when the account funds nothing. */
  fundingPositions?: CairinFundingRecord[];
}

/**
 * One Cairin funding position (lender side): from IDR 1,000,000 over 60-91 days at up to 11% a year (brief).
 * The server derives the maturity date (start + tenor), the accrued benefit and `matured` (an `active`
 * position from its maturity date on) on each request, from its clock.
 */
export interface CairinFundingRecord {
  fundingId: string;
  /** Integer rupiah. */
  amount: bigint;
  /** Jakarta date accrual starts (for `pending_allocation`: the planned start). */
  startDate: LocalDate;
  /** 60-91. */
  tenorDays: number;
  /** Stated economic benefit per year, decimal percentage string ("10.5"), at most 11. */
  annualBenefitPct: string;
  status: 'pending_allocation' | 'active' | 'matured' | 'cancelled';
}

/** Finfra installment. Amounts in integer rupiah. */
export interface FinfraInstallmentRecord {
  number: number;
  dueDate: LocalDate;
  principal: bigint;
  interest: bigint;
  total: bigint;
  /** Settled money applied to this installment. */
  paid: bigint;
  status: 'UNPAID' | 'PARTIAL' | 'PAID' | 'OVERDUE';
}

/** Finfra repayment (VA or payment link). `settledAt` is set only when PAID. */
export interface FinfraPaymentRecord {
  paymentId: string;
  amount: bigint;
  method: 'VA' | 'PAYMENT_LINK';
  bankCode: string;
  status: 'PENDING' | 'PAID' | 'FAILED';
  /** Instant the borrower paid (ISO-8601, WIB offset). */
  paidAt: string;
  settledAt: string | null;
}

/** Finfra disbursement to the borrower's bank account. */
export interface FinfraDisbursementRecord {
  amount: bigint;
  bankCode: string;
  accountNumber: string;
  status: 'PENDING' | 'SUCCESS' | 'FAILED';
  disbursedAt: string | null;
}

/** A Finfra loan. `interestRate` is a flat percentage per month ("1.5"). */
export interface FinfraLoanRecord {
  loanUniqueId: string;
  userId: string;
  loanType: 'SINGLE_PAYMENT' | 'BNPL';
  status: z.infer<typeof FinfraLoanStatus>;
  amount: bigint;
  interestRate: string;
  /** Single payment: length in `tenorUnit`; BNPL: number of installments. */
  tenor: number;
  tenorUnit: 'DAY' | 'MONTH' | null;
  frequency: Frequency | null;
  createdAt: string;
  disbursedAt: string | null;
  maturityDate: LocalDate | null;
  installments: FinfraInstallmentRecord[];
  payments: FinfraPaymentRecord[];
  disbursement: FinfraDisbursementRecord | null;
}

/** A Finfra borrower (user) with its loans. */
export interface FinfraUserRecord {
  userId: string;
  borrowerType: 'PERSONAL' | 'BUSINESS';
  name: string;
  idNumber: string;
  email: string;
  phoneNumber: string;
  status: z.infer<typeof FinfraBorrowerStatus>;
  createdAt: string;
  loans: FinfraLoanRecord[];
  /**
   * The borrower's latest credit score (what a `user_credit_score` callback carries): APPROVED borrowers only,
   * computed when KYC passed (`scoredAt`, the user's `createdAt`); absent otherwise.
   */
  creditScore?: FinfraCreditScoreRecord;
}

/** A Finfra credit score: the integer score, the `credit-source` it came from and when it was computed (ISO instant). */
export interface FinfraCreditScoreRecord {
  score: number;
  source: 'afpi' | 'clik' | 'both';
  scoredAt: string;
}

/** `loanData` of a Dompet Kilat borrower, wire shape (amount as digit string, `dd/MM/yyyy` date). */
export interface DkLoanDataRecord {
  tenor: number;
  unit: string;
  amount: string;
  /** "TEKENAJA-<ULID>" once contracted; "" for a loan registered but not yet contracted. */
  contractNo?: string;
  /** dd/MM/yyyy; absent until contracted. */
  contractDate?: string;
  /**
   * Bank of the repayment virtual account ("BNI"; "PERMATA" for a bank outside our channels); absent until
   * contracted. Not in the doc's GET example: the pair the doc's callbacks carry with each loan, served here on
   * the record's `loanData` (src/providers/dompetkilat/wire.ts says why).
   */
  bankCode?: string;
  /** Repayment virtual-account number, 16 digits ("8808999966040139"); absent until contracted. */
  paymentAccountNumber?: string;
}

/** `references` of a Dompet Kilat borrower. `interest` is a flat percentage per month ("1.0"). */
export interface DkReferencesRecord {
  interest: string;
  businessAddress: string;
  businessVillage: string;
  businessSubdistrict: string;
  businessCity: string;
  businessProvince: string;
  businessOwnership: string;
  npwp: string;
  jobPosition: string;
}

/**
 * The full `data` of Dompet Kilat's GET /v1/borrower/{idNumber}, every documented
 * field in the doc's order, personal ones included (our connector strips them).
 */
export interface DkBorrowerFullRecord {
  map: string;
  productCode: string;
  phoneNumber: string;
  idNumber: string;
  email: string;
  fullName: string;
  gender: string;
  /** dd/MM/yyyy. */
  birthDate: string;
  birthPlace: string;
  officeName: string;
  /** dd/MM/yyyy, or "" before the loan application supplied it. */
  startDate: string;
  address: string;
  village: string;
  subdistrict: string;
  city: string;
  province: string;
  postalCode: string;
  /** Credit ceiling, integer rupiah as a digit string. */
  plafons: string;
  job: string;
  jobType: string;
  jobOnline: string;
  income: string;
  asset: string;
  homeOwnership: string;
  religion: string;
  maritalStatus: string;
  education: string;
  motherMaidenName: string;
  emergencyContactNumber: string;
  emergencyContactName: string;
  emergencyContactRelationship: string;
  bankName: string;
  bankAccountNumber: string;
  familyCard: string;
  workExperience: string;
  /** Base64 image (or null before the loan application supplied it). */
  fotoKtp: string | null;
  fotoSelfie: string | null;
  loanData: DkLoanDataRecord | null;
  references: DkReferencesRecord | null;
}

/** Options of `generateDataset`. */
export interface DatasetOptions {
  /** PRNG seed (any 32-bit integer). */
  seed: number;
  /** Number of people, the seed example person ("John") included; at least 1. */
  borrowers: number;
  /** The dataset's "today", a Jakarta `YYYY-MM-DD`: loan states are generated relative to it. */
  today: LocalDate;
}

/** The whole generated world. */
export interface Dataset {
  seed: number;
  today: LocalDate;
  /** People, the seed example person first. */
  people: SandboxPerson[];
  /** Cairin accounts; the first holds the brief's LN-0001. */
  cairin: CairinAccountRecord[];
  /** Finfra borrowers; the first is John's. */
  finfra: FinfraUserRecord[];
  /** Dompet Kilat borrowers; the first is the doc's GET example, verbatim. */
  dompetKilat: DkBorrowerFullRecord[];
}

// ---------------------------------------------------------------------------
// Seed examples (verbatim from the provider documents)
// ---------------------------------------------------------------------------

/** The demo person of the seed documents (Dompet Kilat's "John"). */
export const SEED_PERSON = {
  nik: '362638287638783',
  fullName: 'John',
  phoneNumber: '62123123123',
  email: 'johndoe@mail.com',
  birthDate: '1999-09-30',
  gender: 'L',
} as const;

/** Fixed Cairin login of the seed person (the brief names no credentials; these are ours). */
export const SEED_CAIRIN = { accountId: 'CA-000001', pin: '123456', deviceId: 'a1b2c3d4-0000-4000-8000-000000000001', loanId: 'LN-0001' } as const;

/**
 * The seed person's Cairin funding positions (ours; the brief names none), relative to the dataset's today:
 * FD-000001 IDR 5,000,000 for 90 days at 10.5% started 30 days ago (active), FD-000002 IDR 2,000,000 for
 * 60 days at 9% started 100 days ago (matured 40 days ago).
 */
export const SEED_CAIRIN_FUNDING = [
  { fundingId: 'FD-000001', amount: 5_000_000n, startDaysAgo: 30, tenorDays: 90, annualBenefitPct: '10.5', status: 'active' },
  { fundingId: 'FD-000002', amount: 2_000_000n, startDaysAgo: 100, tenorDays: 60, annualBenefitPct: '9', status: 'matured' },
] as const;

/** Fixed Finfra user id of the seed person. */
export const SEED_FINFRA_USER_ID = 'usr_000001';

const DOC_FOTO_KTP =
  'iVBORw0KGgoAAAANSUhEUgAAA+gAAAPoCAYAAABNo9TkAAAgAElEQVR4nOzd+ VcTf7ru/fOnP2fv091fBZkcUeZ5HpRBQRQQEUGcERRBEMhQQ+a5klzPD9UJGFNJZeK uJhrWuFxhBopffaL941/J//9/8BYub3z//wXuP/1s9a/asda';
const DOC_FOTO_SELFIE =
  'iVBORw0KGgoAAAANSUhEUgAAA+gAAAPoCAYAAABNo9TkAAAgAElEQVR4nOzd+ VcTf7ru/fOnP2fv091fBZkcUeZ5HpRBQRQQEUGcERRBEMhQQ+a5klzPD9UJGFNJZeK uu/JhrWuFxhBopffaL941/J//9/8BYub3z//wXuP/1s9a/asda';

/** The repayment account of the Dompet Kilat doc's callback examples (the seed person's loan). */
export const DK_DOC_VA = { bankCode: 'BNI', paymentAccountNumber: '8808999966040139' } as const;

/**
 * Dompet Kilat's GET /v1/borrower/{idNumber} example `data`, verbatim, plus the repayment account of the doc's
 * callback examples on `loanData` (`bankCode` "BNI", `paymentAccountNumber` "8808999966040139").
 */
export function dkDocExampleRecord(): DkBorrowerFullRecord {
  return {
    map: 'PERSONAL_BORROWER',
    productCode: '95',
    phoneNumber: '62123123123',
    idNumber: '362638287638783',
    email: 'johndoe@mail.com',
    fullName: 'John',
    gender: 'L',
    birthDate: '30/09/1999',
    birthPlace: 'Jakarta',
    officeName: 'PT ABC',
    startDate: '15/04/2001',
    address: 'Jl Merdeka No. 20',
    village: 'Kampung Jawa',
    subdistrict: 'Tanah Abang',
    city: 'Jakarta Pusat',
    province: 'DKI Jakarta',
    postalCode: '10250',
    plafons: '1000000',
    job: 'Karyawan Swasta',
    jobType: 'Perantara Keuangan',
    jobOnline: 'Berbasis Internet / online',
    income: 'Rp 5.934.041 - Rp 11.868.080',
    asset: 'Rp 50.000.001 - Rp 500.000.000',
    homeOwnership: 'MILIK SENDIRI',
    religion: 'Islam',
    maritalStatus: 'BELUM KAWIN',
    education: 'SARJANA',
    motherMaidenName: 'Shizuka',
    emergencyContactNumber: '6281234567892',
    emergencyContactName: 'Banu',
    emergencyContactRelationship: 'Saudara',
    bankName: 'BANK SINARMAS',
    bankAccountNumber: '007812342',
    familyCard: '123123123123123',
    workExperience: '> 3 Tahun',
    fotoKtp: DOC_FOTO_KTP,
    fotoSelfie: DOC_FOTO_SELFIE,
    loanData: {
      tenor: 2,
      unit: 'MONTH',
      amount: '1000000',
      contractNo: 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH',
      contractDate: '11/01/2022',
      bankCode: DK_DOC_VA.bankCode,
      paymentAccountNumber: DK_DOC_VA.paymentAccountNumber,
    },
    references: {
      interest: '1.0',
      businessAddress: 'Jl. Kyai Tapa',
      businessVillage: 'Grogol',
      businessSubdistrict: 'Grogol Petamburan',
      businessCity: 'Jakarta Barat',
      businessProvince: 'DKI Jakarta',
      businessOwnership: 'MILIK SENDIRI',
      npwp: '123456789012345',
      jobPosition: 'Staff Akunting',
    },
  };
}

// ---------------------------------------------------------------------------
// Vocabulary for realistic fake data
// ---------------------------------------------------------------------------

const MALE_NAMES = ['Budi', 'Agus', 'Andi', 'Rizky', 'Dimas', 'Fajar', 'Hendra', 'Yusuf', 'Arif', 'Bayu', 'Eko', 'Joko', 'Teguh', 'Wahyu', 'Ilham', 'Reza', 'Rudi', 'Slamet', 'Taufik', 'Gilang'];
const FEMALE_NAMES = ['Siti', 'Dewi', 'Putri', 'Ayu', 'Rina', 'Wulan', 'Indah', 'Fitri', 'Lestari', 'Nurul', 'Sri', 'Ratna', 'Maya', 'Intan', 'Anisa', 'Kartika', 'Novi', 'Yuliana', 'Dian', 'Mega'];
const LAST_NAMES = ['Santoso', 'Wijaya', 'Saputra', 'Hidayat', 'Pratama', 'Kurniawan', 'Setiawan', 'Nugroho', 'Siregar', 'Nasution', 'Lubis', 'Simanjuntak', 'Wibowo', 'Susanto', 'Hakim', 'Gunawan', 'Halim', 'Rahmawati', 'Permata', 'Sari', 'Purnomo', 'Hartono', 'Utami', 'Firmansyah'];
const MOTHER_NAMES = ['Sumarni', 'Suryani', 'Aminah', 'Khadijah', 'Partini', 'Sulastri', 'Wartini', 'Rohani', 'Juwariyah', 'Murniati', 'Sumiati', 'Ngatiyem'];

interface Place {
  city: string;
  province: string;
  /** NIK province code. */
  provinceCode: string;
  subdistricts: readonly string[];
  villages: readonly string[];
  postalPrefix: string;
}

const PLACES: readonly Place[] = [
  { city: 'Jakarta Selatan', province: 'DKI Jakarta', provinceCode: '31', subdistricts: ['Kebayoran Baru', 'Tebet', 'Pancoran', 'Cilandak'], villages: ['Senayan', 'Manggarai', 'Kalibata', 'Lebak Bulus'], postalPrefix: '12' },
  { city: 'Jakarta Timur', province: 'DKI Jakarta', provinceCode: '31', subdistricts: ['Cakung', 'Duren Sawit', 'Jatinegara', 'Matraman'], villages: ['Pulo Gebang', 'Klender', 'Bidara Cina', 'Utan Kayu'], postalPrefix: '13' },
  { city: 'Bandung', province: 'Jawa Barat', provinceCode: '32', subdistricts: ['Coblong', 'Sukajadi', 'Lengkong', 'Antapani'], villages: ['Dago', 'Sukagalih', 'Cikawao', 'Antapani Kidul'], postalPrefix: '40' },
  { city: 'Bekasi', province: 'Jawa Barat', provinceCode: '32', subdistricts: ['Bekasi Barat', 'Rawalumbu', 'Medan Satria'], villages: ['Kranji', 'Bojong Menteng', 'Harapan Mulya'], postalPrefix: '17' },
  { city: 'Semarang', province: 'Jawa Tengah', provinceCode: '33', subdistricts: ['Tembalang', 'Banyumanik', 'Candisari'], villages: ['Bulusan', 'Srondol Wetan', 'Jatingaleh'], postalPrefix: '50' },
  { city: 'Yogyakarta', province: 'DI Yogyakarta', provinceCode: '34', subdistricts: ['Gondokusuman', 'Umbulharjo', 'Kotagede'], villages: ['Terban', 'Warungboto', 'Prenggan'], postalPrefix: '55' },
  { city: 'Surabaya', province: 'Jawa Timur', provinceCode: '35', subdistricts: ['Gubeng', 'Wonokromo', 'Rungkut', 'Tegalsari'], villages: ['Airlangga', 'Darmo', 'Kalirungkut', 'Kedungdoro'], postalPrefix: '60' },
  { city: 'Tangerang', province: 'Banten', provinceCode: '36', subdistricts: ['Ciledug', 'Karawaci', 'Cipondoh'], villages: ['Sudimara', 'Bojong Jaya', 'Poris Plawad'], postalPrefix: '15' },
  { city: 'Denpasar', province: 'Bali', provinceCode: '51', subdistricts: ['Denpasar Selatan', 'Denpasar Barat'], villages: ['Sanur', 'Padangsambian'], postalPrefix: '80' },
  { city: 'Medan', province: 'Sumatera Utara', provinceCode: '12', subdistricts: ['Medan Baru', 'Medan Helvetia', 'Medan Johor'], villages: ['Padang Bulan', 'Tanjung Gusta', 'Gedung Johor'], postalPrefix: '20' },
  { city: 'Makassar', province: 'Sulawesi Selatan', provinceCode: '73', subdistricts: ['Panakkukang', 'Tamalate', 'Rappocini'], villages: ['Pandang', 'Mangasa', 'Banta-Bantaeng'], postalPrefix: '90' },
];
const STREETS = ['Jl. Merdeka', 'Jl. Sudirman', 'Jl. Diponegoro', 'Jl. Gatot Subroto', 'Jl. Ahmad Yani', 'Jl. Pahlawan', 'Jl. Kenanga', 'Jl. Melati', 'Jl. Mawar', 'Jl. Cendana', 'Gg. Masjid', 'Jl. Raya Bogor'];
const COMPANIES = ['PT Maju Bersama', 'PT Sinar Abadi', 'CV Karya Mandiri', 'PT Nusantara Logistik', 'PT Sentosa Retail', 'Toko Sumber Rejeki', 'PT Global Teknologi', 'Warung Makan Barokah', 'PT Cahaya Farma', 'CV Berkah Jaya'];
const JOBS: readonly { job: string; jobType: string; position: string }[] = [
  { job: 'Karyawan Swasta', jobType: 'Perantara Keuangan', position: 'Staff Akunting' },
  { job: 'Karyawan Swasta', jobType: 'Perdagangan', position: 'Staff Penjualan' },
  { job: 'Wiraswasta', jobType: 'Perdagangan', position: 'Pemilik Usaha' },
  { job: 'Wiraswasta', jobType: 'Jasa Makanan dan Minuman', position: 'Pemilik Usaha' },
  { job: 'Pegawai Negeri Sipil', jobType: 'Administrasi Pemerintahan', position: 'Staff Administrasi' },
  { job: 'Karyawan Swasta', jobType: 'Informasi dan Komunikasi', position: 'Programmer' },
  { job: 'Pengemudi Online', jobType: 'Transportasi', position: 'Mitra Pengemudi' },
];
const JOB_ONLINE = ['Berbasis Internet / online', 'Tidak Berbasis Internet / offline'];
const INCOME_BANDS = ['Rp 0 - Rp 2.967.020', 'Rp 2.967.021 - Rp 5.934.040', 'Rp 5.934.041 - Rp 11.868.080', 'Rp 11.868.081 - Rp 23.736.160'];
const ASSET_BANDS = ['Rp 0 - Rp 50.000.000', 'Rp 50.000.001 - Rp 500.000.000', 'Rp 500.000.001 - Rp 10.000.000.000'];
const HOME_OWNERSHIP = ['MILIK SENDIRI', 'MILIK KELUARGA', 'SEWA', 'KOS'];
const RELIGIONS = ['Islam', 'Islam', 'Islam', 'Kristen', 'Katolik', 'Hindu', 'Buddha', 'Konghucu'];
const MARITAL = ['BELUM KAWIN', 'KAWIN', 'CERAI HIDUP', 'CERAI MATI'];
const EDUCATION = ['SMA', 'DIPLOMA', 'SARJANA', 'MAGISTER'];
const RELATIONSHIPS = ['Saudara', 'Orang Tua', 'Pasangan', 'Teman'];
const DK_BANKS = ['BANK SINARMAS', 'BANK BCA', 'BANK MANDIRI', 'BANK BRI', 'BANK BNI', 'BANK PERMATA'];
const WORK_EXPERIENCE = ['< 1 Tahun', '1 - 3 Tahun', '> 3 Tahun'];
const CAIRIN_BANKS: readonly CairinBankCode[] = ['BCA', 'MANDIRI', 'BRI', 'BNI'];
const FINFRA_BANKS = ['BCA', 'MANDIRI', 'BRI', 'BNI', 'BCA', 'MANDIRI', 'BRI', 'BNI', 'PERMATA'];
const FINFRA_RATES = ['1.5', '2', '2.5'];
const DK_RATES = ['0.8', '1.0', '1.2', '1.5'];
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Typical settlement lag of each bank rail, minutes [min, max]. */
const SETTLEMENT_LAG_MINUTES: Record<string, readonly [number, number]> = {
  BCA: [2, 30],
  MANDIRI: [5, 90],
  BRI: [20, 240],
  BNI: [10, 180],
  PERMATA: [10, 120],
};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Asia/Jakarta has kept UTC+07:00 (WIB), without daylight saving, since 1964: the generator's instants are written
 * with plain arithmetic (luxon's zone lookups were most of the time a 6000-borrower dataset took to generate).
 */
const WIB_OFFSET_MS = 7 * 3600_000;

/** An ISO-8601 instant (WIB offset) at a Jakarta wall-clock time of a date (hour 0-23, minute and second 0-59). */
function instantAt(date: LocalDate, hour: number, minute: number, second = 0): string {
  return `${date}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.000+07:00`;
}

/** `iso` plus some minutes, WIB offset. */
function plusMinutes(iso: string, minutes: number): string {
  return wibIso(Date.parse(iso) + minutes * 60_000);
}

/** An instant (epoch milliseconds) as ISO-8601 with the WIB offset, as luxon's `toISO()` in Asia/Jakarta writes it. */
function wibIso(ms: number): string {
  return `${new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, -1)}+07:00`;
}

function roundTo(value: number, step: number): bigint {
  return BigInt(Math.max(step, Math.round(value / step) * step));
}

function settlementLag(rng: Rng, bank: string): number {
  const [lo, hi] = SETTLEMENT_LAG_MINUTES[bank] ?? [5, 60];
  return rng.int(lo, hi);
}

function uuidLike(rng: Rng): string {
  const h = rng.chars(32, '0123456789abcdef');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${rng.pick(['8', '9', 'a', 'b'])}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A ULID-shaped id (26 Crockford base32 chars: 10 of time in ms, 16 random). */
function ulidLike(rng: Rng, timeMs: number): string {
  let t = Math.max(0, Math.floor(timeMs));
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + rng.chars(16, CROCKFORD);
}

function fakeBase64Image(rng: Rng): string {
  // A PNG header ("iVBORw0KGgo...") followed by random base64, like the doc's examples.
  return `iVBORw0KGgoAAAANSUhEUgAAA${rng.chars(120, BASE64)}==`;
}

// ---------------------------------------------------------------------------
// Repayment outcome simulation (shared by Cairin and Finfra)
// ---------------------------------------------------------------------------

type Outcome = 'paid' | 'partial' | 'due' | 'overdue' | 'pending';

interface PaymentEvent {
  amount: bigint;
  /** Instant paid (ISO, WIB). */
  ts: string;
  status: 'cleared' | 'pending' | 'failed';
}

interface InstallmentOutcome {
  outcome: Outcome;
  /** Cleared money applied. */
  amountPaid: bigint;
  events: PaymentEvent[];
}

/**
 * Decides, relative to `today`, what happened to each planned installment of a
 * disbursed loan. `settled` loans are fully repaid; live loans pay most past
 * installments (some late), may turn delinquent from some installment on
 * (first delinquent one sometimes partially paid), may have paid the next
 * upcoming one early or have a repayment in flight (pending), and always keep
 * at least one installment open.
 */
function simulateRepayments(rng: Rng, plan: readonly PlannedInstallment[], today: LocalDate, startOn: LocalDate, settled: boolean): InstallmentOutcome[] {
  const yesterday = addDays(today, -1);
  const pastIdx = plan.map((p, k) => (p.dueDate < today ? k : -1)).filter((k) => k >= 0);
  const delinquentFrom = !settled && pastIdx.length > 0 && rng.chance(0.2) ? rng.pick(pastIdx) : Number.POSITIVE_INFINITY;
  const firstUpcoming = plan.findIndex((p) => p.dueDate >= today);

  const outcomes: Outcome[] = plan.map((p, k) => {
    if (settled) return 'paid';
    if (p.dueDate < today) {
      if (k >= delinquentFrom) return k === delinquentFrom && rng.chance(0.5) ? 'partial' : 'overdue';
      // Paid on (or just before) a due date of the last few days: the bank may not have confirmed yet.
      if (daysBetween(p.dueDate, today) <= 3 && rng.chance(0.4)) return 'pending';
      return 'paid';
    }
    if (k === firstUpcoming && delinquentFrom === Number.POSITIVE_INFINITY && daysBetween(today, p.dueDate) <= 14) {
      const r = rng.float();
      if (r < 0.35) return 'pending';
      if (r < 0.55) return 'paid';
      if (r < 0.65) return 'partial';
    }
    return 'due';
  });
  if (!settled && outcomes.length > 0 && !outcomes.some((o) => o !== 'paid')) {
    const last = plan[plan.length - 1]!;
    outcomes[outcomes.length - 1] = last.dueDate < today ? 'overdue' : 'pending';
  }

  const clampPaidOn = (d: LocalDate) => (d < startOn ? startOn : d > yesterday ? yesterday : d);
  return plan.map((p, k) => {
    const outcome = outcomes[k]!;
    const events: PaymentEvent[] = [];
    let amountPaid = 0n;
    const at = (d: LocalDate) => instantAt(d, rng.int(7, 21), rng.int(0, 59), rng.int(0, 59));
    if (outcome === 'paid') {
      let paidOn: LocalDate;
      if (p.dueDate >= today) paidOn = clampPaidOn(addDays(today, -rng.int(1, 3)));
      else if (rng.chance(0.12)) paidOn = clampPaidOn(addDays(p.dueDate, rng.int(1, 9)));
      else paidOn = clampPaidOn(addDays(p.dueDate, -rng.int(0, 3)));
      const ts = at(paidOn);
      if (rng.chance(0.06)) events.push({ amount: p.amountDue, ts: plusMinutes(ts, -rng.int(20, 180)), status: 'failed' });
      events.push({ amount: p.amountDue, ts, status: 'cleared' });
      amountPaid = p.amountDue;
    } else if (outcome === 'partial') {
      const part = BigInt(Math.round((Number(p.amountDue) * (0.3 + rng.float() * 0.4)) / 1000) * 1000);
      const paid = part > 0n && part < p.amountDue ? part : p.amountDue / 2n;
      const paidOn = p.dueDate >= today ? addDays(today, -rng.int(1, 5)) : addDays(p.dueDate, rng.int(0, 5));
      events.push({ amount: paid, ts: at(clampPaidOn(paidOn)), status: 'cleared' });
      amountPaid = paid;
    } else if (outcome === 'pending') {
      // Paid yesterday evening; the bank confirmation has not landed.
      events.push({ amount: p.amountDue, ts: instantAt(clampPaidOn(yesterday), rng.int(18, 22), rng.int(0, 59), rng.int(0, 59)), status: 'pending' });
    }
    return { outcome, amountPaid, events };
  });
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

interface Counters {
  cairinAccount: number;
  cairinLoan: number;
  cairinTxn: number;
  finfraUser: number;
  finfraLoan: number;
  finfraPayment: number;
}

interface PersonExtra {
  place: Place;
}

/**
 * Generates the sandbox dataset.
 * @param opts.seed PRNG seed; @param opts.borrowers number of people (>= 1, the seed person included);
 * @param opts.today Jakarta `YYYY-MM-DD` that loan states are relative to.
 * @throws RangeError on a non-positive `borrowers` or an invalid `today`.
 */
export function generateDataset(opts: DatasetOptions): Dataset {
  // Each person draws from streams of their own (identity, then one per provider), seeded by (seed, index, stream):
  // how many draws a loan's history takes depends on `today`, and with one shared stream every person after
  // the first such loan changed with the day. Now who the people are, their NIKs, phone numbers, account ids,
  // Cairin logins and how many loans they hold depend on the seed alone; loan states follow `today`.
  const { seed, borrowers, today } = opts;
  if (!Number.isInteger(borrowers) || borrowers < 1) throw new RangeError(`borrowers must be a positive integer, got ${borrowers}`);
  if (!isLocalDate(today)) throw new RangeError(`today must be YYYY-MM-DD, got "${today}"`);
  const counters: Counters = { cairinAccount: 1, cairinLoan: 1, cairinTxn: 1, finfraUser: 1, finfraLoan: 1, finfraPayment: 1 };
  const usedNik = new Set<string>([SEED_PERSON.nik]);
  const usedPhone = new Set<string>([SEED_PERSON.phoneNumber]);

  const people: SandboxPerson[] = [];
  const cairin: CairinAccountRecord[] = [];
  const finfra: FinfraUserRecord[] = [];
  const dompetKilat: DkBorrowerFullRecord[] = [];

  // The seed person: Dompet Kilat doc example, Cairin LN-0001 (the brief), and a Finfra account.
  const john: SandboxPerson = { ...SEED_PERSON, providers: ['cairin', 'finfra', 'dompetKilat'] };
  people.push(john);
  cairin.push(seedCairinAccount(counters, today));
  finfra.push(genFinfraUser(personRng(seed, 0, 2), counters, john, today, { userId: SEED_FINFRA_USER_ID, forceApproved: true }));
  dompetKilat.push(dkDocExampleRecord());

  for (let i = 1; i < borrowers; i++) {
    const { person, extra } = genPerson(personRng(seed, i, 0), today, usedNik, usedPhone, i);
    people.push(person);
    if (person.providers.includes('cairin')) cairin.push(genCairinAccount(personRng(seed, i, 1), counters, person, today));
    if (person.providers.includes('finfra')) finfra.push(genFinfraUser(personRng(seed, i, 2), counters, person, today, {}));
    if (person.providers.includes('dompetKilat')) dompetKilat.push(genDkRecord(personRng(seed, i, 3), person, extra, today));
  }
  addCairinFunding(seed, cairin, today);
  addDkRepaymentVas(dompetKilat);
  return { seed, today, people, cairin, finfra, dompetKilat };
}

const FUNDING_RATES = ['8', '9', '9.5', '10', '10.5', '11'] as const;

/**
 * Gives the seed account its fixed positions and about a quarter of the other Cairin accounts one to three
 * funding positions, from a PRNG stream of its own (the rest of the dataset is the same with or without them).
 */
function addCairinFunding(seed: number, accounts: CairinAccountRecord[], today: LocalDate): void {
  const rng = new Rng((seed ^ 0x46554e44) >>> 0);
  let n = 1;
  const id = () => `FD-${pad(n++, 6)}`;
  const [first, ...rest] = accounts;
  if (first?.accountId === SEED_CAIRIN.accountId) {
    first.fundingPositions = SEED_CAIRIN_FUNDING.map((f) => ({ fundingId: id(), amount: f.amount, startDate: addDays(today, -f.startDaysAgo), tenorDays: f.tenorDays, annualBenefitPct: f.annualBenefitPct, status: f.status }));
  }
  for (const a of rest) {
    if (!rng.chance(0.25)) continue;
    const count = rng.int(1, 3);
    a.fundingPositions = [];
    for (let k = 0; k < count; k++) {
      const tenorDays = rng.int(60, 91);
      const r = rng.float();
      const status: CairinFundingRecord['status'] = r < 0.1 ? 'pending_allocation' : r < 0.15 ? 'cancelled' : 'active';
      const startDate = status === 'pending_allocation' ? addDays(today, rng.int(1, 3)) : addDays(today, -rng.int(0, 150));
      a.fundingPositions.push({
        fundingId: id(),
        amount: roundTo(rng.logUniform(1_000_000, 50_000_000), 500_000),
        startDate,
        tenorDays,
        annualBenefitPct: rng.pick(FUNDING_RATES),
        // An active position past its maturity date is sent as matured.
        status,
      });
    }
  }
}

/** A person's own PRNG stream `stream` (0 identity, 1 Cairin, 2 Finfra, 3 Dompet Kilat) of the dataset `seed`. */
function personRng(seed: number, index: number, stream: number): Rng {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  // murmur3's finalizer: nearby (seed, index, stream) give unrelated streams.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

/** The day generated birth dates count back from (ages 21 to 56 on it). */
const BIRTH_DATE_ANCHOR: LocalDate = '2026-01-01';

function genPerson(rng: Rng, today: LocalDate, usedNik: Set<string>, usedPhone: Set<string>, index: number): { person: SandboxPerson; extra: PersonExtra } {
  const gender: 'L' | 'P' = rng.chance(0.5) ? 'L' : 'P';
  const first = rng.pick(gender === 'L' ? MALE_NAMES : FEMALE_NAMES);
  const last = rng.pick(LAST_NAMES);
  const place = rng.pick(PLACES);
  // Birth dates (and so NIKs, which spell them) count back from a fixed day, not from `today`: a person keeps
  // their NIK whatever day the sandbox starts, so a restart on another day finds the borrowers it linked before.
  const birthDate = addDays(addMonths(BIRTH_DATE_ANCHOR, -12 * rng.int(21, 55)), -rng.int(0, 364));
  const [y, m, d] = birthDate.split('-');
  // NIK: province(2) regency(2) district(2) DDMMYY (day + 40 for women) serial(4).
  let nik: string;
  do {
    const day = Number(d) + (gender === 'P' ? 40 : 0);
    nik = `${place.provinceCode}${pad(rng.int(1, 20), 2)}${pad(rng.int(1, 30), 2)}${pad(day, 2)}${m}${y!.slice(2)}${pad(rng.int(1, 9999), 4)}`;
  } while (usedNik.has(nik));
  usedNik.add(nik);
  let phone: string;
  do phone = `628${rng.pick(['1', '2', '5', '7', '9'])}${rng.digits(rng.int(7, 9))}`;
  while (usedPhone.has(phone));
  usedPhone.add(phone);
  const email = `${first}.${last}${index}@example.com`.toLowerCase();

  const r = rng.float();
  let providers: SandboxProvider[];
  if (r < 0.4) providers = ['cairin', 'finfra', 'dompetKilat'];
  else if (r < 0.7) {
    const drop = rng.pick(SANDBOX_PROVIDERS);
    providers = SANDBOX_PROVIDERS.filter((p) => p !== drop);
  } else providers = [rng.pick(SANDBOX_PROVIDERS)];
  return { person: { nik, fullName: `${first} ${last}`, phoneNumber: phone, email, birthDate, gender, providers }, extra: { place } };
}

// ---------------------------------------------------------------------------
// Cairin
// ---------------------------------------------------------------------------

function cairinTxn(counters: Counters, t: Omit<CairinTransactionRecord, 'txnId'>): CairinTransactionRecord {
  return { txnId: `TRX-${pad(counters.cairinTxn++, 8)}`, ...t };
}

/** The brief's loan: LN-0001, 1,000,000 over 120 days at 24% a year, 4 x (250,000 + 20,000), the first paid. */
function seedCairinAccount(counters: Counters, today: LocalDate): CairinAccountRecord {
  counters.cairinAccount++;
  counters.cairinLoan++;
  const disbursedOn = addDays(today, -40);
  const plan = cairinSchedule(1_000_000n, percent('24'), 120, disbursedOn);
  const disbursedTs = instantAt(disbursedOn, 10, 15);
  const transactions: CairinTransactionRecord[] = [
    cairinTxn(counters, { loanId: SEED_CAIRIN.loanId, type: 'disbursement', amount: 1_000_000n, bank: 'BCA', ts: disbursedTs, status: 'cleared', clearedAt: plusMinutes(disbursedTs, 12) }),
  ];
  const firstPaid = instantAt(plan[0]!.dueDate, 9, 30);
  transactions.push(cairinTxn(counters, { loanId: SEED_CAIRIN.loanId, type: 'repayment', amount: 270_000n, bank: 'BCA', ts: firstPaid, status: 'cleared', clearedAt: plusMinutes(firstPaid, 8) }));
  const installments: CairinInstallmentRecord[] = plan.map((p, k) => ({
    ...p,
    amountPaid: k === 0 ? p.amountDue : 0n,
    status: k === 0 ? 'paid' : 'due',
    // The brief shows the unpaid seq 2 with only amountDue.
    showSplit: k === 0,
  }));
  return {
    accountId: SEED_CAIRIN.accountId,
    nik: SEED_PERSON.nik,
    fullName: SEED_PERSON.fullName,
    phoneNumber: SEED_PERSON.phoneNumber,
    pin: SEED_CAIRIN.pin,
    deviceId: SEED_CAIRIN.deviceId,
    livenessDone: true,
    approvedLimit: 5_000_000n,
    loans: [
      {
        loanId: SEED_CAIRIN.loanId,
        principal: 1_000_000n,
        tenorDays: 120,
        annualRatePct: 24,
        status: 'active',
        appliedAt: instantAt(addDays(disbursedOn, -1), 20, 5),
        disbursement: { bank: 'BCA', ts: disbursedTs, amount: 1_000_000n, status: 'cleared' },
        installments,
      },
    ],
    transactions: sortNewestFirst(transactions),
  };
}

function sortNewestFirst(ts: CairinTransactionRecord[]): CairinTransactionRecord[] {
  return ts.sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts) || (a.txnId < b.txnId ? 1 : -1));
}

function genCairinAccount(rng: Rng, counters: Counters, person: SandboxPerson, today: LocalDate): CairinAccountRecord {
  const accountId = `CA-${pad(counters.cairinAccount++, 6)}`;
  // The login first: the loans' draws depend on `today`.
  const pin = rng.digits(6);
  const deviceId = uuidLike(rng);
  const n = rng.pick([1, 1, 1, 2, 2, 3]);
  const loans: CairinLoanRecord[] = [];
  const transactions: CairinTransactionRecord[] = [];
  for (let i = 0; i < n; i++) loans.push(genCairinLoan(rng, counters, today, transactions));
  const biggest = loans.reduce((m, l) => (l.principal > m ? l.principal : m), 0n);
  const limit = ((biggest * 3n) / 2n + 999_999n) / 1_000_000n * 1_000_000n;
  return {
    accountId,
    nik: person.nik,
    fullName: person.fullName,
    phoneNumber: person.phoneNumber,
    pin,
    deviceId,
    livenessDone: true,
    approvedLimit: limit > 80_000_000n ? 80_000_000n : limit < 2_000_000n ? 2_000_000n : limit,
    loans,
    transactions: sortNewestFirst(transactions),
  };
}

function genCairinLoan(rng: Rng, counters: Counters, today: LocalDate, txns: CairinTransactionRecord[]): CairinLoanRecord {
  const loanId = `LN-${pad(counters.cairinLoan++, 4)}`;
  const principal = roundTo(rng.logUniform(500_000, 80_000_000), 100_000);
  const tenorDays = rng.int(91, 365);
  const annualRatePct = rng.int(12, 24);
  const bank = rng.pick(CAIRIN_BANKS);
  const r = rng.float();
  const status: CairinLoanRecord['status'] = r < 0.1 ? 'pending_disbursement' : r < 0.3 ? 'paid_off' : 'active';
  if (status === 'pending_disbursement') {
    const appliedOn = addDays(today, -rng.int(1, 3));
    return { loanId, principal: principal, tenorDays, annualRatePct, status, appliedAt: instantAt(appliedOn, rng.int(7, 22), rng.int(0, 59)), disbursement: null, installments: [] };
  }
  const disbursedOn = status === 'paid_off' ? addDays(today, -(tenorDays + rng.int(1, 200))) : addDays(today, -rng.int(1, tenorDays - 1));
  const appliedAt = instantAt(addDays(disbursedOn, -rng.int(0, 2)), rng.int(7, 9), rng.int(0, 59));
  const disbursedTs = instantAt(disbursedOn, rng.int(10, 16), rng.int(0, 59));
  const plan = cairinSchedule(principal, percent(String(annualRatePct)), tenorDays, disbursedOn);
  const outcomes = simulateRepayments(rng, plan, today, addDays(disbursedOn, 1), status === 'paid_off');
  const showSplitUnpaid = rng.chance(0.5);
  txns.push(cairinTxn(counters, { loanId, type: 'disbursement', amount: principal, bank, ts: disbursedTs, status: 'cleared', clearedAt: plusMinutes(disbursedTs, rng.int(1, 30)) }));
  const installments = plan.map((p, k): CairinInstallmentRecord => {
    const o = outcomes[k]!;
    for (const e of o.events) {
      const payBank = rng.chance(0.7) ? bank : rng.pick(CAIRIN_BANKS);
      txns.push(
        cairinTxn(counters, {
          loanId,
          type: 'repayment',
          amount: e.amount,
          bank: payBank,
          ts: e.ts,
          status: e.status,
          clearedAt: e.status === 'cleared' ? plusMinutes(e.ts, settlementLag(rng, payBank)) : null,
        }),
      );
    }
    return { ...p, amountPaid: o.amountPaid, status: o.outcome, showSplit: o.outcome === 'paid' || o.outcome === 'partial' || showSplitUnpaid };
  });
  return { loanId, principal, tenorDays, annualRatePct, status, appliedAt, disbursement: { bank, ts: disbursedTs, amount: principal, status: 'cleared' }, installments };
}

// ---------------------------------------------------------------------------
// Finfra
// ---------------------------------------------------------------------------

/** Interest tenor of a Finfra loan for `totalFlatInterest` (BNPL counts installments). */
export function finfraInterestTenor(loanType: 'SINGLE_PAYMENT' | 'BNPL', tenor: number, tenorUnit: 'DAY' | 'MONTH' | null, frequency: Frequency | null): Tenor {
  if (loanType === 'SINGLE_PAYMENT') return { value: tenor, unit: tenorUnit ?? 'DAY' };
  if (frequency === 'WEEKLY') return { value: tenor, unit: 'WEEK' };
  if (frequency === 'BIWEEKLY') return { value: tenor * 2, unit: 'WEEK' };
  return { value: tenor, unit: 'MONTH' };
}

/**
 * Finfra's planned schedule from `start`: a single payment is one bullet
 * installment at maturity (DAY tenors in days, MONTH tenors in calendar months);
 * BNPL splits principal and flat monthly interest evenly over `tenor` installments.
 */
export function finfraPlan(
  loanType: 'SINGLE_PAYMENT' | 'BNPL',
  amount: bigint,
  interestRate: string,
  tenor: number,
  tenorUnit: 'DAY' | 'MONTH' | null,
  frequency: Frequency | null,
  start: LocalDate,
): PlannedInstallment[] {
  const interest = totalFlatInterest(amount, { rate: percent(interestRate), period: 'MONTH' }, finfraInterestTenor(loanType, tenor, tenorUnit, frequency));
  if (loanType === 'SINGLE_PAYMENT') {
    const maturity = tenorUnit === 'MONTH' ? addMonths(start, tenor) : addDays(start, tenor);
    return bulletSchedule(amount, interest, maturity);
  }
  return flatSchedule(amount, interest, dueDatesEvery(start, frequency ?? 'MONTHLY', tenor));
}

function genFinfraUser(
  rng: Rng,
  counters: Counters,
  person: SandboxPerson,
  today: LocalDate,
  opts: { userId?: string; forceApproved?: boolean },
): FinfraUserRecord {
  const n = counters.finfraUser++;
  const userId = opts.userId ?? `usr_${pad(n, 6)}`;
  const r = rng.float();
  const status: FinfraUserRecord['status'] = opts.forceApproved || r < 0.88 ? 'APPROVED' : r < 0.92 ? 'PENDING' : r < 0.96 ? 'VERIFIED' : 'BLOCKED';
  const createdOn = addDays(today, -rng.int(200, 700));
  const user: FinfraUserRecord = {
    userId,
    borrowerType: 'PERSONAL',
    name: person.fullName,
    idNumber: person.nik,
    email: person.email,
    phoneNumber: person.phoneNumber,
    status,
    createdAt: instantAt(createdOn, rng.int(8, 20), rng.int(0, 59)),
    loans: [],
  };
  if (status === 'APPROVED') {
    // Derived from the user's number, not drawn: the rest of the dataset stays what it was for a given seed.
    user.creditScore = { score: 500 + ((n * 7919) % 350), source: (['afpi', 'clik', 'both'] as const)[n % 3]!, scoredAt: user.createdAt };
    const count = rng.pick([1, 1, 2, 2, 3]);
    for (let i = 0; i < count; i++) user.loans.push(genFinfraLoan(rng, counters, userId, today));
  }
  return user;
}

function genFinfraLoan(rng: Rng, counters: Counters, userId: string, today: LocalDate): FinfraLoanRecord {
  const loanUniqueId = `FL-${pad(counters.finfraLoan++, 6)}`;
  const loanType: FinfraLoanRecord['loanType'] = rng.chance(0.45) ? 'SINGLE_PAYMENT' : 'BNPL';
  const interestRate = rng.pick(FINFRA_RATES);
  let tenor: number;
  let tenorUnit: FinfraLoanRecord['tenorUnit'] = null;
  let frequency: Frequency | null = null;
  let amount: bigint;
  if (loanType === 'SINGLE_PAYMENT') {
    tenorUnit = rng.chance(0.6) ? 'DAY' : 'MONTH';
    tenor = tenorUnit === 'DAY' ? rng.int(14, 90) : rng.int(1, 3);
    amount = roundTo(rng.logUniform(500_000, 10_000_000), 50_000);
  } else {
    frequency = rng.pick<Frequency>(['WEEKLY', 'BIWEEKLY', 'MONTHLY']);
    tenor = rng.int(3, 12);
    amount = roundTo(rng.logUniform(300_000, 15_000_000), 10_000);
  }
  const r = rng.float();
  const status: FinfraLoanRecord['status'] = r < 0.55 ? 'DISBURSED' : r < 0.75 ? 'REPAID' : r < 0.83 ? 'ACTIVE' : r < 0.9 ? 'PENDING' : r < 0.93 ? 'SIGNING' : 'REJECTED';
  const base: Omit<FinfraLoanRecord, 'status' | 'createdAt' | 'disbursedAt' | 'maturityDate' | 'installments' | 'payments' | 'disbursement'> = {
    loanUniqueId,
    userId,
    loanType,
    amount,
    interestRate,
    tenor,
    tenorUnit,
    frequency,
  };
  const plannedFrom = (start: LocalDate) => finfraPlan(loanType, amount, interestRate, tenor, tenorUnit, frequency, start);

  if (status === 'REJECTED') {
    const createdOn = addDays(today, -rng.int(5, 200));
    return { ...base, status, createdAt: instantAt(createdOn, rng.int(8, 21), rng.int(0, 59)), disbursedAt: null, maturityDate: null, installments: [], payments: [], disbursement: null };
  }
  if (status === 'PENDING' || status === 'SIGNING' || status === 'ACTIVE') {
    const createdOn = addDays(today, -rng.int(1, 5));
    const plan = plannedFrom(createdOn);
    return {
      ...base,
      status,
      createdAt: instantAt(createdOn, rng.int(8, 21), rng.int(0, 59)),
      disbursedAt: null,
      maturityDate: plan.at(-1)!.dueDate,
      installments: plan.map((p) => ({ number: p.seq, dueDate: p.dueDate, principal: p.principal, interest: p.interest, total: p.amountDue, paid: 0n, status: 'UNPAID' })),
      payments: [],
      disbursement: null,
    };
  }
  // Disbursed at some point: DISBURSED (live) or REPAID (settled).
  const span = daysBetween(today, plannedFrom(today).at(-1)!.dueDate);
  const disbursedOn = status === 'REPAID' ? addDays(today, -(span + rng.int(1, 150))) : addDays(today, -rng.int(1, span + 25));
  const plan = plannedFrom(disbursedOn);
  const outcomes = simulateRepayments(rng, plan, today, addDays(disbursedOn, 1), status === 'REPAID');
  const bankCode = rng.pick(FINFRA_BANKS);
  const disbursedAt = instantAt(disbursedOn, rng.int(9, 16), rng.int(0, 59));
  const payments: FinfraPaymentRecord[] = [];
  const installments = plan.map((p, k): FinfraInstallmentRecord => {
    const o = outcomes[k]!;
    for (const e of o.events) {
      const payBank = rng.pick(FINFRA_BANKS);
      payments.push({
        paymentId: `pay_${pad(counters.finfraPayment++, 8)}`,
        amount: e.amount,
        method: rng.chance(0.6) ? 'VA' : 'PAYMENT_LINK',
        bankCode: payBank,
        status: e.status === 'cleared' ? 'PAID' : e.status === 'pending' ? 'PENDING' : 'FAILED',
        paidAt: e.ts,
        settledAt: e.status === 'cleared' ? plusMinutes(e.ts, settlementLag(rng, payBank)) : null,
      });
    }
    const st: FinfraInstallmentRecord['status'] = o.outcome === 'paid' ? 'PAID' : o.outcome === 'partial' ? 'PARTIAL' : o.outcome === 'overdue' ? 'OVERDUE' : 'UNPAID';
    return { number: p.seq, dueDate: p.dueDate, principal: p.principal, interest: p.interest, total: p.amountDue, paid: o.amountPaid, status: st };
  });
  payments.sort((a, b) => Date.parse(a.paidAt) - Date.parse(b.paidAt));
  return {
    ...base,
    status,
    createdAt: instantAt(addDays(disbursedOn, -rng.int(0, 3)), rng.int(7, 9), rng.int(0, 59)),
    disbursedAt,
    maturityDate: plan.at(-1)!.dueDate,
    installments,
    payments,
    disbursement: { amount, bankCode, accountNumber: rng.digits(rng.int(10, 13)), status: 'SUCCESS', disbursedAt },
  };
}

// ---------------------------------------------------------------------------
// Dompet Kilat
// ---------------------------------------------------------------------------

/** Repayment-VA banks of generated Dompet Kilat loans with their (made-up) 4-digit VA company prefixes; PERMATA is outside our channels (OTHER). */
const DK_VA_BANKS: readonly { bankCode: string; prefix: string }[] = [
  { bankCode: 'BNI', prefix: '8808' },
  { bankCode: 'BCA', prefix: '3901' },
  { bankCode: 'MANDIRI', prefix: '8950' },
  { bankCode: 'BRI', prefix: '1234' },
  { bankCode: 'PERMATA', prefix: '8625' },
];

/**
 * Gives each contracted generated Dompet Kilat loan (all records but the seed person's, which has the doc's) its
 * repayment VA: banks in turn from DK_VA_BANKS (so that any dataset with 5 generated records has a PERMATA one),
 * 12 digits after the bank prefix derived from the contract number (FNV-1a). Nothing is drawn from the PRNG, so
 * the rest of the dataset is the same with or without it.
 */
function addDkRepaymentVas(records: readonly DkBorrowerFullRecord[]): void {
  let k = 0;
  for (const r of records.slice(1)) {
    const no = r.loanData?.contractNo;
    if (!r.loanData || !no) continue;
    let h = 0x811c9dc5;
    for (let i = 0; i < no.length; i++) h = Math.imul(h ^ no.charCodeAt(i), 0x01000193) >>> 0;
    const bank = DK_VA_BANKS[k++ % DK_VA_BANKS.length]!;
    const digits = String(Math.imul(h, 2654435761) >>> 0).padStart(10, '0') + String(h % 100).padStart(2, '0');
    r.loanData.bankCode = bank.bankCode;
    r.loanData.paymentAccountNumber = bank.prefix + digits.slice(-12);
  }
}

function genDkRecord(rng: Rng, person: SandboxPerson, extra: PersonExtra, today: LocalDate): DkBorrowerFullRecord {
  const { place } = extra;
  const job = rng.pick(JOBS);
  const unit = rng.chance(0.7) ? 'MONTH' : 'DAY';
  const tenor = unit === 'MONTH' ? rng.int(1, 12) : rng.int(14, 90);
  const amount = roundTo(rng.logUniform(1_000_000, 20_000_000), 100_000);
  const plafons = (amount * BigInt(rng.int(10, 20))) / 10n / 1_000_000n * 1_000_000n;
  const spanDays = unit === 'MONTH' ? tenor * 30 : tenor;
  const contractOn = addDays(today, -rng.int(1, spanDays + 30));
  const startOn = addDays(addMonths(today, -12 * rng.int(1, 15)), -rng.int(0, 364));
  const contractMs = Date.parse(instantAt(contractOn, rng.int(8, 18), 0));
  const mother = rng.pick(MOTHER_NAMES);
  const emergencyFirst = rng.pick(rng.chance(0.5) ? MALE_NAMES : FEMALE_NAMES);
  const business = rng.pick(PLACES);
  const village = rng.pick(place.villages);
  return {
    map: 'PERSONAL_BORROWER',
    productCode: '95',
    phoneNumber: person.phoneNumber,
    idNumber: person.nik,
    email: person.email,
    fullName: person.fullName,
    gender: person.gender,
    birthDate: toDayMonthYear(person.birthDate),
    birthPlace: rng.pick(PLACES).city,
    officeName: rng.pick(COMPANIES),
    startDate: toDayMonthYear(startOn),
    address: `${rng.pick(STREETS)} No. ${rng.int(1, 250)}`,
    village,
    subdistrict: rng.pick(place.subdistricts),
    city: place.city,
    province: place.province,
    postalCode: `${place.postalPrefix}${rng.digits(3)}`,
    plafons: String(plafons < amount ? amount : plafons),
    job: job.job,
    jobType: job.jobType,
    jobOnline: rng.pick(JOB_ONLINE),
    income: rng.pick(INCOME_BANDS),
    asset: rng.pick(ASSET_BANDS),
    homeOwnership: rng.pick(HOME_OWNERSHIP),
    religion: rng.pick(RELIGIONS),
    maritalStatus: rng.pick(MARITAL),
    education: rng.pick(EDUCATION),
    motherMaidenName: mother,
    emergencyContactNumber: `628${rng.digits(rng.int(8, 10))}`,
    emergencyContactName: emergencyFirst,
    emergencyContactRelationship: rng.pick(RELATIONSHIPS),
    bankName: rng.pick(DK_BANKS),
    bankAccountNumber: rng.digits(rng.int(9, 13)),
    familyCard: `${person.nik.slice(0, 6)}${rng.digits(10)}`,
    workExperience: rng.pick(WORK_EXPERIENCE),
    fotoKtp: fakeBase64Image(rng),
    fotoSelfie: fakeBase64Image(rng),
    loanData: {
      tenor,
      unit,
      amount: String(amount),
      contractNo: `TEKENAJA-${ulidLike(rng, contractMs)}`,
      contractDate: toDayMonthYear(contractOn),
    },
    references: {
      interest: rng.pick(DK_RATES),
      businessAddress: `${rng.pick(STREETS)} No. ${rng.int(1, 250)}`,
      businessVillage: rng.pick(business.villages),
      businessSubdistrict: rng.pick(business.subdistricts),
      businessCity: business.city,
      businessProvince: business.province,
      businessOwnership: rng.pick(HOME_OWNERSHIP),
      npwp: rng.digits(15),
      jobPosition: job.position,
    },
  };
}

// ---------------------------------------------------------------------------
// Linking
// ---------------------------------------------------------------------------

/** What our app needs to link one person at each provider where they hold an account. */
export interface LinkCredentials {
  nik: string;
  fullName: string;
  /** The person's mobile number (62…). */
  phoneNumber: string;
  /** Cairin app login (our connector logs in itself over HTTP); null when no Cairin account. */
  cairin: { phoneNumber: string; pin: string; deviceId: string; accountId: string } | null;
  /** Finfra borrower id; null when no Finfra account. */
  finfra: { userId: string } | null;
  /** Dompet Kilat borrower key (the NIK as Dompet Kilat holds it); null when not a Dompet Kilat borrower. */
  dompetKilat: { idNumber: string } | null;
}

/**
 * What a borrower hands our app to link their accounts (structurally the
 * `LinkRequest` of `src/services/linking.service.ts`).
 */
export interface SandboxLinkRequest {
  nik: string;
  fullName: string;
  /** The person's mobile number (62…), the one Finfra and Dompet Kilat hold and one-time codes go to. */
  phoneNumber: string;
  /** Providers this person has an account at (provider codes). */
  providers: ('CAIRIN' | 'FINFRA' | 'DOMPET_KILAT')[];
  /** The link requests as a client passes them in the GraphQL `AccountLinkInput` (`cairin`, `finfraUserId`, `dompetKilatIdNumber`). */
  accounts: { cairin?: { phoneNumber: string; pin: string; deviceId: string }; finfraUserId?: string; dompetKilatIdNumber?: string };
  /** Cairin app login; the connector logs in itself (liveness already done for generated accounts). */
  cairin?: { phoneNumber: string; pin: string; deviceId: string };
  finfraUserId?: string;
  dompetKilatIdNumber?: string;
}

/** Per person (seed person first), the link request our app's `linkBorrower` takes. */
export function linkRequests(dataset: Dataset): SandboxLinkRequest[] {
  return linkCredentials(dataset).map((c) => {
    const r: SandboxLinkRequest = { nik: c.nik, fullName: c.fullName, phoneNumber: c.phoneNumber, providers: [], accounts: {} };
    if (c.cairin) r.cairin = { phoneNumber: c.cairin.phoneNumber, pin: c.cairin.pin, deviceId: c.cairin.deviceId };
    if (c.finfra) r.finfraUserId = c.finfra.userId;
    if (c.dompetKilat) r.dompetKilatIdNumber = c.dompetKilat.idNumber;
    if (r.cairin) r.providers.push('CAIRIN');
    if (r.finfraUserId) r.providers.push('FINFRA');
    if (r.dompetKilatIdNumber) r.providers.push('DOMPET_KILAT');
    r.accounts = { cairin: r.cairin, finfraUserId: r.finfraUserId, dompetKilatIdNumber: r.dompetKilatIdNumber };
    return r;
  });
}

/** Per person of the dataset (seed person first), the credentials and ids needed to link their accounts. */
export function linkCredentials(dataset: Dataset): LinkCredentials[] {
  const cairinByNik = new Map(dataset.cairin.map((a) => [a.nik, a]));
  const finfraByNik = new Map(dataset.finfra.map((u) => [u.idNumber, u]));
  const dkByNik = new Map(dataset.dompetKilat.map((b) => [b.idNumber, b]));
  return dataset.people.map((p) => {
    const c = cairinByNik.get(p.nik);
    const f = finfraByNik.get(p.nik);
    const d = dkByNik.get(p.nik);
    return {
      nik: p.nik,
      fullName: p.fullName,
      phoneNumber: p.phoneNumber,
      cairin: c ? { phoneNumber: c.phoneNumber, pin: c.pin, deviceId: c.deviceId, accountId: c.accountId } : null,
      finfra: f ? { userId: f.userId } : null,
      dompetKilat: d ? { idNumber: d.idNumber } : null,
    };
  });
}

/** One provider account of a demo person, as `satukredit sandbox accounts` lists it. */
export interface SandboxAccountListing {
  /** The provider code, as the API names it. */
  provider: 'CAIRIN' | 'FINFRA' | 'DOMPET_KILAT';
  /** The provider's account id (Cairin accountId, Finfra userId, Dompet Kilat idNumber): what the API stores as the account's external id. */
  externalId: string;
  /** The Cairin app login the consent page asks for (Cairin links by the borrower's own login); absent elsewhere. */
  login?: { phoneNumber: string; pin: string; deviceId: string };
  /** The provider's loan ids, as the API's `Loan.providerLoanId` shows them. */
  loans: string[];
}

/** Per person of the dataset (seed person first): who they are and their accounts at each provider. */
export function sandboxAccounts(dataset: Dataset): { index: number; nik: string; fullName: string; phoneNumber: string; accounts: SandboxAccountListing[] }[] {
  const cairinByNik = new Map(dataset.cairin.map((a) => [a.nik, a]));
  const finfraByNik = new Map(dataset.finfra.map((u) => [u.idNumber, u]));
  const dkByNik = new Map(dataset.dompetKilat.map((b) => [b.idNumber, b]));
  return dataset.people.map((p, index) => {
    const accounts: SandboxAccountListing[] = [];
    const c = cairinByNik.get(p.nik);
    if (c) accounts.push({ provider: 'CAIRIN', externalId: c.accountId, login: { phoneNumber: c.phoneNumber, pin: c.pin, deviceId: c.deviceId }, loans: c.loans.map((l) => l.loanId) });
    const f = finfraByNik.get(p.nik);
    if (f) accounts.push({ provider: 'FINFRA', externalId: f.userId, loans: f.loans.map((l) => l.loanUniqueId) });
    const d = dkByNik.get(p.nik);
    // The connector's loan id: the contract number, or `DK-<idNumber>` before the loan is contracted.
    if (d) accounts.push({ provider: 'DOMPET_KILAT', externalId: d.idNumber, loans: d.loanData ? [d.loanData.contractNo || `DK-${d.idNumber}`] : [] });
    return { index, nik: p.nik, fullName: p.fullName, phoneNumber: p.phoneNumber, accounts };
  });
}
