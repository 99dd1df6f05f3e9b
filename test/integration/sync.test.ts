/** Sync jobs over real HTTP against the sandbox and a real database. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRESHNESS } from '../../src/domain/freshness';
import { createLogger } from '../../src/logger';
import { DompetKilatClient } from '../../src/providers/dompetkilat/client';
import { startScheduler } from '../../src/sync/scheduler';
import { SyncService } from '../../src/sync/sync.service';
import { startStack, type Stack } from '../support/stack';

const clock = { now: () => new Date() };
const log = createLogger('silent', false);
let s: Stack;
beforeAll(async () => {
  s = await startStack({ seed: 51, borrowers: 12, clock });
});
afterAll(async () => {
  await s?.close();
});
const service = () => new SyncService(s.db.prisma, s.connectors, clock, log, DEFAULT_FRESHNESS);

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
    expect(r.accounts).toBe(total - c.borrower.accounts.length);
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

describe('provider rate limit', () => {
  it('keeps calls to a provider within its configured rate', async () => {
    const c = new DompetKilatClient({ baseUrl: s.sandbox.urls.dompetKilat, timeoutMs: 2000, resilience: { ratePerSecond: 5 } });
    const started = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => c.getBorrower('362638287638783')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900); // 12 calls at 5 per second need three windows
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('on a PostgreSQL server', () => {
  it('runs `satukredit sync` as a separate process, with plain progress lines and a summary', async () => {
    const url = s.db.url;
    expect(url, 'the test database URL').toBeTruthy();
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/satukredit.mjs', 'sync'], {
      env: {
        ...process.env,
        DATABASE_URL: url,
        CAIRIN_BASE_URL: s.sandbox.urls.cairin,
        FINFRA_BASE_URL: s.sandbox.urls.finfra,
        DOMPETKILAT_BASE_URL: s.sandbox.urls.dompetKilat,
        FINFRA_CLIENT_ID: s.sandbox.finfraClient.clientId,
        FINFRA_CLIENT_SECRET: s.sandbox.finfraClient.clientSecret,
        LOG_LEVEL: 'error',
      },
    });
    expect(stdout).toMatch(/BACKFILL: \d+\/\d+ accounts/);
    expect(stdout).toMatch(/BACKFILL finished: \d+ accounts, \d+ loans fetched, \d+ changed, 0 failed/);
  });

  it('runs a job once however many instances trigger it', async () => {
    const url = s.db.url!;
    const before = await s.db.prisma.syncRun.count({ where: { kind: 'DUE_REFRESH' } });
    const a = await startScheduler({ databaseUrl: url }, service(), log);
    const b = await startScheduler({ databaseUrl: url }, service(), log);
    try {
      await Promise.all([a.trigger('DUE_REFRESH'), b.trigger('DUE_REFRESH'), a.trigger('DUE_REFRESH')]);
      for (let i = 0; i < 60; i++) {
        const runs = await s.db.prisma.syncRun.findMany({ where: { kind: 'DUE_REFRESH' } });
        if (runs.length > before && runs.every((r) => r.finishedAt)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 2000)); // a duplicate would have started by now
      expect(await s.db.prisma.syncRun.count({ where: { kind: 'DUE_REFRESH' } })).toBe(before + 1);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);
});
