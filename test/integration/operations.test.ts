/** Health, readiness, metrics, structured logs and graceful shutdown, over real HTTP. */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app';
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

describe('graceful shutdown', () => {
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
