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

/** Plain SQL with transactions: statements on one connection, committed together. */
export interface SqlStore extends SqlExecutor {
  /**
   * Runs `fn` in a transaction on one connection (BEGIN, then COMMIT, or ROLLBACK when `fn` throws; `fn`
   * must not run statements in parallel on its executor). `asyncCommit` commits without waiting for the
   * WAL flush (`SET LOCAL synchronous_commit = off`): for work that is redone when lost (a PostgreSQL crash
   * may undo the last such commits, never half of one).
   * @throws what `fn` or the database throws (the transaction is rolled back).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts?: { asyncCommit?: boolean }): Promise<T>;
}

/** An open database: the Prisma client, plain SQL on the same connections, plain SQL for background work, and a closer. */
export interface Database {
  readonly prisma: PrismaClient;
  /** Plain SQL on the request path (migrations, health, webhook intake): the pool Prisma uses. */
  readonly sql: SqlStore;
  /**
   * Plain SQL for background work (the event applier): on a server its own pool of `WORK_POOL_SIZE`
   * connections, so that it never queues behind requests; the same PGlite when embedded.
   */
  readonly work: SqlStore;
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
/** Connections of the background-work pool on a PostgreSQL server (the event applier's concurrency). */
export const WORK_POOL_SIZE = 4;

/** A pool of connections to a PostgreSQL server that fails fast, survives idle connections ending, and keeps TCP alive. */
function serverPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Names of prepared statements by their text: a parameterized statement is parsed and planned once per
 * connection (pg prepares a named query on first use and reuses it), not on every call.
 */
const statementNames = new Map<string, string>();
const MAX_PREPARED = 200;

function prepared(text: string, values: unknown[] | undefined): pg.QueryConfig {
  if (!values?.length) return { text, values };
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_PREPARED) statementNames.set(text, (name = `sk${statementNames.size}`));
  return name ? { name, text, values } : { text, values };
}

function clientExecutor(client: pg.PoolClient | pg.Pool): SqlExecutor {
  return {
    async exec(text) {
      await client.query(text);
    },
    async query<T>(text: string, params?: unknown[]) {
      return (await client.query(prepared(text, params))).rows as T[];
    },
  };
}

/** Plain SQL on a pg pool; a transaction whose ROLLBACK fails ends its connection instead of reusing it. */
function poolStore(pool: pg.Pool): SqlStore {
  return {
    ...clientExecutor(pool),
    async transaction(fn, opts) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out connection the server ends (restart, shutdown) emits 'error': the statement in flight fails instead.
      const onError = (e: Error) => {
        broken = e;
      };
      client.on('error', onError);
      try {
        await client.query(opts?.asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
        const out = await fn(clientExecutor(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (e2) {
          broken = e2 as Error;
        }
        throw e;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  };
}

/** Plain SQL on PGlite (one connection: its transactions exclude every other statement). */
function liteStore(lite: PGlite): SqlStore {
  return {
    async exec(text) {
      await lite.exec(text);
    },
    async query<T>(text: string, params?: unknown[]) {
      return (await lite.query<T>(text, params)).rows;
    },
    transaction(fn) {
      return lite.transaction((tx) =>
        fn({
          async exec(text) {
            await tx.exec(text);
          },
          async query<T>(text: string, params?: unknown[]) {
            return (await tx.query<T>(text, params)).rows;
          },
        }),
      );
    },
  };
}

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
    const pool = serverPool(target.url, 10);
    const sql = poolStore(pool);
    // Migrations need one session (advisory lock + BEGIN/COMMIT): run them on a dedicated client.
    if (opts.migrate !== false) {
      const client = await pool.connect();
      try {
        await migrate(clientExecutor(client));
      } finally {
        client.release();
      }
    }
    const prisma = new PrismaClient({ adapter: releasingTransactions(new PrismaPg(pool)) });
    const workPool = serverPool(target.url, WORK_POOL_SIZE);
    db = {
      prisma,
      sql,
      work: poolStore(workPool),
      kind: 'server',
      url: target.url,
      pool,
      async close() {
        await prisma.$disconnect();
        await Promise.all([pool.end(), workPool.end()]);
      },
    };
    return db;
  }
  if (target.dataDir !== 'memory://') await mkdir(target.dataDir, { recursive: true });
  const lite = target.dataDir === 'memory://' ? new PGlite() : new PGlite(target.dataDir);
  await lite.waitReady;
  const sql = liteStore(lite);
  if (opts.migrate !== false) await migrate(sql);
  // The adapter package pins an older @prisma/driver-adapter-utils; its runtime contract matches.
  const adapter = new PrismaPGlite(lite) as unknown as ConstructorParameters<typeof PrismaClient>[0] extends { adapter?: infer A } ? A : never;
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    sql,
    work: sql,
    kind: 'embedded',
    async close() {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}
