/**
 * Database factory: embedded PGlite in a data directory (default), or a
 * PostgreSQL server when DATABASE_URL is set. Both are reached through Prisma
 * driver adapters; the same migrations serve both.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client';
import { migrate, type SqlExecutor } from './migrate';

export { PrismaClient };

/** An open database: the Prisma client, a raw executor for migrations/health, and a closer. */
export interface Database {
  readonly prisma: PrismaClient;
  readonly sql: SqlExecutor;
  /** 'embedded' (PGlite) or 'server' (PostgreSQL). */
  readonly kind: 'embedded' | 'server';
  /** The PostgreSQL URL of a server database (job queues connect to it); undefined when embedded. */
  readonly url?: string;
  /** The connection pool of a server database (Prisma, raw SQL and the GraphQL rate limiter share it); undefined when embedded. */
  readonly pool?: pg.Pool;
  close(): Promise<void>;
}

/** Where to connect: a PostgreSQL URL, or a PGlite data directory (`memory://` for an in-memory database). */
export type DatabaseTarget = { url: string } | { dataDir: string };

/**
 * Opens the database and, unless `migrate: false`, applies pending migrations.
 * @throws when the server is unreachable or a migration fails.
 */
export async function openDatabase(target: DatabaseTarget, opts: { migrate?: boolean } = {}): Promise<Database> {
  let db: Database;
  if ('url' in target) {
    // One pool for Prisma (through the adapter) and raw SQL, ended here so that close() returns only
    // once every connection is gone. An idle connection the server ends (restart, failover, a dropped
    // test database) is taken out of the pool by pg; the error must not crash the process.
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    pool.on('error', () => undefined);
    const sql: SqlExecutor = {
      async exec(text) {
        await pool.query(text);
      },
      async query<T>(text: string, params?: unknown[]) {
        return (await pool.query(text, params)).rows as T[];
      },
    };
    // Migrations need one session (advisory lock + BEGIN/COMMIT): run them on a dedicated client.
    if (opts.migrate !== false) {
      const client = await pool.connect();
      try {
        await migrate({
          async exec(text) {
            await client.query(text);
          },
          async query<T>(text: string, params?: unknown[]) {
            return (await client.query(text, params)).rows as T[];
          },
        });
      } finally {
        client.release();
      }
    }
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    db = {
      prisma,
      sql,
      kind: 'server',
      url: target.url,
      pool,
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
    return db;
  }
  if (target.dataDir !== 'memory://') await mkdir(target.dataDir, { recursive: true });
  const lite = target.dataDir === 'memory://' ? new PGlite() : new PGlite(target.dataDir);
  await lite.waitReady;
  const sql: SqlExecutor = {
    async exec(text) {
      await lite.exec(text);
    },
    async query<T>(text: string, params?: unknown[]) {
      return (await lite.query<T>(text, params)).rows;
    },
  };
  if (opts.migrate !== false) await migrate(sql);
  // The adapter package pins an older @prisma/driver-adapter-utils; its runtime contract matches.
  const adapter = new PrismaPGlite(lite) as unknown as ConstructorParameters<typeof PrismaClient>[0] extends { adapter?: infer A } ? A : never;
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    sql,
    kind: 'embedded',
    async close() {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}
