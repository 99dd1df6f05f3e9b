/** Sync jobs over real HTTP against the sandbox and a real database. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, startScheduler, toGlobalId } from '../../src/app';
import { DompetKilatClient } from '../../src/providers/dompetkilat';
import { TEST_START, TestClock, until } from '../support/clock';
import { openTestDatabase, startStack, type Stack } from '../support/stack';

const clock = new TestClock(TEST_START);
const log = createLogger('silent', false);
let s: Stack;
beforeAll(async () => {
  s = await startStack({ seed: 51, borrowers: 12, clock });
});
afterAll(async () => {
  await s?.close();
});
const service = () => s.app.core.sync;

describe('backfill', () => {
  it('reads every consented account once, caches it under each consent, and a second run changes nothing', async () => {
    const accounts = await s.db.prisma.providerAccount.count();
    s.sandbox.resetStats();
    const progress: number[] = [];
    const first = await service().run('BACKFILL', { onProgress: (done) => progress.push(done) });
    expect(first).toMatchObject({ finished: true, resumed: false, accounts, failed: 0 });
    expect(first.loansFetched).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(accounts);
    expect(s.sandbox.stats().total).toBeGreaterThan(0);
    const consents = await s.db.prisma.consent.count({ where: { status: 'ACTIVE' } });
    expect(await s.db.prisma.providerSnapshot.count({ where: { domain: 'LOANS' } })).toBe(accounts);
    expect(consents).toBe(12);
    const second = await service().run('BACKFILL');
    expect(second).toMatchObject({ finished: true, loansChanged: 0, failed: 0 });
    expect(second.runId).not.toBe(first.runId);
  });

  it('leaves out borrowers whose consent ended, making no call for them', async () => {
    const c = await s.db.prisma.consent.findFirstOrThrow({ where: { status: 'ACTIVE' }, include: { borrower: { include: { accounts: true } } } });
    await s.consents.change(c.clientId, c.id, 'REVOKE');
    const total = await s.db.prisma.providerAccount.count();
    const r = await service().run('BACKFILL');
    expect(r.accounts).toBe(total - c.borrower!.accounts.length);
    expect(await s.db.prisma.providerSnapshot.count({ where: { consentId: c.id } })).toBe(0);
  });

  it('resumes an interrupted run where it stopped', async () => {
    const partial = await service().run('BACKFILL', { stopAfter: 3 });
    expect(partial).toMatchObject({ finished: false, accounts: 3 });
    const row = await s.db.prisma.syncRun.findUniqueOrThrow({ where: { id: partial.runId } });
    expect(row.finishedAt).toBeNull();
    expect(row.lastAccountId).not.toBeNull();
    const rest = await service().run('BACKFILL');
    expect(rest).toMatchObject({ runId: partial.runId, resumed: true, finished: true });
    const all = await s.db.prisma.providerAccount.count({ where: { borrower: { consents: { some: { status: 'ACTIVE' } } } } });
    expect(rest.accounts).toBe(all);
  });

  it('refreshes only accounts near a due date or with a pending repayment', async () => {
    const r = await service().run('DUE_REFRESH');
    expect(r.finished).toBe(true);
    expect(r.skipped).toBeGreaterThan(0);
    expect(r.accounts - r.skipped).toBeGreaterThan(0);
  });
});

describe('after a backfill', () => {
  // The credit view the aggregator example selects, per consent shape: the demo aggregator consents to every
  // domain, the demo refinancer to loans, schedules and identity only (src/cli.ts seeds both).
  const SHAPES = [
    { client: 'demo-aggregator', domains: undefined, loanFields: 'installments { seq status } repayments { transactionId } disbursements { amount { amount } }' },
    { client: 'demo-refinancer', domains: ['LOANS', 'INSTALLMENTS', 'IDENTITY'] as const, loanFields: 'installments { seq status }' },
  ];
  const view = (loanFields: string) => `query($id: ID!) { creditView(borrowerId: $id) { complete totalOutstanding { amount }
    nextInstallmentDue { installment { dueDate } } providers { provider health freshness { source stale } }
    loans { provider providerLoanId status outstanding { total { amount } } daysPastDue freshness { source stale } ${loanFields} } } }`;

  it('serves the credit view of every demo consent shape from the cache: no provider call, source CACHE', async () => {
    const t = await startStack({ seed: 53, borrowers: 8, link: false, clock: new TestClock(TEST_START) });
    try {
      const ids: string[] = [];
      for (let i = 0; i < t.requests.length; i++) {
        for (const shape of SHAPES) ids[i] = (await t.grant(i, shape.client, { domains: shape.domains ? [...shape.domains] : undefined })).borrowerId;
      }
      const summary = await t.app.core.sync.run('BACKFILL');
      expect(summary).toMatchObject({ finished: true, failed: 0 });
      t.sandbox.resetStats();
      const sources: string[] = [];
      for (const shape of SHAPES) {
        for (const id of ids) {
          const r = await t.gql(view(shape.loanFields), { id: toGlobalId('Borrower', id) }, t.token(shape.client, ['credit:read', 'payoff:read']));
          expect(r.errors, `${shape.client}: ${JSON.stringify(r.errors)}`).toBeUndefined();
          expect(r.data.creditView.complete).toBe(true);
          for (const p of r.data.creditView.providers) sources.push(`${p.health}/${p.freshness.source}`);
          for (const l of r.data.creditView.loans) sources.push(`OK/${l.freshness.source}`);
        }
      }
      expect(sources.length).toBeGreaterThan(ids.length * SHAPES.length);
      expect(new Set(sources)).toEqual(new Set(['OK/CACHE']));
      expect(t.sandbox.stats().total).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe('provider rate limit', () => {
  it('keeps calls to a provider within its configured rate', async () => {
    // The limiter (p-throttle) reads Date and waits with setTimeout: fake exactly those and move time by hand,
    // so each one-second window opens when the test says, not when the machine gets round to it.
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: TEST_START, shouldClearNativeTimers: true });
    try {
      const c = new DompetKilatClient({ baseUrl: s.sandbox.urls.dompetKilat, timeoutMs: 2000, resilience: { ratePerSecond: 5 } });
      s.sandbox.resetStats();
      const reached = () => s.sandbox.dompetKilat.stats().byEndpoint['GET /v1/borrower/:idNumber'] ?? 0;
      let answered = 0;
      const all = Promise.all(
        Array.from({ length: 12 }, () =>
          c.getBorrower('362638287638783').then((r) => {
            answered++;
            return r;
          }),
        ),
      );
      await until(() => answered >= 5, 'the first window answered');
      expect(reached()).toBe(5); // the other seven wait: no time has passed
      await vi.advanceTimersByTimeAsync(999);
      expect(reached()).toBe(5); // still inside the first second
      await vi.advanceTimersByTimeAsync(1);
      await until(() => answered >= 10, 'the second window answered');
      expect(reached()).toBe(10);
      await vi.advanceTimersByTimeAsync(1000);
      const answers = await all;
      expect(reached()).toBe(12); // 12 calls at 5 per second took three windows
      expect(answers.map((a) => a?.fullName)).toEqual(Array(12).fill('John'));
    } finally {
      vi.useRealTimers();
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('on a PostgreSQL server', () => {
  it('runs `satukredit sync` as a separate process, with plain progress lines and a summary', async () => {
    // The CLI is another process, on the system clock, and no clock can be injected into it. So this test's own
    // stack starts its clock at the system time (once; nothing asserted depends on it): the consents, sessions
    // and tokens it sets up are then current for the CLI as well.
    const cli = await startStack({ seed: 51, borrowers: 12, clock: new TestClock(new Date()) });
    try {
      const url = cli.db.url;
      expect(url, 'the test database URL').toBeTruthy();
      const { stdout } = await promisify(execFile)(process.execPath, ['bin/satukredit.mjs', 'sync'], {
        env: {
          ...process.env,
          DATABASE_URL: url,
          CAIRIN_BASE_URL: cli.sandbox.urls.cairin,
          FINFRA_BASE_URL: cli.sandbox.urls.finfra,
          DOMPETKILAT_BASE_URL: cli.sandbox.urls.dompetKilat,
          FINFRA_CLIENT_ID: cli.sandbox.finfraClient.clientId,
          FINFRA_CLIENT_SECRET: cli.sandbox.finfraClient.clientSecret,
          LOG_LEVEL: 'error',
        },
      });
      expect(stdout).toMatch(/BACKFILL: \d+\/\d+ accounts/);
      expect(stdout).toMatch(/BACKFILL finished: \d+ accounts, \d+ loans fetched, \d+ changed, 0 failed/);
    } finally {
      await cli.close();
    }
  }, 60_000);

  it('runs a job once however many instances trigger it', async () => {
    const url = s.db.url!;
    const before = await s.db.prisma.syncRun.count({ where: { kind: 'DUE_REFRESH' } });
    // pg-boss's cron reads the real clock; schedule both jobs 12 hours away from it so no cron tick adds a run.
    const far = new Date(Date.now() + 12 * 3600_000);
    const never = `${far.getUTCMinutes()} ${(far.getUTCHours() + 7) % 24} * * *`; // daily, Asia/Jakarta
    const schedule = { backfill: never, dueRefresh: never };
    const a = await startScheduler({ databaseUrl: url }, service(), log, schedule);
    const b = await startScheduler({ databaseUrl: url }, service(), log, schedule);
    /** pg-boss throttles per 60-second slot of the database clock: the slot the triggers fell in. */
    const slot = async () => Number((await s.db.sql.query<{ m: string }>('SELECT floor(extract(epoch FROM now()) / 60)::bigint AS m'))[0]!.m);
    type Job = { state: string; singleton_on: Date | null };
    const jobs = () => s.db.sql.query<Job>(`SELECT state, singleton_on FROM pgboss.job WHERE name = 'sync-due-refresh'`);
    try {
      const first = await slot();
      await Promise.all([a.trigger('DUE_REFRESH'), b.trigger('DUE_REFRESH'), a.trigger('DUE_REFRESH')]);
      const slots = (await slot()) - first + 1;
      // Every job that can ever run is in the queue now: wait until they have all run.
      const queued = await until(
        async () => {
          const js = await jobs();
          const runs = await s.db.prisma.syncRun.findMany({ where: { kind: 'DUE_REFRESH' } });
          return js.length > 0 && js.every((j) => j.state === 'completed') && runs.length > before && runs.every((r) => r.finishedAt) && js;
        },
        'the triggered job completed',
        { tries: 200, everyMs: 250 },
      );
      // Three triggers from two instances made one job (one per slot, should the triggers straddle a minute), and it ran once.
      if (slots === 1) expect(queued).toHaveLength(1);
      else expect(queued.length).toBeLessThanOrEqual(slots);
      expect(new Set(queued.map((j) => String(j.singleton_on))).size).toBe(queued.length);
      expect(await s.db.prisma.syncRun.count({ where: { kind: 'DUE_REFRESH' } })).toBe(before + queued.length);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);

  it('starts three instances together on an empty database, with queues whose jobs expire in minutes and coalesce', async () => {
    const fresh = await openTestDatabase();
    const far = new Date(Date.now() + 12 * 3600_000);
    const never = `${far.getUTCMinutes()} ${(far.getUTCHours() + 7) % 24} * * *`;
    const started = await Promise.allSettled([0, 1, 2].map(() => startScheduler({ databaseUrl: fresh.url! }, service(), log, { backfill: never, dueRefresh: never })));
    try {
      expect(started.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const queues = await fresh.sql.query<{ name: string; policy: string; expire_seconds: number; retry_limit: number }>(
        `SELECT name, policy, expire_seconds, retry_limit FROM pgboss.queue WHERE name LIKE 'sync-%' ORDER BY name`,
      );
      expect(queues).toEqual([
        { name: 'sync-backfill', policy: 'stately', expire_seconds: 3600, retry_limit: 3 },
        { name: 'sync-due-refresh', policy: 'stately', expire_seconds: 300, retry_limit: 3 },
      ]);
    } finally {
      for (const r of started) if (r.status === 'fulfilled') await r.value.stop();
      await fresh.close();
    }
  }, 60_000);
});
