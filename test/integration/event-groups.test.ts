/**
 * The event applier applies a claim's events in groups, one transaction per group: events of one payment in
 * one group end as if applied one by one in any order, one change notification goes out per applied event, and
 * an event that makes its group's transaction fail fails alone (retried, then dead-lettered) while the others of
 * its group are applied. Runs on the embedded database and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerChange } from '../../src/app';
import { TEST_START, TestClock, until } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
const clock = new TestClock(TEST_START);

beforeAll(async () => {
  // The stack's worker stays off: events are stored by HTTP first, then applied together by drain().
  s = await startStack({ seed: 23, borrowers: 12, clock, eventWorker: false, eventPolicy: { backoffSeconds: 0, maxAttempts: 2, batch: 64, concurrency: 2 } });
});
afterAll(async () => {
  await s?.close();
});

/** A Finfra loan with an unpaid installment. */
function target(): { loanUniqueId: string; amount: number } {
  for (const u of s.sandbox.dataset.finfra) {
    for (const l of u.loans) {
      const open = l.installments.find((i) => i.paid === 0n);
      if (l.status === 'DISBURSED' && open) return { loanUniqueId: l.loanUniqueId, amount: Number(open.total) };
    }
  }
  throw new Error('no Finfra loan with an unpaid installment in the dataset');
}

describe('events applied in groups', () => {
  it('ends each payment in its final state, notifies once per event, and lets a failing event fail alone', async () => {
    const t = target();
    const at = clock.now().toISOString();
    const va = (id: string, status: 'PENDING' | 'PAID') =>
      s.sender.finfra('payment-gateway', 'va', status, { payment_id: id, loanUniqueId: t.loanUniqueId, amount: t.amount, bank_code: 'BCA', paid_at: at, status, settled_at: status === 'PAID' ? at : null });
    // Stored in this order, all for one loan (so one group): P1 PENDING then PAID, P2 PAID then PENDING, P3 PENDING only.
    for (const [id, status] of [
      ['PAY-GRP-1', 'PENDING'],
      ['PAY-GRP-1', 'PAID'],
      ['PAY-GRP-2', 'PAID'],
      ['PAY-GRP-2', 'PENDING'],
      ['PAY-GRP-3', 'PENDING'],
    ] as const) {
      expect((await va(id, status)).status).toBe(200);
    }
    // A stored event whose amount the ledger cannot hold (beyond BIGINT): it passes parsing, and its group's transaction fails on it.
    const [model] = await s.db.sql.query<{ payload: Record<string, unknown> & { data: Record<string, unknown> } }>(
      `SELECT payload FROM "WebhookEvent" WHERE payload::text LIKE '%PAY-GRP-3%'`,
    );
    const poison = { ...model!.payload, data: { ...model!.payload.data, payment_id: 'PAY-GRP-BAD', amount: 1e20 } };
    const bad = await s.db.prisma.webhookEvent.create({ data: { source: 'FINFRA', kind: 'va', idempotencyKey: 'grp-bad', payload: poison } });

    const changes: LedgerChange[] = [];
    const it = s.app.core.deps.publisher.subscribe()[Symbol.asyncIterator]();
    const collecting = (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        changes.push(r.value);
      }
    })();
    await s.applier.drain();

    const rows = await s.db.sql.query<{ id: string; key: string; outcome: string | null; attempts: number; error: string | null; appliedAt: Date | null; deadAt: Date | null }>(
      `SELECT id, "idempotencyKey" AS key, outcome, attempts, error, "appliedAt", "deadAt" FROM "WebhookEvent" WHERE payload::text LIKE '%PAY-GRP-%'`,
    );
    const good = rows.filter((r) => r.id !== bad.id);
    expect(good).toHaveLength(5);
    // Applied at the first try, in one group with the failing event and then alone.
    expect(good.every((r) => r.outcome === 'APPLIED' && r.appliedAt !== null && r.attempts === 1)).toBe(true);
    const failed = rows.find((r) => r.id === bad.id)!;
    expect(failed).toMatchObject({ outcome: 'DEAD', appliedAt: null, attempts: 2 });
    expect(failed.error).toMatch(/out of range/);

    const reps = await s.db.sql.query<{ externalId: string; status: string; clearedAt: Date | null }>(
      `SELECT "externalId", status, "clearedAt" FROM "LedgerRepayment" WHERE "externalId" LIKE 'PAY-GRP-%' ORDER BY "externalId"`,
    );
    expect(reps.map((r) => [r.externalId, r.status])).toEqual([
      ['PAY-GRP-1', 'CLEARED'],
      ['PAY-GRP-2', 'CLEARED'],
      ['PAY-GRP-3', 'PENDING'],
    ]);
    expect(reps[0]!.clearedAt).toEqual(new Date(at));
    expect(reps[1]!.clearedAt).toEqual(new Date(at));

    // One change per applied event, naming it; none for the failing one (on a server they come back through LISTEN).
    const forGroup = () => changes.filter((c) => c.providerLoanId === t.loanUniqueId && good.some((g) => g.id === c.eventId));
    await until(() => forGroup().length >= good.length, 'a change for every applied event', { tries: 400, everyMs: 25 });
    await it.return?.();
    await collecting;
    expect(forGroup().map((c) => c.eventId).sort()).toEqual(good.map((g) => g.id).sort());
    expect(changes.some((c) => c.eventId === bad.id)).toBe(false);
  });
});
