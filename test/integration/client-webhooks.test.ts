/**
 * Client webhooks (issue 13.9) over real HTTP and a real database: a client registers an endpoint (secret shown
 * once), a sandbox settlement and Dompet Kilat callbacks produce LOAN_UPDATED / PAYMENT_SETTLED, a consent revoke
 * produces CONSENT_STATUS_CHANGED; a receiver server in this file fails, times out and succeeds; the delivery log,
 * backoff on the TestClock, redelivery, order by sequence, no delivery without consent, and (on a PostgreSQL
 * server) two instances delivering each event once.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, createLogger, openDatabase, verifySatuSignature } from '../../src/app';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const ON_SERVER = Boolean(process.env.TEST_DATABASE_URL);
const clock = new TestClock(TEST_START);
const TIMEOUT_MS = 300;
let s: Stack;

/** One request the receiver got. */
interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: { id: string; type: string; occurredAt: string; data: Record<string, any> };
  answered: 'ok' | 'fail' | 'hang';
}

/** A receiver: records every request and answers as `plan` says (200, 500, or no answer until the sender gives up). */
class Receiver {
  readonly got: Received[] = [];
  plan: (r: Omit<Received, 'answered'>, seen: number) => 'ok' | 'fail' | 'hang' = () => 'ok';
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const r = { path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) };
        const seen = this.got.filter((g) => g.json.id === r.json.id).length;
        const answered = this.plan(r, seen);
        this.got.push({ ...r, answered });
        if (answered === 'ok') res.writeHead(204).end();
        else if (answered === 'fail') res.writeHead(500).end('boom');
        else setTimeout(() => res.destroyed || res.writeHead(200).end(), TIMEOUT_MS * 4).unref();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const rx = new Receiver();
let secret = '';
let endpointId = '';
let otherEndpointId = '';
const WRITE = () => s.token('test-client', ['credit:read', 'consent:write', 'webhook:write']);
const deliver = () => s.app.core.webhooks.idle();

const DELIVERIES = `query($id: ID!, $after: String) { webhookDeliveries(endpointId: $id, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id eventId eventType status sequence attemptCount payload nextAttemptAt deliveredAt
    attempts { number outcome statusCode durationMs error redelivery } } } } }`;
async function deliveries(id = endpointId, token = WRITE()): Promise<any[]> {
  const r = await s.gql(DELIVERIES, { id }, token);
  expect(r.errors).toBeUndefined();
  return r.data.webhookDeliveries.edges.map((e: any) => e.node);
}

async function loanIds(): Promise<Map<string, string>> {
  const r = await s.gql(`{ borrowers(first: 100) { edges { node { loans { id providerLoanId } } } } }`);
  expect(r.errors).toBeUndefined();
  return new Map(r.data.borrowers.edges.flatMap((e: any) => e.node.loans.map((l: any) => [l.providerLoanId, l.id])));
}

beforeAll(async () => {
  await rx.start();
  s = await startStack({ seed: 21, borrowers: 20, clock, deliveryWorker: false, env: { WEBHOOK_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS) } });
});
afterAll(async () => {
  await s?.close();
  await rx.close();
});

describe('endpoints', () => {
  it('registers an endpoint with webhook:write and shows the secret once; refuses bad URLs and missing scopes', async () => {
    const CREATE = `mutation($input: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $input) { secret endpoint { id url events createdAt disabledAt } userErrors { code field message } } }`;
    const denied = await s.gql(CREATE, { input: { url: `${rx.url}/hook`, events: ['LOAN_UPDATED'] } }, s.token('test-client', ['credit:read']));
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const url of ['http://example.com/hook', 'ftp://127.0.0.1/x', 'https://user:pw@example.com/x', 'not a url']) {
      const bad = await s.gql(CREATE, { input: { url, events: ['LOAN_UPDATED'] } }, WRITE());
      expect(bad.data.webhookEndpointCreate.userErrors[0], url).toMatchObject({ code: 'INVALID_URL', field: ['input', 'url'] });
    }
    const empty = await s.gql(CREATE, { input: { url: `${rx.url}/hook`, events: [] } }, WRITE());
    expect(empty.data.webhookEndpointCreate.userErrors[0].code).toBe('INVALID_EVENTS');

    const ok = await s.gql(CREATE, { input: { url: `${rx.url}/hook`, events: ['LOAN_UPDATED', 'PAYMENT_SETTLED', 'CONSENT_STATUS_CHANGED'] } }, WRITE());
    const p = ok.data.webhookEndpointCreate;
    expect(p.userErrors).toEqual([]);
    expect(p.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    secret = p.secret;
    endpointId = p.endpoint.id;
    // A client holding no consent from any borrower registers one too: it must receive nothing about them.
    const other = await s.gql(CREATE, { input: { url: `${rx.url}/other`, events: ['LOAN_UPDATED', 'PAYMENT_SETTLED', 'CONSENT_STATUS_CHANGED'] } }, s.token('client-other', ['webhook:write']));
    otherEndpointId = other.data.webhookEndpointCreate.endpoint.id;

    // Reads: webhook:read suffices; the secret is never shown again; a client sees only its own endpoints.
    const list = await s.gql(`{ webhookEndpoints { id url events } }`, {}, s.token('test-client', ['webhook:read']));
    expect(list.data.webhookEndpoints).toEqual([{ id: endpointId, url: `${rx.url}/hook`, events: ['LOAN_UPDATED', 'PAYMENT_SETTLED', 'CONSENT_STATUS_CHANGED'] }]);
    expect(JSON.stringify(list)).not.toContain(secret);
    expect((await deliveries(endpointId, s.token('client-other', ['webhook:read'])))).toEqual([]);
    // Stored encrypted at rest.
    const row = await s.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    expect(row.secretCiphertext).not.toContain(secret.slice(6));
  });
});

describe('a sandbox settlement', () => {
  it('posts PAYMENT_SETTLED and LOAN_UPDATED, signed, retried after a 500 and a timeout on the TestClock, logged attempt by attempt', async () => {
    const ids = await loanIds();
    const loanId = ids.get('LN-0001')!;
    const john = s.sandbox.dataset.cairin.find((a) => a.nik === '362638287638783')!;
    const pay = (await (await fetch(`${s.sandbox.urls.cairin}/__sandbox/accounts/${john.accountId}/repay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loanId: 'LN-0001', bank: 'BCA' }) })).json()) as { txnId: string; amount: number };
    // The client reads the loan (its pending repayment is cached), then BCA settles it.
    expect((await s.gql(`query($id: ID!) { loan(id: $id) { repayments { transactionId status } } }`, { id: loanId })).data.loan.repayments).toContainEqual({ transactionId: pay.txnId, status: 'PENDING' });
    // Each event: first a 500, then no answer within the timeout, then a 2xx.
    rx.plan = (_r, seen) => (seen === 0 ? 'fail' : seen === 1 ? 'hang' : 'ok');
    expect((await s.sender.snapPayment('BCA', { paymentRequestId: pay.txnId, amount: pay.amount })).status).toBe(200);
    await s.applier.idle();

    // Written in the applying transaction, for test-client only (client-other holds no consent).
    const rows = await deliveries();
    expect(rows.map((d) => d.eventType).sort()).toEqual(['LOAN_UPDATED', 'PAYMENT_SETTLED']);
    expect(await deliveries(otherEndpointId, s.token('client-other', ['webhook:read']))).toEqual([]);

    await deliver();
    expect(rx.got.map((g) => g.answered)).toEqual(['fail', 'fail']);
    // Backoff is on the application clock: nothing more is attempted until it moves (10 s +-20%).
    await deliver();
    expect(rx.got).toHaveLength(2);
    clock.advance(13_000);
    await deliver();
    expect(rx.got.map((g) => g.answered)).toEqual(['fail', 'fail', 'hang', 'hang']);
    clock.advance(25_000);
    await deliver();
    expect(rx.got.map((g) => g.answered)).toEqual(['fail', 'fail', 'hang', 'hang', 'ok', 'ok']);
    await deliver();
    expect(rx.got).toHaveLength(6);

    // The same event id (body and header) on every attempt; signatures verify with the secret shown once, not another.
    const settled = rx.got.filter((g) => g.json.type === 'PAYMENT_SETTLED');
    expect(new Set(settled.map((g) => g.json.id)).size).toBe(1);
    for (const g of rx.got) {
      expect(g.path).toBe('/hook');
      expect(g.headers['satu-event-id']).toBe(g.json.id);
      expect(g.headers['satu-event-type']).toBe(g.json.type);
      expect(g.headers['satu-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const t = Number(/t=(\d+)/.exec(String(g.headers['satu-signature']))![1]);
      expect(verifySatuSignature(String(g.headers['satu-signature']), g.body, secret, { now: new Date(t * 1000 + 1000) })).toBe(true);
      expect(verifySatuSignature(String(g.headers['satu-signature']), g.body, `${secret}x`, { now: new Date(t * 1000) })).toBe(false);
      expect(verifySatuSignature(String(g.headers['satu-signature']), `${g.body} `, secret, { now: new Date(t * 1000) })).toBe(false);
      // Older than 5 minutes: refused.
      expect(verifySatuSignature(String(g.headers['satu-signature']), g.body, secret, { now: new Date((t + 301) * 1000) })).toBe(false);
    }
    expect(settled[0]!.json.data).toMatchObject({ loanId, transactionId: pay.txnId, amount: { amount: String(pay.amount), currency: 'IDR' }, sequence: expect.any(Number) });
    const updated = rx.got.find((g) => g.json.type === 'LOAN_UPDATED')!.json;
    expect(updated.data).toMatchObject({ loanId, changes: expect.arrayContaining(['outstanding', 'installments', 'repayments']) });
    expect(JSON.stringify(rx.got.map((g) => g.json))).not.toMatch(/CAIRIN|paymentRequestId|txnId/);

    // The log: every attempt with its outcome, status and duration.
    const log = await deliveries();
    for (const d of log) {
      expect(d).toMatchObject({ status: 'DELIVERED', attemptCount: 3, nextAttemptAt: null });
      expect(d.attempts.map((a: any) => [a.number, a.outcome, a.statusCode])).toEqual([
        [1, 'FAILED', 500],
        [2, 'TIMED_OUT', null],
        [3, 'SUCCEEDED', 204],
      ]);
      expect(d.attempts[0].error).toBe('HTTP 500');
      expect(d.attempts[1].durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    }
    console.log(
      `client webhook delivery log after a sandbox settlement (LN-0001, BCA ${pay.txnId}, ${pay.amount} IDR):\n` +
        log.map((d) => `  ${d.eventType} event ${d.eventId} seq ${d.sequence} ${d.status}: ${d.attempts.map((a: any) => `#${a.number} ${a.outcome}${a.statusCode ? ` ${a.statusCode}` : ''} ${a.durationMs} ms`).join(', ')}`).join('\n') +
        `\n  body of the PAYMENT_SETTLED: ${settled.at(-1)!.body}\n  body of the LOAN_UPDATED: ${rx.got.filter((g) => g.json.type === 'LOAN_UPDATED').at(-1)!.body}`,
    );
  });

  it('redelivers on request: a new attempt with the same event id, logged as a redelivery', async () => {
    const [d] = await deliveries();
    const before = rx.got.length;
    const r = await s.gql(`mutation($id: ID!) { webhookDeliveryRedeliver(id: $id) { delivery { id status } userErrors { code } } }`, { id: d.id }, WRITE());
    expect(r.data.webhookDeliveryRedeliver).toEqual({ delivery: { id: d.id, status: 'PENDING' }, userErrors: [] });
    await deliver();
    expect(rx.got).toHaveLength(before + 1);
    expect(rx.got.at(-1)!.json.id).toBe(d.eventId);
    const again = (await deliveries()).find((x) => x.id === d.id);
    expect(again).toMatchObject({ status: 'DELIVERED', attemptCount: 4 });
    expect(again.attempts.at(-1)).toMatchObject({ number: 4, outcome: 'SUCCEEDED', redelivery: true });
    // Another client cannot redeliver it.
    const theirs = await s.gql(`mutation($id: ID!) { webhookDeliveryRedeliver(id: $id) { delivery { id } userErrors { code } } }`, { id: d.id }, s.token('client-other', ['webhook:write']));
    expect(theirs.data.webhookDeliveryRedeliver).toEqual({ delivery: null, userErrors: [{ code: 'NOT_FOUND' }] });
  });
});

describe('order and completeness', () => {
  it('two LOAN_UPDATED of one loan arriving in reverse order are put in order by their sequence', async () => {
    const contract = 'TEKENAJA-01FS3YVWZEZ93CBTRHJ724N5CH';
    const loanId = (await loanIds()).get(contract)!;
    const body = (over: Record<string, unknown>) => ({ transactionId: 'cb82f2ea-901d-49cc-97d3-34846d8d8e29', loanCode: contract, bankCode: 'BNI', paymentAccountNumber: '8808999966040139', status: 'active', loanAmount: 1000000, loanAmountPaid: 0, tenor: 2, tenorUnit: 'MONTH', numberOfPay: 0, histories: null, ...over });
    const start = rx.got.length;
    // The first event's first attempt fails; the second succeeds at once: the receiver gets the newer first.
    rx.plan = (r, seen) => (r.json.type === 'LOAN_UPDATED' && r.json.data.loanId === loanId && r.json.data.changes.includes('disbursements') && seen === 0 ? 'fail' : 'ok');
    await s.sender.dompetKilat('disbursement', body({}));
    await s.applier.idle();
    await s.sender.dompetKilat('repayment', body({ loanAmountPaid: 510000, numberOfPay: 1, histories: [{ transactionTime: '2022-02-10T08:00:00.000Z', paymentAmount: 510000 }] }));
    await s.applier.idle();
    await deliver();
    clock.advance(15_000);
    await deliver();
    const got = rx.got.slice(start).filter((g) => g.answered === 'ok' && g.json.data.loanId === loanId && g.json.type === 'LOAN_UPDATED');
    expect(got).toHaveLength(2);
    // Arrival order: newer first.
    expect(got[0]!.json.data.sequence).toBeGreaterThan(got[1]!.json.data.sequence);
    expect(got[0]!.json.data.changes).toContain('repayments');
    expect(got[1]!.json.data.changes).toContain('disbursements');
    // A receiver keeping the highest sequence per loan ends with the newer event whatever the arrival order.
    const latest = new Map<string, { sequence: number; id: string }>();
    for (const g of got) {
      const cur = latest.get(g.json.data.loanId);
      if (!cur || g.json.data.sequence > cur.sequence) latest.set(g.json.data.loanId, { sequence: g.json.data.sequence, id: g.json.id });
    }
    expect(latest.get(loanId)!.id).toBe(got[0]!.json.id);
  });

  it('a consent revoke posts CONSENT_STATUS_CHANGED; every event in the log was delivered; client-other got nothing', async () => {
    const start = rx.got.length;
    rx.plan = () => 'ok';
    const consent = await s.db.prisma.consent.findFirstOrThrow({ where: { clientId: 'test-client', borrowerId: s.borrowerIds[5]!, status: 'ACTIVE' } });
    const r = await s.gql(`mutation($id: ID!) { consentRevoke(id: $id, reason: "test") { consent { status } userErrors { code } } }`, { id: consent.id }, WRITE());
    expect(r.data.consentRevoke.consent.status).toBe('REVOKED');
    await deliver();
    const c = rx.got.slice(start).filter((g) => g.json.type === 'CONSENT_STATUS_CHANGED');
    expect(c).toHaveLength(1);
    expect(c[0]!.json.data).toMatchObject({ consentId: consent.id, status: 'REVOKED', change: 'REVOKED', sequence: expect.any(Number) });

    // No loss: every delivery in the log reached the receiver with a 2xx, under its event id.
    const log = await deliveries();
    const okIds = new Set(rx.got.filter((g) => g.answered === 'ok').map((g) => g.json.id));
    for (const d of log) {
      expect(d.status).toBe('DELIVERED');
      expect(okIds.has(d.eventId)).toBe(true);
    }
    expect(rx.got.filter((g) => g.path === '/other')).toEqual([]);
  });

  it('deleting the endpoint stops deliveries to it', async () => {
    const del = await s.gql(`mutation($id: ID!) { webhookEndpointDelete(id: $id) { endpoint { id disabledAt } userErrors { code } } }`, { id: otherEndpointId }, s.token('client-other', ['webhook:write']));
    expect(del.data.webhookEndpointDelete.endpoint.disabledAt).toBeTruthy();
    const twice = await s.gql(`mutation($id: ID!) { webhookEndpointDelete(id: $id) { endpoint { id } userErrors { code } } }`, { id: otherEndpointId }, s.token('client-other', ['webhook:write']));
    expect(twice.data.webhookEndpointDelete.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
  });
});

describe.skipIf(!ON_SERVER)('two instances on one PostgreSQL database', () => {
  let b: App;
  let bDb: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    bDb = await openDatabase({ url: s.db.url! });
    b = await createApp(s.app.config, { clock: s.clock, database: bDb, log: createLogger('silent', false), scheduler: false, eventWorker: false, deliveryWorker: false });
  });
  afterAll(async () => {
    await b?.close();
    await bDb?.close();
  });

  it('delivers each event once when both instances run their workers at once', async () => {
    rx.plan = () => 'ok';
    const start = rx.got.length;
    const consent = await s.db.prisma.consent.findFirstOrThrow({ where: { clientId: 'test-client', borrowerId: s.borrowerIds[6]!, status: 'ACTIVE' } });
    // 20 consent changes (pause, resume, ...) made alternately on the two instances.
    for (let i = 0; i < 10; i++) {
      await (i % 2 ? b : s.app).core.consents.change('test-client', consent.id, 'PAUSE');
      await (i % 2 ? s.app : b).core.consents.change('test-client', consent.id, 'RESUME');
    }
    await Promise.all([deliver(), b.core.webhooks.idle(), deliver(), b.core.webhooks.idle()]);
    const got = rx.got.slice(start);
    expect(got).toHaveLength(20);
    expect(new Set(got.map((g) => g.json.id)).size).toBe(20);
    // Ordered by sequence they alternate PAUSED, RESUMED as they were made.
    const bySeq = [...got].sort((x, y) => x.json.data.sequence - y.json.data.sequence).map((g) => g.json.data.status);
    expect(bySeq).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 'ACTIVE' : 'PAUSED')));
  });
});
