/**
 * Companion probe of bench/cluster.ts: what the database operations of the webhook path cost on this machine,
 * one at a time on a fresh database (created on the PostgreSQL server and dropped afterwards), through the
 * application's own database layer (`openDatabase`: Prisma with the pg adapter and its pg pool) and, for
 * comparison, as plain SQL on the same pool:
 *
 *   - a new PostgreSQL connection (connect, SELECT 1, end): client and server CPU;
 *   - storing a new event (Prisma `webhookEvent.create`, as EventApplier.store does) vs INSERT ... ON CONFLICT DO NOTHING;
 *   - storing a duplicate (the unique violation, then `findUniqueOrThrow`, as EventApplier.store does) vs the same
 *     INSERT ... ON CONFLICT DO NOTHING, which raises no error; and whether the duplicate cost a pooled connection;
 *   - a `findUnique` by id vs SELECT by id; an interactive transaction with two statements.
 *
 * Client CPU is this process's (process.cpuUsage), server CPU is every PostgreSQL process's on this machine
 * (/proc, exited backends included: other users of the server count too). Sequential, one operation at a time.
 *
 *   npx tsx bench/pg-costs.ts [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--n 400]
 *
 * Not a test: nothing here asserts times.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../src/app';
import { allPostgresCpuSeconds } from './proc';

const { values: argv } = parseArgs({ options: { 'database-url': { type: 'string' }, n: { type: 'string' } } });
const ADMIN = argv['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const N = Math.max(20, Number(argv.n ?? 400));

const clientCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rows: { op: string; clientMs: number; serverMs: number; wallMs: number; note?: string }[] = [];
async function measure(op: string, n: number, fn: (i: number) => Promise<unknown>, note?: () => string): Promise<void> {
  const c0 = clientCpu();
  const s0 = (allPostgresCpuSeconds() ?? 0);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  rows.push({ op, clientMs: (clientCpu() - c0) / n, serverMs: (((allPostgresCpuSeconds() ?? 0) - s0) * 1000) / n, wallMs: (performance.now() - t0) / n, note: note?.() });
}

const name = `satukredit_probe_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
await admin.end();
const url = new URL(ADMIN);
url.pathname = `/${name}`;
const db = await openDatabase({ url: url.toString() });
const pool = db.pool!;
const payload = (i: number) => ({ type: 'va', status: 'PAID', data: { payment_id: `P-${i}`, loanUniqueId: 'FL-000001', amount: 100000, bank_code: 'BCA', status: 'PAID', paid_at: new Date().toISOString() } });
const INSERT = `INSERT INTO "WebhookEvent" (id, source, kind, "idempotencyKey", payload) VALUES (gen_random_uuid(), 'FINFRA', 'va', $1, $2)
  ON CONFLICT (source, "idempotencyKey") DO NOTHING RETURNING id`;
try {
  for (let i = 0; i < 50; i++) await db.prisma.webhookEvent.create({ data: { source: 'FINFRA', kind: 'va', idempotencyKey: `warm-${i}`, payload: payload(i) }, select: { id: true } });
  await measure('new PostgreSQL connection: connect, SELECT 1, end', Math.ceil(N / 4), async () => {
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
  });
  await measure('Prisma webhookEvent.create, new event (EventApplier.store)', N, (i) =>
    db.prisma.webhookEvent.create({ data: { source: 'FINFRA', kind: 'va', idempotencyKey: `p-${i}`, payload: payload(i) }, select: { id: true } }),
  );
  let before = 0;
  let ended = 0;
  pool.on('remove', () => ended++);
  before = ended;
  await measure(
    'Prisma create of a duplicate (unique violation) + findUniqueOrThrow (EventApplier.store)',
    Math.ceil(N / 4),
    async (i) => {
      try {
        await db.prisma.webhookEvent.create({ data: { source: 'FINFRA', kind: 'va', idempotencyKey: `p-${i}`, payload: payload(i) }, select: { id: true } });
      } catch {
        await db.prisma.webhookEvent.findUniqueOrThrow({ where: { source_idempotencyKey: { source: 'FINFRA', idempotencyKey: `p-${i}` } } });
      }
    },
    () => `${ended - before} pooled connections ended for ${Math.ceil(N / 4)} duplicates`,
  );
  await measure('SQL INSERT ... ON CONFLICT DO NOTHING RETURNING id, new event', N, (i) => pool.query(INSERT, [`s-${i}`, payload(i)]));
  before = ended;
  await measure('SQL INSERT ... ON CONFLICT DO NOTHING RETURNING id, duplicate (no error)', N, (i) => pool.query(INSERT, [`s-${i}`, payload(i)]), () => `${ended - before} pooled connections ended`);
  const none = '00000000-0000-0000-0000-000000000000';
  await measure('Prisma webhookEvent.findUnique by id', N, () => db.prisma.webhookEvent.findUnique({ where: { id: none } }));
  await measure('SQL SELECT by id', N, () => pool.query(`SELECT * FROM "WebhookEvent" WHERE id = $1`, [none]));
  await measure('Prisma interactive transaction: BEGIN, 2 raw statements, COMMIT', Math.ceil(N / 4), () =>
    db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(1)`;
      await tx.$executeRaw`UPDATE "WebhookEvent" SET attempts = attempts WHERE id = ${none}::uuid`;
    }),
  );
} finally {
  await db.close();
  const d = new pg.Client({ connectionString: ADMIN });
  await d.connect();
  await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await d.end();
}

const w = Math.max(...rows.map((r) => r.op.length));
process.stdout.write(`${'operation'.padEnd(w)}  client CPU ms  PostgreSQL CPU ms  wall ms\n`);
for (const r of rows) process.stdout.write(`${r.op.padEnd(w)}  ${r.clientMs.toFixed(2).padStart(13)}  ${r.serverMs.toFixed(2).padStart(17)}  ${r.wallMs.toFixed(2).padStart(7)}${r.note ? `  (${r.note})` : ''}\n`);
