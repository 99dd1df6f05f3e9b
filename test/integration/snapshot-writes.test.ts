/**
 * Snapshot writes after a provider read: an unchanged snapshot the reader saw stored gets only its fetch time
 * written, on the condition that the stored content is still what the reader saw; anything else is written whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveSnapshots, snapshotHash, snapshotKey, type SqlExecutor, toGlobalId } from '../../src/app';
import { startStack, type Stack } from '../support/stack';

describe('saveSnapshots', () => {
  let s: Stack;
  let row: { consentId: string; accountId: string };
  const statements: string[] = [];
  /** The stack's SQL, counting the statements sent through it. */
  let counted: SqlExecutor;
  beforeAll(async () => {
    s = await startStack({ seed: 71, borrowers: 2, eventWorker: false });
    await s.gql(`query($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { complete } }`, { id: toGlobalId('Borrower', s.borrowerIds[0]!) });
    row = (await s.db.sql.query<{ consentId: string; accountId: string }>(`SELECT "consentId", "accountId" FROM "ProviderSnapshot" WHERE "domain" = 'LOANS' ORDER BY "fetchedAt" LIMIT 1`))[0]!;
    counted = {
      exec: (q) => s.db.sql.exec(q),
      query: (q, p) => {
        statements.push(q.trim().split(/\s+/)[0]!);
        return s.db.sql.query(q, p);
      },
    };
  });
  afterAll(async () => {
    await s?.close();
  });

  const stored = async () =>
    (await s.db.sql.query<{ payload: unknown; contentHash: string; fetchedAt: Date; eventAt: Date | null }>(
      `SELECT "payload", "contentHash", "fetchedAt", "eventAt" FROM "ProviderSnapshot" WHERE "consentId" = $1 AND "accountId" = $2 AND "domain" = 'LOANS'`,
      [row.consentId, row.accountId],
    ))[0]!;
  const write = (data: unknown, fetchedAt: Date) => ({ consentId: row.consentId, accountId: row.accountId, domain: 'LOANS' as const, data, fetchedAt });
  const key = () => snapshotKey(row.consentId, row.accountId, 'LOANS');

  // Written by the tests in this order; jsonb does not keep key order, so a test's data is not read back to compare hashes.
  const d1 = { loans: [{ providerLoanId: 'LN-1', principal: '1000000' }], creditLimit: '5000000' };
  const d2 = { loans: [], creditLimit: '1000' };
  const d3 = { loans: [], creditLimit: '2000' };

  it('writes only the fetch time of an unchanged snapshot, in one statement, and clears its webhook stamp', async () => {
    await saveSnapshots(s.db.sql, [write(d1, new Date('2026-12-05T02:00:00Z'))]);
    const before = await stored();
    expect(before.contentHash).toBe(snapshotHash(d1));
    await s.db.sql.query(`UPDATE "ProviderSnapshot" SET "eventAt" = $3 WHERE "consentId" = $1 AND "accountId" = $2 AND "domain" = 'LOANS'`, [row.consentId, row.accountId, new Date('2026-12-05T03:00:00Z')]);
    statements.length = 0;
    const t = new Date('2026-12-05T04:00:00Z');
    await saveSnapshots(counted, [write(d1, t)], new Map([[key(), snapshotHash(d1)]]));
    expect(statements).toEqual(['WITH']); // WITH ... UPDATE
    expect(await stored()).toEqual({ payload: before.payload, contentHash: snapshotHash(d1), fetchedAt: t, eventAt: null });
  });

  it('writes a changed snapshot whole, in one statement', async () => {
    statements.length = 0;
    const t = new Date('2026-12-05T05:00:00Z');
    await saveSnapshots(counted, [write(d2, t)], new Map([[key(), snapshotHash(d1)]]));
    expect(statements).toEqual(['INSERT']);
    expect(await stored()).toMatchObject({ payload: d2, contentHash: snapshotHash(d2), fetchedAt: t });
  });

  it('writes whole what another writer changed after the reader saw it (the stored hash is the version check)', async () => {
    // This reader saw d2 stored; another instance then stores d3.
    await saveSnapshots(s.db.sql, [write(d3, new Date('2026-12-05T06:00:00Z'))]);
    // The reader's provider answer equals what it saw: it believes nothing changed, the database says otherwise.
    statements.length = 0;
    const t = new Date('2026-12-05T06:00:01Z');
    await saveSnapshots(counted, [write(d2, t)], new Map([[key(), snapshotHash(d2)]]));
    expect(statements).toEqual(['WITH', 'INSERT']);
    expect(await stored()).toMatchObject({ payload: d2, contentHash: snapshotHash(d2), fetchedAt: t });
  });

  it('never deadlocks when many reads of the same accounts write their snapshots at once, in any order', async () => {
    const all = await s.db.sql.query<{ consentId: string; accountId: string; domain: 'LOANS' | 'REPAYMENTS' | 'DISBURSEMENTS' }>(
      `SELECT "consentId", "accountId", "domain"::text AS "domain" FROM "ProviderSnapshot" ORDER BY "id"`,
    );
    expect(all.length).toBeGreaterThanOrEqual(4);
    const data = (k: number) => ({ n: k, loans: [] });
    await saveSnapshots(s.db.sql, all.map((r, k) => ({ ...r, data: data(k), fetchedAt: new Date('2026-12-05T07:00:00Z') })));
    const known = new Map(all.map((r, k) => [snapshotKey(r.consentId, r.accountId, r.domain), snapshotHash(data(k))]));
    // A fixed shuffle per writer (no randomness): each writer lists the rows in its own order, some with one row changed.
    const order = (w: number) => all.map((r, k) => ({ r, k })).sort((a, b) => ((a.k * 7 + w) % all.length) - ((b.k * 7 + w) % all.length));
    for (let round = 0; round < 3; round++) {
      const writers = Array.from({ length: 40 }, (_, w) =>
        saveSnapshots(
          s.db.sql,
          order(w).map(({ r, k }) => ({ ...r, data: w % 5 === 0 && k === round ? { changed: w } : data(k), fetchedAt: new Date(Date.UTC(2026, 11, 5, 8, round, w)) })),
          known,
        ),
      );
      const results = await Promise.allSettled(writers);
      expect(results.filter((x) => x.status === 'rejected').map((x) => String((x as PromiseRejectedResult).reason))).toEqual([]);
    }
  });

  it('fails a read whose storing the database refuses as an internal error, not as the provider being unavailable', async () => {
    await s.db.sql.exec(`CREATE FUNCTION refuse_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by test' USING ERRCODE = '40P01'; END $$;
      CREATE TRIGGER refuse_snapshot BEFORE INSERT OR UPDATE ON "ProviderSnapshot" FOR EACH ROW EXECUTE FUNCTION refuse_snapshot();`);
    try {
      const r = await s.gql(`query($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { complete providers { provider health errorCode } } }`, { id: toGlobalId('Borrower', s.borrowerIds[1]!) });
      expect(r.errors?.map((e: any) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(r)).not.toContain('PROVIDER_UNAVAILABLE');
    } finally {
      await s.db.sql.exec(`DROP TRIGGER refuse_snapshot ON "ProviderSnapshot"; DROP FUNCTION refuse_snapshot();`);
    }
  });
});

