/**
 * Cairin's lender side (issue 13): Borrower.fundingPositions and Borrower.fundingTotal over real HTTP against
 * the sandbox's GET /mobile/funding/portfolio and a real database, gated by an ACTIVE consent covering FUNDING.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/domain/dates';
import { TEST_START, TestClock, until } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const FUNDING = 'GET /mobile/funding/portfolio';
const POSITION = 'provider positionId amount { amount currency } startedOn tenor { value unit } maturesOn annualRatePercent accruedBenefit { amount currency } accruedAsOf status freshness { source ageSeconds stale }';
const QUERY = `query($id: ID!, $max: Int) { borrower(id: $id) {
  fundingPositions(maxAgeSeconds: $max) { ${POSITION} }
  fundingTotal(maxAgeSeconds: $max) { placed { amount } accruedBenefit { amount } openPositions complete }
} }`;

const clock = new TestClock(TEST_START);
let s: Stack;
/** Global ids of the linked borrowers, in dataset order (John first). */
let ids: string[];
const fundingCalls = () => s.sandbox.stats().byEndpoint[FUNDING] ?? 0;

beforeAll(async () => {
  // Nothing here is about the circuit breaker: the failure case must not open it for the others.
  s = await startStack({ seed: 7, borrowers: 10, clock, resilience: { breakerThreshold: 1000 } });
  const r = await s.gql(`{ borrowers(first: 20) { edges { node { id } } } }`);
  ids = r.data.borrowers.edges.map((e: { node: { id: string } }) => e.node.id);
});
afterAll(async () => {
  await s?.close();
});

describe('Borrower.fundingPositions', () => {
  it("gives John's two Cairin positions exactly, then serves them from the cache", async () => {
    s.sandbox.resetStats();
    const r = await s.gql(QUERY, { id: ids[0] });
    expect(r.errors).toBeUndefined();
    const t = s.today;
    expect(r.data.borrower.fundingPositions).toEqual([
      {
        provider: 'CAIRIN',
        positionId: 'FD-000001',
        amount: { amount: '5000000', currency: 'IDR' },
        startedOn: addDays(t, -30),
        tenor: { value: 90, unit: 'DAY' },
        maturesOn: addDays(t, 60),
        annualRatePercent: '10.5',
        // 5,000,000 x 10.5% x 30 / 365 = 43,150.68 -> 43,150 (rounded down)
        accruedBenefit: { amount: '43150', currency: 'IDR' },
        accruedAsOf: t,
        status: 'ACTIVE',
        freshness: { source: 'LIVE', ageSeconds: 0, stale: false },
      },
      {
        provider: 'CAIRIN',
        positionId: 'FD-000002',
        amount: { amount: '2000000', currency: 'IDR' },
        startedOn: addDays(t, -100),
        tenor: { value: 60, unit: 'DAY' },
        maturesOn: addDays(t, -40),
        annualRatePercent: '9',
        // the whole tenor: 2,000,000 x 9% x 60 / 365 = 29,589.04 -> 29,589
        accruedBenefit: { amount: '29589', currency: 'IDR' },
        accruedAsOf: t,
        status: 'MATURED',
        freshness: { source: 'LIVE', ageSeconds: 0, stale: false },
      },
    ]);
    expect(r.data.borrower.fundingTotal).toEqual({ placed: { amount: '5000000' }, accruedBenefit: { amount: '43150' }, openPositions: 1, complete: true });
    // Both fields of one request: one provider call.
    expect(fundingCalls()).toBe(1);

    clock.advance(5000);
    const again = await s.gql(QUERY, { id: ids[0] });
    expect(again.errors).toBeUndefined();
    expect(again.data.borrower.fundingPositions.map((p: { positionId: string; freshness: unknown }) => [p.positionId, p.freshness])).toEqual([
      ['FD-000001', { source: 'CACHE', ageSeconds: 5, stale: false }],
      ['FD-000002', { source: 'CACHE', ageSeconds: 5, stale: false }],
    ]);
    expect(fundingCalls()).toBe(1);

    // A freshness demand the cached copy does not meet reads the provider again.
    const live = await s.gql(QUERY, { id: ids[0], max: 1 });
    expect(live.errors).toBeUndefined();
    expect(live.data.borrower.fundingPositions[0].freshness.source).toBe('LIVE');
    expect(fundingCalls()).toBe(2);
  });

  it('refuses a client whose consent does not cover FUNDING, without calling Cairin', async () => {
    await s.grant(0, 'client-narrow', { domains: ['LOANS', 'INSTALLMENTS', 'REPAYMENTS', 'DISBURSEMENTS', 'IDENTITY'] });
    s.sandbox.resetStats();
    const r = await s.gql(QUERY, { id: ids[0] }, s.token('client-narrow', ['credit:read']));
    expect(r.data.borrower.fundingPositions).toEqual([]);
    expect(r.data.borrower.fundingTotal).toMatchObject({ openPositions: 0, complete: false });
    const errors = (r.errors ?? []).filter((e) => e.path?.at(-1) === 'fundingPositions');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.extensions).toMatchObject({ code: 'CONSENT_REQUIRED', provider: 'CAIRIN' });
    expect(fundingCalls()).toBe(0);

    // The allowed reads were logged (the access log is written in batches shortly after each response); the refused one was not.
    await until(async () => (await s.db.prisma.accessLog.count({ where: { clientId: 'test-client', domain: 'FUNDING' } })) > 0, 'the FUNDING reads are in the access log');
    expect(await s.db.prisma.accessLog.count({ where: { clientId: 'client-narrow', domain: 'FUNDING' } })).toBe(0);
  });

  it('gives an empty list, with no error and no call, for a borrower without a Cairin account', async () => {
    const i = s.requests.findIndex((r) => !r.providers.includes('CAIRIN'));
    expect(i).toBeGreaterThan(0);
    s.sandbox.resetStats();
    const r = await s.gql(QUERY, { id: ids[i] });
    expect(r.errors).toBeUndefined();
    expect(r.data.borrower.fundingPositions).toEqual([]);
    expect(r.data.borrower.fundingTotal).toEqual({ placed: { amount: '0' }, accruedBenefit: { amount: '0' }, openPositions: 0, complete: true });
    expect(fundingCalls()).toBe(0);
  });

  it('keeps a Cairin failure to its part: an error with the provider code, the other fields still answered', async () => {
    const i = s.requests.findIndex((r, k) => k > 0 && r.providers.includes('CAIRIN'));
    expect(i).toBeGreaterThan(0);
    s.sandbox.cairin.setFaults([{ kind: 'status', status: 503, endpoints: [FUNDING] }]);
    try {
      const q = `query($id: ID!, $max: Int) { borrower(id: $id) { id accounts { provider } fundingPositions(maxAgeSeconds: $max) { positionId freshness { stale } } } }`;
      // Nothing cached yet for this borrower: no positions, PROVIDER_UNAVAILABLE.
      const r = await s.gql(q, { id: ids[i] });
      expect(r.data.borrower.id).toBe(ids[i]);
      expect(r.data.borrower.accounts.length).toBeGreaterThan(0);
      expect(r.data.borrower.fundingPositions).toEqual([]);
      expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', provider: 'CAIRIN' })]);

      // John's positions are cached: the last copy is served marked stale, with the reason.
      clock.advance(1000);
      const j = await s.gql(q, { id: ids[0], max: 0 });
      expect(j.data.borrower.fundingPositions.map((p: { positionId: string; freshness: { stale: boolean } }) => [p.positionId, p.freshness.stale])).toEqual([
        ['FD-000001', true],
        ['FD-000002', true],
      ]);
      expect(j.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FRESHNESS_NOT_MET', provider: 'CAIRIN' })]);
    } finally {
      s.sandbox.cairin.setFaults([]);
    }
  });
});
