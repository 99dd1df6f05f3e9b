/**
 * Idempotent event intake and application. An event is stored with its
 * idempotency key (unique per source) in one statement before it is
 * acknowledged; a second copy (a replay, or two copies at once) hits the unique
 * constraint and is recognized as a duplicate. Stored events are applied to the
 * ledger by `EventApplier`, one at a time, after the acknowledgement; events
 * stored but not applied (a crash between the two) are applied by `recover`.
 */
import type { PrismaClient, WebhookEvent } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { Clock } from '../providers/connector';
import { contentHash } from '../providers/callback-util';
import { callbackSource } from '../providers/registry';
import { applyLedgerEvents } from './ledger-apply';
import type { Publisher } from './publisher';

export { contentHash };

/**
 * Whether a Prisma error is a unique-constraint violation, however the driver
 * adapter reports it (P2002; the pg adapter's UniqueConstraintViolation kind;
 * PGlite's raw SQLSTATE 23505).
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string; kind?: string; originalCode?: string }; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  return (
    e.code === 'P2002' ||
    e.cause?.code === '23505' ||
    e.cause?.originalCode === '23505' ||
    e.cause?.kind === 'UniqueConstraintViolation' ||
    e.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation'
  );
}

/** Outcome of storing an event: its id, and for a duplicate the payload stored first. */
export type StoreResult = { id: string; duplicate: false } | { id: string; duplicate: true; storedPayload: unknown };

/** An event to store: its source (provider code or `SNAP_<BANK>`), wire kind, idempotency key (unique per source) and minimized payload. */
export interface IncomingEvent {
  source: string;
  kind: string;
  idempotencyKey: string;
  payload: object;
}

/** Stores events and applies them to the ledger, sequentially, in arrival order. */
export class EventApplier {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly publisher: Publisher,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Stores an event under (source, idempotencyKey) and, when new, schedules it for application.
   * @returns duplicate=true (with the payload stored first) when the key was already stored.
   * @throws when the database cannot store it (the caller answers 503 so the sender retries).
   */
  async store(e: IncomingEvent): Promise<StoreResult> {
    try {
      const row = await this.prisma.webhookEvent.create({ data: e, select: { id: true } });
      this.enqueue(row.id);
      return { id: row.id, duplicate: false };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const prior = await this.prisma.webhookEvent.findUniqueOrThrow({ where: { source_idempotencyKey: { source: e.source, idempotencyKey: e.idempotencyKey } } });
      return { id: prior.id, duplicate: true, storedPayload: prior.payload };
    }
  }

  /** Schedules a stored event for application. */
  enqueue(eventId: string): void {
    this.queue = this.queue.then(() => this.applyOne(eventId)).catch(() => undefined);
  }

  /** Applies every stored event not applied yet (start-up recovery). @returns how many were queued. */
  async recover(): Promise<number> {
    const rows = await this.prisma.webhookEvent.findMany({ where: { appliedAt: null }, orderBy: { receivedAt: 'asc' }, select: { id: true } });
    for (const r of rows) this.enqueue(r.id);
    return rows.length;
  }

  /** Resolves when everything queued so far has been applied. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async applyOne(eventId: string): Promise<void> {
    const ev: WebhookEvent | null = await this.prisma.webhookEvent.findUnique({ where: { id: eventId } });
    if (!ev || ev.appliedAt) return;
    try {
      const { kind, events } = callbackSource(ev.source).ledgerEvents(ev);
      const touched = await applyLedgerEvents(this.prisma, events);
      const outcome = events.some((e) => e.type !== 'LOAN_NOTICE') ? 'APPLIED' : 'RECORDED';
      const at = this.clock.now();
      await this.prisma.webhookEvent.update({ where: { id: ev.id }, data: { appliedAt: at, outcome } });
      // The cached copies holding these loans are now older than the ledger: stamp them so reads say WEBHOOK.
      for (const t of touched) {
        await this.prisma.providerSnapshot.updateMany({
          where: { domain: 'LOANS', account: { provider: t.provider }, payload: { array_contains: [{ providerLoanId: t.providerLoanId }] } },
          data: { eventAt: at },
        });
      }
      for (const t of touched) this.publisher.publish({ provider: t.provider, providerLoanId: t.providerLoanId, kind, at });
    } catch (e) {
      this.log.error({ eventId: ev.id, source: ev.source, kind: ev.kind, err: (e as Error).message }, 'webhook apply failed');
      await this.prisma.webhookEvent.update({ where: { id: ev.id }, data: { appliedAt: this.clock.now(), outcome: 'FAILED', error: (e as Error).message.slice(0, 500) } });
    }
  }
}
