/**
 * Dompet Kilat callbacks, mounted under /webhooks/dompetkilat: `POST /v1/loan/disburse`
 * (disbursement) and `POST /v1/callback/loan/repayment` (repayment), both with the
 * callback body of the middleware document. Callers are allowed by IP
 * (DOMPETKILAT_CALLBACK_IPS); answers use the `{ status, message, data }` envelope
 * ("00" success, "01" invalid, "03" forbidden).
 */
import { parseInstant } from '../../domain/dates';
import type { DisbursementEvent, LedgerEvent } from '../../domain/events';
import { bankChannel, type LoanStatus } from '../../domain/types';
import { contentHash, reason } from '../callback-util';
import type { CallbackRoute } from '../connector';
import { DkCallback } from './wire';

/** Dompet Kilat callback `status` -> our loan status. */
export const DK_LOAN_STATUS: Record<DkCallback['status'], LoanStatus> = { active: 'ACTIVE', completed: 'PAID_OFF', rejected: 'REJECTED', closed: 'CLOSED' };

const ROUTE = /^\/webhooks\/dompetkilat\/v1\/(loan\/disburse|callback\/loan\/repayment)$/;

/** The Dompet Kilat callback route (both paths). */
export const dompetKilatCallbackRoute: CallbackRoute = {
  source: 'DOMPET_KILAT',
  match(path) {
    const m = ROUTE.exec(path);
    return m ? (m[1] === 'loan/disburse' ? 'disbursement' : 'repayment') : null;
  },
  handle(req, settings) {
    const kind = ROUTE.exec(req.path)![1] === 'loan/disburse' ? 'disbursement' : 'repayment';
    if (!settings.dompetKilatIps.includes(req.ip)) {
      return { reject: { status: 403, body: { status: '03', message: 'IP is not whitelisted', data: null } }, reason: 'IP not allowed' };
    }
    let body: unknown;
    try {
      body = JSON.parse(req.raw);
    } catch {
      return { reject: { status: 400, body: { status: '01', message: 'body is not valid JSON', data: null } }, reason: 'body is not valid JSON' };
    }
    const parsed = DkCallback.safeParse(body);
    if (!parsed.success) {
      const why = reason(parsed.error);
      return { reject: { status: 400, body: { status: '01', message: why, data: null } }, reason: why };
    }
    return {
      event: { source: 'DOMPET_KILAT', kind, idempotencyKey: contentHash({ kind, ...parsed.data }), payload: parsed.data },
      accepted: () => ({ status: 200, body: { status: '00', message: 'success', data: null } }),
    };
  },
};

/**
 * The ledger events of a stored Dompet Kilat callback: each `histories[]` entry is a cleared
 * repayment (histories carry no id: a payment is its loan, time and amount), and the loan's
 * status moves with the reported totals (`loanAmountPaid`, `numberOfPay`), at `receivedAt`.
 * A disbursement callback (`kind` "disbursement", `/v1/loan/disburse`) also records a disbursement
 * (`disbursementEvent`).
 * @param kind the stored event's kind: "disbursement" or "repayment" (the path it arrived on).
 * @param receivedAt when the callback was stored: the callbacks carry no time of their own.
 */
export function dompetKilatLedgerEvents(payload: unknown, kind?: string, receivedAt?: Date): LedgerEvent[] {
  const d = DkCallback.parse(payload);
  const events: LedgerEvent[] = (d.histories ?? []).map((h) => {
    const paidAt = parseInstant(h.transactionTime);
    return {
      type: 'REPAYMENT' as const,
      provider: 'DOMPET_KILAT' as const,
      providerLoanId: d.loanCode,
      externalId: `${d.loanCode}:${paidAt.toISOString()}:${h.paymentAmount}`,
      amount: BigInt(h.paymentAmount),
      channel: bankChannel(d.bankCode),
      reference: d.paymentAccountNumber,
      status: 'CLEARED' as const,
      paidAt,
      clearedAt: paidAt,
    };
  });
  events.push({
    type: 'LOAN_STATUS',
    provider: 'DOMPET_KILAT',
    providerLoanId: d.loanCode,
    status: DK_LOAN_STATUS[d.status],
    reportedPaid: d.loanAmountPaid === undefined ? undefined : BigInt(d.loanAmountPaid),
    reportedNumberOfPay: d.numberOfPay,
    ...(receivedAt ? { at: receivedAt } : {}),
  });
  if (kind === 'disbursement') events.push(disbursementEvent(d, receivedAt ?? null));
  return events;
}

/**
 * The disbursement a Dompet Kilat disbursement callback reports ("Callback Informasi Pencairan Dana"): id
 * `transactionId`, amount `loanAmount` (integer rupiah), the rail of `bankCode`; COMPLETED unless the loan's
 * `status` is `rejected` (FAILED: no money went out). The callback carries no time: `disbursedAt` is when it
 * was received (`WebhookEvent.receivedAt`), null when unknown.
 */
export function disbursementEvent(d: DkCallback, receivedAt: Date | null): DisbursementEvent {
  return {
    type: 'DISBURSEMENT',
    provider: 'DOMPET_KILAT',
    providerLoanId: d.loanCode,
    externalId: d.transactionId,
    amount: BigInt(d.loanAmount),
    channel: bankChannel(d.bankCode),
    status: d.status === 'rejected' ? 'FAILED' : 'COMPLETED',
    disbursedAt: receivedAt,
  };
}
