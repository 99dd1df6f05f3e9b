/**
 * Idempotent event intake: an event is stored with its idempotency key (unique
 * per source) in one statement before it is acknowledged; a second copy (a
 * replay, or two copies at once) hits the unique constraint and is recognized
 * as a duplicate. Stored events are applied to the ledger by `EventApplier`,
 * one at a time, after the acknowledgement; events stored but not applied
 * (a crash between the two) are applied at start-up.
 */
import { createHash } from 'node:crypto';
import type { PrismaClient, WebhookEvent } from '../generated/prisma/client';
import type { Logger } from '../logger';
import { applyEvent } from './apply';

/** Canonical JSON (keys sorted) for hashing. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 hex of canonical JSON. */
export function contentHash(v: unknown): string {
  return createHash('sha256').update(canonical(v)).digest('hex');
}

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

/** Outcome of storing an event. */
export type StoreResult = { id: string; duplicate: false } | { id: string; duplicate: true; samePayload: boolean };

/**
 * Stores an event under (source, idempotencyKey).
 * @returns duplicate=true (with whether the stored payload is identical) when the key was already stored.
 */
export async function storeEvent(prisma: PrismaClient, e: { source: string; kind: string; idempotencyKey: string; payload: object }): Promise<StoreResult> {
  try {
    const row = await prisma.webhookEvent.create({ data: e, select: { id: true } });
    return { id: row.id, duplicate: false };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const prior = await prisma.webhookEvent.findUniqueOrThrow({ where: { source_idempotencyKey: { source: e.source, idempotencyKey: e.idempotencyKey } } });
    return { id: prior.id, duplicate: true, samePayload: contentHash(prior.payload) === contentHash(e.payload) };
  }
}

/** A ledger change, for subscribers (GraphQL subscriptions). */
export interface LedgerChange {
  provider: 'CAIRIN' | 'FINFRA' | 'DOMPET_KILAT';
  providerLoanId: string;
  kind: string;
  at: Date;
}

/** Applies stored events to the ledger, sequentially, in arrival order. */
export class EventApplier {
  private queue: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(c: LedgerChange) => void>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
  ) {}

  /** Schedules an event for application (after the response is sent). */
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

  /** Registers a listener for ledger changes; returns the unsubscribe function. */
  onChange(fn: (c: LedgerChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async applyOne(eventId: string): Promise<void> {
    const ev: WebhookEvent | null = await this.prisma.webhookEvent.findUnique({ where: { id: eventId } });
    if (!ev || ev.appliedAt) return;
    try {
      const r = await applyEvent(this.prisma, ev);
      await this.prisma.webhookEvent.update({ where: { id: ev.id }, data: { appliedAt: new Date(), outcome: r.outcome } });
      // The cached copies holding these loans are now older than the ledger: stamp them so reads say WEBHOOK.
      for (const c of r.changes) {
        await this.prisma.providerSnapshot.updateMany({
          where: { domain: 'LOANS', account: { provider: c.provider }, payload: { array_contains: [{ providerLoanId: c.providerLoanId }] } },
          data: { eventAt: c.at },
        });
      }
      for (const c of r.changes) for (const fn of this.listeners) fn(c);
    } catch (e) {
      this.log.error({ eventId: ev.id, source: ev.source, kind: ev.kind, err: (e as Error).message }, 'webhook apply failed');
      await this.prisma.webhookEvent.update({ where: { id: ev.id }, data: { appliedAt: new Date(), outcome: 'FAILED', error: (e as Error).message.slice(0, 500) } });
    }
  }
}
