/**
 * The `satukredit` command.
 *   start     migrate, start the provider sandbox (unless provider URLs are configured), serve GraphQL, link the demo borrowers
 *             (the seed borrower before the banner, the others in the background)
 *   migrate   apply prisma/migrations to DATABASE_URL (or the embedded database)
 *   token     print a signed API-client token
 *   schema    write schema/schema.graphql from the code
 *   sandbox   run the provider sandbox alone
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { createApp, defaultExamples, jwtSettings, lagMinutes, migrate, openDatabase, printedSchema, renderPlayground, SCHEMA_FILE, toGlobalId } from './app';
import { SCOPES, signClientToken } from './auth';
import { loadConfig, type Config } from './config';
import { CONSENT_DOMAINS } from './domain/consent';
import { jakartaDate } from './domain/dates';
import { createLogger } from './logger';
import { answerConsent, bankSettings, createSandboxBanks, DEMO_LOAN, demoApiClients, generateDataset, linkRequests, loopbackAddress, postJson, sandboxProviderEnv, sandboxRedirectUri, startEventServer, startSandbox, WebhookSender } from './sandbox';

/** Demo API clients printed by `start`. */
const DEMO_CLIENTS = {
  'demo-aggregator': ['credit:read', 'payoff:read', 'consent:write'],
  'demo-refinancer': ['credit:read', 'payoff:read', 'consent:write'],
} as const;


/** How long a shutdown waits for the demo borrowers in flight to finish before closing under them. */
const SEED_STOP_GRACE_MS = 10_000;

const REQUEST_CONSENT = `mutation($input: ConsentRequestInput!) { consentRequestCreate(input: $input) { consentUrl userErrors { code message } } }`;

const EXAMPLE_QUERY = (borrowerId: string) => `query CreditView {
  creditView(borrowerId: "${borrowerId}") {
    asOf complete
    totalOutstanding { amount currency }
    totalOverdue { amount currency }
    nextPaymentDue { dueDate amount { amount } loan { provider providerLoanId } }
    arrears { amount { amount } oldestDueDate daysPastDue }
    providers { provider health loanCount outstanding { amount } }
    loans { provider providerLoanId status principal { amount } outstanding { total { amount } } daysPastDue }
  }
}`;

/** What the demo seeding reached. */
interface SeedResult {
  readonly borrowers: number;
  /** Borrowers seen to the end (their consents given now, or already held). */
  readonly done: number;
  /** Consents given now, and consents skipped as already ACTIVE. */
  readonly created: number;
  readonly existing: number;
  /** Whether `signal` stopped the seeding before every borrower was seen. */
  readonly stopped: boolean;
}

/**
 * Seeds the demo's consents the way any client gets one: a consent request over GraphQL, then the
 * borrower's answer on the hosted consent page (Cairin login, codes from the sandbox SMS gateway,
 * approve). Every borrower consents to demo-aggregator for all providers and data; every third to
 * demo-refinancer for loans, schedules and identity. A (client, borrower) pair that already holds an ACTIVE
 * consent (`held`, read once before seeding: a restart on the same data, or a borrower half done when the
 * previous run stopped, whose first consent is kept and only the missing one asked) is skipped; a consent request
 * abandoned mid-flow by a stop stays PENDING until its 15-minute link lapses (EXPIRED) and is asked again.
 * Each borrower's browser connects from a loopback address of its own (the API counts code sends per client IP).
 *
 * `seedDemoConsents` prepares (reads `held`) and returns two steps: `first()` seeds the seed person "John"
 * (borrower 0; `npm start` prints its banner right after), `rest()` the others, `concurrency` borrowers at a time
 * (default 8, below the connectors' 16 calls in flight per provider; more does not help: the seeding is bound by
 * this process's CPU, and 16 or 32 measured no faster). `signal` is checked before each borrower: once aborted no
 * borrower is started, those in flight finish, and `rest()` resolves with `stopped`. The first borrower that fails
 * stops the others from starting; `rest()` then rejects with its error once those in flight have finished.
 * `progress` hears how far it got at most every 5 s and once at the end.
 */
async function seedDemoConsents(o: {
  apiUrl: string;
  requests: ReturnType<typeof linkRequests>;
  smsUrl: string;
  redirectUri: string;
  jwt: Parameters<typeof signClientToken>[0];
  /** The (client, NIK) pairs among these clients that already have an ACTIVE consent. */
  held: (clientIds: string[]) => Promise<{ clientId: string; borrower: { nik: string | null } | null }[]>;
  concurrency?: number;
  signal?: AbortSignal;
  progress?: (p: { done: number; borrowers: number; created: number; existing: number }) => void;
}): Promise<{ first: () => Promise<void>; rest: () => Promise<SeedResult> }> {
  const { requests } = o;
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
  const tokens = Object.fromEntries(Object.entries(DEMO_CLIENTS).map(([id, scopes]) => [id, signClientToken(o.jwt, id, scopes)]));
  const held = new Set((await o.held(Object.keys(DEMO_CLIENTS))).map((h) => `${h.clientId}\u0000${h.borrower?.nik ?? ''}`));
  let created = 0;
  let existing = 0;
  let done = 0;
  let told = Date.now();
  const tell = (force: boolean) => {
    if (!o.progress || (!force && Date.now() - told < 5000)) return;
    told = Date.now();
    o.progress({ done, borrowers: requests.length, created, existing });
  };
  const one = async (i: number) => {
    const r = requests[i]!;
    const asks = [{ clientId: 'demo-aggregator', domains: [...CONSENT_DOMAINS], purpose: 'Show the borrower their whole credit picture in the demo aggregator app' }];
    if (i % 3 === 0) asks.push({ clientId: 'demo-refinancer', domains: ['LOANS', 'INSTALLMENTS', 'IDENTITY'], purpose: 'Quote a refinancing offer' });
    for (const ask of asks) {
      if (held.has(`${ask.clientId}\u0000${r.nik}`)) {
        existing++;
        continue;
      }
      const res = await postJson(`${o.apiUrl}/graphql`, { authorization: `Bearer ${tokens[ask.clientId]}` }, {
        query: REQUEST_CONSENT,
        variables: { input: { nik: r.nik, fullName: r.fullName, providers: r.providers, domains: ask.domains, purpose: ask.purpose, expiresAt, dataLifeSeconds: 30 * 24 * 3600, redirectUri: o.redirectUri, state: `demo-${i}` } },
      });
      const body = res.json as { data?: { consentRequestCreate?: { consentUrl: string | null; userErrors: { message: string }[] } } } | null;
      const url = body?.data?.consentRequestCreate?.consentUrl;
      if (!url) throw new Error(`demo consent request failed (HTTP ${res.status}): ${JSON.stringify(body)}`);
      const out = await answerConsent({ consentUrl: url, smsUrl: o.smsUrl, person: r, decision: 'APPROVE', clientAddress: loopbackAddress(i) });
      if (out.status !== 'ACTIVE') throw new Error(`demo consent for borrower ${i} ended ${out.status}`);
      held.add(`${ask.clientId}\u0000${r.nik}`);
      created++;
    }
    done++;
    tell(false);
  };
  let firstDone = false;
  return {
    async first() {
      if (requests.length && !firstDone) await one(0);
      firstDone = true;
    },
    async rest() {
      let next = firstDone ? 1 : 0;
      let failure = null as { error: unknown } | null;
      await Promise.all(
        Array.from({ length: Math.max(1, o.concurrency ?? 8) }, async () => {
          while (next < requests.length && !failure && !o.signal?.aborted) {
            try {
              await one(next++);
            } catch (error) {
              failure ??= { error };
            }
          }
        }),
      );
      tell(true);
      if (failure) throw failure.error;
      return { borrowers: requests.length, done, created, existing, stopped: done < requests.length };
    },
  };
}

async function start(): Promise<void> {
  const env = loadConfig();
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
    borrowers = requests.length;
    try {
      const seeder = seedDemoConsents({
        apiUrl: server.url,
        requests,
        smsUrl: sandbox.sms.url,
        redirectUri: sandboxRedirectUri(sandbox),
        jwt: app.jwt,
        held: (clientIds) => prisma.consent.findMany({ where: { clientId: { in: clientIds }, status: 'ACTIVE' }, select: { clientId: true, borrower: { select: { nik: true } } } }),
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
    lines.push(`Sandbox events (fire provider and bank webhooks at the API): ${events.url}/__sandbox/fire/{finfra,dompetkilat,snap}`);
    lines.push(`Sandbox SMS gateway (one-time codes the consent pages send): ${sandbox.sms.url}/__sandbox/sms?phone=62123123123`);
    lines.push(`Consent pages: a client's consentRequestCreate answers a ${server.url}/consent/... link; borrowers manage their consents at ${server.url}/consent`);
  }
  lines.push(demo.token ? `GraphiQL (open in a browser; demo token and example queries preset): ${server.url}/graphql` : `GraphiQL (open in a browser; no token preset): ${server.url}/graphql`);
  for (const [client, scopes] of Object.entries(DEMO_CLIENTS)) {
    lines.push('', `Bearer token for API client ${client} (scopes: ${scopes.join(' ')}):`, client === 'demo-aggregator' ? aggregatorToken : signClientToken(app.jwt, client, scopes));
  }
  if (demo.borrowerId) {
    const q = EXAMPLE_QUERY(toGlobalId('Borrower', demo.borrowerId));
    lines.push('', 'Example query (the seed borrower "John", linked at Cairin, Finfra and Dompet Kilat):', q, '', 'curl:',
      `curl -s ${server.url}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data '${JSON.stringify({ query: q.replace(/\s+/g, ' ') })}'`);
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
        else log.error({ err: e }, 'demo seeding failed (the API keeps serving; a restart continues from the borrowers already linked)');
      },
    );
  }
}

const program = new Command('satukredit').description('Satu Kredit unified credit-view API');

program.command('start').description('migrate, start the sandbox and link demo borrowers (unless provider URLs are set), serve GraphQL').action(start);

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
    const app = await createApp(cfg, { log: createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL) });
    const sync = app.core.sync;
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
    await app.close();
    if (s.failed) process.exitCode = 1;
  });

program
  .command('seed')
  .description('give the demo consents (through the consent flow) on a running API against a running `satukredit sandbox`: for several instances on one DATABASE_URL')
  .requiredOption('--api-url <url>', 'any API instance, e.g. http://127.0.0.1:4000')
  .option('--sms-url <url>', 'the sandbox SMS gateway (SMS_GATEWAY_URL printed by `satukredit sandbox`)', 'http://127.0.0.1:4104')
  .action(async (o: { apiUrl: string; smsUrl: string }) => {
    const cfg = loadConfig();
    if (!cfg.JWT_SECRET) throw new Error('JWT_SECRET must be set: the seed signs the demo clients\' tokens with the secret the instances share');
    if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL must be set: the database the instances share');
    const db = await openDatabase({ url: cfg.DATABASE_URL }, { migrate: false });
    try {
      // The same dataset the sandbox generated (same SANDBOX_SEED, SANDBOX_BORROWERS and today).
      const dataset = generateDataset({ seed: cfg.SANDBOX_SEED, borrowers: cfg.SANDBOX_BORROWERS, today: jakartaDate(new Date()) });
      const started = Date.now();
      const seeder = await seedDemoConsents({
        apiUrl: o.apiUrl.replace(/\/$/, ''),
        requests: linkRequests(dataset),
        smsUrl: o.smsUrl.replace(/\/$/, ''),
        redirectUri: `${o.smsUrl.replace(/\/$/, '')}/__sandbox/client/callback`,
        jwt: await jwtSettings(cfg),
        held: (clientIds) => db.prisma.consent.findMany({ where: { clientId: { in: clientIds }, status: 'ACTIVE' }, select: { clientId: true, borrower: { select: { nik: true } } } }),
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
      if (kind === 'finfra' && !key) throw new Error('FINFRA_CALLBACK_KEY must be set (the key the instances expect)');
      if (kind !== 'finfra' && kind !== 'dompetkilat') throw new Error('--api-url sends finfra and dompetkilat events; bank (snap) events need the sandbox banks of `npm start` (--events-url)');
      const sender = new WebhookSender(o.apiUrl, key ?? '', createSandboxBanks());
      const b = JSON.parse(json) as Record<string, any>;
      const sent = kind === 'finfra' ? await sender.finfra(b.route, b.type, b.status, b.data) : await sender.dompetKilat(b.kind, b.body);
      process.stdout.write(`${JSON.stringify(sent, null, 2)}\n`);
      if (sent.status >= 300) process.exitCode = 1;
      return;
    }
    if (!o.eventsUrl) throw new Error('give --events-url (npm start) or --api-url (any instance)');
    const path = kind === 'replay' ? '/__sandbox/replay' : `/__sandbox/fire/${kind}`;
    const res = await fetch(new URL(path, o.eventsUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
    if (!res.ok) process.exitCode = 1;
  });

await program.parseAsync(process.argv);
