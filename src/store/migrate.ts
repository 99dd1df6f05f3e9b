/**
 * Applies the committed SQL migrations in prisma/migrations, in name order,
 * each in its own transaction together with its record in Prisma's `_prisma_migrations`
 * table (same columns and sha256 checksum as `prisma migrate deploy`), under a
 * PostgreSQL advisory lock so concurrent instances migrate once.
 *
 * Why not `prisma migrate deploy`: here it can only run through a driver
 * adapter, and both fail for us — the PGlite adapter cannot run multi-statement
 * migration files ("cannot insert multiple commands into a prepared statement")
 * and the pg adapter hits prisma/orm#27403. This runner uses the drivers'
 * simple-query paths, which accept whole migration files.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The minimal SQL surface the runner needs from PGlite or node-postgres. */
export interface SqlExecutor {
  /** Runs one or more statements with no parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
  /** Runs one parameterized query and returns its rows. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Directory holding `<timestamp>_<name>/migration.sql` folders. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

const LOCK_KEY = 72_707_331; // arbitrary constant: "satukredit migrations"

/** A migration found on disk. */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** Lists migrations on disk in apply order. */
export async function listMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    entries.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Brings the database up to date.
 * @returns names of the migrations applied by this call (empty when already current).
 * @throws Error when an applied migration's checksum differs from the file (edited after apply).
 */
export async function migrate(db: SqlExecutor, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await listMigrations(dir);
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  try {
    await db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const done = await db.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Map(done.map((r) => [r.migration_name, r.checksum]));
    const ran: string[] = [];
    for (const f of files) {
      const prior = applied.get(f.name);
      if (prior !== undefined) {
        if (prior !== f.checksum) throw new Error(`migration ${f.name} was edited after it was applied (checksum differs)`);
        continue;
      }
      // The migration and its record commit together: a crash leaves both or neither.
      const record = `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (${quote(randomUUID())}, ${quote(f.checksum)}, now(), ${quote(f.name)}, 1)`;
      await db.exec(`BEGIN;\n${f.sql}\n;\n${record};\nCOMMIT;`).catch(async (e: unknown) => {
        await db.exec('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${f.name} failed: ${(e as Error).message}`);
      });
      ran.push(f.name);
    }
    return ran;
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  }
}

/** A SQL string literal (the simple-query protocol takes no parameters). */
function quote(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** Names of migrations on disk not yet applied (for readiness checks). */
export async function pendingMigrations(db: SqlExecutor, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await listMigrations(dir);
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
  if (!exists[0]?.t) return files.map((f) => f.name);
  const done = await db.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const names = new Set(done.map((r) => r.migration_name));
  return files.filter((f) => !names.has(f.name)).map((f) => f.name);
}
