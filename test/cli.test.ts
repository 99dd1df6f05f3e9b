import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cliExamples, CREDIT_VIEW_QUERY, demoBorrowerGlobalId, demoLoanGlobalId, openDatabase, SCHEMA_FILE, verifyClientToken } from '../src/app';
import { generateDataset, sandboxAccounts, SEED_CAIRIN, SEED_PERSON } from '../src/sandbox';
import { freePort } from './support/ports';

const run = promisify(execFile);

/** The environment without DATABASE_URL (the embedded database), with `extra` laid over it. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _unused, ...env } = process.env;
  return { ...env, LOG_LEVEL: 'info', NODE_ENV: 'development', ...extra };
}

/** Runs `satukredit <args>` to its end; never throws on a failed exit. */
async function cli(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['bin/satukredit.mjs', ...args], { env: envWith(extra), timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

/** A stack trace's frame line ("    at fn (file:line:col)"). */
const STACK_FRAME = /^\s+at .+[:(]/m;

/** A new empty directory under the system's temporary directory. */
function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('satukredit token', () => {
  it('prints a token for the client and scopes that the API verifies', async () => {
    const secret = 'cli-test-secret-cli-test-secret-0123456789';
    const { stdout } = await run(process.execPath, ['bin/satukredit.mjs', 'token', 'demo-refinancer', '--scope', 'credit:read', 'payoff:read'], {
      env: { ...process.env, JWT_SECRET: secret, DATA_DIR: '/nonexistent-not-used' },
    });
    const client = verifyClientToken({ secret, issuer: 'satukredit', audience: 'satukredit-api' }, stdout.trim());
    expect(client.id).toBe('demo-refinancer');
    expect([...client.scopes].sort()).toEqual(['credit:read', 'payoff:read']);
  });

  it('refuses an unknown scope', async () => {
    const err = await run(process.execPath, ['bin/satukredit.mjs', 'token', 'x', '--scope', 'admin'], { env: { ...process.env, JWT_SECRET: 'x'.repeat(40) } }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toMatch(/admin.*invalid|Allowed choices/i);
  });
});

/** A log line's JSON, or null for the banner's plain lines. */
function logLine(l: string): { msg?: string; level?: number; done?: number; borrowers?: number } | null {
  if (!l.startsWith('{')) return null;
  try {
    return JSON.parse(l) as { msg?: string };
  } catch {
    return null;
  }
}

/**
 * Runs `satukredit start` (the sources, through tsx) on the embedded database in a directory of its own, the sandbox
 * on free ports, with `borrowers` demo borrowers; collects its output lines.
 */
async function startCli(borrowers: number, opts: { dir?: string; args?: string[] } = {}) {
  const dir = opts.dir ?? tempDir('satukredit-cli-start-');
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/satukredit.mjs', 'start', ...(opts.args ?? [])], {
    env: envWith({ DATA_DIR: dir, PORT: String(port), SANDBOX_BORROWERS: String(borrowers) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const waiters: { test: (l: string) => boolean; resolve: () => void }[] = [];
  const onData = (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters.filter((x) => x.test(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    port,
    lines,
    exited,
    child,
    /** Resolves at the first line passing `test`; rejects if the process exits first. */
    lineMatching: (test: (l: string) => boolean) =>
      Promise.race([
        new Promise<void>((resolve) => (lines.some(test) ? resolve() : waiters.push({ test, resolve }))),
        exited.then((code) => {
          throw new Error(`exited (${code}) early:\n${lines.slice(-40).join('\n')}`);
        }),
      ]),
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const BANNER = (l: string) => l.startsWith('Satu Kredit GraphQL API: ');
const ALL_GIVEN = (l: string) => logLine(l)?.msg?.startsWith('all demo consents given') ?? false;

describe('satukredit start', () => {
  it('prints the banner once John is linked, links the other demo borrowers after it, and stops cleanly on SIGTERM', async () => {
    const borrowers = 24;
    const c = await startCli(borrowers);
    try {
      await c.lineMatching(BANNER);
      // Served at the banner: the API answers, with John's consent given.
      const ready = await fetch(`http://127.0.0.1:${c.port}/readyz`);
      expect(ready.status).toBe(200);
      await c.lineMatching(ALL_GIVEN);

      const { lines } = c;
      const banner = lines.findIndex(BANNER);
      const john = lines.findIndex((l) => logLine(l)?.msg?.startsWith('seed borrower "John" linked') ?? false);
      const all = lines.findIndex(ALL_GIVEN);
      // John before the banner, the others after it: the banner does not wait for the whole seeding.
      expect(john).toBeGreaterThanOrEqual(0);
      expect(john).toBeLessThan(banner);
      expect(all).toBeGreaterThan(banner);
      expect(lines.slice(banner).join('\n')).toContain('being linked in the background');
      expect(logLine(lines[all]!)).toMatchObject({ borrowers, done: borrowers });
      // The last progress line says every borrower is done.
      const progress = lines.map(logLine).filter((m) => m?.msg === 'linking demo borrowers through the consent flow');
      expect(progress.at(-1)).toMatchObject({ done: borrowers, borrowers });

      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      expect(lines.map(logLine).filter((m) => (m?.level ?? 0) >= 40)).toEqual([]);
      expect(lines.some((l) => logLine(l)?.msg === 'sandbox closed')).toBe(true);
    } finally {
      await c.cleanup();
    }
  }, 240_000);

  it('stops the background seeding cleanly on SIGTERM right after the banner', async () => {
    const c = await startCli(60);
    try {
      await c.lineMatching(BANNER);
      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      const msgs = c.lines.map(logLine);
      // However far it got: no warning or error (no request cut under the seeding), and the seeding says where it ended.
      expect(msgs.filter((m) => (m?.level ?? 0) >= 40)).toEqual([]);
      expect(msgs.some((m) => m?.msg?.startsWith('demo seeding stopped before every borrower') || m?.msg?.startsWith('all demo consents given'))).toBe(true);
      expect(msgs.some((m) => m?.msg === 'sandbox closed')).toBe(true);
    } finally {
      await c.cleanup();
    }
  }, 240_000);
});

/** The consents in the embedded database in `dir`, by status (the server on it stopped). */
async function consentCounts(dir: string): Promise<Record<string, number>> {
  const db = await openDatabase({ dataDir: dir }, { migrate: false });
  try {
    const rows = await db.sql.query<{ status: string; n: number }>('SELECT "status"::text AS status, count(*)::int AS n FROM "Consent" GROUP BY 1');
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await db.close();
  }
}

/** The token printed after "Bearer token for API client <client>". */
function bannerToken(lines: string[], client: string): string {
  const i = lines.findIndex((l) => l.startsWith(`Bearer token for API client ${client} `));
  expect(i).toBeGreaterThanOrEqual(0);
  return lines[i + 1]!.trim();
}

describe('satukredit errors', () => {
  it('reports an invalid setting in two lines naming it, exit 78, and the stack only with --debug', async () => {
    const r = await cli(['start'], { PORT: '99999', DATA_DIR: '/nonexistent-not-used' });
    expect(r.code).toBe(78);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^satukredit: invalid setting: PORT \(/);
    expect(lines[1]).toContain('PORT');
    expect(r.stderr).not.toMatch(STACK_FRAME);

    const d = await cli(['start', '--debug'], { PORT: '99999', DATA_DIR: '/nonexistent-not-used' });
    expect(d.code).toBe(78);
    expect(d.stderr.split('\n')[0]).toBe(lines[0]);
    expect(d.stderr).toMatch(STACK_FRAME);
    expect(d.stderr).toContain('ConfigError');
  });

  it('finds PORT in use before migrating or seeding anything', async () => {
    const busy = net.createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', () => res()));
    const port = (busy.address() as net.AddressInfo).port;
    const parent = tempDir('satukredit-cli-port-');
    const dir = path.join(parent, 'data');
    try {
      const r = await cli(['start'], { PORT: String(port), DATA_DIR: dir });
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe(`satukredit: PORT ${port} is already in use on 127.0.0.1 (another satukredit start, or another program)`);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      // Nothing was started: no log line at all (no migration, no sandbox), and no database in DATA_DIR.
      expect(r.stdout).toBe('');
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/migrat/i);
      expect(existsSync(dir)).toBe(false);
    } finally {
      busy.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('names DATABASE_URL (password hidden) when the server does not answer', async () => {
    const port = await freePort();
    const r = await cli(['migrate'], { DATABASE_URL: `postgresql://app:s3cret@127.0.0.1:${port}/satukredit` });
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`satukredit: the PostgreSQL server at DATABASE_URL (postgresql://app:***@127.0.0.1:${port}/satukredit) does not answer: ECONNREFUSED`);
    expect(lines[1]).toMatch(/DATABASE_URL/);
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses sync on the default setup with no server running, in two lines naming the reason and the fix', async () => {
    const dir = tempDir('satukredit-cli-sync-');
    try {
      const r = await cli(['sync'], { DATA_DIR: dir });
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^satukredit: sync has no provider to read: .*satukredit start/);
      expect(lines[1]).toMatch(/npm start.*CAIRIN_BASE_URL/);
      expect(r.stderr).not.toMatch(STACK_FRAME);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a usage error from commander with exit 2', async () => {
    const r = await cli(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('satukredit sandbox accounts', () => {
  it('lists every demo borrower with their provider account ids, Cairin logins, loans and API ids', async () => {
    const r = await cli(['sandbox', 'accounts'], { SANDBOX_BORROWERS: '12' });
    expect(r.code).toBe(0);
    const people = sandboxAccounts(generateDataset({ seed: 42, borrowers: 12, today: '2026-12-05' }));
    for (const p of people) {
      expect(r.stdout).toContain(`#${p.index} ${p.fullName}  NIK ${p.nik}`);
      expect(r.stdout).toContain(`Borrower id ${demoBorrowerGlobalId(42, p.nik)}`);
      for (const a of p.accounts) expect(r.stdout).toContain(`account ${a.externalId}`);
    }
    expect(r.stdout).toContain(`login: phone ${SEED_PERSON.phoneNumber} PIN ${SEED_CAIRIN.pin} device ${SEED_CAIRIN.deviceId}`);
    expect(r.stdout).toContain('account usr_000001');
  });

  it('--nik shows one borrower with their Loan ids; --json the same as data; an unknown NIK fails in two lines', async () => {
    const r = await cli(['sandbox', 'accounts', '--nik', SEED_PERSON.nik]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^#\d+ /gm)).toEqual(['#0 ']);
    expect(r.stdout).toContain(`loan ${SEED_CAIRIN.loanId}  Loan id ${demoLoanGlobalId(42, 'CAIRIN', SEED_CAIRIN.accountId, SEED_CAIRIN.loanId)}`);

    const j = await cli(['sandbox', 'accounts', '--nik', SEED_PERSON.nik, '--json']);
    const data = JSON.parse(j.stdout) as { seed: number; people: { nik: string; borrowerId: string; accounts: { provider: string; externalId: string; login?: { pin: string } }[] }[] };
    expect(data.seed).toBe(42);
    expect(data.people).toHaveLength(1);
    expect(data.people[0]).toMatchObject({ nik: SEED_PERSON.nik, borrowerId: demoBorrowerGlobalId(42, SEED_PERSON.nik) });
    expect(data.people[0]!.accounts.map((a) => a.externalId)).toEqual([SEED_CAIRIN.accountId, 'usr_000001', SEED_PERSON.nik]);

    const none = await cli(['sandbox', 'accounts', '--nik', '1234567890123456']);
    expect(none.code).not.toBe(0);
    expect(none.stderr.trim().split('\n')).toHaveLength(2);
    expect(none.stderr).toMatch(/^satukredit: no demo borrower has NIK 1234567890123456/);
  });

  it('gives every person the same NIK, account ids, Cairin login and loan ids whatever day the sandbox starts', () => {
    const on = (today: string) => sandboxAccounts(generateDataset({ seed: 42, borrowers: 60, today }));
    // Dompet Kilat's contract numbers carry the contract's date, which moves with the day.
    const stable = (today: string) => on(today).map((p) => ({ ...p, accounts: p.accounts.map((a) => (a.provider === 'DOMPET_KILAT' ? { ...a, loans: [] } : a)) }));
    expect(stable('2027-03-17')).toEqual(stable('2026-12-05'));
  });
});

describe('the example operations the CLI prints', () => {
  it('are valid against the committed schema', () => {
    const schema = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));
    for (const ex of cliExamples({ borrowerId: demoBorrowerGlobalId(42, SEED_PERSON.nik) })) {
      expect(validate(schema, parse(ex.query)).map((e) => e.message), ex.name).toEqual([]);
    }
    expect(CREDIT_VIEW_QUERY).toContain('$borrowerId');
  });
});

describe('satukredit start on one data directory', () => {
  it('runs the printed example, syncs through the running server, and on restart adds nothing; reset and --fresh start clean', async () => {
    const borrowers = 6;
    const dir = tempDir('satukredit-cli-restart-');
    try {
      const first = await startCli(borrowers, { dir });
      let counts: Record<string, number>;
      try {
        await first.lineMatching(BANNER);
        // The printed example, as printed (its variables on the line after it), runs against the demo data.
        const vars = first.lines.find((l) => l.startsWith('Variables: '))!;
        const variables = JSON.parse(vars.slice('Variables: '.length)) as { borrowerId: string };
        expect(variables.borrowerId).toBe(demoBorrowerGlobalId(42, SEED_PERSON.nik));
        expect(first.lines).toContain('Finfra sandbox client: FINFRA_CLIENT_ID=satukredit-sandbox FINFRA_CLIENT_SECRET=sk_sandbox_satukredit');
        const token = bannerToken(first.lines, 'demo-aggregator');
        for (const ex of cliExamples(variables)) {
          const res = await fetch(`http://127.0.0.1:${first.port}/graphql`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query: ex.query, variables: ex.variables }),
          });
          const body = (await res.json()) as { data?: { creditView?: { loans: unknown[] } }; errors?: unknown };
          expect(body.errors, ex.name).toBeUndefined();
          expect(body.data?.creditView?.loans.length).toBeGreaterThan(0);
        }
        await first.lineMatching(ALL_GIVEN);

        // sync while the server holds the embedded database: the server runs it.
        const sync = await cli(['sync'], { DATA_DIR: dir });
        expect(sync.stderr).toBe('');
        expect(sync.code).toBe(0);
        expect(sync.stdout).toMatch(/^BACKFILL finished.* \(run by the server at http:\/\/127\.0\.0\.1:\d+, pid \d+\): \d+ accounts/m);

        // reset refuses while the server runs.
        const busy = await cli(['reset'], { DATA_DIR: dir });
        expect(busy.code).not.toBe(0);
        expect(busy.stderr.trim().split('\n')).toHaveLength(2);
        expect(busy.stderr).toMatch(/^satukredit: the embedded database in .* is open in a running process \(pid \d+\)/);

        first.child.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        counts = await consentCounts(dir);
        expect(counts.ACTIVE).toBeGreaterThanOrEqual(borrowers);
      } finally {
        await first.cleanup();
      }

      // A second start on the same data: every consent is already there.
      const second = await startCli(borrowers, { dir });
      try {
        await second.lineMatching(ALL_GIVEN);
        expect(logLine(second.lines.find(ALL_GIVEN)!)).toMatchObject({ consents: 0, existing: counts.ACTIVE });
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      } finally {
        await second.cleanup();
      }
      expect(await consentCounts(dir)).toEqual(counts);

      // --fresh: the database is deleted first and every consent is given again.
      const fresh = await startCli(borrowers, { dir, args: ['--fresh'] });
      try {
        await fresh.lineMatching(ALL_GIVEN);
        expect(fresh.lines.some((l) => l.startsWith('reset: deleted the embedded database in '))).toBe(true);
        expect(logLine(fresh.lines.find(ALL_GIVEN)!)).toMatchObject({ consents: counts.ACTIVE, existing: 0 });
        fresh.child.kill('SIGTERM');
        expect(await fresh.exited).toBe(0);
      } finally {
        await fresh.cleanup();
      }
      expect(await consentCounts(dir)).toEqual(counts);

      // reset: only the JWT secret stays.
      const reset = await cli(['reset'], { DATA_DIR: dir });
      expect(reset.code).toBe(0);
      expect(reset.stdout).toMatch(/^reset: deleted the embedded database in /);
      expect(readdirSync(dir)).toEqual(['jwt-secret']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 480_000);
});
