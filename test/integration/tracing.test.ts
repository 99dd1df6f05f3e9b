/**
 * Traces for operators (src/tracing.ts): which OTEL_* settings turn tracing on, nothing exported while it is off,
 * and, while on, the spans an OTLP/HTTP collector receives (here a tiny receiver speaking the http/json protocol):
 * one per GraphQL operation with its request id, its provider calls as its children, one per webhook application.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, toGlobalId, tracingSettings } from '../../src/app';
import { TEST_START, TestClock, until } from '../support/clock';
import { startStack, type Stack } from '../support/stack';

/** A span as received, attributes flattened to plain values. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

type OtlpAttribute = { key: string; value: Record<string, unknown> };
const flatten = (attrs: OtlpAttribute[] = []) =>
  Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue ?? a.value.boolValue ?? a.value.doubleValue ?? (a.value.intValue === undefined ? undefined : Number(a.value.intValue))]));

/** A minimal OTLP/HTTP traces receiver (JSON protocol): POST /v1/traces. */
async function startReceiver() {
  const spans: ReceivedSpan[] = [];
  const received = { requests: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { spans: (Omit<ReceivedSpan, 'attributes' | 'resource'> & { attributes?: OtlpAttribute[] })[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        const resource = flatten(rs.resource?.attributes);
        for (const ss of rs.scopeSpans) for (const sp of ss.spans) spans.push({ ...sp, parentSpanId: sp.parentSpanId || undefined, attributes: flatten(sp.attributes), resource });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const VIEW = `query TracedCreditView($id: ID!) { creditView(borrowerId: $id, maxAgeSeconds: 0) { complete providers { provider health } loans { providerLoanId } } }`;

/** Runs the credit view of a borrower linked at Finfra (read live), with our own request id; then a Finfra loan event, applied. */
async function readAndNotify(s: Stack, clock: TestClock, requestId: string) {
  const u = s.sandbox.dataset.finfra.find((x) => x.loans.some((l) => l.status === 'DISBURSED'));
  if (!u) throw new Error('no Finfra borrower with a disbursed loan in this dataset');
  const i = s.requests.findIndex((r) => r.finfraUserId === u.userId);
  clock.advance(1000); // what linking cached is now 1 s old: maxAgeSeconds 0 reads live
  const callsBefore = s.calls.length;
  const res = await fetch(`${s.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token()}`, 'x-request-id': requestId },
    body: JSON.stringify({ query: VIEW, operationName: 'TracedCreditView', variables: { id: toGlobalId('Borrower', s.borrowerIds[i]!) } }),
  });
  const body = (await res.json()) as { data?: { creditView: { complete: boolean } }; errors?: unknown[] };
  expect([res.status, body.errors, body.data?.creditView.complete]).toEqual([200, undefined, true]);
  const providerCalls = s.calls.slice(callsBefore);
  expect(providerCalls.length).toBeGreaterThan(0);
  const loan = u.loans.find((l) => l.status === 'DISBURSED')!;
  const ack = await s.sender.finfra('users', 'loan', 'REPAID', { loanUniqueId: loan.loanUniqueId, status: 'REPAID' });
  expect(ack.status).toBe(200);
  await s.applier.idle();
  const event = await s.db.prisma.webhookEvent.findFirstOrThrow({ where: { source: 'FINFRA' }, orderBy: { receivedAt: 'desc' } });
  expect(event.appliedAt).not.toBeNull();
  return { providerCalls, eventId: event.id, niks: s.requests.map((r) => r.nik), finfraUserId: u.userId };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

describe('the OTEL_* rule', () => {
  it('follows the OTEL_* rule: on with OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint, off by default, with none or OTEL_SDK_DISABLED', () => {
    const settings = (env: Record<string, string>) => tracingSettings(loadConfig(env));
    expect(settings({})).toBeNull();
    expect(settings({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeNull();
    expect(settings({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ endpoint: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', serviceName: 'satukredit', sampler: 'parentbased_always_on', ratio: 1 });
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })?.endpoint).toBe('http://collector:4318/v1/traces');
    expect(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/otlp' })?.endpoint).toBe('http://traces:9999/otlp');
    expect(settings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })?.protocol).toBe('http/json');
    expect(settings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toMatchObject({ sampler: 'parentbased_traceidratio', ratio: 0.25 });
    expect(settings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces' })).toBeNull();
    expect(settings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
  });
});

describe('tracing off', () => {
  const clock = new TestClock(TEST_START);
  let s: Stack;
  beforeAll(async () => {
    // An endpoint is configured, but OTEL_TRACES_EXPORTER=none wins: nothing may reach it.
    s = await startStack({ seed: 11, borrowers: 6, clock, env: { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver?.url}/v1/traces`, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('exports nothing: a query with provider calls and a webhook, flushed, leave the receiver untouched', async () => {
    expect(s.app.tracing.enabled).toBe(false);
    await readAndNotify(s, clock, 'untraced-request-1');
    await s.app.tracing.flush();
    expect(receiver.received.requests).toBe(0);
  });
});

describe('tracing on (OTLP/HTTP, JSON)', () => {
  const clock = new TestClock(TEST_START);
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      seed: 11,
      borrowers: 6,
      clock,
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver?.url}/v1/traces`, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'satukredit-test' },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('exports the operation span with its request id, its provider calls as children, and the webhook application', async () => {
    expect(s.app.tracing.enabled).toBe(true);
    const { providerCalls, eventId, niks, finfraUserId } = await readAndNotify(s, clock, 'traced-request-1');
    await s.app.tracing.flush();

    const op = await until(() => receiver.spans.find((x) => x.attributes['satukredit.request_id'] === 'traced-request-1'), 'the operation span is received');
    expect(op).toMatchObject({
      name: 'graphql TracedCreditView',
      kind: 2, // SERVER
      attributes: { 'graphql.operation.name': 'TracedCreditView', 'graphql.operation.type': 'query', 'satukredit.client_id': 'test-client', 'http.response.status_code': 200 },
      resource: { 'service.name': 'satukredit-test' },
    });
    expect(op.parentSpanId).toBeUndefined();

    // Every provider call the query made is a child of its span, named and described by its endpoint template.
    const children = receiver.spans.filter((x) => x.parentSpanId === op.spanId);
    expect(children.length).toBe(providerCalls.length);
    for (const c of children) {
      expect(c.traceId).toBe(op.traceId);
      expect(c.kind).toBe(3); // CLIENT
      expect(c.name).toBe(`${c.attributes['satukredit.provider']} ${c.attributes['satukredit.provider.endpoint']}`);
      expect(c.attributes['satukredit.provider.endpoint']).toMatch(/^(GET|POST|PUT) \/\S*$/);
      expect(c.attributes['http.response.status_code']).toBe(200);
    }
    expect(children.map((c) => `${c.attributes['satukredit.provider']} ${c.attributes['satukredit.provider.endpoint']}`).sort()).toEqual(providerCalls.map((c) => `${c.provider} ${c.endpoint}`).sort());
    expect(children.some((c) => c.attributes['satukredit.provider'] === 'FINFRA')).toBe(true);

    // The webhook's application: a trace of its own.
    const apply = await until(() => receiver.spans.find((x) => x.name === 'webhook.apply' && x.attributes['satukredit.event.id'] === eventId), 'the webhook.apply span is received');
    expect(apply.attributes).toMatchObject({ 'satukredit.event.source': 'FINFRA', 'satukredit.event.outcome': 'APPLIED' });
    expect(typeof apply.attributes['satukredit.event.kind']).toBe('string');
    expect(apply.parentSpanId).toBeUndefined();

    // No span carries a NIK, a provider user id or a URL.
    const values = receiver.spans.flatMap((x) => [x.name, ...Object.values(x.attributes).map(String)]);
    for (const v of values) {
      for (const nik of niks) expect(v).not.toContain(nik);
      expect(v).not.toContain(finfraUserId);
      expect(v).not.toMatch(/https?:\/\//);
    }
  });
});
