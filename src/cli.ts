/**
 * The `satukredit` command (docs/cli.md).
 *   start     migrate, start the provider sandbox (unless provider URLs are configured), serve GraphQL, link the demo borrowers
 *             (the seed borrower before the banner, the others in the background); --fresh resets the data first
 *   reset     delete the embedded database in DATA_DIR (the JWT secret stays)
 *   migrate   apply prisma/migrations to DATABASE_URL (or the embedded database)
 *   token     print a signed API-client token
 *   schema    write schema/schema.graphql from the code
 *   sandbox   run the provider sandbox alone; `sandbox accounts [--nik N]` lists the demo borrowers and their accounts
 *   sync      run a sync job (through the running server when it holds the data directory)
 *   seed, fire  demo helpers for several instances
 * Every failure is reported in one or two lines (src/cli-errors.ts) with a non-zero exit; --debug adds the stack.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import {
  CliError,
  cliExamples,
  createApp,
  curlLine,
  defaultExamples,
  DEMO_CLIENTS,
  demoBorrowerGlobalId,
  demoConsentsOf,
  demoLoanGlobalId,
  EXIT,
  findServer,
  jwtSettings,
  lagMinutes,
  migrate,
  openDatabase,
  printedSchema,
  reserveDemoIds,
  seedDemoConsents,
  type SeedResult,
  renderPlayground,
  report,
  SCHEMA_FILE,
  serveControl,
  type SyncKind,
  type SyncSummary,
  syncOnServer,
  toGlobalId,
} from './app';
import { SCOPES, signClientToken } from './auth';
import { loadConfig, type Config } from './config';
import { jakartaDate } from './domain/dates';
import { createLogger } from './logger';
import { bankSettings, createSandboxBanks, DEMO_LOAN, demoApiClients, generateDataset, linkRequests, sandboxAccounts, sandboxProviderEnv, sandboxRedirectUri, startEventServer, startSandbox, WebhookSender } from './sandbox';

/** How long a shutdown waits for the demo borrowers in flight to finish before closing under them. */
const SEED_STOP_GRACE_MS = 10_000;

/** The lock file of the embedded database's process in DATA_DIR (src/store/pglite-server.ts `LOCK_FILE`). */
const DB_LOCK_FILE = 'satukredit-db.pid';
/** What `reset` keeps in DATA_DIR: the generated JWT secret (tokens printed before stay valid). */
const KEPT_ON_RESET = new Set(['jwt-secret']);

/** The pid of the live process that has the embedded database in `dataDir` open, or null. */
function databaseHolder(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(dataDir, DB_LOCK_FILE), 'utf8'), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/**
 * Deletes the embedded database in DATA_DIR (everything there but the JWT secret); the next start migrates and seeds
 * a new one.
 * @returns what was done, for the user.
 * @throws CliError when DATABASE_URL is set, when the database is open in a running process, or when DATA_DIR does
 * not hold an embedded database (nothing is deleted then).
 */
function resetData(cfg: Config): string {
  if (cfg.DATABASE_URL) {
    throw new CliError(
      'reset deletes the embedded database in DATA_DIR, and DATABASE_URL is set (a PostgreSQL server is not reset by satukredit)',
      'Unset DATABASE_URL to reset the embedded database; for the server, drop and create the database, then run `satukredit migrate`.',
    );
  }
  const dir = cfg.dataDir;
  const holder = databaseHolder(dir);
  if (holder !== null) throw new CliError(`the embedded database in ${dir} is open in a running process (pid ${holder})`, 'Stop it first (Ctrl-C the running `npm start`), then reset again.');
  if (!existsSync(dir)) return `nothing to reset: ${dir} does not exist`;
  const entries = readdirSync(dir).filter((e) => !KEPT_ON_RESET.has(e));
  if (entries.length === 0) return `nothing to reset: ${dir} holds no database`;
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    throw new CliError(`${dir} does not hold an embedded database (no PG_VERSION); nothing was deleted`, 'Check DATA_DIR: reset deletes everything in it but the JWT secret.');
  }
  for (const e of entries) rmSync(path.join(dir, e), { recursive: true, force: true });
  return `reset: deleted the embedded database in ${dir} (the JWT secret stays; the next start migrates and seeds a new database)`;
}

/**
 * Fails when `port` on `host` cannot be listened on (in use, or not an address of this machine), before anything
 * is started or migrated. Port 0 (any free port) always passes.
 * @throws CliError naming `variable` and what to do.
 */
async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  if (!port) return;
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
  if (!error) return;
  if (error.code === 'EADDRINUSE') {
    throw new CliError(`${variable} ${port} is already in use on ${host} (another satukredit start, or another program)`, `Stop that process, or set ${variable} to a free port (e.g. ${variable}=${port + 1}).`);
  }
  if (error.code === 'EACCES') throw new CliError(`${variable} ${port} on ${host} needs privileges this process lacks`, `Set ${variable} to a port above 1023.`);
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
    throw new CliError(`HOST ${host} is not an address of this machine (${error.code})`, 'Set HOST to 127.0.0.1, 0.0.0.0 or one of this machine\'s addresses.');
  }
  throw error;
}

async function start(opts: { fresh?: boolean } = {}): Promise<void> {
  const env = loadConfig();
  // Checked before anything starts or is migrated: the ports, then (with --fresh) the reset.
  await assertPortFree(env.HOST, env.PORT, 'PORT');
  if (env.METRICS_PORT) await assertPortFree(env.HOST, env.METRICS_PORT, 'METRICS_PORT');
  if (!env.DATABASE_URL) {
    const holder = databaseHolder(env.dataDir);
    if (holder !== null) throw new CliError(`the embedded database in ${env.dataDir} is open in another process (pid ${holder}: another satukredit start?)`, 'Stop that process, or set DATA_DIR to another directory.');
  }
  if (opts.fresh) process.stdout.write(`${resetData(env)}\n`);
  const useSandbox = !env.CAIRIN_BASE_URL && !env.FINFRA_BASE_URL && !env.DOMPETKILAT_BASE_URL;
  const sandbox = useSandbox ? await startSandbox({ seed: env.SANDBOX_SEED, borrowers: env.SANDBOX_BORROWERS, today: jakartaDate(new Date()) }) : null;
  // Demo mode: the connectors point at the sandbox, and the sandbox's Finfra signs callbacks with a key made here.
  const cfg: Config = sandbox
    ? loadConfig(undefined, {
        ...sandboxProviderEnv(sandbox),
        FINFRA_CALLBACK_KEY: env.FINFRA_CALLBACK_KEY ?? randomBytes(24).toString('base64url'),
        // The demo clients, sent back to the sandbox's client callback page; the demo seeds every consent from this one machine.
        API_CLIENTS: process.env.API_CLIENTS ?? JSON.stringify(demoApiClients(sandbox)),
        OTP_SENDS_PER_IP: process.env.OTP_SENDS_PER_IP ?? '100000',
      })
    : env;
  const banks = sandbox ? createSandboxBanks() : null;

  // GraphiQL at GET /graphql, rendered once per Jakarta day (the payoff example quotes for today). The demo
  // token and examples are preset only in demo mode (sandbox) outside production: with real providers or
  // NODE_ENV=production the page carries no token.
  const demo: { borrowerId: string | null; loanId: string | null; token: string | null } = { borrowerId: null, loanId: null, token: null };
  const production = cfg.NODE_ENV === 'production';
  let page: { day: string; html: string } | null = null;
  const playgroundHtml = () => {
    const day = jakartaDate(new Date());
    if (page?.day !== day) {
      const html = demo.borrowerId && demo.token
        ? renderPlayground({ token: demo.token, production, examples: defaultExamples(toGlobalId('Borrower', demo.borrowerId), demo.loanId ?? undefined, day) })
        : renderPlayground({ production });
      page = { day, html };
    }
    return page.html;
  };

  const app = await createApp(cfg, { webhooks: banks ? { banks: bankSettings(banks, lagMinutes(cfg)) } : undefined, playgroundHtml });
  const log = app.log;
  log.info({ database: app.database.kind }, 'database ready (migrations applied)');
  const aggregatorToken = signClientToken(app.jwt, 'demo-aggregator', DEMO_CLIENTS['demo-aggregator']);
  if (sandbox && !production) demo.token = aggregatorToken;

  const server = await app.start();
  // `satukredit sync` runs through this server while it holds the data directory (src/cli-control.ts).
  const control = await serveControl(cfg.dataDir, {
    url: server.url,
    sync: (kind, progress) => app.core.sync.run(kind, { onProgress: (done, total, sum) => progress({ done, total, loans: sum.loansFetched, failed: sum.failed }) }),
    onError: (e) => log.error({ err: e.message }, 'sync asked by `satukredit sync` failed'),
  }).catch((e: Error) => {
    log.warn({ err: e.message }, 'no control socket: `satukredit sync` cannot reach this server');
    return null;
  });

  // Shutdown (SIGINT, SIGTERM): the demo seeding stops starting borrowers, those in flight get a few seconds to
  // finish (a borrower abandoned mid-flow leaves only a PENDING request, see seedDemoConsents), then the event
  // server, the API and the sandbox close.
  const seeding = new AbortController();
  let events: Awaited<ReturnType<typeof startEventServer>> | null = null;
  let seedingRuns: Promise<unknown> | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    seeding.abort();
    if (seedingRuns) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        seedingRuns.then(() => true, () => true),
        new Promise<false>((res) => (timer = setTimeout(() => res(false), SEED_STOP_GRACE_MS))),
      ]);
      clearTimeout(timer);
      if (!finished) log.info(`demo seeding abandoned after ${SEED_STOP_GRACE_MS} ms (borrowers in flight are asked again on the next start)`);
    }
    await events?.close();
    await control?.close();
    await app.close();
    log.info('http server, jobs and database closed');
    await sandbox?.close();
    log.info('sandbox closed');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  // Demo mode serves first: the seed borrower "John" (borrower 0, the banner's example query and GraphiQL's
  // examples) is linked through the consent flow before the banner, every other demo borrower after it, in the
  // background, with progress lines every 5 s and a final "all demo consents given" line.
  let rest: (() => Promise<SeedResult>) | null = null;
  let borrowers = 0;
  const started = Date.now();
  if (sandbox) {
    log.info({ urls: sandbox.urls }, 'provider sandbox started');
    const prisma = app.database.prisma;
    const requests = linkRequests(sandbox.dataset);
    const people = sandboxAccounts(sandbox.dataset);
    borrowers = requests.length;
    try {
      const seeder = seedDemoConsents({
        apiUrl: server.url,
        requests,
        smsUrl: sandbox.sms.url,
        redirectUri: sandboxRedirectUri(sandbox),
        jwt: app.jwt,
        held: (clientIds) => prisma.consent.findMany({ where: { clientId: { in: clientIds }, status: 'ACTIVE' }, select: { clientId: true, borrower: { select: { nik: true } } } }),
        reserve: (i) => reserveDemoIds(app.database.sql, sandbox.dataset.seed, people[i]!),
        signal: seeding.signal,
        progress: (p) => log.info(p, 'linking demo borrowers through the consent flow'),
      }).then(async (s) => {
        await s.first();
        return s;
      });
      seedingRuns = seeder;
      rest = (await seeder).rest;
    } catch (e) {
      if (stopping) return;
      throw e;
    }
    if (stopping) return;
    log.info({ borrower: 0, ms: Date.now() - started }, 'seed borrower "John" linked through the consent flow; the other demo borrowers follow in the background');
    const john = await prisma.consent.findFirst({ where: { clientId: 'demo-aggregator', status: 'ACTIVE', borrower: { nik: requests[0]!.nik } } });
    demo.borrowerId = john?.borrowerId ?? null;
    const acct = demo.borrowerId ? await prisma.providerAccount.findFirst({ where: { borrowerId: demo.borrowerId, provider: DEMO_LOAN.provider } }) : null;
    if (acct) demo.loanId = toGlobalId('Loan', acct.id, DEMO_LOAN.providerLoanId);
    page = null;
  }
  events = sandbox && banks ? await startEventServer(new WebhookSender(server.url, cfg.FINFRA_CALLBACK_KEY!, banks)) : null;

  const lines = [`Satu Kredit GraphQL API: ${server.url}/graphql`];
  if (sandbox && events) {
    lines.push(`Provider sandbox: Cairin ${sandbox.urls.cairin}, Finfra ${sandbox.urls.finfra}, Dompet Kilat ${sandbox.urls.dompetKilat}`);
    lines.push(`Finfra sandbox client: FINFRA_CLIENT_ID=${sandbox.finfraClient.clientId} FINFRA_CLIENT_SECRET=${sandbox.finfraClient.clientSecret}`);
    lines.push(`Demo borrowers, their provider account ids and Cairin logins: satukredit sandbox accounts [--nik N] (seed ${sandbox.dataset.seed}, ${borrowers} borrowers)`);
    lines.push(`Sandbox events (fire provider and bank webhooks at the API): ${events.url}/__sandbox/fire/{finfra,dompetkilat,snap}`);
    lines.push(`Sandbox SMS gateway (one-time codes the consent pages send): ${sandbox.sms.url}/__sandbox/sms?phone=62123123123`);
    lines.push(`Consent pages: a client's consentRequestCreate answers a ${server.url}/consent/... link; borrowers manage their consents at ${server.url}/consent`);
  }
  lines.push(demo.token ? `GraphiQL (open in a browser; demo token and example queries preset): ${server.url}/graphql` : `GraphiQL (open in a browser; no token preset): ${server.url}/graphql`);
  for (const [client, scopes] of Object.entries(DEMO_CLIENTS)) {
    lines.push('', `Bearer token for API client ${client} (scopes: ${scopes.join(' ')}):`, client === 'demo-aggregator' ? aggregatorToken : signClientToken(app.jwt, client, scopes));
  }
  if (demo.borrowerId) {
    for (const ex of cliExamples({ borrowerId: toGlobalId('Borrower', demo.borrowerId) })) {
      lines.push('', `${ex.title}, as API client ${ex.clientId}:`, ex.query, `Variables: ${JSON.stringify(ex.variables)}`, '', `curl (TOKEN=the ${ex.clientId} token above):`, curlLine(server.url, ex));
    }
  }
  if (sandbox && rest) {
    lines.push('', `The other demo borrowers (${borrowers} in all) are being linked in the background: the borrowers query lists those linked so far; the log says how far ("linking demo borrowers", every 5 s) and when every consent is given.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  if (rest && !stopping) {
    seedingRuns = rest().then(
      (r) => {
        const summary = { borrowers: r.borrowers, done: r.done, consents: r.created, existing: r.existing, ms: Date.now() - started };
        if (r.stopped) log.info(summary, 'demo seeding stopped before every borrower was linked (a restart continues)');
        else log.info(summary, 'all demo consents given through the consent flow');
      },
      (e: unknown) => {
        // Requests cut by the shutdown are expected; any other failure is the seeding's, not the server's.
        if (stopping) log.debug({ err: e }, 'demo seeding ended by the shutdown');
        else log.error({ err: e }, 'demo seeding failed (the API keeps serving; a restart continues from the borrowers already linked; `npm start -- --fresh` starts clean when DATA_DIR holds demo data of another SANDBOX_SEED or an older version)');
      },
    );
  }
}

const program = new Command('satukredit')
  .description('Satu Kredit unified credit-view API (docs/cli.md)')
  .option('--debug', 'on a failure, print the stack trace after the message')
  // Usage errors (unknown command or option, a missing argument) exit 2, as most CLIs do.
  .exitOverride((err) => {
    throw err;
  })
  .showHelpAfterError('(add --help for usage)');

program
  .command('start')
  .description('migrate, start the sandbox and link demo borrowers (unless provider URLs are set), serve GraphQL')
  .option('--fresh', 'delete the embedded database in DATA_DIR first (as `satukredit reset`), then start clean')
  .action((o: { fresh?: boolean }) => start(o));

program
  .command('reset')
  .description('delete the embedded database in DATA_DIR (the JWT secret stays); the next start migrates and seeds a new one')
  .action(() => {
    process.stdout.write(`${resetData(loadConfig())}\n`);
  });

program
  .command('migrate')
  .description('apply prisma/migrations to DATABASE_URL, or to the embedded database in DATA_DIR')
  .action(async () => {
    const cfg = loadConfig();
    const db = await openDatabase(cfg.DATABASE_URL ? { url: cfg.DATABASE_URL } : { dataDir: cfg.dataDir }, { migrate: false });
    const ran = await migrate(db.sql);
    process.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'database is up to date\n');
    await db.close();
  });

program
  .command('token')
  .description('print a signed API-client token (HS256 with JWT_SECRET or the secret kept in DATA_DIR)')
  .argument('<clientId>', 'API client id (JWT sub)')
  .addOption(new Option('-s, --scope <scopes...>', 'scopes').choices([...SCOPES]).default(['credit:read']))
  .option('-e, --expires-in <seconds>', 'lifetime in seconds', (v) => Number.parseInt(v, 10), 12 * 3600)
  .action(async (clientId: string, o: { scope: string[]; expiresIn: number }) => {
    const jwt = await jwtSettings(loadConfig());
    process.stdout.write(`${signClientToken(jwt, clientId, o.scope, o.expiresIn)}\n`);
  });

program
  .command('schema')
  .description('write schema/schema.graphql from the code')
  .action(async () => {
    await writeFile(SCHEMA_FILE, await printedSchema());
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  });

const sandboxCommand = program
  .command('sandbox')
  .description('run the provider sandbox alone (ports from SANDBOX_*_PORT); `sandbox accounts` lists its demo borrowers')
  .action(async () => {
    // The sandbox's ports (src/sandbox/main.ts reads the same variables), checked first for a plain message.
    const host = process.env.SANDBOX_HOST || '127.0.0.1';
    for (const [variable, dflt] of [['SANDBOX_CAIRIN_PORT', 4101], ['SANDBOX_FINFRA_PORT', 4102], ['SANDBOX_DOMPETKILAT_PORT', 4103], ['SANDBOX_SMS_PORT', 4104]] as const) {
      const port = Number(process.env[variable] || dflt);
      if (Number.isInteger(port) && port > 0 && port < 65536) await assertPortFree(host, port, variable);
    }
    await import('./sandbox/main');
  });

sandboxCommand
  .command('accounts')
  .description('list the demo borrowers (SANDBOX_SEED, SANDBOX_BORROWERS): provider account ids, Cairin logins, loans, the demo consents and their API ids')
  .option('--nik <nik>', 'only the borrower with this NIK')
  .option('--json', 'print JSON')
  .action((o: { nik?: string; json?: boolean }) => {
    const cfg = loadConfig();
    const seed = cfg.SANDBOX_SEED;
    const dataset = generateDataset({ seed, borrowers: cfg.SANDBOX_BORROWERS, today: jakartaDate(new Date()) });
    const all = sandboxAccounts(dataset);
    const nik = o.nik?.trim();
    const people = nik === undefined ? all : all.filter((p) => p.nik === nik);
    if (people.length === 0) {
      throw new CliError(`no demo borrower has NIK ${o.nik} (SANDBOX_SEED=${seed}, SANDBOX_BORROWERS=${cfg.SANDBOX_BORROWERS})`, 'Run `satukredit sandbox accounts` without --nik to list them all.');
    }
    const listed = people.map((p) => ({
      ...p,
      borrowerId: demoBorrowerGlobalId(seed, p.nik),
      consents: demoConsentsOf(p.index).map((c) => ({ clientId: c.clientId, domains: c.domains })),
      accounts: p.accounts.map((a) => ({ ...a, loans: a.loans.map((l) => ({ providerLoanId: l, loanId: demoLoanGlobalId(seed, a.provider, a.externalId, l) })) })),
    }));
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ seed, borrowers: cfg.SANDBOX_BORROWERS, today: dataset.today, people: listed }, null, 2)}\n`);
      return;
    }
    const out = [`Demo borrowers of the sandbox (SANDBOX_SEED=${seed}, ${all.length} borrowers; Borrower and Loan ids as \`satukredit start\` links them on a new DATA_DIR):`];
    for (const p of listed) {
      out.push('', `#${p.index} ${p.fullName}  NIK ${p.nik}  phone ${p.phoneNumber}`, `  Borrower id ${p.borrowerId}`);
      for (const a of p.accounts) {
        const login = a.login ? `  login: phone ${a.login.phoneNumber} PIN ${a.login.pin} device ${a.login.deviceId}` : '';
        out.push(`  ${a.provider.padEnd(12)} account ${a.externalId}${login}`);
        for (const l of a.loans) out.push(`    loan ${l.providerLoanId}${o.nik !== undefined ? `  Loan id ${l.loanId}` : ''}`);
      }
      out.push(`  consents: ${p.consents.map((c) => `${c.clientId} (${c.domains.join(', ')})`).join('; ')}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });

/** Progress lines of a sync (a bar on a terminal, a line per tenth otherwise) and its summary line. */
function syncReporter(kind: SyncKind) {
  const tty = Boolean(process.stdout.isTTY);
  const bar = tty ? new cliProgress.SingleBar({ format: `${kind} [{bar}] {value}/{total} accounts | loans {loans} | failed {failed}` }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  let lastLine = 0;
  return {
    progress(p: { done: number; total: number; loans: number; failed: number }) {
      if (bar) {
        if (!started) bar.start(p.total, 0, { loans: 0, failed: 0 });
        started = true;
        bar.update(p.done, { loans: p.loans, failed: p.failed });
      } else if (p.done === p.total || p.done - lastLine >= Math.max(1, Math.ceil(p.total / 10))) {
        lastLine = p.done;
        process.stdout.write(`${kind}: ${p.done}/${p.total} accounts, ${p.loans} loans, ${p.failed} failed\n`);
      }
    },
    done(s: SyncSummary, where: string) {
      bar?.stop();
      process.stdout.write(
        `${kind} ${s.finished ? 'finished' : 'stopped'}${s.resumed ? ' (resumed)' : ''}${where}: ${s.accounts} accounts, ${s.loansFetched} loans fetched, ${s.loansChanged} changed, ${s.failed} failed, ${s.skipped} skipped\n`,
      );
      if (s.failed) process.exitCode = 1;
    },
  };
}

program
  .command('sync')
  .description('read every consented account from its provider now (the nightly backfill), or with --due only accounts near a due date or with a pending repayment; resumes an interrupted run. While `satukredit start` runs on the same DATA_DIR, the server runs it.')
  .option('--due', 'due-date refresh instead of the full backfill')
  .action(async (o: { due?: boolean }) => {
    const cfg = loadConfig();
    const kind: SyncKind = o.due ? 'DUE_REFRESH' : 'BACKFILL';
    const demoMode = !cfg.CAIRIN_BASE_URL && !cfg.FINFRA_BASE_URL && !cfg.DOMPETKILAT_BASE_URL;
    // The embedded database is open in the running server's process, and in demo mode the providers are the
    // sandbox inside that server: the server runs the sync.
    if (demoMode || !cfg.DATABASE_URL) {
      const running = await findServer(cfg.dataDir);
      if (running) {
        const r = syncReporter(kind);
        const s = await syncOnServer(running.socket, kind, (p) => r.progress(p));
        r.done(s, ` (run by the server at ${running.url}, pid ${running.pid})`);
        return;
      }
    }
    if (demoMode) {
      throw new CliError(
        `sync has no provider to read: the default setup reads the sandbox inside \`satukredit start\`, and none runs on DATA_DIR ${cfg.dataDir}`,
        'Run it while `npm start` runs on the same DATA_DIR, or set CAIRIN_BASE_URL, FINFRA_BASE_URL, FINFRA_CLIENT_ID, FINFRA_CLIENT_SECRET and DOMPETKILAT_BASE_URL.',
        EXIT.config,
      );
    }
    const app = await createApp(cfg, { log: createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL) });
    try {
      const r = syncReporter(kind);
      const s = await app.core.sync.run(kind, { onProgress: (done, total, sum) => r.progress({ done, total, loans: sum.loansFetched, failed: sum.failed }) });
      r.done(s, '');
    } finally {
      await app.close();
    }
  });

program
  .command('seed')
  .description('give the demo consents (through the consent flow) on a running API against a running `satukredit sandbox`: for several instances on one DATABASE_URL')
  .requiredOption('--api-url <url>', 'any API instance, e.g. http://127.0.0.1:4000')
  .option('--sms-url <url>', 'the sandbox SMS gateway (SMS_GATEWAY_URL printed by `satukredit sandbox`)', 'http://127.0.0.1:4104')
  .action(async (o: { apiUrl: string; smsUrl: string }) => {
    const cfg = loadConfig();
    if (!cfg.JWT_SECRET) throw new CliError('seed needs JWT_SECRET: it signs the demo clients\' tokens with the secret the instances share', 'Set JWT_SECRET to the value the API instances use.', EXIT.config);
    if (!cfg.DATABASE_URL) throw new CliError('seed needs DATABASE_URL: the database the instances share', 'Set DATABASE_URL to the instances\' PostgreSQL server (a single `npm start` seeds the demo itself).', EXIT.config);
    const db = await openDatabase({ url: cfg.DATABASE_URL }, { migrate: false });
    try {
      // The same dataset the sandbox generated (same SANDBOX_SEED, SANDBOX_BORROWERS and today).
      const dataset = generateDataset({ seed: cfg.SANDBOX_SEED, borrowers: cfg.SANDBOX_BORROWERS, today: jakartaDate(new Date()) });
      const people = sandboxAccounts(dataset);
      const started = Date.now();
      const seeder = await seedDemoConsents({
        apiUrl: o.apiUrl.replace(/\/$/, ''),
        requests: linkRequests(dataset),
        smsUrl: o.smsUrl.replace(/\/$/, ''),
        redirectUri: `${o.smsUrl.replace(/\/$/, '')}/__sandbox/client/callback`,
        jwt: await jwtSettings(cfg),
        held: (clientIds) => db.prisma.consent.findMany({ where: { clientId: { in: clientIds }, status: 'ACTIVE' }, select: { clientId: true, borrower: { select: { nik: true } } } }),
        reserve: (i) => reserveDemoIds(db.sql, dataset.seed, people[i]!),
        progress: (p) => process.stdout.write(`linked ${p.done}/${p.borrowers} borrowers (${p.created} consents given, ${p.existing} already given)\n`),
      });
      await seeder.first();
      const r = await seeder.rest();
      process.stdout.write(`seeded ${r.created} consents for ${r.borrowers} borrowers (${r.existing} already given) in ${Date.now() - started} ms\n`);
    } finally {
      await db.close();
    }
  });

program
  .command('fire')
  .description('fire a sandbox provider or bank event at the API (npm start prints the events URL)')
  .option('-u, --events-url <url>', 'sandbox events URL printed by `npm start`')
  .option('--api-url <url>', 'send straight to this API instance instead (finfra and dompetkilat; signed with FINFRA_CALLBACK_KEY)')
  .argument('<kind>', 'finfra | dompetkilat | snap | replay')
  .argument('[json]', 'event body: finfra {route,type,status,data}; dompetkilat {kind,body}; snap {bank,paymentRequestId,amount}; replay {index?}', '{}')
  .action(async (kind: string, json: string, o: { eventsUrl?: string; apiUrl?: string }) => {
    if (o.apiUrl) {
      const key = process.env.FINFRA_CALLBACK_KEY;
      if (kind === 'finfra' && !key) throw new CliError('fire finfra --api-url needs FINFRA_CALLBACK_KEY (the key the instances expect)', 'Set FINFRA_CALLBACK_KEY, or fire through the sandbox with --events-url.', EXIT.config);
      if (kind !== 'finfra' && kind !== 'dompetkilat') throw new CliError('--api-url sends finfra and dompetkilat events only', 'Bank (snap) events need the sandbox banks of `npm start`: give --events-url.', EXIT.usage);
      const sender = new WebhookSender(o.apiUrl, key ?? '', createSandboxBanks());
      const b = parseJsonArgument(json);
      const sent = kind === 'finfra' ? await sender.finfra(b.route, b.type, b.status, b.data) : await sender.dompetKilat(b.kind, b.body);
      process.stdout.write(`${JSON.stringify(sent, null, 2)}\n`);
      if (sent.status >= 300) process.exitCode = 1;
      return;
    }
    if (!o.eventsUrl) throw new CliError('fire needs --events-url or --api-url', 'Give --events-url (the sandbox events URL `npm start` prints) or --api-url (any API instance).', EXIT.usage);
    parseJsonArgument(json);
    const path = kind === 'replay' ? '/__sandbox/replay' : `/__sandbox/fire/${kind}`;
    const res = await fetch(new URL(path, o.eventsUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
    if (!res.ok) process.exitCode = 1;
  });

/** The `[json]` argument of `fire`, parsed. @throws CliError when it is not JSON. */
function parseJsonArgument(json: string): Record<string, any> {
  try {
    return JSON.parse(json) as Record<string, any>;
  } catch (e) {
    throw new CliError(`the event body is not JSON: ${(e as Error).message}`, 'Quote it for the shell, e.g. \'{"kind":"REPAYMENT"}\'.', EXIT.usage);
  }
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander printed its message (and the help hint) already; help and --version exit 0.
    process.exit(e.exitCode === 0 ? 0 : EXIT.usage);
  }
  const debug = Boolean(program.opts().debug) || process.argv.includes('--debug');
  process.exit(report(e, { debug }));
}
