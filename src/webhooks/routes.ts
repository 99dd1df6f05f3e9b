/**
 * Webhook routes, beside /graphql:
 *   POST /webhooks/finfra/api/core/ftm/users/:callbackTitle/status
 *   POST /webhooks/finfra/api/core/payment-gateway/:kind/status
 *   POST /webhooks/dompetkilat/v1/loan/disburse
 *   POST /webhooks/dompetkilat/v1/callback/loan/repayment
 *   POST /webhooks/snap/:bank/v1.0/transfer-va/payment
 * Each verifies, validates the body (4xx with a reason otherwise, logged without
 * personal data), stores the raw event under its idempotency key, acknowledges,
 * then queues it for the ledger.
 */
import type http from 'node:http';
import { DkCallback } from '../providers/dompetkilat/wire';
import type { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { Clock } from '../providers/connector';
import { finfraKeyMatches, parseFinfraCallback, reason } from './finfra';
import { contentHash, type EventApplier, storeEvent } from './ingest';
import type { WebhookSettings } from './settings';
import { SNAP_BANKS, type SnapBank, SnapPaymentNotification, snapCode, stringToSign, verifySignature } from './snap';
import { toRupiah } from '../domain/money';
import { webhookEvents } from '../metrics';

/** What the webhook routes need. */
export interface WebhookDeps {
  prisma: PrismaClient;
  settings: WebhookSettings;
  applier: EventApplier;
  clock: Clock;
}

type Reply = { status: number; body: unknown };

/** Counts a delivery by its outcome (2xx duplicate / 2xx accepted / 4xx rejected). */
function count(source: string, kind: string, r: Reply): void {
  const duplicate = (r.body as { duplicate?: boolean } | null)?.duplicate === true;
  webhookEvents.inc({ source, kind, outcome: r.status >= 400 ? 'rejected' : duplicate ? 'duplicate' : 'accepted' });
}

function json(res: http.ServerResponse, r: Reply): void {
  res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(r.body));
}

function parse(raw: string): { ok: unknown } | { error: string } {
  try {
    return { ok: JSON.parse(raw) };
  } catch {
    return { error: 'body is not valid JSON' };
  }
}

function remoteIp(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}

/**
 * Handles a request under /webhooks.
 * @returns false when the path is not a webhook route (the caller answers 404).
 */
export async function handleWebhook(req: http.IncomingMessage, res: http.ServerResponse, path: string, raw: string, deps: WebhookDeps, log: Logger): Promise<boolean> {
  let m: RegExpExecArray | null;
  if (req.method !== 'POST') return false;
  if ((m = /^\/webhooks\/finfra\/api\/core\/(ftm\/users\/[^/]+|payment-gateway\/[^/]+)\/status$/.exec(path))) {
    const r = await finfra(req, m[1]!.startsWith('ftm') ? 'users' : 'payment-gateway', raw, deps, log);
    count('FINFRA', m[1]!.split('/')[m[1]!.startsWith('ftm') ? 0 : 1] ?? 'callback', r);
    json(res, r);
    return true;
  }
  if ((m = /^\/webhooks\/dompetkilat\/v1\/(loan\/disburse|callback\/loan\/repayment)$/.exec(path))) {
    const kind = m[1] === 'loan/disburse' ? 'disbursement' : 'repayment';
    const r = await dompetKilat(req, kind, raw, deps, log);
    count('DOMPET_KILAT', kind, r);
    json(res, r);
    return true;
  }
  if ((m = /^\/webhooks\/snap\/([a-z]+)\/v1\.0\/transfer-va\/payment$/.exec(path))) {
    const bank = m[1]!.toUpperCase() as SnapBank;
    if (!SNAP_BANKS.includes(bank)) return false;
    const r = await snap(req, bank, path, raw, deps, log);
    count(`SNAP_${bank}`, 'payment_notification', r);
    json(res, r);
    return true;
  }
  return false;
}

async function finfra(req: http.IncomingMessage, route: 'users' | 'payment-gateway', raw: string, deps: WebhookDeps, log: Logger): Promise<Reply> {
  const key = req.headers['finfra-auth-key'];
  if (!finfraKeyMatches(Array.isArray(key) ? key[0] : key, deps.settings.finfraAuthKey)) {
    log.warn({ source: 'FINFRA', reason: 'bad finfra-auth-key' }, 'webhook rejected');
    return { status: 401, body: { error: 'Unauthorized' } };
  }
  const body = parse(raw);
  const parsed = 'ok' in body ? parseFinfraCallback(route, body.ok) : body;
  if ('error' in parsed) {
    log.warn({ source: 'FINFRA', reason: parsed.error }, 'webhook rejected');
    return { status: 400, body: { error: 'bad_request', message: parsed.error } };
  }
  const ev = parsed.ok;
  const stored = await storeEvent(deps.prisma, { source: 'FINFRA', kind: ev.type, idempotencyKey: contentHash(ev), payload: ev });
  if (!stored.duplicate) deps.applier.enqueue(stored.id);
  return { status: 200, body: { received: true, duplicate: stored.duplicate } };
}

async function dompetKilat(req: http.IncomingMessage, kind: 'disbursement' | 'repayment', raw: string, deps: WebhookDeps, log: Logger): Promise<Reply> {
  if (!deps.settings.dompetKilatIps.includes(remoteIp(req))) {
    log.warn({ source: 'DOMPET_KILAT', reason: 'IP not allowed' }, 'webhook rejected');
    return { status: 403, body: { status: '03', message: 'IP is not whitelisted', data: null } };
  }
  const body = parse(raw);
  const parsed = 'ok' in body ? DkCallback.safeParse(body.ok) : null;
  if (!parsed || !parsed.success) {
    const why = parsed ? reason(parsed.error) : (body as { error: string }).error;
    log.warn({ source: 'DOMPET_KILAT', kind, reason: why }, 'webhook rejected');
    return { status: 400, body: { status: '01', message: why, data: null } };
  }
  const stored = await storeEvent(deps.prisma, { source: 'DOMPET_KILAT', kind, idempotencyKey: contentHash({ kind, ...parsed.data }), payload: parsed.data });
  if (!stored.duplicate) deps.applier.enqueue(stored.id);
  return { status: 200, body: { status: '00', message: 'success', data: null } };
}

async function snap(req: http.IncomingMessage, bank: SnapBank, path: string, raw: string, deps: WebhookDeps, log: Logger): Promise<Reply> {
  const cfg = deps.settings.banks[bank];
  const svc = cfg?.serviceCode ?? '25';
  const reject = (http: number, caseCode: string, message: string): Reply => {
    log.warn({ source: `SNAP_${bank}`, reason: message }, 'webhook rejected');
    return { status: http, body: { responseCode: snapCode(http, svc, caseCode), responseMessage: message } };
  };
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
  if (Math.abs(deps.clock.now().getTime() - ts) > deps.settings.timestampWindowSeconds * 1000) return reject(401, '00', 'Unauthorized. [X-TIMESTAMP out of window]');
  if (partnerId !== cfg.partnerId) return reject(401, '00', 'Unauthorized. [Unknown X-PARTNER-ID]');
  let sts: string;
  try {
    sts = stringToSign(req.method ?? 'POST', path, raw, timestamp);
  } catch {
    return reject(400, '01', 'Invalid Field Format [body is not JSON]');
  }
  if (!verifySignature(cfg.signature, sts, signature)) return reject(401, '00', 'Unauthorized. [Signature]');
  const body = SnapPaymentNotification.safeParse(JSON.parse(raw));
  if (!body.success) return reject(400, body.error.issues[0]?.code === 'invalid_type' ? '02' : '01', `Invalid Field Format [${reason(body.error)}]`);
  try {
    toRupiah(body.data.paidAmount.value);
  } catch {
    return reject(400, '01', 'Invalid Field Format [paidAmount.value has a fraction]');
  }
  const payload = { partnerId, externalId, timestamp, body: body.data };
  // X-EXTERNAL-ID is unique per partner per (Jakarta) day: that is the idempotency key.
  const day = new Date(ts + 7 * 3600_000).toISOString().slice(0, 10);
  const stored = await storeEvent(deps.prisma, { source: `SNAP_${bank}`, kind: 'payment_notification', idempotencyKey: `${partnerId}:${day}:${externalId}`, payload });
  if (stored.duplicate && !stored.samePayload) {
    const prior = (await deps.prisma.webhookEvent.findUniqueOrThrow({ where: { id: stored.id } })).payload as { body: unknown };
    if (contentHash(prior.body) !== contentHash(body.data)) return reject(409, '00', 'Conflict [X-EXTERNAL-ID already used for another payment]');
  }
  if (!stored.duplicate) deps.applier.enqueue(stored.id);
  return {
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
  };
}
