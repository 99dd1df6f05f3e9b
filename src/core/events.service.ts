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
 * that dies before enqueueing anything is still found). Each event's ledger writes and its "applied"
 * mark commit in one transaction that first locks the event row and re-checks it is unapplied, and
 * takes a per-loan advisory lock, so an event is applied once even when a lease lapses mid-flight, and
 * conflicting events for one loan on two instances serialize. A lease lapses after `leaseSeconds`, so
 * the events of an instance that died are claimed by the others without a restart. A failed try waits
 * with exponential backoff; after `maxAttempts` the event is dead-lettered, counted in /metrics, listed
 * for operators and replayable. Operational times (leases, backoff) are database time; business times
 * (appliedAt) come from the application's clock. The embedded database runs the same code in one process.
 */
import { randomUUID } from 'node:crypto';
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import type { Prisma, PrismaClient, WebhookEvent } from '../generated/prisma/client';
import type { Logger } from '../logger';
import { webhookBacklog, webhookDeadLetters } from '../metrics';
import { contentHash } from '../providers/callback-util';
import type { Clock } from '../providers/connector';
import { callbackSource } from '../providers/registry';
import { inSpan } from '../tracing';
import { isDatabaseUnavailable } from '../store/database';
import { applyLedgerEvents, type TouchedLoan } from './ledger-apply';
import type { Publisher } from './publisher';

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
  /** Events claimed at once (10). */
  readonly batch: number;
  /** Tries before an event is dead-lettered (6). */
  readonly maxAttempts: number;
  /** Backoff after the first failed try, seconds (0.5); doubled per try up to `maxBackoffSeconds` (8). */
  readonly backoffSeconds: number;
  readonly maxBackoffSeconds: number;
}

/** The defaults: 5 s leases, a 500 ms poll, 6 tries with 0.5, 1, 2, 4, 8 s between them. */
export const DEFAULT_EVENT_POLICY: EventPolicy = { leaseSeconds: 5, pollMs: 500, batch: 10, maxAttempts: 6, backoffSeconds: 0.5, maxBackoffSeconds: 8 };

/** An event's state as operators see it. */
export type EventStatus = 'PENDING' | 'APPLIED' | 'DEAD';

/** Stores events and applies them to the ledger, claiming them with a lease. */
export class EventApplier {
  /** This instance's lease holder name. */
  readonly instanceId = `instance-${randomUUID()}`;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> = Promise.resolve();
  private again = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly publisher: Publisher,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly policy: EventPolicy = DEFAULT_EVENT_POLICY,
  ) {}

  /**
   * Stores an event under (source, idempotencyKey); a new one is applied soon by whichever instance claims it
   * (this one is woken at once).
   * @returns duplicate=true (with the payload stored first) when the key was already stored.
   * @throws when the database cannot store it (the caller answers 503 so the sender retries).
   */
  async store(e: IncomingEvent): Promise<StoreResult> {
    // INSERT ... ON CONFLICT DO NOTHING: a duplicate is an empty answer, not a failed statement (which would cost the connection).
    const id = randomUUID();
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO "WebhookEvent" ("id", "source", "kind", "idempotencyKey", "payload")
      VALUES (${id}::uuid, ${e.source}, ${e.kind}, ${e.idempotencyKey}, ${JSON.stringify(e.payload)}::jsonb)
      ON CONFLICT ("source", "idempotencyKey") DO NOTHING
      RETURNING "id"`;
    if (rows.length) {
      this.wake();
      return { id, duplicate: false };
    }
    const prior = await this.prisma.webhookEvent.findUniqueOrThrow({ where: { source_idempotencyKey: { source: e.source, idempotencyKey: e.idempotencyKey } } });
    return { id: prior.id, duplicate: true, storedPayload: prior.payload };
  }

  /** Starts claiming and applying events: now, on every store, and every `pollMs`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  /** Stops claiming (a pass in progress finishes; its unfinished claims lapse to the other instances). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pass;
  }

  /** Runs a claim-and-apply pass now (coalesced with one in progress). */
  private wake(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.again = true;
    this.pass = this.pass.then(async () => {
      while (this.again && this.running) {
        this.again = false;
        try {
          if ((await this.runOnce()) > 0) this.again = true;
        } catch (e) {
          this.log.error({ err: (e as Error).message }, 'webhook event pass failed');
        }
      }
      if (this.running && !this.timer) {
        this.timer = setTimeout(() => this.wake(), this.policy.pollMs);
        this.timer.unref();
      }
    });
  }

  /**
   * Claims up to `batch` claimable events (unapplied, not dead, available, lease free or lapsed) and applies them.
   * @returns how many were claimed.
   */
  async runOnce(): Promise<number> {
    const ids = await this.claim();
    for (const id of ids) await this.applyOne(id);
    return ids.length;
  }

  private async claim(): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "WebhookEvent" SET "leasedBy" = ${this.instanceId}, "leasedUntil" = clock_timestamp() + make_interval(secs => ${this.policy.leaseSeconds}::double precision), "attempts" = "attempts" + 1
      WHERE "id" IN (
        SELECT "id" FROM "WebhookEvent"
        WHERE "appliedAt" IS NULL AND "deadAt" IS NULL AND "availableAt" <= clock_timestamp() AND ("leasedUntil" IS NULL OR "leasedUntil" < clock_timestamp())
        ORDER BY "receivedAt" LIMIT ${this.policy.batch}::int
        FOR UPDATE SKIP LOCKED)
      RETURNING "id"`;
    return rows.map((r) => r.id);
  }

  /**
   * Applies every claimable event until none is left, on this instance (tests and `satukredit` jobs).
   * Events waiting for a backoff are left alone.
   */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0);
  }

  /** Resolves when the running pass is done and nothing claimable is left (tests; graceful shutdown). */
  async idle(): Promise<void> {
    await this.pass;
    await this.drain();
  }

  /**
   * Applies events stored but not applied (start-up): they are claimed like any other.
   * @returns how many were waiting.
   */
  async recover(): Promise<number> {
    const n = await this.prisma.webhookEvent.count({ where: { appliedAt: null, deadAt: null } });
    if (n) {
      if (this.running) this.wake();
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
    const where: Prisma.WebhookEventWhereInput =
      status === 'DEAD' ? { deadAt: { not: null } } : status === 'APPLIED' ? { appliedAt: { not: null } } : status === 'PENDING' ? { appliedAt: null, deadAt: null } : {};
    const rows = await this.prisma.webhookEvent.findMany({
      where,
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      take: first + 1,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
    return { rows: rows.slice(0, first), hasNext: rows.length > first };
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

  /**
   * One try at applying a stored event, in a `webhook.apply` span of its own (a new trace whoever woke the worker):
   * event id, source, wire kind, try number and outcome (`APPLIED`, `RECORDED`, `SKIPPED` when already applied or
   * taken over, `RETRY` or `DEAD` after a failure).
   */
  private applyOne(eventId: string): Promise<void> {
    return inSpan('webhook.apply', { 'satukredit.event.id': eventId }, (span) => this.applyTraced(eventId, span), { root: true });
  }

  private async applyTraced(eventId: string, span: Span): Promise<void> {
    const ev = await this.prisma.webhookEvent.findUnique({ where: { id: eventId } });
    if (ev) span.setAttributes({ 'satukredit.event.source': ev.source, 'satukredit.event.kind': ev.kind, 'satukredit.event.attempt': ev.attempts });
    if (!ev || ev.appliedAt || ev.deadAt) return void span.setAttribute('satukredit.event.outcome', 'SKIPPED');
    let touched: TouchedLoan[] | null;
    let kind: string;
    const at = this.clock.now();
    try {
      const parsed = callbackSource(ev.source).ledgerEvents(ev);
      kind = parsed.kind;
      const outcome = parsed.events.some((e) => e.type !== 'LOAN_NOTICE') ? 'APPLIED' : 'RECORDED';
      span.setAttribute('satukredit.event.outcome', outcome);
      const within = this.publisher.publishWithin?.bind(this.publisher);
      touched = await applyLedgerEvents(
        this.prisma,
        parsed.events,
        async (tx) => {
          // Lock the event row and apply only if nobody applied it meanwhile (a lapsed lease taken over).
          const n = await tx.$executeRaw`UPDATE "WebhookEvent" SET "appliedAt" = ${at}, "outcome" = ${outcome}, "error" = NULL, "leasedUntil" = NULL WHERE "id" = ${ev.id}::uuid AND "appliedAt" IS NULL AND "deadAt" IS NULL`;
          return n === 1;
        },
        async (tx, loans) => {
          if (within) for (const t of loans) await within(tx, { provider: t.provider, providerLoanId: t.providerLoanId, kind, at });
        },
      );
    } catch (e) {
      span.setAttributes({ 'satukredit.event.outcome': ev.attempts >= this.policy.maxAttempts ? 'DEAD' : 'RETRY', 'error.type': (e as Error).name });
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).name });
      await this.failed(ev, e as Error);
      return;
    }
    if (!touched) return void span.setAttribute('satukredit.event.outcome', 'SKIPPED');
    // Push (unless already notified inside the transaction), then stamp the cached copies holding these loans: they are now older than the ledger.
    if (!this.publisher.publishWithin) for (const t of touched) this.publisher.publish({ provider: t.provider, providerLoanId: t.providerLoanId, kind, at });
    try {
      for (const t of touched) {
        await this.prisma.providerSnapshot.updateMany({
          where: { domain: 'LOANS', account: { provider: t.provider }, payload: { array_contains: [{ providerLoanId: t.providerLoanId }] } },
          data: { eventAt: at },
        });
      }
    } catch (e) {
      this.log.warn({ eventId: ev.id, err: (e as Error).message }, 'webhook applied; stamping cached snapshots failed');
    }
  }

  /** Records a failed try: back off, or dead-letter after the last try. */
  private async failed(ev: WebhookEvent, e: Error): Promise<void> {
    const message = e.message.slice(0, 500);
    // A try cut short by a database outage says nothing about the event: it does not count towards dead-lettering.
    if (isDatabaseUnavailable(e)) {
      this.log.warn({ eventId: ev.id, err: message }, 'webhook apply interrupted: database unavailable');
      await this.prisma.$executeRaw`UPDATE "WebhookEvent" SET "attempts" = GREATEST("attempts" - 1, 0), "leasedUntil" = NULL WHERE "id" = ${ev.id}::uuid AND "appliedAt" IS NULL`.catch(() => undefined);
      return;
    }
    const dead = ev.attempts >= this.policy.maxAttempts;
    const backoff = Math.min(this.policy.maxBackoffSeconds, this.policy.backoffSeconds * 2 ** Math.max(0, ev.attempts - 1));
    this.log.error({ eventId: ev.id, source: ev.source, kind: ev.kind, attempt: ev.attempts, dead, err: message }, 'webhook apply failed');
    try {
      if (dead) {
        const n = await this.prisma.$executeRaw`UPDATE "WebhookEvent" SET "deadAt" = clock_timestamp(), "outcome" = 'DEAD', "error" = ${message}, "leasedUntil" = NULL WHERE "id" = ${ev.id}::uuid AND "appliedAt" IS NULL`;
        if (n === 1) webhookDeadLetters.inc({ source: ev.source });
      } else {
        await this.prisma.$executeRaw`UPDATE "WebhookEvent" SET "availableAt" = clock_timestamp() + make_interval(secs => ${backoff}::double precision), "error" = ${message}, "leasedUntil" = NULL WHERE "id" = ${ev.id}::uuid AND "appliedAt" IS NULL`;
      }
    } catch (e2) {
      // The lease lapses and another try follows.
      this.log.error({ eventId: ev.id, err: (e2 as Error).message }, 'recording a failed webhook try failed');
    }
  }
}
