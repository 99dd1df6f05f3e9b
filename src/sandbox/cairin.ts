/**
 * Cairin sandbox server: the app protocol of `src/providers/cairin/wire.ts`.
 *
 * Session chain: POST /mobile/auth/login `{ phoneNumber, pin, deviceId }` ->
 * login ticket (5 minutes, single use) -> POST /mobile/auth/liveness (KTP +
 * selfie images, once per device) -> POST /mobile/auth/token (403
 * LIVENESS_REQUIRED until the ticket's device is live) -> access token (default
 * TTL 900 s) + refresh token (default TTL 30 days). POST /mobile/auth/refresh
 * re-issues the refresh token when the presented one is past half its life (the
 * old one stays valid until its own expiry), else returns the same one.
 *
 * Devices, as a real app on a new phone: a wrong phone number or PIN is 401
 * INVALID_CREDENTIALS; the right phone and PIN from any deviceId get a ticket.
 * Each account knows a set of devices: its registered `deviceId` (live when the
 * dataset's `livenessDone` says so) plus every device that passed liveness
 * since. A ticket from an unknown device says `livenessRequired: true`; its
 * liveness call (non-empty `ktpImage` and `selfieImage`, checked for presence,
 * never kept) makes that device known, so later logins from it skip the check.
 * Sessions carry no device: access and refresh tokens work the same for
 * sessions issued to any known device.
 *
 * Reads (Bearer): GET /mobile/loan/list, POST /mobile/loan/detail (honours
 * `include`), GET /mobile/transaction/history?type=&page=&size= (newest first),
 * GET /mobile/funding/portfolio (funding positions, lender side; `cairinFunding`).
 * Errors are `{ code, message }`. Amounts are integer rupiah, dates Jakarta
 * `YYYY-MM-DD`, instants ISO-8601 with the WIB offset. Every expiry is measured
 * on the injected clock.
 */
import { randomBytes } from 'node:crypto';
import { addDays, daysBetween, jakartaDate, type LocalDate, toJakartaIso } from '../domain/dates';
import { percent } from '../domain/money';
import type { ProviderCode } from '../domain/types';
import { CAIRIN_ERRORS, CAIRIN_PATHS } from '../providers/cairin/wire';
import type { CairinAccountRecord, CairinFundingRecord, CairinInstallmentRecord, CairinLoanRecord } from './dataset';
import { bearerOf, type FaultSpec, type LatencySpec, type ProviderStyle, type Route, type SandboxReply, type SandboxRequest, type SandboxServerHandle, rupiahJson, startHttpServer } from './http';

/** Options of `startCairinServer`. */
export interface CairinServerOptions {
  /** Accounts to serve (deep-copied; the server mutates its own copy). */
  accounts: readonly CairinAccountRecord[];
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Clock for every expiry; default system time. */
  now?: () => Date;
  /** Access token lifetime, seconds (default 900). */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime, seconds (default 2,592,000 = 30 days). */
  refreshTokenTtlSeconds?: number;
  /** Login ticket lifetime, seconds (default 300). */
  loginTicketTtlSeconds?: number;
  latency?: LatencySpec | null;
  faults?: FaultSpec[];
  /** PRNG seed for latency jitter and fault rates. */
  seed?: number;
}

/** Default access-token lifetime, seconds. */
export const CAIRIN_ACCESS_TTL_SECONDS = 900;
/** Default refresh-token lifetime, seconds (30 days). */
export const CAIRIN_REFRESH_TTL_SECONDS = 30 * 24 * 3600;

const PROVIDER: ProviderCode = 'CAIRIN';
const DEFAULT_HISTORY_SIZE = 100;
const MAX_HISTORY_SIZE = 500;

const CODE_BY_STATUS: Record<number, string> = {
  400: CAIRIN_ERRORS.badRequest,
  401: CAIRIN_ERRORS.unauthorized,
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

const err = (status: number, code: string, message: string): SandboxReply => ({ status, body: { code, message } });

/** Cairin's error wording: `{ code, message }`. */
export const cairinStyle: ProviderStyle = {
  errorBody: (status, message) => ({ code: CODE_BY_STATUS[status] ?? `HTTP_${status}`, message }),
  expiredToken: () => err(401, CAIRIN_ERRORS.tokenExpired, 'access token expired'),
};

interface Ticket {
  accountId: string;
  /** The device that logged in. */
  deviceId: string;
  expiresAt: number;
}
interface AccessToken {
  accountId: string;
  expiresAt: number;
}
interface RefreshToken {
  accountId: string;
  issuedAt: number;
  expiresAt: number;
}

const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Renders one installment: unpaid ones without the split when the record says so (the brief's seq 2). */
function installmentJson(i: CairinInstallmentRecord, today: string) {
  const status = i.status === 'due' && i.dueDate < today ? 'overdue' : i.status;
  const out: Record<string, unknown> = { seq: i.seq, dueDate: i.dueDate };
  if (i.showSplit) {
    out.principal = rupiahJson(i.principal);
    out.interest = rupiahJson(i.interest);
  }
  out.amountDue = rupiahJson(i.amountDue);
  if (i.status === 'paid' || i.status === 'partial') out.amountPaid = rupiahJson(i.amountPaid);
  out.status = status;
  return out;
}

/** Money still owed on disbursed, not paid-off loans, integer rupiah. */
function outstandingOf(a: CairinAccountRecord): bigint {
  let sum = 0n;
  for (const l of a.loans) {
    if (l.status !== 'active') continue;
    for (const i of l.installments) sum += i.amountDue - i.amountPaid;
  }
  return sum;
}

/**
 * A funding position as GET /mobile/funding/portfolio sends it on `today` (Jakarta): maturity = start + tenor;
 * an `active` position is `matured` from its maturity date on; accrued benefit = amount x rate x days accrued / 365,
 * rounded down to whole rupiah, days accrued = days since the start, at most the tenor (none while
 * `pending_allocation` or `cancelled`).
 */
export function cairinFunding(f: CairinFundingRecord, today: LocalDate): { maturityDate: LocalDate; status: CairinFundingRecord['status']; accruedBenefit: bigint } {
  const maturityDate = addDays(f.startDate, f.tenorDays);
  const status = f.status === 'active' && today >= maturityDate ? 'matured' : f.status;
  const days = status === 'active' || status === 'matured' ? Math.max(0, Math.min(f.tenorDays, daysBetween(f.startDate, today))) : 0;
  const r = percent(f.annualBenefitPct);
  return { maturityDate, status, accruedBenefit: (f.amount * r.num * BigInt(days)) / (r.den * 365n) };
}

/**
 * Starts the Cairin sandbox server.
 * @returns its handle (URL, counters, latency/fault control, close).
 */
export async function startCairinServer(opts: CairinServerOptions): Promise<SandboxServerHandle> {
  const now = opts.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  const accessTtl = opts.accessTokenTtlSeconds ?? CAIRIN_ACCESS_TTL_SECONDS;
  const refreshTtl = opts.refreshTokenTtlSeconds ?? CAIRIN_REFRESH_TTL_SECONDS;
  const ticketTtl = opts.loginTicketTtlSeconds ?? 300;

  const accounts = new Map<string, CairinAccountRecord>();
  const byPhone = new Map<string, CairinAccountRecord>();
  for (const a of structuredClone(opts.accounts) as CairinAccountRecord[]) {
    accounts.set(a.accountId, a);
    byPhone.set(a.phoneNumber, a);
  }
  const tickets = new Map<string, Ticket>();
  /** Devices other than the registered one that passed liveness, per account. */
  const devices = new Map<string, Set<string>>();
  /** Whether the account passed liveness on this device (the registered one: as the dataset says). */
  const deviceLive = (a: CairinAccountRecord, deviceId: string): boolean =>
    a.deviceId === deviceId ? a.livenessDone : (devices.get(a.accountId)?.has(deviceId) ?? false);
  const access = new Map<string, AccessToken>();
  const refresh = new Map<string, RefreshToken>();

  /** Resolves the bearer to an account, or the 401 to send. */
  const authenticate = (req: SandboxRequest): CairinAccountRecord | SandboxReply => {
    const t = bearerOf(req);
    if (!t) return err(401, CAIRIN_ERRORS.unauthorized, 'missing bearer token');
    const rec = access.get(t);
    if (!rec) return err(401, CAIRIN_ERRORS.unauthorized, 'unknown access token');
    if (nowMs() >= rec.expiresAt) return err(401, CAIRIN_ERRORS.tokenExpired, 'access token expired');
    const a = accounts.get(rec.accountId);
    return a ?? err(401, CAIRIN_ERRORS.unauthorized, 'account no longer exists');
  };
  const isReply = (x: CairinAccountRecord | SandboxReply): x is SandboxReply => 'status' in x && typeof (x as SandboxReply).status === 'number';

  /** Validates a login ticket, or returns the error to send. */
  const ticketOf = (body: unknown): { id: string; t: Ticket } | SandboxReply => {
    const id = (body as { loginTicket?: unknown } | undefined)?.loginTicket;
    if (!isString(id)) return err(400, CAIRIN_ERRORS.badRequest, 'loginTicket is required');
    const t = tickets.get(id);
    if (!t || nowMs() >= t.expiresAt) return err(401, CAIRIN_ERRORS.unauthorized, 'login ticket is invalid or expired');
    return { id, t };
  };

  const issueRefresh = (accountId: string): string => {
    const r = token('crt');
    const at = nowMs();
    refresh.set(r, { accountId, issuedAt: at, expiresAt: at + refreshTtl * 1000 });
    return r;
  };
  const session = (accountId: string, refreshToken: string) => {
    const a = token('cat');
    access.set(a, { accountId, expiresAt: nowMs() + accessTtl * 1000 });
    const r = refresh.get(refreshToken)!;
    return {
      accessToken: a,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: accessTtl,
      refreshExpiresIn: Math.max(1, Math.ceil((r.expiresAt - nowMs()) / 1000)),
      accountId,
    };
  };

  const loanDetail = (l: CairinLoanRecord, include: ReadonlySet<string>, today: string) => {
    const out: Record<string, unknown> = {
      loanId: l.loanId,
      principal: rupiahJson(l.principal),
      currency: 'IDR',
      tenorDays: l.tenorDays,
      annualRatePct: l.annualRatePct,
      status: l.status,
    };
    if (include.has('disbursement')) {
      out.disbursement = l.disbursement ? { bank: l.disbursement.bank, ts: l.disbursement.ts, amount: rupiahJson(l.disbursement.amount), status: l.disbursement.status } : null;
    }
    if (include.has('installments')) out.installments = l.installments.map((i) => installmentJson(i, today));
    return out;
  };

  const routes: Route[] = [
    {
      method: 'POST',
      template: CAIRIN_PATHS.login,
      handle: (req) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (!isString(b.phoneNumber) || !isString(b.pin) || !isString(b.deviceId)) return err(400, CAIRIN_ERRORS.badRequest, 'phoneNumber, pin and deviceId are required');
        const a = byPhone.get(b.phoneNumber);
        if (!a || a.pin !== b.pin) return err(401, CAIRIN_ERRORS.invalidCredentials, 'phone number or PIN not recognised');
        // A device the account has not passed liveness on (a new phone, or our consent page) needs the KTP + selfie check once.
        const id = token('tkt');
        tickets.set(id, { accountId: a.accountId, deviceId: b.deviceId, expiresAt: nowMs() + ticketTtl * 1000 });
        return { status: 200, body: { loginTicket: id, livenessRequired: !deviceLive(a, b.deviceId), expiresIn: ticketTtl } };
      },
    },
    {
      method: 'POST',
      template: CAIRIN_PATHS.liveness,
      handle: (req) => {
        const t = ticketOf(req.body);
        if ('status' in t) return t;
        const b = req.body as Record<string, unknown>;
        if (!isString(b.ktpImage) || !isString(b.selfieImage)) return err(400, CAIRIN_ERRORS.badRequest, 'ktpImage and selfieImage (base64) are required');
        const a = accounts.get(t.t.accountId)!;
        if (t.t.deviceId === a.deviceId) a.livenessDone = true;
        else devices.set(a.accountId, (devices.get(a.accountId) ?? new Set<string>()).add(t.t.deviceId));
        return { status: 200, body: { verified: true } };
      },
    },
    {
      method: 'POST',
      template: CAIRIN_PATHS.token,
      handle: (req) => {
        const t = ticketOf(req.body);
        if ('status' in t) return t;
        const a = accounts.get(t.t.accountId)!;
        // Checked now, not at login: another ticket of the same device may have passed liveness since.
        if (!deviceLive(a, t.t.deviceId)) return err(403, CAIRIN_ERRORS.livenessRequired, 'complete the KTP and liveness check first');
        tickets.delete(t.id);
        return { status: 200, body: session(a.accountId, issueRefresh(a.accountId)) };
      },
    },
    {
      method: 'POST',
      template: CAIRIN_PATHS.refresh,
      handle: (req) => {
        const presented = (req.body as { refreshToken?: unknown } | undefined)?.refreshToken;
        if (!isString(presented)) return err(400, CAIRIN_ERRORS.badRequest, 'refreshToken is required');
        const r = refresh.get(presented);
        if (!r) return err(401, CAIRIN_ERRORS.unauthorized, 'unknown refresh token');
        const at = nowMs();
        if (at >= r.expiresAt) return err(401, CAIRIN_ERRORS.refreshExpired, 'refresh token expired; log in again');
        const halfLife = (r.expiresAt - r.issuedAt) / 2;
        const next = at - r.issuedAt > halfLife ? issueRefresh(r.accountId) : presented;
        return { status: 200, body: session(r.accountId, next) };
      },
    },
    {
      method: 'GET',
      template: CAIRIN_PATHS.identity,
      auth: true,
      handle: (req) => {
        const a = authenticate(req);
        if (isReply(a)) return a;
        return { status: 200, body: { accountId: a.accountId, idNumber: a.nik } };
      },
    },
    {
      method: 'GET',
      template: CAIRIN_PATHS.loanList,
      auth: true,
      handle: (req) => {
        const a = authenticate(req);
        if (isReply(a)) return a;
        return {
          status: 200,
          body: {
            accountId: a.accountId,
            limit: { approvedLimit: rupiahJson(a.approvedLimit), outstanding: rupiahJson(outstandingOf(a)) },
            loans: a.loans.map((l) => ({ loanId: l.loanId, principal: rupiahJson(l.principal), currency: 'IDR', tenorDays: l.tenorDays, status: l.status, appliedAt: l.appliedAt })),
          },
        };
      },
    },
    {
      method: 'POST',
      template: CAIRIN_PATHS.loanDetail,
      auth: true,
      handle: (req) => {
        const a = authenticate(req);
        if (isReply(a)) return a;
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (!isString(b.loanId)) return err(400, CAIRIN_ERRORS.badRequest, 'loanId is required');
        const inc = b.include ?? [];
        if (!Array.isArray(inc) || inc.some((x) => x !== 'installments' && x !== 'disbursement')) {
          return err(400, CAIRIN_ERRORS.badRequest, 'include must be a list of "installments" and/or "disbursement"');
        }
        const loan = a.loans.find((l) => l.loanId === b.loanId);
        if (!loan) return err(404, CAIRIN_ERRORS.loanNotFound, `loan ${b.loanId} not found`);
        return { status: 200, body: loanDetail(loan, new Set(inc as string[]), jakartaDate(req.now)) };
      },
    },
    {
      method: 'GET',
      template: CAIRIN_PATHS.history,
      auth: true,
      handle: (req) => {
        const a = authenticate(req);
        if (isReply(a)) return a;
        const type = req.query.get('type') ?? 'all';
        if (type !== 'all' && type !== 'repayment' && type !== 'disbursement') return err(400, CAIRIN_ERRORS.badRequest, 'type must be all, repayment or disbursement');
        const page = Number(req.query.get('page') ?? '1');
        const size = Number(req.query.get('size') ?? String(DEFAULT_HISTORY_SIZE));
        if (!Number.isInteger(page) || page < 1) return err(400, CAIRIN_ERRORS.badRequest, 'page must be a positive integer');
        if (!Number.isInteger(size) || size < 1 || size > MAX_HISTORY_SIZE) return err(400, CAIRIN_ERRORS.badRequest, `size must be an integer in 1..${MAX_HISTORY_SIZE}`);
        const rows = a.transactions.filter((t) => type === 'all' || t.type === type).sort((x, y) => Date.parse(y.ts) - Date.parse(x.ts) || (x.txnId < y.txnId ? 1 : -1));
        const slice = rows.slice((page - 1) * size, page * size);
        return {
          status: 200,
          body: {
            transactions: slice.map((t) => ({ txnId: t.txnId, loanId: t.loanId, type: t.type, amount: rupiahJson(t.amount), bank: t.bank, ts: t.ts, status: t.status, clearedAt: t.clearedAt })),
            page,
            size,
            total: rows.length,
            hasMore: page * size < rows.length,
          },
        };
      },
    },
    {
      method: 'GET',
      template: CAIRIN_PATHS.fundingPortfolio,
      auth: true,
      handle: (req) => {
        const a = authenticate(req);
        if (isReply(a)) return a;
        const today = jakartaDate(req.now);
        return {
          status: 200,
          body: {
            accountId: a.accountId,
            positions: (a.fundingPositions ?? []).map((f) => {
              const d = cairinFunding(f, today);
              return {
                fundingId: f.fundingId,
                amount: rupiahJson(f.amount),
                currency: 'IDR',
                startDate: f.startDate,
                tenorDays: f.tenorDays,
                maturityDate: d.maturityDate,
                annualBenefitPct: Number(f.annualBenefitPct),
                accruedBenefit: rupiahJson(d.accruedBenefit),
                status: d.status,
              };
            }),
          },
        };
      },
    },
  ];

  /** Sandbox-only: settles every pending repayment of an account (the bank confirmation lands). */
  const controlRoutes: Route[] = [
    {
      method: 'POST',
      template: '/accounts/:accountId/repay',
      // The borrower pays the next unpaid installment of a loan at a bank: the
      // repayment shows as pending until the bank settles it (SNAP notification).
      // Body: { loanId, bank? = 'BCA' }. Answers { txnId, loanId, amount, bank, ts }.
      handle: (req) => {
        const a = accounts.get(req.params.accountId ?? '');
        if (!a) return err(404, 'NOT_FOUND', 'unknown account');
        const body = (req.body ?? {}) as { loanId?: string; bank?: string };
        const loan = a.loans.find((l) => l.loanId === body.loanId);
        if (!loan) return err(404, 'LOAN_NOT_FOUND', 'unknown loan');
        const inst = loan.installments.find((i) => i.status !== 'paid' && i.status !== 'pending');
        if (!inst) return err(400, 'BAD_REQUEST', 'nothing left to pay');
        const bank = (['BCA', 'MANDIRI', 'BRI', 'BNI'] as const).find((b) => b === body.bank) ?? 'BCA';
        const amount = inst.amountDue - inst.amountPaid;
        const ts = toJakartaIso(req.now);
        const txnId = `TX-${a.accountId}-${String(a.transactions.length + 1).padStart(4, '0')}-P`;
        a.transactions.unshift({ txnId, loanId: loan.loanId, type: 'repayment', amount, bank, ts, status: 'pending', clearedAt: null });
        inst.status = 'pending';
        return { status: 200, body: { txnId, loanId: loan.loanId, amount: Number(amount), bank, ts } };
      },
    },
    {
      method: 'POST',
      template: '/accounts/:accountId/settle-pending',
      handle: (req) => {
        const a = accounts.get(req.params.accountId ?? '');
        if (!a) return err(404, 'NOT_FOUND', 'unknown account');
        const at = toJakartaIso(req.now);
        let settled = 0;
        for (const t of a.transactions) {
          if (t.type !== 'repayment' || t.status !== 'pending') continue;
          t.status = 'cleared';
          t.clearedAt = at;
          settled++;
          const inst = a.loans.find((l) => l.loanId === t.loanId)?.installments.find((i) => i.status === 'pending' && i.amountDue - i.amountPaid === t.amount);
          if (inst) {
            inst.status = 'paid';
            inst.amountPaid = inst.amountDue;
            inst.showSplit = true;
          }
        }
        for (const l of a.loans) if (l.status === 'active' && l.installments.length > 0 && l.installments.every((i) => i.status === 'paid')) l.status = 'paid_off';
        return { status: 200, body: { settled } };
      },
    },
  ];

  return startHttpServer({
    provider: PROVIDER,
    routes,
    controlRoutes,
    style: cairinStyle,
    openApiDocuments: { '/openapi.json': 'cairin.json', '/openapi/snap.json': 'snap.json' },
    host: opts.host,
    port: opts.port,
    latency: opts.latency,
    faults: opts.faults,
    seed: opts.seed,
    now,
  });
}
