/**
 * Sandbox event sources: Finfra callbacks (signed with `finfra-auth-key`),
 * Dompet Kilat disbursement and repayment callbacks, and SNAP payment
 * notifications from simulated banks (BCA and Mandiri sign SHA256withRSA, BRI
 * and BNI HMAC-SHA512). Every sent request is kept so it can be replayed byte
 * for byte (at-least-once delivery) or sent out of order. An HTTP control
 * server exposes the same as "fire webhook" endpoints:
 *   POST /__sandbox/fire/finfra        { route: "users"|"payment-gateway", type, status, data }
 *   POST /__sandbox/fire/dompetkilat   { kind: "disbursement"|"repayment", body }
 *   POST /__sandbox/fire/snap          { bank, paymentRequestId, amount, virtualAccountNo?, externalId? }
 *   POST /__sandbox/replay             { index?: number }   (default: the last sent)
 *   GET  /__sandbox/sent
 */
import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toJakartaIso } from '../domain/dates';
import type { WebhookSettings } from '../providers/connector';
import { SNAP_BANKS, type SnapBank, stringToSign } from '../providers/snap/wire';

/** A simulated bank's identity and signing key. */
export interface SandboxBank {
  bank: SnapBank;
  partnerId: string;
  serviceCode: string;
  kind: 'RSA' | 'HMAC';
  privateKey?: KeyObject;
  publicKeyPem?: string;
  secret?: string;
}

/** Creates the four simulated banks with fresh keys. */
export function createSandboxBanks(): Record<SnapBank, SandboxBank> {
  const out = {} as Record<SnapBank, SandboxBank>;
  for (const bank of SNAP_BANKS) {
    const base = { bank, partnerId: `SANDBOX-${bank}`, serviceCode: '25' };
    if (bank === 'BCA' || bank === 'MANDIRI') {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      out[bank] = { ...base, kind: 'RSA', privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    } else {
      out[bank] = { ...base, kind: 'HMAC', secret: randomUUID() + randomUUID() };
    }
  }
  return out;
}

/** The receiver-side settings matching the simulated banks (what an operator would configure). */
export function bankSettings(banks: Record<SnapBank, SandboxBank>, lagMinutes: Record<SnapBank, number>): WebhookSettings['banks'] {
  const out: WebhookSettings['banks'] = {};
  for (const b of Object.values(banks)) {
    out[b.bank] = {
      bank: b.bank,
      partnerId: b.partnerId,
      serviceCode: b.serviceCode,
      signature: b.kind === 'RSA' ? { kind: 'RSA', publicKey: b.publicKeyPem! } : { kind: 'HMAC', secret: b.secret! },
      expectedLagMinutes: lagMinutes[b.bank],
    };
  }
  return out;
}

/** One sent request, replayable. */
export interface SentEvent {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  response: unknown;
}

/** Sends provider and bank events to a Satu Kredit webhook base URL. */
export class WebhookSender {
  readonly sent: SentEvent[] = [];

  constructor(
    /** Base URL of the API (http://127.0.0.1:4000). */
    public target: string,
    private readonly finfraAuthKey: string,
    readonly banks: Record<SnapBank, SandboxBank>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async post(path: string, headers: Record<string, string>, body: string): Promise<SentEvent> {
    const res = await fetch(new URL(path, this.target), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    let response: unknown = text;
    try {
      response = JSON.parse(text);
    } catch {
      /* keep text */
    }
    const e = { path, headers, body, status: res.status, response };
    this.sent.push(e);
    return e;
  }

  /** A Finfra callback `{ type, status, data }`. */
  finfra(route: 'users' | 'payment-gateway', type: string, status: string, data: Record<string, unknown>, authKey = this.finfraAuthKey): Promise<SentEvent> {
    const path = route === 'users' ? '/webhooks/finfra/api/core/ftm/users/satukredit/status' : `/webhooks/finfra/api/core/payment-gateway/${type}/status`;
    return this.post(path, { 'finfra-auth-key': authKey }, JSON.stringify({ type, status, data }));
  }

  /**
   * A Finfra `user_credit_score` callback ("Credit score result", status COMPLETED) with the score's `data`
   * (`finfraCreditScoreData` of src/sandbox/finfra.ts: userId, credit_score, credit_source, scored_at).
   */
  finfraCreditScore(data: { userId: string; credit_score: number; credit_source: string; scored_at: string }): Promise<SentEvent> {
    return this.finfra('users', 'user_credit_score', 'COMPLETED', data);
  }

  /** A Finfra `user_verify` callback (KYC verification result: APPROVED or REJECTED) for a borrower. */
  finfraUserVerify(userId: string, result: 'APPROVED' | 'REJECTED'): Promise<SentEvent> {
    return this.finfra('users', 'user_verify', result, { userId });
  }

  /** A Dompet Kilat disbursement or repayment callback with the documented body. */
  dompetKilat(kind: 'disbursement' | 'repayment', body: Record<string, unknown>): Promise<SentEvent> {
    const path = kind === 'disbursement' ? '/webhooks/dompetkilat/v1/loan/disburse' : '/webhooks/dompetkilat/v1/callback/loan/repayment';
    return this.post(path, {}, JSON.stringify(body));
  }

  /** A SNAP VA payment notification from `bank`, signed as that bank signs. */
  snapPayment(bank: SnapBank, p: { paymentRequestId: string; amount: bigint | number; virtualAccountNo?: string; externalId?: string; at?: Date; timestamp?: string }): Promise<SentEvent> {
    const b = this.banks[bank];
    const at = p.at ?? this.now();
    const va = p.virtualAccountNo ?? `8808${String(p.paymentRequestId).replace(/\D/g, '').padStart(12, '0').slice(-12)}`;
    const body = JSON.stringify({
      partnerServiceId: '   88081',
      customerNo: va.slice(-12),
      virtualAccountNo: va,
      virtualAccountName: 'SATU KREDIT VA',
      paymentRequestId: p.paymentRequestId,
      paidAmount: { value: `${BigInt(p.amount)}.00`, currency: 'IDR' },
      trxDateTime: toJakartaIso(at).replace(/\.\d{3}/, ''),
      referenceNo: `REF${Date.now()}`,
    });
    const path = `/webhooks/snap/${bank.toLowerCase()}/v1.0/transfer-va/payment`;
    const timestamp = p.timestamp ?? toJakartaIso(this.now()).replace(/\.\d{3}/, '');
    const sts = stringToSign('POST', path, body, timestamp);
    const signature = b.kind === 'RSA' ? sign('sha256', Buffer.from(sts), b.privateKey!).toString('base64') : createHmac('sha512', b.secret!).update(sts).digest('base64');
    return this.post(path, { 'x-timestamp': timestamp, 'x-signature': signature, 'x-partner-id': b.partnerId, 'x-external-id': p.externalId ?? randomUUID().replace(/-/g, '').slice(0, 20) }, body);
  }

  /** Sends a previously sent request again, unchanged (default: the last one). */
  replay(index = this.sent.length - 1): Promise<SentEvent> {
    const e = this.sent[index];
    if (!e) throw new RangeError(`no sent event at ${index}`);
    return this.post(e.path, e.headers, e.body);
  }
}

/** Starts the "fire webhook" control server for a sender. */
export async function startEventServer(sender: WebhookSender, opts: { host?: string; port?: number } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    };
    try {
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any>) : {};
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/__sandbox/sent') return reply(200, sender.sent);
      if (req.method !== 'POST') return reply(405, { error: 'method not allowed' });
      if (path === '/__sandbox/fire/finfra') return reply(200, await sender.finfra(body.route, body.type, body.status, body.data));
      if (path === '/__sandbox/fire/dompetkilat') return reply(200, await sender.dompetKilat(body.kind, body.body));
      if (path === '/__sandbox/fire/snap') return reply(200, await sender.snapPayment(body.bank, { ...body, amount: BigInt(body.amount) } as never));
      if (path === '/__sandbox/replay') return reply(200, await sender.replay(body.index));
      return reply(404, { error: 'not found' });
    } catch (e) {
      return reply(400, { error: (e as Error).message });
    }
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => r()));
  const a = server.address() as AddressInfo;
  return { url: `http://${a.address}:${a.port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
