/** Helpers the callback routes of every provider share: canonical hashing for idempotency keys, and zod reasons. */
import { createHash } from 'node:crypto';
import type { z } from 'zod';

/** Canonical JSON (keys sorted) for hashing. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 hex of canonical JSON: the idempotency key of callbacks that carry no id of their own. */
export function contentHash(v: unknown): string {
  return createHash('sha256').update(canonical(v)).digest('hex');
}

/** First zod issue as "path: message" (never the offending value). */
export function reason(e: z.ZodError, prefix?: string): string {
  const i = e.issues[0]!;
  const path = [prefix, ...i.path].filter((x) => x !== undefined && x !== '').join('.');
  return `${path || '(body)'}: ${i.message}`;
}
