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

/** How long a new connection to a PostgreSQL server may take before the attempt fails, milliseconds. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** SQLSTATEs of a server that cannot serve now: connection exceptions (class 08), shutdown, crash or start-up (57P01-57P03), too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
/** Prisma's codes for an unreachable or closed database (P1001, P1002, P1008, P1017) and too many connections (P2037). */
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2037']);
/** The pg adapter's error kinds (`DriverAdapterError.cause.kind`) for the same. */
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** Socket errors of a connection that could not be made or was cut. */
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** Messages pg and pg-pool give without a code (a connection that ended, a pool that could not connect in time). */
const UNAVAILABLE_MESSAGE = /Connection terminated|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection/i;

/**
 * What Prisma reports instead of a failed COMMIT of a transaction of its own (a write it wraps in one): after the
 * COMMIT fails it tries a rollback, which fails on the transaction it already closed, and that error replaces the
 * COMMIT's. Without deferred constraints or SERIALIZABLE transactions (none here), a COMMIT fails only when the
 * connection does.
 */
const COMMIT_FAILED = /A rollback cannot be executed on a committed transaction/;

/**
 * Whether an error means the PostgreSQL server cannot be reached or served the connection no longer (down,
 * restarting, shutting down, too many connections), however it arrives: a pg or pg-pool error, the pg
 * adapter's DriverAdapterError, or a Prisma error wrapping one (its `cause`, `meta.driverAdapterError`).
 * Such a failure says nothing about the request: the same request may succeed once the server is back.
 * Causes are followed only inside Prisma's and the adapter's errors, so a provider call refused by its host
 * (a fetch error whose cause is ECONNREFUSED) is not taken for the database.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): boolean => {
    if (!e || typeof e !== 'object' || depth > 6 || seen.has(e)) return false;
    seen.add(e);
    const x = e as { name?: unknown; code?: unknown; errorCode?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown };
    for (const c of [x.code, x.errorCode, x.originalCode]) {
      if (typeof c !== 'string') continue;
      if (UNAVAILABLE_PRISMA.has(c) || UNAVAILABLE_SOCKET.has(c) || UNAVAILABLE_SQLSTATE.test(c)) return true;
    }
    if (typeof x.kind === 'string' && UNAVAILABLE_KINDS.has(x.kind)) return true;
    if (typeof x.message === 'string' && (UNAVAILABLE_MESSAGE.test(x.message) || (x.code === 'P2028' && COMMIT_FAILED.test(x.message)))) return true;
    // A connection attempt to several addresses fails with all their errors.
    if (e instanceof AggregateError && e.errors.some((i: unknown) => visit(i, depth + 1))) return true;
    const wrapper = typeof x.name === 'string' && (x.name.startsWith('PrismaClient') || x.name === 'DriverAdapterError');
    return wrapper && (visit(x.cause, depth + 1) || visit(x.meta?.driverAdapterError, depth + 1));
  };
  return visit(err, 0);
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type PgTransaction = Awaited<ReturnType<PgAdapter['startTransaction']>>;

/**
 * The pg adapter, with every interactive transaction's connection given back to the pool however the
 * transaction ends. Prisma's transaction manager sends COMMIT or ROLLBACK and only then asks the adapter to
 * release the connection; when that statement fails (the server went away mid-transaction, a restart) it never
 * asks, and the connection stays checked out for good: each outage that catches a transaction in flight takes
 * one of the pool's connections until none is left and `pool.end()` never returns. Here a failed COMMIT or
 * ROLLBACK releases the connection at once, and a connection released while its transaction may still be
 * open (no COMMIT or ROLLBACK went through) is destroyed instead of reused (pg ends the session, the server
 * rolls it back).
 */
function releasingTransactions(factory: PrismaPg): PrismaPg {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const start = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const tx = await start(isolationLevel);
      return releasing(tx);
    };
    return adapter;
  };
  return factory;
}

function releasing(tx: PgTransaction): PgTransaction {
  // The pooled connection (the adapter's `client`); released with an error, the pool ends it instead of reusing it.
  const conn = (tx as unknown as { client?: { release?: (err?: Error) => void } }).client;
  const commit = tx.commit.bind(tx);
  const rollback = tx.rollback.bind(tx);
  const executeRaw = tx.executeRaw.bind(tx);
  let ended = false;
  let released = false;
  /** Hands the connection back to be ended (the adapter's own release when it cannot be reached). */
  const destroy = async (why: Error) => {
    if (typeof conn?.release !== 'function') return rollback();
    try {
      conn.release(why);
    } catch {
      // Released already.
    }
  };
  const release = async (end: () => Promise<void>) => {
    if (released) return;
    released = true;
    // Without a COMMIT or ROLLBACK that went through, the transaction may still be open on this connection.
    return ended ? end() : destroy(new Error('transaction released without COMMIT or ROLLBACK'));
  };
  tx.executeRaw = async (query) => {
    const end = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i.test(query.sql);
    try {
      const n = await executeRaw(query);
      if (end) ended = true;
      return n;
    } catch (e) {
      // Prisma does not release the connection after a failed COMMIT or ROLLBACK: release (and end) it here.
      if (end && !released) {
        released = true;
        await destroy(e instanceof Error ? e : new Error(String(e))).catch(() => undefined);
      }
      throw e;
    }
  };
  tx.commit = () => release(commit);
  tx.rollback = () => release(rollback);
  return tx;
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
    // test database) is taken out of the pool by pg; the error must not crash the process. A connection
    // attempt gives up after CONNECT_TIMEOUT_MS (a server that does not answer fails requests with a clear
    // error instead of holding them), and TCP keepalive finds connections a vanished server left half-open.
    const pool = new pg.Pool({ connectionString: target.url, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
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
    const prisma = new PrismaClient({ adapter: releasingTransactions(new PrismaPg(pool)) });
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
