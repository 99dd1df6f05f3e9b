/**
 * The LISTEN/NOTIFY publisher (PostgreSQL-server only, `npm run test:pg`): notifications sent while one statement
 * is out go together in the next statement; every one arrives, in the order sent, also when the sender closes
 * right after sending.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, type LedgerChange, pgPublisher } from '../../src/app';
import { openTestDatabase } from '../support/stack';

const ON_SERVER = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!ON_SERVER)('pgPublisher', () => {
  it('delivers a burst of changes in the order sent, and what was sent before close', async () => {
    const db = await openTestDatabase();
    const log = createLogger('silent', false);
    const receiver = await pgPublisher(db.url!, log);
    const sender = await pgPublisher(db.url!, log);
    try {
      const it = receiver.subscribe()[Symbol.asyncIterator]();
      const got: LedgerChange[] = [];
      const all = (n: number) =>
        (async () => {
          while (got.length < n) {
            const next = await it.next();
            if (next.done) break;
            // Another test's publisher on the same server would use another database; the channel is per database.
            got.push(next.value);
          }
        })();
      const at = new Date('2026-12-05T03:00:00Z');
      const burst = Array.from({ length: 300 }, (_, k): LedgerChange => ({ provider: 'FINFRA', providerLoanId: `LN-${k}`, kind: 'repayment', at, eventId: `e-${k}` }));
      const first = all(burst.length);
      // One synchronous burst: the first goes out alone, the rest wait for it and follow in one statement.
      for (const c of burst) sender.publish(c);
      await first;
      expect(got.map((c) => c.providerLoanId)).toEqual(burst.map((c) => c.providerLoanId));
      expect(got[0]).toEqual(burst[0]);

      // Sent, then closed at once: close waits for them to go out.
      const tail = Array.from({ length: 20 }, (_, k): LedgerChange => ({ provider: 'CAIRIN', providerLoanId: `T-${k}`, kind: 'loan', at }));
      const rest = all(burst.length + tail.length);
      for (const c of tail) sender.publish(c);
      await sender.close();
      await rest;
      expect(got.slice(burst.length).map((c) => c.providerLoanId)).toEqual(tail.map((c) => c.providerLoanId));
    } finally {
      await sender.close();
      await receiver.close();
      await db.close();
    }
  });
});
