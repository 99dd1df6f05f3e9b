/**
 * Trusted proxies (TRUST_PROXY) over real HTTP: the Dompet Kilat callback allow-list, the request log and the
 * per-IP one-time-code limit see the client behind trusted proxies, and X-Forwarded-For is ignored without them.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app';
import { startStack, type Stack } from '../support/stack';

const ALLOWED = '203.0.113.7';
const OTHER = '198.51.100.1';

/** A log sink: every JSON line the stack writes. */
function logSink() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, log: createLogger('info', false, sink) };
}

let sent = 0;
/** A Dompet Kilat disbursement callback with the documented body (as `WebhookSender.dompetKilat` builds it), sent from loopback. */
async function dompetKilatCallback(s: Stack, forwardedFor?: string): Promise<{ status: number; body: any; requestId: string }> {
  const body = {
    transactionId: `proxy-test-${++sent}`,
    loanCode: 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH', // the sandbox's documented example loan (always seeded)
    bankCode: 'BNI',
    paymentAccountNumber: '8808999966040139',
    status: 'active',
    loanAmount: 1000000,
    loanAmountPaid: 0,
    tenor: 2,
    tenorUnit: 'MONTH',
    numberOfPay: 0,
    histories: null,
  };
  const requestId = `proxy-test-${sent}`;
  const res = await fetch(`${s.server.url}/webhooks/dompetkilat/v1/loan/disburse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...(forwardedFor !== undefined ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), requestId };
}

/** The `ip` of the 'request completed' log line of a request. */
function loggedIp(lines: Record<string, unknown>[], requestId: string): unknown {
  return lines.find((l) => l.requestId === requestId && l.msg === 'request completed')?.ip;
}

describe('without TRUST_PROXY', () => {
  let s: Stack;
  const { lines, log } = logSink();
  beforeAll(async () => {
    s = await startStack({ seed: 31, borrowers: 3, link: false, log, env: { DOMPETKILAT_CALLBACK_IPS: ALLOWED } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('judges a Dompet Kilat callback by the socket address, whatever X-Forwarded-For says', async () => {
    const r = await dompetKilatCallback(s, ALLOWED);
    expect([r.status, r.body]).toEqual([403, { status: '03', message: 'IP is not whitelisted', data: null }]);
    expect(loggedIp(lines, r.requestId)).toBe('127.0.0.1');
  });

  it('accepts a loopback callback by its socket address when X-Forwarded-For names another address', async () => {
    const ips = s.webhookSettings.dompetKilatIps;
    s.webhookSettings.dompetKilatIps = ['127.0.0.1'];
    try {
      const r = await dompetKilatCallback(s, OTHER);
      expect([r.status, r.body.status]).toEqual([200, '00']);
      expect(loggedIp(lines, r.requestId)).toBe('127.0.0.1');
    } finally {
      s.webhookSettings.dompetKilatIps = ips;
    }
  });
});

describe('TRUST_PROXY=127.0.0.1,::1 (the API behind a proxy on loopback)', () => {
  let s: Stack;
  const { lines, log } = logSink();
  beforeAll(async () => {
    s = await startStack({ seed: 32, borrowers: 3, log, env: { TRUST_PROXY: '127.0.0.1,::1', DOMPETKILAT_CALLBACK_IPS: ALLOWED } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('accepts a callback the proxy forwarded from an allowed address', async () => {
    const r = await dompetKilatCallback(s, ALLOWED);
    expect([r.status, r.body]).toEqual([200, { status: '00', message: 'success', data: null }]);
    expect(loggedIp(lines, r.requestId)).toBe(ALLOWED);
  });

  it('refuses a callback from another address, and one that only claims an allowed address leftmost', async () => {
    for (const xff of [OTHER, `${ALLOWED}, ${OTHER}`, `${ALLOWED},${OTHER}, 127.0.0.1`]) {
      const r = await dompetKilatCallback(s, xff);
      expect([r.status, r.body.status], xff).toEqual([403, '03']);
      expect(loggedIp(lines, r.requestId), xff).toBe(OTHER);
    }
  });

  it('does not allow the proxy itself: without X-Forwarded-For, or with a malformed one, the caller is the proxy', async () => {
    for (const xff of [undefined, 'garbage', `${ALLOWED}, garbage`]) {
      const r = await dompetKilatCallback(s, xff);
      expect([r.status, r.body.status], String(xff)).toEqual([403, '03']);
      expect(loggedIp(lines, r.requestId), String(xff)).toBe('127.0.0.1');
    }
  });

  it("limits one-time codes by the client's address behind the proxy", async () => {
    const i = s.requests.findIndex((r) => r.providers.some((p) => p !== 'CAIRIN'));
    expect(i).toBeGreaterThanOrEqual(0);
    const client = '198.51.100.20';
    const res = await fetch(`${s.server.url}/consent/signin/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `${ALLOWED}, ${client}` },
      body: new URLSearchParams({ nik: s.requests[i]!.nik }).toString(),
    });
    expect(res.status).toBe(200);
    await res.text();
    // The code is sent in the background: wait for its row, counted under the client's address.
    let rows = 0;
    for (let t = 0; t < 100 && rows === 0; t++) {
      rows = await s.db.prisma.oneTimeCode.count({ where: { ip: client } });
      if (rows === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toBe(1);
    expect(await s.db.prisma.oneTimeCode.count({ where: { ip: ALLOWED } })).toBe(0);
  });
});
