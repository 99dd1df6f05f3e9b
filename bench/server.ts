/**
 * Benchmark target, run as a child process of bench/run.ts (`fork`, over IPC):
 * the API server on an ephemeral loopback port, its database (in-memory PGlite or a
 * fresh PostgreSQL database), and consents from every generated borrower to the client
 * `bench-client`. The provider sandbox (latency injected once linking is done) runs in a
 * process of its own (bench/sandbox.ts, forked from here), so that this process's CPU time
 * and RSS are the API's alone, as in production where the providers are other machines.
 *
 * The application is built by `createApp` (src/app.ts) exactly as in production;
 * the benchmark passes overrides (database, hardening, banks), never its own
 * wiring. It answers the parent's commands over IPC:
 *   begin    reset the sandbox counters and this process's samplers (RSS every 100 ms, CPU, event loop, SQL statements)
 *   end      wait until the server is quiet, stop the samplers, report
 *   counts   webhook events and ledger rows in the database
 *   close    close everything and exit
 * and tells the parent `{ type: 'ready', ... }` once it serves.
 *
 * SQL statements are counted where they leave this process, without touching src/: every statement PGlite
 * executes passes `PGlite.prototype.execProtocolRawSync` as a wire-protocol message (Parse for a statement of
 * the extended protocol, which Prisma's adapter and `query` use; Query for a simple-protocol text, which `exec`,
 * BEGIN, COMMIT and ROLLBACK use), and every statement sent to a PostgreSQL server passes
 * `pg.Client.prototype.query` (pools, @prisma/adapter-pg and LISTEN connections all query through a Client).
 * Both are wrapped before the database opens.
 *
 * Run alone for a manual look: `tsx bench/server.ts '{"borrowers":60}'` prints the ready message.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createApp, createLogger, type Database, DEFAULT_LAG_MINUTES, defaultHardening, loadConfig, openDatabase, signClientToken, toGlobalId } from '../src/app';
import { CONSENT_DOMAINS } from '../src/domain/consent';
import { jakartaDate } from '../src/domain/dates';
import { answerConsent, bankSettings, createSandboxBanks, generateDataset, linkRequests, sandboxProviderEnv, sandboxRedirectUri, type SandboxTotals } from '../src/sandbox';
import type { SandboxChildConfig, SandboxReady } from './sandbox';

/** What the parent passes (JSON in argv[2]). */
export interface ChildConfig {
  seed: number;
  borrowers: number;
  latency: { minMs: number; maxMs: number };
  providerTimeoutMs: number;
  logLevel: string;
  /** 'off' (default): the per-client GraphQL cost budget is raised out of reach so one benchmark client can load the server; 'default': the server's default hardening. */
  rateLimit?: 'off' | 'default';
  /** PostgreSQL admin URL: each server gets a fresh database there (dropped at close); unset = in-memory PGlite. */
  databaseUrl?: string | null;
  /** Write a V8 CPU profile of each measured window (begin..end) to this file (numbered when several windows). */
  cpuProfile?: string | null;
  /**
   * Write a V8 sampling heap profile of each measured window (begin..end) to this file: where the window's
   * allocations were made, objects already collected by minor and major GCs included (numbered when several windows).
   */
  heapProfile?: string | null;
  /** Write the distinct SQL statements of each measured window (begin..end) with their counts to this file (numbered when several windows). */
  sqlLog?: string | null;
}

/** The ready message. */
export interface ReadyMessage {
  type: 'ready';
  url: string;
  token: string;
  finfraAuthKey: string;
  /** Finfra loanUniqueIds of linked borrowers (webhook targets). */
  finfraLoanIds: string[];
  /**
   * Global ids of the linked borrowers in the dataset's order (the seed borrower "John" first). Linking runs on
   * 8 workers, so the API's own order (by creation) differs from run to run and between databases; the parent
   * orders its fixtures by this list so that every run and both databases read the same borrowers.
   */
  borrowerIds: string[];
  today: string;
  borrowers: number;
  setupMs: number;
  rssAfterSetup: number;
  database: 'embedded' | 'server';
  /** `SHOW server_version` of the database (PGlite's PostgreSQL version when embedded). */
  databaseVersion: string;
  /** This process's id (the parent reads /proc/<pid> for CPU and RSS). */
  pid: number;
  /** The sandbox process's id (bench/sandbox.ts). */
  sandboxPid: number;
  /** The embedded database's process id (PGlite served from its own process, as `npm start` runs it); null on a PostgreSQL server. */
  databasePid: number | null;
  /** The sandbox servers (each has GET /__sandbox/stats). */
  sandboxUrls: { cairin: string; finfra: string; dompetKilat: string };
}

/** What `end` reports. */
export interface EndReport {
  windowMs: number;
  /** HTTP requests the server received during the window (aborted ones included). */
  serverRequests: number;
  /** Of those, answered (response finished). */
  serverAnswered: number;
  /** Time after `end` until no request was in flight and provider counters stood still. */
  httpDrainMs: number;
  /** Then until the webhook applier's queue was empty. */
  applierDrainMs: number;
  applierDrained: boolean;
  sandbox: { total: number; byEndpoint: Record<string, number>; byProvider: Record<string, number> };
  rss: { start: number; peak: number; end: number; samples: number };
  heapUsedPeak: number;
  /** process.resourceUsage().maxRSS (kernel high-water mark since the process started, setup included), bytes. */
  maxRssSinceStart: number;
  /** Server process CPU time during the window / wall time (1.0 = one core busy). */
  cpuCores: number;
  /**
   * Server process CPU time (user + system), ms: `window` from `begin` until the HTTP drain ended (the span of
   * `cpuCores`), `total` until the webhook applier had also caught up (the work the window's requests caused).
   */
  cpuMs: { window: number; total: number };
  /** SQL statements this process sent to its database, over the same two spans as `cpuMs`. */
  sql: { window: SqlCount; total: SqlCount };
  eventLoopUtilization: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/** SQL statements counted: how many, and how many by leading keyword (SELECT, INSERT, BEGIN, ...). */
export interface SqlCount {
  statements: number;
  byKind: Record<string, number>;
}

/** Statements sent so far by this process (never reset; `begin` takes a snapshot, `end` the difference). */
const sqlSent: SqlCount = { statements: 0, byKind: {} };

/** With `sqlLog`: the texts of the statements sent in the current window, with their counts. */
let sqlTexts: Map<string, number> | null = null;

/** Counts one statement by its first keyword (leading comments skipped). */
function countStatement(text: string): void {
  const kind = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'OTHER';
  sqlSent.statements++;
  sqlSent.byKind[kind] = (sqlSent.byKind[kind] ?? 0) + 1;
  if (sqlTexts) {
    const t = text.replace(/\s+/g, ' ').trim();
    sqlTexts.set(t, (sqlTexts.get(t) ?? 0) + 1);
  }
}

/**
 * Counts the statements of a text that may hold several (a simple-protocol query such as
 * `BEGIN; SET LOCAL synchronous_commit = off`): split at semicolons unless it has string literals or
 * dollar quoting, which are not parsed here (such a text counts as one statement).
 */
function countText(text: string): void {
  const parts = /'|\$[A-Za-z_]*\$/.test(text) ? [text] : text.split(';').filter((p) => p.trim());
  for (const p of parts.length ? parts : [text]) countStatement(p);
}

const utf8 = new TextDecoder();

/** The NUL-terminated string at `at` in a wire message (at most `max` bytes read), and where it ends. */
function cString(m: Uint8Array, at: number, max = Infinity): { text: string; end: number } {
  let end = at;
  while (end < m.length && m[end] !== 0) end++;
  return { text: utf8.decode(m.subarray(at, Math.min(end, at + max))), end };
}

/** Counts the Parse ('P': one statement) and Query ('Q': one or more) messages of a frontend wire message. */
function countWire(m: Uint8Array): void {
  let i = 0;
  while (i + 5 <= m.length) {
    const type = m[i]!;
    // A startup message has no type byte: nothing to count.
    if (type < 0x41 || type > 0x7a) return;
    const len = ((m[i + 1]! << 24) | (m[i + 2]! << 16) | (m[i + 3]! << 8) | m[i + 4]!) >>> 0;
    if (type === 0x51) countText(cString(m, i + 5).text);
    else if (type === 0x50) countStatement(cString(m, cString(m, i + 5).end + 1, sqlTexts ? Infinity : 64).text);
    i += 1 + len;
  }
}

// Embedded: every message PGlite executes (query, exec, transactions, Prisma's adapter) passes here.
const execProtocolRawSync = PGlite.prototype.execProtocolRawSync;
PGlite.prototype.execProtocolRawSync = function (this: PGlite, message: Uint8Array): Uint8Array {
  countWire(message);
  return execProtocolRawSync.call(this, message);
};
// PostgreSQL server: Pool.query, @prisma/adapter-pg and raw clients all call Client.query (text or a config with `text`).
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]): unknown {
  const q = args[0];
  const text = typeof q === 'string' ? q : typeof (q as { text?: unknown } | null)?.text === 'string' ? (q as { text: string }).text : null;
  if (text !== null) countText(text);
  return clientQuery.apply(this, args);
};

/** The statements sent since `from` (a snapshot of `sqlSent`). */
function sqlSince(from: SqlCount): SqlCount {
  const byKind: Record<string, number> = {};
  for (const [k, v] of Object.entries(sqlSent.byKind)) if (v - (from.byKind[k] ?? 0) > 0) byKind[k] = v - (from.byKind[k] ?? 0);
  return { statements: sqlSent.statements - from.statements, byKind };
}

const snapshotSql = (): SqlCount => ({ statements: sqlSent.statements, byKind: { ...sqlSent.byKind } });

const cfg: ChildConfig = { seed: 42, borrowers: 60, latency: { minMs: 40, maxMs: 120 }, providerTimeoutMs: 5000, logLevel: 'silent', ...(process.argv[2] ? (JSON.parse(process.argv[2]) as Partial<ChildConfig>) : {}) };

const t0 = performance.now();
const clock = { now: () => new Date() };
const log = createLogger(cfg.logLevel, false);
const today = jakartaDate(new Date());

/**
 * The sandbox process (bench/sandbox.ts, run from its TypeScript source: it is not measured) and its commands over
 * IPC; the dataset is regenerated here from the same seed, count and date to know the borrowers.
 */
async function startSandboxProcess() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // This file runs compiled from dist/bench/ (bench/run.ts) or as TypeScript from bench/.
  const root = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '..', '..') : path.resolve(here, '..');
  const sbCfg: SandboxChildConfig = { seed: cfg.seed, borrowers: cfg.borrowers, today };
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    tsx = 'tsx';
  }
  const cp = fork(path.join(root, 'bench', 'sandbox.ts'), [JSON.stringify(sbCfg)], { cwd: root, execArgv: ['--import', tsx], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const readyP = new Promise<SandboxReady>((resolve, reject) => {
    cp.on('message', (m: { type: string; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.type === 'ready') return resolve(m as unknown as SandboxReady);
      const w = m.id !== undefined ? waiting.get(m.id) : undefined;
      if (!w) return;
      waiting.delete(m.id!);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
    });
    cp.once('exit', (code) => {
      const e = new Error(`bench sandbox process exited (${code})`);
      reject(e);
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
    });
  });
  const call = <T>(cmd: string, extra: object = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      cp.send({ id, cmd, ...extra });
    });
  const r = await readyP;
  return {
    ...r,
    dataset: generateDataset({ seed: cfg.seed, borrowers: cfg.borrowers, today }),
    setLatency: (latency: { minMs: number; maxMs: number }) => call<null>('latency', { latency }),
    resetStats: () => call<null>('resetStats'),
    stats: () => call<SandboxTotals>('stats'),
    close: () => (cp.exitCode === null ? call<null>('close').catch(() => null) : Promise.resolve(null)),
  };
}
// Linking runs without injected latency; the latency is switched on below, before any measurement.
const sandbox = await startSandboxProcess();
/** In-memory PGlite in its own process, or a fresh database on the PostgreSQL server named by `databaseUrl` (dropped by `close`). */
async function openBenchDatabase(): Promise<Database> {
  // The embedded database as npm start runs it: PGlite in a process of its own (an in-memory one here).
  if (!cfg.databaseUrl) return openDatabase({ dataDir: 'memory://' }, { inProcess: false });
  const admin = cfg.databaseUrl;
  const name = `satukredit_bench_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const opened = await openDatabase({ url: url.toString() });
  return {
    ...opened,
    async close() {
      await opened.close();
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}
const db = await openBenchDatabase();
const config = loadConfig({
  NODE_ENV: 'development',
  LOG_LEVEL: cfg.logLevel,
  JWT_SECRET: randomBytes(32).toString('hex'),
  ...sandboxProviderEnv(sandbox),
  PROVIDER_TIMEOUT_MS: String(cfg.providerTimeoutMs),
  FINFRA_CALLBACK_KEY: randomBytes(24).toString('base64url'),
  DOMPETKILAT_CALLBACK_IPS: '127.0.0.1,::1,::ffff:127.0.0.1',
  API_CLIENTS: JSON.stringify({ 'bench-client': { displayName: 'Benchmark', redirectUris: [sandboxRedirectUri(sandbox)] } }),
  OTP_SENDS_PER_IP: '1000000',
  OTP_SENDS_PER_NIK: '1000000',
  // bench/run.ts --no-response-cache sets RESPONSE_CACHE_MB=0 for this child.
  ...(process.env.RESPONSE_CACHE_MB !== undefined ? { RESPONSE_CACHE_MB: process.env.RESPONSE_CACHE_MB } : {}),
  // GRAPHQL_EXECUTOR=graphql-js in bench/run.ts's environment reaches this child (default: the server's, jit).
  ...(process.env.GRAPHQL_EXECUTOR !== undefined ? { GRAPHQL_EXECUTOR: process.env.GRAPHQL_EXECUTOR } : {}),
  // PROVIDER_CONCURRENCY in bench/run.ts's environment reaches this child (default: the server's).
  ...(process.env.PROVIDER_CONCURRENCY !== undefined ? { PROVIDER_CONCURRENCY: process.env.PROVIDER_CONCURRENCY } : {}),
  // GRAPHQL_HEAVY_CONCURRENCY / GRAPHQL_HEAVY_WORK in bench/run.ts's environment reach this child (0: no admission limit).
  ...(process.env.GRAPHQL_HEAVY_CONCURRENCY !== undefined ? { GRAPHQL_HEAVY_CONCURRENCY: process.env.GRAPHQL_HEAVY_CONCURRENCY } : {}),
  ...(process.env.GRAPHQL_HEAVY_WORK !== undefined ? { GRAPHQL_HEAVY_WORK: process.env.GRAPHQL_HEAVY_WORK } : {}),
});
const app = await createApp(config, {
  clock,
  database: db,
  log,
  // As in production, with the sandbox banks' keys so bank settlements verify.
  webhooks: { banks: bankSettings(createSandboxBanks(), DEFAULT_LAG_MINUTES) },
  // Limits, cost analysis and the rate limiter all still run; only the per-client budget is out of reach unless asked for.
  hardening: cfg.rateLimit === 'default' ? undefined : { ...defaultHardening(false), costPerMinute: Number.MAX_SAFE_INTEGER },
  scheduler: false,
});
const applier = app.core.events;
const CLIENT_ID = 'bench-client';
const server = await app.start({ host: '127.0.0.1', port: 0 });
// Every borrower consents the way any borrower does: a consent request, then the consent page (login, codes, approve).
const requests = linkRequests(sandbox.dataset);
const benchToken = signClientToken(app.jwt, CLIENT_ID, ['consent:write']);
let nextBorrower = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (nextBorrower < requests.length) {
      const r = requests[nextBorrower++]!;
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}` },
        body: JSON.stringify({
          query: 'mutation($input: ConsentRequestInput!) { consentRequestCreate(input: $input) { consentUrl userErrors { message } } }',
          variables: { input: { nik: r.nik, fullName: r.fullName, providers: r.providers, domains: [...CONSENT_DOMAINS], purpose: 'benchmark', expiresAt: new Date(Date.now() + 24 * 3600 * 1000).toISOString(), dataLifeSeconds: 24 * 3600, redirectUri: sandboxRedirectUri(sandbox) } },
        }),
      });
      const url = ((await res.json()) as { data?: { consentRequestCreate?: { consentUrl?: string } } }).data?.consentRequestCreate?.consentUrl;
      if (!url) throw new Error('bench consent request failed');
      const o = await answerConsent({ consentUrl: url, smsUrl: sandbox.sms.url, person: r, decision: 'APPROVE' });
      if (o.status !== 'ACTIVE') throw new Error(`bench consent ended ${o.status}`);
    }
  }),
);
// The linked borrowers in dataset order (looked up by NIK; a borrower not found by it is left out).
const linked = await db.prisma.borrower.findMany({ where: { nik: { in: requests.map((r) => r.nik) } }, select: { id: true, nik: true } });
const borrowerIdByNik = new Map(linked.map((b) => [b.nik, b.id]));
const borrowerIds = requests.flatMap((r) => {
  const id = borrowerIdByNik.get(r.nik);
  return id ? [toGlobalId('Borrower', id)] : [];
});
await sandbox.setLatency({ minMs: cfg.latency.minMs, maxMs: cfg.latency.maxMs });
await sandbox.resetStats();

// Requests seen by the HTTP server (a second 'request' listener only counts).
let inFlight = 0;
let started = 0;
let answered = 0;
server.http.on('request', (_req: unknown, res: import('node:http').ServerResponse) => {
  inFlight++;
  started++;
  let done = false;
  const finish = (ok: boolean) => {
    if (done) return;
    done = true;
    inFlight--;
    if (ok) answered++;
  };
  res.once('finish', () => finish(true));
  res.once('close', () => finish(false));
});

// Samplers.
let sampler: NodeJS.Timeout | null = null;
let rss = { start: 0, peak: 0, end: 0, samples: 0 };
let heapUsedPeak = 0;
let windowStart = 0;
let cpuStart = process.cpuUsage();
let eluStart = performance.eventLoopUtilization();
let sqlStart = snapshotSql();
const eld = monitorEventLoopDelay({ resolution: 10 });

function sample(): void {
  const m = process.memoryUsage();
  rss.samples++;
  if (m.rss > rss.peak) rss.peak = m.rss;
  if (m.heapUsed > heapUsedPeak) heapUsedPeak = m.heapUsed;
}

// Optional CPU profile of the measured window only (setup excluded).
let profiler: Session | null = null;
let profiling = false;
let profiles = 0;
let heapProfiling = false;
let heapProfiles = 0;
let sqlLogs = 0;

async function begin(): Promise<void> {
  if (cfg.cpuProfile) {
    profiler ??= new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    profiling = true;
  }
  if (cfg.heapProfile) {
    profiler ??= new Session();
    if (!cfg.cpuProfile) profiler.connect();
    await profiler.post('HeapProfiler.enable');
    await profiler.post('HeapProfiler.startSampling', {
      samplingInterval: 32 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    heapProfiling = true;
  }
  await sandbox.resetStats();
  started = 0;
  answered = 0;
  rss = { start: process.memoryUsage().rss, peak: 0, end: 0, samples: 0 };
  heapUsedPeak = 0;
  sample();
  sampler = setInterval(sample, 100);
  cpuStart = process.cpuUsage();
  eluStart = performance.eventLoopUtilization();
  sqlStart = snapshotSql();
  if (cfg.sqlLog) sqlTexts = new Map();
  eld.reset();
  eld.enable();
  windowStart = performance.now();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until nothing is in flight and the provider counters stood still for `quietMs` (an aborted request may still be calling providers). */
async function quiet(quietMs: number, limitMs: number): Promise<number> {
  const t = performance.now();
  let last = (await sandbox.stats()).total;
  let stillSince = performance.now();
  while (performance.now() - t < limitMs) {
    await sleep(50);
    const now = (await sandbox.stats()).total;
    if (now !== last || inFlight > 0) {
      last = now;
      stillSince = performance.now();
    } else if (performance.now() - stillSince >= quietMs) break;
  }
  return Math.round(performance.now() - t);
}

async function end(): Promise<EndReport> {
  const httpDrainMs = await quiet(750, 60_000);
  const windowMs = performance.now() - windowStart;
  const cpu = process.cpuUsage(cpuStart);
  const sqlWindow = sqlSince(sqlStart);
  const elu = performance.eventLoopUtilization(eluStart);
  eld.disable();
  if (profiler && profiling && cfg.cpuProfile) {
    profiling = false;
    const { profile } = await profiler.post('Profiler.stop');
    if (!heapProfiling) profiler.disconnect();
    const file = profiles++ ? cfg.cpuProfile.replace(/(\.cpuprofile)?$/, `-${profiles}.cpuprofile`) : cfg.cpuProfile;
    await writeFile(file, JSON.stringify(profile));
  }
  if (profiler && heapProfiling && cfg.heapProfile) {
    heapProfiling = false;
    const { profile } = await profiler.post('HeapProfiler.stopSampling');
    profiler.disconnect();
    const file = heapProfiles++ ? cfg.heapProfile.replace(/(\.heapprofile)?$/, `-${heapProfiles}.heapprofile`) : cfg.heapProfile;
    await writeFile(file, JSON.stringify(profile));
  }
  const a0 = performance.now();
  const applierDrained = await Promise.race([applier.idle().then(() => true), sleep(120_000).then(() => false)]);
  const applierDrainMs = Math.round(performance.now() - a0);
  const cpuTotal = process.cpuUsage(cpuStart);
  const sqlTotal = sqlSince(sqlStart);
  if (cfg.sqlLog && sqlTexts) {
    const file = sqlLogs++ ? cfg.sqlLog.replace(/(\.txt)?$/, `-${sqlLogs}.txt`) : cfg.sqlLog;
    const lines = [...sqlTexts].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${String(n).padStart(7)}  ${t}`);
    await writeFile(file, `${sqlTotal.statements} statements (${started} HTTP requests received)\n${lines.join('\n')}\n`);
    sqlTexts = null;
  }
  sample();
  if (sampler) clearInterval(sampler);
  sampler = null;
  rss.end = process.memoryUsage().rss;
  const st = await sandbox.stats();
  return {
    windowMs: Math.round(windowMs),
    serverRequests: started,
    serverAnswered: answered,
    httpDrainMs,
    applierDrainMs,
    applierDrained,
    sandbox: { total: st.total, byEndpoint: st.byEndpoint, byProvider: Object.fromEntries(Object.entries(st.byProvider).map(([k, v]) => [k, v.total])) },
    rss,
    heapUsedPeak,
    maxRssSinceStart: process.resourceUsage().maxRSS * 1024,
    cpuCores: (cpu.user + cpu.system) / 1000 / windowMs,
    cpuMs: { window: (cpu.user + cpu.system) / 1000, total: (cpuTotal.user + cpuTotal.system) / 1000 },
    sql: { window: sqlWindow, total: sqlTotal },
    eventLoopUtilization: elu.utilization,
    eventLoopDelayMs: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
  };
}

async function counts() {
  const [events, applied, failed, repayments] = await Promise.all([
    db.prisma.webhookEvent.count(),
    db.prisma.webhookEvent.count({ where: { appliedAt: { not: null } } }),
    db.prisma.webhookEvent.count({ where: { outcome: 'FAILED' } }),
    db.prisma.ledgerRepayment.count(),
  ]);
  return { webhookEvents: events, applied, failed, ledgerRepayments: repayments };
}

let closing: Promise<void> | null = null;
function close(): Promise<void> {
  closing ??= (async () => {
    if (sampler) clearInterval(sampler);
    await Promise.race([app.close(), sleep(10_000)]);
    await sandbox.close();
    await db.close();
  })();
  return closing;
}

const send = (m: unknown) => (process.send ? process.send(m) : console.log(JSON.stringify(m)));

process.on('message', (m: { id: number; cmd: string }) => {
  const reply = (result: unknown) => send({ type: 'reply', id: m.id, ok: true, result });
  const fail = (e: unknown) => send({ type: 'reply', id: m.id, ok: false, error: String((e as Error)?.stack ?? e) });
  switch (m.cmd) {
    case 'begin':
      return void begin().then(reply, fail);
    case 'end':
      return void end().then(reply, fail);
    case 'counts':
      return void counts().then(reply, fail);
    case 'close':
      return void close().then(
        () => {
          reply(null);
          setTimeout(() => process.exit(0), 100);
        },
        (e) => {
          fail(e);
          process.exit(1);
        },
      );
    default:
      return fail(new Error(`unknown command ${m.cmd}`));
  }
});
// The parent went away: do not linger.
process.on('disconnect', () => {
  if (!closing) void close().finally(() => process.exit(0));
});

const ready: ReadyMessage = {
  type: 'ready',
  url: server.url,
  token: signClientToken(app.jwt, CLIENT_ID, ['credit:read', 'payoff:read']),
  finfraAuthKey: app.webhooks.finfraAuthKey!,
  finfraLoanIds: sandbox.dataset.finfra.flatMap((u) => u.loans.map((l) => l.loanUniqueId)),
  borrowerIds,
  today,
  borrowers: requests.length,
  setupMs: Math.round(performance.now() - t0),
  rssAfterSetup: process.memoryUsage().rss,
  database: db.kind,
  databaseVersion: (await db.sql.query<{ server_version: string }>('SHOW server_version'))[0]?.server_version ?? 'unknown',
  pid: process.pid,
  sandboxPid: sandbox.pid,
  databasePid: db.childPid ?? null,
  sandboxUrls: sandbox.urls,
};
send(ready);
if (!process.send) {
  // Started by hand: serve until interrupted.
  process.once('SIGINT', () => void close().finally(() => process.exit(0)));
}
