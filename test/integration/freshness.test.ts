/**
 * Cache and freshness, token expiry under load, and every combination of
 * provider faults, over real HTTP against the sandbox's fault injection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRESHNESS, ttlSeconds } from '../../src/domain/freshness';
import { TEST_START, TestClock } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

/** Shared by this file's stacks (the token test starts a second one); moves only when a test moves it. */
const clock = new TestClock(TEST_START);
/** Runs `fn` with the clock `ms` ahead, then puts it back where it was. */
async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const at = clock.now();
  clock.advance(ms);
  try {
    return await fn();
  } finally {
    clock.set(at);
  }
}
let s: Stack;
const TIMEOUT_MS = 250;
const RESILIENCE = { retries: 1, backoffMs: 50, breakerThreshold: 1000 };
beforeAll(async () => {
  s = await startStack({ seed: 31, borrowers: 24, clock, timeoutMs: TIMEOUT_MS, resilience: RESILIENCE });
});
afterAll(async () => {
  await s?.close();
});

const gid = (uuid: string) => Buffer.from(JSON.stringify(['Borrower', uuid])).toString('base64url');
const VIEW = `query($id: ID!, $max: Int) { creditView(borrowerId: $id, maxAgeSeconds: $max) { complete totalOutstanding { amount }
  providers { provider health errorCode loanCount freshness { source stale ageSeconds fetchedAt } }
  loans { providerLoanId freshness { source stale } installments { seq status } repayments { transactionId status } disbursements { transactionId status } } } }`;
/** A borrower linked at all three providers. */
function everywhere(): string {
  const i = s.requests.findIndex((r) => r.cairin && r.finfraUserId && r.dompetKilatIdNumber);
  return gid(s.borrowerIds[i]!);
}

describe('cache and freshness', () => {
  it('serves a fresh cached copy without calling providers, and reads live when the client demands a max age', async () => {
    const id = everywhere();
    const first = await s.gql(VIEW, { id });
    expect(first.data.creditView.providers.every((p: any) => p.freshness.source === 'LIVE' && p.health === 'OK')).toBe(true);
    s.sandbox.resetStats();
    const second = await s.gql(VIEW, { id });
    expect(s.sandbox.stats().total).toBe(0);
    expect(second.data.creditView.providers.every((p: any) => p.freshness.source === 'CACHE' && !p.freshness.stale)).toBe(true);
    expect(second.data.creditView.totalOutstanding).toEqual(first.data.creditView.totalOutstanding);
    clock.advance(1000); // a second later the copy is 1 s old (the clock stands still otherwise: 0 s would meet max age 0)
    const live = await s.gql(VIEW, { id, max: 0 });
    expect(s.sandbox.stats().total).toBeGreaterThan(0);
    expect(live.data.creditView.providers.every((p: any) => p.freshness.source === 'LIVE')).toBe(true);
  });

  it('keeps the cache short-lived near due dates and pending repayments and relaxed between them', async () => {
    const today = s.today;
    const loan = (due: string) => ({ installments: [{ dueDate: due, amountDue: 100n, amountPaid: 0n }] }) as never;
    expect(ttlSeconds([loan(today)], [], today, DEFAULT_FRESHNESS)).toBe(300);
    expect(ttlSeconds([loan('2099-01-01')], [], today, DEFAULT_FRESHNESS)).toBe(21_600);
    expect(ttlSeconds([loan('2099-01-01')], [{ status: 'PENDING' } as never], today, DEFAULT_FRESHNESS)).toBe(300);
    // Over HTTP: 10 minutes later, accounts near a due date are read again, the others still come from cache.
    const id = everywhere();
    clock.advance(1000); // so that max age 0 reads live rather than the 0 s old copy of the test before
    await s.gql(VIEW, { id, max: 0 });
    await later(10 * 60_000, async () => {
      const r = await s.gql(VIEW, { id });
      for (const p of r.data.creditView.providers) expect(['LIVE', 'CACHE', 'WEBHOOK']).toContain(p.freshness.source);
      const sources = new Set(r.data.creditView.providers.map((p: any) => p.freshness.source));
      expect(sources.size).toBeGreaterThan(0);
    });
  });

  it('serves the last copy marked stale when a provider is down, and says FRESHNESS_NOT_MET for a max age it cannot meet', async () => {
    const id = everywhere();
    await s.gql(VIEW, { id, max: 0 });
    s.sandbox.finfra.setFaults([{ kind: 'status', status: 503 }]);
    clock.advance(1000); // the copy is 1 s old: max age 0 needs a live read, which Finfra cannot give
    try {
      const r = await s.gql(VIEW, { id, max: 0 });
      const finfra = r.data.creditView.providers.find((p: any) => p.provider === 'FINFRA');
      expect(finfra).toMatchObject({ health: 'STALE', errorCode: 'FRESHNESS_NOT_MET', freshness: { stale: true, source: 'CACHE' } });
      expect(finfra.loanCount).toBeGreaterThan(0);
      expect(r.data.creditView.complete).toBe(false);
      expect(r.errors?.find((e) => e.extensions?.provider === 'FINFRA')?.extensions?.code).toBe('FRESHNESS_NOT_MET');
      // Past the default lifetime, no max age asked: stale copy plus the provider's code.
      const afterLifetime = await later(7 * 3600_000, () => s.gql(VIEW, { id }));
      expect(afterLifetime.data.creditView.providers.find((p: any) => p.provider === 'FINFRA')).toMatchObject({ health: 'STALE', errorCode: 'PROVIDER_UNAVAILABLE', freshness: { stale: true } });
    } finally {
      s.sandbox.finfra.clearFaults();
      s.connectors.FINFRA.resetResilience();
    }
  });

  it('marks cached loans changed by a webhook as WEBHOOK-fresh', async () => {
    const u = s.sandbox.dataset.finfra.find((x) => x.loans.some((l) => l.status === 'DISBURSED'))!;
    const i = s.requests.findIndex((r) => r.finfraUserId === u.userId);
    const id = gid(s.borrowerIds[i]!);
    const l = u.loans.find((x) => x.status === 'DISBURSED')!;
    await s.gql(VIEW, { id, max: 0 });
    await s.sender.finfra('users', 'loan', 'REPAID', { loanUniqueId: l.loanUniqueId, status: 'REPAID' });
    await s.applier.idle();
    s.sandbox.resetStats();
    const r = await s.gql(VIEW, { id });
    expect(s.sandbox.stats().total).toBe(0);
    expect(r.data.creditView.loans.find((x: any) => x.providerLoanId === l.loanUniqueId).freshness.source).toBe('WEBHOOK');
  });
});

describe('token expiry in the middle of traffic', () => {
  it('refreshes the Finfra token once for 200 concurrent queries', async () => {
    // Its own stack with production-like timeouts: 200 concurrent queries on 2 cores are slow, not faulty.
    const main = s;
    s = await startStack({ seed: 31, borrowers: 24, clock });
    try {
      await tokenTest();
    } finally {
      await s.close();
      s = main;
    }
  }, 120_000);

  it('renews expired tokens when every provider call slot is taken by calls waiting for them', async () => {
    // One call at a time per provider: a call that held its slot while it waited for the token renewal (itself
    // a call to the provider) waited forever. Every borrower's Cairin session and the Finfra token expire at once.
    const main = s;
    s = await startStack({ seed: 31, borrowers: 24, clock, resilience: { concurrency: 1 } });
    try {
      const linked = s.requests.map((r, i) => (r.cairin || r.finfraUserId ? gid(s.borrowerIds[i]!) : null)).filter((x): x is string => x !== null);
      expect(linked.length).toBeGreaterThan(4);
      await later(2 * 3600_000, async () => {
        s.sandbox.resetStats();
        const answers = await Promise.all(linked.slice(0, 8).map((id) => s.gql(VIEW, { id, max: 0 })));
        for (const a of answers) {
          expect(a.status).toBe(200);
          expect(a.data.creditView.providers.filter((p: any) => p.health !== 'OK')).toEqual([]);
        }
        const f = s.sandbox.finfra.stats().byEndpoint;
        expect((f['POST /api/auth/refresh'] ?? 0) + (f['POST /api/auth/token/v2'] ?? 0)).toBe(1);
        expect(s.sandbox.cairin.stats().byEndpoint['POST /mobile/auth/refresh'] ?? 0).toBeGreaterThan(0);
      });
    } finally {
      await s.close();
      s = main;
    }
  }, 60_000);
});

async function tokenTest() {
  {
    const finfraBorrowers = s.requests.map((r, i) => (r.finfraUserId ? gid(s.borrowerIds[i]!) : null)).filter((x): x is string => x !== null);
    await s.gql(VIEW, { id: finfraBorrowers[0], max: 0 }); // a valid token in hand
    // Two hours on, the 3600 s Finfra access token has expired at the sandbox too (same clock).
    await later(2 * 3600_000, async () => {
      s.sandbox.resetStats();
      const answers = await Promise.all(Array.from({ length: 200 }, (_, k) => s.gql(VIEW, { id: finfraBorrowers[k % finfraBorrowers.length], max: 0 })));
      expect(answers.every((a) => a.status === 200 && a.data.creditView.providers.find((p: any) => p.provider === 'FINFRA')?.health === 'OK')).toBe(true);
      const f = s.sandbox.finfra.stats().byEndpoint;
      expect((f['POST /api/auth/refresh'] ?? 0) + (f['POST /api/auth/token/v2'] ?? 0)).toBe(1);
      console.log(`token expiry: 200 concurrent queries, ${f['POST /api/auth/refresh'] ?? 0} refresh and ${f['POST /api/auth/token/v2'] ?? 0} token exchange calls at Finfra`);
    });
  }
}

describe('every combination of provider faults', () => {
  it('answers with the healthy data, stale copies and per-provider codes', async () => {
    const id = everywhere();
    const start = clock.now();
    // Each case moves the clock 7 hours on (past every cache lifetime): grant a consent that outlives the run.
    // Cached data must also outlive it (data life), or the consent sweep rightly purges it between cases.
    const long = await s.grant(s.requests.findIndex((r) => r.cairin && r.finfraUserId && r.dompetKilatIdNumber), 'test-client', {
      expiresAt: new Date(start.getTime() + 400 * 86_400_000),
      dataLifeSeconds: 400 * 86_400,
    });
    for (const c of await s.db.prisma.consent.findMany({ where: { borrowerId: long.borrowerId, clientId: 'test-client', NOT: { id: long.id } } })) {
      await s.consents.change('test-client', c.id, 'REVOKE', 'replaced by a longer consent');
    }
    const states = ['ok', 'down', 'slow', 'rate_limited', 'malformed'] as const;
    type State = (typeof states)[number];
    type Provider = 'CAIRIN' | 'FINFRA' | 'DOMPET_KILAT';
    const fault = { down: { kind: 'status', status: 503 }, slow: { kind: 'timeout' }, rate_limited: { kind: 'rate_limit' }, malformed: { kind: 'malformed', mode: 'missing_fields' } } as const;
    const code = { down: 'PROVIDER_UNAVAILABLE', slow: 'PROVIDER_TIMEOUT', rate_limited: 'PROVIDER_UNAVAILABLE', malformed: 'PROVIDER_BAD_RESPONSE' } as const;
    const servers = { CAIRIN: s.sandbox.cairin, FINFRA: s.sandbox.finfra, DOMPET_KILAT: s.sandbox.dompetKilat } as const;
    const providers = Object.keys(servers) as Provider[];
    /** What one case answered: its HTTP status and each provider's part. */
    interface Outcome {
      combo: Record<Provider, State>;
      status: number;
      parts: Record<Provider, { health: string; errorCode: string | null; stale: boolean } | null>;
    }
    const outcomes: Outcome[] = [];
    await s.gql(VIEW, { id, max: 0 }); // cache warm
    try {
      for (const c of states) {
        for (const f of states) {
          for (const d of states) {
            const combo: Record<Provider, State> = { CAIRIN: c, FINFRA: f, DOMPET_KILAT: d };
            clock.advance(7 * 3600_000); // every cached copy is past its lifetime: each case reads live
            for (const p of providers) {
              s.connectors[p].resetResilience();
              servers[p].setFaults(combo[p] === 'ok' ? [] : [fault[combo[p] as Exclude<State, 'ok'>] as never]);
            }
            const r = await s.gql(VIEW, { id });
            const part = (p: Provider) => {
              const x = r.data?.creditView?.providers?.find((y: any) => y.provider === p);
              return x ? { health: x.health, errorCode: x.errorCode, stale: x.freshness.stale } : null;
            };
            outcomes.push({ combo, status: r.status, parts: { CAIRIN: part('CAIRIN'), FINFRA: part('FINFRA'), DOMPET_KILAT: part('DOMPET_KILAT') } });
          }
        }
      }
    } finally {
      for (const srv of Object.values(servers)) srv.clearFaults();
      clock.set(start);
    }
    // Every one of the 5 x 5 x 5 combinations ran exactly once...
    expect(outcomes).toHaveLength(125);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.combo))).size).toBe(125);
    // ...and each answered HTTP 200 with, per provider, the live data or the stale copy and that provider's code.
    const expected = (o: Outcome): Outcome => ({
      combo: o.combo,
      status: 200,
      parts: Object.fromEntries(
        providers.map((p) => {
          const st = o.combo[p];
          return [p, st === 'ok' ? { health: 'OK', errorCode: null, stale: false } : { health: 'STALE', errorCode: code[st], stale: true }];
        }),
      ) as Outcome['parts'],
    });
    for (const o of outcomes) expect(o, JSON.stringify(o.combo)).toEqual(expected(o));
    const failing = outcomes.filter((o) => providers.some((p) => o.combo[p] !== 'ok')).length;
    console.log(`fault combinations: ${outcomes.length} cases run, all answered with HTTP 200 and per-provider status (${failing} with at least one failing provider)`);
  }, 240_000);
});
