/**
 * The response cache (src/core/response-cache.ts, src/graphql/response-cache.ts): a repeated read is answered
 * from the stored answer (no SQL, no provider call) and still logged, as CACHE, under its own request id; a
 * consent change, an applied webhook and a provider refresh are visible on the next read; reads that demand
 * freshness, read live or use other token scopes are never given another read's answer. With
 * TEST_DATABASE_URL, a second instance on the same PostgreSQL database drops its stored answers when the first
 * one's consent change arrives, and serves nothing from its cache while its change listener is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerChange } from '../../src/app';
import { TEST_START, TestClock, until } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
const clock = new TestClock(TEST_START);

beforeAll(async () => {
  s = await startStack({ seed: 31, borrowers: 4, clock, resilience: { breakerThreshold: 1000 } });
});
afterAll(async () => {
  await s?.close();
});

const VIEW = `query View($id: ID!) { creditView(borrowerId: $id) {
  totalOutstanding { amount } providers { provider health errorCode }
  loans { id provider providerLoanId status outstanding { total { amount } } installments { seq status amountDue { amount } } repayments { transactionId status } }
} }`;

/** A GraphQL request with its own request id (to find its access-log entries). */
async function read(query: string, variables: Record<string, unknown>, requestId: string, token = s.token()) {
  const res = await fetch(`${s.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

/** A borrower's GraphQL id. */
const gid = (borrowerId: string) => Buffer.from(JSON.stringify(['Borrower', borrowerId])).toString('base64url');
const stats = () => s.app.core.responses.stats();
/** The test client's ACTIVE consent from a borrower (the stack grants one per borrower). */
const consentOf = (borrowerId: string) => s.db.prisma.consent.findFirstOrThrow({ where: { borrowerId, clientId: 'test-client', status: 'ACTIVE' } });

describe('the response cache', () => {
  it('answers a repeated read from the stored answer, logs it as CACHE under its own request id, and drops it on a consent change', async () => {
    const id = s.borrowerIds[0]!;
    // The first read after linking may go to the providers (a live answer is not stored); the next one reads the copy it left.
    await read(VIEW, { id: gid(id) }, 'rc-warm');
    const first = await read(VIEW, { id: gid(id) }, 'rc-first');
    expect(first.errors, JSON.stringify(first.errors)).toBeUndefined();
    const calls = s.calls.length;
    const before = stats();
    const second = await read(VIEW, { id: gid(id) }, 'rc-second');
    expect(second).toEqual(first);
    // A hit's body is the one made when the answer was stored: byte for byte what Apollo writes for `{ data }`.
    const raw = await (await fetch(`${s.server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token()}` }, body: JSON.stringify({ query: VIEW, variables: { id: gid(id) } }) })).text();
    expect(raw).toBe(`${JSON.stringify({ data: first.data })}\n`);
    expect(stats().hits).toBe(before.hits + 2);
    expect(s.calls.length).toBe(calls);

    await s.app.core.accessLog.flush();
    const logged = await s.db.sql.query<{ requestId: string; provider: string | null; domain: string; kind: string; source: string | null }>(
      `SELECT "requestId", provider::text, domain::text, kind::text, source::text FROM "AccessLog" WHERE "requestId" IN ('rc-first', 'rc-second') ORDER BY provider, domain, kind`,
    );
    const of = (rid: string) => logged.filter((r) => r.requestId === rid).map(({ requestId: _, ...r }) => r);
    // The same entries, one per (borrower, provider, domain, kind); the stored answer's provider reads say CACHE.
    expect(of('rc-second').length).toBeGreaterThan(0);
    expect(of('rc-second')).toEqual(of('rc-first').map((r) => ({ ...r, source: r.kind === 'PROVIDER_READ' ? 'CACHE' : r.source })));

    // Pausing the consent is seen by the very next read.
    const consent = await consentOf(id);
    const paused = await s.gql(`mutation($c: ID!) { consentPause(id: $c) { consent { status } } }`, { c: consent.id }, s.token('test-client', ['consent:write']));
    expect(paused.data.consentPause.consent.status).toBe('PAUSED');
    const after = await read(VIEW, { id: gid(id) }, 'rc-after-pause');
    expect(after.data.creditView.loans).toEqual([]);
    expect(new Set(after.data.creditView.providers.map((p: any) => p.errorCode))).toEqual(new Set(['CONSENT_REQUIRED']));
    await s.gql(`mutation($c: ID!) { consentResume(id: $c) { consent { status } } }`, { c: consent.id }, s.token('test-client', ['consent:write']));
    expect((await read(VIEW, { id: gid(id) }, 'rc-after-resume')).data.creditView.loans).toEqual(first.data.creditView.loans);
  });

  it('shows an applied webhook on the next read', async () => {
    // A borrower with an unpaid Finfra installment.
    let id = '';
    let view: any;
    let loan: any;
    for (const b of s.borrowerIds) {
      if (loan) break;
      view = await read(VIEW, { id: gid(b) }, `rc-webhook-pick-${b}`);
      loan = view.data.creditView.loans.find((l: any) => l.provider === 'FINFRA' && l.installments?.some((i: any) => i.status !== 'PAID'));
      id = b;
    }
    expect(loan).toBeDefined();
    view = await read(VIEW, { id: gid(id) }, 'rc-webhook-1');
    expect((await read(VIEW, { id: gid(id) }, 'rc-webhook-2')).data).toEqual(view.data);
    const due = loan.installments.find((i: any) => i.status !== 'PAID');

    const changes = s.app.core.deps.publisher.subscribe()[Symbol.asyncIterator]();
    // Asked for before the webhook is sent: an async iterator may start listening only on its first `next()`,
    // and under load the applier can publish the change before a later first call.
    let next = changes.next();
    const at = clock.now().toISOString();
    const sent = await s.sender.finfra('payment-gateway', 'va', 'PAID', { payment_id: 'PAY-RC-1', loanUniqueId: loan.providerLoanId, amount: Number(due.amountDue.amount), bank_code: 'BCA', paid_at: at, status: 'PAID', settled_at: at });
    expect(sent.status).toBe(200);
    for (;;) {
      const c = (await next).value as LedgerChange;
      if (c.providerLoanId === loan.providerLoanId) break;
      next = changes.next();
    }
    await changes.return?.();
    const hits = stats().hits;
    const after = await read(VIEW, { id: gid(id) }, 'rc-webhook-3');
    expect(stats().hits).toBe(hits);
    const seen = after.data.creditView.loans.find((l: any) => l.id === loan.id);
    expect(seen.repayments.map((r: any) => r.transactionId)).toContain('PAY-RC-1');
  });

  it('never gives a read that demands freshness, reads live, or holds other token scopes another read’s answer', async () => {
    const id = s.borrowerIds[1]!;
    const fresh = `query($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { loans { id } } }`;
    clock.advance(1000); // what is cached is 1 s old: maxAgeSeconds 0 goes to the providers
    await read(fresh, { id: gid(id) }, 'rc-fresh-1');
    const calls = s.calls.length;
    const hits = stats().hits;
    clock.advance(1000);
    const again = await read(fresh, { id: gid(id) }, 'rc-fresh-2');
    expect(again.errors, JSON.stringify(again.errors)).toBeUndefined();
    expect(s.calls.length).toBeGreaterThan(calls);
    expect(stats().hits).toBe(hits);

    const nik = `query($id: ID!) { borrower(id: $id) { nik } }`;
    const masked = await read(nik, { id: gid(id) }, 'rc-nik-1', s.token('test-client', ['credit:read']));
    const full = await read(nik, { id: gid(id) }, 'rc-nik-2', s.token('test-client', ['credit:read', 'identity:read']));
    expect(masked.data.borrower.nik).toMatch(/\*/);
    expect(full.data.borrower.nik).toMatch(/^\d{15,16}$/);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('the response cache on two instances', () => {
  let b: Stack;
  beforeAll(async () => {
    // A second instance (its own sandbox, never called: it reads the data the first one cached) on the same database.
    b = await startStack({ seed: 31, borrowers: 4, clock, link: false, databaseUrl: (s.db as { url?: string }).url! });
  });
  afterAll(async () => {
    await b?.close();
  });

  /** VIEW of a borrower, read on the second instance. */
  const readOnSecond = (borrowerId: string, requestId: string) =>
    fetch(`${b.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token()}`, 'x-request-id': requestId },
      body: JSON.stringify({ query: VIEW, variables: { id: gid(borrowerId) } }),
    }).then((r) => r.json() as Promise<any>);

  it('drops its stored answers when another instance changes a consent, and serves none while its listener is down', async () => {
    // A borrower with loans (the stack's borrowers #0 and #1 served the tests above).
    let id = '';
    for (const b of s.borrowerIds.slice(2)) if (!id && (await read(VIEW, { id: gid(b) }, `rc2-pick-${b}`)).data.creditView.loans.length) id = b;
    expect(id).not.toBe('');
    const q = (rid: string) => readOnSecond(id, rid);
    await read(VIEW, { id: gid(id) }, 'rc2-warm');
    const first = await q('rc2-b-1');
    expect(first.data.creditView.loans.length, JSON.stringify(first)).toBeGreaterThan(0);
    const hits = b.app.core.responses.stats().hits;
    expect(await q('rc2-b-2')).toEqual(first);
    expect(b.app.core.responses.stats().hits).toBe(hits + 1);

    // Revoked on the first instance: the second learns it from the change notification.
    const arrived = b.app.core.deps.publisher.consentChanges()[Symbol.asyncIterator]();
    const consent = await consentOf(id);
    const revoked = await s.gql(`mutation($c: ID!) { consentRevoke(id: $c) { consent { status } } }`, { c: consent.id }, s.token('test-client', ['consent:write']));
    expect(revoked.data.consentRevoke.consent.status).toBe('REVOKED');
    expect(((await arrived.next()).value as { consentId: string }).consentId).toBe(consent.id);
    await arrived.return?.();
    const after = await q('rc2-b-3');
    expect(after.data.creditView.loans).toEqual([]);
    expect(new Set(after.data.creditView.providers.map((p: any) => p.errorCode))).toEqual(new Set(['CONSENT_REVOKED']));

    // The listener's connection dies: nothing is served from the cache until it is back (and what was stored is gone).
    const other = s.borrowerIds.find((b, i) => i >= 2 && b !== id)!;
    const view = (rid: string) => readOnSecond(other, rid);
    // Cached by the first instance (the second one's sandbox holds no provider session of its own).
    expect((await read(VIEW, { id: gid(other) }, 'rc2-c-warm')).errors).toBeUndefined();
    await view('rc2-c-1');
    await view('rc2-c-2');
    expect(b.app.core.responses.stats().size).toBeGreaterThan(0);
    const dbName = new URL((s.db as { url?: string }).url!).pathname.slice(1);
    await s.db.sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'satukredit-listen' AND datname = $1 AND pid IN (SELECT pid FROM pg_stat_activity WHERE client_port IS NOT NULL)`, [dbName]);
    await until(() => !b.app.core.responses.enabled, 'the second instance turned its response cache off');
    expect(b.app.core.responses.stats().size).toBe(0);
    const offHits = b.app.core.responses.stats().hits;
    await view('rc2-c-3');
    await view('rc2-c-4');
    expect(b.app.core.responses.stats().hits).toBe(offHits);
    await until(() => b.app.core.responses.enabled, 'the listener reconnected', { tries: 400 });
    await view('rc2-c-5');
    await view('rc2-c-6');
    expect(b.app.core.responses.stats().hits).toBe(offHits + 1);
  });
});
