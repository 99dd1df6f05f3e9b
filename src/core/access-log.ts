/**
 * The access log's writer: entries of every request are queued in this process and written in batches
 * (every `intervalMs`, or at once when `maxRows` are waiting), each batch one multi-row INSERT in plain
 * SQL. A request no longer waits for its entries to be written.
 *
 * What a crash can lose: the entries queued in the process that crashed, at most `intervalMs` (100 ms)
 * of its reads (or `maxRows` when they come faster). A graceful shutdown (`close`, called by the app's
 * close on SIGTERM) writes everything queued first. While the database cannot be reached the entries stay
 * queued and are written when it is back (reads fail meanwhile, so few accrue); past `maxQueued` the oldest
 * are dropped, logged and counted in /metrics (`satukredit_access_log_dropped_total`).
 * Readers of the log on this instance (`flush` first) see their own instance's entries at once; another
 * instance's entries appear within `intervalMs`.
 */
import type { ConsentDomain } from '../domain/consent';
import type { ProviderCode } from '../domain/types';
import type { Logger } from '../logger';
import { accessLogBackpressure, accessLogDropped } from '../metrics';
import type { SqlExecutor } from '../store/migrate';

/** Kinds of access-log entries: a read of provider data (live or cached), or borrower data returned over GraphQL. */
export type AccessKind = 'PROVIDER_READ' | 'API_READ';

/** Where a provider read's data came from: the provider itself, or the cached copy. */
export type AccessSource = 'PROVIDER' | 'CACHE';

/** One access-log entry: who (client) read what (borrower, provider, domain), under which consent, when. */
export interface AccessEntry {
  clientId: string;
  borrowerId: string;
  kind: AccessKind;
  provider: ProviderCode | null;
  domain: ConsentDomain;
  purpose: string;
  consentId: string;
  requestId: string;
  at: Date;
  /** PROVIDER_READ only: where the data came from (null when the read ended before it was known). */
  source: AccessSource | null;
}

/** How the writer batches. */
export interface AccessLogPolicy {
  /** Longest an entry waits before its batch is written, milliseconds (100). */
  readonly intervalMs: number;
  /** Rows per INSERT; a batch this large is written at once (2000). */
  readonly maxRows: number;
  /** Entries kept while the database cannot be reached; past this the oldest are dropped (100000). */
  readonly maxQueued: number;
  /**
   * Entries queued above which, while the database takes writes, a request's entries wait for the writer before
   * its response is sent (10000): reads are slowed to what the database can log, never logged by dropping.
   */
  readonly highWaterRows: number;
}

/** The defaults: 100 ms, 2000 rows, 100000 queued, responses wait above 10000 queued. */
export const DEFAULT_ACCESS_LOG_POLICY: AccessLogPolicy = { intervalMs: 100, maxRows: 2000, maxQueued: 100_000, highWaterRows: 10000 };

/** Queues access-log entries and writes them in batches. */
export class AccessLogWriter {
  private queue: AccessEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** A write is queued or running: one `writeAll` loop drains everything, later adds need not chain another. */
  private draining = false;
  /** The last write failed (the database cannot be reached): entries queue (up to `maxQueued`), nobody waits. */
  private failing = false;
  /** Requests waiting for the queue to fall back to `maxRows` (backpressure). */
  private waiters: (() => void)[] = [];

  constructor(
    private readonly sql: SqlExecutor,
    private readonly log: Logger,
    readonly policy: AccessLogPolicy = DEFAULT_ACCESS_LOG_POLICY,
  ) {}

  /**
   * Queues entries; they are written within `intervalMs` (at once past `maxRows`).
   * @returns a promise when more than `highWaterRows` are queued while the database takes writes: the caller
   *   (the response about to be sent) waits until the writer has brought the queue back to `maxRows`, so a load
   *   the database cannot log is slowed down instead of losing entries. Nothing to wait for otherwise.
   */
  add(entries: readonly AccessEntry[]): void | Promise<void> {
    if (!entries.length) return;
    this.queue.push(...entries);
    if (this.queue.length > this.policy.maxQueued) {
      const dropped = this.queue.length - this.policy.maxQueued;
      this.queue.splice(0, dropped);
      accessLogDropped.inc(dropped);
      this.log.error({ dropped }, 'access log queue full: oldest entries dropped');
    }
    if (this.queue.length >= this.policy.maxRows) {
      if (!this.draining) void this.flush().catch(() => undefined);
    } else this.schedule();
    if (this.failing || this.closed || this.queue.length <= this.policy.highWaterRows) return;
    accessLogBackpressure.inc();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Entries queued and responses waiting for the writer now (diagnostics, tests). */
  stats(): { queued: number; waiting: number } {
    return { queued: this.queue.length, waiting: this.waiters.length };
  }

  /** Lets the waiting requests go (the queue is back to `maxRows`, or the database cannot take writes). */
  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => undefined);
    }, this.policy.intervalMs);
    this.timer.unref();
  }

  /**
   * Writes everything queued now (after a write in progress), in INSERTs of `maxRows`.
   * @throws the database's error (the unwritten entries stay queued and are retried after `intervalMs`).
   */
  flush(): Promise<void> {
    this.draining = true;
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => this.writeAll())
      .finally(() => {
        this.draining = false;
      });
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.policy.maxRows);
      try {
        await this.insert(batch);
        this.failing = false;
      } catch (e) {
        this.queue.unshift(...batch);
        this.failing = true;
        this.release();
        this.log.warn({ queued: this.queue.length, err: (e as Error).message }, 'access log not written yet; retrying');
        this.schedule();
        throw e;
      }
      if (this.queue.length <= this.policy.maxRows) this.release();
    }
    this.release();
  }

  /**
   * One multi-row INSERT. The rows travel as one JSON text: serialising them is one native JSON.stringify, where
   * eleven array parameters cost pg's per-element escaping and string building (about 1 MB of garbage per 600
   * rows in the `borrowers(first: 50)` profile). Consecutive entries of one request and borrower share everything
   * but provider, domain, consent and source, so they travel as one group whose four arrays the database unnests
   * back into one row per entry: the database parses about a third of the JSON it would parse for one object
   * per row, which halved the embedded database's CPU per access-log row (PGlite parses JSON in WebAssembly and
   * was the bottleneck of the warm credit view there). Ids are the table's identity, in insertion order (a random
   * UUID per row cost the embedded database another fifth of its CPU per row).
   */
  private async insert(rows: readonly AccessEntry[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO "AccessLog" ("at", "clientId", "borrowerId", "kind", "provider", "domain", "purpose", "consentId", "requestId", "source")
       SELECT g.at, g."clientId", g."borrowerId", g.kind, e.provider::"Provider", e.domain::"ConsentDomain", g.purpose, e."consentId", g."requestId", e.source
       FROM json_to_recordset($1::json)
         AS g(at timestamptz, "clientId" text, "borrowerId" uuid, kind text, purpose text, "requestId" text, p text[], d text[], c uuid[], s text[])
       CROSS JOIN LATERAL unnest(g.p, g.d, g.c, g.s) AS e(provider, domain, "consentId", source)`,
      [JSON.stringify(groupEntries(rows))],
    );
  }

  /** Writes everything queued and stops the timer (graceful shutdown); a failure is logged with the count lost. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.flush();
    } catch (e) {
      this.log.error({ lost: this.queue.length, err: (e as Error).message }, 'access log entries could not be written at shutdown');
    }
  }
}

/** Entries sharing request, borrower, client, kind, purpose and time, with their per-entry fields as parallel arrays. */
interface EntryGroup {
  at: Date;
  clientId: string;
  borrowerId: string;
  kind: AccessKind;
  purpose: string;
  requestId: string;
  /** Provider, domain, consent id and source of each entry, index by index. */
  p: (ProviderCode | null)[];
  d: ConsentDomain[];
  c: string[];
  s: (AccessSource | null)[];
}

/**
 * Groups runs of consecutive entries that differ only in provider, domain, consent and source (the entries one
 * request writes for one borrower are queued together); every entry stays one element of its group's arrays.
 */
export function groupEntries(rows: readonly AccessEntry[]): EntryGroup[] {
  const groups: EntryGroup[] = [];
  let g: EntryGroup | undefined;
  for (const r of rows) {
    if (
      !g ||
      g.requestId !== r.requestId ||
      g.borrowerId !== r.borrowerId ||
      g.clientId !== r.clientId ||
      g.kind !== r.kind ||
      g.purpose !== r.purpose ||
      g.at.getTime() !== r.at.getTime()
    ) {
      g = { at: r.at, clientId: r.clientId, borrowerId: r.borrowerId, kind: r.kind, purpose: r.purpose, requestId: r.requestId, p: [], d: [], c: [], s: [] };
      groups.push(g);
    }
    g.p.push(r.provider);
    g.d.push(r.domain);
    g.c.push(r.consentId);
    g.s.push(r.source);
  }
  return groups;
}
