import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listMigrations, migrate, MIGRATIONS_DIR, pendingMigrations } from '../../src/store/migrate';
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
});
