/** Borrower queries and relations. Thin: arguments in, loader/service call, GraphQL type out. */
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { Borrower } from '../../generated/prisma/client';
import { loansOf, partErrors, providerParts, today } from '../../services/credit.service';
import type { GraphQLContext } from '../context';
import { expectGlobalId } from '../ids';
import { BorrowerConnection, BorrowerObject, ProviderAccountObject } from '../types/borrower.type';
import { CreditViewObject } from '../types/credit-view.type';
import { LoanObject } from '../types/loan.type';
import { requireScope } from './guard';

const MAX_PAGE = 100;

/** Wraps a borrower row for the caller. */
export function borrowerObject(ctx: GraphQLContext, row: Borrower): BorrowerObject {
  return new BorrowerObject(row, ctx.client.scopes.has('identity:read'));
}

/** Loads the borrower named by a global id; null when there is none. */
export async function loadBorrower(ctx: GraphQLContext, id: string, argName = 'id'): Promise<BorrowerObject | null> {
  const [uuid] = expectGlobalId(id, 'Borrower', argName);
  if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid)) return null;
  const row = await ctx.loaders.borrower.load(uuid);
  return row ? borrowerObject(ctx, row) : null;
}

/** Builds a credit view and reports failed providers as partial errors at the field's path. */
export async function creditViewFor(ctx: GraphQLContext, info: GraphQLResolveInfo, borrowerId: string): Promise<CreditViewObject> {
  const parts = await providerParts(ctx, borrowerId);
  for (const e of partErrors(parts)) ctx.partial.report(info, e);
  return new CreditViewObject(borrowerId, parts, today(ctx));
}

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
  @Query(() => BorrowerConnection, { description: 'Borrowers, oldest linked first, as a Relay connection. Needs `credit:read`. `first` is 1..100 (default 20).' })
  async borrowers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<BorrowerConnection> {
    requireScope(ctx, 'credit:read');
    if (first < 1 || first > MAX_PAGE) {
      throw new GraphQLError(`"first" must be between 1 and ${MAX_PAGE}`, { extensions: { code: 'BAD_USER_INPUT', argumentName: 'first' } });
    }
    const where = after
      ? (() => {
          const c = decodeCursor(after);
          return { OR: [{ createdAt: { gt: c.createdAt } }, { createdAt: c.createdAt, id: { gt: c.id } }] };
        })()
      : {};
    const [rows, totalCount] = await Promise.all([
      ctx.prisma.borrower.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: first + 1 }),
      ctx.prisma.borrower.count(),
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

  @FieldResolver(() => [ProviderAccountObject], { description: 'Linked provider accounts.' })
  async accounts(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<ProviderAccountObject[]> {
    const rows = await ctx.loaders.accountsOfBorrower.load(b.row.id);
    return rows.map((a) => Object.assign(new ProviderAccountObject(), { provider: a.provider, linkedAt: a.linkedAt, accountId: a.id }));
  }

  @FieldResolver(() => [LoanObject], {
    description: 'Loans at every linked provider that answered; a provider that failed is reported as an error with `extensions.code` and `extensions.provider` while the rest is returned.',
  })
  async loans(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<LoanObject[]> {
    const parts = await providerParts(ctx, b.row.id);
    for (const e of partErrors(parts)) ctx.partial.report(info, e);
    const t = today(ctx);
    return loansOf(parts).map((l) => new LoanObject(l, b.row.id, t));
  }

  @FieldResolver(() => CreditViewObject, { description: "The borrower's credit view (same as Query.creditView)." })
  creditView(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<CreditViewObject> {
    return creditViewFor(ctx, info, b.row.id);
  }
}
