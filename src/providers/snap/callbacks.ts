/**
 * SNAP VA payment notifications from the banks (BCA, Mandiri, BRI, BNI) that settle
 * repayments, mounted at `POST /webhooks/snap/{bank}/v1.0/transfer-va/payment`.
 * Verified in this order: bank configured, mandatory headers, X-TIMESTAMP format and
 * window, X-PARTNER-ID, signature over the raw body, body schema. The idempotency key is
 * X-EXTERNAL-ID, unique per partner per Jakarta day.
 */
import { jakartaDate, parseInstant } from '../../domain/dates';
import type { LedgerEvent } from '../../domain/events';
import { toRupiah } from '../../domain/money';
import { contentHash, reason } from '../callback-util';
import type { CallbackRoute, CallbackSource } from '../connector';
import { SNAP_BANKS, type SnapBank, SnapPaymentNotification, snapCode, stringToSign, verifySignature } from './wire';

const ROUTE = /^\/webhooks\/snap\/([a-z]+)\/v1\.0\/transfer-va\/payment$/;
const SOURCE_PREFIX = 'SNAP_';

/** The stored payload of a notification. */
interface StoredNotification {
  partnerId: string;
  externalId: string;
  timestamp: string;
  body: SnapPaymentNotification;
}

function bankOf(path: string): SnapBank | null {
  const m = ROUTE.exec(path);
  const bank = m?.[1]?.toUpperCase() as SnapBank | undefined;
  return bank && SNAP_BANKS.includes(bank) ? bank : null;
}

function route(bank: SnapBank): CallbackRoute {
  return {
    source: `${SOURCE_PREFIX}${bank}`,
    match: (path) => (bankOf(path) === bank ? 'payment_notification' : null),
    handle(req, settings) {
      const cfg = settings.banks[bank];
      const svc = cfg?.serviceCode ?? '25';
      const reject = (http: number, caseCode: string, message: string) => ({ reject: { status: http, body: { responseCode: snapCode(http, svc, caseCode), responseMessage: message } }, reason: message });
      if (!cfg) return reject(401, '00', 'Unauthorized. [Unknown bank]');
      const h = (n: string) => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      };
      const timestamp = h('x-timestamp');
      const signature = h('x-signature');
      const partnerId = h('x-partner-id');
      const externalId = h('x-external-id');
      if (!timestamp || !signature || !partnerId || !externalId) return reject(400, '02', 'Invalid Mandatory Field [X-TIMESTAMP, X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID]');
      const ts = Date.parse(timestamp);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(timestamp) || Number.isNaN(ts)) return reject(400, '01', 'Invalid Field Format [X-TIMESTAMP]');
      if (Math.abs(req.now.getTime() - ts) > settings.timestampWindowSeconds * 1000) return reject(401, '00', 'Unauthorized. [X-TIMESTAMP out of window]');
      if (partnerId !== cfg.partnerId) return reject(401, '00', 'Unauthorized. [Unknown X-PARTNER-ID]');
      let sts: string;
      try {
        sts = stringToSign(req.method, req.path, req.raw, timestamp);
      } catch {
        return reject(400, '01', 'Invalid Field Format [body is not JSON]');
      }
      if (!verifySignature(cfg.signature, sts, signature)) return reject(401, '00', 'Unauthorized. [Signature]');
      const body = SnapPaymentNotification.safeParse(JSON.parse(req.raw));
      if (!body.success) return reject(400, body.error.issues[0]?.code === 'invalid_type' ? '02' : '01', `Invalid Field Format [${reason(body.error)}]`);
      try {
        toRupiah(body.data.paidAmount.value);
      } catch {
        return reject(400, '01', 'Invalid Field Format [paidAmount.value has a fraction]');
      }
      const payload: StoredNotification = { partnerId, externalId, timestamp, body: body.data };
      // X-EXTERNAL-ID is unique per partner per (Jakarta) day: that is the idempotency key.
      const day = jakartaDate(new Date(ts));
      return {
        event: { source: `${SOURCE_PREFIX}${bank}`, kind: 'payment_notification', idempotencyKey: `${partnerId}:${day}:${externalId}`, payload },
        accepted: () => ({
          status: 200,
          body: {
            responseCode: snapCode(200, svc, '00'),
            responseMessage: 'Successful',
            virtualAccountData: {
              partnerServiceId: body.data.partnerServiceId,
              customerNo: body.data.customerNo,
              virtualAccountNo: body.data.virtualAccountNo,
              paymentRequestId: body.data.paymentRequestId,
              paidAmount: body.data.paidAmount,
            },
          },
        }),
        conflict: (stored) =>
          contentHash((stored as StoredNotification).body) !== contentHash(body.data) ? reject(409, '00', 'Conflict [X-EXTERNAL-ID already used for another payment]').reject : undefined,
      };
    },
  };
}

/** The banks' settlement notifications as a callback source. */
export const snapSettlements: CallbackSource = {
  callbacks: SNAP_BANKS.map(route),
  owns: (source) => source.startsWith(SOURCE_PREFIX),
  ledgerEvents(ev) {
    const p = ev.payload as StoredNotification;
    const event: LedgerEvent = {
      type: 'SETTLEMENT',
      bank: ev.source.slice(SOURCE_PREFIX.length),
      partnerId: p.partnerId,
      externalId: p.externalId,
      day: jakartaDate(parseInstant(p.timestamp)),
      reference: p.body.paymentRequestId,
      account: p.body.virtualAccountNo,
      amount: toRupiah(p.body.paidAmount.value),
      settledAt: parseInstant(p.body.trxDateTime),
    };
    return { kind: 'settlement', events: [event] };
  },
};
