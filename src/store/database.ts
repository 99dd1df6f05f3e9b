/**
 * Database factory. Two targets, one way of reaching them: the PostgreSQL wire protocol through a pg pool,
 * Prisma's pg driver adapter (`@prisma/adapter-pg`) on that pool, and plain SQL on the same pool (plus,
 * on request, PGlite inside this process).
 *
 * - A PostgreSQL server when DATABASE_URL is set (`{ url }`): a pool of 10 connections for requests and one
 *   of WORK_POOL_SIZE for background work.
 * - The embedded default (`{ dataDir }`, `memory://` for an in-memory database): PGlite (PostgreSQL compiled
 *   to WebAssembly) in a child process of its own (./pglite-server.ts, forked here), served on a unix socket
 *   with @electric-sql/pglite-socket. PGlite's 300-500 MiB stay out of the API process, whose pid and the
 *   database's (`childPid`) are two processes. PGlite has one session: the API holds ONE connection to it,
 *   shared by Prisma, `sql` and `work` (pg.Pool `max: 1`, queued in the pool while checked out), so a
 *   transaction excludes every other statement as it did in process; the child closes PGlite cleanly on
 *   `close()` and when the API process goes away.
 * - `inProcess` (the default for `memory://` only, i.e. tests): PGlite in this process through
 *   pglite-prisma-adapter, for start-up time and per-statement latency where memory does not matter.
 *
 * The same migrations (./migrate.ts, plain SQL on one connection) serve both.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client';
import { migrate, type SqlExecutor } from './migrate';
import type { PgliteServerMessage } from './pglite-server';

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
   * connections, so that it never queues behind requests; embedded, the same one connection as `sql`.
   */
  readonly work: SqlStore;
  /**
   * 'embedded' (PGlite in its own process, one instance by design: the application keeps its publisher,
   * rate limits and scheduler in process) or 'server' (PostgreSQL, shared by any number of instances).
   */
  readonly kind: 'embedded' | 'server';
  /** The PostgreSQL URL of a server database (job queues connect to it); undefined when embedded. */
  readonly url?: string;
  /** The connection pool of a server database (Prisma, raw SQL and the GraphQL rate limiter share it); undefined when embedded. */
  readonly pool?: pg.Pool;
  /**
   * The pid of the embedded database's process (PGlite served over a unix socket), a child of this one;
   * undefined on a server and for PGlite in this process (`inProcess`). Its memory is not this process's: a
   * measurement of the application adds both.
   */
  readonly childPid?: number;
  /** Ends every connection and, when embedded, closes PGlite (flushed to the data directory) and waits for its process to exit. */
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

/** Plain SQL on PGlite in this process (`inProcess`; one connection: its transactions exclude every other statement). */
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
/** Socket errors of a connection that could not be made or was cut (and ENOENT from `connect`: a unix socket that is gone). */
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
    const x = e as { name?: unknown; syscall?: unknown; code?: unknown; errorCode?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown };
    for (const c of [x.code, x.errorCode, x.originalCode]) {
      if (typeof c !== 'string') continue;
      if (UNAVAILABLE_PRISMA.has(c) || UNAVAILABLE_SOCKET.has(c) || UNAVAILABLE_SQLSTATE.test(c)) return true;
      if (c === 'ENOENT' && x.syscall === 'connect') return true;
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

/**
 * Whether `err` is an error the database server answered a statement with (a SQLSTATE code and a severity: a
 * deadlock, a constraint, a failed cast), as pg and PGlite report them; not a connection failure
 * (`isDatabaseUnavailable`).
 */
export function isDatabaseError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const x = err as { code?: unknown; severity?: unknown };
  return typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && typeof x.severity === 'string';
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

/** Where `openDatabase` reports what happens to the embedded database's process outside any call (a pino logger fits). */
export interface DatabaseLog {
  error(obj: object, msg: string): void;
}

/** How long the embedded database's process may take to open PGlite (a new data directory runs initdb). */
export const EMBEDDED_START_TIMEOUT_MS = 120_000;
/** How long `close()` waits for the embedded database's process to close PGlite and exit before killing it. */
const EMBEDDED_STOP_TIMEOUT_MS = 60_000;

/**
 * The embedded database's entry module next to the module running this code: ./pglite-server.ts in the
 * sources (forked with tsx's loader), `pglite-server.mjs` beside the bundle in dist/ (scripts/build.mjs
 * writes one beside each bundle that includes this module).
 */
function pgliteServerEntry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  if (/\.[cm]?ts$/.test(new URL(here).pathname)) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { file: fileURLToPath(new URL('./pglite-server.ts', here)), execArgv: ['--import', tsx] };
  }
  return { file: fileURLToPath(new URL('./pglite-server.mjs', here)), execArgv: process.execArgv.filter((a) => a === '--enable-source-maps') };
}

/** Forks the embedded database's process and waits until it serves `dataDir` on its socket. */
async function startEmbedded(dataDir: string): Promise<{ child: ChildProcess; host: string; port: number }> {
  const { file, execArgv } = pgliteServerEntry();
  const dir = dataDir === 'memory://' ? dataDir : path.resolve(dataDir);
  const child = fork(file, [dir], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the embedded database (${dir}) did not open within ${EMBEDDED_START_TIMEOUT_MS / 1000} s`)), EMBEDDED_START_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', reject);
      };
      const onMessage = (m: PgliteServerMessage) => {
        done();
        if (m.type === 'ready') resolve({ child, host: m.host, port: m.port });
        else reject(new Error(`the embedded database (${dir}) could not be opened: ${m.message}`));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        reject(new Error(`the embedded database's process (${file}) exited before it was ready (${signal ?? `exit code ${code}`})`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', (e) => {
        done();
        reject(e);
      });
    });
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw e;
  }
}

/** Asks the embedded database's process to close PGlite and exit, and waits for it (killing it after EMBEDDED_STOP_TIMEOUT_MS). */
async function stopEmbedded(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'close' }, () => undefined);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), EMBEDDED_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Options of `openDatabase`. */
export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Where the embedded database's process exiting while open is reported (default: a process warning). */
  log?: DatabaseLog;
  /**
   * Embedded only: open PGlite in this process (through pglite-prisma-adapter, no socket, no second process)
   * instead of its own process. Default: true for `memory://`, false for a data directory. In process it
   * starts faster and each statement skips a socket round trip, which the test suite (hundreds of short-lived
   * in-memory databases on a busy machine) needs; a data directory, `npm start`'s default, always gets its
   * own process unless this is set.
   */
  inProcess?: boolean;
}

/**
 * Opens the database and, unless `migrate: false`, applies pending migrations. Embedded, this starts the
 * database's own process (see the module doc; unless `inProcess`); `log` hears of it exiting while open.
 * @throws when the server is unreachable, the embedded data directory is open in another process, or a migration fails.
 */
export async function openDatabase(target: DatabaseTarget, opts: OpenOptions = {}): Promise<Database> {
  if ('url' in target) {
    // One pool for Prisma (through the adapter) and raw SQL, ended here so that close() returns only
    // once every connection is gone. An idle connection the server ends (restart, failover, a dropped
    // test database) is taken out of the pool by pg; the error must not crash the process. A connection
    // attempt gives up after CONNECT_TIMEOUT_MS (a server that does not answer fails requests with a clear
    // error instead of holding them), and TCP keepalive finds connections a vanished server left half-open.
    const pool = serverPool(target.url, 10);
    const sql = poolStore(pool);
    // Migrations need one session (advisory lock + BEGIN/COMMIT): run them on a dedicated client.
    if (opts.migrate !== false) await migrateOn(pool);
    const prisma = new PrismaClient({ adapter: releasingTransactions(new PrismaPg(pool)) });
    const workPool = serverPool(target.url, WORK_POOL_SIZE);
    return {
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
  }

  if (opts.inProcess ?? target.dataDir === 'memory://') return openInProcess(target.dataDir, opts);
  const { child, host, port } = await startEmbedded(target.dataDir);
  let closing = false;
  child.once('exit', (code, signal) => {
    if (closing) return;
    // Every statement from now on fails as a server that went away does (ECONNREFUSED: DATABASE_UNAVAILABLE).
    const msg = `the embedded database's process (pid ${child.pid}) exited unexpectedly; database requests fail until the application is restarted`;
    const fields = { dataDir: target.dataDir, pid: child.pid, exitCode: code, signal };
    if (opts.log) opts.log.error(fields, msg);
    else process.emitWarning(`${msg} (${signal ?? `exit code ${code}`})`, { code: 'SATUKREDIT_DATABASE_EXITED' });
  });
  // ONE connection (see the module doc), never closed for idleness. Its session is PGlite's only one, so a
  // replacement connection (after an error ended the last) starts by discarding what the previous one left
  // (its prepared statements, which pg would prepare again under the same names, settings, advisory locks)
  // before the pool hands it out (pg-pool's `onConnect`). pg's PG* environment variables must not matter here.
  const pool = new pg.Pool({
    host,
    port,
    user: 'postgres',
    password: '',
    database: 'postgres',
    ssl: false,
    max: 1,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    onConnect: async (client) => {
      await client.query('DISCARD ALL');
    },
  });
  pool.on('error', () => undefined);
  try {
    if (opts.migrate !== false) await migrateOn(pool);
  } catch (e) {
    closing = true;
    await pool.end().catch(() => undefined);
    await stopEmbedded(child);
    throw e;
  }
  const sql = poolStore(pool);
  const prisma = new PrismaClient({ adapter: releasingTransactions(new PrismaPg(pool)) });
  return {
    prisma,
    sql,
    work: sql,
    kind: 'embedded',
    childPid: child.pid,
    async close() {
      closing = true;
      try {
        await prisma.$disconnect();
        await pool.end();
      } finally {
        await stopEmbedded(child);
      }
    },
  };
}

/** PGlite in this process (`inProcess`): plain SQL on it and Prisma through pglite-prisma-adapter. */
async function openInProcess(dataDir: string, opts: OpenOptions): Promise<Database> {
  if (dataDir !== 'memory://') await mkdir(dataDir, { recursive: true });
  const lite = dataDir === 'memory://' ? new PGlite() : new PGlite(dataDir);
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

/** Applies pending migrations on one connection of `pool` (they need one session: advisory lock, BEGIN/COMMIT). */
async function migrateOn(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await migrate(clientExecutor(client));
  } finally {
    client.release();
  }
}
