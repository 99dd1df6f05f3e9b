/**
 * Cache and freshness, token expiry under load, and every combination of
 * provider faults, over real HTTP against the sandbox's fault injection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRESHNESS, ttlSeconds } from '../../src/domain/freshness';
import { startStack, type Stack } from '../support/stack';

let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
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
    await s.gql(VIEW, { id, max: 0 });
    offsetMs = 10 * 60_000;
    try {
      const r = await s.gql(VIEW, { id });
      for (const p of r.data.creditView.providers) expect(['LIVE', 'CACHE', 'WEBHOOK']).toContain(p.freshness.source);
      const sources = new Set(r.data.creditView.providers.map((p: any) => p.freshness.source));
      expect(sources.size).toBeGreaterThan(0);
    } finally {
      offsetMs = 0;
    }
  });

  it('serves the last copy marked stale when a provider is down, and says FRESHNESS_NOT_MET for a max age it cannot meet', async () => {
    const id = everywhere();
    await s.gql(VIEW, { id, max: 0 });
    s.sandbox.finfra.setFaults([{ kind: 'status', status: 503 }]);
    try {
      const r = await s.gql(VIEW, { id, max: 0 });
      const finfra = r.data.creditView.providers.find((p: any) => p.provider === 'FINFRA');
      expect(finfra).toMatchObject({ health: 'STALE', errorCode: 'FRESHNESS_NOT_MET', freshness: { stale: true, source: 'CACHE' } });
      expect(finfra.loanCount).toBeGreaterThan(0);
      expect(r.data.creditView.complete).toBe(false);
      expect(r.errors?.find((e) => e.extensions?.provider === 'FINFRA')?.extensions?.code).toBe('FRESHNESS_NOT_MET');
      offsetMs = 7 * 3600_000; // past the default lifetime, no max age asked: stale copy plus the provider's code
      const later = await s.gql(VIEW, { id });
      expect(later.data.creditView.providers.find((p: any) => p.provider === 'FINFRA')).toMatchObject({ health: 'STALE', errorCode: 'PROVIDER_UNAVAILABLE', freshness: { stale: true } });
    } finally {
      offsetMs = 0;
      s.sandbox.finfra.clearFaults();
      s.connectors.FINFRA.client.resetResilience();
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
});

async function tokenTest() {
  {
    const finfraBorrowers = s.requests.map((r, i) => (r.finfraUserId ? gid(s.borrowerIds[i]!) : null)).filter((x): x is string => x !== null);
    await s.gql(VIEW, { id: finfraBorrowers[0], max: 0 }); // a valid token in hand
    offsetMs = 2 * 3600_000; // the 3600 s Finfra access token has expired at the sandbox too
    s.sandbox.resetStats();
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, (_, k) => s.gql(VIEW, { id: finfraBorrowers[k % finfraBorrowers.length], max: 0 })));
      expect(answers.every((a) => a.status === 200 && a.data.creditView.providers.find((p: any) => p.provider === 'FINFRA')?.health === 'OK')).toBe(true);
      const f = s.sandbox.finfra.stats().byEndpoint;
      expect((f['POST /api/auth/refresh'] ?? 0) + (f['POST /api/auth/token/v2'] ?? 0)).toBe(1);
      console.log(`token expiry: 200 concurrent queries, ${f['POST /api/auth/refresh'] ?? 0} refresh and ${f['POST /api/auth/token/v2'] ?? 0} token exchange calls at Finfra`);
    } finally {
      offsetMs = 0;
    }
  }
}

describe('every combination of provider faults', () => {
  it('answers with the healthy data, stale copies and per-provider codes, within the timeout budget', async () => {
    const id = everywhere();
    // Each case moves the clock 7 hours on (past every cache lifetime): grant a consent that outlives the run.
    // Cached data must also outlive it (data life), or the consent sweep rightly purges it between cases.
    const long = await s.grant(s.requests.findIndex((r) => r.cairin && r.finfraUserId && r.dompetKilatIdNumber), 'test-client', {
      expiresAt: new Date(clock.now().getTime() + 400 * 86_400_000),
      dataLifeSeconds: 400 * 86_400,
    });
    for (const c of await s.db.prisma.consent.findMany({ where: { borrowerId: long.borrowerId, clientId: 'test-client', NOT: { id: long.id } } })) {
      await s.consents.change('test-client', c.id, 'REVOKE', 'replaced by a longer consent');
    }
    const states = ['ok', 'down', 'slow', 'rate_limited', 'malformed'] as const;
    const fault = { down: { kind: 'status', status: 503 }, slow: { kind: 'timeout' }, rate_limited: { kind: 'rate_limit' }, malformed: { kind: 'malformed', mode: 'missing_fields' } } as const;
    const code = { down: 'PROVIDER_UNAVAILABLE', slow: 'PROVIDER_TIMEOUT', rate_limited: 'PROVIDER_UNAVAILABLE', malformed: 'PROVIDER_BAD_RESPONSE' } as const;
    // Budget: two sequential call levels (list, then detail) of (attempts x timeout + backoff), plus 1 s of slack.
    const budgetMs = 2 * ((RESILIENCE.retries + 1) * TIMEOUT_MS + 1000) + 1000;
    const servers = { CAIRIN: s.sandbox.cairin, FINFRA: s.sandbox.finfra, DOMPET_KILAT: s.sandbox.dompetKilat } as const;
    await s.gql(VIEW, { id, max: 0 }); // cache warm
    let cases = 0;
    let worst = 0;
    for (const c of states) {
      for (const f of states) {
        for (const d of states) {
          const combo = { CAIRIN: c, FINFRA: f, DOMPET_KILAT: d } as const;
          offsetMs += 7 * 3600_000; // every cached copy is past its lifetime: each case reads live
          for (const [p, st] of Object.entries(combo) as [keyof typeof servers, (typeof states)[number]][]) {
            s.connectors[p].client.resetResilience();
            servers[p].setFaults(st === 'ok' ? [] : [fault[st] as never]);
          }
          const started = performance.now();
          const r = await s.gql(VIEW, { id });
          const ms = performance.now() - started;
          worst = Math.max(worst, ms);
          cases++;
          expect(r.status, JSON.stringify(combo)).toBe(200);
          expect(ms, JSON.stringify(combo)).toBeLessThan(budgetMs);
          for (const [p, st] of Object.entries(combo)) {
            const part = r.data.creditView.providers.find((x: any) => x.provider === p);
            if (st === 'ok') expect(part, `${p} in ${JSON.stringify(combo)}`).toMatchObject({ health: 'OK', errorCode: null });
            else expect(part, `${p} in ${JSON.stringify(combo)}`).toMatchObject({ health: 'STALE', errorCode: code[st], freshness: { stale: true } });
          }
        }
      }
    }
    for (const srv of Object.values(servers)) srv.clearFaults();
    offsetMs = 0;
    console.log(`fault combinations: ${cases} cases run, ${cases} answered with HTTP 200 and per-provider status; worst latency ${Math.round(worst)} ms (budget ${budgetMs} ms)`);
    expect(cases).toBe(125);
  }, 240_000);
});
