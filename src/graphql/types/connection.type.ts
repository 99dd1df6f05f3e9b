/**
 * Relay cursor connections: one `<Name>Connection`/`<Name>Edge` pair per node type from a class factory
 * (type-graphql's generic-types example), the shared `PageInfo`, the paging arguments' checks and the opaque
 * cursors. Every list that grows is one of these, paged by key (src/core/paging.ts): `first`/`after` forward,
 * `last`/`before` backward.
 */
import type { ClassType } from 'type-graphql';
import { Field, Int, ObjectType } from 'type-graphql';
import { isUuid } from '../../domain/ids';
import type { Key, KeyValue, Page, PageWindow } from '../../core/paging';
import { BadUserInputError } from '../errors';

@ObjectType('PageInfo', { simpleResolvers: true, description: 'Where a page of a Relay connection lies in the whole list.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether the list holds items after this page (pass `endCursor` as `after` to read them).' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Whether the list holds items before this page (pass `startCursor` as `before` with `last` to read them).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor; null when the page is empty." })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "The last edge's cursor; null when the page is empty." })
  endCursor!: string | null;
}

/** Builds `<Name>Edge` and `<Name>Connection` types for a node class. */
export function Connection<T extends object>(name: string, Item: ClassType<T>, what: string, plural = `${what}s`) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One ${what} of a page, with its cursor.` })
  class Edge {
    @Field(() => String, { description: 'Opaque cursor of this item: pass it as `after` (the items after it) or `before` (the items before it).' })
    cursor!: string;

    @Field(() => Item, { description: `The ${what}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${plural} (Relay cursor connection).` })
  class ConnectionType {
    @Field(() => [Edge], { description: `The ${plural} of this page, in the list's order.` })
    edges!: Edge[];

    @Field(() => PageInfo, { description: 'Cursors of the page and whether items lie before or after it.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Number of items across all pages (whatever the paging arguments).' })
    totalCount!: number;
  }
  return { Edge, ConnectionType };
}

/** The type of one part of a list's key, as a cursor carries it. */
export type KeyPartType = 'date' | 'bigint' | 'string' | 'uuid';

/** How one connection pages: its cursor tag, its key's parts, its page sizes. */
export interface ConnectionSpec {
  /** Tag in the cursor, so that a cursor of another list is refused. */
  readonly tag: string;
  readonly key: readonly KeyPartType[];
  /** Page size when neither `first` nor `last` is given. */
  readonly defaultSize: number;
  /** Largest `first` or `last`. */
  readonly maxSize: number;
}

/** The paging arguments as a client sends them. */
export interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

/** The opaque cursor of an item with key `key` in the list `spec`. */
export function encodeCursor(spec: ConnectionSpec, key: Key): string {
  const parts = key.map((v: KeyValue) => (v instanceof Date ? v.toISOString() : String(v)));
  return Buffer.from(JSON.stringify([spec.tag, ...parts])).toString('base64url');
}

function badCursor(argName: 'after' | 'before'): BadUserInputError {
  return new BadUserInputError(`"${argName}" is not a cursor of this connection: pass a \`cursor\`, \`startCursor\` or \`endCursor\` this field returned`, argName);
}

/**
 * The key a cursor of the list `spec` names.
 * @throws BadUserInputError (BAD_USER_INPUT, `argumentName`) when it is not one.
 */
export function decodeCursor(spec: ConnectionSpec, cursor: string, argName: 'after' | 'before'): Key {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor(argName);
  }
  if (!Array.isArray(v) || v.length !== spec.key.length + 1 || v[0] !== spec.tag || !v.every((x) => typeof x === 'string')) throw badCursor(argName);
  return spec.key.map((type, i) => {
    const s = v[i + 1] as string;
    switch (type) {
      case 'date': {
        const d = new Date(s);
        if (Number.isNaN(d.getTime())) throw badCursor(argName);
        return d;
      }
      case 'bigint':
        if (!/^-?\d{1,20}$/.test(s)) throw badCursor(argName);
        return BigInt(s);
      case 'uuid':
        if (!isUuid(s)) throw badCursor(argName);
        return s;
      default:
        return s;
    }
  });
}

/**
 * The window the paging arguments ask for.
 * @throws BadUserInputError (BAD_USER_INPUT, `argumentName`) when both `first` and `last` are given, either is
 *   negative or above the list's largest page, or a cursor is not one of this list's.
 */
export function pageWindow(spec: ConnectionSpec, args: PageArgs): PageWindow {
  const first = args.first ?? null;
  const last = args.last ?? null;
  if (first !== null && last !== null) throw new BadUserInputError('pass either "first" or "last", not both', 'last');
  for (const [name, n] of [['first', first], ['last', last]] as const) {
    if (n !== null && (n < 0 || n > spec.maxSize)) throw new BadUserInputError(`"${name}" must be between 0 and ${spec.maxSize}`, name);
  }
  return {
    first: first === null && last === null ? spec.defaultSize : first,
    last,
    after: args.after == null ? null : decodeCursor(spec, args.after, 'after'),
    before: args.before == null ? null : decodeCursor(spec, args.before, 'before'),
  };
}

/** A connection's value: the page's items as edges with their cursors. */
export interface ConnectionValue<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** The connection of a page: each row's node (`node(row)`) with the cursor of its key. */
export function toConnection<R, N>(spec: ConnectionSpec, page: Page<R>, keyOf: (row: R) => Key, node: (row: R) => N): ConnectionValue<N> {
  const edges = page.rows.map((r) => ({ cursor: encodeCursor(spec, keyOf(r)), node: node(r) }));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    }),
  };
}

/** Descriptions of the four paging arguments of a list. */
export function pageArgDocs(spec: ConnectionSpec): { first: string; after: string; last: string; before: string } {
  return {
    first: `Page forward: the first this many items (after \`after\` when given), 0..${spec.maxSize}. Default ${spec.defaultSize} when neither \`first\` nor \`last\` is given. Not with \`last\`.`,
    after: 'Only items after this cursor (an edge `cursor` or `pageInfo.endCursor` this field returned).',
    last: `Page backward: the last this many items (before \`before\` when given), 0..${spec.maxSize}. Not with \`first\`.`,
    before: 'Only items before this cursor (an edge `cursor` or `pageInfo.startCursor` this field returned).',
  };
}
