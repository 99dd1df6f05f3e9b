/** Health, readiness, metrics, structured logs and graceful shutdown, over real HTTP. */
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, MAX_OPERATION_LABELS } from '../../src/app';
import { TEST_START, TestClock, until } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _e, cb) {
    lines.push(String(chunk));
    cb();
  },
});
let s: Stack;
beforeAll(async () => {
  s = await startStack({ seed: 61, borrowers: 6, log: createLogger('info', false, sink) });
});
afterAll(async () => {
  await s?.close();
});
const gid = (u: string) => Buffer.from(JSON.stringify(['Borrower', u])).toString('base64url');

describe('health and readiness', () => {
  it('answers /healthz, and /readyz with the database, migrations and each circuit', async () => {
    expect((await fetch(`${s.server.url}/healthz`)).status).toBe(200);
    const r = await fetch(`${s.server.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      ready: true,
      database: 'ok',
      pendingMigrations: [],
      providers: { CAIRIN: { circuit: 'closed' }, FINFRA: { circuit: 'closed' }, DOMPET_KILAT: { circuit: 'closed' } },
    });
  });
});

describe('metrics', () => {
  it('exposes GraphQL, provider, cache, webhook and consent metrics in Prometheus format', async () => {
    const id = gid(s.borrowerIds[0]!);
    await s.gql(`query CreditViewOp($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id });
    await s.gql(`query CreditViewOp($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id });
    await s.gql(`query Denied($id: ID!) { creditView(borrowerId: $id) { complete } }`, { id }, s.token('nobody'));
    const c = await s.grant(1, 'narrow-client', { domains: ['LOANS'] });
    await s.gql(`query($id: ID!) { borrower(id: $id) { fullName } }`, { id: gid(c.borrowerId) }, s.token('narrow-client'));
    await s.sender.finfra('payment-gateway', 'va', 'PAID', { nonsense: true });
    const text = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(text).toMatch(/satukredit_graphql_requests_total\{operation="CreditViewOp",outcome="success"\} 2/);
    expect(text).toMatch(/satukredit_graphql_request_duration_seconds_bucket\{le="[^"]+",operation="CreditViewOp"\}/);
    expect(text).toMatch(/satukredit_provider_calls_total\{provider="(CAIRIN|FINFRA|DOMPET_KILAT)",endpoint="[^"]+",status="200"\} \d+/);
    expect(text).toMatch(/satukredit_provider_call_duration_seconds_count\{provider="[A-Z_]+",endpoint="[^"]+"\} \d+/);
    expect(text).toMatch(/satukredit_cache_lookups_total\{provider="[A-Z_]+",result="hit"\} \d+/);
    expect(text).toMatch(/satukredit_cache_lookups_total\{provider="[A-Z_]+",result="miss"\} \d+/);
    expect(text).toMatch(/satukredit_webhook_events_total\{source="FINFRA",kind="[a-z-]+",outcome="rejected"\} \d+/);
    expect(text).toMatch(/satukredit_consent_denials_total\{domain="IDENTITY",code="CONSENT_REQUIRED"\} \d+/);
    expect(text).toMatch(/satukredit_process_resident_memory_bytes \d+/);
    expect(text).not.toContain(s.borrowerIds[0]!);
  });

  it('labels at most MAX_OPERATION_LABELS distinct operation names; later names count as other', async () => {
    // Runs after the test above: CreditViewOp and Denied are among the names already seen.
    for (let i = 0; i < MAX_OPERATION_LABELS + 5; i++) await s.gql(`query Bound${i} { __typename }`);
    await s.gql(`{ __typename }`);
    await s.gql(`query ${'L'.repeat(150)} { __typename }`);
    const text = await (await fetch(`${s.server.url}/metrics`)).text();
    const labels = new Set([...text.matchAll(/^satukredit_graphql_requests_total\{operation="([^"]*)"/gm)].map((m) => m[1]!));
    expect(labels.has('other')).toBe(true);
    expect(labels.has('anonymous')).toBe(true);
    expect(labels.has('CreditViewOp')).toBe(true);
    expect(labels.has('Bound0')).toBe(true);
    expect(labels.has(`Bound${MAX_OPERATION_LABELS + 4}`)).toBe(false);
    expect([...labels].some((l) => l.startsWith('LLLL'))).toBe(false);
    // The names kept, plus anonymous and other.
    expect(labels.size).toBeLessThanOrEqual(MAX_OPERATION_LABELS + 2);
    const other = /^satukredit_graphql_requests_total\{operation="other",outcome="success"\} (\d+)/m.exec(text);
    expect(Number(other?.[1])).toBeGreaterThanOrEqual(6);
    // A name seen before the set filled keeps its label.
    await s.gql(`query Bound0 { __typename }`);
    const again = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(again).toMatch(/satukredit_graphql_requests_total\{operation="Bound0",outcome="success"\} 2/);
  });
});

describe('metrics exposure', () => {
  /** An app with NODE_ENV=production and `env`, started for one test. */
  async function productionStack(env: Record<string, string> = {}) {
    return startStack({ seed: 63, borrowers: 1, link: false, env: { NODE_ENV: 'production', ...env } });
  }

  it('in production, /metrics is not served on the main port without METRICS_TOKEN or METRICS_PORT', async () => {
    const p = await productionStack();
    try {
      const r = await fetch(`${p.server.url}/metrics`);
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ error: 'not found' });
      expect(p.server.metricsUrl).toBeUndefined();
      expect((await fetch(`${p.server.url}/healthz`)).status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it('with METRICS_TOKEN, /metrics answers 401 without the bearer and 200 with it', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const p = await productionStack({ METRICS_TOKEN: token });
    try {
      const none = await fetch(`${p.server.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await none.json()).error).toMatch(/unauthorized/);
      expect((await fetch(`${p.server.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      // An API client's token is not the metrics token.
      expect((await fetch(`${p.server.url}/metrics`, { headers: { authorization: `Bearer ${p.token()}` } })).status).toBe(401);
      const ok = await fetch(`${p.server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/satukredit_process_resident_memory_bytes \d+/);
    } finally {
      await p.close();
    }
  });

  it('with METRICS_PORT, /metrics is served on that port only', async () => {
    const p = await productionStack({ METRICS_PORT: '0' });
    try {
      expect(p.server.metricsUrl).toBeDefined();
      expect(p.server.metricsUrl).not.toBe(p.server.url);
      const r = await fetch(`${p.server.metricsUrl}/metrics`);
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/satukredit_graphql_requests_total|satukredit_process_resident_memory_bytes/);
      expect((await fetch(`${p.server.url}/metrics`)).status).toBe(404);
      // Nothing else is served on the metrics port.
      expect((await fetch(`${p.server.metricsUrl}/graphql`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${p.server.metricsUrl}/healthz`)).status).toBe(404);
    } finally {
      await p.close();
    }
    // Closed with the app.
    expect(await fetch(`${p.server.metricsUrl}/metrics`).then(() => 'answered', () => 'refused')).toBe('refused');
  });
});

describe('structured logs', () => {
  it('write JSON lines with the request id and client id, and no personal data', async () => {
    await fetch(`${s.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token('log-client')}`, 'x-request-id': 'req-log-1' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const entry = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'req-log-1' && l.msg === 'request completed');
    expect(entry).toMatchObject({ level: 30, service: 'satukredit', requestId: 'req-log-1', clientId: 'log-client', status: 200, path: '/graphql' });
    for (const p of s.sandbox.dataset.people) expect(lines.join('')).not.toContain(p.nik);
  });
});

/** A counter's value in a stack's /metrics (0 when not exported yet). */
async function metric(t: Stack, name: string): Promise<number> {
  const text = await (await fetch(`${t.server.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('access-log writer', () => {
  it('writes every queued entry as its own row, across interleaved requests and with null provider and source', async () => {
    const borrower = s.borrowerIds[0]!;
    const other = s.borrowerIds[1]!;
    const consent = (await s.db.sql.query<{ id: string }>(`SELECT "id" FROM "Consent" LIMIT 1`))[0]!.id;
    const at = new Date('2026-12-05T01:02:03.456Z');
    const later = new Date('2026-12-05T01:02:03.457Z');
    const e = (requestId: string, borrowerId: string, provider: 'CAIRIN' | 'FINFRA' | null, domain: 'LOANS' | 'IDENTITY', source: 'PROVIDER' | 'CACHE' | null, when = at) =>
      ({ clientId: 'writer-test', borrowerId, kind: provider ? ('PROVIDER_READ' as const) : ('API_READ' as const), provider, domain, purpose: 'TEST', consentId: consent, requestId, at: when, source });
    const entries = [
      e('w-1', borrower, 'CAIRIN', 'LOANS', 'CACHE'),
      e('w-1', borrower, 'FINFRA', 'LOANS', 'PROVIDER'),
      e('w-1', borrower, 'FINFRA', 'IDENTITY', null),
      e('w-2', borrower, 'CAIRIN', 'LOANS', 'CACHE'),
      e('w-1', borrower, 'CAIRIN', 'IDENTITY', 'CACHE'),
      e('w-1', other, 'CAIRIN', 'LOANS', 'PROVIDER'),
      e('w-1', borrower, null, 'LOANS', null),
      e('w-1', borrower, null, 'IDENTITY', null),
      e('w-1', borrower, 'CAIRIN', 'LOANS', 'CACHE', later),
    ];
    await s.app.core.accessLog.add(entries);
    await s.app.core.accessLog.flush();
    const rows = await s.db.sql.query<{ requestId: string; borrowerId: string; kind: string; provider: string | null; domain: string; source: string | null; consentId: string; at: Date }>(
      `SELECT "requestId", "borrowerId", kind, provider::text AS provider, domain::text AS domain, source, "consentId", at FROM "AccessLog" WHERE "clientId" = 'writer-test'`,
    );
    const key = (r: { requestId: string; borrowerId: string; kind: string; provider: string | null; domain: string; source: string | null; consentId: string; at: Date }) =>
      [r.requestId, r.borrowerId, r.kind, r.provider, r.domain, r.source, r.consentId, new Date(r.at).toISOString()].join('|');
    expect(rows.map(key).sort()).toEqual(entries.map(key).sort());
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('access-log backpressure', () => {
  it('holds responses back while the database is behind, and writes every entry once it catches up', async () => {
    // A writer whose responses wait whenever entries are queued (highWaterRows 0), until it is back to 5.
    const t = await startStack({ seed: 64, borrowers: 2, accessLogPolicy: { intervalMs: 10, maxRows: 5, highWaterRows: 0 } });
    const locker = new pg.Client({ connectionString: (t.db as { url?: string }).url! });
    await locker.connect();
    try {
      const view = (requestId: string) =>
        fetch(`${t.server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token()}`, 'x-request-id': requestId },
          body: JSON.stringify({ query: `query($id: ID!) { creditView(borrowerId: $id) { complete } }`, variables: { id: gid(t.borrowerIds[0]!) } }),
        }).then((r) => r.json() as Promise<any>);
      await view('bp-warm');
      await t.app.core.accessLog.flush();
      const dropped = await metric(t, 'satukredit_access_log_dropped_total');
      // The database cannot take access-log rows: the writer's INSERT waits on the lock.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "AccessLog" IN ACCESS EXCLUSIVE MODE');
      let answered = 0;
      const reads = [1, 2, 3, 4].map((i) => view(`bp-${i}`).then((r) => (answered++, r)));
      await until(() => t.app.core.accessLog.stats().waiting === 4, 'the four responses wait for the access-log writer');
      expect(answered).toBe(0);
      await locker.query('COMMIT');
      for (const r of await Promise.all(reads)) expect(r.data.creditView.complete).toBe(true);
      await t.app.core.accessLog.flush();
      const rows = await t.db.sql.query<{ requestId: string; n: string }>(`SELECT "requestId", count(*) AS n FROM "AccessLog" WHERE "requestId" LIKE 'bp-%' GROUP BY "requestId" ORDER BY "requestId"`);
      const warm = Number(rows.find((r) => r.requestId === 'bp-warm')!.n);
      expect(warm).toBeGreaterThan(5);
      expect(rows.map((r) => [r.requestId, Number(r.n)])).toEqual([1, 2, 3, 4].map((i) => [`bp-${i}`, warm]).concat([['bp-warm', warm]]));
      expect(await metric(t, 'satukredit_access_log_dropped_total')).toBe(dropped);
    } finally {
      await locker.end().catch(() => undefined);
      await t.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('writes the access-log entries still queued before it closes', async () => {
    // A batch interval no test outlives: entries stay queued until the shutdown writes them.
    const t = await startStack({ seed: 63, borrowers: 1, accessLogPolicy: { intervalMs: 3_600_000 } });
    try {
      const count = async () => Number((await t.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM "AccessLog" WHERE "requestId" = 'req-shutdown-1'`))[0]!.n);
      const res = await fetch(`${t.server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token()}`, 'x-request-id': 'req-shutdown-1' },
        body: JSON.stringify({ query: `query($id: ID!) { creditView(borrowerId: $id) { complete } }`, variables: { id: gid(t.borrowerIds[0]!) } }),
      });
      expect(((await res.json()) as any).data.creditView.complete).toBe(true);
      expect(await count()).toBe(0);
      await t.app.close();
      expect(await count()).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('stops accepting new connections but finishes requests in flight', async () => {
    const clock = new TestClock(TEST_START);
    const t = await startStack({ seed: 62, borrowers: 2, clock });
    clock.advance(1000); // whatever linking cached is 1 s old: maxAgeSeconds 0 below goes to the providers
    // Every provider request is held at the sandbox until the test lets it go: the query stays in flight for
    // as long as the test needs, instead of for a latency the machine may or may not outrun.
    const servers = [t.sandbox.cairin, t.sandbox.finfra, t.sandbox.dompetKilat];
    const releases = servers.map((srv) => srv.hold());
    const release = () => releases.forEach((r) => r());
    try {
      let finished = false;
      const inflight = t.gql(`query($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { complete } }`, { id: gid(t.borrowerIds[0]!) }).finally(() => void (finished = true));
      await until(() => servers.some((srv) => srv.held() > 0), 'the query waits on a provider');
      const closing = t.server.close();
      await until(() => !t.server.http.listening, 'the server stopped listening');
      const refused = await fetch(`${t.server.url}/healthz`).then(() => 'accepted', () => 'refused');
      expect(refused).toBe('refused');
      expect(finished).toBe(false); // it was still in flight when the server stopped accepting connections
      release();
      const done = await inflight;
      await closing;
      expect(done.status).toBe(200);
      expect(done.data.creditView.complete).toBe(true);
    } finally {
      release();
      await t.close();
    }
  });
});
