/**
 * Runs the sync jobs on a schedule (cron, Asia/Jakarta). On a PostgreSQL
 * server the jobs go through pg-boss: its cron creates one job per tick and
 * `stately` queues keep at most one job queued and one active per kind, so
 * one instance works it however many API instances run, and ticks missed
 * while a run is going coalesce into one. Each job expires after a time that
 * fits it (a due-date refresh 5 minutes, a backfill 1 hour), so a job whose
 * worker died is retried promptly (3 retries, backoff from 10 s). Queue setup
 * runs under a PostgreSQL advisory lock, so instances starting together never
 * deadlock creating queues. On the embedded database (one process by
 * construction) croner runs them in-process, never overlapping itself.
 */
import { Cron } from 'croner';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Logger } from '../logger';
import type { SyncKind, SyncService } from './sync.service';

/** Cron expressions of the two jobs (configuration). */
export interface SyncSchedule {
  /** Nightly backfill; default 02:00 WIB. */
  backfill: string;
  /** Due-date refresh; default every 15 minutes. */
  dueRefresh: string;
}

export const DEFAULT_SCHEDULE: SyncSchedule = { backfill: '0 2 * * *', dueRefresh: '*/15 * * * *' };

const QUEUE: Record<SyncKind, string> = { BACKFILL: 'sync-backfill', DUE_REFRESH: 'sync-due-refresh' };

/** Each queue's job policy: how long a job may run before it counts as failed (and is retried). */
export const QUEUE_OPTIONS: Record<SyncKind, Omit<PgBoss.Queue, 'name'>> = {
  BACKFILL: { policy: 'stately', expireInSeconds: 3600, retryLimit: 3, retryDelay: 10, retryBackoff: true },
  DUE_REFRESH: { policy: 'stately', expireInSeconds: 300, retryLimit: 3, retryDelay: 10, retryBackoff: true },
};

/** The advisory lock key under which instances set up the job queues one at a time. */
const SETUP_LOCK = 'satukredit:scheduler-setup';

/** A running scheduler. */
export interface Scheduler {
  /** Queues a run of `kind` now (one per minute across instances on a server); resolves when queued. */
  trigger(kind: SyncKind): Promise<void>;
  stop(): Promise<void>;
}

async function runLogged(sync: SyncService, kind: SyncKind, log: Logger): Promise<void> {
  const s = await sync.run(kind);
  log.info({ job: kind, runId: s.runId, resumed: s.resumed, accounts: s.accounts, loansFetched: s.loansFetched, loansChanged: s.loansChanged, failed: s.failed }, 'sync finished');
}

/** Starts the scheduler for the database kind in use. */
export async function startScheduler(target: { databaseUrl: string } | { embedded: true }, sync: SyncService, log: Logger, schedule: SyncSchedule = DEFAULT_SCHEDULE): Promise<Scheduler> {
  if ('embedded' in target) {
    const jobs = (Object.keys(QUEUE) as SyncKind[]).map(
      (kind) => new Cron(kind === 'BACKFILL' ? schedule.backfill : schedule.dueRefresh, { timezone: 'Asia/Jakarta', protect: true }, () => runLogged(sync, kind, log)),
    );
    return {
      async trigger(kind) {
        await runLogged(sync, kind, log);
      },
      async stop() {
        for (const j of jobs) j.stop();
      },
    };
  }
  const boss = new PgBoss({ connectionString: target.databaseUrl });
  boss.on('error', (e: Error) => log.error({ err: e.message }, 'job queue error'));
  const lock = new pg.Client({ connectionString: target.databaseUrl, application_name: 'satukredit-scheduler-setup' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [SETUP_LOCK]);
    await boss.start();
    for (const kind of Object.keys(QUEUE) as SyncKind[]) {
      const name = QUEUE[kind];
      await boss.createQueue(name, { name, ...QUEUE_OPTIONS[kind] });
      // A queue made by an earlier version keeps its old options unless updated.
      await boss.updateQueue(name, { name, ...QUEUE_OPTIONS[kind] });
      await boss.schedule(name, kind === 'BACKFILL' ? schedule.backfill : schedule.dueRefresh, {}, { tz: 'Asia/Jakarta' });
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [SETUP_LOCK]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
  for (const kind of Object.keys(QUEUE) as SyncKind[]) await boss.work(QUEUE[kind], async () => runLogged(sync, kind, log));
  return {
    async trigger(kind) {
      // One job per kind per minute, whichever instance asks (pg-boss throttling): the cron's tick semantics.
      await boss.send(QUEUE[kind], {}, { singletonKey: kind, singletonSeconds: 60 });
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true });
    },
  };
}
