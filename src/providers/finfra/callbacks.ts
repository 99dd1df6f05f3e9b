/**
 * Finfra callbacks: `POST /api/core/ftm/users/{callbackTitle}/status` (user_created,
 * user_verify, user_credit_score, loan, bnpl) and `POST /api/core/payment-gateway/{kind}/status`
 * (invoice and VA payments), mounted under /webhooks/finfra. The `finfra-auth-key`
 * header is checked in constant time before anything else. Stored callbacks
 * become ledger events in `finfraLedgerEvents`.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseInstant } from '../../domain/dates';
import type { LedgerEvent } from '../../domain/events';
import type { InstallmentStatus } from '../../domain/types';
import { contentHash, reason } from '../callback-util';
import type { CallbackRoute } from '../connector';
import { channel, LOAN_STATUS, toCreditScoreEvent } from './map';
import { FinfraCallback, FinfraCreditScoreData, FinfraLoanStatus } from './wire';

const isoInstant = z.string().datetime({ offset: true });

/** `data` of a `loan` callback. */
export const FinfraLoanEventData = z.object({ loanUniqueId: z.string().min(1), status: FinfraLoanStatus });
export type FinfraLoanEvent = z.infer<typeof FinfraLoanEventData>;

/**
 * `data` of a `bnpl` callback (installment status). Finfra's documents name the callback without its fields;
 * these are the fields of an installment in loan details (`installment_number`, `status`, `paid_amount`) and,
 * optionally, `updated_at`: when the installment's status changed (ISO instant). Without it, the time the
 * callback was received orders the reports.
 */
export const FinfraBnplEventData = z.object({
  loanUniqueId: z.string().min(1),
  installment_number: z.number().int().positive(),
  status: z.enum(['UNPAID', 'PARTIAL', 'PAID', 'OVERDUE']),
  paid_amount: z.number().int().nonnegative().optional(),
  updated_at: isoInstant.optional(),
});
export type FinfraBnplEvent = z.infer<typeof FinfraBnplEventData>;

/** Finfra installment status of a `bnpl` callback -> ours (as in loan details). */
const BNPL_STATUS: Record<FinfraBnplEvent['status'], InstallmentStatus> = { UNPAID: 'DUE', PARTIAL: 'PARTIALLY_PAID', PAID: 'PAID', OVERDUE: 'OVERDUE' };

/** `data` of a payment-gateway (invoice / VA) callback. */
export const FinfraPaymentEventData = z.object({
  payment_id: z.string().min(1),
  loanUniqueId: z.string().min(1),
  amount: z.number().int().positive(),
  bank_code: z.string().min(1),
  status: z.enum(['PENDING', 'PAID', 'FAILED']),
  paid_at: isoInstant,
  settled_at: isoInstant.nullable().optional(),
});
export type FinfraPaymentEvent = z.infer<typeof FinfraPaymentEventData>;

/** `data` of user_created and user_verify callbacks: we only need the user id (no personal fields are kept); user_credit_score: `FinfraCreditScoreData`. */
export const FinfraUserEventData = z.object({ userId: z.string().min(1) });

/** Constant-time comparison of the `finfra-auth-key` header with the configured key. */
export function finfraKeyMatches(given: string | undefined, expected: string | null): boolean {
  if (!expected || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers so the time does not depend on where they differ.
  const same = timingSafeEqual(Buffer.concat([a, Buffer.alloc(Math.max(0, b.length - a.length))]).subarray(0, b.length), b);
  return same && a.length === b.length;
}

/**
 * Validates a Finfra callback body for the route it arrived on.
 * @returns the parsed body and a minimized payload to store, or the reason it is invalid.
 */
export function parseFinfraCallback(route: 'users' | 'payment-gateway', body: unknown): { ok: { type: string; status: string; data: Record<string, unknown> } } | { error: string } {
  const env = FinfraCallback.safeParse(body);
  if (!env.success) return { error: reason(env.error) };
  const { type } = env.data;
  const expectRoute = type === 'invoice' || type === 'va' ? 'payment-gateway' : 'users';
  if (expectRoute !== route) return { error: `type "${type}" is not sent to this path` };
  const schema = type === 'user_credit_score' ? FinfraCreditScoreData : type === 'loan' ? FinfraLoanEventData : type === 'bnpl' ? FinfraBnplEventData : type === 'invoice' || type === 'va' ? FinfraPaymentEventData : FinfraUserEventData;
  const data = schema.safeParse(env.data.data);
  if (!data.success) return { error: reason(data.error, 'data') };
  return { ok: { type, status: env.data.status, data: data.data } };
}

const ROUTE = /^\/webhooks\/finfra\/api\/core\/(ftm\/users\/[^/]+|payment-gateway\/[^/]+)\/status$/;

/** The Finfra callback route (both paths). */
export const finfraCallbackRoute: CallbackRoute = {
  source: 'FINFRA',
  match(path) {
    const m = ROUTE.exec(path);
    if (!m) return null;
    return m[1]!.startsWith('ftm') ? m[1]!.split('/')[0]! : (m[1]!.split('/')[1] ?? 'callback');
  },
  handle(req, settings) {
    const route = ROUTE.exec(req.path)![1]!.startsWith('ftm') ? 'users' : 'payment-gateway';
    const key = req.headers['finfra-auth-key'];
    if (!finfraKeyMatches(Array.isArray(key) ? key[0] : key, settings.finfraAuthKey)) {
      return { reject: { status: 401, body: { error: 'Unauthorized' } }, reason: 'bad finfra-auth-key' };
    }
    let body: unknown;
    try {
      body = JSON.parse(req.raw);
    } catch {
      return { reject: { status: 400, body: { error: 'bad_request', message: 'body is not valid JSON' } }, reason: 'body is not valid JSON' };
    }
    const parsed = parseFinfraCallback(route, body);
    if ('error' in parsed) return { reject: { status: 400, body: { error: 'bad_request', message: parsed.error } }, reason: parsed.error };
    const ev = parsed.ok;
    return {
      event: { source: 'FINFRA', kind: ev.type, idempotencyKey: contentHash(ev), payload: ev },
      accepted: (duplicate) => ({ status: 200, body: { received: true, duplicate } }),
    };
  },
};

/**
 * The ledger events of a stored Finfra callback: `loan` moves the loan's status (at `receivedAt`), `va`/`invoice`
 * record a repayment (PAID -> CLEARED, FAILED, else PENDING), `bnpl` records the installment's reported state
 * (at `updated_at`, else `receivedAt`); `user_credit_score` stores the borrower's credit score; user_created and
 * user_verify have no ledger effect.
 * @param receivedAt when the callback was stored: the time of a status the callback gives no time for.
 * @throws Error when a `bnpl` callback has no time (no `updated_at` and no `receivedAt`).
 */
export function finfraLedgerEvents(payload: unknown, receivedAt?: Date): LedgerEvent[] {
  const body = payload as { type: string; status: string; data: unknown };
  if (body.type === 'loan') {
    const d = body.data as FinfraLoanEvent;
    return [{ type: 'LOAN_STATUS', provider: 'FINFRA', providerLoanId: d.loanUniqueId, status: LOAN_STATUS[d.status as keyof typeof LOAN_STATUS], ...(receivedAt ? { at: receivedAt } : {}) }];
  }
  if (body.type === 'bnpl') {
    const d = FinfraBnplEventData.parse(body.data);
    const reportedAt = d.updated_at ? parseInstant(d.updated_at) : receivedAt;
    if (!reportedAt) throw new Error('a bnpl callback without updated_at needs its receipt time');
    return [
      {
        type: 'INSTALLMENT_STATE',
        provider: 'FINFRA',
        providerLoanId: d.loanUniqueId,
        seq: d.installment_number,
        status: BNPL_STATUS[d.status],
        paidAmount: d.paid_amount === undefined ? null : BigInt(d.paid_amount),
        reportedAt,
      },
    ];
  }
  if (body.type === 'va' || body.type === 'invoice') {
    const d = body.data as FinfraPaymentEvent;
    return [
      {
        type: 'REPAYMENT',
        provider: 'FINFRA',
        providerLoanId: d.loanUniqueId,
        externalId: d.payment_id,
        amount: BigInt(d.amount),
        channel: channel(d.bank_code),
        reference: d.payment_id,
        status: d.status === 'PAID' ? 'CLEARED' : d.status === 'FAILED' ? 'FAILED' : 'PENDING',
        paidAt: parseInstant(d.paid_at),
        clearedAt: d.settled_at ? parseInstant(d.settled_at) : d.status === 'PAID' ? parseInstant(d.paid_at) : null,
      },
    ];
  }
  if (body.type === 'user_credit_score') return [toCreditScoreEvent(body.data as FinfraCreditScoreData)];
  return [];
}
