/**
 * Finfra sandbox server: the partner API of `src/providers/finfra/wire.ts`.
 *
 * Auth: POST /api/auth/token/v2 with `Authorization: Basic base64(clientId:clientSecret)`
 * -> `{ access_token (HS256 JWT), refresh_token, token_type: "Bearer", expires_in }`
 * (default 3600 s; refresh token 7 days, rotated on use). `sk_prod_` secrets are
 * refused: this is the sandbox environment. Every `/api/core` call needs a valid,
 * unexpired Bearer (measured on the injected clock), else 401 `{ error: "unauthorized" }`.
 *
 * Borrowers: POST /api/core/users (201, PENDING) -> POST /api/core/users/{userId}/kyc/verify
 * (VERIFIED; the next GET reads APPROVED). Loans (borrower must be APPROVED, else 400):
 * POST /api/core/loans/{userId} (single payment) or .../{userId}/bnpl (201, PENDING) ->
 * POST /api/core/loans/signing/initiate `{ loanUniqueId }` (SIGNING; answer carries a
 * `signing_url`) -> the borrower POSTs that URL (ACTIVE) -> POST /api/core/loans/{id}/disbursement
 * (DISBURSED) -> fully repaid (REPAID; in the sandbox via POST /__sandbox/loans/{id}/repay).
 * POST /api/core/loans/{id}/reject turns PENDING/SIGNING/ACTIVE into REJECTED. Any other
 * transition is a 400. Errors are `{ error, message }`; amounts integer rupiah; dates
 * `YYYY-MM-DD` (Jakarta); instants ISO-8601 with the WIB offset.
 *
 * Credit scores: APPROVED seeded borrowers carry one (`FinfraUserRecord.creditScore`); Finfra sends it by the
 * `user_credit_score` callback only (no read endpoint), which `finfraCreditScoreData` builds and the sandbox's
 * `WebhookSender.finfraCreditScore` sends. POST /__sandbox/users/{userId}/credit-score `{ score?, source? }`
 * gives the borrower a new score computed now and answers the callback `data` to send.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { jakartaDate, toJakartaIso } from '../domain/dates';
import { FINFRA_KEY_PREFIX, FINFRA_PATHS } from '../providers/finfra/wire';
import { type FinfraLoanRecord, type FinfraUserRecord, finfraPlan } from './dataset';
import { bearerOf, type FaultSpec, type LatencySpec, type ProviderStyle, type Route, type SandboxReply, type SandboxRequest, type SandboxServerHandle, rupiahJson, startHttpServer } from './http';

/** A registered API client of the sandbox. */
export interface FinfraClientCredentials {
  clientId: string;
  /** `sk_sandbox_...`. */
  clientSecret: string;
}

/** The sandbox's default registered client. */
export const DEFAULT_FINFRA_CLIENT: FinfraClientCredentials = { clientId: 'satukredit-sandbox', clientSecret: 'sk_sandbox_satukredit' };
/** Default access-token lifetime, seconds. */
export const FINFRA_ACCESS_TTL_SECONDS = 3600;
/** Default refresh-token lifetime, seconds (7 days). */
export const FINFRA_REFRESH_TTL_SECONDS = 7 * 24 * 3600;

/** Options of `startFinfraServer`. */
export interface FinfraServerOptions {
  /** Borrowers and their loans (deep-copied; the server mutates its own copy). */
  users: readonly FinfraUserRecord[];
  /** Registered clients; default `[DEFAULT_FINFRA_CLIENT]`. */
  clients?: readonly FinfraClientCredentials[];
  host?: string;
  port?: number;
  now?: () => Date;
  /** Access token lifetime, seconds (default 3600). */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime, seconds (default 7 days). */
  refreshTokenTtlSeconds?: number;
  latency?: LatencySpec | null;
  faults?: FaultSpec[];
  seed?: number;
}

const ERROR_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

const fail = (status: number, error: string, message: string): SandboxReply => ({ status, body: { error, message } });
const badRequest = (message: string) => fail(400, 'bad_request', message);

/** Finfra's error wording: `{ error, message }`. */
export const finfraStyle: ProviderStyle = {
  errorBody: (status, message) => ({ error: ERROR_BY_STATUS[status] ?? `http_${status}`, message }),
  expiredToken: () => fail(401, 'unauthorized', 'access token expired'),
};

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

const percentString = z.union([z.string().regex(/^\d+(\.\d+)?$/), z.number().nonnegative()]).transform((v) => String(v));
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const CreateUserBody = z.object({
  borrower_type: z.enum(['PERSONAL', 'BUSINESS']),
  name: z.string().min(1),
  id_number: z.string().regex(/^\d{8,20}$/, 'expected 8..20 digits (NIK for PERSONAL)'),
  email: z.string().email().optional(),
  phone_number: z.string().regex(/^62\d{6,13}$/, 'expected a number starting with 62').optional(),
});
const SingleLoanBody = z
  .object({
    amount,
    interest_rate: percentString.optional(),
    tenor: z.number().int().positive(),
    tenor_unit: z.enum(['DAY', 'MONTH']),
  })
  .refine((b) => (b.tenor_unit === 'DAY' ? b.tenor <= 365 : b.tenor <= 12), { message: 'tenor must be at most 365 DAY or 12 MONTH', path: ['tenor'] });
const BnplLoanBody = z.object({
  amount,
  interest_rate: percentString.optional(),
  tenor: z.number().int().min(1).max(52),
  frequency: z.enum(['WEEKLY', 'BIWEEKLY', 'MONTHLY']),
});
const LoanRef = z.object({ loanUniqueId: z.string().min(1) });
const DisburseBody = z.object({ bank_code: z.string().min(1).optional(), account_number: z.string().regex(/^\d{6,20}$/).optional() }).optional();
const RepayBody = z.object({ amount: amount.optional(), bank_code: z.string().optional(), method: z.enum(['VA', 'PAYMENT_LINK']).optional() }).optional();

const CreditScoreBody = z.object({ score: z.number().int().nonnegative().optional(), source: z.enum(['afpi', 'clik', 'both']).optional() }).optional();

/**
 * The `data` of the `user_credit_score` callback Finfra sends for a borrower's score
 * (`FinfraCreditScoreData` in src/providers/finfra/wire.ts); null when the borrower has none.
 */
export function finfraCreditScoreData(u: Pick<FinfraUserRecord, 'userId' | 'creditScore'>): { userId: string; credit_score: number; credit_source: 'afpi' | 'clik' | 'both'; scored_at: string } | null {
  const c = u.creditScore;
  return c ? { userId: u.userId, credit_score: c.score, credit_source: c.source, scored_at: c.scoredAt } : null;
}

const zodMessage = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

/**
 * Starts the Finfra sandbox server.
 * @returns its handle (URL, counters, latency/fault control, close).
 */
export async function startFinfraServer(opts: FinfraServerOptions): Promise<SandboxServerHandle> {
  const now = opts.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  const accessTtl = opts.accessTokenTtlSeconds ?? FINFRA_ACCESS_TTL_SECONDS;
  const refreshTtl = opts.refreshTokenTtlSeconds ?? FINFRA_REFRESH_TTL_SECONDS;
  const clients = opts.clients ?? [DEFAULT_FINFRA_CLIENT];
  const jwtSecret = randomBytes(32);

  const users = new Map<string, FinfraUserRecord>();
  // The same users by NIK (id_number), in creation order: looked up once per consent flow, among thousands of users.
  const byIdNumber = new Map<string, FinfraUserRecord[]>();
  const addUser = (u: FinfraUserRecord) => {
    users.set(u.userId, u);
    const same = byIdNumber.get(u.idNumber);
    if (same) same.push(u);
    else byIdNumber.set(u.idNumber, [u]);
  };
  const loans = new Map<string, FinfraLoanRecord>();
  let userSeq = 0;
  let loanSeq = 0;
  let paymentSeq = 0;
  for (const u of structuredClone(opts.users) as FinfraUserRecord[]) {
    addUser(u);
    userSeq = Math.max(userSeq, Number(/(\d+)$/.exec(u.userId)?.[1] ?? 0));
    for (const l of u.loans) {
      loans.set(l.loanUniqueId, l);
      loanSeq = Math.max(loanSeq, Number(/(\d+)$/.exec(l.loanUniqueId)?.[1] ?? 0));
      for (const p of l.payments) paymentSeq = Math.max(paymentSeq, Number(/(\d+)$/.exec(p.paymentId)?.[1] ?? 0));
    }
  }
  /** Users whose KYC was verified: they read APPROVED from their next GET on. */
  const approveOnRead = new Set<string>();
  const refreshTokens = new Map<string, { clientId: string; expiresAt: number }>();
  let baseUrl = '';

  const signJwt = (clientId: string): string => {
    const iat = Math.floor(nowMs() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ iss: 'finfra-sandbox', sub: clientId, env: 'sandbox', iat, exp: iat + accessTtl, jti: randomBytes(8).toString('hex') }));
    const sig = createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${sig}`;
  };

  /** null when the bearer is a valid, unexpired sandbox JWT; else the 401 to send. */
  const checkBearer = (req: SandboxRequest): SandboxReply | null => {
    const t = bearerOf(req);
    if (!t) return fail(401, 'unauthorized', 'missing bearer token');
    const [h, p, s] = t.split('.');
    if (!h || !p || !s) return fail(401, 'unauthorized', 'malformed access token');
    const expected = createHmac('sha256', jwtSecret).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail(401, 'unauthorized', 'invalid access token');
    let claims: { exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { exp?: unknown };
    } catch {
      return fail(401, 'unauthorized', 'malformed access token');
    }
    if (typeof claims.exp !== 'number' || nowMs() >= claims.exp * 1000) return fail(401, 'unauthorized', 'access token expired');
    return null;
  };

  const issueTokens = (clientId: string) => {
    const refresh_token = `frt_${randomBytes(24).toString('base64url')}`;
    refreshTokens.set(refresh_token, { clientId, expiresAt: nowMs() + refreshTtl * 1000 });
    return { access_token: signJwt(clientId), refresh_token, token_type: 'Bearer', expires_in: accessTtl };
  };

  const userJson = (u: FinfraUserRecord) => ({
    userId: u.userId,
    borrower_type: u.borrowerType,
    name: u.name,
    id_number: u.idNumber,
    ...(u.phoneNumber ? { phone_number: u.phoneNumber } : {}),
    status: u.status,
    created_at: u.createdAt,
  });

  const loanJson = (l: FinfraLoanRecord, today: string) => ({
    loanUniqueId: l.loanUniqueId,
    userId: l.userId,
    loan_type: l.loanType,
    status: l.status,
    amount: rupiahJson(l.amount),
    interest_rate: l.interestRate,
    tenor: l.tenor,
    tenor_unit: l.tenorUnit,
    frequency: l.frequency,
    disbursed_at: l.disbursedAt,
    maturity_date: l.maturityDate,
    installments: l.installments.map((i) => ({
      installment_number: i.number,
      due_date: i.dueDate,
      principal_amount: rupiahJson(i.principal),
      interest_amount: rupiahJson(i.interest),
      total_amount: rupiahJson(i.total),
      paid_amount: rupiahJson(i.paid),
      status: l.status === 'DISBURSED' && i.status === 'UNPAID' && i.dueDate < today ? 'OVERDUE' : i.status,
    })),
    payments: l.payments.map((p) => ({ payment_id: p.paymentId, amount: rupiahJson(p.amount), method: p.method, bank_code: p.bankCode, status: p.status, paid_at: p.paidAt, settled_at: p.settledAt })),
    disbursement: l.disbursement
      ? { amount: rupiahJson(l.disbursement.amount), bank_code: l.disbursement.bankCode, account_number: l.disbursement.accountNumber, status: l.disbursement.status, disbursed_at: l.disbursement.disbursedAt }
      : null,
  });

  /** Reads a user, applying a pending KYC approval. */
  const readUser = (userId: string): FinfraUserRecord | undefined => {
    const u = users.get(userId);
    if (u && approveOnRead.has(userId)) {
      approveOnRead.delete(userId);
      if (u.status === 'VERIFIED') u.status = 'APPROVED';
    }
    return u;
  };

  const createLoan = (req: SandboxRequest, loanType: 'SINGLE_PAYMENT' | 'BNPL'): SandboxReply => {
    const userId = req.params.userId ?? '';
    const u = readUser(userId);
    if (!u) return fail(404, 'not_found', `borrower ${userId} not found`);
    if (u.status !== 'APPROVED') return badRequest(`borrower ${userId} is ${u.status}; loans need an APPROVED borrower`);
    let terms: { amount: bigint; interestRate: string; tenor: number; tenorUnit: 'DAY' | 'MONTH' | null; frequency: FinfraLoanRecord['frequency'] };
    if (loanType === 'SINGLE_PAYMENT') {
      const p = SingleLoanBody.safeParse(req.body);
      if (!p.success) return badRequest(zodMessage(p.error));
      terms = { amount: BigInt(p.data.amount), interestRate: p.data.interest_rate ?? '2', tenor: p.data.tenor, tenorUnit: p.data.tenor_unit, frequency: null };
    } else {
      const p = BnplLoanBody.safeParse(req.body);
      if (!p.success) return badRequest(zodMessage(p.error));
      terms = { amount: BigInt(p.data.amount), interestRate: p.data.interest_rate ?? '2', tenor: p.data.tenor, tenorUnit: null, frequency: p.data.frequency };
    }
    const today = jakartaDate(req.now);
    const plan = finfraPlan(loanType, terms.amount, terms.interestRate, terms.tenor, terms.tenorUnit, terms.frequency, today);
    const loan: FinfraLoanRecord = {
      loanUniqueId: `FL-${String(++loanSeq).padStart(6, '0')}`,
      userId,
      loanType,
      status: 'PENDING',
      ...terms,
      createdAt: toJakartaIso(req.now),
      disbursedAt: null,
      maturityDate: plan.at(-1)!.dueDate,
      installments: plan.map((i) => ({ number: i.seq, dueDate: i.dueDate, principal: i.principal, interest: i.interest, total: i.amountDue, paid: 0n, status: 'UNPAID' })),
      payments: [],
      disbursement: null,
    };
    u.loans.push(loan);
    loans.set(loan.loanUniqueId, loan);
    return { status: 201, body: loanJson(loan, today) };
  };

  /** Loan by path id or 404. */
  const loanOf = (id: string): FinfraLoanRecord | SandboxReply => loans.get(id) ?? fail(404, 'not_found', `loan ${id} not found`);
  const isReply = (x: FinfraLoanRecord | SandboxReply): x is SandboxReply => !('loanUniqueId' in x);
  const transitionError = (l: FinfraLoanRecord, action: string) => badRequest(`loan ${l.loanUniqueId} is ${l.status}; cannot ${action}`);

  const core = (r: Omit<Route, 'auth' | 'handle'> & { handle: (req: SandboxRequest) => SandboxReply }): Route => ({
    ...r,
    auth: true,
    handle: (req) => checkBearer(req) ?? r.handle(req),
  });

  const routes: Route[] = [
    {
      method: 'POST',
      template: FINFRA_PATHS.token,
      handle: (req) => {
        const h = req.headers.authorization ?? '';
        const m = /^Basic\s+(\S+)\s*$/i.exec(h);
        if (!m) return fail(401, 'invalid_client', 'Basic client credentials are required');
        const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) return fail(401, 'invalid_client', 'credentials must be clientId:clientSecret');
        const clientId = decoded.slice(0, colon);
        const secret = decoded.slice(colon + 1);
        if (secret.startsWith(FINFRA_KEY_PREFIX.production)) return fail(401, 'invalid_client', 'production keys are not valid in the sandbox environment');
        const c = clients.find((x) => x.clientId === clientId && x.clientSecret === secret);
        if (!c) return fail(401, 'invalid_client', 'unknown client or wrong secret');
        return { status: 200, body: issueTokens(c.clientId) };
      },
    },
    {
      method: 'POST',
      template: FINFRA_PATHS.refresh,
      handle: (req) => {
        const rt = (req.body as { refresh_token?: unknown } | undefined)?.refresh_token;
        if (typeof rt !== 'string' || rt.length === 0) return badRequest('refresh_token is required');
        const r = refreshTokens.get(rt);
        if (!r) return fail(401, 'invalid_grant', 'unknown or already used refresh token');
        refreshTokens.delete(rt);
        if (nowMs() >= r.expiresAt) return fail(401, 'invalid_grant', 'refresh token expired');
        return { status: 200, body: issueTokens(r.clientId) };
      },
    },
    core({
      method: 'POST',
      template: FINFRA_PATHS.users,
      handle: (req) => {
        const p = CreateUserBody.safeParse(req.body);
        if (!p.success) return badRequest(zodMessage(p.error));
        if (byIdNumber.has(p.data.id_number)) return fail(409, 'conflict', `a borrower with id_number ${p.data.id_number} already exists`);
        const u: FinfraUserRecord = {
          userId: `usr_${String(++userSeq).padStart(6, '0')}`,
          borrowerType: p.data.borrower_type,
          name: p.data.name,
          idNumber: p.data.id_number,
          email: p.data.email ?? '',
          phoneNumber: p.data.phone_number ?? '',
          status: 'PENDING',
          createdAt: toJakartaIso(req.now),
          loans: [],
        };
        addUser(u);
        return { status: 201, body: userJson(u) };
      },
    }),
    core({
      method: 'GET',
      template: FINFRA_PATHS.users,
      handle: (req) => {
        const nik = req.query.get('id_number');
        if (!nik) return badRequest('id_number is required');
        return { status: 200, body: { users: (byIdNumber.get(nik) ?? []).map(userJson) } };
      },
    }),
    core({
      method: 'GET',
      template: '/api/core/users/:userId',
      handle: (req) => {
        const u = readUser(req.params.userId ?? '');
        return u ? { status: 200, body: userJson(u) } : fail(404, 'not_found', `borrower ${req.params.userId} not found`);
      },
    }),
    core({
      method: 'POST',
      template: '/api/core/users/:userId/kyc/verify',
      handle: (req) => {
        const u = readUser(req.params.userId ?? '');
        if (!u) return fail(404, 'not_found', `borrower ${req.params.userId} not found`);
        if (u.status !== 'PENDING') return badRequest(`borrower ${u.userId} is ${u.status}; KYC verification needs PENDING`);
        u.status = 'VERIFIED';
        approveOnRead.add(u.userId);
        return { status: 200, body: userJson(u) };
      },
    }),
    core({
      method: 'POST',
      template: FINFRA_PATHS.signingInitiate,
      handle: (req) => {
        const p = LoanRef.safeParse(req.body);
        if (!p.success) return badRequest(zodMessage(p.error));
        const l = loanOf(p.data.loanUniqueId);
        if (isReply(l)) return l;
        if (l.status !== 'PENDING') return transitionError(l, 'initiate signing');
        l.status = 'SIGNING';
        return { status: 200, body: { loanUniqueId: l.loanUniqueId, status: l.status, signing_url: `${baseUrl}/signing/${encodeURIComponent(l.loanUniqueId)}` } };
      },
    }),
    core({ method: 'POST', template: '/api/core/loans/:userId/bnpl', handle: (req) => createLoan(req, 'BNPL') }),
    core({
      method: 'POST',
      template: '/api/core/loans/:uniqueId/disbursement',
      handle: (req) => {
        const l = loanOf(req.params.uniqueId ?? '');
        if (isReply(l)) return l;
        const p = DisburseBody.safeParse(req.body);
        if (!p.success) return badRequest(zodMessage(p.error));
        if (l.status !== 'ACTIVE') return transitionError(l, 'disburse (needs ACTIVE)');
        const today = jakartaDate(req.now);
        const at = toJakartaIso(req.now);
        const plan = finfraPlan(l.loanType, l.amount, l.interestRate, l.tenor, l.tenorUnit, l.frequency, today);
        l.status = 'DISBURSED';
        l.disbursedAt = at;
        l.maturityDate = plan.at(-1)!.dueDate;
        l.installments = plan.map((i) => ({ number: i.seq, dueDate: i.dueDate, principal: i.principal, interest: i.interest, total: i.amountDue, paid: 0n, status: 'UNPAID' }));
        l.disbursement = {
          amount: l.amount,
          bankCode: p.data?.bank_code ?? 'BCA',
          accountNumber: p.data?.account_number ?? String(7_000_000_000 + loanSeq),
          status: 'SUCCESS',
          disbursedAt: at,
        };
        return { status: 200, body: loanJson(l, today) };
      },
    }),
    core({
      method: 'POST',
      template: '/api/core/loans/:uniqueId/reject',
      handle: (req) => {
        const l = loanOf(req.params.uniqueId ?? '');
        if (isReply(l)) return l;
        if (l.status !== 'PENDING' && l.status !== 'SIGNING' && l.status !== 'ACTIVE') return transitionError(l, 'reject (only before disbursement)');
        l.status = 'REJECTED';
        l.installments = [];
        l.maturityDate = null;
        return { status: 200, body: loanJson(l, jakartaDate(req.now)) };
      },
    }),
    core({ method: 'POST', template: '/api/core/loans/:userId', handle: (req) => createLoan(req, 'SINGLE_PAYMENT') }),
    core({
      method: 'GET',
      template: '/api/core/loans/details/:uniqueId',
      handle: (req) => {
        const l = loanOf(req.params.uniqueId ?? '');
        if (isReply(l)) return l;
        return { status: 200, body: loanJson(l, jakartaDate(req.now)) };
      },
    }),
    core({
      method: 'GET',
      template: '/api/core/loans/:userId',
      handle: (req) => {
        const u = readUser(req.params.userId ?? '');
        if (!u) return fail(404, 'not_found', `borrower ${req.params.userId} not found`);
        return {
          status: 200,
          body: { userId: u.userId, loans: u.loans.map((l) => ({ loanUniqueId: l.loanUniqueId, loan_type: l.loanType, status: l.status, amount: rupiahJson(l.amount), created_at: l.createdAt })) },
        };
      },
    }),
    {
      // The borrower-facing signing page (the `signing_url`): completing it moves SIGNING -> ACTIVE.
      method: 'POST',
      template: '/signing/:uniqueId',
      handle: (req) => {
        const l = loanOf(req.params.uniqueId ?? '');
        if (isReply(l)) return l;
        if (l.status !== 'SIGNING') return transitionError(l, 'complete signing (needs SIGNING)');
        l.status = 'ACTIVE';
        return { status: 200, body: { loanUniqueId: l.loanUniqueId, status: l.status } };
      },
    },
  ];

  const controlRoutes: Route[] = [
    {
      // Sandbox-only: a new credit score computed now (default: the previous score and source, else 650 from clik); answers the callback data.
      method: 'POST',
      template: '/users/:userId/credit-score',
      handle: (req) => {
        const u = users.get(req.params.userId ?? '');
        if (!u) return fail(404, 'not_found', `borrower ${req.params.userId} not found`);
        const p = CreditScoreBody.safeParse(req.body);
        if (!p.success) return badRequest(zodMessage(p.error));
        u.creditScore = { score: p.data?.score ?? u.creditScore?.score ?? 650, source: p.data?.source ?? u.creditScore?.source ?? 'clik', scoredAt: toJakartaIso(req.now) };
        return { status: 200, body: finfraCreditScoreData(u) };
      },
    },
    {
      // Sandbox-only: a settled repayment (default: everything still owed). Paying it all makes the loan REPAID.
      method: 'POST',
      template: '/loans/:uniqueId/repay',
      handle: (req) => {
        const l = loanOf(req.params.uniqueId ?? '');
        if (isReply(l)) return l;
        const p = RepayBody.safeParse(req.body);
        if (!p.success) return badRequest(zodMessage(p.error));
        if (l.status !== 'DISBURSED') return transitionError(l, 'repay (needs DISBURSED)');
        const owed = l.installments.reduce((s, i) => s + (i.total - i.paid), 0n);
        let left = p.data?.amount !== undefined ? BigInt(p.data.amount) : owed;
        if (left > owed) left = owed;
        const at = toJakartaIso(req.now);
        l.payments.push({ paymentId: `pay_${String(++paymentSeq).padStart(8, '0')}`, amount: left, method: p.data?.method ?? 'VA', bankCode: p.data?.bank_code ?? 'BCA', status: 'PAID', paidAt: at, settledAt: at });
        for (const i of l.installments) {
          if (left <= 0n) break;
          const take = i.total - i.paid < left ? i.total - i.paid : left;
          i.paid += take;
          left -= take;
          i.status = i.paid === i.total ? 'PAID' : i.paid > 0n ? 'PARTIAL' : i.status;
        }
        if (l.installments.every((i) => i.status === 'PAID')) l.status = 'REPAID';
        return { status: 200, body: loanJson(l, jakartaDate(req.now)) };
      },
    },
  ];

  const handle = await startHttpServer({
    provider: 'FINFRA',
    routes,
    controlRoutes,
    style: finfraStyle,
    openApiDocuments: { '/openapi.json': 'finfra.json' },
    host: opts.host,
    port: opts.port,
    latency: opts.latency,
    faults: opts.faults,
    seed: opts.seed,
    now,
  });
  baseUrl = handle.url;
  return handle;
}
