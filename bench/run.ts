/**
 * Benchmark: drives the API with autocannon over loopback and reports, per
 * scenario, requests/s, p50/p90/p99 latency, provider calls per request (from
 * the sandbox's request counters), SQL statements and server CPU ms per request,
 * and the server's peak RSS; rates and latencies also relative to a plain Apollo
 * Server `{ hello }` (bench/apollo-hello.ts) driven the same way in the same run.
 *
 * The server side (in-memory PGlite or a PostgreSQL database, consents, API
 * server) runs in a child process, bench/server.ts, and the provider sandbox with
 * injected latency in a grandchild, bench/sandbox.ts, so the RSS, CPU and
 * event-loop figures are the server's alone; autocannon runs here.
 * Each scenario gets a fresh child (fresh database, sandbox, caches and heap)
 * unless --shared-server is given. With --both every scenario runs twice, on the
 * embedded PGlite and on a fresh database of a PostgreSQL server.
 *
 *   tsx bench/run.ts                 full run (10 s per scenario), writes bench/results.json and docs/benchmarks.md
 *   tsx bench/run.ts --quick         smoke run (2 s per scenario), prints the table, writes nothing unless --write
 *   tsx bench/run.ts --quick --both  the same on PGlite and on PostgreSQL (postgresql://postgres@127.0.0.1:5432/postgres)
 *   tsx bench/run.ts --help          every option
 *
 * Not a test: nothing here asserts times.
 */
import { execFileSync } from 'node:child_process';
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { allPostgresCpuSeconds, cpuSecondsOf, memoryOf } from './proc';
import type { ChildConfig, EndReport, ReadyMessage, SqlCount } from './server';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

/** The PostgreSQL server `--both` uses when no --database-url is given (trust auth on this machine). */
const DEFAULT_PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

const HELP = `Usage: tsx bench/run.ts [options]

  --duration <s>          seconds per scenario (default 10; env BENCH_DURATION)
  --quick                 smoke run: 2 s per scenario, 0.5 s warm-up, outputs not written unless --write
  --connections <n>       concurrent connections (default 10; env BENCH_CONNECTIONS)
  --borrowers <n>         generated borrowers (default 60; env BENCH_BORROWERS)
  --seed <n>              dataset seed (default 42; env BENCH_SEED)
  --latency-min <ms>      provider latency lower bound (default 40; env BENCH_LATENCY_MIN_MS)
  --latency-max <ms>      provider latency upper bound (default 120; env BENCH_LATENCY_MAX_MS)
  --warmup <s>            unmeasured warm-up per scenario (default 1)
  --timeout <s>           autocannon per-request timeout (default 30)
  --provider-timeout <ms> connector timeout per provider call (default 5000, the README default)
  --scenarios <list>      e.g. 1,2,7 (default all: 1..7)
  --shared-server         one server for all scenarios (order then matters: caches, ledger and heap carry over)
  --log-level <level>     server log level (default silent)
  --database-url <url>    PostgreSQL admin URL: each server child gets a fresh database there (dropped after);
                          default: in-memory PGlite (env BENCH_DATABASE_URL)
  --both                  run every scenario on both databases: the in-memory PGlite and a PostgreSQL server
                          (--database-url, default ${DEFAULT_PG_URL}); env BENCH_BOTH=1
  --no-reference          skip the reference: a bare Apollo Server 5 \`{ hello }\` (bench/apollo-hello.ts, its own
                          process) driven before the scenarios with the same connections, warm-up and duration
  --rate-limit <mode>     off (default): the per-client GraphQL cost budget is raised out of reach so one
                          benchmark client can saturate the server (limits and cost analysis still run);
                          default: keep the server's default budget (one client then gets RATE_LIMITED / 429)
  --cpu-prof <dir>        write a V8 CPU profile of the server during each measured window to <dir>/scenario-<n>.cpuprofile
  --heap-prof <dir>       write a V8 sampling heap profile of the server during each measured window to
                          <dir>/scenario-<n>.heapprofile (every allocation site, collected objects included)
  --no-response-cache     run the server child with RESPONSE_CACHE_MB=0 (response cache off: every read is computed;
                          for measuring the computation itself)
  --sql-log <dir>         write the distinct SQL statements the server sent during each measured window, with their
                          counts, to <dir>/scenario-<n>.sql.txt (with --both: scenario-<n>-<database>.sql.txt)
  --write / --no-write    write bench/results.json and docs/benchmarks.md (default: write unless --quick)
  --markdown              print the Markdown that --write would write to docs/benchmarks.md (stdout; writes nothing by itself)
  --results <file>        results path (default bench/results.json)
  --docs <file>           Markdown path (default docs/benchmarks.md)
`;

const { values: argv } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    connections: { type: 'string' },
    borrowers: { type: 'string' },
    seed: { type: 'string' },
    'latency-min': { type: 'string' },
    'latency-max': { type: 'string' },
    warmup: { type: 'string' },
    timeout: { type: 'string' },
    'provider-timeout': { type: 'string' },
    scenarios: { type: 'string' },
    'shared-server': { type: 'boolean', default: false },
    'log-level': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'heap-prof': { type: 'string' },
    'sql-log': { type: 'string' },
    'database-url': { type: 'string' },
    'rate-limit': { type: 'string' },
    both: { type: 'boolean', default: false },
    'no-reference': { type: 'boolean', default: false },
    'no-response-cache': { type: 'boolean', default: false },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean' },
    markdown: { type: 'boolean', default: false },
    results: { type: 'string' },
    docs: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (argv.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function num(name: string, flag: string | undefined, env: string | undefined, dflt: number, min = 0): number {
  const raw = flag ?? env;
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`bench: invalid --${name} ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return v;
}

const E = process.env;
const quick = argv.quick;
const both = argv.both || E.BENCH_BOTH === '1';
const databaseUrl = argv['database-url'] ?? E.BENCH_DATABASE_URL ?? (both ? DEFAULT_PG_URL : null);

/** Where a server child keeps its data: the in-memory PGlite in its own process, or a fresh database on the PostgreSQL server. */
type Db = 'embedded' | 'postgres';
const DB_LABEL: Record<Db, string> = { embedded: 'PGlite', postgres: 'PostgreSQL' };
/** The databases every scenario runs on, in this order. */
const databases: Db[] = both ? ['embedded', 'postgres'] : databaseUrl ? ['postgres'] : ['embedded'];
/** host:port of the PostgreSQL server (the URL itself may carry a password). */
const pgHost = databaseUrl ? new URL(databaseUrl).host : null;
const EMBEDDED_DESC = 'in-memory PGlite (embedded, runs inside the server process)';
const POSTGRES_DESC = `PostgreSQL server at ${pgHost} (fresh database per server process)`;
const params = {
  durationSeconds: num('duration', argv.duration, E.BENCH_DURATION, quick ? 2 : 10, 1),
  warmupSeconds: num('warmup', argv.warmup, E.BENCH_WARMUP, quick ? 0.5 : 1, 0),
  connections: Math.floor(num('connections', argv.connections, E.BENCH_CONNECTIONS, 10, 1)),
  borrowers: Math.floor(num('borrowers', argv.borrowers, E.BENCH_BORROWERS, 60, 1)),
  seed: Math.floor(num('seed', argv.seed, E.BENCH_SEED, 42)),
  latency: {
    minMs: Math.floor(num('latency-min', argv['latency-min'], E.BENCH_LATENCY_MIN_MS, 40)),
    maxMs: Math.floor(num('latency-max', argv['latency-max'], E.BENCH_LATENCY_MAX_MS, 120)),
  },
  requestTimeoutSeconds: num('timeout', argv.timeout, E.BENCH_TIMEOUT, 30, 1),
  providerTimeoutMs: Math.floor(num('provider-timeout', argv['provider-timeout'], E.BENCH_PROVIDER_TIMEOUT_MS, 5000, 1)),
  sharedServer: argv['shared-server'],
  rateLimit: (argv['rate-limit'] ?? E.BENCH_RATE_LIMIT ?? 'off') === 'default' ? ('default' as const) : ('off' as const),
  database: databases.map((d) => (d === 'embedded' ? EMBEDDED_DESC : POSTGRES_DESC)).join(', and '),
  databases,
  /** Run the plain Apollo `{ hello }` reference before the scenarios. */
  reference: !argv['no-reference'],
  quick,
  webhookReplayShare: 0.2,
};
if (params.latency.maxMs < params.latency.minMs) params.latency.maxMs = params.latency.minMs;
const logLevel = argv['log-level'] ?? E.BENCH_LOG_LEVEL ?? 'silent';
const write = argv['no-write'] ? false : (argv.write ?? !quick);
const resultsPath = path.resolve(ROOT, argv.results ?? 'bench/results.json');
const docsPath = path.resolve(ROOT, argv.docs ?? 'docs/benchmarks.md');
const selected = new Set(
  (argv.scenarios ?? '1,2,3,4,5,6,7')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => n >= 1 && n <= 7),
);

const say = (s: string) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------
// The server child
// ---------------------------------------------------------------------------

interface Child {
  ready: ReadyMessage;
  call<T = unknown>(cmd: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();

function tsxImport(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

const cpuProfDir = argv['cpu-prof'] ? path.resolve(argv['cpu-prof']) : null;
const heapProfDir = argv['heap-prof'] ? path.resolve(argv['heap-prof']) : null;
const sqlLogDir = argv['sql-log'] ? path.resolve(argv['sql-log']) : null;

let compiled: string | null = null;
/** bench/server.ts compiled to dist/bench/server.mjs (once per run). */
/** The flags between `node` and the script in package.json's `start` (what production runs the server with). */
function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  return /^node\s+((?:--\S+\s+)*)/.exec(start)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
}

function compiledServer(): string {
  if (!compiled) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--bench'], { cwd: ROOT, stdio: 'inherit' });
    compiled = path.join(ROOT, 'dist', 'bench', 'server.mjs');
  }
  return compiled;
}

async function startChild(name: string, db: Db): Promise<Child> {
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });
  if (heapProfDir) await mkdir(heapProfDir, { recursive: true });
  if (sqlLogDir) await mkdir(sqlLogDir, { recursive: true });
  const cfg: ChildConfig = {
    seed: params.seed,
    borrowers: params.borrowers,
    latency: params.latency,
    providerTimeoutMs: params.providerTimeoutMs,
    logLevel,
    cpuProfile: cpuProfDir ? path.join(cpuProfDir, `${name}.cpuprofile`) : null,
    heapProfile: heapProfDir ? path.join(heapProfDir, `${name}.heapprofile`) : null,
    sqlLog: sqlLogDir ? path.join(sqlLogDir, `${name}.sql.txt`) : null,
    databaseUrl: db === 'postgres' ? databaseUrl : null,
    rateLimit: params.rateLimit,
  };
  // The server child runs compiled JavaScript (scripts/build.mjs), as `npm start` does: no TypeScript loader in the measurement.
  const cp = fork(compiledServer(), [JSON.stringify(cfg)], {
    cwd: ROOT,
    // The Node/V8 flags npm start runs the server with (package.json's start script), or BENCH_SERVER_NODE_FLAGS
    // instead when set (e.g. GC settings to compare; an empty value: none).
    execArgv: process.env.BENCH_SERVER_NODE_FLAGS !== undefined ? process.env.BENCH_SERVER_NODE_FLAGS.split(/\s+/).filter(Boolean) : startFlags(),
    // --no-response-cache: the child's configuration reads RESPONSE_CACHE_MB from its environment.
    env: argv['no-response-cache'] ? { ...process.env, RESPONSE_CACHE_MB: '0' } : process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(cp);
  let seq = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let exited = false;
  const exitedP = new Promise<void>((resolve) =>
    cp.once('exit', (code, signal) => {
      exited = true;
      children.delete(cp);
      for (const p of pending.values()) p.reject(new Error(`server child exited (${signal ?? code})`));
      pending.clear();
      resolve();
    }),
  );
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server child not ready after 180 s')), 180_000);
    cp.on('message', (m: { type: string; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m as unknown as ReadyMessage);
      } else if (m.type === 'reply' && m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new Error(m.error));
      }
    });
    void exitedP.then(() => {
      clearTimeout(timer);
      reject(new Error('server child exited before it was ready'));
    });
  });
  const child: Child = {
    ready,
    call<T>(cmd: string, timeoutMs = 240_000): Promise<T> {
      if (exited) return Promise.reject(new Error('server child has exited'));
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`server child did not answer ${cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        cp.send({ id, cmd });
      });
    },
    async close() {
      if (exited) return;
      await child.call('close', 30_000).catch(() => undefined);
      const killer = setTimeout(() => cp.kill('SIGKILL'), 10_000);
      await exitedP;
      clearTimeout(killer);
    },
  };
  return child;
}

function killChildren(): void {
  for (const cp of children) cp.kill('SIGKILL');
}
process.once('SIGINT', () => {
  killChildren();
  process.exit(130);
});
process.once('exit', killChildren);

// ---------------------------------------------------------------------------
// GraphQL documents (the EVERYTHING query is a copy of the one in test/integration/read-path.test.ts)
// ---------------------------------------------------------------------------

const MONEY = 'amount currency';
const INSTALLMENT = `seq dueDate status principal { ${MONEY} } interest { ${MONEY} } amountDue { ${MONEY} } amountPaid { ${MONEY} } pendingAmount { ${MONEY} } outstanding { ${MONEY} }`;
const LOAN = `id provider providerLoanId type status scheduleSource frequency disbursedOn maturityDate daysPastDue qualityClass
  principal { ${MONEY} } overdueAmount { ${MONEY} }
  outstanding { principal { ${MONEY} } interest { ${MONEY} } lateFees { ${MONEY} } pending { ${MONEY} } total { ${MONEY} } }
  reconciliationIssues { kind message amount { ${MONEY} } }
  rate { percent period } tenor { value unit }
  installments { ${INSTALLMENT} } nextInstallment { ${INSTALLMENT} }
  repayments { transactionId channel status paidAt clearedAt settlementOverdue amount { ${MONEY} } }
  disbursements { transactionId channel status disbursedAt amount { ${MONEY} } }
  borrower { id }`;
const EVERYTHING = `query All($first: Int!) {
  borrowers(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id nik fullName createdAt
      accounts { provider linkedAt }
      loans { ${LOAN} }
      creditView {
        asOf complete totalOutstanding { ${MONEY} } totalPending { ${MONEY} } totalOverdue { ${MONEY} } worstQualityClass
        twp90 { percent outstandingOver90 { ${MONEY} } }
        nextInstallmentDue { loan { id providerLoanId } installment { ${INSTALLMENT} } }
        providers { provider health errorCode loanCount outstanding { ${MONEY} } }
        loans { ${LOAN} }
        borrower { id fullName }
      }
    } }
  }
}`;

/** The credit view of scenarios 2, 3 and 7: header, per-provider status, and every loan with its schedule, repayments and disbursements. */
const CV_HEADER = `asOf complete totalOutstanding { ${MONEY} } totalPending { ${MONEY} } totalOverdue { ${MONEY} } worstQualityClass
    twp90 { percent outstandingOver90 { ${MONEY} } }
    nextInstallmentDue { loan { id providerLoanId } installment { ${INSTALLMENT} } }
    providers { provider health errorCode loanCount outstanding { ${MONEY} } }`;
const creditViewQuery = (maxAge: boolean) =>
  maxAge
    ? `query CreditView($id: ID!, $maxAge: Int) { creditView(borrowerId: $id, maxAgeSeconds: $maxAge) { ${CV_HEADER} loans { ${LOAN} } } }`
    : `query CreditView($id: ID!) { creditView(borrowerId: $id) { ${CV_HEADER} loans { ${LOAN} } } }`;
/** Naive client, step 1: the same view without the loans' details (their ids only). */
const CV_NAIVE_HEADER = `query CreditViewHeader($id: ID!) { creditView(borrowerId: $id) { ${CV_HEADER} loans { id } } }`;
/** Naive client, steps 2..k+1: each loan on its own, with the same fields as in the batched view. */
const LOAN_ALONE = `query Loan($id: ID!) { loan(id: $id) { ${LOAN} } }`;
/** Scenario 4. */
const REFINANCE = `query Refinance($loanId: ID!, $borrowerId: ID!, $asOf: Date!) {
  loan(id: $loanId) {
    outstanding { principal { amount } interest { amount } pending { amount } total { amount } }
    payoffQuote(asOf: $asOf) { total { amount } }
  }
  creditView(borrowerId: $borrowerId) { payoffTotal(asOf: $asOf) { amount } }
}`;

interface GqlAnswer<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql<T = any>(child: Child, query: string, variables: Record<string, unknown> = {}): Promise<GqlAnswer<T>> {
  const res = await fetch(`${child.ready.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${child.ready.token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlAnswer<T>;
}

// ---------------------------------------------------------------------------
// Scenario fixtures (looked up through the API before the measured window)
// ---------------------------------------------------------------------------

interface Fixtures {
  borrowerIds: string[];
  /** Credit views accept `maxAgeSeconds` (a cross-request provider cache exists). */
  maxAgeArg: boolean;
  focus?: { borrowerId: string; name: string; loanIds: string[]; providers: string[] };
  refinance?: { borrowerId: string; loanId: string; providerLoanId: string; borrowerIndex: number };
  /** Scenario 5: the loans one `borrowers(first: 50)` answer holds (under `loans`; `creditView.loans` repeats them), counted once before the window. */
  loansPerRequest?: number;
}

async function borrowerIds(child: Child): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const r: GqlAnswer = await gql(child, `query($after: String) { borrowers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`, { after });
    if (r.errors?.length || !r.data) throw new Error(`borrowers lookup failed: ${JSON.stringify(r.errors)}`);
    ids.push(...r.data.borrowers.edges.map((e: { node: { id: string } }) => e.node.id));
    if (!r.data.borrowers.pageInfo.hasNextPage) return ids;
    after = r.data.borrowers.pageInfo.endCursor;
  }
}

async function hasMaxAgeArg(child: Child): Promise<boolean> {
  const r = await gql(child, `{ __type(name: "Query") { fields { name args { name } } } }`).catch(() => null);
  const f = r?.data?.__type?.fields?.find((x: { name: string }) => x.name === 'creditView');
  return Boolean(f?.args?.some((a: { name: string }) => a.name === 'maxAgeSeconds'));
}

/**
 * The borrowers the client sees, in the dataset's order (the seed borrower "John", linked at all three providers,
 * first) as the server child reported it, so that every run and both databases read the same borrowers; any the
 * child did not list follow in the API's order.
 */
async function orderedBorrowerIds(child: Child): Promise<string[]> {
  const seen = await borrowerIds(child);
  const rank = new Map((child.ready.borrowerIds ?? []).map((id, i) => [id, i]));
  return seen
    .map((id, i) => ({ id, k: rank.get(id) ?? rank.size + i }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.id);
}

async function fixtures(child: Child, n: number): Promise<Fixtures> {
  const fx: Fixtures = { borrowerIds: await orderedBorrowerIds(child), maxAgeArg: await hasMaxAgeArg(child) };
  if (n === 7) {
    const id = fx.borrowerIds[0]!;
    const r = await gql(child, `query($id: ID!) { borrower(id: $id) { fullName loans { id provider } } }`, { id });
    if (r.errors?.length || !r.data?.borrower) throw new Error(`focus borrower lookup failed: ${JSON.stringify(r.errors)}`);
    const loans = r.data.borrower.loans as { id: string; provider: string }[];
    fx.focus = { borrowerId: id, name: r.data.borrower.fullName, loanIds: loans.map((l) => l.id), providers: [...new Set(loans.map((l) => l.provider))] };
  }
  if (n === 5) {
    const r = await gql(child, `query($first: Int!) { borrowers(first: $first) { edges { node { loans { id } } } } }`, { first: 50 });
    if (r.errors?.length || !r.data) throw new Error(`loan count failed: ${JSON.stringify(r.errors)}`);
    fx.loansPerRequest = (r.data.borrowers.edges as { node: { loans: unknown[] } }[]).reduce((n, e) => n + e.node.loans.length, 0);
  }
  if (n === 4) {
    // The first borrower (John first) holding a loan that has a payoff quote today.
    for (let i = 0; i < fx.borrowerIds.length && !fx.refinance; i++) {
      const id = fx.borrowerIds[i]!;
      const r = await gql(child, `query($id: ID!, $asOf: Date!) { borrower(id: $id) { loans { id providerLoanId status payoffQuote(asOf: $asOf) { total { amount } } } } }`, {
        id,
        asOf: child.ready.today,
      });
      const loan = (r.data?.borrower?.loans ?? []).find((l: { payoffQuote: unknown }) => l.payoffQuote);
      if (loan) fx.refinance = { borrowerId: id, loanId: loan.id, providerLoanId: loan.providerLoanId, borrowerIndex: i };
    }
    if (!fx.refinance) throw new Error('no borrower holds a loan with a payoff quote today');
  }
  return fx;
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

/** What a run's responses said, beyond autocannon's own counters. */
class Tracker {
  graphqlErrorResponses = 0;
  errorCodes: Record<string, number> = {};
  statuses: Record<string, number> = {};
  viewLatencies: number[] = [];
  views = 0;
  webhook = { uniqueBuilt: 0, replaysBuilt: 0, acknowledged: 0, duplicates: 0 };

  graphql(status: number, body: string): void {
    if (status !== 200) {
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      return;
    }
    if (!body.includes('"errors"')) return;
    try {
      const errs = (JSON.parse(body) as GqlAnswer).errors ?? [];
      if (!errs.length) return;
      this.graphqlErrorResponses++;
      for (const e of errs) {
        const code = e.extensions?.code ?? 'NO_CODE';
        this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
      }
    } catch {
      this.errorCodes.UNPARSEABLE_BODY = (this.errorCodes.UNPARSEABLE_BODY ?? 0) + 1;
    }
  }
}

type Phase = 'warmup' | 'measure';

interface ScenarioDef {
  n: number;
  key: string;
  title: string;
  /** What one counted unit is. */
  unit: string;
  /** HTTP requests per unit (1 except the naive client's views). */
  httpPerUnit(fx: Fixtures): number;
  /** autocannon target path and request sequence (a fresh set per run: autocannon mutates them). */
  path: string;
  requests(fx: Fixtures, child: Child, t: Tracker, phase: Phase): autocannon.Request[];
  /** Notes for the report (what was measured, how). */
  notes(fx: Fixtures, child: Child): string;
}

const post = (body: string, onResponse: (status: number, body: string) => void): autocannon.Request => ({ method: 'POST', body, onResponse: (s, b) => onResponse(s, b) });
const gqlBody = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

const SCENARIOS: ScenarioDef[] = [
  {
    n: 1,
    key: 'trivial',
    title: 'Trivial query `{ __typename }`',
    unit: 'request',
    httpPerUnit: () => 1,
    path: '/graphql',
    requests: (_fx, _c, t) => [post(gqlBody('{ __typename }'), (s, b) => t.graphql(s, b))],
    notes: () => 'Bearer-token check, Apollo parse/validate/execute and the per-request context (DataLoaders, consent guard); no database or provider work. The ceiling for this stack on this machine.',
  },
  {
    n: 2,
    key: 'creditViewWarm',
    title: 'Credit view, one borrower (warm)',
    unit: 'request',
    httpPerUnit: () => 1,
    path: '/graphql',
    requests: (fx, _c, t) => [post(gqlBody(creditViewQuery(false), { id: fx.borrowerIds[0] }), (s, b) => t.graphql(s, b))],
    notes: (fx) =>
      `\`creditView(borrowerId)\` for borrower #0 (the seed borrower "John", linked at all three providers), the same borrower on every request, with header, per-provider status and every loan with schedule, repayments and disbursements. "Warm" means the same borrower was read just before (warm-up) and on every request; whether that saves provider calls depends on a cross-request cache: provider calls per request says what it did. ${fx.maxAgeArg ? 'This build has `maxAgeSeconds`, i.e. a provider cache; default freshness policy used.' : 'This build has no cross-request provider cache (`maxAgeSeconds` absent).'}`,
  },
  {
    n: 3,
    key: 'creditViewCold',
    title: 'Credit view, a different borrower per request (cold)',
    unit: 'request',
    httpPerUnit: () => 1,
    path: '/graphql',
    requests: (fx, _c, t) => {
      let i = 0;
      const query = creditViewQuery(fx.maxAgeArg);
      return [
        {
          method: 'POST',
          setupRequest: (req) => {
            const id = fx.borrowerIds[i++ % fx.borrowerIds.length];
            return { ...req, body: gqlBody(query, fx.maxAgeArg ? { id, maxAge: 0 } : { id }) };
          },
          onResponse: (s, b) => t.graphql(s, b),
        },
      ];
    },
    notes: (fx) =>
      `Same query as #2, cycling through all ${fx.borrowerIds.length} borrowers (each connection takes the next one). ${fx.maxAgeArg ? 'This build has a cross-request provider cache, so requests pass `maxAgeSeconds: 0` to force a provider read on every request (otherwise the cache would be warm after the first cycle).' : 'No cross-request provider cache in this build, so every request reads the providers.'}`,
  },
  {
    n: 4,
    key: 'refinance',
    title: 'Refinancing query (loan payoff + credit-view payoff total)',
    unit: 'request',
    httpPerUnit: () => 1,
    path: '/graphql',
    requests: (fx, child, t) => [post(gqlBody(REFINANCE, { loanId: fx.refinance!.loanId, borrowerId: fx.refinance!.borrowerId, asOf: child.ready.today }), (s, b) => t.graphql(s, b))],
    notes: (fx, child) =>
      `\`loan(id){ outstanding{...} payoffQuote(asOf: "${child.ready.today}") }\` + \`creditView(borrowerId){ payoffTotal(asOf) }\` in one request, for borrower #${fx.refinance!.borrowerIndex} and its loan ${fx.refinance!.providerLoanId} (the first borrower with a loan quotable today), the same on every request.`,
  },
  {
    n: 5,
    key: 'borrowers50Everything',
    title: '`borrowers(first: 50)` with every nested field',
    unit: 'request',
    httpPerUnit: () => 1,
    path: '/graphql',
    requests: (_fx, _c, t) => [post(gqlBody(EVERYTHING, { first: 50 }), (s, b) => t.graphql(s, b))],
    notes: (fx) =>
      `The EVERYTHING query of test/integration/read-path.test.ts (copied): 50 borrowers, each with accounts, loans (schedule, repayments, disbursements, reconciliation) and credit view. One request fans out to every linked account of 50 borrowers. One answer holds ${fx.loansPerRequest} loans (each twice: under \`loans\` and \`creditView.loans\`); server CPU per loan is the CPU per request divided by that.`,
  },
  {
    n: 6,
    key: 'webhookIngest',
    title: 'Webhook ingest: Finfra `va` callbacks (~20% replays)',
    unit: 'callback',
    httpPerUnit: () => 1,
    path: '/webhooks/finfra/api/core/payment-gateway/va/status',
    requests: (_fx, child, t, phase) => {
      const loans = child.ready.finfraLoanIds;
      const banks = ['BCA', 'MANDIRI', 'BRI', 'BNI'];
      let seq = 0;
      let rng = params.seed >>> 0 || 1;
      const rand = () => {
        // xorshift32: deterministic replay choices
        rng ^= rng << 13;
        rng ^= rng >>> 17;
        rng ^= rng << 5;
        return (rng >>> 0) / 4294967296;
      };
      const sent: string[] = [];
      const tag = `${phase === 'warmup' ? 'W' : 'M'}${Date.now().toString(36)}`;
      return [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'finfra-auth-key': child.ready.finfraAuthKey },
          setupRequest: (req) => {
            let body: string;
            if (sent.length && rand() < params.webhookReplayShare) {
              body = sent[Math.floor(rand() * sent.length)]!;
              t.webhook.replaysBuilt++;
            } else {
              seq++;
              const at = new Date().toISOString();
              body = JSON.stringify({
                type: 'va',
                status: 'PAID',
                data: { payment_id: `BENCH-${tag}-${seq}`, loanUniqueId: loans[seq % loans.length], amount: 10_000 + (seq % 50) * 1000, bank_code: banks[seq % 4], status: 'PAID', paid_at: at, settled_at: at },
              });
              if (sent.length < 10_000) sent.push(body);
              else sent[seq % 10_000] = body;
              t.webhook.uniqueBuilt++;
            }
            return { ...req, body };
          },
          onResponse: (s, b) => {
            if (s !== 200) {
              t.statuses[s] = (t.statuses[s] ?? 0) + 1;
              return;
            }
            t.webhook.acknowledged++;
            if (b.includes('"duplicate":true')) t.webhook.duplicates++;
          },
        },
      ];
    },
    notes: (_fx, child) =>
      `POST /webhooks/finfra/api/core/payment-gateway/va/status with the configured \`finfra-auth-key\`; bodies \`{type:'va', status:'PAID', data:{payment_id, loanUniqueId, amount, bank_code, status:'PAID', paid_at, settled_at}}\` with a unique payment_id over ${child.ready.finfraLoanIds.length} Finfra loans, and ~${params.webhookReplayShare * 100}% exact replays of bodies sent before in the same run. Measures verify + validate + store-under-idempotency-key + acknowledge; the ledger applier runs after the acknowledgement, and its drain time after the load stops is reported separately.`,
  },
  {
    n: 7,
    key: 'creditViewNaive',
    title: 'Credit view (#2) by a naive client: header + one `loan(id)` per loan',
    unit: 'view',
    httpPerUnit: (fx) => 1 + fx.focus!.loanIds.length,
    path: '/graphql',
    requests: (fx, _c, t) => {
      const f = fx.focus!;
      const header: autocannon.Request = {
        method: 'POST',
        body: gqlBody(CV_NAIVE_HEADER, { id: f.borrowerId }),
        setupRequest: (req, ctx) => {
          (ctx as { t0?: number }).t0 = performance.now();
          return req;
        },
        onResponse: (s, b) => t.graphql(s, b),
      };
      const loans = f.loanIds.map((id, i) => ({
        method: 'POST' as const,
        body: gqlBody(LOAN_ALONE, { id }),
        onResponse: (s: number, b: string, ctx: object) => {
          t.graphql(s, b);
          const t0 = (ctx as { t0?: number }).t0;
          if (i === f.loanIds.length - 1 && t0 !== undefined) {
            t.viewLatencies.push(performance.now() - t0);
            t.views++;
          }
        },
      }));
      return [header, ...loans];
    },
    notes: (fx) =>
      `The view of #2 (same borrower, same fields) fetched the way a client without the one-query credit view would: 1 request for the credit-view header with the loans' ids only, then ${fx.focus!.loanIds.length} sequential \`loan(id)\` requests (one per loan, ${fx.focus!.providers.join('/')}) each asking for the same loan fields as #2, on the same connection. A unit is one complete view (${1 + fx.focus!.loanIds.length} HTTP requests); req/s here is views/s, latency is per view (first request sent to last answer), provider calls are per view. Server-side DataLoader batching is not switched off (that would need a change in src/): the difference to #2 is what batching plus per-request de-duplication within one query save over separate requests.`,
  },
];

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

function runCannon(url: string, headers: Record<string, string>, requests: autocannon.Request[], seconds: number, connections = params.connections): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url,
        connections,
        duration: seconds,
        timeout: params.requestTimeoutSeconds,
        headers,
        requests,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    void inst;
  });
}

/** CPU time of all cores since boot, busy (not idle/iowait), ms. */
function systemBusyMs(): number {
  return os.cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const MiB = 1024 * 1024;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

// ---------------------------------------------------------------------------
// Per-process figures from /proc (the reference server, PostgreSQL), and the load average
// ---------------------------------------------------------------------------

/** The machine's 1, 5 and 15 minute load averages, two decimals. */
const loadAverage = (): number[] => os.loadavg().map(r2);
const fmtLoad = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' ');

// ---------------------------------------------------------------------------
// Reference: bare Apollo Server 5 `{ hello }` (bench/apollo-hello.ts) driven like the scenarios
// ---------------------------------------------------------------------------

/** The reference run: same connections, warm-up and duration as each scenario, its own process, before the scenarios. */
interface ReferenceResult {
  title: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Requests completed in the window. */
  completed: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** The reference process's CPU time during the window / wall time (/proc/<pid>/stat, 10 ms ticks); null without /proc. */
  cpuCores: number | null;
  /** Its CPU time during the window divided by the requests completed, ms. */
  cpuMsPerRequest: number | null;
  /** Its RSS sampled every 100 ms during the window, and its kernel high-water mark (whole life), MiB. */
  rssPeakMiB: number | null;
  maxRssSinceStartMiB: number | null;
  loadAverage: { before: number[]; after: number[] };
}

/** Starts bench/apollo-hello.ts, warms it up on one connection, measures it with autocannon, stops it. */
async function runReference(): Promise<ReferenceResult> {
  const cp = fork(path.join(HERE, 'apollo-hello.ts'), [], { cwd: ROOT, execArgv: ['--import', tsxImport()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(cp);
  try {
    const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('apollo-hello not ready after 60 s')), 60_000);
      cp.once('message', (m: { type: string; url: string; pid: number }) => {
        clearTimeout(t);
        resolve(m);
      });
      cp.once('exit', () => reject(new Error('apollo-hello exited before it was ready')));
    });
    const pid = ready.pid ?? cp.pid!;
    const requests = (): autocannon.Request[] => [{ method: 'POST', body: JSON.stringify({ query: '{ hello }' }) }];
    const headers = { 'content-type': 'application/json' };
    if (params.warmupSeconds > 0) await runCannon(ready.url, headers, requests(), params.warmupSeconds, 1);
    const loadBefore = loadAverage();
    let peak = 0;
    const sample = () => (peak = Math.max(peak, memoryOf(pid)?.rss ?? 0));
    sample();
    const sampler = setInterval(sample, 100);
    const cpu0 = cpuSecondsOf(pid);
    const t0 = performance.now();
    const r = await runCannon(ready.url, headers, requests(), params.durationSeconds);
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = cpuSecondsOf(pid);
    clearInterval(sampler);
    sample();
    const mem = memoryOf(pid);
    const cpuS = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    const completed = r.requests.total;
    return {
      title: 'Plain Apollo Server 5 `{ hello }` (bench/apollo-hello.ts)',
      connections: params.connections,
      durationSeconds: r.duration,
      warmupSeconds: params.warmupSeconds,
      completed,
      reqPerSec: r1(completed / r.duration),
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: r2(r.latency.mean), max: r.latency.max },
      non2xx: r.non2xx,
      socketErrors: r.errors,
      timeouts: r.timeouts,
      cpuCores: cpuS !== null ? r2(cpuS / wall) : null,
      cpuMsPerRequest: cpuS !== null && completed ? r3((cpuS * 1000) / completed) : null,
      rssPeakMiB: peak ? r1(peak / MiB) : null,
      maxRssSinceStartMiB: mem && Number.isFinite(mem.hwm) ? r1(mem.hwm / MiB) : null,
      loadAverage: { before: loadBefore, after: loadAverage() },
    };
  } finally {
    cp.kill('SIGTERM');
    await new Promise((r) => (cp.exitCode !== null || cp.signalCode !== null ? r(null) : cp.once('exit', r)));
    children.delete(cp);
  }
}

interface ScenarioResult {
  n: number;
  /** The database the server child used. */
  database: Db;
  key: string;
  title: string;
  unit: string;
  httpRequestsPerUnit: number;
  durationSeconds: number;
  /** Units completed inside the window (client side). */
  completed: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  providerCallsPerRequest: number;
  /** SQL statements the server child sent to its database per unit (window, HTTP drain and applier drain; see `sql`). */
  sqlPerRequest: number;
  /**
   * SQL statements counted in the server child (bench/server.ts): `window` from `begin` until the HTTP drain ended,
   * `total` until the webhook applier had caught up too (the figure per unit above); `perRequestByKind` from `total`.
   * Background work in the same span (the applier's poll every 500 ms) counts as well.
   */
  sql: { window: SqlCount; total: SqlCount; perRequestByKind: Record<string, number> };
  providerCalls: { total: number; byProvider: Record<string, number>; perRequestByEndpoint: Record<string, number> };
  http: {
    requestsPerSec: number;
    completed: number;
    serverReceived: number;
    serverAnswered: number;
    non2xx: number;
    socketErrors: number;
    timeouts: number;
    statuses: Record<string, number>;
    latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  };
  graphqlErrors: { responses: number; share: number; codes: Record<string, number> };
  server: {
    rssPeakMiB: number;
    rssStartMiB: number;
    rssEndMiB: number;
    rssSamples: number;
    heapUsedPeakMiB: number;
    maxRssSinceStartMiB: number;
    cpuCores: number;
    /** The server child's CPU time from `begin` until the applier caught up, per unit received, ms (the sandbox runs in a process of its own, bench/sandbox.ts). */
    cpuMsPerRequest: number;
    cpuMs: { window: number; total: number };
    eventLoopUtilization: number;
    eventLoopDelayMs: { p50: number; p99: number; max: number };
    httpDrainMs: number;
    setupMs: number;
  };
  /**
   * PostgreSQL pass only: CPU time of every PostgreSQL process on the machine over the same span as `server.cpuMs.total`
   * (all databases, exited backends included: an upper bound for the benchmark database), per unit received, ms.
   */
  postgresCpuMsPerRequest: number | null;
  /** The provider sandbox process's CPU time over the same span as the server's, per unit received, ms (it serves the provider calls). */
  sandboxCpuMsPerRequest: number | null;
  /** The embedded database's own process (as npm start runs it): peak RSS sampled every 100 ms in the span, and CPU per unit; null on PostgreSQL. */
  databaseProcess: { rssPeakMiB: number; cpuMsPerRequest: number } | null;
  /** The machine's 1/5/15 minute load averages just before the measured window and just after it. */
  loadAverage: { before: number[]; after: number[] };
  /** CPU during the window, in cores: the server child, this process (autocannon), and everything else on the machine. */
  cpu: { serverCores: number; benchCores: number; otherCores: number; machineCores: number; loadAverage1m: number };
  webhook?: {
    uniqueBodiesBuilt: number;
    replaysBuilt: number;
    acknowledged: number;
    duplicatesAcknowledged: number;
    applierDrainMs: number;
    applierDrained: boolean;
    eventsStored: number;
    eventsApplied: number;
    eventsFailed: number;
    ledgerRepayments: number;
  };
  ratioToTrivial?: { reqPerSec: number; p50: number };
  /** Scenario 5: loans per answer (counted before the window) and the server's CPU per loan, ms. */
  perLoan?: { loansPerRequest: number; cpuMs: number };
  /** req/s as a share of the reference's, latencies as multiples of the reference's (p50 of p50, p99 of p99). */
  ratioToReference?: { reqPerSec: number; p50: number; p99: number };
  notes: string;
}

async function runScenario(def: ScenarioDef, child: Child, db: Db): Promise<ScenarioResult> {
  const fx = await fixtures(child, def.n);
  const url = `${child.ready.url}${def.path}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (def.path === '/graphql') headers.authorization = `Bearer ${child.ready.token}`;
  // Warm-up on one connection (JIT, connector tokens, caches) without overloading anything before the window;
  // a request cut off by its end still completes on the server, and `end` waits for it (its report is discarded).
  if (params.warmupSeconds > 0) await runCannon(url, headers, def.requests(fx, child, new Tracker(), 'warmup'), params.warmupSeconds, 1);
  await child.call('end');
  const t = new Tracker();
  const reqs = def.requests(fx, child, t, 'measure');
  const loadBefore = loadAverage();
  say(`#${def.n} ${DB_LABEL[db]}: load average before the window ${fmtLoad(loadBefore)}`);
  const pg0 = db === 'postgres' ? allPostgresCpuSeconds() : null;
  const sb0 = child.ready.sandboxPid ? cpuSecondsOf(child.ready.sandboxPid) : null;
  // The embedded database's own process (npm start's layout): its CPU over the span and its RSS every 100 ms.
  const dbPid = child.ready.databasePid ?? null;
  const dbCpu0 = dbPid ? cpuSecondsOf(dbPid) : null;
  let dbRssPeak = 0;
  const dbSampler = dbPid ? setInterval(() => (dbRssPeak = Math.max(dbRssPeak, memoryOf(dbPid)?.rss ?? 0)), 100) : null;
  const sys0 = systemBusyMs();
  const self0 = process.cpuUsage();
  const wall0 = performance.now();
  await child.call('begin');
  const res = await runCannon(url, headers, reqs, params.durationSeconds);
  const loadAfter = loadAverage();
  // Machine-wide and own CPU over the load itself (the server's figure covers the window plus its HTTP drain).
  const wall = performance.now() - wall0;
  const sysCores = (systemBusyMs() - sys0) / wall;
  const selfUsage = process.cpuUsage(self0);
  const benchCores = (selfUsage.user + selfUsage.system) / 1000 / wall;
  const end = await child.call<EndReport>('end');
  const pg1 = db === 'postgres' ? allPostgresCpuSeconds() : null;
  const sb1 = child.ready.sandboxPid ? cpuSecondsOf(child.ready.sandboxPid) : null;
  if (dbSampler) clearInterval(dbSampler);
  const dbCpu1 = dbPid ? cpuSecondsOf(dbPid) : null;
  const counts = def.n === 6 ? await child.call<{ webhookEvents: number; applied: number; failed: number; ledgerRepayments: number }>('counts') : null;

  const perUnit = def.httpPerUnit(fx);
  const seconds = res.duration;
  const httpCompleted = res.requests.total;
  const none = { p50: NaN, p90: NaN, p99: NaN, mean: NaN, max: NaN };
  const httpLatency = httpCompleted ? { p50: res.latency.p50, p90: res.latency.p90, p99: res.latency.p99, mean: r2(res.latency.mean), max: res.latency.max } : none;
  let completed = httpCompleted;
  let latency = httpLatency;
  if (def.unit === 'view') {
    const sorted = [...t.viewLatencies].sort((a, b) => a - b);
    completed = t.views;
    latency = !sorted.length ? none : {
      p50: r1(percentile(sorted, 50)),
      p90: r1(percentile(sorted, 90)),
      p99: r1(percentile(sorted, 99)),
      mean: r2(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)),
      max: r1(sorted[sorted.length - 1] ?? NaN),
    };
  }
  // Provider calls per unit: calls made while serving the window's requests (aborted ones included, they also called)
  // divided by the units the server received.
  const unitsReceived = end.serverRequests / perUnit;
  const perReq = (x: number) => (unitsReceived > 0 ? x / unitsReceived : 0);
  const graphqlResponses = def.n === 6 ? 0 : httpCompleted;
  return {
    n: def.n,
    database: db,
    key: def.key,
    title: def.title,
    unit: def.unit,
    httpRequestsPerUnit: perUnit,
    durationSeconds: seconds,
    completed,
    reqPerSec: r1(completed / seconds),
    latencyMs: latency,
    providerCallsPerRequest: r2(perReq(end.sandbox.total)),
    sqlPerRequest: r2(perReq(end.sql.total.statements)),
    sql: {
      window: end.sql.window,
      total: end.sql.total,
      perRequestByKind: Object.fromEntries(
        Object.entries(end.sql.total.byKind)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, r2(perReq(v))]),
      ),
    },
    providerCalls: {
      total: end.sandbox.total,
      byProvider: end.sandbox.byProvider,
      perRequestByEndpoint: Object.fromEntries(
        Object.entries(end.sandbox.byEndpoint)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, r2(perReq(v))]),
      ),
    },
    http: {
      requestsPerSec: r1(httpCompleted / seconds),
      completed: httpCompleted,
      serverReceived: end.serverRequests,
      serverAnswered: end.serverAnswered,
      non2xx: res.non2xx,
      socketErrors: res.errors,
      timeouts: res.timeouts,
      statuses: t.statuses,
      latencyMs: httpLatency,
    },
    graphqlErrors: { responses: t.graphqlErrorResponses, share: graphqlResponses ? r3(t.graphqlErrorResponses / graphqlResponses) : 0, codes: t.errorCodes },
    server: {
      rssPeakMiB: r1(end.rss.peak / MiB),
      rssStartMiB: r1(end.rss.start / MiB),
      rssEndMiB: r1(end.rss.end / MiB),
      rssSamples: end.rss.samples,
      heapUsedPeakMiB: r1(end.heapUsedPeak / MiB),
      maxRssSinceStartMiB: r1(end.maxRssSinceStart / MiB),
      cpuCores: r2(end.cpuCores),
      cpuMsPerRequest: r2(perReq(end.cpuMs.total)),
      cpuMs: { window: Math.round(end.cpuMs.window), total: Math.round(end.cpuMs.total) },
      eventLoopUtilization: r2(end.eventLoopUtilization),
      eventLoopDelayMs: { p50: r1(end.eventLoopDelayMs.p50), p99: r1(end.eventLoopDelayMs.p99), max: r1(end.eventLoopDelayMs.max) },
      httpDrainMs: end.httpDrainMs,
      setupMs: child.ready.setupMs,
    },
    postgresCpuMsPerRequest: pg0 !== null && pg1 !== null ? r2(perReq((pg1 - pg0) * 1000)) : null,
    sandboxCpuMsPerRequest: sb0 !== null && sb1 !== null ? r2(perReq((sb1 - sb0) * 1000)) : null,
    databaseProcess: dbPid && dbCpu0 !== null && dbCpu1 !== null ? { rssPeakMiB: r1(dbRssPeak / MiB), cpuMsPerRequest: r2(perReq((dbCpu1 - dbCpu0) * 1000)) } : null,
    loadAverage: { before: loadBefore, after: loadAfter },
    cpu: {
      serverCores: r2(end.cpuCores),
      benchCores: r2(benchCores),
      otherCores: r2(Math.max(0, sysCores - end.cpuCores - benchCores)),
      machineCores: os.cpus().length,
      loadAverage1m: r2(os.loadavg()[0]!),
    },
    webhook:
      def.n === 6 && counts
        ? {
            uniqueBodiesBuilt: t.webhook.uniqueBuilt,
            replaysBuilt: t.webhook.replaysBuilt,
            acknowledged: t.webhook.acknowledged,
            duplicatesAcknowledged: t.webhook.duplicates,
            applierDrainMs: end.applierDrainMs,
            applierDrained: end.applierDrained,
            eventsStored: counts.webhookEvents,
            eventsApplied: counts.applied,
            eventsFailed: counts.failed,
            ledgerRepayments: counts.ledgerRepayments,
          }
        : undefined,
    perLoan: fx.loansPerRequest ? { loansPerRequest: fx.loansPerRequest, cpuMs: Math.round((perReq(end.cpuMs.total) / fx.loansPerRequest) * 1000) / 1000 } : undefined,
    notes: def.notes(fx, child),
  };
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/**
 * Where git is asked for the commit. BENCH_GIT_ROOT names the repository when the benchmark runs in an exported
 * copy of a commit (`git archive <commit> | tar -x`, with node_modules and src/generated beside it): the commit
 * is then read there and its working-tree changes, which did not run, are not listed.
 */
const GIT_ROOT = E.BENCH_GIT_ROOT ? path.resolve(E.BENCH_GIT_ROOT) : ROOT;
const EXPORTED_TREE = GIT_ROOT !== ROOT;
/** With BENCH_GIT_ROOT: the commit that was exported (BENCH_GIT_REV, default HEAD; pass the exact id, HEAD may move meanwhile). */
const GIT_REV = EXPORTED_TREE ? (E.BENCH_GIT_REV ?? 'HEAD') : 'HEAD';

function git(args: string[]): string | null {
  try {
    // trimEnd only: `status --porcelain` lines start with a significant space (" M file").
    return execFileSync('git', args, { cwd: GIT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return null;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: r1(os.totalmem() / 1024 ** 3),
    node: process.version,
  };
}

const fmt = (x: number | null | undefined, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(d).replace(/\.0+$/, ''));

/** The results in table order: by scenario, then by database (PGlite before PostgreSQL). */
const ordered = (rs: readonly ScenarioResult[]) => [...rs].sort((a, b) => a.n - b.n || databases.indexOf(a.database) - databases.indexOf(b.database));

function table(results: ScenarioResult[], ref: ReferenceResult | null): string {
  const head =
    '| # | database | scenario | unit | n | req/s | p50 ms | p90 ms | p99 ms | provider calls / unit | SQL statements / unit | server CPU ms / unit | server peak RSS MiB | server CPU cores | req/s vs ref | p50 vs ref | p99 vs ref | req/s vs #1 | p50 vs #1 | load 1 min before / after | errors |';
  const sep = '|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|';
  const rows: string[] = [];
  if (ref) {
    const errs = ref.non2xx + ref.socketErrors ? `${ref.non2xx} non-2xx, ${ref.socketErrors} socket errors (${ref.timeouts} timeouts)` : 'none';
    rows.push(
      `| ref | (none) | ${ref.title} | request | ${ref.completed} | ${fmt(ref.reqPerSec)} | ${fmt(ref.latencyMs.p50)} | ${fmt(ref.latencyMs.p90)} | ${fmt(ref.latencyMs.p99)} | 0 | 0 | ${fmt(ref.cpuMsPerRequest, 3)} | ${fmt(ref.rssPeakMiB, 0)} | ${fmt(ref.cpuCores, 2)} | 1 | 1 | 1 |  |  | ${fmt(ref.loadAverage.before[0], 2)} / ${fmt(ref.loadAverage.after[0], 2)} | ${errs} |`,
    );
  }
  for (const r of ordered(results)) {
    const errs: string[] = [];
    if (r.graphqlErrors.responses) errs.push(`${r.graphqlErrors.responses} GraphQL (${Object.entries(r.graphqlErrors.codes).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    if (r.http.non2xx) errs.push(`${r.http.non2xx} non-2xx (${Object.entries(r.http.statuses).map(([k, v]) => `${k}: ${v}`).join(', ')})`);
    if (r.http.socketErrors) errs.push(`${r.http.socketErrors} socket errors (${r.http.timeouts} timeouts)`);
    const cpu = `${fmt(r.server.cpuMsPerRequest, 2)}${r.postgresCpuMsPerRequest !== null ? ` (+${fmt(r.postgresCpuMsPerRequest, 2)} PostgreSQL)` : ''}${r.databaseProcess ? ` (+${fmt(r.databaseProcess.cpuMsPerRequest, 2)} database process)` : ''}${r.sandboxCpuMsPerRequest ? ` (sandbox ${fmt(r.sandboxCpuMsPerRequest, 2)})` : ''}`;
    const vsRef = r.ratioToReference ? [fmt(r.ratioToReference.reqPerSec, 3), fmt(r.ratioToReference.p50, 1), fmt(r.ratioToReference.p99, 1)] : ['n/a', 'n/a', 'n/a'];
    rows.push(
      `| ${r.n} | ${DB_LABEL[r.database]} | ${r.title} | ${r.unit} | ${r.completed} | ${fmt(r.reqPerSec)} | ${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p90)} | ${fmt(r.latencyMs.p99)} | ${fmt(r.providerCallsPerRequest, 2)} | ${fmt(r.sqlPerRequest, 2)} | ${cpu} | ${fmt(r.server.rssPeakMiB, 0)}${r.databaseProcess ? ` (+${fmt(r.databaseProcess.rssPeakMiB, 0)} database process)` : ''} | ${fmt(r.cpu.serverCores, 2)} | ${vsRef.join(' | ')} | ${r.ratioToTrivial ? fmt(r.ratioToTrivial.reqPerSec, 3) : 'n/a'} | ${r.ratioToTrivial ? fmt(r.ratioToTrivial.p50, 1) : 'n/a'} | ${fmt(r.loadAverage.before[0], 2)} / ${fmt(r.loadAverage.after[0], 2)} | ${errs.join('; ') || 'none'} |`,
    );
  }
  return [head, sep, ...rows].join('\n');
}

function markdown(report: Report): string {
  const m = report.machine;
  const p = report.parameters;
  const ref = report.reference;
  const embedded = report.scenarios.filter((r) => r.database === 'embedded');
  const versions = Object.entries(report.databaseVersions)
    .map(([k, v]) => `${DB_LABEL[k as Db]}: ${v}`)
    .join('; ');
  const lines = [
    '# Benchmarks',
    '',
    'Throughput and latency of the GraphQL API over loopback, against the provider sandbox with injected provider latency. Generated by `bench/run.ts`; the numbers below are from one run on one machine: compare ratios, not absolute values, across machines. In the same run a bare Apollo Server 5 `{ hello }` is measured the same way as the scenarios, and every scenario is also given relative to it.',
    '',
    '## How to run',
    '',
    '```sh',
    'npm run bench                         # tsx bench/run.ts: reference + all scenarios, 10 s each (2-3 minutes), writes bench/results.json and this file',
    'npm run bench -- --both               # every scenario on the embedded PGlite and on PostgreSQL (postgresql://postgres@127.0.0.1:5432/postgres or --database-url)',
    'npx tsx bench/run.ts --quick          # smoke run: 2 s per scenario, prints the table only (add --write to write)',
    'npx tsx bench/run.ts --scenarios 2,7 --duration 20 --connections 20 --latency-min 40 --latency-max 120',
    'npx tsx bench/run.ts --help',
    '```',
    '',
    'Environment equivalents: `BENCH_DURATION`, `BENCH_CONNECTIONS`, `BENCH_BORROWERS`, `BENCH_SEED`, `BENCH_LATENCY_MIN_MS`, `BENCH_LATENCY_MAX_MS`, `BENCH_WARMUP`, `BENCH_TIMEOUT`, `BENCH_PROVIDER_TIMEOUT_MS`, `BENCH_LOG_LEVEL`, `BENCH_DATABASE_URL`, `BENCH_RATE_LIMIT`, `BENCH_BOTH=1` (flags win). `--database-url <admin url>` runs the server on a PostgreSQL server instead of the embedded PGlite (a fresh database per server process, dropped afterwards); `--both` runs every scenario on both; `--no-reference` skips the Apollo reference; `--cpu-prof <dir>` writes a V8 CPU profile of the server for each measured window.',
    '',
    "How it works: before the scenarios, `bench/run.ts` starts `bench/apollo-hello.ts` (a bare Apollo Server 5 with `type Query { hello: String }`, no auth, context, plugins or database, in its own process) and drives it with autocannon exactly like a scenario (same connections, warm-up on one connection, same window), then stops it: the reference for this machine at this moment. For each scenario it then forks `bench/server.ts`, which forks the provider sandbox into a process of its own (`bench/sandbox.ts`: providers are other machines in production) and opens the database (in-memory PGlite, or a fresh database on the PostgreSQL server), links the generated borrowers under consents to the client `bench-client` (all providers, all domains), switches the sandbox latency on, and serves the API on an ephemeral loopback port; it reports its URL and a bearer token over IPC. autocannon runs in the parent process, so the server figures (RSS, CPU, event loop, SQL statements) are the server process alone, but all processes share the machine's cores. The server process counts the SQL statements it sends (wrapping PGlite's wire-protocol entry point and `pg.Client.prototype.query` before the database opens; src/ is not changed). " +
      (p.sharedServer
        ? 'This run used one server per database for all scenarios (`--shared-server`): caches, ledger and heap carry over from scenario to scenario.'
        : 'Each scenario gets a fresh server process (fresh database, sandbox state, caches and heap), so scenarios do not influence each other.') +
      (p.databases.length > 1 ? ' Each scenario runs on PGlite first, then on PostgreSQL, one right after the other.' : '') +
      ' Each scenario has an unmeasured warm-up, then the measured window; afterwards the server waits until no request is in flight and the provider counters stand still, then until the webhook applier has caught up.',
    '',
    '## Run',
    '',
    `- Date: ${report.date} (the whole run took ${fmt(report.totalSeconds, 0)} s)`,
    `- Commit: \`${report.git.commit ?? 'unknown'}\`${report.git.exportedTree ? ' (run on an exported copy of exactly this commit: `git archive`)' : report.git.dirtyFiles.length ? ` with uncommitted changes in ${report.git.dirtyFiles.length} files outside bench/ and docs/ (${report.git.dirtyFiles.slice(0, 12).map((f) => `\`${f}\``).join(', ')}${report.git.dirtyFiles.length > 12 ? ', ...' : ''})` : ' (no uncommitted changes outside bench/ and docs/)'}`,
    `- Machine: ${m.os}; ${m.cpuModel}, ${m.cores} cores; ${m.totalMemoryGiB} GiB RAM; Node ${m.node}`,
    `- Load average (1/5/15 min) at the start: ${fmtLoad(report.loadAverageAtStart)}; at the end: ${fmtLoad(report.loadAverageAtEnd)}`,
    `- Parameters: ${p.durationSeconds} s per scenario after ${p.warmupSeconds} s warm-up; ${p.connections} connections; ${p.borrowers} borrowers (seed ${p.seed}); provider latency ${p.latency.minMs}-${p.latency.maxMs} ms per call (uniform); provider timeout ${p.providerTimeoutMs} ms; database: ${p.database}${versions ? ` (server_version ${versions})` : ''}; per-client GraphQL rate limit: ${p.rateLimit === 'off' ? 'budget raised out of reach (`--rate-limit off`; depth/cost limits and the cost computation still run)' : "the server's default budget"}; server log level \`${report.logLevel}\``,
    ref
      ? `- Reference: ${ref.title}, ${fmt(ref.reqPerSec)} req/s, p50 ${fmt(ref.latencyMs.p50)} ms, p99 ${fmt(ref.latencyMs.p99)} ms (${ref.connections} connections, ${fmt(ref.durationSeconds, 0)} s after ${ref.warmupSeconds} s warm-up), CPU ${fmt(ref.cpuCores, 2)} cores = ${fmt(ref.cpuMsPerRequest, 3)} ms per request, peak RSS ${fmt(ref.rssPeakMiB, 0)} MiB in the window (${fmt(ref.maxRssSinceStartMiB, 0)} MiB high-water mark)`
      : '- Reference: skipped (`--no-reference`)',
    `- Peak RSS of the benchmark process itself (autocannon; kernel high-water mark): ${fmt(report.benchMaxRssMiB, 0)} MiB`,
    '',
    '## Results',
    '',
    table(report.scenarios, ref),
    '',
    "Columns: **ref** the reference row (bare Apollo Server `{ hello }`); **n** units completed in the window; **req/s** units per second; **p50/p90/p99** latency per unit in ms as the client saw it (autocannon; whole milliseconds); **provider calls / unit** requests the sandbox received while serving the window, divided by the units the server received (requests cut off at the end of the window are in both); **SQL statements / unit** statements the server process sent to its database from the window's start until it was quiet and the webhook applier had caught up, divided by the same units (background work in that span counts too: the applier's poll every 500 ms; the statements by kind are in the observations); **server CPU ms / unit** the server process's CPU time over the same span per unit (the provider sandbox runs in a process of its own, bench/sandbox.ts, not counted here; on PGlite the database's own process, as npm start runs it, is added in parentheses as `(+x database process)`; on PostgreSQL the CPU of every PostgreSQL process on the machine over that span is added in parentheses, an upper bound since other databases' work counts too; where providers were called, the sandbox process's CPU over the same span follows as `(sandbox x)`); **server peak RSS** the server process's RSS sampled every 100 ms during the window" +
      (embedded.length
        ? '; on PGlite the database process\'s own peak RSS over the same span follows in parentheses (the API reaches it over one connection on a unix socket)'
        : '') +
      "; **server CPU cores** the server process's CPU time during the window divided by its wall time (1 = one core busy); **vs ref** req/s as a share of the reference's req/s, latencies as multiples of the reference's p50 and p99 (whole milliseconds on both sides, so a reference p50 of 1-3 ms makes the p50 multiple coarse); **vs #1** ratios to scenario 1 on the same database in the same run; **load 1 min** the machine's 1-minute load average just before and just after the window; **errors** responses carrying GraphQL errors (with their codes), non-2xx answers, socket errors. For the naive client (#7) a unit is a whole view and its latencies are measured per view by the benchmark itself (first request sent to last answer received).",
    '',
    '## What each scenario measures',
    '',
    ...[...new Map(ordered(report.scenarios).map((r) => [r.n, r])).values()].map((r) => `${r.n}. **${r.title}.** ${r.notes}`),
    '',
    '## Observations from this run',
    '',
    ...report.observations.map((o) => `- ${o}`),
    '',
    'The machine-readable results, with per-endpoint provider calls, SQL statements by kind, server CPU, event-loop delay, HTTP-level figures, load averages and webhook drain times, are in `bench/results.json`.',
    '',
  ];
  return lines.join('\n');
}

interface Report {
  title: string;
  date: string;
  git: { commit: string | null; exportedTree: boolean; dirtyFiles: string[] };
  machine: ReturnType<typeof machine>;
  parameters: typeof params;
  logLevel: string;
  /** `SHOW server_version` per database used. */
  databaseVersions: Partial<Record<Db, string>>;
  /** The machine's 1/5/15 minute load averages when the run started and when it ended. */
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  /** Kernel high-water mark of this process's RSS (autocannon runs here), MiB. */
  benchMaxRssMiB: number;
  reference: ReferenceResult | null;
  scenarios: ScenarioResult[];
  observations: string[];
  totalSeconds: number;
}

/** A multiple, `1.23x`, or n/a. */
const times = (x: number) => (Number.isFinite(x) ? `${fmt(x, 2)}x` : 'n/a');

/** Plain facts computed from the numbers (no judgement on absolute times). */
function observations(all: ScenarioResult[], ref: ReferenceResult | null): string[] {
  const out: string[] = [];
  const several = databases.length > 1;
  if (ref)
    out.push(
      `Reference (bare Apollo Server 5 \`{ hello }\`, ${ref.connections} connections, before the scenarios): ${fmt(ref.reqPerSec)} req/s, p50 ${fmt(ref.latencyMs.p50)} ms, p99 ${fmt(ref.latencyMs.p99)} ms, ${fmt(ref.cpuMsPerRequest, 3)} ms CPU per request, peak RSS ${fmt(ref.rssPeakMiB, 0)} MiB.`,
    );
  for (const db of databases) {
    const rs = all.filter((r) => r.database === db);
    const on = several ? ` on ${DB_LABEL[db]}` : '';
    const by = (n: number) => rs.find((r) => r.n === n);
    const s1 = by(1);
    const s2 = by(2);
    const s3 = by(3);
    const s6 = by(6);
    const s7 = by(7);
    if (s1)
      out.push(
        `Ceiling (#1${on}): ${fmt(s1.reqPerSec)} req/s at p50 ${fmt(s1.latencyMs.p50)} ms${s1.ratioToReference ? ` (${fmt(s1.ratioToReference.reqPerSec, 3)} of the reference's req/s)` : ''}, server CPU ${fmt(s1.server.cpuCores, 2)} cores (${fmt(s1.server.cpuMsPerRequest, 2)} ms per request), event-loop utilization ${fmt(s1.server.eventLoopUtilization, 2)}.`,
      );
    if (s2 && s3) out.push(`Provider calls per credit view${on}: ${fmt(s2.providerCallsPerRequest, 2)} for the same borrower repeatedly (#2), ${fmt(s3.providerCallsPerRequest, 2)} cycling through all borrowers (#3).`);
    if (s2 && s7)
      out.push(
        `Naive client (#7) vs one query (#2)${on}, same view: ${fmt(s7.providerCallsPerRequest, 2)} vs ${fmt(s2.providerCallsPerRequest, 2)} provider calls per view, ${fmt(s7.sqlPerRequest, 1)} vs ${fmt(s2.sqlPerRequest, 1)} SQL statements per view, ${s7.httpRequestsPerUnit} vs 1 HTTP requests, p50 ${fmt(s7.latencyMs.p50)} vs ${fmt(s2.latencyMs.p50)} ms, ${fmt(s7.reqPerSec)} vs ${fmt(s2.reqPerSec)} views/s.`,
      );
    if (s6?.webhook) {
      const w = s6.webhook;
      out.push(
        `Webhooks (#6${on}): ${w.acknowledged} callbacks acknowledged, ${w.duplicatesAcknowledged} as duplicates (replays built: ${w.replaysBuilt}); ${w.eventsStored} events stored in total (warm-up included), ${w.eventsApplied} applied${w.eventsFailed ? `, ${w.eventsFailed} FAILED` : ''}; the ledger applier needed ${fmt(w.applierDrainMs / 1000, 1)} s after the load stopped to catch up${w.applierDrained ? '' : ' and had NOT caught up when the benchmark gave up waiting'}.`,
      );
    }
    const kinds = rs.map((r) => {
      // Kinds under 0.01 per unit (the applier's poll in a fast scenario) are left out here; they are in bench/results.json.
      const k = Object.entries(r.sql.perRequestByKind).filter(([, v]) => v >= 0.01);
      return `#${r.n} ${fmt(r.sqlPerRequest, 2)}${k.length ? ` (${k.map(([kind, v]) => `${kind} ${fmt(v, 2)}`).join(', ')})` : ''}`;
    });
    if (kinds.length) out.push(`SQL statements per unit${on}, by kind: ${kinds.join('; ')}.`);
  }
  if (several) {
    const pairs = [...new Set(all.map((r) => r.n))]
      .map((n) => [all.find((r) => r.n === n && r.database === 'embedded'), all.find((r) => r.n === n && r.database === 'postgres')] as const)
      .filter((p): p is readonly [ScenarioResult, ScenarioResult] => Boolean(p[0] && p[1]));
    if (pairs.length)
      out.push(
        `PostgreSQL vs PGlite, same scenario: req/s ${pairs.map(([e, p]) => `#${e.n} ${times(ratio(p.reqPerSec, e.reqPerSec))}`).join(', ')}; p50 ${pairs.map(([e, p]) => `#${e.n} ${times(ratio(p.latencyMs.p50, e.latencyMs.p50))}`).join(', ')}; server CPU ms per unit ${pairs.map(([e, p]) => `#${e.n} ${times(ratio(p.server.cpuMsPerRequest, e.server.cpuMsPerRequest))}`).join(', ')}.`,
      );
  }
  for (const r of ordered(all)) {
    const eps = Object.entries(r.providerCalls.perRequestByEndpoint);
    if (eps.length) out.push(`#${r.n}${several ? ` (${DB_LABEL[r.database]})` : ''} provider calls per ${r.unit} by endpoint: ${eps.map(([k, v]) => `\`${k}\` ${fmt(v, 2)}`).join(', ')}.`);
  }
  for (const r of ordered(all)) {
    const id = `#${r.n}${several ? ` (${DB_LABEL[r.database]})` : ''}`;
    if (r.completed === 0) out.push(`${id} completed no ${r.unit} within the ${r.durationSeconds} s window (every one took longer): no latency figures.`);
    else if (r.completed < 30) out.push(`${id} completed only ${r.completed} ${r.unit}s in the window: its percentiles rest on few samples.`);
    if (r.graphqlErrors.responses || r.http.non2xx || r.http.socketErrors)
      out.push(
        `${id} had errors: ${r.graphqlErrors.responses} responses with GraphQL errors ${JSON.stringify(r.graphqlErrors.codes)}, ${r.http.non2xx} non-2xx ${JSON.stringify(r.http.statuses)}, ${r.http.socketErrors} socket errors (${r.http.timeouts} timeouts).`,
      );
    const cut = r.http.serverReceived - r.http.completed;
    if (r.http.completed > 0 && cut > params.connections) out.push(`${id}: the server received ${r.http.serverReceived} requests but the client completed ${r.http.completed}.`);
  }
  const noisy = ordered(all).filter((r) => r.cpu.otherCores >= 0.25);
  if (noisy.length)
    out.push(
      `Other processes on the machine (the PostgreSQL server included, on PostgreSQL) used CPU during ${noisy.map((r) => `#${r.n}${several ? ` ${DB_LABEL[r.database]}` : ''} (${fmt(r.cpu.otherCores, 2)} cores)`).join(', ')} of ${all[0]?.cpu.machineCores} cores: those figures are lower than an idle machine would give.`,
    );
  else out.push('Other processes on the machine stayed under 0.25 cores during every window.');
  return out;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const defs = SCENARIOS.filter((s) => selected.has(s.n));
  const loadAverageAtStart = loadAverage();
  say(
    `bench: ${defs.length} scenarios x ${params.durationSeconds} s (+${params.warmupSeconds} s warm-up) on ${databases.map((d) => DB_LABEL[d]).join(' and ')}${pgHost ? ` (PostgreSQL at ${pgHost})` : ''}, ${params.connections} connections, ${params.borrowers} borrowers, provider latency ${params.latency.minMs}-${params.latency.maxMs} ms`,
  );
  say(`bench: load average (1/5/15 min) at the start ${fmtLoad(loadAverageAtStart)}; ${os.cpus().length} CPUs`);
  const results: ScenarioResult[] = [];
  const databaseVersions: Partial<Record<Db, string>> = {};
  const started = performance.now();

  let reference: ReferenceResult | null = null;
  if (params.reference) {
    say(`reference: bare Apollo Server 5 { hello }, ${params.connections} connections, ${params.durationSeconds} s (+${params.warmupSeconds} s warm-up) ...`);
    reference = await runReference();
    say(
      `reference: ${reference.reqPerSec} req/s, p50 ${reference.latencyMs.p50} p90 ${reference.latencyMs.p90} p99 ${reference.latencyMs.p99} ms, CPU ${fmt(reference.cpuMsPerRequest, 3)} ms/request, peak RSS ${fmt(reference.rssPeakMiB, 0)} MiB; load average before ${fmtLoad(reference.loadAverage.before)}, after ${fmtLoad(reference.loadAverage.after)}`,
    );
  }

  /** Runs one scenario on one database's server child and reports it on stderr. */
  const runOne = async (def: ScenarioDef, db: Db, child: Child) => {
    const t = performance.now();
    databaseVersions[db] ??= child.ready.databaseVersion;
    say(`#${def.n} ${DB_LABEL[db]} ${def.title}: server ready in ${fmt(child.ready.setupMs / 1000, 1)} s at ${child.ready.url}`);
    const r = await runScenario(def, child, db);
    results.push(r);
    say(
      `#${def.n} ${DB_LABEL[db]} ${r.reqPerSec} ${r.unit}/s, p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} ms, ${r.providerCallsPerRequest} provider calls/${r.unit}, ${r.sqlPerRequest} SQL statements/${r.unit}, server CPU ${r.server.cpuMsPerRequest} ms/${r.unit}${r.perLoan ? ` (${r.perLoan.cpuMs} ms/loan, ${r.perLoan.loansPerRequest} loans)` : ''}${r.postgresCpuMsPerRequest !== null ? ` (+${r.postgresCpuMsPerRequest} PostgreSQL)` : ''}${r.databaseProcess ? ` (+${r.databaseProcess.cpuMsPerRequest} database process)` : ''}${r.sandboxCpuMsPerRequest ? ` (sandbox ${r.sandboxCpuMsPerRequest})` : ''}, peak RSS ${r.server.rssPeakMiB} MiB${r.databaseProcess ? ` (database process ${r.databaseProcess.rssPeakMiB} MiB)` : ''}, errors ${r.graphqlErrors.responses + r.http.non2xx + r.http.socketErrors}; load average after the window ${fmtLoad(r.loadAverage.after)} (${fmt((performance.now() - t) / 1000, 1)} s)`,
    );
  };
  const childName = (base: string, db: Db) => (databases.length > 1 ? `${base}-${db}` : base);

  if (params.sharedServer) {
    // One server per database, all scenarios on it (database by database: only one server runs at a time).
    for (const db of databases) {
      const child = await startChild(childName('all-scenarios', db), db);
      try {
        for (const def of defs) await runOne(def, db, child);
      } finally {
        await child.close();
      }
    }
  } else {
    // A fresh server per scenario and database; both databases one right after the other, so they see similar load.
    for (const def of defs)
      for (const db of databases) {
        const child = await startChild(childName(`scenario-${def.n}`, db), db);
        try {
          await runOne(def, db, child);
        } finally {
          await child.close();
        }
      }
  }
  for (const db of databases) {
    const trivial = results.find((r) => r.n === 1 && r.database === db);
    if (trivial)
      for (const r of results.filter((x) => x.database === db)) r.ratioToTrivial = { reqPerSec: r4(r.reqPerSec / trivial.reqPerSec), p50: r2(r.latencyMs.p50 / trivial.latencyMs.p50) };
  }
  if (reference)
    for (const r of results)
      r.ratioToReference = {
        reqPerSec: r4(ratio(r.reqPerSec, reference.reqPerSec)),
        p50: r2(ratio(r.latencyMs.p50, reference.latencyMs.p50)),
        p99: r2(ratio(r.latencyMs.p99, reference.latencyMs.p99)),
      };

  const dirty = (EXPORTED_TREE ? '' : (git(['status', '--porcelain']) ?? ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3))
    .filter((f) => !f.startsWith('bench/') && !f.startsWith('docs/'));
  const scenarios = ordered(results);
  const report: Report = {
    title: 'Satu Kredit API benchmark',
    date: new Date().toISOString(),
    git: { commit: git(['rev-parse', '--verify', `${GIT_REV}^{commit}`]), exportedTree: EXPORTED_TREE, dirtyFiles: dirty },
    machine: machine(),
    parameters: params,
    logLevel,
    databaseVersions,
    loadAverageAtStart,
    loadAverageAtEnd: loadAverage(),
    benchMaxRssMiB: r1((process.resourceUsage().maxRSS * 1024) / MiB),
    reference,
    scenarios,
    observations: observations(scenarios, reference),
    totalSeconds: Math.round((performance.now() - started) / 1000),
  };
  say(`bench: load average (1/5/15 min) at the end ${fmtLoad(report.loadAverageAtEnd)}; peak RSS of this process (autocannon) ${fmt(report.benchMaxRssMiB, 0)} MiB`);
  if (argv.markdown) process.stdout.write(`\n${markdown(report)}`);
  else process.stdout.write(`\n${table(scenarios, reference)}\n\n${report.observations.map((o) => `- ${o}`).join('\n')}\n`);
  if (write) {
    await mkdir(path.dirname(resultsPath), { recursive: true });
    await writeFile(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
    await mkdir(path.dirname(docsPath), { recursive: true });
    // Keep the section bench/cluster.ts appends to (it runs separately): everything from its heading on.
    const previous = await readFile(docsPath, 'utf8').catch(() => '');
    const cluster = previous.indexOf('\n## Three instances on PostgreSQL: webhook events');
    await writeFile(docsPath, cluster >= 0 ? `${markdown(report).replace(/\n*$/, '\n')}${previous.slice(cluster)}` : markdown(report));
    say(`bench: wrote ${path.relative(ROOT, resultsPath)} and ${path.relative(ROOT, docsPath)}`);
  }
  say(`bench: done in ${fmt((performance.now() - started) / 1000, 0)} s`);
}

const r4 = (x: number) => Math.round(x * 10000) / 10000;
/** a / b, NaN (printed n/a) when b is 0 (a reference latency under 1 ms rounds to 0). */
const ratio = (a: number, b: number) => (b ? a / b : NaN);

main().then(
  () => process.exit(0),
  (e: Error) => {
    say(`bench: failed: ${e.stack ?? e.message}`);
    killChildren();
    process.exit(1);
  },
);
