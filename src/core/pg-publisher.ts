/**
 * The publisher across instances on a PostgreSQL server: every change is sent with `NOTIFY` on the
 * channel `satukredit_changes`, and every instance (the sender included) `LISTEN`s on one dedicated
 * connection and hands what arrives to its own subscribers. Nothing else to run. Payloads are ids and
 * kinds only (a loan's provider and id, a consent's id, client and status: well under NOTIFY's 8000-byte
 * limit; subscribers read the rest from the database), so nothing goes by value. Delivery is best effort:
 * a notification sent while an instance's listening connection is down is not seen by that instance's
 * subscribers (they refetch on the next change); the connection is re-opened with backoff. Ledger changes
 * are notified inside the transaction that applies them (`publishWithin`): PostgreSQL delivers them at
 * commit, so an instance dying after its commit still gets its change pushed, and a rolled-back one never is.
 */
import { createPubSub } from '@graphql-yoga/subscription';
import pg from 'pg';
import type { Logger } from '../logger';
import type { ConsentChange, LedgerChange, Publisher } from './publisher';

/** The NOTIFY channel. */
export const CHANGES_CHANNEL = 'satukredit_changes';
/** NOTIFY's payload limit is 8000 bytes; ours stay far below. */
const MAX_PAYLOAD_BYTES = 7900;

type Message = { t: 'ledger'; c: LedgerChange } | { t: 'consent'; c: ConsentChange } | { t: 'invalidate'; tags: string[] };

/** A publisher over LISTEN/NOTIFY, with `close` to end its connection. */
export interface ClosablePublisher extends Publisher {
  close(): Promise<void>;
}

/**
 * Connects the listening connection and returns the publisher.
 * @throws when the first connection cannot be made (the app does not start without its publisher).
 */
export async function pgPublisher(url: string, log: Logger): Promise<ClosablePublisher> {
  const local = createPubSub<{ ledger: [LedgerChange]; consent: [ConsentChange]; invalidate: [readonly string[]] }>();
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let backoffMs = 250;
  /** Incremented on each (re)connection of the listening connection. */
  let epoch = 0;

  const deliver = (raw: string | undefined) => {
    if (!raw) return;
    try {
      const m = JSON.parse(raw) as Message;
      if (m.t === 'invalidate') local.publish('invalidate', m.tags);
      else if (m.t === 'ledger') local.publish('ledger', { ...m.c, at: new Date(m.c.at) });
      else if (m.t === 'consent') local.publish('consent', { ...m.c, at: new Date(m.c.at) });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'unreadable change notification');
    }
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: 'satukredit-listen' });
    c.on('notification', (n) => n.channel === CHANGES_CHANNEL && deliver(n.payload));
    c.on('error', (e) => {
      log.warn({ err: e.message }, 'change listener connection failed; reconnecting');
      reconnect(c);
    });
    c.on('end', () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN ${CHANGES_CHANNEL}`);
    client = c;
    epoch++;
    backoffMs = 250;
  };

  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect().catch((e: Error) => {
        log.warn({ err: e.message, retryInMs: backoffMs }, 'change listener still down');
        backoffMs = Math.min(backoffMs * 2, 10_000);
        schedule();
      });
    }, backoffMs);
    retry.unref();
  };

  const reconnect = (dead: pg.Client) => {
    if (closed || client !== dead) return;
    client = null;
    dead.end().catch(() => undefined);
    schedule();
  };

  await connect();

  // Notifications go out on a connection of their own, one after another (a pool of one keeps their order),
  // so a change is still pushed while the listening connection is being re-opened.
  const sender = new pg.Pool({ connectionString: url, max: 1, application_name: 'satukredit-notify', idleTimeoutMillis: 30_000 });
  sender.on('error', (e) => log.warn({ err: e.message }, 'change sender connection failed'));
  // Notifications wait while one statement is out and then go together in one statement, in order: a busy
  // instance (a cold credit view refreshes each provider account in its own turn) sends one statement per
  // round trip instead of one per notification. Nothing waits for a timer.
  let waiting: string[] = [];
  /** The statement out now (null: none), settled after the next one, if any, has been started. */
  let inFlight: Promise<void> | null = null;
  const flush = (): void => {
    if (inFlight || !waiting.length) return;
    const payloads = waiting;
    waiting = [];
    const sent =
      payloads.length === 1
        ? sender.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, payloads[0]])
        : sender.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n', [CHANGES_CHANNEL, payloads]);
    inFlight = sent.then(
      () => undefined,
      (e: Error) => log.warn({ err: e.message, notifications: payloads.length }, 'change notification failed'),
    ).finally(() => {
      inFlight = null;
      flush();
    });
  };
  const send = (m: Message) => {
    const payload = JSON.stringify(m);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      log.error({ bytes: Buffer.byteLength(payload), kind: m.t }, 'change notification too large; not sent');
      return;
    }
    waiting.push(payload);
    flush();
  };

  /** Tags go in notifications under the payload limit (several when many). */
  const sendTags = (tags: readonly string[]) => {
    let batch: string[] = [];
    let bytes = 0;
    for (const t of tags) {
      if (bytes + t.length + 4 > MAX_PAYLOAD_BYTES - 64 && batch.length) {
        send({ t: 'invalidate', tags: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(t);
      bytes += Buffer.byteLength(t) + 3;
    }
    if (batch.length) send({ t: 'invalidate', tags: batch });
  };

  return {
    async publishWithin(tx, changes) {
      if (!changes.length) return;
      const payloads = changes.map((c) => JSON.stringify({ t: 'ledger', c } satisfies Message));
      if (payloads.some((p) => Buffer.byteLength(p) > MAX_PAYLOAD_BYTES)) throw new Error('change notification too large');
      // One statement, one notification per change, in order.
      await tx.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n', [CHANGES_CHANNEL, payloads]);
    },
    publish: (change) => send({ t: 'ledger', c: change }),
    subscribe: () => local.subscribe('ledger'),
    publishConsent: (change) => send({ t: 'consent', c: change }),
    consentChanges: () => local.subscribe('consent'),
    publishInvalidation: (tags) => sendTags(tags),
    invalidations: () => local.subscribe('invalidate'),
    epoch: () => (client ? epoch : null),
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
      // What was sent before closing goes out first.
      while (inFlight) await inFlight;
      await sender.end().catch(() => undefined);
    },
  };
}
