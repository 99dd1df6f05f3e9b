/**
 * The publisher across instances through Redis (when REDIS_URL is set): every change is PUBLISHed on
 * `<prefix>changes` and every instance SUBSCRIBEs on a connection of its own, handing what arrives to its
 * subscribers. ioredis reconnects and re-subscribes by itself. Unlike PostgreSQL's NOTIFY, a PUBLISH
 * cannot be part of the database transaction that applied the change, so a change committed by an
 * instance that dies before publishing is not pushed (subscribers see it on their next read).
 */
import { createPubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { ClosablePublisher } from './pg-publisher';
import type { ConsentChange, LedgerChange } from './publisher';

type Message = { t: 'ledger'; c: LedgerChange } | { t: 'consent'; c: ConsentChange } | { t: 'invalidate'; tags: string[] };

/**
 * Connects both Redis connections and returns the publisher.
 * @throws when Redis cannot be reached at start.
 */
export async function redisPublisher(url: string, prefix: string, log: Logger): Promise<ClosablePublisher> {
  const channel = `${prefix}changes`;
  const local = createPubSub<{ ledger: [LedgerChange]; consent: [ConsentChange]; invalidate: [readonly string[]] }>();
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const sub = new Redis(url, { lazyConnect: true });
  for (const c of [pub, sub]) c.on('error', (e: Error) => log.warn({ err: e.message }, 'redis publisher connection error'));
  await pub.connect();
  await sub.connect();
  await sub.subscribe(channel);
  /** Incremented each time the subscribing connection is ready again (ioredis re-subscribes on reconnect). */
  let epoch = 0;
  sub.on('ready', () => epoch++);
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      const m = JSON.parse(raw) as Message;
      if (m.t === 'invalidate') local.publish('invalidate', m.tags);
      else if (m.t === 'ledger') local.publish('ledger', { ...m.c, at: new Date(m.c.at) });
      else local.publish('consent', { ...m.c, at: new Date(m.c.at) });
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'unreadable change message');
    }
  });
  const send = (m: Message) => {
    pub.publish(channel, JSON.stringify(m)).catch((e: Error) => log.warn({ err: e.message, kind: m.t }, 'change not published'));
  };
  return {
    publish: (change) => send({ t: 'ledger', c: change }),
    subscribe: () => local.subscribe('ledger'),
    publishConsent: (change) => send({ t: 'consent', c: change }),
    consentChanges: () => local.subscribe('consent'),
    publishInvalidation: (tags) => send({ t: 'invalidate', tags: [...tags] }),
    invalidations: () => local.subscribe('invalidate'),
    epoch: () => (sub.status === 'ready' ? epoch : null),
    async close() {
      sub.disconnect();
      pub.disconnect();
    },
  };
}
