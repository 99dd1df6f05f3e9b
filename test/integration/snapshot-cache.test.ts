/**
 * The in-process copies of cached provider data (src/core/snapshot-cache.ts): a repeated read uses this
 * process's copy of each snapshot payload instead of fetching and parsing it again, and a payload changed by a
 * refresh (on this instance or, with TEST_DATABASE_URL, on another one on the same database) is read anew on
 * the next read, because the copy is checked against the row's content hash every time. The response cache is
 * off here, so every read reaches the snapshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
const clock = new TestClock(TEST_START);
const NO_RESPONSE_CACHE = { RESPONSE_CACHE_MB: '0' };

beforeAll(async () => {
  s = await startStack({ seed: 31, borrowers: 6, clock, env: NO_RESPONSE_CACHE, resilience: { breakerThreshold: 1000 } });
});
afterAll(async () => {
  await s?.close();
});

const gid = (uuid: string) => Buffer.from(JSON.stringify(['Borrower', uuid])).toString('base64url');
const VIEW = `query($id: ID!, $max: Int) { creditView(borrowerId: $id, maxAgeSeconds: $max) {
  providers { provider errorCode freshness { source } }
  loans { providerLoanId status outstanding { total { amount } } installments { seq status } repayments { transactionId status amount { amount } } } } }`;

/** A Finfra borrower of the sandbox with a loan, and that loan. */
function finfraLoan(stack: Stack) {
  const u = stack.sandbox.dataset.finfra.find((x) => x.loans.some((l) => l.status === 'DISBURSED'))!;
  const i = stack.requests.findIndex((r) => r.finfraUserId === u.userId);
  return { id: gid(stack.borrowerIds[i]!), loan: u.loans.find((l) => l.status === 'DISBURSED')! };
}

/** A repayment of 12,345 rupiah made at the provider (the sandbox's control route): its data changes. Returns its id. */
async function payAtProvider(stack: Stack, loanUniqueId: string): Promise<string> {
  const res = await fetch(`${stack.sandbox.urls.finfra}/__sandbox/loans/${loanUniqueId}/repay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 12345 }),
  });
  expect(res.status).toBe(200);
  // The loan as the sandbox now serves it: its payments in order, the new one last.
  const ids = [...JSON.stringify(await res.json()).matchAll(/"(pay_\d+)"/g)].map((m) => m[1]!);
  expect(ids.length).toBeGreaterThan(0);
  return ids.at(-1)!;
}

const repaymentIds = (r: any, providerLoanId: string): string[] =>
  r.data.creditView.loans.find((l: any) => l.providerLoanId === providerLoanId).repayments.map((x: any) => x.transactionId);

describe('snapshot copies', () => {
  it('reads a payload once per content hash: a repeated read uses the copy, a refresh that changed the data is read anew', async () => {
    const { id, loan } = finfraLoan(s);
    const first = await s.gql(VIEW, { id, max: 0 });
    expect(first.errors, JSON.stringify(first.errors)).toBeUndefined();
    // Cached now: this read takes the payloads from the database, the next one from the copies.
    const second = await s.gql(VIEW, { id });
    const before = s.app.core.snapshots.stats();
    expect(before.entries).toBeGreaterThan(0);
    s.sandbox.resetStats();
    const third = await s.gql(VIEW, { id });
    expect(third).toEqual(second);
    expect(s.sandbox.stats().total).toBe(0);
    const after = s.app.core.snapshots.stats();
    expect(after.hits).toBeGreaterThan(before.hits);
    expect(after.misses).toBe(before.misses);

    const paid = await payAtProvider(s, loan.loanUniqueId);
    clock.advance(2000); // the cached copy is now 2 s old: maxAgeSeconds 0 reads the provider
    const live = await s.gql(VIEW, { id, max: 0 });
    expect(repaymentIds(live, loan.loanUniqueId)).toContain(paid);
    const cached = await s.gql(VIEW, { id });
    expect(cached.data.creditView.providers.map((p: any) => p.freshness?.source)).not.toContain('LIVE');
    expect(repaymentIds(cached, loan.loanUniqueId)).toContain(paid);
    expect(s.app.core.snapshots.stats().misses).toBeGreaterThan(after.misses);
  });

  it('hands out copies that nothing can change', async () => {
    const { id } = finfraLoan(s);
    await s.gql(VIEW, { id });
    const { rows } = await s.db.sql.query<{ id: string; contentHash: string }>(`SELECT "id", "contentHash" FROM "ProviderSnapshot" WHERE "domain" = 'LOANS' LIMIT 1`).then((r) => ({ rows: r }));
    const copy = s.app.core.snapshots.get(rows[0]!.id, rows[0]!.contentHash) as { loans: unknown[] };
    expect(copy).toBeDefined();
    expect(Object.isFrozen(copy) && Object.isFrozen(copy.loans)).toBe(true);
    expect(() => copy.loans.push({})).toThrow(TypeError);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('snapshot copies on two instances', () => {
  let b: Stack;
  beforeAll(async () => {
    // A second instance on the same database, with no provider of its own to call: it reads what the first one cached.
    b = await startStack({ seed: 31, borrowers: 6, clock, link: false, env: NO_RESPONSE_CACHE, databaseUrl: (s.db as { url?: string }).url! });
  });
  afterAll(async () => {
    await b?.close();
  });

  const readOnSecond = (id: string) =>
    fetch(`${b.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token()}` },
      body: JSON.stringify({ query: VIEW, variables: { id } }),
    }).then((r) => r.json() as Promise<any>);

  it('reads anew a payload that the other instance refreshed', async () => {
    const { id, loan } = finfraLoan(s);
    await s.gql(VIEW, { id, max: 0 });
    const held = await readOnSecond(id);
    expect(held.errors, JSON.stringify(held.errors)).toBeUndefined();
    expect(await readOnSecond(id)).toEqual(held);
    const paid = await payAtProvider(s, loan.loanUniqueId);
    expect(repaymentIds(held, loan.loanUniqueId)).not.toContain(paid);
    clock.advance(2000);
    await s.gql(VIEW, { id, max: 0 });
    const now = await readOnSecond(id);
    expect(repaymentIds(now, loan.loanUniqueId)).toContain(paid);
  });
});
