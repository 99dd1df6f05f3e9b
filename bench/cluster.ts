/**
 * Benchmark: webhook throughput of three API instances on one PostgreSQL database (issue 11, item 8).
 *
 * The cluster is run as an operator runs it (the process setup of test/integration/cluster.test.ts):
 * `satukredit sandbox`, then `--instances` (3) `satukredit start` processes on one fresh database
 * (created on the PostgreSQL server at `--database-url`, dropped afterwards), `satukredit seed` giving the
 * demo consents through the consent flow, and one credit-view read per borrower so cached snapshots exist
 * (the applier stamps them). A load generator in this process then fires signed Finfra VA payment
 * callbacks at random instances over keep-alive connections (node:http agents), on a fixed schedule of
 * `--rate` requests per second (500; 0 = as fast as answers come), at most `--concurrency` in flight:
 *
 *   - 70% of the requests: a new payment's PAID callback;
 *   - 10%: conflicting pairs, a PENDING and a PAID callback of one new payment sent at the same moment to two
 *     different instances;
 *   - 20%: replays, a callback acknowledged before sent again byte for byte to another instance.
 *
 * Payments are for the Finfra loans of the generated dataset (`generateDataset` + `linkRequests`, the same
 * seed and borrowers as the sandbox process). Bodies and the `finfra-auth-key` header are built as
 * `WebhookSender.finfra('payment-gateway', 'va', status, data)` builds them (src/sandbox/events.ts).
 * After an unmeasured warm-up, the measured window counts the answers received in it; then the generator
 * stops, the benchmark waits (bounded) until no stored event is left to apply, and checks the database:
 * every acknowledged distinct callback stored once, every stored event applied once, one ledger repayment per
 * payment in its final state, dead letters, apply lag (appliedAt - receivedAt). RSS of every process is
 * sampled from /proc (ps as a fallback), CPU time per process from /proc/<pid>/stat.
 *
 * In the same run, before the cluster starts, a bare Apollo Server 5 `{ hello }` (bench/apollo-hello.ts,
 * its own process) is driven by autocannon (50 connections) as the machine's reference: every rate is also
 * given as a ratio to its req/s.
 *
 *   npm run bench:cluster                          full run (10 s window), appends to docs/benchmarks.md
 *   npm run bench:cluster -- --quick               smoke run (3 s), prints the table, writes nothing unless --write
 *   npm run bench:cluster -- --help                every option
 *
 * Not a test: nothing here asserts times.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import WebSocket from 'ws';
import { signClientToken } from '../src/app';
import { jakartaDate } from '../src/domain/dates';
import { generateDataset, linkRequests, mulberry32 } from '../src/sandbox';
import { allPostgresCpuSeconds, cpuSecondsOf, cpuSplitOf, freePort, machineCpu, rssOf } from './proc';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SECTION = '## Three instances on PostgreSQL: webhook events';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

const HELP = `Usage: tsx bench/cluster.ts [options]        (npm run bench:cluster -- [options])

  --duration <s>            measured window (default 10; --quick 3)
  --warmup <s>              unmeasured warm-up before it (default 3; --quick 1)
  --concurrency <n>         load-generator workers (default 48; 96 with --rate); a worker sending a conflicting pair has 2 requests in flight
  --rate <n>                open loop: requests per second in total, paced on a fixed schedule (a pair is 2 requests);
                            default 500; 0 = closed loop (each worker sends as soon as its last answer came: the
                            cluster's capacity, with applying left to catch up)
  --quick                   smoke run: 3 s window, 1 s warm-up, 3 s reference; writes nothing unless --write
  --instances <n>           API instances (default 3)
  --borrowers <n>           generated borrowers (default 60; SANDBOX_BORROWERS of every process)
  --seed <n>                dataset seed (default 42; SANDBOX_SEED)
  --replay-share <f>        share of requests that are replays (default 0.2)
  --conflict-share <f>      share of requests that are members of conflicting PENDING/PAID pairs (default 0.1)
  --database-url <url>      PostgreSQL admin URL; a fresh database is created there and dropped afterwards
                            (default postgresql://postgres@127.0.0.1:5432/postgres; env BENCH_DATABASE_URL)
  --log-level <level>       LOG_LEVEL of the instances (default info, the server's default: one line per request)
  --no-seed                 skip \`satukredit seed\` and the cache warm-up (payments then hit loans no one linked)
  --reference-duration <s>  seconds of the Apollo { hello } reference (default 10; --quick 3)
  --reference-connections <n>  autocannon connections for it (default 50)
  --no-reference            skip the reference
  --drain-timeout <s>       how long to wait for the backlog to reach 0 after the window (default 180)
  --cpu-prof <dir>          V8 CPU profiles of one instance (through its inspector) during the measured window and
                            while the backlog drains after it: <dir>/instance-<k>.cpuprofile and
                            <dir>/instance-<k>-drain.cpuprofile, summarized in the output
  --cpu-prof-instance <k>   which instance to profile (default 0)
  --write / --no-write      append the results to docs/benchmarks.md and write bench/cluster-results.json
                            (default: write unless --quick)
  --docs <file>             Markdown path (default docs/benchmarks.md)
  --results <file>          JSON path (default bench/cluster-results.json)
`;

const { values: argv } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
    quick: { type: 'boolean', default: false },
    instances: { type: 'string' },
    borrowers: { type: 'string' },
    seed: { type: 'string' },
    'replay-share': { type: 'string' },
    'conflict-share': { type: 'string' },
    'database-url': { type: 'string' },
    'log-level': { type: 'string' },
    'no-seed': { type: 'boolean', default: false },
    'reference-duration': { type: 'string' },
    'reference-connections': { type: 'string' },
    'no-reference': { type: 'boolean', default: false },
    'drain-timeout': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'cpu-prof-instance': { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean' },
    docs: { type: 'string' },
    results: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (argv.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function num(name: string, raw: string | undefined, dflt: number, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    process.stderr.write(`bench:cluster: invalid --${name} ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return v;
}

const quick = argv.quick;
const P = {
  durationSeconds: num('duration', argv.duration, quick ? 3 : 10, 1),
  warmupSeconds: num('warmup', argv.warmup, quick ? 1 : 3, 0),
  rate: num('rate', argv.rate, 500, 0),
  concurrency: Math.floor(num('concurrency', argv.concurrency, Number(argv.rate ?? 500) > 0 ? 96 : 48, 1)),
  instances: Math.floor(num('instances', argv.instances, 3, 2, 16)),
  borrowers: Math.floor(num('borrowers', argv.borrowers, 60, 1)),
  seed: Math.floor(num('seed', argv.seed, 42)),
  replayShare: num('replay-share', argv['replay-share'], 0.2, 0, 0.9),
  conflictShare: num('conflict-share', argv['conflict-share'], 0.1, 0, 0.9),
  adminUrl: argv['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  logLevel: argv['log-level'] ?? 'info',
  seedConsents: !argv['no-seed'],
  reference: !argv['no-reference'],
  referenceSeconds: num('reference-duration', argv['reference-duration'], quick ? 3 : 10, 1),
  referenceConnections: Math.floor(num('reference-connections', argv['reference-connections'], 50, 1)),
  drainTimeoutSeconds: num('drain-timeout', argv['drain-timeout'], 180, 1),
  cpuProfDir: argv['cpu-prof'] ? path.resolve(argv['cpu-prof']) : null,
  cpuProfInstance: Math.floor(num('cpu-prof-instance', argv['cpu-prof-instance'], 0, 0)),
  quick,
};
if (P.replayShare + P.conflictShare >= 1) {
  process.stderr.write('bench:cluster: --replay-share + --conflict-share must be below 1\n');
  process.exit(2);
}
if (P.cpuProfInstance >= P.instances) P.cpuProfInstance = 0;
const write = argv['no-write'] ? false : (argv.write ?? !quick);
const docsPath = path.resolve(ROOT, argv.docs ?? 'docs/benchmarks.md');
const resultsPath = path.resolve(ROOT, argv.results ?? 'bench/cluster-results.json');

const say = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Small helpers: ports, percentiles, /proc sampling
// ---------------------------------------------------------------------------

/** The q-quantile of sorted numbers (nearest rank). */
function quantile(sorted: readonly number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function commit(): string {
  try {
    const short = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'prisma', 'package.json'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${short} (with uncommitted changes in ${dirty.split('\n').length} files under src/, prisma/, package.json)` : short;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  /** The last 64 KiB of its output. */
  out(): string;
  /** Waits for a line matching `re` in its output. */
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray>;
  exited(): boolean;
}

const procs: Proc[] = [];

/** Runs `satukredit <args>` (bin/satukredit.mjs) with its output kept in a ring buffer. */
function runCli(name: string, args: string[], env: Record<string, string>): Proc {
  let buf = '';
  const child = spawn(process.execPath, ['bin/satukredit.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters: { re: RegExp; resolve(m: RegExpExecArray): void }[] = [];
  const onData = (c: Buffer) => {
    buf += c.toString();
    if (buf.length > 65536) buf = buf.slice(-65536);
    for (const w of [...waiters]) {
      const m = w.re.exec(buf);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let gone = false;
  child.once('exit', () => (gone = true));
  const p: Proc = {
    name,
    child,
    out: () => buf,
    exited: () => gone,
    waitFor(re, ms) {
      const m = re.exec(buf);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no ${re} within ${ms} ms; output:\n${buf.slice(-3000)}`)), ms);
        child.once('exit', (code, sig) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${sig ?? code}) before ${re}; output:\n${buf.slice(-3000)}`));
        });
        waiters.push({
          re,
          resolve: (x) => {
            clearTimeout(timer);
            resolve(x);
          },
        });
      });
    },
  };
  procs.push(p);
  return p;
}

async function stopProc(p: Proc, graceMs = 15_000): Promise<void> {
  if (p.exited() || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const done = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(t);
}

function killAll(): void {
  for (const p of procs) if (!p.exited()) p.child.kill('SIGKILL');
}
process.once('exit', killAll);

// ---------------------------------------------------------------------------
// Database (fresh per run)
// ---------------------------------------------------------------------------

const DB_NAME = `satukredit_bench_${randomBytes(5).toString('hex')}`;
let dbCreated = false;

function dbUrl(admin: string, name: string): string {
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: P.adminUrl });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function dropDb(): Promise<void> {
  if (!dbCreated) return;
  await adminQuery(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  dbCreated = false;
}

process.once('SIGINT', () => {
  killAll();
  void dropDb()
    .catch(() => undefined)
    .finally(() => process.exit(130));
});

// ---------------------------------------------------------------------------
// Reference: bare Apollo Server 5 `{ hello }` driven by autocannon
// ---------------------------------------------------------------------------

interface Reference {
  reqPerSec: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  connections: number;
  seconds: number;
  peakRssBytes: number | null;
  cpuCores: number | null;
}

function tsxImport(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

async function runReference(): Promise<Reference> {
  const cp = fork(path.join(HERE, 'apollo-hello.ts'), [], { cwd: ROOT, execArgv: ['--import', tsxImport()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const ready = await new Promise<{ url: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('apollo-hello not ready after 60 s')), 60_000);
      cp.once('message', (m: { type: string; url: string }) => {
        clearTimeout(t);
        resolve(m);
      });
      cp.once('exit', () => reject(new Error('apollo-hello exited before it was ready')));
    });
    const run = (seconds: number) =>
      autocannon({
        url: ready.url,
        method: 'POST',
        connections: P.referenceConnections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ hello }' }),
      });
    await run(1); // warm-up
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(cp.pid!) ?? 0)), 250);
    const cpu0 = cpuSecondsOf(cp.pid!);
    const t0 = performance.now();
    const r = await run(P.referenceSeconds);
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = cpuSecondsOf(cp.pid!);
    clearInterval(sampler);
    return {
      reqPerSec: r.requests.average,
      requests: r.requests.total,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      connections: P.referenceConnections,
      seconds: P.referenceSeconds,
      peakRssBytes: peak || null,
      cpuCores: cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / wall : null,
    };
  } finally {
    cp.kill('SIGTERM');
    await new Promise((r) => (cp.exitCode !== null || cp.signalCode !== null ? r(null) : cp.once('exit', r)));
  }
}

// ---------------------------------------------------------------------------
// CPU profile of one instance during the window, through its inspector
// ---------------------------------------------------------------------------

class Inspector {
  private ws!: WebSocket;
  private seq = 0;
  private pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();

  async connect(url: string): Promise<void> {
    this.ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
    });
  }

  post<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws?.close();
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface ProfileSummary {
  file: string;
  instance: number;
  totalMs: number;
  /** Self time by where the code lives: (idle), (garbage collector), (program), a package, node internals, a src/ file, wasm. */
  byPlace: { place: string; ms: number; share: number }[];
  /** The functions with the most self time. */
  topFunctions: { fn: string; place: string; ms: number; share: number }[];
  /** Inclusive time (self and callees) of the application's functions (src/) and of pg-pool's connection removal and pg's connect. */
  inclusive: { fn: string; ms: number; share: number }[];
}

function placeOf(url: string, fn: string): string {
  if (!url) {
    if (fn.startsWith('(')) return fn;
    return '(native)';
  }
  if (url.startsWith('wasm://')) return 'wasm (Prisma query compiler)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node: (built-in modules)';
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1).replace(/\?.*$/, '');
  return url.replace(/^file:\/\//, '').replace(ROOT, '.');
}

function summarizeProfile(profile: CpuProfile, file: string, instance: number): ProfileSummary {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const places = new Map<string, number>();
  const fns = new Map<string, { place: string; us: number }>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const place = placeOf(n.callFrame.url, n.callFrame.functionName);
    places.set(place, (places.get(place) ?? 0) + us);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url ? `${placeOf(n.callFrame.url, '')}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
    const f = fns.get(key) ?? { place, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const share = (us: number) => (total ? us / total : 0);
  // Inclusive time: each sample counts once for every distinct watched frame on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const watched = (n: CpuProfile['nodes'][number]) => {
    const u = n.callFrame.url;
    if (u.includes('/src/') && !u.includes('node_modules')) return `${n.callFrame.functionName || '(anonymous)'} ${placeOf(u, '')}:${n.callFrame.lineNumber + 1}`;
    if (u.includes('/pg-pool/') && n.callFrame.functionName === '_remove') return 'pg-pool _remove (a pooled connection ended)';
    if (u.includes('/pg/lib/client.js') && n.callFrame.functionName === 'connect') return 'pg Client.connect (a new connection)';
    if (u.includes('/pino/') && n.callFrame.functionName === 'LOG') return 'pino: a log line';
    return null;
  };
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      const k = n ? watched(n) : null;
      if (k && !seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + us);
      }
    }
  }
  return {
    file,
    instance,
    totalMs: Math.round(total / 1000),
    byPlace: [...places].sort((a, b) => b[1] - a[1]).map(([place, us]) => ({ place, ms: Math.round(us / 1000), share: share(us) })),
    topFunctions: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, 25)
      .map(([fn, v]) => ({ fn, place: v.place, ms: Math.round(v.us / 1000), share: share(v.us) })),
    inclusive: [...incl]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: share(us) })),
  };
}

// ---------------------------------------------------------------------------
// The load generator
// ---------------------------------------------------------------------------

type Kind = 'single' | 'pair' | 'replay';

/** One distinct callback (one body), by `${payment_id}:${status}`. */
interface Callback {
  key: string;
  paymentId: string;
  status: 'PENDING' | 'PAID';
  body: string;
  firstInstance: number;
  sends: number;
  acked: number;
}

interface Counters {
  sent: Record<Kind, number>;
  answered: number;
  acknowledged: number;
  acknowledgedDuplicate: number;
  byStatus: Record<string, number>;
  socketErrors: Record<string, number>;
  keepAliveRetries: number;
  latenciesMs: number[];
  ackedByInstance: number[];
}

const newCounters = (n: number): Counters => ({
  sent: { single: 0, pair: 0, replay: 0 },
  answered: 0,
  acknowledged: 0,
  acknowledgedDuplicate: 0,
  byStatus: {},
  socketErrors: {},
  keepAliveRetries: 0,
  latenciesMs: [],
  ackedByInstance: Array.from({ length: n }, () => 0),
});

class Generator {
  readonly callbacks = new Map<string, Callback>();
  /** Callbacks acknowledged at least once: replay candidates. */
  readonly ackedPool: Callback[] = [];
  total: Counters;
  window: Counters;
  phase: 'warmup' | 'measure' | 'after' = 'warmup';
  stopped = false;
  private payments = 0;
  private readonly rand = mulberry32(P.seed * 7919 + 1);
  private readonly agents: http.Agent[];
  private readonly targets: { host: string; port: number }[];
  private readonly path = '/webhooks/finfra/api/core/payment-gateway/va/status';
  /** Per-iteration probabilities chosen so that the shares of *requests* are the asked ones (a pair is 2 requests). */
  private readonly pIter: { replay: number; pair: number };

  constructor(
    urls: string[],
    private readonly authKey: string,
    private readonly loans: { loanUniqueId: string; amount: number }[],
  ) {
    this.agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: P.concurrency, keepAliveMsecs: 1000 }));
    this.targets = urls.map((u) => {
      const x = new URL(u);
      return { host: x.hostname, port: Number(x.port) };
    });
    this.total = newCounters(urls.length);
    this.window = newCounters(urls.length);
    const b = P.conflictShare / (2 - P.conflictShare);
    this.pIter = { pair: b, replay: P.replayShare * (1 + b) };
  }

  private pickInstance(except = -1): number {
    const n = this.targets.length;
    if (except < 0) return Math.floor(this.rand() * n);
    return (except + 1 + Math.floor(this.rand() * (n - 1))) % n;
  }

  /** A callback body exactly as WebhookSender.finfra('payment-gateway', 'va', status, data) sends it. */
  private callback(paymentId: string, status: 'PENDING' | 'PAID', loan: { loanUniqueId: string; amount: number }, paidAt: string, firstInstance: number): Callback {
    const data = { payment_id: paymentId, loanUniqueId: loan.loanUniqueId, amount: loan.amount, bank_code: 'BCA', paid_at: paidAt, status, settled_at: status === 'PAID' ? new Date().toISOString() : null };
    const cb: Callback = { key: `${paymentId}:${status}`, paymentId, status, body: JSON.stringify({ type: 'va', status, data }), firstInstance, sends: 0, acked: 0 };
    this.callbacks.set(cb.key, cb);
    return cb;
  }

  private post(instance: number, cb: Callback, kind: Kind): Promise<void> {
    const counted = this.phase === 'measure' ? this.window : null;
    this.total.sent[kind]++;
    if (counted) counted.sent[kind]++;
    cb.sends++;
    return this.send(instance, cb, performance.now(), false);
  }

  /**
   * One HTTP exchange. A request on a reused keep-alive socket that the server closed meanwhile (ECONNRESET on
   * `reusedSocket`, the race Node's documentation describes) is sent again once on a new socket, as an HTTP client
   * would; it is counted in `keepAliveRetries`, not as an error.
   */
  private send(instance: number, cb: Callback, started: number, retried: boolean): Promise<void> {
    const t = this.targets[instance]!;
    return new Promise<void>((resolve) => {
      const req = http.request(
        {
          agent: this.agents[instance],
          host: t.host,
          port: t.port,
          path: this.path,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(cb.body), 'finfra-auth-key': this.authKey },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ms = performance.now() - started;
            const status = res.statusCode ?? 0;
            const dup = status === 200 && Buffer.concat(chunks).toString().includes('"duplicate":true');
            for (const c of this.phase === 'measure' ? [this.total, this.window] : [this.total]) {
              c.answered++;
              c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
              if (status === 200) {
                c.acknowledged++;
                c.ackedByInstance[instance]!++;
                if (dup) c.acknowledgedDuplicate++;
              }
              if (c === this.window) c.latenciesMs.push(ms);
            }
            if (status === 200) {
              if (cb.acked++ === 0) this.ackedPool.push(cb);
            }
            resolve();
          });
          res.on('error', () => resolve());
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && e.code === 'ECONNRESET') {
          for (const c of this.phase === 'measure' ? [this.total, this.window] : [this.total]) c.keepAliveRetries++;
          return void this.send(instance, cb, started, true).then(resolve);
        }
        const code = e.code ?? e.message;
        for (const c of this.phase === 'measure' ? [this.total, this.window] : [this.total]) c.socketErrors[code] = (c.socketErrors[code] ?? 0) + 1;
        resolve();
      });
      req.end(cb.body);
    });
  }

  private async iteration(): Promise<void> {
    const r = this.rand();
    const pair = r >= this.pIter.replay && r < this.pIter.replay + this.pIter.pair;
    if (P.rate > 0) await this.pace(pair ? 2 : 1);
    if (this.stopped) return;
    if (r < this.pIter.replay && this.ackedPool.length) {
      const cb = this.ackedPool[Math.floor(this.rand() * this.ackedPool.length)]!;
      return this.post(this.pickInstance(cb.firstInstance), cb, 'replay');
    }
    const loan = this.loans[Math.floor(this.rand() * this.loans.length)]!;
    const paymentId = `BENCH-${++this.payments}`;
    const paidAt = new Date().toISOString();
    if (r >= this.pIter.replay && r < this.pIter.replay + this.pIter.pair) {
      // A conflicting pair: PENDING and PAID of one payment at the same moment on two instances.
      const i = this.pickInstance();
      const j = this.pickInstance(i);
      const pending = this.callback(paymentId, 'PENDING', loan, paidAt, i);
      const paid = this.callback(paymentId, 'PAID', loan, paidAt, j);
      await Promise.all([this.post(i, pending, 'pair'), this.post(j, paid, 'pair')]);
      return;
    }
    const i = this.pickInstance();
    return this.post(i, this.callback(paymentId, 'PAID', loan, paidAt, i), 'single');
  }

  /** Requests scheduled so far (open loop), and when the schedule started. */
  private slots = 0;
  private scheduleStart = 0;
  /** Iterations that started late because every worker was busy (open loop). */
  lateStarts = 0;

  /** Waits for the next request's slot on the fixed schedule of `P.rate` per second (open loop). */
  private async pace(requests: number): Promise<void> {
    const due = this.scheduleStart + (this.slots * 1000) / P.rate;
    this.slots += requests;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -50) this.lateStarts++;
  }

  /** Runs `P.concurrency` workers until stop(): as fast as answers come (closed loop), or on the `--rate` schedule. */
  run(): Promise<void> {
    this.scheduleStart = performance.now();
    return Promise.all(
      Array.from({ length: P.concurrency }, async () => {
        while (!this.stopped) await this.iteration();
      }),
    ).then(() => undefined);
  }

  close(): void {
    for (const a of this.agents) a.destroy();
  }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

interface ProcStat {
  name: string;
  pid: number;
  peakRssBytes: number;
  windowPeakRssBytes: number;
  cpuCoresInWindow: number | null;
}

async function main() {
  const t0 = performance.now();
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const cpus = os.cpus();
  say(`bench:cluster: ${P.instances} instances, ${P.rate > 0 ? `open loop at ${P.rate} requests/s, up to` : 'closed loop,'} ${P.concurrency} workers, ${P.durationSeconds} s window after ${P.warmupSeconds} s warm-up; ${cpus.length} CPUs, load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);

  // 1. The reference, before anything of the cluster runs.
  let reference: Reference | null = null;
  if (P.reference) {
    say(`reference: bare Apollo Server { hello }, autocannon ${P.referenceConnections} connections, ${P.referenceSeconds} s ...`);
    reference = await runReference();
    say(`reference: ${reference.reqPerSec.toFixed(0)} req/s, p50 ${reference.p50Ms} ms, p99 ${reference.p99Ms} ms`);
  }

  // 2. A fresh database.
  await adminQuery(`CREATE DATABASE ${DB_NAME}`);
  dbCreated = true;
  const url = dbUrl(P.adminUrl, DB_NAME);
  const db = new pg.Pool({ connectionString: url, max: 2 });

  const JWT_SECRET = randomBytes(24).toString('hex');
  const FINFRA_CALLBACK_KEY = randomBytes(18).toString('hex');
  try {
    // 3. The sandbox, as `satukredit sandbox` on free ports, and the settings it prints.
    const ports = { cairin: await freePort(), finfra: await freePort(), dk: await freePort(), sms: await freePort() };
    const sandbox = runCli('sandbox', ['sandbox'], {
      SANDBOX_SEED: String(P.seed),
      SANDBOX_BORROWERS: String(P.borrowers),
      SANDBOX_CAIRIN_PORT: String(ports.cairin),
      SANDBOX_FINFRA_PORT: String(ports.finfra),
      SANDBOX_DOMPETKILAT_PORT: String(ports.dk),
      SANDBOX_SMS_PORT: String(ports.sms),
    });
    await sandbox.waitFor(/API_CLIENTS=.*\n/, 120_000);
    const sandboxEnv: Record<string, string> = {};
    for (const m of sandbox.out().matchAll(/^ {2}([A-Z_]+)=(.*)$/gm)) sandboxEnv[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
    const shared = {
      ...sandboxEnv,
      DATABASE_URL: url,
      JWT_SECRET,
      FINFRA_CALLBACK_KEY,
      DOMPETKILAT_CALLBACK_IPS: '127.0.0.1,::1',
      OTP_SENDS_PER_IP: '100000',
      OTP_SENDS_PER_NIK: '100000',
      LOG_LEVEL: P.logLevel,
      SANDBOX_SEED: String(P.seed),
      SANDBOX_BORROWERS: String(P.borrowers),
    };

    // 4. The instances, started together on the empty database.
    const urls: string[] = [];
    const instances: Proc[] = [];
    for (let k = 0; k < P.instances; k++) {
      const port = await freePort();
      const env: Record<string, string> = { ...shared, PORT: String(port), HOST: '127.0.0.1' };
      if (P.cpuProfDir && k === P.cpuProfInstance) env.NODE_OPTIONS = [process.env.NODE_OPTIONS, '--inspect=127.0.0.1:0'].filter(Boolean).join(' ');
      instances.push(runCli(`instance-${k}`, ['start'], env));
      urls.push(`http://127.0.0.1:${port}`);
    }
    for (const u of urls) {
      const until = Date.now() + 180_000;
      for (;;) {
        if ((await fetch(`${u}/readyz`).catch(() => null))?.status === 200) break;
        const dead = instances.find((p) => p.exited());
        if (dead) throw new Error(`${dead.name} exited during start-up:\n${dead.out().slice(-3000)}`);
        if (Date.now() > until) throw new Error(`${u} not ready after 180 s`);
        await sleep(100);
      }
    }
    const setupStartedMs = performance.now();
    say(`cluster: sandbox and ${P.instances} instances ready (${((setupStartedMs - t0) / 1000).toFixed(1)} s since start)`);

    // 5. Demo consents through the consent flow, then one credit-view read per borrower (cached snapshots).
    const seedVia = P.cpuProfDir ? (P.cpuProfInstance + 1) % P.instances : 0;
    let seeded = 'skipped (--no-seed)';
    if (P.seedConsents) {
      const seed = runCli('seed', ['seed', '--api-url', urls[seedVia]!, '--sms-url', sandboxEnv.SMS_GATEWAY_URL!], shared);
      const code = await new Promise<number | null>((r) => seed.child.once('exit', (c) => r(c)));
      if (code !== 0) throw new Error(`satukredit seed failed (${code}):\n${seed.out().slice(-3000)}`);
      seeded = (/seeded .*/.exec(seed.out())?.[0] ?? 'seeded').trim();
      say(`cluster: ${seeded}`);
      const token = signClientToken({ secret: JWT_SECRET, issuer: 'satukredit', audience: 'satukredit-api' }, 'demo-aggregator', ['credit:read']);
      const gql = async (u: string, query: string, variables: Record<string, unknown> = {}) =>
        (await (await fetch(`${u}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) })).json()) as any;
      const list = await gql(urls[0]!, '{ borrowers(first: 100) { edges { node { id } } } }');
      const ids: string[] = list.data.borrowers.edges.map((e: { node: { id: string } }) => e.node.id);
      let next = 0;
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          while (next < ids.length) {
            const id = ids[next++]!;
            await gql(urls[(w + next) % urls.length]!, 'query($id: ID!) { creditView(borrowerId: $id) { complete } }', { id });
          }
        }),
      );
      say(`cluster: ${ids.length} credit views read (snapshots cached)`);
    }
    const snapshots = Number((await db.query(`SELECT count(*)::int AS n FROM "ProviderSnapshot"`)).rows[0].n);

    // 6. Payment targets: the Finfra loans of the generated dataset's linked borrowers (as the sandbox generated them).
    const dataset = generateDataset({ seed: P.seed, borrowers: P.borrowers, today: jakartaDate(new Date()) });
    const linkedFinfraUsers = new Set(linkRequests(dataset).map((r) => r.finfraUserId).filter(Boolean));
    const loans = dataset.finfra
      .filter((u) => linkedFinfraUsers.has(u.userId))
      .flatMap((u) => u.loans)
      .map((l) => ({ loanUniqueId: l.loanUniqueId, amount: Number(l.installments.find((i) => i.paid === 0n)?.total ?? l.installments[0]?.total ?? 150_000n) || 150_000 }));
    if (!loans.length) throw new Error('the dataset has no Finfra loans of linked borrowers');

    // 7. Load: warm-up, measured window, stop; samplers around it.
    const gen = new Generator(urls, FINFRA_CALLBACK_KEY, loans);
    const watched = [...instances.map((p) => ({ name: p.name, pid: p.child.pid! })), { name: 'sandbox', pid: sandbox.child.pid! }];
    const stats: ProcStat[] = watched.map((w) => ({ name: w.name, pid: w.pid, peakRssBytes: 0, windowPeakRssBytes: 0, cpuCoresInWindow: null }));
    const sample = () => {
      for (const s of stats) {
        const r = rssOf(s.pid) ?? 0;
        s.peakRssBytes = Math.max(s.peakRssBytes, r);
        if (gen.phase === 'measure') s.windowPeakRssBytes = Math.max(s.windowPeakRssBytes, r);
      }
    };
    sample();
    const sampler = setInterval(sample, 250);

    let inspector: Inspector | null = null;
    if (P.cpuProfDir) {
      const m = await instances[P.cpuProfInstance]!.waitFor(/Debugger listening on (ws:\/\/\S+)/, 10_000);
      inspector = new Inspector();
      await inspector.connect(m[1]!);
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
    }

    // Every applied event's ledger change is sent with NOTIFY inside the transaction that applies it: count them
    // (a second application of an event would be a second notification).
    const listener = new pg.Client({ connectionString: url, application_name: 'bench-listen' });
    await listener.connect();
    let ledgerNotifications = 0;
    listener.on('notification', (n) => {
      try {
        const m = JSON.parse(n.payload ?? '') as { t: string };
        if (m.t === 'ledger') ledgerNotifications++;
      } catch {
        /* not ours */
      }
    });
    await listener.query('LISTEN satukredit_changes');

    say(`load: warm-up ${P.warmupSeconds} s ...`);
    const running = gen.run();
    await sleep(P.warmupSeconds * 1000);
    if (inspector) await inspector.post('Profiler.start');
    const pgPids = async () => (await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [DB_NAME])).rows.map((r) => Number(r.pid));
    const cpuAt = (pids: number[]) => new Map(pids.map((p) => [p, cpuSecondsOf(p)]));
    const pgStartPids = await pgPids();
    const pgCpu0 = cpuAt(pgStartPids);
    const procCpu0 = stats.map((s) => cpuSecondsOf(s.pid));
    const split0 = stats.map((s) => cpuSplitOf(s.pid));
    const benchCpu0 = process.cpuUsage();
    const machine0 = machineCpu();
    const pgAll0 = allPostgresCpuSeconds();
    const sessions = async () => Number((await db.query(`SELECT sessions::bigint AS n FROM pg_stat_database WHERE datname = $1`, [DB_NAME]).catch(() => ({ rows: [{ n: NaN }] }))).rows[0]?.n);
    const sessions0 = await sessions();
    const backlogAtWindowStart = Number((await db.query(`SELECT count(*)::int AS n FROM "WebhookEvent" WHERE "appliedAt" IS NULL AND "deadAt" IS NULL`)).rows[0].n);
    const loadBefore = os.loadavg();
    gen.phase = 'measure';
    const windowStartWall = new Date();
    const ws = performance.now();
    say(`load: measuring ${P.durationSeconds} s ...`);
    // What the benchmark database's backends are doing, sampled every 200 ms (state and wait event).
    const pgStates: Record<string, number> = {};
    let pgSamples = 0;
    const pgSampler = setInterval(() => {
      void db
        .query<{ s: string; n: number }>(
          `SELECT coalesce(state, '?') || coalesce(' / ' || wait_event_type || ':' || wait_event, '') AS s, count(*)::int AS n
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1`,
          [DB_NAME],
        )
        .then((r) => {
          pgSamples++;
          for (const x of r.rows) pgStates[x.s] = (pgStates[x.s] ?? 0) + x.n;
        })
        .catch(() => undefined);
    }, 200);
    await sleep(P.durationSeconds * 1000);
    clearInterval(pgSampler);
    gen.phase = 'after';
    gen.stopped = true;
    const windowMs = performance.now() - ws;
    const windowEndWall = new Date();
    const machine1 = machineCpu();
    const benchCpu = process.cpuUsage(benchCpu0);
    const procCpu1 = stats.map((s) => cpuSecondsOf(s.pid));
    const pgAll1 = allPostgresCpuSeconds();
    const sessions1 = await sessions();
    const pgEndPids = await pgPids();
    const pgCpu1 = cpuAt(pgEndPids);
    const loadAtEnd = os.loadavg();
    let profileSummary: ProfileSummary | null = null;
    if (inspector) {
      const { profile } = await inspector.post<{ profile: CpuProfile }>('Profiler.stop');
      await mkdir(P.cpuProfDir!, { recursive: true });
      const file = path.join(P.cpuProfDir!, `instance-${P.cpuProfInstance}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      profileSummary = summarizeProfile(profile, path.relative(ROOT, file), P.cpuProfInstance);
      // A second profile while the backlog drains (applying only, no ingest).
      await inspector.post('Profiler.start');
    }
    const windowSec = windowMs / 1000;
    for (let k = 0; k < stats.length; k++) {
      const a = procCpu0[k];
      const b = procCpu1[k];
      stats[k]!.cpuCoresInWindow = a !== null && a !== undefined && b !== null && b !== undefined ? (b - a) / windowSec : null;
    }
    let pgCpu = 0;
    for (const [pid, c1] of pgCpu1) {
      if (c1 === null) continue;
      pgCpu += c1 - (pgCpu0.get(pid) ?? 0);
    }
    const pgCores = pgCpu / windowSec;
    const benchCores = (benchCpu.user + benchCpu.system) / 1e6 / windowSec;
    const machineCores = machine0 && machine1 ? (machine1.busy - machine0.busy) / windowSec : null;

    await running; // in-flight requests answered
    const inFlightDoneMs = performance.now() - ws - windowMs;
    gen.close();
    say(`load: window done; ${gen.window.acknowledged} acknowledged in it (${(gen.window.acknowledged / windowSec).toFixed(0)}/s); waiting for the backlog ...`);

    // 8. Wait (bounded) until nothing is left to apply.
    const backlog = async () => Number((await db.query(`SELECT count(*)::int AS n FROM "WebhookEvent" WHERE "appliedAt" IS NULL AND "deadAt" IS NULL`)).rows[0].n);
    const d0 = performance.now();
    let left = await backlog();
    const backlogAtEnd = left;
    while (left > 0 && performance.now() - d0 < P.drainTimeoutSeconds * 1000) {
      await sleep(200);
      left = await backlog();
    }
    const drainMs = performance.now() - d0;
    await sleep(1000); // the last notifications on their way
    await listener.end();
    // CPU from the window's start until the backlog was drained: what the acknowledged events cost, applying included.
    const procCpu2 = stats.map((s) => cpuSecondsOf(s.pid));
    const split2 = stats.map((s) => cpuSplitOf(s.pid));
    const pgAll2 = allPostgresCpuSeconds();
    const machine2 = machineCpu();
    const untilDrainedSec = windowSec + (performance.now() - ws - windowMs) / 1000;
    let drainProfileSummary: ProfileSummary | null = null;
    if (inspector) {
      const { profile } = await inspector.post<{ profile: CpuProfile }>('Profiler.stop');
      inspector.close();
      const file = path.join(P.cpuProfDir!, `instance-${P.cpuProfInstance}-drain.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      drainProfileSummary = summarizeProfile(profile, path.relative(ROOT, file), P.cpuProfInstance);
    }
    clearInterval(sampler);
    sample();

    // 9. What the database holds.
    type Row = { pid: string; st: string; receivedAt: Date; appliedAt: Date | null; deadAt: Date | null; outcome: string | null; attempts: number };
    const rows = (
      await db.query<Row>(
        `SELECT payload->'data'->>'payment_id' AS pid, payload->>'status' AS st, "receivedAt", "appliedAt", "deadAt", outcome, attempts
         FROM "WebhookEvent" WHERE source = 'FINFRA' AND payload->'data'->>'payment_id' LIKE 'BENCH-%'`,
      )
    ).rows;
    const ledger = (await db.query<{ externalId: string; status: string; n: number }>(`SELECT "externalId", status, count(*) OVER (PARTITION BY provider, "externalId")::int AS n FROM "LedgerRepayment" WHERE "externalId" LIKE 'BENCH-%'`)).rows;
    const deadTotal = Number((await db.query(`SELECT count(*)::int AS n FROM "WebhookEvent" WHERE "deadAt" IS NOT NULL`)).rows[0].n);
    const failedTries = Number((await db.query(`SELECT count(*)::int AS n FROM "WebhookEvent" WHERE error IS NOT NULL`)).rows[0].n);

    const rowsByKey = new Map<string, Row[]>();
    for (const r of rows) {
      const k = `${r.pid}:${r.st}`;
      rowsByKey.set(k, [...(rowsByKey.get(k) ?? []), r]);
    }
    const acked = [...gen.callbacks.values()].filter((c) => c.acked > 0);
    const lost = acked.filter((c) => !rowsByKey.has(c.key));
    const storedTwice = [...rowsByKey.values()].filter((v) => v.length > 1).length;
    const storedNotAcked = [...rowsByKey.keys()].filter((k) => !(gen.callbacks.get(k)?.acked ?? 0)).length;
    const replayedKeys = acked.filter((c) => c.sends > 1);
    const replaysOnOneRow = replayedKeys.filter((c) => rowsByKey.get(c.key)?.length === 1).length;
    const applied = rows.filter((r) => r.appliedAt);
    const unapplied = rows.filter((r) => !r.appliedAt && !r.deadAt).length;
    const dead = rows.filter((r) => r.deadAt).length;
    const reclaimed = rows.filter((r) => r.attempts > 1).length;
    // The ledger: one repayment per payment with an applied event, in its final state (PAID applied -> CLEARED).
    const appliedPayments = new Map<string, Set<string>>();
    for (const r of applied) appliedPayments.set(r.pid, (appliedPayments.get(r.pid) ?? new Set()).add(r.st));
    const ledgerDupes = ledger.filter((l) => l.n > 1).length;
    const ledgerById = new Map(ledger.map((l) => [l.externalId, l.status]));
    let wrongState = 0;
    let missingRepayment = 0;
    for (const [pid, sts] of appliedPayments) {
      const s = ledgerById.get(pid);
      if (!s) missingRepayment++;
      else if (s !== (sts.has('PAID') ? 'CLEARED' : 'PENDING')) wrongState++;
    }
    const orphanRepayments = ledger.filter((l) => !appliedPayments.has(l.externalId)).length;
    // A second application would be a second NOTIFY (one per applied event), a second ledger row, or a row without an applied event.
    const extraNotifications = Math.max(0, ledgerNotifications - applied.length);
    const appliedTwice = extraNotifications + ledgerDupes + orphanRepayments;
    const inWindow = (d: Date) => d.getTime() >= windowStartWall.getTime() && d.getTime() < windowEndWall.getTime();
    const lagsOf = (rs: Row[]) => rs.filter((r) => r.appliedAt).map((r) => r.appliedAt!.getTime() - r.receivedAt.getTime()).sort((a, b) => a - b);
    const windowRows = rows.filter((r) => inWindow(r.receivedAt));
    const lagWindow = lagsOf(windowRows);
    const lagAll = lagsOf(rows);
    const appliedInWindow = applied.filter((r) => inWindow(r.appliedAt!)).length;
    const lat = [...gen.window.latenciesMs].sort((a, b) => a - b);
    const pairs = [...gen.callbacks.values()].filter((c) => c.status === 'PENDING').length;

    const result = {
      date: startedAt.toISOString(),
      commit: commit(),
      machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.type()} ${os.release()}` },
      load: { atStart: loadStart, beforeWindow: loadBefore, atWindowEnd: loadAtEnd },
      params: { ...P, write, database: `fresh database on ${new URL(P.adminUrl).host} (dropped afterwards)` },
      setup: { seeded, snapshotsCached: snapshots, loans: loans.length, setupSeconds: +((setupStartedMs - t0) / 1000).toFixed(1) },
      reference,
      lateStarts: gen.lateStarts,
      window: {
        seconds: +windowSec.toFixed(3),
        sent: { ...gen.window.sent, total: gen.window.sent.single + gen.window.sent.pair + gen.window.sent.replay },
        answered: gen.window.answered,
        acknowledged: gen.window.acknowledged,
        acknowledgedPerSec: gen.window.acknowledged / windowSec,
        acknowledgedDuplicates: gen.window.acknowledgedDuplicate,
        byStatus: gen.window.byStatus,
        socketErrors: gen.window.socketErrors,
        keepAliveRetries: gen.window.keepAliveRetries,
        ackedByInstance: gen.window.ackedByInstance,
        latencyMs: { p50: quantile(lat, 0.5), p90: quantile(lat, 0.9), p99: quantile(lat, 0.99), max: lat.at(-1) ?? null },
        storedInWindow: windowRows.length,
        appliedInWindow,
        appliedPerSec: appliedInWindow / windowSec,
        inFlightAfterWindowMs: Math.round(inFlightDoneMs),
      },
      whole: {
        sent: { ...gen.total.sent, total: gen.total.sent.single + gen.total.sent.pair + gen.total.sent.replay },
        acknowledged: gen.total.acknowledged,
        byStatus: gen.total.byStatus,
        socketErrors: gen.total.socketErrors,
        distinctCallbacks: gen.callbacks.size,
        distinctAcknowledged: acked.length,
        conflictingPairs: pairs,
        payments: new Set([...gen.callbacks.values()].map((c) => c.paymentId)).size,
      },
      drain: { backlogAtWindowEnd: backlogAtEnd, drainedMs: Math.round(drainMs), drained: left === 0, leftAfterTimeout: left },
      integrity: {
        stored: rows.length,
        lost: lost.length,
        storedTwice,
        storedNotAcknowledged: storedNotAcked,
        replayedCallbacks: replayedKeys.length,
        replayedOnOneRow: replaysOnOneRow,
        applied: applied.length,
        unapplied,
        dead,
        deadLettersInDatabase: deadTotal,
        eventsWithAFailedTry: failedTries,
        reclaimed,
        ledgerRepayments: ledger.length,
        paymentsApplied: appliedPayments.size,
        ledgerNotifications,
        ledgerDuplicates: ledgerDupes,
        ledgerOrphans: orphanRepayments,
        ledgerMissing: missingRepayment,
        ledgerWrongState: wrongState,
        appliedTwice,
      },
      applyLagMs: {
        window: { n: lagWindow.length, p50: quantile(lagWindow, 0.5), p99: quantile(lagWindow, 0.99), max: lagWindow.at(-1) ?? null },
        all: { n: lagAll.length, p50: quantile(lagAll, 0.5), p99: quantile(lagAll, 0.99), max: lagAll.at(-1) ?? null },
      },
      cpu: {
        machineBusyCores: machineCores,
        instances: stats.filter((s) => s.name.startsWith('instance')).map((s) => ({ name: s.name, cores: s.cpuCoresInWindow })),
        sandboxCores: stats.find((s) => s.name === 'sandbox')?.cpuCoresInWindow ?? null,
        postgresCores: pgCores,
        postgresBackends: new Set([...pgStartPids, ...pgEndPids]).size,
        generatorCores: benchCores,
        /** Every PostgreSQL process on the machine during the window, exited backends included (all databases: other users' too). */
        /** Connections (sessions) opened to the benchmark database during the window (pg_stat_database.sessions). */
        postgresSessionsOpened: Number.isFinite(sessions1 - sessions0) ? sessions1 - sessions0 : null,
        postgresAllCores: pgAll0 !== null && pgAll1 !== null ? (pgAll1 - pgAll0) / windowSec : null,
        /** Busy cores of everything else on the machine (other users' processes, the kernel). */
        otherCores: machineCores === null ? null : machineCores - benchCores - pgCores - stats.reduce((a, x) => a + (x.cpuCoresInWindow ?? 0), 0),
      },
      /** Mean number of the benchmark database's backends in each state / wait event over the window. */
      postgresBackendStates: Object.fromEntries(Object.entries(pgStates).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / Math.max(1, pgSamples)).toFixed(2)])),
      /** CPU seconds from the window's start until the backlog was drained, per acknowledged request of the window. */
      costUntilDrained: (() => {
        const inst = stats.reduce((a, x, k) => (x.name.startsWith('instance') && procCpu0[k] != null && procCpu2[k] != null ? a + procCpu2[k]! - procCpu0[k]! : a), 0);
        const pgAll = pgAll0 !== null && pgAll2 !== null ? pgAll2 - pgAll0 : null;
        const machineBusy = machine0 && machine2 ? machine2.busy - machine0.busy : null;
        return {
          seconds: +untilDrainedSec.toFixed(2),
          backlogAtWindowStart,
          instancesCpuSeconds: +inst.toFixed(2),
          /** Of it, in the kernel (system time: mostly loopback TCP to PostgreSQL and the clients). */
          instancesSystemCpuSeconds: +stats
            .reduce((a, x, k) => (x.name.startsWith('instance') && split0[k] && split2[k] ? a + split2[k]!.system - split0[k]!.system : a), 0)
            .toFixed(2),
          postgresAllCpuSeconds: pgAll === null ? null : +pgAll.toFixed(2),
          machineBusySeconds: machineBusy === null ? null : +machineBusy.toFixed(2),
          instancesMsPerAck: (inst * 1000) / Math.max(1, gen.window.acknowledged),
          postgresAllMsPerAck: pgAll === null ? null : (pgAll * 1000) / Math.max(1, gen.window.acknowledged),
        };
      })(),
      memory: stats.map((s) => ({ name: s.name, peakRssBytes: s.peakRssBytes, windowPeakRssBytes: s.windowPeakRssBytes })),
      profile: profileSummary,
      drainProfile: drainProfileSummary,
      totalSeconds: 0,
    };
    await db.end();

    // 10. Shut down and drop the database.
    for (const p of [...instances, sandbox]) await stopProc(p);
    await dropDb();
    result.totalSeconds = Math.round((performance.now() - t0) / 1000);
    report(result);
  } catch (e) {
    await db.end().catch(() => undefined);
    for (const p of procs) await stopProc(p, 5000).catch(() => undefined);
    await dropDb().catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Report: table on stdout, JSON and Markdown
// ---------------------------------------------------------------------------

type Result = Parameters<typeof report>[0];

const f0 = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const f1 = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n.toFixed(1));
const f2 = (n: number | null | undefined) => (n === null || n === undefined ? 'n/a' : n.toFixed(2));
const mib = (b: number | null | undefined) => (b ? `${Math.round(b / 2 ** 20)} MiB` : 'n/a');
const dict = (o: Record<string, number>) => (Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ') : 'none');

function rows(r: any): [string, string, string][] {
  const ref: Reference | null = r.reference;
  const perRef = (v: number | null) => (ref && v !== null ? `${(v / ref.reqPerSec).toFixed(3)} of ref req/s` : '');
  const latRef = (v: number | null, q: 'p50' | 'p99') => (ref && v !== null ? `${(v / (q === 'p50' ? ref.p50Ms || 1 : ref.p99Ms || 1)).toFixed(1)}x ref ${q} latency` : '');
  const w = r.window;
  const i = r.integrity;
  const sentPerSec = w.sent.total / w.seconds;
  const errors = { ...Object.fromEntries(Object.entries(w.byStatus as Record<string, number>).filter(([k]) => k !== '200')), ...w.socketErrors };
  return [
    ['events sent in the window (requests)', `${f0(w.sent.total)} (${f0(sentPerSec)}/s): ${w.sent.single} new PAID, ${w.sent.pair} in conflicting pairs, ${w.sent.replay} replays`, perRef(sentPerSec)],
    ['acknowledged (HTTP 200) per second, all instances', `${f0(w.acknowledgedPerSec)} (${w.acknowledged} in ${f1(w.seconds)} s; per instance ${w.ackedByInstance.join(' / ')})`, perRef(w.acknowledgedPerSec)],
    ['  of them answered as duplicates', `${f0(w.acknowledgedDuplicates)}`, ''],
    ['errors / non-200 by status', `${dict(errors)}${w.keepAliveRetries ? ` (and ${w.keepAliveRetries} sent again after a keep-alive socket reset)` : ''}`, ''],
    ['webhook latency at the client p50 / p99', `${f1(w.latencyMs.p50)} / ${f1(w.latencyMs.p99)} ms`, ref ? `${latRef(w.latencyMs.p50, 'p50')}, ${latRef(w.latencyMs.p99, 'p99')}` : ''],
    ['events stored in the window (distinct)', `${f0(w.storedInWindow)} (${f0(w.storedInWindow / w.seconds)}/s)`, perRef(w.storedInWindow / w.seconds)],
    ['events applied in the window', `${f0(w.appliedInWindow)} (${f0(w.appliedPerSec)}/s)`, perRef(w.appliedPerSec)],
    ['backlog at window end; time to drain', `${f0(r.drain.backlogAtWindowEnd)}; ${f1(r.drain.drainedMs / 1000)} s${r.drain.drained ? '' : ` (NOT drained: ${r.drain.leftAfterTimeout} left)`}`, ''],
    ['apply lag (appliedAt - receivedAt) p50 / p99, window events', `${f0(r.applyLagMs.window.p50)} / ${f0(r.applyLagMs.window.p99)} ms (max ${f0(r.applyLagMs.window.max)}, n ${r.applyLagMs.window.n})`, ref ? `${latRef(r.applyLagMs.window.p50, 'p50')}, ${latRef(r.applyLagMs.window.p99, 'p99')}` : ''],
    ['lost (acknowledged, not stored)', `${i.lost} of ${r.whole.distinctAcknowledged} distinct acknowledged callbacks`, ''],
    ['replays stored on the original row', `${i.replayedOnOneRow} of ${i.replayedCallbacks} callbacks sent more than once; rows stored twice: ${i.storedTwice}`, ''],
    ['applied twice', `${i.appliedTwice} (change notifications ${i.ledgerNotifications} for ${i.applied} applied events; ledger rows ${i.ledgerRepayments} = payments applied ${i.paymentsApplied}; duplicate rows ${i.ledgerDuplicates}, orphans ${i.ledgerOrphans}, missing ${i.ledgerMissing}, wrong final state ${i.ledgerWrongState})`, ''],
    ['dead letters', `${i.deadLettersInDatabase} (events with a failed try: ${i.eventsWithAFailedTry}; re-claimed after a lapsed lease: ${i.reclaimed})`, ''],
    ['stored, applied, unapplied (whole run)', `${i.stored} stored (${i.storedNotAcknowledged} never acknowledged), ${i.applied} applied, ${i.unapplied} unapplied`, ''],
    ['CPU during the window (cores)', `machine ${f2(r.cpu.machineBusyCores)} of ${r.machine.cpus}; instances ${r.cpu.instances.map((x: { cores: number | null }) => f2(x.cores)).join(' / ')}; PostgreSQL ${f2(r.cpu.postgresCores)} (benchmark database's backends alive at the window's edges: ${r.cpu.postgresBackends}; all PostgreSQL processes incl. exited backends and other databases ${f2(r.cpu.postgresAllCores)}); sandbox ${f2(r.cpu.sandboxCores)}; generator ${f2(r.cpu.generatorCores)}; everything else on the machine ${f2(r.cpu.otherCores)}`, ref?.cpuCores ? `ref server ${f2(ref.cpuCores)} cores` : ''],
    [
      'CPU per acknowledged request, applying included (window start until drained)',
      `instances ${f1(r.costUntilDrained.instancesMsPerAck)} ms + PostgreSQL (all processes, upper bound) ${f1(r.costUntilDrained.postgresAllMsPerAck)} ms (${r.costUntilDrained.instancesCpuSeconds} CPU-s in the instances, ${r.costUntilDrained.instancesSystemCpuSeconds} of it system time, + ${r.costUntilDrained.postgresAllCpuSeconds} CPU-s in PostgreSQL over ${r.costUntilDrained.seconds} s; backlog at window start ${r.costUntilDrained.backlogAtWindowStart})`,
      ref?.cpuCores ? `ref server ${f2((ref.cpuCores * 1000) / ref.reqPerSec)} ms per request` : '',
    ],
    ['PostgreSQL backends by state (mean over the window)', Object.entries(r.postgresBackendStates as Record<string, number>).map(([k, v]) => `${k} ${v}`).join('; ') || 'n/a', ''],
    ['PostgreSQL connections opened during the window', `${f0(r.cpu.postgresSessionsOpened)} (${f1((r.cpu.postgresSessionsOpened ?? 0) / w.seconds)}/s)`, ''],
    ['peak RSS per instance (whole run)', r.memory.filter((m: { name: string }) => m.name.startsWith('instance')).map((m: { peakRssBytes: number }) => mib(m.peakRssBytes)).join(' / '), ref?.peakRssBytes ? `ref server ${mib(ref.peakRssBytes)}` : ''],
    ['load average before / after the window; CPUs', `${r.load.beforeWindow.map((x: number) => x.toFixed(2)).join(' ')} / ${r.load.atWindowEnd.map((x: number) => x.toFixed(2)).join(' ')}; ${r.machine.cpus}`, ''],
    ['reference: bare Apollo Server 5 `{ hello }`', ref ? `${f0(ref.reqPerSec)} req/s, p50 ${ref.p50Ms} ms, p99 ${ref.p99Ms} ms (autocannon ${ref.connections} connections, ${ref.seconds} s, errors ${ref.errors + ref.non2xx})` : 'skipped', ref ? '1' : ''],
  ];
}

function table(r: any): string {
  const body = rows(r).map(([a, b, c]) => `| ${a} | ${b} | ${c} |`);
  return ['| figure | value | vs plain Apollo `{ hello }` |', '|---|---|---|', ...body].join('\n');
}

function profileMarkdown(p: ProfileSummary, what: string): string {
  const lines = [
    `CPU profile of instance ${p.instance} ${what} (\`${p.file}\`, ${p.totalMs} ms of samples): self time by where the code lives:`,
    '',
    '| place | ms | share |',
    '|---|--:|--:|',
    ...p.byPlace.slice(0, 15).map((x) => `| ${x.place} | ${x.ms} | ${(x.share * 100).toFixed(1)}% |`),
    '',
    'Functions with the most self time:',
    '',
    '| function | ms | share |',
    '|---|--:|--:|',
    ...p.topFunctions.slice(0, 12).map((x) => `| \`${x.fn.replace(/\|/g, '\\|')}\` | ${x.ms} | ${(x.share * 100).toFixed(1)}% |`),
    '',
    'Inclusive time (with callees) of the application\'s functions and of pooled connections ended and opened:',
    '',
    '| function | ms | share |',
    '|---|--:|--:|',
    ...p.inclusive.slice(0, 14).map((x) => `| \`${x.fn.replace(/\|/g, '\\|')}\` | ${x.ms} | ${(x.share * 100).toFixed(1)}% |`),
  ];
  return lines.join('\n');
}

const INTRO = `${SECTION}

Generated by \`bench/cluster.ts\` (\`npm run bench:cluster\`); each run appends a subsection below. Three \`satukredit start\` processes on one fresh PostgreSQL database (created on the server at \`--database-url\`, default \`postgresql://postgres@127.0.0.1:5432/postgres\`, dropped afterwards), with \`satukredit sandbox\` and \`satukredit seed\` as in \`test/integration/cluster.test.ts\`, and one credit-view read per borrower so cached snapshots exist. A load generator in the bench process (node:http keep-alive agents) fires, by default on a fixed schedule of \`--rate\` 500 requests per second in total with at most \`--concurrency\` 96 in flight (an open loop: the rate a provider would send at; \`--rate 0\` sends as fast as answers come, which measures intake capacity and leaves applying to catch up afterwards), signed Finfra VA payment callbacks (\`POST /webhooks/finfra/api/core/payment-gateway/va/status\`, bodies and \`finfra-auth-key\` as \`WebhookSender.finfra\` builds them) at random instances, for payments of the generated dataset's Finfra loans: 70% of the requests a new payment's PAID callback, 10% conflicting pairs (a PENDING and a PAID callback of one new payment sent at the same moment to two different instances), 20% replays (a callback acknowledged before, sent again byte for byte to another instance). After an unmeasured warm-up, the window counts the answers received in it; then the benchmark waits until no stored event is left to apply and checks the database: every acknowledged distinct callback has exactly one row (lost = acknowledged but no row), each replay maps to its original row, every stored event applied, one change notification per applied event (the NOTIFY sent inside the applying transaction, counted by a LISTEN connection of the benchmark: applying an event twice would send a second one), one ledger repayment per applied payment in its final state (CLEARED once its PAID callback is applied), dead letters. The apply lag is \`appliedAt - receivedAt\` of the events received in the window. CPU is per process from \`/proc\` (PostgreSQL: the backends connected to the benchmark database), RSS sampled every 250 ms. In the same run, before the cluster starts, a bare Apollo Server 5 \`type Query { hello: String }\` (\`bench/apollo-hello.ts\`, its own process) is driven by autocannon with 50 connections on the same machine; rates are also given as a share of its req/s, latencies as multiples of its latency. Everything shares the machine's cores (instances, sandbox, PostgreSQL, the generator and whatever else runs), so the absolute figures are this machine's; nothing here is a test assertion.

\`\`\`sh
npm run bench:cluster                                  # 500 requests/s for a 10 s window after 3 s warm-up; appends here and writes bench/cluster-results.json
npm run bench:cluster -- --quick                       # 3 s smoke run, prints the table only (add --write to append)
npm run bench:cluster -- --rate 0 --concurrency 96      # closed loop: as many as the cluster acknowledges
npm run bench:cluster -- --rate 800 --duration 20 --cpu-prof bench/profiles
npm run bench:cluster -- --help
\`\`\`
`;

function markdown(r: any): string {
  const w = r.window;
  const lines = [
    `### Run ${r.date}`,
    '',
    `- Commit \`${r.commit}\`; ${r.machine.platform}, ${r.machine.cpuModel}, ${r.machine.cpus} CPUs, ${r.machine.memGiB} GiB, Node ${r.machine.node}`,
    `- Load average (1/5/15 min) at start ${r.load.atStart.map((x: number) => x.toFixed(2)).join(' ')}, before the window ${r.load.beforeWindow.map((x: number) => x.toFixed(2)).join(' ')}, at its end ${r.load.atWindowEnd.map((x: number) => x.toFixed(2)).join(' ')}; CPUs: ${r.machine.cpus}`,
    `- ${r.params.instances} instances, ${r.params.rate ? `open loop at ${r.params.rate} requests/s (a fixed schedule; iterations started over 50 ms late because every worker was busy: ${r.lateStarts ?? 0}), up to` : 'closed loop,'} ${r.params.concurrency} workers, ${r.params.durationSeconds} s window after ${r.params.warmupSeconds} s warm-up; ${r.params.borrowers} borrowers (seed ${r.params.seed}), ${r.setup.loans} Finfra loans as payment targets; ${r.setup.seeded}; ${r.setup.snapshotsCached} cached snapshots; instance LOG_LEVEL \`${r.params.logLevel}\`; ${r.params.database}`,
    `- Shares of the requests sent in the window: ${((w.sent.replay / w.sent.total) * 100).toFixed(1)}% replays, ${((w.sent.pair / w.sent.total) * 100).toFixed(1)}% in conflicting pairs (asked: ${r.params.replayShare * 100}% and ${r.params.conflictShare * 100}%)`,
    '',
    table(r),
    '',
    `Whole run (warm-up, window and the requests in flight at its end): ${r.whole.sent.total} requests, ${r.whole.acknowledged} acknowledged, ${r.whole.payments} payments, ${r.whole.conflictingPairs} conflicting pairs, ${r.whole.distinctCallbacks} distinct callbacks. Peak RSS during the window: ${r.memory.map((m: any) => `${m.name} ${mib(m.windowPeakRssBytes)}`).join(', ')}.`,
  ];
  if (r.profile) lines.push('', profileMarkdown(r.profile, 'during the window (ingest and applying)'));
  if (r.drainProfile) lines.push('', profileMarkdown(r.drainProfile, 'after the window while the backlog drained (applying only)'));
  if (r.findings?.length) lines.push('', ...r.findings.map((x: string) => `- ${x}`));
  return `${lines.join('\n')}\n`;
}

async function appendDocs(r: any): Promise<void> {
  const existing = existsSync(docsPath) ? await readFile(docsPath, 'utf8') : '# Benchmarks\n';
  const section = markdown(r);
  if (existing.includes(SECTION)) await appendFile(docsPath, `${existing.endsWith('\n') ? '' : '\n'}\n${section}`);
  else await appendFile(docsPath, `${existing.endsWith('\n') ? '' : '\n'}\n${INTRO}\n${section}`);
}

function report(r: any): void {
  process.stdout.write(`\nThree instances on PostgreSQL: webhook events (${r.date}, commit ${r.commit})\n\n`);
  const rs = rows(r);
  const wa = Math.max(...rs.map((x) => x[0].length));
  for (const [a, b, c] of rs) process.stdout.write(`${a.padEnd(wa)}  ${b}${c ? `   [${c}]` : ''}\n`);
  for (const [pr, what] of [[r.profile, 'window'], [r.drainProfile, 'drain']] as [ProfileSummary | null, string][]) {
    if (!pr) continue;
    process.stdout.write(`\nCPU profile of instance ${pr.instance}, ${what} (${pr.file}, ${pr.totalMs} ms), self time by place:\n`);
    for (const x of pr.byPlace.slice(0, 15)) process.stdout.write(`  ${x.place.padEnd(48)} ${String(x.ms).padStart(6)} ms  ${(x.share * 100).toFixed(1)}%\n`);
    process.stdout.write('top functions:\n');
    for (const x of pr.topFunctions.slice(0, 15)) process.stdout.write(`  ${x.fn.slice(0, 90).padEnd(90)} ${String(x.ms).padStart(6)} ms  ${(x.share * 100).toFixed(1)}%\n`);
    process.stdout.write('inclusive (application functions, connections ended/opened):\n');
    for (const x of pr.inclusive.slice(0, 15)) process.stdout.write(`  ${x.fn.slice(0, 90).padEnd(90)} ${String(x.ms).padStart(6)} ms  ${(x.share * 100).toFixed(1)}%\n`);
  }
  process.stdout.write(`\n(the whole run took ${r.totalSeconds} s)\n`);
  pendingWrite = r;
}

let pendingWrite: Result | null = null;

try {
  await main();
  if (write && pendingWrite) {
    await writeFile(resultsPath, `${JSON.stringify(pendingWrite, null, 2)}\n`);
    await appendDocs(pendingWrite);
    say(`bench:cluster: wrote ${path.relative(ROOT, resultsPath)} and appended to ${path.relative(ROOT, docsPath)}`);
  }
  process.exit(0);
} catch (e) {
  say(`bench:cluster failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
}
