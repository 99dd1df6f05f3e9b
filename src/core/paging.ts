/**
 * Keyset paging (Relay cursor connections) for lists the core reads: a list has a total order on a key (a tuple
 * of dates, big integers and strings, the last part unique), and a window asks for the first or last `n` items
 * strictly after one key and strictly before another. The same window works on a list in memory (`pageOfArray`)
 * and on a table (`keysetPage`, with Prisma). What a cursor looks like on the wire is the API's business
 * (src/graphql/connection.ts); the core sees decoded keys only.
 */

/** One part of a key. */
export type KeyValue = Date | bigint | string;
/** A key: the sort values of an item, in order, the last one unique. */
export type Key = readonly KeyValue[];

/** A page window: `first` items after `after` or `last` items before `before` (exactly one of first and last is set). */
export interface PageWindow {
  readonly first: number | null;
  readonly last: number | null;
  /** Only items strictly after this key (in the list's order). */
  readonly after: Key | null;
  /** Only items strictly before this key. */
  readonly before: Key | null;
}

/** One page of a list. */
export interface Page<T> {
  readonly rows: readonly T[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  /** Items in the whole list, whatever the window. */
  readonly totalCount: number;
}

function comparePart(a: KeyValue, b: KeyValue): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares two keys lexicographically (ascending). */
export function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = comparePart(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * The page of `items` (in the list's order: ascending by key for 'asc', descending for 'desc') that `window` asks for.
 * `hasPreviousPage`/`hasNextPage` are exact: whether the list holds items before the page's first or after its last.
 */
export function pageOfArray<T>(items: readonly T[], keyOf: (item: T) => Key, order: 'asc' | 'desc', window: PageWindow): Page<T> {
  const sign = order === 'asc' ? 1 : -1;
  const sorted = [...items].sort((a, b) => sign * compareKeys(keyOf(a), keyOf(b)));
  // Position in list order: negative = before the key.
  const pos = (item: T, key: Key) => sign * compareKeys(keyOf(item), key);
  let start = 0;
  let end = sorted.length;
  if (window.after) while (start < end && pos(sorted[start]!, window.after) <= 0) start++;
  if (window.before) while (end > start && pos(sorted[end - 1]!, window.before) >= 0) end--;
  if (window.first !== null) end = Math.min(end, start + window.first);
  else if (window.last !== null) start = Math.max(start, end - window.last);
  return { rows: sorted.slice(start, end), hasPreviousPage: start > 0, hasNextPage: end < sorted.length, totalCount: sorted.length };
}

type Where = Record<string, unknown>;

/** Prisma `where` for rows on one side of `key` on `fields`: `op` 'gt' after it ascending, 'lt' before it; `inclusive` admits the key itself. */
function beyond(fields: readonly string[], key: Key, op: 'gt' | 'lt', inclusive: boolean): Where {
  const or: Where[] = [];
  for (let i = 0; i < fields.length; i++) {
    const and: Where = {};
    for (let j = 0; j < i; j++) and[fields[j]!] = key[j];
    and[fields[i]!] = { [op]: key[i] };
    or.push(and);
  }
  if (inclusive) or.push(Object.fromEntries(fields.map((f, j) => [f, key[j]])));
  return { OR: or };
}

/** What `keysetPage` reads a table with (a Prisma delegate's findMany and count, with the list's filter). */
export interface KeysetSource<T> {
  /** The list's own filter (e.g. one borrower's rows). */
  readonly where: Where;
  /** The key's columns, in order, the last one unique. */
  readonly fields: readonly string[];
  readonly order: 'asc' | 'desc';
  readonly keyOf: (row: T) => Key;
  readonly findMany: (args: { where: Where; orderBy: Where[]; take: number }) => Promise<T[]>;
  readonly count: (args: { where: Where }) => Promise<number>;
}

/**
 * The page of a table `window` asks for, by key (no offsets: a page stays put when rows are added elsewhere).
 * Reads at most `n + 1` rows, the total count, and whether rows lie beyond the cursors (one row each).
 */
export async function keysetPage<T>(src: KeysetSource<T>, window: PageWindow): Promise<Page<T>> {
  const forward = window.last === null;
  const n = (forward ? window.first : window.last) ?? 0;
  const asc = src.order === 'asc';
  // 'gt' moves along the list's order for an ascending list.
  const along = asc ? 'gt' : 'lt';
  const against = asc ? 'lt' : 'gt';
  const and: Where[] = [src.where];
  if (window.after) and.push(beyond(src.fields, window.after, along, false));
  if (window.before) and.push(beyond(src.fields, window.before, against, false));
  const dir = (forward ? asc : !asc) ? 'asc' : 'desc';
  const orderBy = src.fields.map((f) => ({ [f]: dir }));
  const exists = async (w: Where) => (await src.findMany({ where: { AND: [src.where, w] }, orderBy, take: 1 })).length > 0;
  const [fetched, totalCount, beforeAfter, pastBefore] = await Promise.all([
    src.findMany({ where: { AND: and }, orderBy, take: n + 1 }),
    src.count({ where: src.where }),
    // Rows at or before `after` / at or after `before` lie outside the window, on its sides.
    window.after ? exists(beyond(src.fields, window.after, against, true)) : Promise.resolve(false),
    window.before ? exists(beyond(src.fields, window.before, along, true)) : Promise.resolve(false),
  ]);
  const more = fetched.length > n;
  const rows = fetched.slice(0, n);
  if (!forward) rows.reverse();
  return forward
    ? { rows, totalCount, hasNextPage: more || pastBefore, hasPreviousPage: beforeAfter }
    : { rows, totalCount, hasPreviousPage: more || beforeAfter, hasNextPage: pastBefore };
}
