/**
 * Client webhooks (issue 13.9): an API client registers HTTPS endpoints and Satu Kredit POSTs it
 * `LOAN_UPDATED`, `PAYMENT_SETTLED` and `CONSENT_STATUS_CHANGED` events about the borrowers who consented to it.
 *
 * Outbox. Events are rows of `WebhookDelivery` (one per event and endpoint), written in the same transaction as
 * the change they announce: the event applier's ledger transaction (`enqueueLedger`, src/core/events.service.ts)
 * and the consent change's transaction (`enqueueConsent`, src/core/consent.service.ts and the consent flow). A
 * change that commits has its deliveries; one that rolls back has none; nothing is lost when the process dies
 * after the commit. Event ids are derived from what the event announces (a re-applied webhook event, or a
 * second settlement of the same repayment, yields the same id and inserts nothing: `(eventId, endpointId)` is unique).
 *
 * Delivery. Every instance runs the worker (`start`/`stop` with the app): it claims due rows with a lease
 * (`SELECT ... FOR UPDATE SKIP LOCKED`, like the event applier), POSTs each with a timeout, and records the attempt
 * (`WebhookDeliveryAttempt`) and the outcome: a 2xx is delivered; anything else is retried with exponential backoff
 * (10 s x 2^(n-1), +-20% jitter, at most 1 h) until 24 h after the event (`retryUntil`), then the row is dead.
 * Due times come from the application's clock (a TestClock in tests); leases from database time. An instance
 * whose lease lapses mid-attempt may see the row attempted again by another: delivery is at least once.
 *
 * Signing (the Stripe scheme): header `Satu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 * the secret being the endpoint's `whsec_...` string as shown once at creation (stored AES-256-GCM encrypted).
 * `verifySatuSignature` is what a receiver runs (re-exported from src/app.ts).
 */
import { lookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, type Dispatcher, request } from 'undici';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { LedgerEvent } from '../domain/events';
import { encodeGlobalId, isUuid } from '../domain/ids';
import type { ProviderCode } from '../domain/types';
import type { PrismaClient, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint } from '../generated/prisma/client';
import type { Logger } from '../logger';
import { clientWebhookDeliveries } from '../metrics';
import type { Clock } from '../providers/connector';
import { keysetPage, type Page, type PageWindow } from './paging';
import { PollLoop } from './poll-loop';
import type { SqlStore } from '../store/database';
import type { SqlExecutor } from '../store/migrate';

/** The event types a client can subscribe an endpoint to. */
export const CLIENT_WEBHOOK_EVENT_TYPES = ['LOAN_UPDATED', 'PAYMENT_SETTLED', 'CONSENT_STATUS_CHANGED'] as const;
export type ClientWebhookEventType = (typeof CLIENT_WEBHOOK_EVENT_TYPES)[number];

/** A delivery's state: PENDING (an attempt is due or retrying), DELIVERED (a 2xx), DEAD (24 h without one), CANCELLED (endpoint deleted). */
export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'DEAD' | 'CANCELLED';

/** How deliveries are attempted. */
export interface DeliveryPolicy {
  /** How long one POST may take, ms (WEBHOOK_DELIVERY_TIMEOUT_MS, 10000); longer is TIMED_OUT. */
  readonly timeoutMs: number;
  /** How often an idle instance looks for due deliveries, ms (1000). */
  readonly pollMs: number;
  /** Deliveries claimed at once (32), and POSTed at once (8). */
  readonly batch: number;
  readonly concurrency: number;
  /** First backoff, seconds (10), doubled per failed attempt up to `maxBackoffSeconds` (3600), with +-20% jitter. */
  readonly backoffSeconds: number;
  readonly maxBackoffSeconds: number;
  /** How long failed attempts are retried, seconds (86400). */
  readonly retryWindowSeconds: number;
  /**
   * Whether endpoint URLs must be https (production); otherwise http to 127.0.0.1, localhost and [::1] is allowed too.
   * With it, a delivery connects only to a public address (`publicOnlyDispatcher`).
   */
  readonly httpsOnly: boolean;
  /** The name resolver of production deliveries (`publicOnlyDispatcher`); `dns.lookup` when unset (tests give their own). */
  readonly resolve?: ResolveAll;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { timeoutMs: 10_000, pollMs: 1000, batch: 32, concurrency: 8, backoffSeconds: 10, maxBackoffSeconds: 3600, retryWindowSeconds: 86_400, httpsOnly: true };

/** Most endpoints one client may have (not deleted). */
export const MAX_ENDPOINTS_PER_CLIENT = 16;

/** A business-rule failure of a webhook mutation (returned as `userErrors`). */
export class WebhookUserError extends Error {
  override readonly name = 'WebhookUserError';
  constructor(
    /** INVALID_URL, INVALID_EVENTS, TOO_MANY_ENDPOINTS, NOT_FOUND. */
    readonly code: string,
    message: string,
    readonly field: string[] = [],
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Signing

/** The value of `Satu-Signature` for `body` sent at unix second `t` with `secret` (the whole `whsec_...` string). */
export function satuSignature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * Verifies a `Satu-Signature` header as a receiver must: parses `t` and every `v1`, recomputes
 * HMAC-SHA256(secret, "<t>.<raw body>") and compares in constant time, and refuses a `t` further than
 * `toleranceSeconds` (300) from `now` (replays).
 * @param body the raw request body exactly as received (not re-serialized JSON).
 * @returns whether the signature is valid and fresh.
 */
export function verifySatuSignature(header: string | null | undefined, body: string | Buffer, secret: string, opts: { toleranceSeconds?: number; now?: Date } = {}): boolean {
  if (!header) return false;
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 't' && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) v1.push(v);
  }
  if (t === null || !v1.length) return false;
  const now = (opts.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return v1.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}

/** Encrypts endpoint secrets at rest with AES-256-GCM under a key given at start (WEBHOOK_SECRET_KEY, or derived from the JWT secret). */
export class SecretBox {
  private readonly key: Buffer;
  constructor(key: Buffer) {
    this.key = createHash('sha256').update(key).digest();
  }
  /** `v1:<iv>:<tag>:<ciphertext>` (base64url). */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1:${iv.toString('base64url')}:${c.getAuthTag().toString('base64url')}:${ct.toString('base64url')}`;
  }
  /** @throws Error when the text was not sealed with this key. */
  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split(':');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed webhook secret');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  }
}

/**
 * Addresses a production webhook may not reach (SSRF): loopback, private (RFC 1918, IPv6 ULA), link-local (the
 * cloud metadata address 169.254.169.254 included), carrier-grade NAT, "this network", multicast and reserved.
 */
const NON_PUBLIC = (() => {
  const b = new BlockList();
  for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) b.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [['::', 127], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) b.addSubnet(net, bits, 'ipv6');
  return b;
})();

/** Whether `address` (an IPv4 or IPv6 literal) is one a production webhook may not reach. */
export function nonPublicAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '');
  const family = isIP(a);
  if (family === 0) return false;
  if (family === 6 && /^::ffff:/i.test(a) && isIP(a.slice(7)) === 4) return NON_PUBLIC.check(a.slice(7), 'ipv4');
  return NON_PUBLIC.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/** A resolver as `dns.lookup` is called with `{ all: true }`: every address of a name. */
export type ResolveAll = (hostname: string, options: LookupOptions) => Promise<readonly LookupAddress[]>;

const resolveWithDns: ResolveAll = (hostname, options) => lookup(hostname, { ...options, all: true });

/**
 * The connection pool of production webhook deliveries: the socket connects only to an address it checked, the one
 * its own DNS lookup returned. A check before the request and a second lookup by the HTTP client (as deliveries
 * once did) left a gap: a name that changes its answer between the two (DNS rebinding) passed the check with a
 * public address and was then connected to a private one. A name with any non-public address is refused, so the
 * connection fails before anything is sent (the attempt is logged FAILED and retried like any other failure).
 * @param resolve the name resolver (tests give their own; default `dns.lookup`).
 */
export function publicOnlyDispatcher(resolve: ResolveAll = resolveWithDns): Dispatcher {
  return new Agent({ connect: { lookup: publicOnlyLookup(resolve) }, keepAliveTimeout: 4_000 });
}

/**
 * The `lookup` of `publicOnlyDispatcher`'s sockets (`net.connect`'s option): `resolve`'s addresses, or an error
 * (code ENONPUBLIC) when any of them is not public (`nonPublicAddress`).
 */
export function publicOnlyLookup(resolve: ResolveAll = resolveWithDns): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options).then(
      (addresses) => {
        const bad = addresses.find((a) => nonPublicAddress(a.address));
        if (bad) return callback(Object.assign(new Error(`${hostname} resolves to ${bad.address}, which is not a public address`), { code: 'ENONPUBLIC' }), '', 0);
        if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) return (callback as unknown as (e: null, a: readonly LookupAddress[]) => void)(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (e: NodeJS.ErrnoException) => callback(e, '', 0),
    );
  };
}

/**
 * Checks an endpoint URL: absolute https (or, when `httpsOnly` is false, http to 127.0.0.1, localhost or [::1]),
 * no user or password, no fragment, at most 2048 characters. With `httpsOnly` (production) the host may not be
 * `localhost` or a non-public address literal (`nonPublicAddress`); names are checked again at each delivery.
 * @throws WebhookUserError INVALID_URL saying why.
 */
export function checkEndpointUrl(raw: string, httpsOnly: boolean): string {
  const bad = (why: string) => new WebhookUserError('INVALID_URL', why, ['input', 'url']);
  if (raw.length > 2048) throw bad('url is longer than 2048 characters');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad('url is not an absolute URL');
  }
  if (u.username || u.password) throw bad('url must not carry a user or password');
  if (u.hash) throw bad('url must not have a fragment');
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (httpsOnly && (u.hostname === 'localhost' || u.hostname.endsWith('.localhost') || nonPublicAddress(u.hostname))) throw bad('url must name a public host');
  if (u.protocol === 'https:') return u.toString();
  if (u.protocol === 'http:' && loopback && !httpsOnly) return u.toString();
  throw bad(httpsOnly ? 'url must be https' : 'url must be https (or http to 127.0.0.1, localhost or [::1] outside production)');
}

// ---------------------------------------------------------------------------------------------------------------
// Outbox

/** A stored webhook event's ledger events (what the applier committed). */
export interface AppliedLedgerEvent {
  /** The stored provider/bank event (WebhookEvent id). */
  readonly eventId: string;
  /** Its ledger events, as written (a loan event names its loan; a settlement is traced to its repayment's loan). */
  readonly events: readonly LedgerEvent[];
}

/** One event to fan out to a loan's clients. */
interface LoanEventSpec {
  readonly key: string;
  readonly type: 'LOAN_UPDATED' | 'PAYMENT_SETTLED';
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
  /** LOANS for LOAN_UPDATED, REPAYMENTS for PAYMENT_SETTLED: the consent must cover it. */
  readonly domain: 'LOANS' | 'REPAYMENTS';
  readonly data: Record<string, unknown>;
}

/** The fields of a loan a ledger event changes, in the API's names. */
function changedFields(e: LedgerEvent): string[] {
  switch (e.type) {
    case 'REPAYMENT':
      return ['repayments', 'installments', 'outstanding'];
    case 'SETTLEMENT':
      return ['repayments', 'installments', 'outstanding', 'daysPastDue'];
    case 'LOAN_STATUS':
      return ['status'];
    case 'INSTALLMENT_STATE':
    case 'LOAN_NOTICE':
      return ['installments'];
    case 'DISBURSEMENT':
      return ['disbursements'];
    default:
      return [];
  }
}

/** A deterministic uuid (name-based, SHA-256) for what an event announces, so the same announcement is one event. */
function eventUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const FIELD_ORDER = ['status', 'outstanding', 'installments', 'repayments', 'disbursements', 'daysPastDue'];

/** Client webhooks: endpoints, the outbox, the delivery worker and its log. */
export class ClientWebhooks {
  /** This instance's lease holder name. */
  readonly instanceId = `webhooks-${randomUUID()}`;
  /** Attempts due deliveries: now, after a local commit that wrote some, and every `pollMs`. */
  private readonly loop: PollLoop;
  private readonly secrets = new Map<string, { sealed: string; secret: string }>();
  /** The connection pool of production deliveries, made on first use (`publicOnlyDispatcher`). */
  private dispatcher?: Dispatcher;

  constructor(
    private readonly prisma: PrismaClient,
    /** Where deliveries are claimed and recorded (the background connections). */
    private readonly work: SqlStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly box: SecretBox,
    readonly policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
  ) {
    this.loop = new PollLoop(() => this.runOnce(), policy.pollMs, (e) => this.log.error({ err: e.message }, 'client webhook pass failed'));
  }

  // ---- endpoints ----------------------------------------------------------------------------------------------

  /**
   * Registers an endpoint for `clientId`.
   * @returns the endpoint and its signing secret (`whsec_` + 43 base64url characters), which is never shown again.
   * @throws WebhookUserError INVALID_URL, INVALID_EVENTS (empty), TOO_MANY_ENDPOINTS (16 already).
   */
  async createEndpoint(clientId: string, url: string, events: readonly string[]): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const checked = checkEndpointUrl(url.trim(), this.policy.httpsOnly);
    const types = [...new Set(events)];
    if (!types.length || types.some((t) => !(CLIENT_WEBHOOK_EVENT_TYPES as readonly string[]).includes(t))) throw new WebhookUserError('INVALID_EVENTS', `events must name at least one of ${CLIENT_WEBHOOK_EVENT_TYPES.join(', ')}`, ['input', 'events']);
    const n = await this.prisma.webhookEndpoint.count({ where: { clientId, disabledAt: null } });
    if (n >= MAX_ENDPOINTS_PER_CLIENT) throw new WebhookUserError('TOO_MANY_ENDPOINTS', `at most ${MAX_ENDPOINTS_PER_CLIENT} endpoints per client; delete one first`, ['input', 'url']);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const endpoint = await this.prisma.webhookEndpoint.create({ data: { clientId, url: checked, events: types, secretCiphertext: this.box.seal(secret), createdAt: this.clock.now() } });
    return { endpoint, secret };
  }

  /** The client's endpoints (not deleted), oldest first. */
  endpoints(clientId: string): Promise<WebhookEndpoint[]> {
    return this.prisma.webhookEndpoint.findMany({ where: { clientId, disabledAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** One of the client's endpoints (deleted ones included: their log stays readable), or null. */
  endpoint(clientId: string, id: string): Promise<WebhookEndpoint | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.prisma.webhookEndpoint.findFirst({ where: { id, clientId } });
  }

  /**
   * Deletes one of the client's endpoints: nothing more is sent to it, its pending deliveries are cancelled, its log stays.
   * @throws WebhookUserError NOT_FOUND when it is not the client's or already deleted.
   */
  async deleteEndpoint(clientId: string, id: string): Promise<WebhookEndpoint> {
    const at = this.clock.now();
    const done = await this.prisma.$transaction(async (tx) => {
      const n = await tx.webhookEndpoint.updateMany({ where: { id: isUuid(id) ? id : '00000000-0000-0000-0000-000000000000', clientId, disabledAt: null }, data: { disabledAt: at } });
      if (n.count !== 1) return null;
      await tx.webhookDelivery.updateMany({ where: { endpointId: id, nextAttemptAt: { not: null } }, data: { nextAttemptAt: null } });
      return tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    });
    if (!done) throw new WebhookUserError('NOT_FOUND', 'no such webhook endpoint', ['id']);
    return done;
  }

  // ---- the delivery log ----------------------------------------------------------------------------------------

  /**
   * A page of the deliveries to one of the client's endpoints, newest first (key: createdAt, sequence, id), each
   * with its attempts (oldest first).
   * @returns null when the endpoint is not the client's.
   */
  async deliveries(clientId: string, endpointId: string, window: PageWindow): Promise<Page<WebhookDelivery & { attemptLog: WebhookDeliveryAttempt[] }> | null> {
    if (!(await this.endpoint(clientId, endpointId))) return null;
    type Row = WebhookDelivery & { attemptLog: WebhookDeliveryAttempt[] };
    return keysetPage<Row>(
      {
        where: { endpointId, clientId },
        fields: ['createdAt', 'sequence', 'id'],
        order: 'desc',
        keyOf: (r) => [r.createdAt, r.sequence, r.id],
        findMany: (args) =>
          this.prisma.webhookDelivery.findMany({
            ...(args as Parameters<PrismaClient['webhookDelivery']['findMany']>[0] & object),
            include: { attemptLog: { orderBy: { number: 'asc' } } },
          }),
        count: (args) => this.prisma.webhookDelivery.count(args as Parameters<PrismaClient['webhookDelivery']['count']>[0]),
      },
      window,
    );
  }

  /**
   * Sends one of the client's deliveries again now (a new attempt with a new log entry, marked `redelivery`),
   * whatever its state; if that attempt fails it is retried with backoff for another 24 h.
   * @throws WebhookUserError NOT_FOUND when it is not the client's; ENDPOINT_DELETED when its endpoint was deleted.
   */
  async redeliver(clientId: string, id: string): Promise<WebhookDelivery> {
    const d = isUuid(id) ? await this.prisma.webhookDelivery.findFirst({ where: { id, clientId }, include: { endpoint: true } }) : null;
    if (!d) throw new WebhookUserError('NOT_FOUND', 'no such webhook delivery', ['id']);
    if (d.endpoint.disabledAt) throw new WebhookUserError('ENDPOINT_DELETED', 'its endpoint was deleted', ['id']);
    const now = this.clock.now();
    await this.work.query(
      `UPDATE "WebhookDelivery" SET "nextAttemptAt" = $2, "retryUntil" = $3, "deadAt" = NULL, "redeliveryRequested" = true WHERE "id" = $1::uuid`,
      [id, now, new Date(now.getTime() + this.policy.retryWindowSeconds * 1000)],
    );
    this.wake();
    return this.prisma.webhookDelivery.findUniqueOrThrow({ where: { id }, include: { attemptLog: { orderBy: { number: 'asc' } } } });
  }

  // ---- the outbox ----------------------------------------------------------------------------------------------

  /**
   * Writes the deliveries announcing what a group of applied provider/bank events changed, inside the applier's
   * transaction (after `writeLedger`): per event and touched loan a `LOAN_UPDATED` with the changed fields; per
   * settlement that cleared a repayment we can name (from the ledger, or the repayments cached from a read) a
   * `PAYMENT_SETTLED` and a `LOAN_UPDATED`. Recipients: every endpoint subscribed to the type whose client holds an
   * ACTIVE consent, in force at `at`, from the loan's borrower covering its provider and LOANS (REPAYMENTS for
   * PAYMENT_SETTLED). The borrower is found from the loan lists cached under any consent.
   * @returns how many deliveries were written.
   */
  async enqueueLedger(tx: SqlExecutor, applied: readonly AppliedLedgerEvent[], at: Date): Promise<number> {
    const specs: LoanEventSpec[] = [];
    for (const a of applied) {
      const fields = new Map<string, Set<string>>();
      for (const e of a.events) {
        if (e.type === 'SETTLEMENT' || e.type === 'CREDIT_SCORE') continue;
        const k = `${e.provider}\u0000${e.providerLoanId}`;
        if (!fields.has(k)) fields.set(k, new Set());
        for (const f of changedFields(e)) fields.get(k)!.add(f);
      }
      for (const e of a.events) {
        if (e.type !== 'SETTLEMENT') continue;
        const rep = await this.settledRepayment(tx, e.reference, e.amount);
        if (!rep) continue;
        const k = `${rep.provider}\u0000${rep.providerLoanId}`;
        if (!fields.has(k)) fields.set(k, new Set());
        for (const f of changedFields(e)) fields.get(k)!.add(f);
        specs.push({
          key: eventUuid('PAYMENT_SETTLED', rep.provider, rep.repaymentId),
          type: 'PAYMENT_SETTLED',
          provider: rep.provider,
          providerLoanId: rep.providerLoanId,
          domain: 'REPAYMENTS',
          data: { transactionId: rep.repaymentId, amount: { amount: e.amount.toString(), currency: 'IDR' }, settledAt: e.settledAt.toISOString() },
        });
      }
      for (const [k, f] of fields) {
        const [provider, providerLoanId] = k.split('\u0000') as [ProviderCode, string];
        const changes = FIELD_ORDER.filter((x) => f.has(x));
        if (!changes.length) continue;
        specs.push({ key: eventUuid('LOAN_UPDATED', a.eventId, k), type: 'LOAN_UPDATED', provider, providerLoanId, domain: 'LOANS', data: { changes } });
      }
    }
    if (!specs.length) return 0;
    // Who receives what: the loan's account (from cached loan lists), its borrower's consents, their clients' endpoints.
    const rcpt = await tx.query<{ i: number; endpointId: string; clientId: string; accountId: string }>(
      `SELECT DISTINCT t.i, e."id" AS "endpointId", e."clientId", a."id" AS "accountId"
       FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::text[], $5::int[]) AS t(provider, doc, type, domain, i)
       JOIN "ProviderSnapshot" s ON (s."payload" @> jsonb_build_object('loans', t.doc) OR s."payload" @> t.doc) AND s."domain" = 'LOANS'
       JOIN "ProviderAccount" a ON a."id" = s."accountId" AND a."provider"::text = t.provider
       JOIN "Consent" c ON c."borrowerId" = a."borrowerId" AND c."status" = 'ACTIVE' AND a."provider" = ANY(c."providers")
         AND t.domain::"ConsentDomain" = ANY(c."domains") AND c."startsAt" <= $6 AND c."expiresAt" > $6
       JOIN "WebhookEndpoint" e ON e."clientId" = c."clientId" AND e."disabledAt" IS NULL AND t.type = ANY(e."events")
       ORDER BY t.i`,
      [specs.map((s) => s.provider), specs.map((s) => JSON.stringify([{ providerLoanId: s.providerLoanId }])), specs.map((s) => s.type), specs.map((s) => s.domain), specs.map((_, i) => i), at],
    );
    if (!rcpt.length) return 0;
    const used = [...new Set(rcpt.map((r) => r.i))].sort((a, b) => a - b);
    const seq = await this.sequences(tx, used.length);
    const seqOf = new Map(used.map((i, n) => [i, seq[n]!]));
    const rows = rcpt.map((r) => {
      const s = specs[r.i]!;
      const loanId = encodeGlobalId('Loan', r.accountId, s.providerLoanId);
      const eventId = eventUuid(s.key, r.clientId);
      const sequence = seqOf.get(r.i)!;
      const payload = { id: eventId, type: s.type, occurredAt: at.toISOString(), data: { loanId, ...s.data, sequence } };
      return { eventId, endpointId: r.endpointId, clientId: r.clientId, type: s.type, resource: `Loan:${loanId}`, sequence, payload };
    });
    return this.insert(tx, rows, at);
  }

  /**
   * Writes the `CONSENT_STATUS_CHANGED` deliveries of one consent change, inside the transaction that changes it
   * (a Prisma interactive transaction): one per endpoint of the consent's own client subscribed to the type.
   * @param type the consent event's type (APPROVED, REJECTED, PAUSED, RESUMED, REVOKED, EXPIRED, CLIENT_ERASED, BORROWER_ERASED).
   */
  async enqueueConsent(tx: Pick<PrismaClient, '$queryRawUnsafe'>, c: { id: string; clientId: string; borrowerId: string | null; status: string }, type: string, at: Date): Promise<number> {
    const eventId = randomUUID();
    const data = { consentId: c.id, borrowerId: c.borrowerId ? encodeGlobalId('Borrower', c.borrowerId) : null, status: c.status, change: type, at: at.toISOString() };
    const payload = { id: eventId, type: 'CONSENT_STATUS_CHANGED', occurredAt: at.toISOString(), data };
    const rows = await tx.$queryRawUnsafe<{ n: number }[]>(
      `WITH e AS (SELECT "id", "clientId" FROM "WebhookEndpoint" WHERE "clientId" = $1 AND "disabledAt" IS NULL AND 'CONSENT_STATUS_CHANGED' = ANY("events")),
            s AS (SELECT nextval('"WebhookEventSequence"') AS seq WHERE EXISTS (SELECT 1 FROM e)),
            ins AS (
              INSERT INTO "WebhookDelivery" ("id", "eventId", "endpointId", "clientId", "type", "resource", "sequence", "payload", "occurredAt", "createdAt", "nextAttemptAt", "retryUntil")
              SELECT gen_random_uuid(), $2::uuid, e."id", e."clientId", 'CONSENT_STATUS_CHANGED', $3, s.seq, jsonb_set($4::jsonb, '{data,sequence}', to_jsonb(s.seq)), $5, $5, $5, $6
              FROM e CROSS JOIN s RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      c.clientId,
      eventId,
      `Consent:${c.id}`,
      JSON.stringify(payload),
      at,
      new Date(at.getTime() + this.policy.retryWindowSeconds * 1000),
    );
    return rows[0]?.n ?? 0;
  }

  /** Called after a transaction that wrote deliveries committed: this instance attempts them at once (the others on their next poll). */
  committed(n: number): void {
    if (n > 0) this.wake();
  }

  /** `n` numbers from "WebhookEventSequence", ascending. */
  private async sequences(tx: SqlExecutor, n: number): Promise<number[]> {
    const r = await tx.query<{ v: string }>(`SELECT nextval('"WebhookEventSequence"')::text AS v FROM generate_series(1, $1::int)`, [n]);
    return r.map((x) => Number(x.v)).sort((a, b) => a - b);
  }

  private async insert(tx: SqlExecutor, rows: { eventId: string; endpointId: string; clientId: string; type: string; resource: string; sequence: number; payload: object }[], at: Date): Promise<number> {
    const r = await tx.query<{ id: string }>(
      `INSERT INTO "WebhookDelivery" ("id", "eventId", "endpointId", "clientId", "type", "resource", "sequence", "payload", "occurredAt", "createdAt", "nextAttemptAt", "retryUntil")
       SELECT gen_random_uuid(), t."eventId", t."endpointId", t."clientId", t.type, t.resource, t.seq, t.payload, $8, $8, $8, $9
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::jsonb[]) AS t("eventId", "endpointId", "clientId", type, resource, seq, payload)
       ON CONFLICT ("eventId", "endpointId") DO NOTHING RETURNING "id"`,
      [
        rows.map((x) => x.eventId),
        rows.map((x) => x.endpointId),
        rows.map((x) => x.clientId),
        rows.map((x) => x.type),
        rows.map((x) => x.resource),
        rows.map((x) => String(x.sequence)),
        rows.map((x) => JSON.stringify(x.payload)),
        at,
        new Date(at.getTime() + this.policy.retryWindowSeconds * 1000),
      ],
    );
    return r.length;
  }

  /** The repayment a settlement (reference, amount) cleared: from the ledger, else from repayments cached from a read. */
  private async settledRepayment(tx: SqlExecutor, reference: string, amount: bigint): Promise<{ provider: ProviderCode; providerLoanId: string; repaymentId: string } | null> {
    const [l] = await tx.query<{ provider: ProviderCode; providerLoanId: string; externalId: string }>(
      `SELECT "provider"::text AS "provider", "providerLoanId", "externalId" FROM "LedgerRepayment" WHERE "externalId" = $1 AND "amount" = $2::bigint LIMIT 1`,
      [reference, amount.toString()],
    );
    if (l) return { provider: l.provider, providerLoanId: l.providerLoanId, repaymentId: l.externalId };
    const [c] = await tx.query<{ provider: ProviderCode; providerLoanId: string }>(
      `SELECT a."provider"::text AS "provider", r->>'providerLoanId' AS "providerLoanId"
       FROM "ProviderSnapshot" s JOIN "ProviderAccount" a ON a."id" = s."accountId", jsonb_array_elements(s."payload") r
       WHERE s."domain" = 'REPAYMENTS' AND s."payload" @> $1::jsonb AND r->>'id' = $2 AND r->>'amount' = $3 LIMIT 1`,
      [JSON.stringify([{ id: reference }]), reference, amount.toString()],
    );
    return c ? { provider: c.provider, providerLoanId: c.providerLoanId, repaymentId: reference } : null;
  }

  // ---- the worker ----------------------------------------------------------------------------------------------

  /** Starts attempting due deliveries: now, after a local commit that wrote some, and every `pollMs`. */
  start(): void {
    this.loop.start();
  }

  /** Stops (an attempt in progress finishes; unfinished claims lapse to the other instances). */
  async stop(): Promise<void> {
    await this.loop.stop();
    // Its kept-alive connections end with it (a later start makes a new pool).
    const d = this.dispatcher;
    this.dispatcher = undefined;
    await d?.close();
  }

  private wake(): void {
    this.loop.wake();
  }

  /**
   * Attempts every delivery due now (application clock) on this instance until none is left, after the pass in
   * progress (tests: `await app.core.webhooks.idle()` after advancing the clock).
   */
  async idle(): Promise<void> {
    await this.loop.after(async () => {
      while ((await this.runOnce()) > 0);
    });
  }

  /**
   * Claims up to `batch` due deliveries (lease free or lapsed) and attempts them, `concurrency` at once.
   * @returns how many were claimed.
   */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const claimed = await this.work.query<{ id: string; eventId: string; endpointId: string; type: string; payload: unknown; attempts: number; retryUntil: Date; redeliveryRequested: boolean }>(
      `UPDATE "WebhookDelivery" SET "leasedBy" = $1, "leasedUntil" = clock_timestamp() + make_interval(secs => $2::double precision)
       WHERE "id" IN (
         SELECT "id" FROM "WebhookDelivery"
         WHERE "nextAttemptAt" <= $3 AND ("leasedUntil" IS NULL OR "leasedUntil" < clock_timestamp())
         ORDER BY "nextAttemptAt", "sequence" LIMIT $4::int
         FOR UPDATE SKIP LOCKED)
       RETURNING "id", "eventId", "endpointId", "type", "payload", "attempts", "retryUntil", "redeliveryRequested"`,
      [this.instanceId, this.policy.timeoutMs / 1000 + 30, now, this.policy.batch],
    );
    if (!claimed.length) return 0;
    const ids = [...new Set(claimed.map((c) => c.endpointId))];
    const eps = await this.work.query<{ id: string; url: string; secretCiphertext: string; disabledAt: Date | null }>(`SELECT "id", "url", "secretCiphertext", "disabledAt" FROM "WebhookEndpoint" WHERE "id" = ANY($1::uuid[])`, [ids]);
    const byId = new Map(eps.map((e) => [e.id, e]));
    let next = 0;
    const worker = async () => {
      for (let d = claimed[next++]; d; d = claimed[next++]) {
        const ep = byId.get(d.endpointId);
        if (!ep || ep.disabledAt) {
          await this.work.query(`UPDATE "WebhookDelivery" SET "nextAttemptAt" = NULL, "leasedUntil" = NULL WHERE "id" = $1::uuid`, [d.id]);
          continue;
        }
        await this.attempt(d, ep);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.policy.concurrency, claimed.length) }, worker));
    return claimed.length;
  }

  private secretOf(ep: { id: string; secretCiphertext: string }): string {
    const c = this.secrets.get(ep.id);
    if (c && c.sealed === ep.secretCiphertext) return c.secret;
    const secret = this.box.open(ep.secretCiphertext);
    this.secrets.set(ep.id, { sealed: ep.secretCiphertext, secret });
    return secret;
  }

  /** POSTs one delivery and records the attempt and what follows (delivered, retry at, or dead). */
  private async attempt(d: { id: string; eventId: string; type: string; payload: unknown; attempts: number; retryUntil: Date; redeliveryRequested: boolean }, ep: { id: string; url: string; secretCiphertext: string }): Promise<void> {
    const body = JSON.stringify(typeof d.payload === 'string' ? JSON.parse(d.payload) : d.payload);
    const at = this.clock.now();
    const t = Math.floor(at.getTime() / 1000);
    const redelivery = d.redeliveryRequested;
    let status: number | null = null;
    let error: string | null = null;
    let outcome: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' = 'FAILED';
    const started = performance.now();
    try {
      // In production the address connected to must be public (`publicOnlyDispatcher`: an endpoint's DNS may change
      // after it was registered, or between two lookups); an address literal is never looked up, so it is checked here.
      const host = new URL(ep.url).hostname;
      if (this.policy.httpsOnly && nonPublicAddress(host)) throw new Error(`${host} is not a public address`);
      // No redirect is followed (undici's request follows none): a 3xx is a failed attempt.
      const res = await request(ep.url, {
        method: 'POST',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
        dispatcher: this.policy.httpsOnly ? (this.dispatcher ??= publicOnlyDispatcher(this.policy.resolve)) : undefined,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'SatuKredit-Webhooks/1.0',
          'satu-signature': satuSignature(this.secretOf(ep), t, body),
          'satu-event-id': d.eventId,
          'satu-event-type': d.type,
        },
        body,
      });
      status = res.statusCode;
      await res.body.dump().catch(() => undefined);
      if (status >= 200 && status < 300) outcome = 'SUCCEEDED';
      else error = `HTTP ${status}`;
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        outcome = 'TIMED_OUT';
        error = `no answer within ${this.policy.timeoutMs} ms`;
      } else error = (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message).slice(0, 500);
    }
    const durationMs = Math.round(performance.now() - started);
    const now = this.clock.now();
    const retryUntil = new Date(d.retryUntil);
    const n = d.attempts + 1;
    let nextAttemptAt: Date | null = null;
    let dead = false;
    if (outcome !== 'SUCCEEDED') {
      if (now >= retryUntil) dead = true;
      else {
        const base = Math.min(this.policy.maxBackoffSeconds, this.policy.backoffSeconds * 2 ** (n - 1));
        const jittered = base * (0.8 + Math.random() * 0.4);
        nextAttemptAt = new Date(Math.min(now.getTime() + jittered * 1000, retryUntil.getTime()));
      }
    }
    clientWebhookDeliveries.inc({ outcome: outcome === 'SUCCEEDED' ? 'delivered' : dead ? 'dead' : outcome === 'TIMED_OUT' ? 'timed_out' : 'failed' });
    if (outcome !== 'SUCCEEDED') this.log.warn({ deliveryId: d.id, eventId: d.eventId, attempt: n, status, dead, err: error }, 'client webhook attempt failed');
    await this.work.query(
      `WITH a AS (
         INSERT INTO "WebhookDeliveryAttempt" ("id", "deliveryId", "number", "at", "redelivery", "outcome", "statusCode", "durationMs", "error")
         VALUES (gen_random_uuid(), $1::uuid, $2::int, $3::timestamptz, $4::boolean, $5::text, $6::int, $7::int, $8::text) RETURNING 1)
       UPDATE "WebhookDelivery" SET "attempts" = "attempts" + 1, "lastAttemptAt" = $3::timestamptz, "lastStatusCode" = $6::int, "lastError" = $8::text, "lastDurationMs" = $7::int,
         "deliveredAt" = CASE WHEN $5::text = 'SUCCEEDED' THEN $3::timestamptz ELSE "deliveredAt" END,
         "deadAt" = CASE WHEN $9::boolean THEN $10::timestamptz ELSE NULL END,
         "nextAttemptAt" = CASE WHEN "nextAttemptAt" > $3::timestamptz THEN "nextAttemptAt" ELSE $11::timestamptz END,
         "leasedBy" = NULL, "leasedUntil" = NULL, "redeliveryRequested" = CASE WHEN "nextAttemptAt" > $3::timestamptz THEN "redeliveryRequested" ELSE false END
       WHERE "id" = $1::uuid`,
      [d.id, n, at, redelivery, outcome, status, durationMs, error, dead, now, nextAttemptAt],
    );
  }
}

/** A delivery's state from its columns. */
export function deliveryStatus(d: Pick<WebhookDelivery, 'nextAttemptAt' | 'deliveredAt' | 'deadAt'>): WebhookDeliveryStatus {
  if (d.nextAttemptAt) return 'PENDING';
  if (d.deliveredAt) return 'DELIVERED';
  if (d.deadAt) return 'DEAD';
  return 'CANCELLED';
}
