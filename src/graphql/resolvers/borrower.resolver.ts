/** Borrower queries and relations. Thin: arguments in, loader/service call, GraphQL type out. */
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { Borrower } from '../../generated/prisma/client';
import { consentedAccounts, loansOf, partErrors, providerParts, today } from '../../services/credit.service';
import type { GraphQLContext } from '../context';
import { expectGlobalId } from '../ids';
import { BorrowerConnection, BorrowerObject, maskNik, ProviderAccountObject } from '../types/borrower.type';
import { CreditViewObject } from '../types/credit-view.type';
import { LoanObject } from '../types/loan.type';
import { requireScope } from './guard';

const MAX_PAGE = 100;

/** Wraps a borrower row for the caller. */
export function borrowerObject(_ctx: GraphQLContext, row: Borrower): BorrowerObject {
  return new BorrowerObject(row);
}

/**
 * Loads the borrower named by a global id; null when there is none or when this
 * client holds no consent from them (the two are indistinguishable to the client).
 */
export async function loadBorrower(ctx: GraphQLContext, id: string, argName = 'id'): Promise<BorrowerObject | null> {
  const [uuid] = expectGlobalId(id, 'Borrower', argName);
  if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid)) return null;
  if (!(await ctx.guard.visible(uuid))) return null;
  const row = await ctx.loaders.borrower.load(uuid);
  return row ? borrowerObject(ctx, row) : null;
}

/** Builds a credit view and reports failed providers as partial errors at the field's path. */
export async function creditViewFor(ctx: GraphQLContext, info: GraphQLResolveInfo, borrowerId: string, maxAgeSeconds?: number | null): Promise<CreditViewObject> {
  const parts = await providerParts(ctx, borrowerId, checkMaxAge(maxAgeSeconds));
  for (const e of partErrors(parts)) ctx.partial.report(info, e);
  return new CreditViewObject(borrowerId, parts, today(ctx));
}

/**
 * Validates a client's `maxAgeSeconds`.
 * @throws GraphQLError BAD_USER_INPUT when negative.
 */
export function checkMaxAge(v: number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (v < 0) throw new GraphQLError('"maxAgeSeconds" must be 0 or more', { extensions: { code: 'BAD_USER_INPUT', argumentName: 'maxAgeSeconds' } });
  return v;
}

const MAX_AGE_DOC = 'Serve provider data no older than this many seconds: older cached copies are refreshed from the provider; when the provider cannot answer, the answer carries FRESHNESS_NOT_MET with the stale copy marked stale. Default: the freshness policy.';

function encodeCursor(row: Borrower): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new GraphQLError('"after" is not a cursor from this connection', { extensions: { code: 'BAD_USER_INPUT', argumentName: 'after' } });
  }
}

@Resolver(() => BorrowerObject)
export class BorrowerResolver {
  @Query(() => BorrowerConnection, {
    description: 'Borrowers who consented to the calling client (any consent, current or past), oldest linked first, as a Relay connection. Needs `credit:read`. `first` is 1..100 (default 20).',
  })
  async borrowers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<BorrowerConnection> {
    requireScope(ctx, 'credit:read');
    if (first < 1 || first > MAX_PAGE) {
      throw new GraphQLError(`"first" must be between 1 and ${MAX_PAGE}`, { extensions: { code: 'BAD_USER_INPUT', argumentName: 'first' } });
    }
    const mine = { consents: { some: { clientId: ctx.client.id } } };
    const where = after
      ? (() => {
          const c = decodeCursor(after);
          return { AND: [mine, { OR: [{ createdAt: { gt: c.createdAt } }, { createdAt: c.createdAt, id: { gt: c.id } }] }] };
        })()
      : mine;
    const [rows, totalCount] = await Promise.all([
      ctx.prisma.borrower.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: first + 1 }),
      ctx.prisma.borrower.count({ where: mine }),
    ]);
    const page = rows.slice(0, first);
    for (const r of page) ctx.loaders.borrower.prime(r.id, r);
    const edges = page.map((r) => ({ cursor: encodeCursor(r), node: borrowerObject(ctx, r) }));
    return {
      edges,
      totalCount,
      pageInfo: {
        hasNextPage: rows.length > first,
        hasPreviousPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  @Query(() => BorrowerObject, { nullable: true, description: 'One borrower by global id; null when unknown. Needs `credit:read`.' })
  async borrower(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<BorrowerObject | null> {
    requireScope(ctx, 'credit:read');
    return loadBorrower(ctx, id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'NIK (KTP number; Dompet Kilat `idNumber`, Finfra `id_number`). Needs an ACTIVE consent covering IDENTITY; masked to the first and last 4 digits unless the client also has the `identity:read` scope. Null after erasure.',
  })
  async nik(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    await ctx.guard.allow(b.row.id, null, 'IDENTITY', 'API_READ');
    if (b.row.nik === null) return null;
    return ctx.client.scopes.has('identity:read') ? b.row.nik : maskNik(b.row.nik);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Name the borrower gave when consenting. Needs an ACTIVE consent covering IDENTITY. Null after erasure.' })
  async fullName(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    await ctx.guard.allow(b.row.id, null, 'IDENTITY', 'API_READ');
    return b.row.fullName;
  }

  @FieldResolver(() => [ProviderAccountObject], { description: "Linked accounts at the providers this client's consents name." })
  async accounts(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<ProviderAccountObject[]> {
    const rows = await consentedAccounts(ctx, b.row.id);
    return rows.map((a) => Object.assign(new ProviderAccountObject(), { provider: a.provider, linkedAt: a.linkedAt, accountId: a.id }));
  }

  @FieldResolver(() => [LoanObject], {
    description: 'Loans at every linked provider that answered; a provider that failed is reported as an error with `extensions.code` and `extensions.provider` while the rest is returned.',
  })
  async loans(
    @Root() b: BorrowerObject,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('maxAgeSeconds', () => Int, { nullable: true, description: MAX_AGE_DOC }) maxAgeSeconds?: number | null,
  ): Promise<LoanObject[]> {
    const parts = await providerParts(ctx, b.row.id, checkMaxAge(maxAgeSeconds));
    for (const e of partErrors(parts)) ctx.partial.report(info, e);
    const t = today(ctx);
    return loansOf(parts).map((l) => new LoanObject(l, b.row.id, t));
  }

  @FieldResolver(() => CreditViewObject, { description: "The borrower's credit view (same as Query.creditView)." })
  creditView(
    @Root() b: BorrowerObject,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('maxAgeSeconds', () => Int, { nullable: true, description: MAX_AGE_DOC }) maxAgeSeconds?: number | null,
  ): Promise<CreditViewObject> {
    return creditViewFor(ctx, info, b.row.id, maxAgeSeconds);
  }
}
