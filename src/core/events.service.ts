/**
 * Idempotent event intake and application by any instance, exactly once.
 *
 * Intake: an event is stored with its idempotency key (unique per source) in one statement before it is
 * acknowledged (`INSERT ... ON CONFLICT DO NOTHING`); a second copy (a replay, or two copies at once on any
 * instances) inserts nothing and is recognized as a duplicate.
 *
 * Application: stored events are claimed with a lease by whichever instance is free
 * (`SELECT ... FOR UPDATE SKIP LOCKED` on unapplied rows, chosen over pg-boss jobs because the row
 * itself is the queue: no second record to keep consistent with it, and an event stored by an instance
 * that dies before enqueueing anything is still found). A claim takes up to `batch` events with their
 * payloads, split by loan into `concurrency` groups applied at once on the applier's own
 * connections (`Database.work`). A group's ledger writes, the events' "applied" marks, the stamp on cached
 * loan lists and one change notification per (event, loan) commit in one transaction that takes the
 * per-loan advisory locks first (sorted, so groups cannot deadlock), then marks applied only the events
 * still unapplied, so an event is applied once even when a lease lapses mid-flight, and conflicting events
 * for one loan (in one group, two groups or on two instances) end in the same state as applied one by one.
 * A failed group is tried again event by event, so a bad event fails alone. The applying transactions
 * commit without waiting for the WAL flush: a PostgreSQL crash can undo only whole applications, whose
 * events are then unapplied again and applied anew (their subscribers may get a change pushed twice). Intake commits
 * synchronously: an acknowledged event is durable. Intake and application are plain SQL (no ORM on the
 * hot path). A lease lapses after `leaseSeconds`, so
 * the events of an instance that died are claimed by the others without a restart. A failed try waits
 * with exponential backoff; after `maxAttempts` the event is dead-lettered, counted in /metrics, listed
 * for operators and replayable. Operational times (leases, backoff) are database time; business times
 * (appliedAt) come from the application's clock. The embedded database runs the same code in one process.
 */
import { type Invalidation, loanTag } from './response-cache';
import { randomUUID } from 'node:crypto';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { LedgerEvent } from '../domain/events';
import type { Prisma, PrismaClient, WebhookEvent } from '../generated/prisma/client';
import type { SqlStore } from '../store/database';
import type { Logger } from '../logger';
import { webhookBacklog, webhookDeadLetters } from '../metrics';
import { contentHash } from '../providers/callback-util';
import type { Clock } from '../providers/connector';
import { callbackSource } from '../providers/registry';
import { TRACER_NAME } from '../tracing';
import { isDatabaseUnavailable } from '../store/database';
import { groupable, lockKeys, lockLedger, stampSnapshots, writeLedger, type TouchedLoan } from './ledger-apply';
import type { LedgerChange, Publisher } from './publisher';
import type { ClientWebhooks } from './client-webhooks';
import { keysetPage, type Page, type PageWindow } from './paging';
import { PollLoop } from './poll-loop';

export { contentHash };

/** Outcome of storing an event: its id, and for a duplicate the payload stored first. */
export type StoreResult = { id: string; duplicate: false } | { id: string; duplicate: true; storedPayload: unknown };

/** An event to store: its source (provider code or `SNAP_<BANK>`), wire kind, idempotency key (unique per source) and minimized payload. */
export interface IncomingEvent {
  source: string;
  kind: string;
  idempotencyKey: string;
  payload: object;
}

/** How events are claimed and retried. */
export interface EventPolicy {
  /** How long a claim holds, seconds (5): an instance that dies loses its claims after this. */
  readonly leaseSeconds: number;
  /** How often an idle instance looks for claimable events, milliseconds (500). */
  readonly pollMs: number;
  /**
   * How long a newly stored event waits for others before this instance claims, milliseconds (5): events
   * arriving together are claimed and applied in one group instead of one claim each.
   */
  readonly coalesceMs: number;
  /** Events claimed at once (64). */
  readonly batch: number;
  /**
   * Transactions one instance applies a claim in, at once (2): the claimed events are split in this many
   * groups (all events of one loan in the same group, in order of arrival), each applied in one transaction.
   */
  readonly concurrency: number;
  /** Tries before an event is dead-lettered (6). */
  readonly maxAttempts: number;
  /** Backoff after the first failed try, seconds (0.5); doubled per try up to `maxBackoffSeconds` (8). */
  readonly backoffSeconds: number;
  readonly maxBackoffSeconds: number;
}

/** The defaults: 5 s leases, a 500 ms poll, 5 ms to gather new events, 64 claimed and applied in 2 transactions, 6 tries with 0.5, 1, 2, 4, 8 s between them. */
export const DEFAULT_EVENT_POLICY: EventPolicy = { leaseSeconds: 5, pollMs: 500, coalesceMs: 5, batch: 64, concurrency: 2, maxAttempts: 6, backoffSeconds: 0.5, maxBackoffSeconds: 8 };

/** A claimed event: what applying it needs (the claim returns it, so no read per event). */
interface ClaimedEvent {
  id: string;
  source: string;
  kind: string;
  payload: unknown;
  /** Tries so far, this claim included. */
  attempts: number;
  receivedAt: Date;
}

/** A stable index in [0, n) for a string (FNV-1a). */
function hashIndex(s: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}

/** A claimed event read into ledger events, with the span of its application. */
interface ParsedEvent {
  ev: ClaimedEvent;
  kind: string;
  events: LedgerEvent[];
  outcome: 'APPLIED' | 'RECORDED';
  span: Span;
}

/** An event's state as operators see it. */
export type EventStatus = 'PENDING' | 'APPLIED' | 'DEAD';

/** The stored events of a status (all when null). */
function statusFilter(status: EventStatus | null): Prisma.WebhookEventWhereInput {
  return status === 'DEAD' ? { deadAt: { not: null } } : status === 'APPLIED' ? { appliedAt: { not: null } } : status === 'PENDING' ? { appliedAt: null, deadAt: null } : {};
}

/** Stores events and applies them to the ledger, claiming them with a lease. */
export class EventApplier {
  /** This instance's lease holder name. */
  readonly instanceId = `instance-${randomUUID()}`;
  /** Claims and applies stored events: now, `coalesceMs` after a store, and every `pollMs`. */
  private readonly loop: PollLoop;
  private soon: NodeJS.Timeout | null = null;

  /**
   * @param sql where events are stored (the request path's connections)
   * @param work where they are applied (the applier's own connections)
   */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlStore,
    private readonly work: SqlStore,
    private readonly publisher: Publisher,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly policy: EventPolicy = DEFAULT_EVENT_POLICY,
    /** The response cache's invalidation: this instance drops stored answers of the loans it applied to at once, others on the change's arrival. */
    private readonly invalidation?: Invalidation,
    /** Client webhooks: their outbox rows are written in the applying transaction (src/core/client-webhooks.ts). */
    private readonly webhooks?: ClientWebhooks,
  ) {
    this.loop = new PollLoop(() => this.runOnce(), policy.pollMs, (e) => this.log.error({ err: e.message }, 'webhook event pass failed'));
  }

  /**
   * Stores an event under (source, idempotencyKey); a new one is applied soon by whichever instance claims it
   * (this one is woken at once).
   * @returns duplicate=true (with the payload stored first) when the key was already stored.
   * @throws when the database cannot store it (the caller answers 503 so the sender retries).
   */
  async store(e: IncomingEvent): Promise<StoreResult> {
    // INSERT ... ON CONFLICT DO NOTHING: a duplicate is an empty answer, not a failed statement (which would cost the connection).
    const id = randomUUID();
    const rows = await this.sql.query<{ id: string }>(
      `INSERT INTO "WebhookEvent" ("id", "source", "kind", "idempotencyKey", "payload") VALUES ($1::uuid, $2, $3, $4, $5::jsonb)
       ON CONFLICT ("source", "idempotencyKey") DO NOTHING RETURNING "id"`,
      [id, e.source, e.kind, e.idempotencyKey, JSON.stringify(e.payload)],
    );
    if (rows.length) {
      this.wakeSoon();
      return { id, duplicate: false };
    }
    const [prior] = await this.sql.query<{ id: string; payload: unknown }>(`SELECT "id", "payload" FROM "WebhookEvent" WHERE "source" = $1 AND "idempotencyKey" = $2`, [e.source, e.idempotencyKey]);
    if (!prior) throw new Error(`webhook event ${e.source}/${e.idempotencyKey} neither stored nor found`);
    return { id: prior.id, duplicate: true, storedPayload: prior.payload };
  }

  /** Starts claiming and applying events: now, `coalesceMs` after a store, and every `pollMs`. */
  start(): void {
    this.loop.start();
  }

  /** Stops claiming (a pass in progress finishes; its unfinished claims lapse to the other instances). */
  async stop(): Promise<void> {
    if (this.soon) clearTimeout(this.soon);
    this.soon = null;
    await this.loop.stop();
  }

  /** Runs a pass `coalesceMs` from now, so that events stored meanwhile are claimed with this one. */
  private wakeSoon(): void {
    if (!this.loop.active || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.wake();
    }, this.policy.coalesceMs);
  }

  /** Runs a claim-and-apply pass now (coalesced with one in progress). */
  private wake(): void {
    this.loop.wake();
  }

  /**
   * Claims up to `batch` claimable events (unapplied, not dead, available, lease free or lapsed) and applies them.
   * @returns how many were claimed.
   */
  async runOnce(): Promise<number> {
    const claimed = (await this.claim()).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id.localeCompare(b.id));
    const groups: ParsedEvent[][] = [];
    const alone: ParsedEvent[] = [];
    const together: ParsedEvent[] = [];
    for (const ev of claimed) {
      // One `webhook.apply` span per event, a trace of its own whoever woke the worker.
      const span = trace.getTracer(TRACER_NAME).startSpan('webhook.apply', { root: true, attributes: { 'satukredit.event.id': ev.id, 'satukredit.event.source': ev.source, 'satukredit.event.kind': ev.kind, 'satukredit.event.attempt': ev.attempts } });
      let parsed: { kind: string; events: LedgerEvent[] };
      try {
        parsed = callbackSource(ev.source).ledgerEvents(ev);
      } catch (e) {
        await this.failed({ ev, span }, e as Error);
        continue;
      }
      const p: ParsedEvent = { ev, kind: parsed.kind, events: parsed.events, outcome: parsed.events.some((e) => e.type !== 'LOAN_NOTICE') ? 'APPLIED' : 'RECORDED', span };
      (groupable(p.events) ? together : alone).push(p);
    }
    // Events of one loan go to the same group (by a hash of its lock key), so this instance's groups do not wait on each other.
    const n = Math.max(1, this.policy.concurrency);
    const byKey = Array.from({ length: n }, () => [] as ParsedEvent[]);
    for (const p of together) {
      const key = lockKeys(p.events).sort()[0];
      byKey[key === undefined ? 0 : hashIndex(key, n)]!.push(p);
    }
    for (const g of byKey) if (g.length) groups.push(g);
    for (const p of alone) groups.push([p]);
    // `concurrency` transactions at once, taking the groups in order.
    let next = 0;
    const worker = async () => {
      for (let g = groups[next++]; g; g = groups[next++]) await this.applyGroup(g);
    };
    await Promise.all(Array.from({ length: Math.min(this.policy.concurrency, groups.length) }, worker));
    return claimed.length;
  }

  /**
   * Applies a group of claimed events in one transaction: the advisory locks of all their loans (sorted),
   * then the "applied" mark of those nobody applied meanwhile, their ledger writes, the stamp on cached loan
   * lists and one change notification per (event, loan). When the transaction fails, each event of a larger
   * group is tried again alone, so that one bad event fails only itself; a lone event's failure is recorded
   * (backoff or dead letter).
   */
  private async applyGroup(group: ParsedEvent[]): Promise<void> {
    const at = this.clock.now();
    const within = this.publisher.publishWithin?.bind(this.publisher);
    let applied: { p: ParsedEvent; loans: TouchedLoan[] }[];
    let outbox = 0;
    try {
      applied = await this.work.transaction(
        async (tx) => {
          await lockLedger(tx, group.flatMap((p) => p.events));
          // Mark applied only the events nobody applied meanwhile (a lapsed lease taken over); their rows stay locked until commit.
          const mine = new Set(
            (
              await tx.query<{ id: string }>(
                `UPDATE "WebhookEvent" e SET "appliedAt" = $1, "outcome" = u.outcome, "error" = NULL, "leasedUntil" = NULL
                 FROM unnest($2::uuid[], $3::text[]) AS u(id, outcome)
                 WHERE e."id" = u.id AND e."appliedAt" IS NULL AND e."deadAt" IS NULL RETURNING e."id"`,
                [at, group.map((p) => p.ev.id), group.map((p) => p.outcome)],
              )
            ).map((r) => r.id),
          );
          const todo = group.filter((p) => mine.has(p.ev.id));
          if (!todo.length) return [];
          const touched = await writeLedger(
            tx,
            todo.map((p) => p.events),
          );
          const out = todo.map((p, i) => ({ p, loans: touched[i]! }));
          const loans = [...new Map(out.flatMap((o) => o.loans).map((l) => [`${l.provider}:${l.providerLoanId}`, l])).values()];
          // The cached copies holding these loans are now older than the ledger; the pushes go out only if all this commits.
          await stampSnapshots(tx, loans, at);
          // Client webhooks announcing these changes commit with them (the transactional outbox).
          if (this.webhooks) outbox = await this.webhooks.enqueueLedger(tx, out.map((o) => ({ eventId: o.p.ev.id, events: o.p.events })), at);
          if (within) await within(tx, this.changes(out, at));
          return out;
        },
        { asyncCommit: true },
      );
    } catch (e) {
      if (group.length > 1 && !isDatabaseUnavailable(e)) {
        this.log.warn({ events: group.length, err: (e as Error).message }, 'applying a group of webhook events failed; trying each alone');
        for (const p of group) await this.applyGroup([p]);
        return;
      }
      for (const p of group) await this.failed(p, e as Error);
      return;
    }
    this.webhooks?.committed(outbox);
    const changes = this.changes(applied, at);
    this.invalidation?.local([...new Set(changes.map((c) => loanTag(c.provider, c.providerLoanId)))]);
    // A publisher that cannot notify inside the transaction (in process, Redis) pushes after commit.
    if (!within) for (const c of changes) this.publisher.publish(c);
    const mine = new Set(applied.map((a) => a.p));
    for (const p of group) {
      p.span.setAttribute('satukredit.event.outcome', mine.has(p) ? p.outcome : 'SKIPPED');
      p.span.end();
    }
  }

  private changes(applied: { p: ParsedEvent; loans: TouchedLoan[] }[], at: Date): LedgerChange[] {
    return applied.flatMap(({ p, loans }) => loans.map((l) => ({ provider: l.provider, providerLoanId: l.providerLoanId, kind: p.kind, at, eventId: p.ev.id })));
  }

  private async claim(): Promise<ClaimedEvent[]> {
    return this.work.query<ClaimedEvent>(
      `UPDATE "WebhookEvent" SET "leasedBy" = $1, "leasedUntil" = clock_timestamp() + make_interval(secs => $2::double precision), "attempts" = "attempts" + 1
       WHERE "id" IN (
         SELECT "id" FROM "WebhookEvent"
         WHERE "appliedAt" IS NULL AND "deadAt" IS NULL AND "availableAt" <= clock_timestamp() AND ("leasedUntil" IS NULL OR "leasedUntil" < clock_timestamp())
         ORDER BY "receivedAt" LIMIT $3::int
         FOR UPDATE SKIP LOCKED)
       RETURNING "id", "source", "kind", "payload", "attempts", "receivedAt"`,
      [this.instanceId, this.policy.leaseSeconds, this.policy.batch],
    );
  }

  /**
   * Applies every claimable event until none is left, on this instance (tests and `satukredit` jobs).
   * Events waiting for a backoff are left alone.
   */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0);
  }

  /**
   * Resolves when nothing claimable is left (tests; graceful shutdown). The drain runs in the worker loop's
   * sequence, after the pass in progress: a pass woken meanwhile cannot hold an event the drain then skips as
   * leased, which let this resolve before that event was applied.
   */
  async idle(): Promise<void> {
    await this.loop.after(() => this.drain());
  }

  /**
   * Applies events stored but not applied (start-up): they are claimed like any other.
   * @returns how many were waiting.
   */
  async recover(): Promise<number> {
    const n = await this.prisma.webhookEvent.count({ where: { appliedAt: null, deadAt: null } });
    if (n) {
      if (this.loop.active) this.wake();
      else await this.drain();
    }
    return n;
  }

  /** Events waiting to be applied (not dead), across all instances; also sets the /metrics gauge. */
  async backlog(): Promise<number> {
    const n = await this.prisma.webhookEvent.count({ where: { appliedAt: null, deadAt: null } });
    webhookBacklog.set(n);
    return n;
  }

  /**
   * Stored events for operators, newest first: PENDING (waiting or retrying), APPLIED (applied or recorded), DEAD.
   * `after` is the id of the last event of the previous page.
   */
  async list(status: EventStatus | null, first: number, after: string | null): Promise<{ rows: WebhookEvent[]; hasNext: boolean }> {
    const where = statusFilter(status);
    const rows = await this.prisma.webhookEvent.findMany({
      where,
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      take: first + 1,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
    return { rows: rows.slice(0, first), hasNext: rows.length > first };
  }

  /** A page of stored events, newest first (key: receivedAt, id), optionally of one status. */
  page(status: EventStatus | null, window: PageWindow): Promise<Page<WebhookEvent>> {
    return keysetPage<WebhookEvent>(
      {
        where: statusFilter(status) as Record<string, unknown>,
        fields: ['receivedAt', 'id'],
        order: 'desc',
        keyOf: (r) => [r.receivedAt, r.id],
        findMany: (args) => this.prisma.webhookEvent.findMany(args as Prisma.WebhookEventFindManyArgs),
        count: (args) => this.prisma.webhookEvent.count(args as Prisma.WebhookEventCountArgs),
      },
      window,
    );
  }

  /**
   * Puts a dead-lettered event back in line (tries counted from zero).
   * @returns the event, or null when there is no such dead event.
   */
  async replay(id: string): Promise<WebhookEvent | null> {
    const n = await this.prisma.$executeRaw`
      UPDATE "WebhookEvent" SET "deadAt" = NULL, "attempts" = 0, "availableAt" = clock_timestamp(), "leasedBy" = NULL, "leasedUntil" = NULL, "outcome" = NULL
      WHERE "id" = ${id}::uuid AND "deadAt" IS NOT NULL`;
    if (n !== 1) return null;
    this.wake();
    return this.prisma.webhookEvent.findUnique({ where: { id } });
  }

  /** Records a failed try: back off, or dead-letter after the last try. */
  private async failed({ ev, span }: Pick<ParsedEvent, 'ev' | 'span'>, e: Error): Promise<void> {
    const message = e.message.slice(0, 500);
    span.setAttributes({ 'satukredit.event.outcome': isDatabaseUnavailable(e) ? 'RETRY' : ev.attempts >= this.policy.maxAttempts ? 'DEAD' : 'RETRY', 'error.type': e.name });
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.name });
    span.end();
    // A try cut short by a database outage says nothing about the event: it does not count towards dead-lettering.
    if (isDatabaseUnavailable(e)) {
      this.log.warn({ eventId: ev.id, err: message }, 'webhook apply interrupted: database unavailable');
      await this.work.query(`UPDATE "WebhookEvent" SET "attempts" = GREATEST("attempts" - 1, 0), "leasedUntil" = NULL WHERE "id" = $1::uuid AND "appliedAt" IS NULL`, [ev.id]).catch(() => undefined);
      return;
    }
    const dead = ev.attempts >= this.policy.maxAttempts;
    const backoff = Math.min(this.policy.maxBackoffSeconds, this.policy.backoffSeconds * 2 ** Math.max(0, ev.attempts - 1));
    this.log.error({ eventId: ev.id, source: ev.source, kind: ev.kind, attempt: ev.attempts, dead, err: message }, 'webhook apply failed');
    try {
      if (dead) {
        const n = await this.work.query(`UPDATE "WebhookEvent" SET "deadAt" = clock_timestamp(), "outcome" = 'DEAD', "error" = $2, "leasedUntil" = NULL WHERE "id" = $1::uuid AND "appliedAt" IS NULL RETURNING 1`, [ev.id, message]);
        if (n.length === 1) webhookDeadLetters.inc({ source: ev.source });
      } else {
        await this.work.query(
          `UPDATE "WebhookEvent" SET "availableAt" = clock_timestamp() + make_interval(secs => $2::double precision), "error" = $3, "leasedUntil" = NULL WHERE "id" = $1::uuid AND "appliedAt" IS NULL`,
          [ev.id, backoff, message],
        );
      }
    } catch (e2) {
      // The lease lapses and another try follows.
      this.log.error({ eventId: ev.id, err: (e2 as Error).message }, 'recording a failed webhook try failed');
    }
  }
}
