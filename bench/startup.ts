/**
 * Start-up time of `satukredit start` (what `npm start` runs): migrate, start the provider sandbox, link the seed
 * borrower "John" through the consent flow, print the banner and serve, while every other demo borrower's consents
 * are given through the consent flow in the background. Measured, never asserted.
 *
 *   npx tsx bench/startup.ts --borrowers 6000 --database-url postgresql://postgres@127.0.0.1:5432/postgres
 *   npx tsx bench/startup.ts --borrowers 60 --embedded          # PGlite in a temporary DATA_DIR
 *
 * On a PostgreSQL server it creates a fresh database `satukredit_bench_<random>` (dropped at the end). As `npm start`
 * does, it compiles first (`node scripts/build.mjs`, the prestart step; timed apart, not part of start-up), then starts
 * `node --enable-source-maps --heap-growing-percent=20 dist/app/cli.mjs start`, as package.json's start script (`--tsx`: `node bin/satukredit.mjs start`, the sources through
 * tsx) with DATABASE_URL (or DATA_DIR), SANDBOX_BORROWERS and a free PORT, and measures
 * the wall time until GET /readyz first answers 200 (the server listens), until the ready banner ("Satu Kredit
 * GraphQL API: ...", printed once John is linked: the start-up time, the one issue 12 targets) and until the final
 * "all demo consents given" line (every demo borrower linked; `--banner-only` stops the child at the banner
 * instead), the child's CPU (user + system, /proc) at the banner and at the end, the CPU of the benchmark database's
 * backends still connected at the end (a lower bound) and of every PostgreSQL process on the machine over the same
 * span (an upper bound: other databases count too), and the API requests the child logged. It then counts the
 * ACTIVE demo consents in the database. The child is then stopped with SIGTERM (killed if it has not exited 60 s
 * later; the summary says which). With `--restart`
 * it starts a second time on the same database and reports whether that added any consent (it must not).
 * `--table-stats` prints, per table, the rows PostgreSQL read by sequential and index scans (pg_stat_user_tables).
 * `--cpu-prof <dir>` runs the child under `node --cpu-prof` (profile written to <dir> when it stops).
 * Prints the machine's load average before and after, and one summary line per start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { allPostgresCpuSeconds, cpuSecondsOf, cpuSplitOf, freePort } from './proc';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const READY_LINE = /Satu Kredit GraphQL API: (\S+)\/graphql/;
/** How long a child gets to exit after SIGTERM before it is killed (SIGKILL). */
const STOP_TIMEOUT_MS = 60_000;

const { values: args } = parseArgs({
  options: {
    borrowers: { type: 'string', default: '6000' },
    'database-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' },
    embedded: { type: 'boolean', default: false },
    restart: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'table-stats': { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    'banner-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    'timeout-s': { type: 'string', default: '1800' },
  },
});
if (args.help) {
  process.stdout.write(`npm run bench:startup -- [--borrowers N] [--database-url URL | --embedded] [--restart] [--banner-only]
                              [--table-stats] [--cpu-prof DIR] [--tsx] [--timeout-s S]
  Times satukredit start: to /readyz 200, to the banner (start-up) and to "all demo consents given" (see bench/startup.ts).
`);
  process.exit(0);
}
const borrowers = Number(args.borrowers);
const timeoutMs = Number(args['timeout-s']) * 1000;

/** What one start measured. */
interface StartRun {
  /** From SIGTERM to exit; whether it exited by itself within STOP_TIMEOUT_MS (else it was killed). */
  readonly stopMs: number;
  readonly stoppedCleanly: boolean;
  readonly readyzMs: number | null;
  /** To the banner: the start-up time. */
  readonly readyMs: number;
  /** To the final "all demo consents given" line (null with --banner-only). */
  readonly seededMs: number | null;
  /** The child's CPU at the banner, and at the end (the final line, or the banner with --banner-only). */
  readonly cpuAtReady: { user: number; system: number } | null;
  readonly cpu: { user: number; system: number } | null;
  /** CPU seconds of every PostgreSQL process on the machine over the start (other databases' work included). */
  readonly pgCpu: number | null;
  /** CPU seconds of the benchmark database's backends still connected at ready (the pool's; a lower bound). */
  readonly dbCpu: number | null;
  readonly seedLog: Record<string, unknown> | null;
  /** API requests the child logged ("request completed" lines, LOG_LEVEL info) until the end. */
  readonly requests: number;
}

/** Starts `satukredit start`, waits for the ready banner and (unless --banner-only) the final seeding line, measures, then stops it with SIGTERM. */
async function startOnce(env: Record<string, string>, label: string, backendCpu: () => Promise<number | null>): Promise<StartRun> {
  const port = await freePort();
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(args['cpu-prof'])] : [];
  const pg0 = args.embedded ? null : allPostgresCpuSeconds();
  const t0 = performance.now();
  const cli = args.tsx ? ['bin/satukredit.mjs'] : ['--enable-source-maps', '--heap-growing-percent=20', 'dist/app/cli.mjs'];
  const child: ChildProcess = (running = spawn(process.execPath, [...nodeArgs, ...cli, 'start'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port), SANDBOX_BORROWERS: String(borrowers) },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  // The output is read line by line (a 6000-borrower start logs ~100,000 request lines): the last 64 KiB kept
  // for errors, request lines counted, the seeding summary kept.
  let tail = '';
  let requests = 0;
  let seedLine: string | null = null;
  let readyzMs: number | null = null;
  let readyMs: number | null = null;
  let cpuAtReady: { user: number; system: number } | null = null;
  let markSeeded: () => void = () => undefined;
  let failSeeding: (e: Error) => void = () => undefined;
  const seeded = new Promise<void>((resolve, reject) => {
    markSeeded = resolve;
    failSeeding = reject;
  });
  seeded.catch(() => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      const e = new Error(`${label}: not ready within ${timeoutMs} ms; output:\n${tail.slice(-3000)}`);
      reject(e);
      failSeeding(e);
    }, timeoutMs);
    const reader = () => {
      let partial = '';
      return (c: Buffer) => {
        const text = c.toString();
        tail = (tail + text).slice(-65536);
        const lines = (partial + text).split('\n');
        partial = lines.pop()!;
        onLines(lines);
      };
    };
    const onLines = (lines: string[]) => {
      for (const line of lines) {
        if (line.includes('"request completed"')) requests++;
        else if (line.startsWith('{') && line.includes('demo consents given')) {
          // "all demo consents given ..." (before this change the seeding's summary, printed before the banner)
          seedLine = line;
          markSeeded();
        } else if (line.startsWith('{') && line.includes('demo seeding failed')) failSeeding(new Error(`${label}: ${line}`));
        else if (READY_LINE.test(line) && readyMs === null) {
          readyMs = performance.now() - t0;
          cpuAtReady = cpuSplitOf(child.pid!);
          if (args['banner-only']) clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout!.on('data', reader());
    child.stderr!.on('data', reader());
    void seeded.then(() => clearTimeout(timer), () => clearTimeout(timer));
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      const e = new Error(`${label}: exited (${sig ?? code}) before ready; output:\n${tail.slice(-3000)}`);
      reject(e);
      failSeeding(e);
    });
  });
  // /readyz answers once the HTTP server listens (before the demo consents are given).
  let polling = true;
  const poll = (async () => {
    while (polling && readyzMs === null) {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      if (r?.status === 200) readyzMs = performance.now() - t0;
      await r?.body?.cancel().catch(() => undefined);
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  try {
    await ready;
  } finally {
    polling = false;
    await poll;
  }
  let seededMs: number | null = null;
  if (!args['banner-only']) {
    await seeded;
    seededMs = performance.now() - t0;
  }
  const cpu = cpuSplitOf(child.pid!);
  const pg1 = args.embedded ? null : allPostgresCpuSeconds();
  const dbCpu = await backendCpu();
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stopT0 = performance.now();
  child.kill('SIGTERM');
  // A child that does not finish its shutdown is killed, and the run says so (the figures above are already taken).
  let killTimer: NodeJS.Timeout | undefined;
  const stoppedCleanly = await Promise.race([exited.then(() => true), new Promise<boolean>((res) => (killTimer = setTimeout(() => res(false), STOP_TIMEOUT_MS)))]);
  clearTimeout(killTimer);
  if (!stoppedCleanly) {
    child.kill('SIGKILL');
    await exited;
  }
  const stopMs = performance.now() - stopT0;
  let seedLog: Record<string, unknown> | null = null;
  if (seedLine !== null) {
    try {
      seedLog = JSON.parse(seedLine) as Record<string, unknown>;
    } catch {
      seedLog = { line: seedLine };
    }
  }
  return { stopMs, stoppedCleanly, readyzMs, readyMs: readyMs!, seededMs, cpuAtReady, cpu, pgCpu: pg0 !== null && pg1 !== null ? pg1 - pg0 : null, dbCpu, seedLog, requests };
}

/** The `satukredit start` child running now, and how to drop the benchmark database: for an interrupted run. */
let running: ChildProcess | null = null;
let dropDatabase: () => Promise<void> = async () => undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running?.kill('SIGTERM');
    void dropDatabase().finally(() => process.exit(130));
  });
}

const f1 = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n.toFixed(1));
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(): Promise<void> {
  if (!args.tsx) {
    const t = performance.now();
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
    process.stdout.write(`startup bench: compiled (node scripts/build.mjs, npm start's prestart) in ${f1((performance.now() - t) / 1000)} s\n`);
  }
  const env: Record<string, string> = {};
  let cleanup: () => Promise<void> = async () => undefined;
  let backendCpu: () => Promise<number | null> = async () => null;
  let tableStats: () => Promise<string> = async () => '';
  let count: () => Promise<{ aggregator: number; refinancer: number; borrowers: number; accounts: number } | null> = async () => null;
  let target: string;
  if (args.embedded) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'satukredit-bench-'));
    env.DATA_DIR = dir;
    target = `PGlite in ${dir}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const admin = args['database-url']!;
    const name = `satukredit_bench_${randomBytes(6).toString('hex')}`;
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    const version = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    await c.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    target = `PostgreSQL ${version} database ${name}`;
    count = async () => {
      const q = new pg.Client({ connectionString: env.DATABASE_URL });
      await q.connect();
      try {
        const r = await q.query<{ a: string; r: string; b: string; p: string }>(
          `SELECT (SELECT count(*) FROM "Consent" WHERE "clientId" = 'demo-aggregator' AND status = 'ACTIVE') AS a,
                  (SELECT count(*) FROM "Consent" WHERE "clientId" = 'demo-refinancer' AND status = 'ACTIVE') AS r,
                  (SELECT count(*) FROM "Borrower") AS b, (SELECT count(*) FROM "ProviderAccount") AS p`,
        );
        const row = r.rows[0]!;
        return { aggregator: Number(row.a), refinancer: Number(row.r), borrowers: Number(row.b), accounts: Number(row.p) };
      } finally {
        await q.end();
      }
    };
    tableStats = async () => {
      const q = new pg.Client({ connectionString: env.DATABASE_URL });
      await q.connect();
      try {
        await q.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
        const r = await q.query<{ relname: string; seq_scan: string; seq_tup_read: string; idx_scan: string; idx_tup_fetch: string; n_tup_ins: string; n_tup_upd: string }>(
          `SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, coalesce(idx_tup_fetch, 0) AS idx_tup_fetch, n_tup_ins, n_tup_upd
             FROM pg_stat_user_tables ORDER BY seq_tup_read + coalesce(idx_tup_fetch, 0) DESC LIMIT 12`,
        );
        return r.rows.map((t) => `  ${t.relname}: seq scans ${t.seq_scan} (${t.seq_tup_read} rows), index scans ${t.idx_scan} (${t.idx_tup_fetch} rows), inserted ${t.n_tup_ins}, updated ${t.n_tup_upd}`).join('\n');
      } finally {
        await q.end();
      }
    };
    backendCpu = async () => {
      const q = new pg.Client({ connectionString: admin });
      await q.connect();
      try {
        const pids = (await q.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).rows.map((r) => r.pid);
        return pids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0), 0);
      } finally {
        await q.end();
      }
    };
    cleanup = async () => {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    };
  }
  dropDatabase = cleanup;
  process.stdout.write(`startup bench: ${borrowers} borrowers on ${target}; ${os.cpus().length} cores; load average before ${load()}\n`);
  try {
    const runs = args.restart ? ['first start', 'restart'] : ['first start'];
    for (const label of runs) {
      const r = await startOnce(env, label, backendCpu);
      const counts = await count();
      if (args['table-stats']) process.stdout.write(`${label}: table statistics\n${await tableStats()}\n`);
      const seed = r.seedLog ? `seed log: consents ${String(r.seedLog.consents)} existing ${String(r.seedLog.existing)} in ${String(r.seedLog.ms)} ms` : 'no seed log line';
      process.stdout.write(
        `${label}: start-up (banner) in ${f1(r.readyMs / 1000)} s (readyz 200 at ${f1(r.readyzMs === null ? null : r.readyzMs / 1000)} s; child CPU to the banner ${f1(r.cpuAtReady ? r.cpuAtReady.user + r.cpuAtReady.system : null)} s); ` +
          `all demo consents given at ${r.seededMs === null ? 'n/a (--banner-only)' : `${f1(r.seededMs / 1000)} s`}; child CPU ${f1(r.cpu ? r.cpu.user + r.cpu.system : null)} s (user ${f1(r.cpu?.user)}, system ${f1(r.cpu?.system)}); ` +
          `PostgreSQL CPU: benchmark database's backends ${f1(r.dbCpu)} s, all PostgreSQL processes ${f1(r.pgCpu)} s; API requests ${r.requests}; ${seed}${counts ? `; DB: ACTIVE consents aggregator ${counts.aggregator}, refinancer ${counts.refinancer}, borrowers ${counts.borrowers}, accounts ${counts.accounts}` : ''}; stopped ${r.stoppedCleanly ? `by SIGTERM in ${f1(r.stopMs / 1000)} s` : `by SIGKILL: no exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM`}; load average ${load()}\n`,
      );
    }
  } finally {
    await cleanup();
  }
  process.stdout.write(`load average after ${load()}\n`);
}

await main();
