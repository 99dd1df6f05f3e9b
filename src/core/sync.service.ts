/**
 * Sync jobs. BACKFILL (the nightly job) reads every consented account from its
 * provider; DUE_REFRESH reads only accounts whose cached copy is near a due
 * date or holds a pending repayment. Each account is read once and cached under
 * every ACTIVE consent that covers it, through the same cache writer as the
 * API reads (`AccountCache.refresh`: every snapshot kind each consent covers),
 * under the same consent rules (a revoked or expired consent gets nothing). Runs are checkpointed after
 * every account: a crashed run resumes where it stopped. Provider rate limits
 * are enforced by the connectors' rate gate (ResilienceOptions.ratePerSecond).
 */
import { covers, effectiveStatus } from '../domain/consent';
import { jakartaDate } from '../domain/dates';
import { type FreshnessPolicy, loanListPayload, nearDue, reviveLoanList, reviveRepayments } from '../domain/freshness';
import type { PrismaClient } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { Clock } from '../providers/connector';
import type { Connectors } from '../providers/registry';
import { snapshotHash, snapshotKey } from '../store/snapshots';
import type { AccountCache } from './account-cache';

export type SyncKind = 'BACKFILL' | 'DUE_REFRESH';

/** What a run did. */
export interface SyncSummary {
  runId: string;
  kind: SyncKind;
  resumed: boolean;
  accounts: number;
  loansFetched: number;
  loansChanged: number;
  failed: number;
  skipped: number;
  finished: boolean;
}

/** Progress callback: accounts done so far of the total for this run. */
export type SyncProgress = (done: number, total: number, summary: SyncSummary) => void;

/** Runs sync jobs. */
export class SyncService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: AccountCache,
    private readonly connectors: Connectors,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly freshness: FreshnessPolicy,
  ) {}

  /**
   * Runs (or resumes) a job.
   * @param stopAfter stop after this many accounts, leaving the run unfinished (a crash, for tests).
   */
  async run(kind: SyncKind, opts: { onProgress?: SyncProgress; stopAfter?: number } = {}): Promise<SyncSummary> {
    const open = await this.prisma.syncRun.findFirst({ where: { kind, finishedAt: null }, orderBy: { startedAt: 'desc' } });
    const run = open ?? (await this.prisma.syncRun.create({ data: { kind } }));
    const summary: SyncSummary = {
      runId: run.id,
      kind,
      resumed: open !== null,
      accounts: run.accounts,
      loansFetched: run.loansFetched,
      loansChanged: run.loansChanged,
      failed: run.failed,
      skipped: 0,
      finished: false,
    };
    const now = this.clock.now();
    const accounts = await this.prisma.providerAccount.findMany({
      where: {
        ...(run.lastAccountId ? { id: { gt: run.lastAccountId } } : {}),
        borrower: { consents: { some: { status: { in: ['ACTIVE', 'PENDING'] }, expiresAt: { gt: now } } } },
      },
      orderBy: { id: 'asc' },
      include: { borrower: { include: { consents: true } }, snapshots: true },
    });
    const total = accounts.length;
    let done = 0;
    for (const a of accounts) {
      if (opts.stopAfter !== undefined && done >= opts.stopAfter) return summary;
      const live = a.borrower.consents.filter((c) => effectiveStatus(c, this.clock.now()) === 'ACTIVE' && covers(c, a.provider, 'LOANS'));
      let wanted = live.length > 0;
      if (wanted && kind === 'DUE_REFRESH') {
        const loansSnap = a.snapshots.find((x) => x.domain === 'LOANS');
        const repaySnap = a.snapshots.find((x) => x.domain === 'REPAYMENTS');
        wanted = !loansSnap || nearDue(reviveLoanList(loansSnap.payload).loans, repaySnap ? reviveRepayments(repaySnap.payload) : null, jakartaDate(this.clock.now()), this.freshness);
      }
      if (!wanted) summary.skipped++;
      else {
        try {
          // The snapshots it holds: unchanged ones get only their fetch time written (`saveSnapshots`).
          const known = new Map(a.snapshots.map((x) => [snapshotKey(x.consentId, x.accountId, x.domain), x.contentHash]));
          const read = await this.cache.refresh(a, live, this.connectors[a.provider].openReads(), this.clock.now(), undefined, known);
          // The content hash of the LOANS snapshot AccountCache.refresh stored.
          const hash = snapshotHash(loanListPayload(read));
          summary.loansFetched += read.loans.length;
          if (!a.snapshots.some((x) => x.domain === 'LOANS' && x.contentHash === hash)) summary.loansChanged += read.loans.length;
          // One access entry per consent and domain read for it.
          const domainsRead = (['LOANS', 'REPAYMENTS', 'DISBURSEMENTS'] as const).filter((d) => d === 'LOANS' || (d === 'REPAYMENTS' ? read.repayments.rows : read.disbursements.rows));
          await this.prisma.accessLog.createMany({
            data: live.flatMap((c) =>
              domainsRead.filter((d) => covers(c, a.provider, d)).map((domain) => ({ clientId: c.clientId, borrowerId: a.borrowerId, kind: 'PROVIDER_READ', source: 'PROVIDER', provider: a.provider, domain, purpose: c.purpose, consentId: c.id, requestId: `sync:${run.id}` })),
            ),
          });
          // The loans were stored; a list that could not be read still makes the account count as failed.
          const failure = read.repayments.failure ?? read.disbursements.failure;
          if (failure) throw new Error(failure.message);
        } catch (e) {
          summary.failed++;
          this.log.warn({ runId: run.id, provider: a.provider, accountId: a.id, err: (e as Error).message }, 'sync read failed');
        }
      }
      summary.accounts++;
      done++;
      await this.prisma.syncRun.update({
        where: { id: run.id },
        data: { lastAccountId: a.id, accounts: summary.accounts, loansFetched: summary.loansFetched, loansChanged: summary.loansChanged, failed: summary.failed },
      });
      opts.onProgress?.(done, total, summary);
    }
    await this.prisma.syncRun.update({ where: { id: run.id }, data: { finishedAt: this.clock.now() } });
    summary.finished = true;
    return summary;
  }
}
