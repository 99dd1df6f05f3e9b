/**
 * Consent as the gate of every read, tenant isolation, data-subject rights and
 * personal-data minimization, over real HTTP against the sandbox and a real database.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, verifyClientToken } from '../../src/app';
import { TEST_START, TestClock, until } from '../support/clock';
import { JWT, startStack, type Stack } from '../support/stack';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(String(chunk));
    cb();
  },
});
const clock = new TestClock(TEST_START);
let s: Stack;
const A = 'client-a';
const B = 'client-b';

beforeAll(async () => {
  s = await startStack({ seed: 5, borrowers: 12, link: false, clock, log: createLogger('debug', false, sink) });
  // Borrowers 0..5 consent to A (all), 6..9 to B; borrower 0 also to B for FINFRA loans only.
  for (let i = 0; i < 6; i++) await s.grant(i, A);
  for (let i = 6; i < 10; i++) await s.grant(i, B);
});
afterAll(async () => {
  await s?.close();
});

const tokenA = (scopes = ['credit:read', 'payoff:read', 'consent:write']) => s.token(A, scopes);
const tokenB = (scopes = ['credit:read', 'payoff:read', 'consent:write']) => s.token(B, scopes);
async function ids(token: string) {
  const r = await s.gql(`{ borrowers(first: 100) { totalCount edges { cursor node { id } } } }`, {}, token);
  return r.data.borrowers as { totalCount: number; edges: { cursor: string; node: { id: string } }[] };
}
const VIEW = `query($id: ID!) { creditView(borrowerId: $id) { complete providers { provider health errorCode } loans { id provider } } }`;

describe('tenant isolation', () => {
  it('lists and counts only the borrowers who consented to the client', async () => {
    const a = await ids(tokenA());
    const b = await ids(tokenB());
    expect(a.totalCount).toBe(6);
    expect(b.totalCount).toBe(4);
    const overlap = a.edges.filter((e) => b.edges.some((f) => f.node.id === e.node.id));
    expect(overlap).toEqual([]);
  });

  it("cannot read another client's borrower by id, node, loan id, cursor, consents, access log, export or erase", async () => {
    const a = await ids(tokenA());
    const b = await ids(tokenB());
    const theirs = b.edges[0]!.node.id;
    const loans = (await s.gql(`query($id: ID!) { borrower(id: $id) { loans { id } } }`, { id: theirs }, tokenB())).data.borrower.loans;
    expect(loans.length).toBeGreaterThan(0);
    s.sandbox.resetStats();
    const r = await s.gql(
      `query($id: ID!, $loan: ID!) { borrower(id: $id) { id } node(id: $id) { id } creditView(borrowerId: $id) { complete } loan(id: $loan) { id } n2: node(id: $loan) { id }
        consents(borrowerId: $id) { id } accessLog(borrowerId: $id) { at } borrowerDataExport(borrowerId: $id) }`,
      { id: theirs, loan: loans[0].id },
      tokenA(),
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ borrower: null, node: null, creditView: null, loan: null, n2: null, consents: [], accessLog: [], borrowerDataExport: null });
    expect(s.sandbox.stats().total).toBe(0);
    const erase = await s.gql(`mutation($id: ID!) { borrowerDataErase(borrowerId: $id) { erasedAt userErrors { code } } }`, { id: theirs }, tokenA());
    expect(erase.data.borrowerDataErase).toEqual({ erasedAt: null, userErrors: [{ code: 'NOT_FOUND' }] });
    // A cursor from B's list only positions A's own list.
    const page = await s.gql(`query($after: String) { borrowers(first: 100, after: $after) { edges { node { id } } } }`, { after: b.edges[0]!.cursor }, tokenA());
    for (const e of page.data.borrowers.edges) expect(a.edges.map((x) => x.node.id)).toContain(e.node.id);
  });
});

describe('the consent gate', () => {
  it('makes no call to a provider the consent does not cover, and says so per provider', async () => {
    const i = s.requests.findIndex((r) => r.cairin && r.finfraUserId);
    const c = await s.grant(i, 'client-narrow', { providers: ['FINFRA'] });
    const id = Buffer.from(JSON.stringify(['Borrower', c.borrowerId])).toString('base64url');
    s.sandbox.resetStats();
    const r = await s.gql(VIEW, { id }, s.token('client-narrow'));
    expect(r.data.creditView.providers).toEqual([{ provider: 'FINFRA', health: 'OK', errorCode: null }]);
    expect(s.sandbox.cairin.stats().total).toBe(0);
    expect(s.sandbox.finfra.stats().total).toBeGreaterThan(0);
  });

  it('refuses a domain the consent does not cover: its fields error, repayments are read only for the balances', async () => {
    const i = s.requests.findIndex((r, k) => k >= 10 && r.cairin);
    const c = await s.grant(i, 'client-loans-only', { providers: ['CAIRIN'], domains: ['LOANS'] });
    const id = Buffer.from(JSON.stringify(['Borrower', c.borrowerId])).toString('base64url');
    s.sandbox.resetStats();
    const r = await s.gql(`query($id: ID!) { borrower(id: $id) { fullName loans { providerLoanId repayments { transactionId } installments { seq } } } }`, { id }, s.token('client-loans-only'));
    expect(r.data.borrower.fullName).toBeNull();
    expect(r.data.borrower.loans.length).toBeGreaterThan(0);
    expect(r.data.borrower.loans.every((l: any) => l.repayments === null && l.installments === null)).toBe(true);
    const codes = new Set(r.errors!.map((e) => e.extensions!.code));
    expect(codes).toEqual(new Set(['CONSENT_REQUIRED']));
    // The money paid is read under LOANS as the input of the loans' balances (one outstanding per loan whatever
    // the consent covers, issue 13.5; README "Consent"), never shown without REPAYMENTS.
    expect(s.sandbox.cairin.stats().byEndpoint['GET /mobile/transaction/history'] ?? 0).toBeGreaterThan(0);
    expect(JSON.stringify(r.data)).not.toMatch(/TRX-/);
  });

  it('reads and caches each domain under the consent that allows it when the client holds several', async () => {
    const i = s.requests.findIndex((r, k) => k >= 10 && r.cairin);
    const narrow = await s.grant(i, 'client-two-consents', { providers: ['CAIRIN'], domains: ['LOANS'] });
    const wide = await s.grant(i, 'client-two-consents', { providers: ['CAIRIN'], domains: ['LOANS', 'INSTALLMENTS', 'REPAYMENTS', 'DISBURSEMENTS'] });
    const id = Buffer.from(JSON.stringify(['Borrower', narrow.borrowerId])).toString('base64url');
    const q = `query($id: ID!) { creditView(borrowerId: $id) { loans { providerLoanId freshness { source } repayments { transactionId } disbursements { amount { amount } } } } }`;
    const live = await s.gql(q, { id }, s.token('client-two-consents'));
    expect(live.errors).toBeUndefined();
    const loans = live.data.creditView.loans;
    expect(loans.length).toBeGreaterThan(0);
    expect(loans.some((l: any) => l.repayments.length > 0)).toBe(true);
    expect(loans.some((l: any) => l.disbursements.length > 0)).toBe(true);
    // Each list is cached under the consent that covers it, so the next read is served from the cache whole; the
    // repayments are also kept under the LOANS-only consent, as the input of its loans' balances (issue 13.5).
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: wide.id, domain: { in: ['REPAYMENTS', 'DISBURSEMENTS'] } } })).toBe(2);
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: narrow.id, domain: 'DISBURSEMENTS' } })).toBe(0);
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: narrow.id, domain: 'REPAYMENTS' } })).toBe(1);
    s.sandbox.resetStats();
    const cached = await s.gql(q, { id }, s.token('client-two-consents'));
    expect(s.sandbox.stats().total).toBe(0);
    expect(cached.data.creditView.loans).toEqual(loans.map((l: any) => ({ ...l, freshness: { source: 'CACHE' } })));
  });

  it('pauses and resumes reads', async () => {
    const list = await ids(tokenA());
    const id = list.edges[1]!.node.id;
    const [consent] = (await s.gql(`query($id: ID!) { consents(borrowerId: $id) { id status } }`, { id }, tokenA())).data.consents;
    const paused = await s.gql(`mutation($c: ID!) { consentPause(id: $c, reason: "borrower asked") { consent { status } userErrors { code } } }`, { c: consent.id }, tokenA());
    expect(paused.data.consentPause).toEqual({ consent: { status: 'PAUSED' }, userErrors: [] });
    s.sandbox.resetStats();
    const r = await s.gql(VIEW, { id }, tokenA());
    expect(r.data.creditView.loans).toEqual([]);
    expect(r.data.creditView.providers.every((p: any) => p.health === 'NO_CONSENT' && p.errorCode === 'CONSENT_REQUIRED')).toBe(true);
    expect(s.sandbox.stats().total).toBe(0);
    const again = await s.gql(`mutation($c: ID!) { consentPause(id: $c) { consent { status } userErrors { code } } }`, { c: consent.id }, tokenA());
    expect(again.data.consentPause.userErrors).toEqual([{ code: 'INVALID_TRANSITION' }]);
    await s.gql(`mutation($c: ID!) { consentResume(id: $c) { consent { status } } }`, { c: consent.id }, tokenA());
    const back = await s.gql(VIEW, { id }, tokenA());
    expect(back.data.creditView.complete).toBe(true);
  });

  it('treats revocation as a hard stop: zero provider calls next, cached data deleted, history kept', async () => {
    const list = await ids(tokenA());
    const id = list.edges[2]!.node.id;
    const uuid = JSON.parse(Buffer.from(id, 'base64url').toString())[1] as string;
    const first = await s.gql(VIEW, { id }, tokenA());
    expect(first.data.creditView.complete).toBe(true);
    const [consent] = (await s.gql(`query($id: ID!) { consents(borrowerId: $id) { id } }`, { id }, tokenA())).data.consents;
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: consent.id } })).toBeGreaterThan(0);

    const rev = await s.gql(`mutation($c: ID!) { consentRevoke(id: $c, reason: "withdrawn in app") { consent { status } userErrors { code } } }`, { c: consent.id }, tokenA());
    expect(rev.data.consentRevoke.consent.status).toBe('REVOKED');
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: consent.id } })).toBe(0);

    s.sandbox.resetStats();
    const after = await s.gql(`query($id: ID!) { creditView(borrowerId: $id) { loans { id } providers { errorCode } } borrower(id: $id) { nik } }`, { id }, tokenA());
    expect(s.sandbox.stats().total).toBe(0);
    expect(after.data.creditView.loans).toEqual([]);
    expect(new Set(after.data.creditView.providers.map((p: any) => p.errorCode))).toEqual(new Set(['CONSENT_REVOKED']));
    expect(after.errors!.every((e) => e.extensions!.code === 'CONSENT_REVOKED')).toBe(true);
    const events = await s.db.prisma.consentEvent.findMany({ where: { consentId: consent.id }, orderBy: { at: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['REQUESTED', 'OPENED', 'APPROVED', 'REVOKED']);
    expect(uuid).toBeTruthy();
  });

  it('expires at expiresAt (CONSENT_EXPIRED, cache deleted) and purges data past its data life', async () => {
    const i = s.requests.findIndex((r, k) => k >= 10 && r.finfraUserId);
    const c = await s.grant(i, 'client-short', { expiresAt: new Date(clock.now().getTime() + 3600_000), dataLifeSeconds: 600 });
    const id = Buffer.from(JSON.stringify(['Borrower', c.borrowerId])).toString('base64url');
    const t = s.token('client-short');
    expect((await s.gql(VIEW, { id }, t)).data.creditView.complete).toBe(true);
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: c.id } })).toBeGreaterThan(0);
    const granted = clock.now();
    try {
      clock.advance(601_000); // past the data life, before expiry
      expect(await s.consents.sweep()).toMatchObject({ purged: expect.any(Number) });
      expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: c.id } })).toBe(0);
      expect((await s.gql(VIEW, { id }, t)).data.creditView.complete).toBe(true); // still ACTIVE: reads again
      clock.advance(3_000_000); // 3601 s after the grant: past expiresAt
      s.sandbox.resetStats();
      const r = await s.gql(VIEW, { id }, t);
      expect(s.sandbox.stats().total).toBe(0);
      expect(r.errors!.every((e) => e.extensions!.code === 'CONSENT_EXPIRED')).toBe(true);
      const row = await s.db.prisma.consent.findUniqueOrThrow({ where: { id: c.id } });
      expect(row.status).toBe('EXPIRED');
      expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: c.id } })).toBe(0);
    } finally {
      clock.set(granted);
    }
  });

  it('records an expiry once when concurrent reads find the consent past its expiry', async () => {
    const i = s.requests.findIndex((r, k) => k >= 10 && r.cairin);
    const c = await s.grant(i, 'client-concurrent', { expiresAt: new Date(clock.now().getTime() + 60_000) });
    const id = Buffer.from(JSON.stringify(['Borrower', c.borrowerId])).toString('base64url');
    const t = s.token('client-concurrent');
    const granted = clock.now();
    try {
      clock.advance(61_000);
      const answers = await Promise.all(Array.from({ length: 8 }, () => s.gql(VIEW, { id }, t)));
      for (const r of answers) expect(r.errors!.every((e) => e.extensions!.code === 'CONSENT_EXPIRED')).toBe(true);
      const events = await s.db.prisma.consentEvent.findMany({ where: { consentId: c.id } });
      expect(events.map((e) => e.type).sort()).toEqual(['APPROVED', 'EXPIRED', 'OPENED', 'REQUESTED']);
      expect(await s.consents.sweep()).toMatchObject({ expired: 0 });
      expect(await s.db.prisma.consentEvent.count({ where: { consentId: c.id, type: 'EXPIRED' } })).toBe(1);
    } finally {
      clock.set(granted);
    }
  });
});

describe('access log', () => {
  it('records who read what, when and why, and shows it to the consenting clients only', async () => {
    const list = await ids(tokenA());
    const id = list.edges[3]!.node.id;
    await s.gql(`query($id: ID!) { borrower(id: $id) { fullName loans { repayments { transactionId } } } }`, { id }, tokenA());
    const log = (await s.gql(`query($id: ID!) { accessLog(borrowerId: $id) { clientId kind provider domain purpose at } }`, { id }, tokenA())).data.accessLog;
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((e: any) => e.clientId === A && e.purpose === 'integration test')).toBe(true);
    const kinds = new Set(log.map((e: any) => `${e.kind}:${e.domain}`));
    expect(kinds).toContain('PROVIDER_READ:LOANS');
    expect(kinds).toContain('PROVIDER_READ:REPAYMENTS');
    expect(kinds).toContain('API_READ:IDENTITY');
    expect((await s.gql(`query($id: ID!) { accessLog(borrowerId: $id) { at } }`, { id }, tokenB())).data.accessLog).toEqual([]);
  });

  it('says whether provider data came from the provider or the cache, and writes entries in batches without waiting for a reader', async () => {
    const list = await ids(tokenA());
    const id = list.edges[4]!.node.id;
    const uuid = JSON.parse(Buffer.from(id, 'base64url').toString())[1] as string;
    const Q = `query($id: ID!, $max: Int) { creditView(borrowerId: $id, maxAgeSeconds: $max) { complete } }`;
    const sourcesOf = async (requestId: string) =>
      (await s.db.sql.query<{ source: string | null; kind: string }>(`SELECT source, kind FROM "AccessLog" WHERE "requestId" = $1 AND "borrowerId" = $2`, [requestId, uuid])).map((r) => `${r.kind}:${r.source}`);
    const read = async (max: number | null, requestId: string) => {
      const res = await fetch(`${s.server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenA()}`, 'x-request-id': requestId },
        body: JSON.stringify({ query: Q, variables: { id, max } }),
      });
      expect(((await res.json()) as any).data.creditView.complete).toBe(true);
      return { requestId };
    };
    // A live read (maxAgeSeconds 0), then one served from the cache it left.
    const live = await read(0, `access-live-${uuid}`);
    const cached = await read(null, `access-cached-${uuid}`);
    // Nobody reads the log: the writer's timer writes the entries (polled, not timed).
    await until(async () => (await sourcesOf(cached.requestId)).length > 0 && (await sourcesOf(live.requestId)).length > 0, 'the batch writer wrote both requests');
    const liveSources = new Set(await sourcesOf(live.requestId));
    const cachedSources = new Set(await sourcesOf(cached.requestId));
    expect(liveSources.has('PROVIDER_READ:PROVIDER')).toBe(true);
    expect([...liveSources].some((x) => x.endsWith(':CACHE'))).toBe(false);
    expect(cachedSources.has('PROVIDER_READ:CACHE')).toBe(true);
    expect([...cachedSources].some((x) => x.endsWith(':PROVIDER'))).toBe(false);
    // The GraphQL log shows the same.
    const log = (await s.gql(`query($id: ID!) { accessLog(borrowerId: $id) { kind source } }`, { id }, tokenA())).data.accessLog;
    expect(log.some((e: any) => e.kind === 'PROVIDER_READ' && e.source === 'CACHE')).toBe(true);
    expect(log.every((e: any) => (e.kind === 'API_READ') === (e.source === null))).toBe(true);
  });
});

describe('data-subject rights', () => {
  it("exports only what the calling client holds, and erases only that client's copy", async () => {
    const list = await ids(tokenA());
    const id = list.edges[4]!.node.id;
    const uuid = JSON.parse(Buffer.from(id, 'base64url').toString())[1] as string;
    // A second client holds its own consent from the same borrower, reads, and so has its own cache and log.
    const nik = (await s.db.prisma.borrower.findUniqueOrThrow({ where: { id: uuid } })).nik;
    const i = s.requests.findIndex((r) => r.nik === nik);
    await s.grant(i, 'client-other');
    await s.gql(VIEW, { id }, tokenA());
    await s.gql(VIEW, { id }, s.token('client-other'));
    const ex = (await s.gql(`query($id: ID!) { borrowerDataExport(borrowerId: $id) }`, { id }, tokenA())).data.borrowerDataExport;
    const row = await s.db.prisma.borrower.findUniqueOrThrow({ where: { id: uuid } });
    expect(ex.borrower.nik).toBe(`${row.nik!.slice(0, 4)}${'*'.repeat(row.nik!.length - 8)}${row.nik!.slice(-4)}`);
    const full = (await s.gql(`query($id: ID!) { borrowerDataExport(borrowerId: $id) }`, { id }, tokenA(['consent:write', 'identity:read']))).data.borrowerDataExport;
    expect(full.borrower.nik).toBe(row.nik);
    expect(ex.accounts.length).toBeGreaterThan(0);
    expect(ex.accounts.every((a: any) => a.sessionCredentialStored === (a.provider === 'CAIRIN'))).toBe(true);
    expect(JSON.stringify(ex)).not.toMatch(/refreshToken|refresh_token/);
    expect(ex.consents.length).toBeGreaterThan(0);
    expect(ex.consents.every((c: any) => c.clientId === A)).toBe(true);
    expect(ex.consents[0].events[0].type).toBe('REQUESTED');
    expect(ex.accessLog.length).toBeGreaterThan(0);
    expect(ex.accessLog.every((l: any) => l.clientId === A)).toBe(true);
    const mine = new Set(ex.consents.map((c: any) => c.id));
    const cached = ex.accounts.flatMap((a: any) => a.cachedData);
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.every((d: any) => mine.has(d.consentId))).toBe(true);
    expect(JSON.stringify(ex)).not.toContain('client-other');

    const E = `mutation($id: ID!) { borrowerDataErase(borrowerId: $id) { erasedAt userErrors { code } } }`;
    const first = (await s.gql(E, { id }, tokenA())).data.borrowerDataErase;
    const second = (await s.gql(E, { id }, tokenA())).data.borrowerDataErase;
    expect(first.userErrors).toEqual([]);
    expect(first.erasedAt).toBeTruthy();
    expect(second).toEqual(first);
    // This client's consents ended and its cache is gone...
    const consentsA = await s.db.prisma.consent.findMany({ where: { borrowerId: uuid, clientId: A }, include: { events: true } });
    expect(consentsA.every((c) => c.status === 'REVOKED' && c.events.some((e) => e.type === 'CLIENT_ERASED'))).toBe(true);
    expect(await s.db.prisma.providerSnapshot.count({ where: { consent: { clientId: A, borrowerId: uuid } } })).toBe(0);
    expect(await s.db.prisma.accessLog.count({ where: { borrowerId: uuid, clientId: A } })).toBeGreaterThan(0);
    // ...while the other client's consent, cache and the borrower's identity and accounts are untouched.
    const other = await s.db.prisma.consent.findFirstOrThrow({ where: { borrowerId: uuid, clientId: 'client-other' } });
    expect(other.status).toBe('ACTIVE');
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: other.id } })).toBeGreaterThan(0);
    expect(await s.db.prisma.borrower.findUniqueOrThrow({ where: { id: uuid } })).toMatchObject({ nik: row.nik, fullName: row.fullName, erasedAt: null });
    expect(await s.db.prisma.providerAccount.count({ where: { borrowerId: uuid } })).toBeGreaterThan(0);
    s.sandbox.resetStats();
    const r = await s.gql(`query($id: ID!) { borrower(id: $id) { loans { id } } }`, { id }, tokenA());
    expect(r.data.borrower.loans).toEqual([]);
    expect(s.sandbox.stats().total).toBe(0);
    expect((await s.gql(VIEW, { id }, s.token('client-other'))).data.creditView.complete).toBe(true);
  });

  it('erases a borrower for every client only at the data subject\'s request (core), keeping history without personal fields', async () => {
    const list = await ids(tokenA());
    const id = list.edges[3]!.node.id;
    const uuid = JSON.parse(Buffer.from(id, 'base64url').toString())[1] as string;
    await s.gql(VIEW, { id }, tokenA());
    const first = await s.consents.eraseBorrower(uuid, 'borrower');
    expect(await s.consents.eraseBorrower(uuid, 'borrower')).toEqual(first);
    await s.app.core.accessLog.flush();
    expect(await s.db.prisma.borrower.findUniqueOrThrow({ where: { id: uuid } })).toMatchObject({ nik: null, fullName: null });
    expect(await s.db.prisma.providerAccount.count({ where: { borrowerId: uuid } })).toBe(0);
    expect(await s.db.prisma.providerSnapshot.count({ where: { account: { borrowerId: uuid } } })).toBe(0);
    expect(await s.db.prisma.accessLog.count({ where: { borrowerId: uuid } })).toBeGreaterThan(0);
    const consents = await s.db.prisma.consent.findMany({ where: { borrowerId: uuid }, include: { events: true } });
    expect(consents.every((c) => c.status === 'REVOKED' && c.events.some((e) => e.type === 'BORROWER_ERASED'))).toBe(true);
  });
});

describe('API clients', () => {
  it('masks NIK unless the client has identity:read', async () => {
    const id = (await ids(tokenA())).edges[0]!.node.id;
    const masked = (await s.gql(`query($id: ID!) { borrower(id: $id) { nik } }`, { id }, tokenA())).data.borrower.nik as string;
    const full = (await s.gql(`query($id: ID!) { borrower(id: $id) { nik } }`, { id }, tokenA(['credit:read', 'identity:read']))).data.borrower.nik as string;
    expect(full).toMatch(/^\d{15,16}$/);
    expect(masked).toBe(`${full.slice(0, 4)}${'*'.repeat(full.length - 8)}${full.slice(-4)}`);
  });

  it('answers FORBIDDEN for every outstanding figure without payoff:read, and serves them with it', async () => {
    const id = (await ids(tokenA())).edges[0]!.node.id;
    // The fields README lists as needing payoff:read, each asked alone (a refused non-null field takes its parent with it).
    const fields: [string, string][] = [
      ['totalOutstanding', 'creditView(borrowerId: $id) { totalOutstanding { amount } }'],
      ['totalPending', 'creditView(borrowerId: $id) { totalPending { amount } }'],
      ['totalOverdue', 'creditView(borrowerId: $id) { totalOverdue { amount } }'],
      ['payoffTotal', `creditView(borrowerId: $id) { payoffTotal(asOf: "${s.today}") { amount } }`],
      ['outstandingOver90', 'creditView(borrowerId: $id) { twp90 { outstandingOver90 { amount } } }'],
      ['outstanding', 'creditView(borrowerId: $id) { providers { outstanding { amount } } }'],
      ['outstanding', 'creditView(borrowerId: $id) { loans { outstanding { total { amount } } } }'],
      ['overdueAmount', 'creditView(borrowerId: $id) { loans { overdueAmount { amount } } }'],
      ['outstanding', 'creditView(borrowerId: $id) { loans { installments { outstanding { amount } } } }'],
      ['amountPaid', 'creditView(borrowerId: $id) { loans { installments { amountPaid { amount } } } }'],
      ['pendingAmount', 'creditView(borrowerId: $id) { loans { installments { pendingAmount { amount } } } }'],
      ['payoffQuote', `creditView(borrowerId: $id) { loans { payoffQuote(asOf: "${s.today}") { total { amount } } } }`],
    ];
    for (const [field, selection] of fields) {
      const q = `query($id: ID!) { ${selection} }`;
      const denied = await s.gql(q, { id }, tokenA(['credit:read']));
      expect(denied.errors?.find((e) => e.path?.includes(field))?.extensions?.code, selection).toBe('FORBIDDEN');
      const allowed = await s.gql(q, { id }, tokenA(['credit:read', 'payoff:read']));
      expect(allowed.errors?.filter((e) => e.extensions?.code === 'FORBIDDEN') ?? [], selection).toEqual([]);
    }
    // Schedules, statuses and days past due stay readable with credit:read alone.
    const r = await s.gql(`query($id: ID!) { creditView(borrowerId: $id) { loans { status daysPastDue installments { seq dueDate amountDue { amount } status } } } }`, { id }, tokenA(['credit:read']));
    expect(r.errors).toBeUndefined();
  });

  it('checks signature, iss, aud, exp and nbf, and accepts RS256 with the configured key', async () => {
    // Client tokens are checked by jsonwebtoken against the real clock (not the stack's), so their claims are too.
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: object, opts: jwt.SignOptions = {}) => jwt.sign({ scope: 'credit:read', ...claims }, JWT.secret, { algorithm: 'HS256', subject: A, ...opts });
    const q = `{ borrowers(first: 1) { totalCount } }`;
    const cases: [string, string][] = [
      ['expired', sign({ iss: JWT.issuer, aud: JWT.audience, exp: now - 120 })],
      ['not yet valid', sign({ iss: JWT.issuer, aud: JWT.audience, exp: now + 600, nbf: now + 600 })],
      ['wrong audience', sign({ iss: JWT.issuer, aud: 'someone-else', exp: now + 600 })],
      ['wrong issuer', sign({ iss: 'evil', aud: JWT.audience, exp: now + 600 })],
      ['no expiry', sign({ iss: JWT.issuer, aud: JWT.audience })],
    ];
    for (const [name, t] of cases) {
      const r = await s.gql(q, {}, t);
      expect([name, r.status, r.errors?.[0]?.extensions?.code]).toEqual([name, 401, 'UNAUTHENTICATED']);
    }
    const skewed = sign({ iss: JWT.issuer, aud: JWT.audience, exp: now - 10 });
    expect((await s.gql(q, {}, skewed)).status).toBe(200);

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rs = jwt.sign({ scope: 'credit:read' }, privateKey, { algorithm: 'RS256', subject: A, issuer: JWT.issuer, audience: JWT.audience, expiresIn: 60 });
    expect(verifyClientToken({ ...JWT, publicKey: pem }, rs)).toMatchObject({ id: A });
    expect(() => verifyClientToken(JWT, rs)).toThrow();
  });
});

describe('personal-data minimization', () => {
  it('never stores KTP/selfie images, family card, mother, emergency contacts, religion, marital status or income', async () => {
    const tables = ['Borrower', 'ProviderAccount', 'Consent', 'ConsentEvent', 'AccessLog', 'ProviderSnapshot'];
    let dump = '';
    for (const t of tables) dump += JSON.stringify(await s.db.sql.query(`SELECT * FROM "${t}"`));
    for (const w of ['Shizuka', 'fotoKtp', 'fotoSelfie', 'iVBORw0KGgo', 'familyCard', 'motherMaidenName', 'emergencyContact', 'religion', 'maritalStatus', 'BELUM KAWIN', 'income']) {
      expect(dump).not.toContain(w);
    }
  });

  it('keeps personal fields and tokens out of every log line of the run', async () => {
    // Provoke failures too, so error paths are logged.
    const id = (await ids(tokenA())).edges[0]!.node.id;
    s.sandbox.cairin.setFaults([{ kind: 'status', status: 500 }]);
    s.sandbox.finfra.setFaults([{ kind: 'malformed', mode: 'missing_fields' }]);
    clock.advance(1000); // cached copies are 1 s old: maxAgeSeconds 0 goes to the (failing) providers
    await s.gql(`query($id: ID!) { borrower(id: $id) { nik fullName loans(maxAgeSeconds: 0) { id repayments { amount { amount } } } } }`, { id }, tokenA());
    s.sandbox.cairin.clearFaults();
    s.sandbox.finfra.clearFaults();
    await s.gql(`{ borrowers(first: 1) { totalCount } }`, {}, 'garbage-token');
    const text = logLines.join('');
    expect(text).toContain('"msg":"provider read failed"');
    expect(text).toContain('"msg":"request completed"');
    const secrets = [tokenA(), tokenB()];
    for (const p of s.sandbox.dataset.people) secrets.push(p.nik, p.fullName, p.phoneNumber, p.email);
    for (const a of s.sandbox.dataset.cairin) secrets.push(a.pin.length > 5 ? `"${a.pin}"` : a.pin, a.deviceId);
    const creds = await s.db.prisma.providerAccount.findMany({ where: { provider: 'CAIRIN' } });
    for (const c of creds) secrets.push((c.credentials as { refreshToken: string }).refreshToken);
    for (const secret of secrets) expect(text.includes(secret), `log contains ${secret.slice(0, 6)}…`).toBe(false);
  });
});
