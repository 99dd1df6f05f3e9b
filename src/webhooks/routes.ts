/**
 * Webhook routes under /webhooks: every provider's and bank's callback routes
 * from the provider registry. Each request is verified and validated by its
 * route (4xx with a reason otherwise, logged without personal data), stored
 * under its idempotency key before it is acknowledged (503 when it could not be
 * stored, so the sender retries), then applied to the ledger by the core.
 */
import type http from 'node:http';
import type { EventApplier } from '../core/events.service';
import type { Logger } from '../logger';
import { webhookEvents } from '../metrics';
import type { CallbackReply, Clock, WebhookSettings } from '../providers/connector';
import { callbackRoutes } from '../providers/registry';

/** What the webhook routes need. */
export interface WebhookDeps {
  settings: WebhookSettings;
  events: EventApplier;
  clock: Clock;
  /** The request id the logs carry (returned when the event could not be stored). */
  requestId: string;
  /** The caller's IP: the socket peer, or the client X-Forwarded-For names behind trusted proxies (TRUST_PROXY). */
  ip: string;
}

/** When a sender should retry an event that could not be stored (`Retry-After` of the 503), seconds. */
const STORE_RETRY_AFTER_SECONDS = 5;

function json(res: http.ServerResponse, r: CallbackReply, headers: Record<string, string> = {}): void {
  res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(r.body));
}

/**
 * Handles a POST under /webhooks.
 * @returns false when the path is not a webhook route (the caller answers 404).
 */
export async function handleWebhook(req: http.IncomingMessage, res: http.ServerResponse, path: string, raw: string, deps: WebhookDeps, log: Logger): Promise<boolean> {
  if (req.method !== 'POST') return false;
  for (const route of callbackRoutes()) {
    const kind = route.match(path);
    if (kind === null) continue;
    const out = route.handle({ method: req.method, path, headers: req.headers, ip: deps.ip, raw, now: deps.clock.now() }, deps.settings);
    if ('reject' in out) {
      log.warn({ source: route.source, kind, reason: out.reason }, 'webhook rejected');
      webhookEvents.inc({ source: route.source, kind, outcome: 'rejected' });
      json(res, out.reject);
      return true;
    }
    let stored;
    try {
      stored = await deps.events.store(out.event);
    } catch (e) {
      // Never acknowledged: the sender keeps the event and retries (the database down or restarting, or any other failure).
      log.error({ source: route.source, kind, err: (e as Error).message }, 'webhook could not be stored');
      json(res, { status: 503, body: { error: 'the event could not be stored; retry', requestId: deps.requestId } }, { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) });
      return true;
    }
    const conflict = stored.duplicate ? out.conflict?.(stored.storedPayload) : undefined;
    if (conflict) {
      log.warn({ source: route.source, kind, reason: 'idempotency key reused for another payload' }, 'webhook rejected');
      webhookEvents.inc({ source: route.source, kind, outcome: 'rejected' });
      json(res, conflict);
      return true;
    }
    webhookEvents.inc({ source: route.source, kind, outcome: stored.duplicate ? 'duplicate' : 'accepted' });
    json(res, out.accepted(stored.duplicate));
    return true;
  }
  return false;
}
