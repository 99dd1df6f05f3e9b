/**
 * Dompet Kilat sandbox server: the middleware API of
 * `src/providers/dompetkilat/wire.ts` and the seed document.
 *
 * - POST /v1/borrower/register: validates the body (phone starts with 62,
 *   `dd/MM/yyyy` birth date, NIK of at most 16 digits); NIK, phone and email are
 *   unique (HTTP 400 `{"data":{},"status":"02","message":"Error 1062: Duplicate entry '<v>' for key '<k>'"}`);
 *   success is HTTP 200 with the doc's register `data` shape.
 * - GET /v1/borrower/{idNumber}: HTTP 200 envelope with the full record — every
 *   documented field, personal ones included, and on a contracted loan's `loanData` the
 *   repayment VA the doc's callbacks carry (`bankCode`, `paymentAccountNumber`, seeded by the
 *   dataset; the doc's GET example shows none); unknown -> HTTP 404
 *   `{"data":{},"status":"001","message":"IdNumber <nik> record not found"}`.
 * - POST /v1/loan/register: the doc's loan `data` shape; unknown borrower -> HTTP 404
 *   `{"data":{},"status":"001","message":"borrower with idNumber <nik>, is not found"}`.
 *   The application is stored on the borrower (`loanData` without a contract yet, so without a repayment VA).
 * - Callers outside `allowIps` (default loopback) get HTTP 403
 *   `{"data":{},"status":"03","message":"IP <ip> is not whitelisted"}`.
 *
 * Validation failures (not in the doc) answer HTTP 400 with envelope status "01".
 * Amounts are integer rupiah as digit strings in records, ints in the loan answer.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { fromDayMonthYear } from '../domain/dates';
import { DK_PATHS, DK_STATUS, DkRegisterBorrowerRequest, DkRegisterLoanRequest } from '../providers/dompetkilat/wire';
import type { DkBorrowerFullRecord, DkReferencesRecord } from './dataset';
import { type FaultSpec, type LatencySpec, type ProviderStyle, type Route, type SandboxReply, type SandboxRequest, type SandboxServerHandle, startHttpServer } from './http';

/** Loopback addresses, the default allow-list. */
export const LOOPBACK_IPS: readonly string[] = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/** Envelope status for a validation failure (undocumented by Dompet Kilat; ours). */
export const DK_STATUS_INVALID = '01';
/** Envelope status for an IP outside the allow-list. */
export const DK_STATUS_FORBIDDEN = '03';
/** Envelope status for injected server-side failures (undocumented; ours). */
export const DK_STATUS_SERVER_ERROR = '99';

/** Options of `startDompetKilatServer`. */
export interface DompetKilatServerOptions {
  /** Borrower records (deep-copied; the server mutates its own copy). The first gets id 139 like the doc. */
  borrowers: readonly DkBorrowerFullRecord[];
  /** Caller IPs accepted; default `LOOPBACK_IPS`. IPv4-mapped IPv6 ("::ffff:a.b.c.d") also matches "a.b.c.d". */
  allowIps?: readonly string[];
  host?: string;
  port?: number;
  now?: () => Date;
  latency?: LatencySpec | null;
  faults?: FaultSpec[];
  seed?: number;
}

const envelopeError = (httpStatus: number, status: string, message: string): SandboxReply => ({ status: httpStatus, body: { data: {}, status, message } });
const ok = (data: unknown): SandboxReply => ({ status: 200, body: { status: DK_STATUS.success, message: 'success', data } });
const invalid = (message: string) => envelopeError(400, DK_STATUS_INVALID, message);
const duplicate = (value: string, key: string) => envelopeError(400, DK_STATUS.duplicate, `Error 1062: Duplicate entry '${value}' for key '${key}'`);

const displayIp = (ip: string) => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);

/** Dompet Kilat's error wording: the `{ data: {}, status, message }` envelope. */
export const dompetKilatStyle: ProviderStyle = {
  errorBody: (status, message) => ({
    data: {},
    status: status === 400 ? DK_STATUS_INVALID : status === 403 ? DK_STATUS_FORBIDDEN : status === 404 ? DK_STATUS.notFound : DK_STATUS_SERVER_ERROR,
    message,
  }),
  // No tokens at Dompet Kilat: its only auth failure is the IP allow-list.
  expiredToken: (req: SandboxRequest) => envelopeError(403, DK_STATUS_FORBIDDEN, `IP ${displayIp(req.ip)} is not whitelisted`),
};

const dkDate = z.string().refine((s) => {
  try {
    fromDayMonthYear(s);
    return /^\d{2}\/\d{2}\/\d{4}$/.test(s);
  } catch {
    return false;
  }
}, 'expected a dd/MM/yyyy date');
const phone62 = z.union([z.string(), z.number().int()]).transform(String).pipe(z.string().regex(/^62\d{6,13}$/, 'must start with 62 and contain only digits'));
const digitsAmount = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);
// The documented request bodies (../providers/dompetkilat/wire.ts), taken as leniently as the provider takes them:
// phone numbers and amounts also as JSON numbers, dates checked as calendar dates.
const RegisterBody = DkRegisterBorrowerRequest.extend({ phoneNumber: phone62, birthDate: dkDate });

const LoanBody = DkRegisterLoanRequest.extend({
  phoneNumber: phone62,
  birthDate: dkDate,
  startDate: dkDate,
  plafons: digitsAmount,
  emergencyContactNumber: phone62,
  loanData: DkRegisterLoanRequest.shape.loanData.extend({ amount: digitsAmount }),
});

const zodMessage = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

/** "2022-01-11T06:16:30Z" (UTC, whole seconds), as the doc's createdAt. */
const utcSeconds = (d: Date) => DateTime.fromJSDate(d).toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
/** "2022-01-11T06:58:03.866405316Z" (UTC, nanoseconds), as the doc's loan updatedAt. */
const utcNanos = (d: Date) => DateTime.fromJSDate(d).toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'000000Z'");

interface Stored {
  id: number;
  createdAt: string;
  updatedAt: string;
  record: DkBorrowerFullRecord;
}

/**
 * Starts the Dompet Kilat sandbox server.
 * @returns its handle (URL, counters, latency/fault control, close).
 */
export async function startDompetKilatServer(opts: DompetKilatServerOptions): Promise<SandboxServerHandle> {
  const now = opts.now ?? (() => new Date());
  const allow = new Set(opts.allowIps ?? LOOPBACK_IPS);
  const byNik = new Map<string, Stored>();
  const seedCreated = utcSeconds(now());
  let borrowerSeq = 1000;
  let loanSeq = 2000;
  (structuredClone(opts.borrowers) as DkBorrowerFullRecord[]).forEach((record, i) => {
    byNik.set(record.idNumber, { id: i === 0 ? 139 : ++borrowerSeq, createdAt: seedCreated, updatedAt: seedCreated, record });
  });

  const guard = (req: SandboxRequest): SandboxReply | null =>
    allow.has(req.ip) || allow.has(displayIp(req.ip)) ? null : envelopeError(403, DK_STATUS_FORBIDDEN, `IP ${displayIp(req.ip)} is not whitelisted`);

  const routes: Route[] = [
    {
      method: 'POST',
      template: DK_PATHS.registerBorrower,
      handle: (req) => {
        const p = RegisterBody.safeParse(req.body);
        if (!p.success) return invalid(zodMessage(p.error));
        const b = p.data;
        if (byNik.has(b.idNumber)) return duplicate(b.idNumber, 'id_number');
        for (const s of byNik.values()) {
          if (s.record.phoneNumber === b.phoneNumber) return duplicate(b.phoneNumber, 'phone_number');
          if (s.record.email.toLowerCase() === b.email.toLowerCase()) return duplicate(b.email, 'email');
        }
        const at = utcSeconds(req.now);
        const record: DkBorrowerFullRecord = {
          map: b.map,
          productCode: b.productCode,
          phoneNumber: b.phoneNumber,
          idNumber: b.idNumber,
          email: b.email,
          fullName: b.fullName,
          gender: '',
          birthDate: b.birthDate,
          birthPlace: '',
          officeName: '',
          startDate: '',
          address: '',
          village: '',
          subdistrict: '',
          city: '',
          province: '',
          postalCode: '',
          plafons: '0',
          job: '',
          jobType: '',
          jobOnline: '',
          income: '',
          asset: '',
          homeOwnership: '',
          religion: '',
          maritalStatus: '',
          education: '',
          motherMaidenName: '',
          emergencyContactNumber: '',
          emergencyContactName: '',
          emergencyContactRelationship: '',
          bankName: '',
          bankAccountNumber: '',
          familyCard: '',
          workExperience: '',
          fotoKtp: null,
          fotoSelfie: null,
          loanData: null,
          references: null,
        };
        const stored: Stored = { id: ++borrowerSeq, createdAt: at, updatedAt: at, record };
        byNik.set(b.idNumber, stored);
        return ok({
          id: stored.id,
          borrowerBankId: 0,
          jobId: 0,
          jobTypeId: 0,
          jobOnlineId: 0,
          incomeId: 0,
          assetId: 0,
          referenceId: 0,
          workExperienceId: 0,
          emergencyContactId: 0,
          maritalId: 0,
          educationId: 0,
          religionId: 0,
          borrowerType: b.map,
          phoneNumber: b.phoneNumber,
          idNumber: b.idNumber,
          email: b.email,
          fullName: b.fullName,
          gender: '',
          birthDate: `${fromDayMonthYear(b.birthDate)}T00:00:00Z`,
          birthPlace: '',
          address: '',
          village: '',
          subdistrict: '',
          city: '',
          province: '',
          postalCode: '',
          motherMaidenName: '',
          jobPosition: null,
          familyCard: '',
          npwp: '',
          fotoKtp: null,
          fotoSelfie: null,
          isVerified: false,
          status: '',
          borrowerBanks: null,
          jobs: null,
          jobTypes: null,
          jobOnlines: null,
          incomes: null,
          assets: null,
          borrowerReferences: null,
          workExperiences: null,
          emergencyContacts: null,
          maritals: null,
          educations: null,
          religions: null,
          createdAt: at,
          updatedAt: at,
          deletedAt: null,
        });
      },
    },
    {
      method: 'GET',
      template: '/v1/borrower/:idNumber',
      handle: (req) => {
        const nik = req.params.idNumber ?? '';
        const s = byNik.get(nik);
        if (!s) return envelopeError(404, DK_STATUS.notFound, `IdNumber ${nik} record not found`);
        return ok(s.record);
      },
    },
    {
      method: 'POST',
      template: DK_PATHS.registerLoan,
      handle: (req) => {
        const p = LoanBody.safeParse(req.body);
        if (!p.success) return invalid(zodMessage(p.error));
        const b = p.data;
        const s = byNik.get(b.idNumber);
        if (!s) return envelopeError(404, DK_STATUS.notFound, `borrower with idNumber ${b.idNumber}, is not found`);
        if (s.record.loanData?.contractNo) return duplicate(b.idNumber, 'borrower_id');
        if (BigInt(b.loanData.amount) > BigInt(b.plafons)) return invalid('loanData.amount: must not exceed plafons');
        const refs: DkReferencesRecord = {
          interest: b.references.interest,
          businessAddress: b.references.businessAddress ?? '',
          businessVillage: b.references.businessVillage ?? '',
          businessSubdistrict: b.references.businessSubdistrict ?? '',
          businessCity: b.references.businessCity ?? '',
          businessProvince: b.references.businessProvince ?? '',
          businessOwnership: b.references.businessOwnership ?? '',
          npwp: b.references.npwp ?? '',
          jobPosition: b.references.jobPosition ?? '',
        };
        s.record = {
          map: b.map,
          productCode: b.productCode,
          phoneNumber: s.record.phoneNumber,
          idNumber: s.record.idNumber,
          email: s.record.email,
          fullName: s.record.fullName,
          gender: b.gender,
          birthDate: s.record.birthDate,
          birthPlace: b.birthPlace,
          officeName: b.officeName,
          startDate: b.startDate,
          address: b.address,
          village: b.village,
          subdistrict: b.subdistrict,
          city: b.city,
          province: b.province,
          postalCode: b.postalCode,
          plafons: b.plafons,
          job: b.job,
          jobType: b.jobType,
          jobOnline: b.jobOnline,
          income: b.income,
          asset: b.asset,
          homeOwnership: b.homeOwnership,
          religion: b.religion,
          maritalStatus: b.maritalStatus,
          education: b.education,
          motherMaidenName: b.motherMaidenName,
          emergencyContactNumber: b.emergencyContactNumber,
          emergencyContactName: b.emergencyContactName,
          emergencyContactRelationship: b.emergencyContactRelationship,
          bankName: b.bankName,
          bankAccountNumber: b.bankAccountNumber,
          familyCard: b.familyCard,
          workExperience: b.workExperience,
          fotoKtp: b.fotoKtp,
          fotoSelfie: b.fotoSelfie,
          // Applied, not yet contracted: no contract number (""), no contract date.
          loanData: { tenor: b.loanData.tenor, unit: b.loanData.unit, amount: b.loanData.amount, contractNo: '' },
          references: refs,
        };
        s.updatedAt = utcSeconds(req.now);
        return ok({
          id: ++loanSeq,
          borrowerId: s.id,
          productId: 2,
          state: 1,
          status: 'INACTIVE',
          loanCode: '',
          plafons: Number(b.plafons),
          tenor: b.loanData.tenor,
          tenorUnit: b.loanData.unit,
          amount: Number(b.loanData.amount),
          contractNo: '',
          contractDate: null,
          interest: b.references.interest,
          updatedAt: utcNanos(req.now),
          createdAt: s.createdAt,
          deletedAt: null,
        });
      },
    },
  ];

  return startHttpServer({
    provider: 'DOMPET_KILAT',
    // Every route is authenticated, by caller IP: `expired_token` faults apply to all of them.
    routes: routes.map((r) => ({ ...r, auth: true })),
    style: dompetKilatStyle,
    openApiDocuments: { '/openapi.json': 'dompetkilat.json' },
    guard,
    host: opts.host,
    port: opts.port,
    latency: opts.latency,
    faults: opts.faults,
    seed: opts.seed,
    now,
  });
}
