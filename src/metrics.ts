/**
 * Prometheus metrics (prom-client), served at /metrics. Labels carry
 * operation names, providers, endpoint templates, codes and outcomes only:
 * never ids or personal data. Operation names come from clients, so the
 * `operation` label takes a bounded set of them (`operationLabel`).
 */
import client from 'prom-client';
import type { ProviderCallRecord } from './providers/http';

/** The registry /metrics serves (process metrics included). */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'satukredit_' });

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Most distinct operation names the `operation` label takes (first seen, first kept); later ones count as `other`. */
export const MAX_OPERATION_LABELS = 100;
/** Longest operation name kept as a label; longer ones count as `other`. */
const MAX_OPERATION_NAME = 100;
const operationNames = new Set<string>();

/**
 * The `operation` label of a GraphQL operation: `anonymous` without a name (unnamed, or the document did not
 * parse or validate), the name itself while it is one of the first MAX_OPERATION_LABELS distinct names seen
 * by this process, `other` for any further name.
 */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_LABELS || name.length > MAX_OPERATION_NAME) return 'other';
  operationNames.add(name);
  return name;
}

export const graphqlRequests = new client.Counter({
  name: 'satukredit_graphql_requests_total',
  help: 'GraphQL operations by operation name and outcome (success, partial, error).',
  labelNames: ['operation', 'outcome'] as const,
  registers: [registry],
});
export const graphqlDuration = new client.Histogram({
  name: 'satukredit_graphql_request_duration_seconds',
  help: 'GraphQL operation latency by operation name.',
  labelNames: ['operation'] as const,
  buckets: seconds,
  registers: [registry],
});
export const providerCalls = new client.Counter({
  name: 'satukredit_provider_calls_total',
  help: 'Provider HTTP calls by provider, endpoint template and status (0: no answer).',
  labelNames: ['provider', 'endpoint', 'status'] as const,
  registers: [registry],
});
export const providerDuration = new client.Histogram({
  name: 'satukredit_provider_call_duration_seconds',
  help: 'Provider call latency by provider and endpoint template.',
  labelNames: ['provider', 'endpoint'] as const,
  buckets: seconds,
  registers: [registry],
});
export const cacheLookups = new client.Counter({
  name: 'satukredit_cache_lookups_total',
  help: 'Provider-data cache lookups by provider and result (hit, miss).',
  labelNames: ['provider', 'result'] as const,
  registers: [registry],
});
export const responseCacheLookups = new client.Counter({
  name: 'satukredit_response_cache_total',
  help: 'Read operations by how the response cache answered: hit (a stored answer), miss (computed, then stored when it could be), bypass (not cacheable, or the cache is off).',
  labelNames: ['result'] as const,
  registers: [registry],
});
export const webhookEvents = new client.Counter({
  name: 'satukredit_webhook_events_total',
  help: 'Webhook deliveries by source, kind and outcome (accepted, duplicate, rejected).',
  labelNames: ['source', 'kind', 'outcome'] as const,
  registers: [registry],
});
export const consentDenials = new client.Counter({
  name: 'satukredit_consent_denials_total',
  help: 'Reads refused by the consent guard, by domain and code.',
  labelNames: ['domain', 'code'] as const,
  registers: [registry],
});

/** Records one provider call (pass as the connectors' onCall). */
export function recordProviderCall(c: ProviderCallRecord): void {
  providerCalls.inc({ provider: c.provider, endpoint: c.endpoint, status: String(c.status) });
  providerDuration.observe({ provider: c.provider, endpoint: c.endpoint }, c.durationMs / 1000);
}

/** Stored webhook events dead-lettered after their last try (replayable by an operator). */
export const accessLogDropped = new client.Counter({
  name: 'satukredit_access_log_dropped_total',
  help: 'Access-log entries dropped because the queue of entries waiting for the database was full',
  registers: [registry],
});

/** Responses held back until the access-log writer caught up (more than `highWaterRows` entries were queued). */
export const accessLogBackpressure = new client.Counter({
  name: 'satukredit_access_log_backpressure_total',
  help: 'Responses that waited for the access-log writer because more entries were queued than the database had written',
  registers: [registry],
});

/** Client webhook attempts (src/core/client-webhooks.ts) by outcome: delivered (2xx), failed (another status or no connection; retried), timed_out (retried), dead (the last attempt within 24 h failed). */
export const clientWebhookDeliveries = new client.Counter({
  name: 'satukredit_client_webhook_deliveries_total',
  help: 'Client webhook delivery attempts by outcome (delivered, failed, timed_out, dead)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
export const webhookDeadLetters = new client.Counter({
  name: 'satukredit_webhook_dead_letters_total',
  help: 'Stored webhook events dead-lettered after their last application try, by source',
  labelNames: ['source'] as const,
  registers: [registry],
});

/** Heavy GraphQL operations of this process executing and waiting for admission (src/graphql/admission.ts). */
export const heavyOperations = new client.Gauge({
  name: 'satukredit_graphql_heavy_operations',
  help: 'Heavy GraphQL operations (estimated work at or over GRAPHQL_HEAVY_WORK) of this process, by state: running or waiting for admission',
  labelNames: ['state'] as const,
  registers: [registry],
});

/** Stored webhook events not applied yet and not dead (measured when /metrics is scraped). */
export const webhookBacklog = new client.Gauge({
  name: 'satukredit_webhook_events_backlog',
  help: 'Stored webhook events waiting to be applied (not dead-lettered), across all instances',
  registers: [registry],
});

/** Counts unmatched money by kind (the newest Core's report: one per process outside tests). */
let unmatchedCounts: (() => Promise<Record<string, number>>) | null = null;

/** Sets where `satukredit_unmatched_money` reads its counts (`Core` does at construction). */
export function unmatchedMoneySource(fn: () => Promise<Record<string, number>>): void {
  unmatchedCounts = fn;
}

export const unmatchedMoney = new client.Gauge({
  name: 'satukredit_unmatched_money',
  help: 'Money that arrived against nothing we know, by kind (UNKNOWN_LOAN, UNKNOWN_REFERENCE, AMOUNT_MISMATCH): the database-wide count, read at each scrape (the operators query unmatchedMoney lists them).',
  labelNames: ['kind'] as const,
  registers: [registry],
  async collect() {
    if (!unmatchedCounts) return;
    try {
      for (const [kind, n] of Object.entries(await unmatchedCounts())) this.set({ kind }, n);
    } catch {
      // The database is down: the last counts stay (the readiness probe reports the outage).
    }
  },
});
