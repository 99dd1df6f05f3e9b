/**
 * The `satukredit` command.
 *   start     migrate, start the provider sandbox (unless provider URLs are configured), link the demo borrowers, serve GraphQL
 *   migrate   apply prisma/migrations to DATABASE_URL (or the embedded database)
 *   token     print a signed API-client token
 *   schema    write schema/schema.graphql from the code
 *   sandbox   run the provider sandbox alone
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { SCOPES, signClientToken } from './auth';
import { createConnectors, createSyncConnectors, freshnessPolicy, jwtSettings, providerSettings } from './app';
import { SyncService } from './sync/sync.service';
import { recordProviderCall } from './metrics';
import { defaultExamples, renderPlayground } from './graphql/playground';
import { startScheduler } from './sync/scheduler';
import { defaultHardening } from './graphql/hardening';
import cliProgress from 'cli-progress';
import { loadConfig, type Config } from './config';
import { printedSchema, SCHEMA_FILE } from './graphql/schema';
import { toGlobalId } from './graphql/ids';
import { createLogger } from './logger';
import { startServer } from './server';
import { openDatabase, type DatabaseTarget } from './store/database';
import { jakartaDate } from './domain/dates';
import { ConsentService } from './consent/consent.service';
import { CONSENT_DOMAINS } from './domain/consent';
import { PROVIDERS } from './domain/types';
import { startSandbox, linkRequests } from './sandbox';
import { bankSettings, createSandboxBanks, startEventServer, WebhookSender } from './sandbox/events';
import { EventApplier } from './webhooks/ingest';
import { lagMinutesFromEnv, webhookSettingsFromEnv } from './webhooks/config';
import { randomBytes } from 'node:crypto';

function dbTarget(cfg: Config): DatabaseTarget {
  return cfg.DATABASE_URL ? { url: cfg.DATABASE_URL } : { dataDir: cfg.dataDir };
}

/** Demo API clients printed by `start`. */
const DEMO_CLIENTS = {
  'demo-aggregator': ['credit:read', 'payoff:read', 'consent:write'],
  'demo-refinancer': ['credit:read', 'payoff:read'],
} as const;

const EXAMPLE_QUERY = (borrowerId: string) => `query CreditView {
  creditView(borrowerId: "${borrowerId}") {
    asOf complete
    totalOutstanding { amount currency }
    totalOverdue { amount currency }
    nextInstallmentDue { loan { provider providerLoanId } installment { dueDate amountDue { amount } } }
    providers { provider health loanCount outstanding { amount } }
    loans { provider providerLoanId status principal { amount } outstanding { amount } daysPastDue }
  }
}`;

async function start(): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger(cfg.LOG_LEVEL);
  const db = await openDatabase(dbTarget(cfg));
  log.info({ database: db.kind }, 'database ready (migrations applied)');

  let sandbox: Awaited<ReturnType<typeof startSandbox>> | null = null;
  const useSandbox = !cfg.CAIRIN_BASE_URL && !cfg.FINFRA_BASE_URL && !cfg.DOMPETKILAT_BASE_URL;
  if (useSandbox) {
    sandbox = await startSandbox({ seed: cfg.SANDBOX_SEED, borrowers: cfg.SANDBOX_BORROWERS, today: jakartaDate(new Date()) });
    cfg.CAIRIN_BASE_URL = sandbox.urls.cairin;
    cfg.FINFRA_BASE_URL = sandbox.urls.finfra;
    cfg.DOMPETKILAT_BASE_URL = sandbox.urls.dompetKilat;
    cfg.FINFRA_CLIENT_ID = sandbox.finfraClient.clientId;
    cfg.FINFRA_CLIENT_SECRET = sandbox.finfraClient.clientSecret;
    log.info({ urls: sandbox.urls }, 'provider sandbox started');
  }
  const connectors = createConnectors(providerSettings(cfg), db.prisma, { onCall: recordProviderCall });
  const clock = { now: () => new Date() };
  const consents = new ConsentService(db.prisma, connectors, clock);
  let demoBorrowerId: string | null = null;
  if (sandbox) {
    // Demo consents (linking happens under them): every borrower to demo-aggregator
    // for all providers and data; every third to demo-refinancer for loans and schedules.
    const requests = linkRequests(sandbox.dataset);
    const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000);
    for (const [i, r] of requests.entries()) {
      const providers = PROVIDERS.filter((p) => (p === 'CAIRIN' ? r.cairin : p === 'FINFRA' ? r.finfraUserId : r.dompetKilatIdNumber));
      const base = { nik: r.nik, fullName: r.fullName, providers, expiresAt, dataLifeSeconds: 30 * 24 * 3600 };
      const c = await consents.grant({
        ...base,
        clientId: 'demo-aggregator',
        domains: [...CONSENT_DOMAINS],
        purpose: 'Show the borrower their whole credit picture in the demo aggregator app',
        accounts: { cairin: r.cairin, finfraUserId: r.finfraUserId, dompetKilatIdNumber: r.dompetKilatIdNumber },
      });
      demoBorrowerId ??= c.borrowerId;
      if (i % 3 === 0) {
        await consents.grant({ ...base, clientId: 'demo-refinancer', domains: ['LOANS', 'INSTALLMENTS', 'IDENTITY'], purpose: 'Quote a refinancing offer' });
      }
    }
    log.info({ borrowers: requests.length }, 'demo borrowers linked under consent');
  }
  const jwt = await jwtSettings(cfg);
  const aggregatorToken = signClientToken(jwt, 'demo-aggregator', DEMO_CLIENTS['demo-aggregator']);
  const lagMinutes = lagMinutesFromEnv();
  // GraphiQL at GET /graphql, rendered once per Jakarta day (the payoff example quotes for today). The demo
  // token and examples are preset only in demo mode (sandbox): with real providers the page carries no token.
  let demoLoanId: string | null = null;
  if (sandbox && demoBorrowerId) {
    const acct = await db.prisma.providerAccount.findFirst({ where: { borrowerId: demoBorrowerId, provider: 'CAIRIN' } });
    if (acct) demoLoanId = toGlobalId('Loan', acct.id, 'LN-0001');
  }
  let page: { day: string; html: string } | null = null;
  const playgroundHtml = () => {
    const day = jakartaDate(new Date());
    if (page?.day !== day) {
      const html = sandbox && demoBorrowerId
        ? renderPlayground({ token: aggregatorToken, examples: defaultExamples(toGlobalId('Borrower', demoBorrowerId), demoLoanId ?? undefined, day) })
        : renderPlayground({});
      page = { day, html };
    }
    return page.html;
  };
  const webhookSettings = webhookSettingsFromEnv(cfg);
  const banks = sandbox ? createSandboxBanks() : null;
  if (sandbox && banks) {
    // The sandbox's simulated banks and Finfra sign with keys made here; configure the receivers to match.
    webhookSettings.finfraAuthKey ??= randomBytes(24).toString('base64url');
    webhookSettings.banks = { ...bankSettings(banks, lagMinutes), ...webhookSettings.banks };
  }
  const applier = new EventApplier(db.prisma, log);
  const server = await startServer(
    {
      prisma: db.prisma,
      sql: db.sql,
      connectors,
      jwt,
      clock,
      log,
      consents,
      webhooks: { settings: webhookSettings, applier },
      lagMinutes,
      freshness: freshnessPolicy(cfg),
      hardening: defaultHardening(cfg.NODE_ENV === 'production'),
      playgroundHtml,
    },
    { host: cfg.HOST, port: cfg.PORT },
  );
  const events = sandbox && banks ? await startEventServer(new WebhookSender(server.url, webhookSettings.finfraAuthKey!, banks)) : null;
  const sync = new SyncService(db.prisma, createSyncConnectors(cfg, db.prisma, clock), clock, log, freshnessPolicy(cfg));
  const scheduler = await startScheduler(cfg.DATABASE_URL ? { databaseUrl: cfg.DATABASE_URL } : { embedded: true }, sync, log, {
    backfill: cfg.SYNC_BACKFILL_CRON,
    dueRefresh: cfg.SYNC_DUE_REFRESH_CRON,
  });

  const lines = [`Satu Kredit GraphQL API: ${server.url}/graphql`];
  if (sandbox && events) {
    lines.push(`Provider sandbox: Cairin ${sandbox.urls.cairin}, Finfra ${sandbox.urls.finfra}, Dompet Kilat ${sandbox.urls.dompetKilat}`);
    lines.push(`Sandbox events (fire provider and bank webhooks at the API): ${events.url}/__sandbox/fire/{finfra,dompetkilat,snap}`);
  }
  lines.push(`GraphiQL (open in a browser; demo token and example queries preset): ${server.url}/graphql`);
  for (const [client, scopes] of Object.entries(DEMO_CLIENTS)) {
    lines.push('', `Bearer token for API client ${client} (scopes: ${scopes.join(' ')}):`, client === 'demo-aggregator' ? aggregatorToken : signClientToken(jwt, client, scopes));
  }
  if (demoBorrowerId) {
    const q = EXAMPLE_QUERY(toGlobalId('Borrower', demoBorrowerId));
    lines.push('', 'Example query (the seed borrower "John", linked at Cairin, Finfra and Dompet Kilat):', q, '', 'curl:',
      `curl -s ${server.url}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data '${JSON.stringify({ query: q.replace(/\s+/g, ' ') })}'`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await server.close();
    log.info('http server closed');
    await events?.close();
    await scheduler.stop();
    await applier.idle();
    await sandbox?.close();
    log.info('sandbox closed');
    await db.close();
    log.info('database closed');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

const program = new Command('satukredit').description('Satu Kredit unified credit-view API');

program.command('start').description('migrate, start the sandbox and link demo borrowers (unless provider URLs are set), serve GraphQL').action(start);

program
  .command('migrate')
  .description('apply prisma/migrations to DATABASE_URL, or to the embedded database in DATA_DIR')
  .action(async () => {
    const cfg = loadConfig();
    const db = await openDatabase(dbTarget(cfg), { migrate: false });
    const { migrate } = await import('./store/migrate');
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

program
  .command('sandbox')
  .description('run the provider sandbox alone (ports from SANDBOX_*_PORT)')
  .action(async () => {
    await import('./sandbox/main');
  });

program
  .command('sync')
  .description('read every consented account from its provider now (the nightly backfill), or with --due only accounts near a due date or with a pending repayment; resumes an interrupted run')
  .option('--due', 'due-date refresh instead of the full backfill')
  .action(async (o: { due?: boolean }) => {
    const cfg = loadConfig();
    const log = createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL);
    const db = await openDatabase(dbTarget(cfg));
    const clock = { now: () => new Date() };
    const sync = new SyncService(db.prisma, createSyncConnectors(cfg, db.prisma, clock), clock, log, freshnessPolicy(cfg));
    const kind = o.due ? 'DUE_REFRESH' : 'BACKFILL';
    const tty = Boolean(process.stdout.isTTY);
    const bar = tty ? new cliProgress.SingleBar({ format: `${kind} [{bar}] {value}/{total} accounts | loans {loans} | failed {failed}` }, cliProgress.Presets.shades_classic) : null;
    let started = false;
    let lastLine = 0;
    const s = await sync.run(kind, {
      onProgress(done, total, sum) {
        if (bar) {
          if (!started) bar.start(total, 0, { loans: 0, failed: 0 });
          started = true;
          bar.update(done, { loans: sum.loansFetched, failed: sum.failed });
        } else if (done === total || done - lastLine >= Math.max(1, Math.ceil(total / 10))) {
          lastLine = done;
          process.stdout.write(`${kind}: ${done}/${total} accounts, ${sum.loansFetched} loans, ${sum.failed} failed\n`);
        }
      },
    });
    bar?.stop();
    process.stdout.write(
      `${kind} ${s.finished ? 'finished' : 'stopped'}${s.resumed ? ' (resumed)' : ''}: ${s.accounts} accounts, ${s.loansFetched} loans fetched, ${s.loansChanged} changed, ${s.failed} failed, ${s.skipped} skipped\n`,
    );
    await db.close();
    if (s.failed) process.exitCode = 1;
  });

program
  .command('fire')
  .description('fire a sandbox provider or bank event at the API (npm start prints the events URL)')
  .requiredOption('-u, --events-url <url>', 'sandbox events URL printed by `npm start`')
  .argument('<kind>', 'finfra | dompetkilat | snap | replay')
  .argument('[json]', 'event body: finfra {route,type,status,data}; dompetkilat {kind,body}; snap {bank,paymentRequestId,amount}; replay {index?}', '{}')
  .action(async (kind: string, json: string, o: { eventsUrl: string }) => {
    const path = kind === 'replay' ? '/__sandbox/replay' : `/__sandbox/fire/${kind}`;
    const res = await fetch(new URL(path, o.eventsUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
    if (!res.ok) process.exitCode = 1;
  });

await program.parseAsync(process.argv);
