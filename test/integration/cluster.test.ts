/**
 * A cluster as an operator runs it, each part its own process: `satukredit sandbox`, three
 * `satukredit start` instances on one PostgreSQL database, `satukredit seed` giving the demo consents
 * through the consent flow. Events are fired at random instances (conflicting PENDING/PAID pairs, 20%
 * replays), one instance is killed with SIGKILL mid-stream, and a subscription on a surviving instance
 * watches every target loan. PostgreSQL only (`npm run test:pg`).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signClientToken } from '../../src/app';
import { createSandboxBanks, generateDataset, linkRequests, WebhookSender } from '../../src/sandbox';
import { jakartaDate } from '../../src/domain/dates';
import { until } from '../support/clock';
import { freePort } from '../support/ports';
import { openTestDatabase } from '../support/stack';

const ON_SERVER = Boolean(process.env.TEST_DATABASE_URL);
const SEED = 11;
const BORROWERS = 20;
const JWT_SECRET = randomBytes(24).toString('hex');
/** A client whose budget (cost points per minute) allows exactly 10 calls of BUDGET_QUERY (cost 2). */
const LIMITED_CLIENT = 'cluster-limited';
const BUDGET_QUERY = '{ borrowers(first: 1) { totalCount } }';
const LIMITED_BUDGET = 20;
const FINFRA_CALLBACK_KEY = randomBytes(18).toString('hex');

/** A child process with its output collected. */
function run(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['bin/satukredit.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, out: () => out };
}

describe.skipIf(!ON_SERVER)('a cluster of three instances and a sandbox, each its own process', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const procs: ChildProcess[] = [];
  const urls: string[] = [];
  let sandboxEnv: Record<string, string> = {};
  let sandboxOut: () => string;

  beforeAll(async () => {
    db = await openTestDatabase();
    const ports = { cairin: await freePort(), finfra: await freePort(), dk: await freePort(), sms: await freePort() };
    const sb = run(['sandbox'], {
      SANDBOX_SEED: String(SEED),
      SANDBOX_BORROWERS: String(BORROWERS),
      SANDBOX_CAIRIN_PORT: String(ports.cairin),
      SANDBOX_FINFRA_PORT: String(ports.finfra),
      SANDBOX_DOMPETKILAT_PORT: String(ports.dk),
      SANDBOX_SMS_PORT: String(ports.sms),
    });
    procs.push(sb.child);
    sandboxOut = sb.out;
    await until(() => sb.out().includes('API_CLIENTS='), 'the sandbox printed its settings', { tries: 1200, everyMs: 50 });
    // The settings the sandbox prints, as an operator would paste them.
    for (const m of sb.out().matchAll(/^ {2}([A-Z_]+)=(.*)$/gm)) sandboxEnv[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
    // The sandbox's clients, plus one with a small budget of its own (the rate limit across instances).
    const clients = JSON.parse(sandboxEnv.API_CLIENTS!) as Record<string, { displayName: string; redirectUris: string[]; costPerMinute?: number }>;
    clients[LIMITED_CLIENT] = { displayName: 'Cluster budget test', redirectUris: Object.values(clients)[0]!.redirectUris, costPerMinute: LIMITED_BUDGET };
    const shared = {
      ...sandboxEnv,
      API_CLIENTS: JSON.stringify(clients),
      DATABASE_URL: db.url!,
      JWT_SECRET,
      FINFRA_CALLBACK_KEY,
      DOMPETKILAT_CALLBACK_IPS: '127.0.0.1,::1',
      OTP_SENDS_PER_IP: '100000',
      OTP_SENDS_PER_NIK: '100000',
      LOG_LEVEL: 'warn',
      SANDBOX_SEED: String(SEED),
      SANDBOX_BORROWERS: String(BORROWERS),
    };
    // Three instances started together on the empty database.
    const started = await Promise.all([0, 1, 2].map(async () => ({ port: await freePort() })));
    for (const { port } of started) {
      const p = run(['start'], { ...shared, PORT: String(port), HOST: '127.0.0.1' });
      procs.push(p.child);
      urls.push(`http://127.0.0.1:${port}`);
    }
    for (const u of urls) {
      await until(async () => (await fetch(`${u}/readyz`).catch(() => null))?.status === 200, `${u} ready`, { tries: 1200, everyMs: 100 });
    }
    const seeded = await promisify(execFile)(process.execPath, ['bin/satukredit.mjs', 'seed', '--api-url', urls[0]!, '--sms-url', sandboxEnv.SMS_GATEWAY_URL!], {
      env: { ...process.env, ...shared },
    });
    expect(seeded.stdout).toMatch(/seeded \d+ consents for 20 borrowers \(0 already given\)/);
  }, 240_000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    await db?.close();
  }, 60_000);

  it("holds one client's budget across the three instances: calls spread over them are refused once they spend it together", async () => {
    const jwt = { secret: JWT_SECRET, issuer: 'satukredit', audience: 'satukredit-api' };
    const call = async (url: string, clientId: string) => {
      const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${signClientToken(jwt, clientId, ['credit:read'])}` }, body: JSON.stringify({ query: BUDGET_QUERY }) });
      return { status: r.status, body: (await r.json()) as { errors?: { extensions?: { code?: string } }[] } };
    };
    // Round robin over A, B and C until the first refusal: three budgets of their own would answer 30 calls.
    let answered = 0;
    let refused: Awaited<ReturnType<typeof call>> | null = null;
    for (let i = 0; i < 40 && !refused; i++) {
      const a = await call(urls[i % 3]!, LIMITED_CLIENT);
      if (a.status === 429) refused = a;
      else {
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        answered++;
      }
    }
    expect(answered).toBe(LIMITED_BUDGET / 2);
    expect(refused?.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // Refused on every instance now, while another client is not.
    for (const u of urls) expect((await call(u, LIMITED_CLIENT)).status).toBe(429);
    expect((await call(urls[1]!, 'demo-aggregator')).status).toBe(200);
  });

  it('applies every acknowledged event once, each repayment in its final state, with one instance killed mid-stream; a subscription on another instance sees every change', async () => {
    expect(sandboxOut()).toContain('SMS_GATEWAY_KEY=');
    const [a, b, c] = urls as [string, string, string];
    const dataset = generateDataset({ seed: SEED, borrowers: BORROWERS, today: jakartaDate(new Date()) });
    const people = linkRequests(dataset);
    // Finfra loans with an unpaid installment, each of a different seeded borrower.
    const targets: { nik: string; loanUniqueId: string; amount: number }[] = [];
    for (const u of dataset.finfra) {
      const l = u.loans.find((x) => x.status === 'DISBURSED' && x.installments.some((i) => i.paid === 0n));
      const person = people.find((p) => p.finfraUserId === u.userId);
      if (l && person) targets.push({ nik: person.nik, loanUniqueId: l.loanUniqueId, amount: Number(l.installments.find((i) => i.paid === 0n)!.total) });
    }
    expect(targets.length).toBeGreaterThanOrEqual(3);

    // Borrower ids by NIK (a client with identity:read sees the NIK).
    const token = signClientToken({ secret: JWT_SECRET, issuer: 'satukredit', audience: 'satukredit-api' }, 'demo-aggregator', ['credit:read', 'identity:read']);
    const list = (await (await fetch(`${c}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ borrowers(first: 50) { edges { node { id nik } } } }' }) })).json()) as {
      data: { borrowers: { edges: { node: { id: string; nik: string } }[] } };
    };
    const idOf = new Map(list.data.borrowers.edges.map((e) => [e.node.nik, e.node.id]));
    // A first read caches each borrower's loans (as the nightly sync would): pushes name loans the client has seen.
    for (const t of targets) {
      const r = await fetch(`${a}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: 'query($id: ID!) { creditView(borrowerId: $id) { complete } }', variables: { id: idOf.get(t.nik) } }) });
      expect(((await r.json()) as { data: { creditView: { complete: boolean } } }).data.creditView.complete).toBe(true);
    }

    // Subscriptions on C, one per target borrower; live once a warm-up change reaches each.
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const ws = createClient({ url: `${c.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, lazy: false, retryAttempts: 0 });
    const pushes = new Map<string, { kind: string; providerLoanId: string; at: string }[]>();
    for (const t of targets) {
      pushes.set(t.loanUniqueId, []);
      ws.subscribe(
        { query: 'subscription($id: ID!) { loanChanged(borrowerId: $id) { providerLoanId kind at } }', variables: { id: idOf.get(t.nik)! } },
        { next: (v) => pushes.get(t.loanUniqueId)!.push((v.data as any).loanChanged), error: () => undefined, complete: () => undefined },
      );
    }
    const senders = urls.map((u) => new WebhookSender(u, FINFRA_CALLBACK_KEY, createSandboxBanks()));
    const now = () => new Date().toISOString();
    let warm = 0;
    await until(
      async () => {
        const waiting = targets.filter((t) => pushes.get(t.loanUniqueId)!.length === 0);
        for (const t of waiting) {
          await senders[0]!.finfra('payment-gateway', 'va', 'PENDING', { payment_id: `WARM-${warm++}-${t.loanUniqueId}`, loanUniqueId: t.loanUniqueId, amount: 1000, bank_code: 'BCA', status: 'PENDING', paid_at: now(), settled_at: null });
        }
        return waiting.length === 0;
      },
      'every subscription received a warm-up change',
      { tries: 120, everyMs: 500 },
    );
    // Every warm-up change applied: pushes of the stream are those applied after the last of them.
    type Warm = { appliedAt: Date | null };
    const warmRows = async () => (await db.sql.query<Warm>(`SELECT "appliedAt" FROM "WebhookEvent" WHERE payload::text LIKE '%WARM-%'`)) as Warm[];
    await until(async () => (await warmRows()).every((r) => r.appliedAt !== null), 'every warm-up event applied', { tries: 1200, everyMs: 50 });
    const streamStart = Math.max(...(await warmRows()).map((r) => new Date(r.appliedAt!).getTime()));
    const ofStream = (loan: string) => pushes.get(loan)!.filter((p) => new Date(p.at).getTime() > streamStart);

    // The stream: a PENDING and a PAID per payment at the same moment on different instances, 20% sent twice;
    // B is killed after half of them were acknowledged; a send that failed is retried on another instance.
    const acked: { key: string; status: number }[] = [];
    let sent = 0;
    let killedAfter = -1;
    const total = targets.length * 2 + targets.filter((_, n) => n % 5 === 0).length;
    const send = async (data: Record<string, unknown>, status: string, first: number) => {
      for (let k = 0; k < 3; k++) {
        const i = (first + k) % 3;
        if (procs[i + 1]!.signalCode === 'SIGKILL' || killedAfter >= 0 && i === 1) continue;
        const r = await senders[i]!.finfra('payment-gateway', 'va', status, { ...data, status }).catch(() => null);
        if (r?.status === 200) {
          acked.push({ key: `${data.payment_id}:${status}`, status: r.status });
          // B dies once half the stream is acknowledged, with requests of the rest in flight.
          if (killedAfter < 0 && acked.length >= total / 2) {
            killedAfter = acked.length;
            procs[2]!.kill('SIGKILL');
          }
          return;
        }
      }
      throw new Error(`no instance acknowledged ${data.payment_id} ${status}`);
    };
    const jobs = targets.map((t, n) => async () => {
      const data = { payment_id: `PAY-CLUSTER-${n}`, loanUniqueId: t.loanUniqueId, amount: t.amount, bank_code: 'BCA', paid_at: now() };
      const paid = { ...data, settled_at: now() };
      const copies = [send({ ...data, settled_at: null }, 'PENDING', n), send(paid, 'PAID', n + 1)];
      // A replay is the same callback again (the sender retrying), here to yet another instance.
      if (n % 5 === 0) copies.push(send(paid, 'PAID', n + 2));
      sent += copies.length;
      await Promise.all(copies);
    });
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }));
    const half = killedAfter;
    expect(procs[2]!.signalCode ?? (await new Promise((r) => procs[2]!.once('exit', (_c, s) => r(s))))).toBe('SIGKILL');

    // Every acknowledged event is applied (by the survivors too), once; every repayment ends CLEARED.
    type Row = { payload: { data: { payment_id: string } }; status: string; appliedAt: Date | null; deadAt: Date | null; receivedAt: Date; outcome: string | null };
    const rows = async () =>
      (await db.sql.query<Row>(`SELECT payload, "appliedAt", "deadAt", "receivedAt", outcome FROM "WebhookEvent" WHERE payload::text LIKE '%PAY-CLUSTER-%'`)) as Row[];
    await until(async () => (await rows()).every((r) => r.appliedAt !== null || r.deadAt !== null), 'every acknowledged event applied', { tries: 1200, everyMs: 100 }).catch(async (e) => {
      const r = await rows();
      throw new Error(`${(e as Error).message}: ${r.length} stored, ${r.filter((x) => x.appliedAt).length} applied, ${r.filter((x) => x.deadAt).length} dead`);
    });
    const stored = await rows();
    expect(stored).toHaveLength(targets.length * 2); // the replays were duplicates
    expect(stored.every((r) => r.outcome === 'APPLIED' && r.deadAt === null)).toBe(true);
    const reps = (await db.sql.query<{ status: string }>(`SELECT status FROM "LedgerRepayment" WHERE "externalId" LIKE 'PAY-CLUSTER-%'`)) as { status: string }[];
    expect(reps).toHaveLength(targets.length);
    expect(reps.every((r) => r.status === 'CLEARED')).toBe(true);

    // The subscription on C saw each applied change of each loan once, whichever instance applied it.
    await until(() => targets.every((t) => ofStream(t.loanUniqueId).length >= 2), 'every change pushed to C', { tries: 1200, everyMs: 50 });
    for (const t of targets) expect(ofStream(t.loanUniqueId).map((p) => p.kind)).toEqual(['repayment', 'repayment']);
    await ws.dispose();

    const lags = stored.map((r) => r.appliedAt!.getTime() - new Date(r.receivedAt).getTime()).sort((x, y) => x - y);
    const p = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
    console.log(
      `cluster: ${sent} events sent (${targets.length * 2} distinct, ${sent - targets.length * 2} replays), ${acked.length} acknowledged, ${stored.length} stored, ${stored.filter((r) => r.appliedAt).length} applied, 0 twice; instance B killed with SIGKILL after ${half} acknowledgements; apply lag p50 ${p(0.5)} ms, p99 ${p(0.99)} ms (measured, not asserted); stream pushes received on C: ${targets.reduce((n, t) => n + ofStream(t.loanUniqueId).length, 0)} for ${targets.length * 2} applied changes`,
    );
  }, 240_000);
});
