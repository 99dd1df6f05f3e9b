/**
 * In-process copies of cached provider data (ProviderSnapshot payloads), checked against the database on
 * every read. A read still asks the database for the snapshot rows it needs (id, content hash, fetch and
 * event times: one small SELECT), but fetches, parses and revives a payload only when this process holds no
 * copy with that row's current content hash. Every writer of a payload also writes its hash
 * (src/store/snapshots.ts `saveSnapshots`), so a copy is never served after the row changed, whichever
 * instance changed it: the version check is the database row itself, no invalidation message is needed.
 *
 * The copies are shared by every request of this process, so they are deep-frozen: code that tried to change
 * one would throw (modules run in strict mode) instead of changing another request's answer. The same goes
 * for the values revived from them (`revivedOnce`).
 *
 * Memory: bounded by SNAPSHOT_CACHE_MB, counted as the payloads' JSON text length; the parsed and revived
 * objects take a few times that in the heap (README, "Memory").
 */
import { LRUCache } from 'lru-cache';

/** How much the snapshot cache may hold. */
export interface SnapshotCachePolicy {
  /** Payload JSON bytes held at most (0: off, every read fetches and parses its payloads). */
  readonly maxBytes: number;
}

/** The default: 16 MiB of payload JSON. */
export const DEFAULT_SNAPSHOT_CACHE_POLICY: SnapshotCachePolicy = { maxBytes: 16 * 1024 * 1024 };

interface Copy {
  readonly hash: string;
  readonly payload: unknown;
}

/** Deep-freezes a JSON value (objects and arrays), in place; returns it. */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return Object.freeze(v);
}

/** Parsed snapshot payloads by snapshot id, each valid for one content hash. */
export class SnapshotCache {
  private readonly copies: LRUCache<string, Copy> | null;
  private hits = 0;
  private misses = 0;

  constructor(readonly policy: SnapshotCachePolicy = DEFAULT_SNAPSHOT_CACHE_POLICY) {
    this.copies = policy.maxBytes > 0 ? new LRUCache<string, Copy>({ maxSize: policy.maxBytes }) : null;
  }

  /** The payload held for snapshot `id` when it has content hash `hash`, else undefined. */
  get(id: string, hash: string): unknown {
    const c = this.copies?.get(id);
    if (c && c.hash === hash) {
      this.hits++;
      return c.payload;
    }
    this.misses++;
    return undefined;
  }

  /**
   * Keeps a payload just read from the database (frozen first) and returns the kept value.
   * @param bytes the payload's JSON text length, counted against `maxBytes` (a payload over a quarter of it is not kept).
   */
  put(id: string, hash: string, payload: unknown, bytes: number): unknown {
    const frozen = deepFreeze(payload);
    if (this.copies && bytes > 0 && bytes <= this.policy.maxBytes / 4) this.copies.set(id, { hash, payload: frozen }, { size: bytes });
    return frozen;
  }

  /** Payloads held, their JSON bytes, and lookups answered from a copy (`hits`) or not (`misses`) so far. */
  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.copies?.size ?? 0, bytes: this.copies?.calculatedSize ?? 0, hits: this.hits, misses: this.misses };
  }
}

const revived = new WeakMap<(payload: unknown) => unknown, WeakMap<object, unknown>>();

/**
 * `revive(payload)`, made once per payload object and shared afterwards (deep-frozen): the snapshot cache
 * hands every request the same payload object, so each is revived (bigint amounts, Dates) once per process.
 * A payload that is not an object is revived every time.
 */
export function revivedOnce<T>(payload: unknown, revive: (payload: unknown) => T): T {
  if (payload === null || typeof payload !== 'object') return revive(payload);
  let byPayload = revived.get(revive);
  if (!byPayload) revived.set(revive, (byPayload = new WeakMap()));
  if (byPayload.has(payload)) return byPayload.get(payload) as T;
  const v = deepFreezeRevived(revive(payload));
  byPayload.set(payload, v);
  return v;
}

/** Deep-freezes a revived value (plain objects and arrays; Dates are left as they are, bigints are primitives). */
function deepFreezeRevived<T>(v: T): T {
  if (v === null || typeof v !== 'object' || v instanceof Date || Object.isFrozen(v)) return v;
  for (const k of Object.keys(v)) deepFreezeRevived((v as Record<string, unknown>)[k]);
  return Object.freeze(v);
}
