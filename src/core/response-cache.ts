/**
 * The response cache: whole answers of read operations (a credit view, a borrower, the borrowers list),
 * kept in this process for at most `maxTtlMs` and dropped the moment anything they were computed from
 * changes. It is what lets a warm read run no SQL and no resolvers.
 *
 * What an answer depends on is recorded while it is computed (`ReadRecord`): tags naming the client,
 * borrowers, provider accounts and loans it read, and the instants after which it would read differently
 * (a consent's expiry, a cached part's freshness limit, the next whole second of a part's age, the next
 * Jakarta midnight). Writers invalidate by tag (`Invalidation`): the consent service (client and borrower),
 * the one cache writer (account), the event applier (loan). An invalidation is applied here at once and sent
 * to every other instance through the change publisher (LISTEN/NOTIFY or Redis), which applies it on arrival.
 *
 * Correctness rules:
 * - An answer whose computation overlapped an invalidation of one of its tags is not stored (each read in
 *   flight collects the tags invalidated meanwhile).
 * - No answer is served or stored while the publisher cannot deliver other instances' invalidations (its
 *   listening connection is down); everything is dropped when it reconnects, since what it missed is unknown.
 * - Answers with errors (a provider part failing, a consent denial) are never stored.
 * Another instance's write is seen here when its notification arrives (PostgreSQL delivers NOTIFY at commit;
 * milliseconds on one network); this instance's own writes are seen on the next read.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import type { AccessEntry } from './access-log';
import type { Publisher } from './publisher';

/** Tag of everything a client's consents decide (its consents changed). */
export const clientTag = (clientId: string) => `c:${clientId}`;
/** Tag of everything read about a borrower (consents, linked accounts, erasure). */
export const borrowerTag = (borrowerId: string) => `b:${borrowerId}`;
/** Tag of a linked provider account's cached data (a refresh stored new snapshots). */
export const accountTag = (accountId: string) => `a:${accountId}`;
/** Tag of a loan's ledger (an event was applied to it). */
export const loanTag = (provider: string, providerLoanId: string) => `l:${provider}|${providerLoanId}`;

/** What one read depended on, recorded while it runs. */
export class ReadRecord {
  /** Tags of the data read. */
  readonly tags = new Set<string>();
  /** Tags invalidated while this read was in flight (set by the cache). */
  readonly invalidated = new Set<string>();
  /** Everything was invalidated while in flight. */
  allInvalidated = false;
  /** The answer must not be stored (a live read was demanded, or data no tag covers was read). */
  noStore = false;
  /** Epoch time (ms) after which the answer would be computed differently. */
  until = Number.POSITIVE_INFINITY;

  /** Records that the read used data under `tag`. */
  tag(tag: string): void {
    this.tags.add(tag);
  }

  /** Records that the answer changes at `ms` (epoch milliseconds) at the latest. */
  changesAt(ms: number): void {
    if (ms < this.until) this.until = ms;
  }

  /** Marks the answer as not storable. */
  dontStore(): void {
    this.noStore = true;
  }

  /** Whether an invalidation that happened while in flight touches this read. */
  spoiled(): boolean {
    if (this.allInvalidated) return true;
    for (const t of this.invalidated) if (this.tags.has(t)) return true;
    return false;
  }
}

/** A stored answer. */
export interface CachedAnswer<V> {
  readonly value: V;
  /** The access-log entries of the read that computed it, replayed (source CACHE) on each hit. */
  readonly access: readonly AccessEntry[];
}

/** Settings of the response cache. */
export interface ResponseCachePolicy {
  /** Largest total size of stored answers (their JSON length, bytes); 0 turns the cache off. */
  readonly maxBytes: number;
  /** Longest an answer is kept, ms (time-derived figures such as a repayment's settlement overdue move this late at most). */
  readonly maxTtlMs: number;
}

/** Defaults: 32 MB of answers, each kept at most 1 s. */
export const DEFAULT_RESPONSE_CACHE_POLICY: ResponseCachePolicy = { maxBytes: 32 * 1024 * 1024, maxTtlMs: 1000 };

interface Entry<V> extends CachedAnswer<V> {
  readonly tags: readonly string[];
  readonly expiresAt: number;
}

/** The in-process store of answers, with its tag index. */
export class ResponseCache<V = unknown> {
  private readonly entries: LRUCache<string, Entry<V>>;
  private readonly byTag = new Map<string, Set<string>>();
  private readonly inFlight = new Set<ReadRecord>();
  /** Answers being computed, by key: identical reads arriving meanwhile wait for them instead of computing again. */
  private readonly computing = new Map<string, Promise<CachedAnswer<V> | undefined>>();
  /** The publisher epoch the stored answers were made under (null: none stored yet). */
  private epoch: number | null = null;
  private hits = 0;
  private misses = 0;
  /** Turned off for good (an invalidation stream failed). */
  private off = false;

  /**
   * @param publisherEpoch the change publisher's connection epoch: a number that changes whenever its
   *   listening connection is re-established, null while it is down (then nothing is served or stored).
   */
  constructor(
    readonly policy: ResponseCachePolicy,
    private readonly publisherEpoch: () => number | null,
  ) {
    this.entries = new LRUCache<string, Entry<V>>({
      maxSize: Math.max(1, policy.maxBytes),
      sizeCalculation: (_e, key) => key.length,
      dispose: (e, key) => this.unindex(key, e.tags),
    });
  }

  /** Whether answers may be served and stored now. */
  get enabled(): boolean {
    if (this.policy.maxBytes <= 0 || this.off) return false;
    const epoch = this.publisherEpoch();
    if (epoch === null) {
      if (this.entries.size) this.clear();
      return false;
    }
    if (this.epoch !== epoch) {
      // Reconnected (or first use): what was missed meanwhile is unknown, so nothing stored before counts.
      this.clear();
      this.epoch = epoch;
    }
    return true;
  }

  /**
   * The answer under `key` being computed by another request, if any: resolves to it once stored, or to
   * undefined when it could not be stored (then the waiter computes its own).
   */
  pending(key: string): Promise<CachedAnswer<V> | undefined> | undefined {
    return this.computing.get(key);
  }

  /**
   * Declares that this request computes the answer under `key`; identical reads wait for it (`pending`).
   * @returns the function to call, exactly once or more (later calls are ignored), with the stored answer or undefined.
   */
  lead(key: string): (answer: CachedAnswer<V> | undefined) => void {
    let settle!: (a: CachedAnswer<V> | undefined) => void;
    const p = new Promise<CachedAnswer<V> | undefined>((r) => (settle = r));
    this.computing.set(key, p);
    let done = false;
    return (answer) => {
      if (done) return;
      done = true;
      if (this.computing.get(key) === p) this.computing.delete(key);
      settle(answer);
    };
  }

  /** Tracks a read in flight from now on, so invalidations meanwhile spoil it (pair with `untrack`). */
  track(r: ReadRecord): void {
    this.inFlight.add(r);
  }

  /** Stops tracking a read. */
  untrack(r: ReadRecord): void {
    this.inFlight.delete(r);
  }

  /** The stored answer under `key`, unless expired at `now` (epoch ms). */
  get(key: string, now: number): CachedAnswer<V> | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) {
      this.hits++;
      return e;
    }
    if (e) this.entries.delete(key);
    this.misses++;
    return undefined;
  }

  /**
   * Stores an answer computed under `record`, unless it must not be stored, was spoiled by an invalidation
   * while in flight, or expires at once.
   * @param size the answer's size in bytes (its JSON length), counted against `maxBytes`.
   * @returns whether it was stored.
   */
  set(key: string, record: ReadRecord, answer: CachedAnswer<V>, size: number, now: number): boolean {
    if (record.noStore || record.spoiled() || !this.enabled) return false;
    const expiresAt = Math.min(record.until, now + this.policy.maxTtlMs);
    if (expiresAt <= now || size > this.policy.maxBytes / 4) return false;
    const tags = [...record.tags];
    this.entries.set(key, { ...answer, tags, expiresAt }, { size: size + key.length, ttl: expiresAt - now });
    for (const t of tags) {
      let keys = this.byTag.get(t);
      if (!keys) this.byTag.set(t, (keys = new Set()));
      keys.add(key);
    }
    return true;
  }

  /**
   * Drops every answer under any of `tags` and spoils reads in flight that use them.
   * @param except a read in flight not to spoil (the one whose own write this is).
   */
  invalidate(tags: readonly string[], except?: ReadRecord): void {
    for (const r of this.inFlight) if (r !== except) for (const t of tags) r.invalidated.add(t);
    for (const t of tags) {
      const keys = this.byTag.get(t);
      if (!keys) continue;
      for (const k of [...keys]) this.entries.delete(k);
    }
  }

  /** Drops everything (and spoils every read in flight). */
  clear(): void {
    for (const r of this.inFlight) r.allInvalidated = true;
    this.entries.clear();
    this.byTag.clear();
  }

  /** Turns the cache off for good and drops everything (used when invalidations can no longer arrive). */
  disable(): void {
    this.off = true;
    this.clear();
  }

  /** Hit and miss counts since start, and how many answers are stored. */
  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.entries.size };
  }

  private unindex(key: string, tags: readonly string[]): void {
    for (const t of tags) {
      const keys = this.byTag.get(t);
      if (!keys) continue;
      keys.delete(key);
      if (!keys.size) this.byTag.delete(t);
    }
  }
}

/**
 * How writers say what changed: applied to this instance's cache at once and sent to the others through the
 * publisher. Ledger and consent changes already travel through the publisher (as subscriptions' events) and
 * are turned into invalidations on arrival; `tags` is for the rest (a refreshed account).
 */
export class Invalidation {
  constructor(
    private readonly cache: ResponseCache,
    private readonly publisher: Publisher,
  ) {}

  /** Tags to send to the other instances at the end of this turn of the event loop (one message for all). */
  private outgoing: Set<string> | null = null;

  /**
   * Invalidates `tags` here at once and on every other instance with the next message (the tags of one turn of
   * the event loop go in one notification). @param except this instance's read making the write.
   */
  tags(tags: readonly string[], except?: ReadRecord): void {
    if (!tags.length) return;
    this.cache.invalidate(tags, except);
    if (!this.outgoing) {
      const out = (this.outgoing = new Set());
      setImmediate(() => {
        this.outgoing = null;
        this.publisher.publishInvalidation([...out]);
      });
    }
    for (const t of tags) this.outgoing.add(t);
  }

  /** Invalidates `tags` here only (the change itself travels to the others as a ledger or consent change). */
  local(tags: readonly string[]): void {
    if (tags.length) this.cache.invalidate(tags);
  }

  /**
   * Applies what arrives from other instances (and this one's echoes) until `signal` aborts: invalidations,
   * ledger changes (the loan's tag) and consent changes (the client's and the borrower's tags).
   */
  listen(log: Logger, signal: AbortSignal): void {
    const drain = async <T>(stream: AsyncIterable<T>, tagsOf: (m: T) => string[]) => {
      const it = stream[Symbol.asyncIterator]();
      signal.addEventListener('abort', () => void it.return?.(), { once: true });
      for (;;) {
        const next = await it.next();
        if (next.done || signal.aborted) return;
        this.cache.invalidate(tagsOf(next.value));
      }
    };
    const failed = (e: Error) => {
      // A stream that ends in error leaves this cache blind to others' writes: turn it off for good.
      log.error({ err: e.message }, 'cache invalidation stream failed; response cache off');
      this.cache.disable();
    };
    drain(this.publisher.invalidations(), (tags) => [...tags]).catch(failed);
    drain(this.publisher.subscribe(), (c) => [loanTag(c.provider, c.providerLoanId)]).catch(failed);
    drain(this.publisher.consentChanges(), (c) => [clientTag(c.clientId), ...(c.borrowerId ? [borrowerTag(c.borrowerId)] : [])]).catch(failed);
  }
}
