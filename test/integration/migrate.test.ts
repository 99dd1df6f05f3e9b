import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listMigrations, migrate, MIGRATIONS_DIR, openDatabase, pendingMigrations } from '../../src/app';
import { openTestDatabase } from '../support/stack';

describe('migrations', () => {
  it('apply once, are recorded in _prisma_migrations with their checksum, and re-run as a no-op', async () => {
    const db = await openTestDatabase(); // opened with migrations applied
    try {
      expect(await pendingMigrations(db.sql)).toEqual([]);
      expect(await migrate(db.sql)).toEqual([]);
      const files = await listMigrations();
      const rows = await db.sql.query<{ migration_name: string; checksum: string }>('SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name');
      expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
      const first = files[0]!;
      const sql = await readFile(path.join(MIGRATIONS_DIR, first.name, 'migration.sql'), 'utf8');
      expect(rows[0]!.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      const tables = await db.sql.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      expect(tables.map((r) => r.t)).toEqual(expect.arrayContaining(['Borrower', 'ProviderAccount', '_prisma_migrations']));
    } finally {
      await db.close();
    }
  });

  it('refuses a migration edited after it was applied', async () => {
    const db = await openTestDatabase();
    try {
      await db.sql.query(`UPDATE "_prisma_migrations" SET checksum = 'x'`);
      await expect(migrate(db.sql)).rejects.toThrow(/edited after it was applied/);
    } finally {
      await db.close();
    }
  });

  it('records a migration in the same transaction that applies it: when the record cannot be written, nothing is applied', async () => {
    const db = await openTestDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), 'satukredit-migrations-'));
    try {
      for (const [name, sql] of [
        ['30000101000000_good', 'CREATE TABLE "MigrateGood" (id int);'],
        ['30000102000000_unrecordable', 'CREATE TABLE "MigrateBad" (id int);'],
      ] as const) {
        await mkdir(path.join(dir, name));
        await writeFile(path.join(dir, name, 'migration.sql'), sql);
      }
      // Refuse the second migration's record, as a crash between applying and recording would leave it.
      await db.sql.exec(`ALTER TABLE "_prisma_migrations" ADD CONSTRAINT no_unrecordable CHECK (migration_name <> '30000102000000_unrecordable')`);
      await expect(migrate(db.sql, dir)).rejects.toThrow(/30000102000000_unrecordable failed/);
      const exists = async (t: string) => (await db.sql.query<{ t: string | null }>(`SELECT to_regclass('"${t}"')::text AS t`))[0]!.t !== null;
      expect(await exists('MigrateGood')).toBe(true);
      expect(await exists('MigrateBad')).toBe(false);
      expect(await pendingMigrations(db.sql, dir)).toEqual(['30000102000000_unrecordable']);
      // Once the record can be written, the next run applies it (and only it).
      await db.sql.exec(`ALTER TABLE "_prisma_migrations" DROP CONSTRAINT no_unrecordable`);
      expect(await migrate(db.sql, dir)).toEqual(['30000102000000_unrecordable']);
      expect(await exists('MigrateBad')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.close();
    }
  });
  it("number the access log's existing entries in (at, id) order when its id becomes an identity, and go on from there", async () => {
    const db = await openDatabase({ dataDir: 'memory://' }, { migrate: false });
    const before = await mkdtemp(path.join(tmpdir(), 'satukredit-migrations-'));
    try {
      // Every migration before the access log's identity, as a database of the previous release holds them.
      const files = await listMigrations();
      const at = files.findIndex((f) => f.name.endsWith('_access_log_bigint_id'));
      expect(at).toBeGreaterThan(0);
      for (const f of files.slice(0, at)) {
        await mkdir(path.join(before, f.name));
        await writeFile(path.join(before, f.name, 'migration.sql'), await readFile(path.join(MIGRATIONS_DIR, f.name, 'migration.sql')));
      }
      await migrate(db.sql, before);
      const borrower = '00000000-0000-4000-8000-000000000001';
      // Two entries at the same instant (ordered by their UUIDs) and one earlier, inserted out of order.
      await db.sql.exec(`INSERT INTO "AccessLog" ("id", "at", "clientId", "borrowerId", "kind", "domain", "purpose", "requestId") VALUES
        ('ffffffff-0000-4000-8000-000000000000', '2026-12-05T03:00:00Z', 'c', '${borrower}', 'API_READ', 'LOANS', 'p', 'r2'),
        ('00000000-0000-4000-8000-00000000000a', '2026-12-05T03:00:00Z', 'c', '${borrower}', 'API_READ', 'LOANS', 'p', 'r1'),
        ('88888888-0000-4000-8000-000000000000', '2026-12-05T02:00:00Z', 'c', '${borrower}', 'API_READ', 'LOANS', 'p', 'r0')`);
      expect(await migrate(db.sql)).toEqual(files.slice(at).map((f) => f.name));
      const rows = await db.sql.query<{ id: string; requestId: string }>(`SELECT "id"::text AS id, "requestId" FROM "AccessLog" ORDER BY "id"`);
      expect(rows).toEqual([
        { id: '1', requestId: 'r0' },
        { id: '2', requestId: 'r1' },
        { id: '3', requestId: 'r2' },
      ]);
      // New entries get the next ids without naming one.
      await db.sql.exec(`INSERT INTO "AccessLog" ("clientId", "borrowerId", "kind", "domain", "purpose", "requestId") VALUES ('c', '${borrower}', 'API_READ', 'LOANS', 'p', 'r3')`);
      const next = await db.sql.query<{ id: string }>(`SELECT "id"::text AS id FROM "AccessLog" WHERE "requestId" = 'r3'`);
      expect(next).toEqual([{ id: '4' }]);
    } finally {
      await rm(before, { recursive: true, force: true });
      await db.close();
    }
  });
});
