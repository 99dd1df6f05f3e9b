/** Borrower queries and relations. Thin: arguments in, a core service call, a GraphQL type out. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { CreditView } from '../../core/credit.service';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { expectGlobalId } from '../ids';
import { BorrowerConnection, BorrowerObject, ProviderAccountObject } from '../types/borrower.type';
import { CreditViewObject } from '../types/credit-view.type';
import { LoanObject } from '../types/loan.type';
import { rememberBorrower } from '../types/loan-access';

/** Reports a credit view's failed providers as partial errors at the field's path. */
export function reportParts(ctx: GraphQLContext, info: GraphQLResolveInfo, v: CreditView): CreditView {
  for (const p of v.parts) if (p.error) ctx.partial.report(info, new ProviderPartError(p.provider, p.error.code, p.error.message));
  return v;
}

/** The borrower named by a global id, when this client may see them; null otherwise. */
export async function loadBorrower(ctx: GraphQLContext, id: string, argName = 'id'): Promise<BorrowerObject | null> {
  const [uuid] = expectGlobalId(id, 'Borrower', argName);
  const row = uuid ? await ctx.core.borrowers.visible(ctx.scope, uuid) : null;
  return row ? new BorrowerObject(row) : null;
}

const MAX_AGE_DOC = 'Serve provider data no older than this many seconds: older cached copies are refreshed from the provider; when the provider cannot answer, the answer carries FRESHNESS_NOT_MET with the stale copy marked stale. Default: the freshness policy.';

@Resolver(() => BorrowerObject)
export class BorrowerResolver {
  @Authorized('credit:read')
  @Query(() => BorrowerConnection, {
    description: 'Borrowers who consented to the calling client (any consent, current or past), oldest linked first, as a Relay connection. Needs `credit:read`. `first` is 1..100 (default 20).',
  })
  async borrowers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<BorrowerConnection> {
    const p = await ctx.core.borrowers.page(ctx.scope, first, after);
    // The page's rows are the borrower loader's rows (page primes it): the borrower of their loans and views.
    const edges = p.edges.map((e) => {
      const node = new BorrowerObject(e.node);
      rememberBorrower(ctx, node);
      return { cursor: e.cursor, node };
    });
    return {
      edges,
      totalCount: p.totalCount,
      pageInfo: { hasNextPage: p.hasNextPage, hasPreviousPage: p.hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  @Authorized('credit:read')
  @Query(() => BorrowerObject, { nullable: true, description: 'One borrower by global id; null when unknown. Needs `credit:read`.' })
  borrower(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<BorrowerObject | null> {
    return loadBorrower(ctx, id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'NIK (KTP number; Dompet Kilat `idNumber`, Finfra `id_number`). Needs an ACTIVE consent covering IDENTITY; masked to the first and last 4 digits unless the client also has the `identity:read` scope. Null after erasure.',
  })
  async nik(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return (await ctx.core.borrowers.identity(ctx.scope, b.row)).nik;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Name the borrower gave when consenting. Needs an ACTIVE consent covering IDENTITY. Null after erasure.' })
  async fullName(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return (await ctx.core.borrowers.identity(ctx.scope, b.row)).fullName;
  }

  @FieldResolver(() => [ProviderAccountObject], { description: "Linked accounts at the providers this client's consents name." })
  async accounts(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext): Promise<ProviderAccountObject[]> {
    const rows = await ctx.core.credit.consentedAccounts(ctx.scope, b.row.id);
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
    const v = reportParts(ctx, info, await ctx.core.credit.creditView(ctx.scope, b.row.id, maxAgeSeconds));
    return CreditViewObject.of(v).loans;
  }

  @FieldResolver(() => CreditViewObject, { description: "The borrower's credit view (same as Query.creditView)." })
  async creditView(
    @Root() b: BorrowerObject,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('maxAgeSeconds', () => Int, { nullable: true, description: MAX_AGE_DOC }) maxAgeSeconds?: number | null,
  ): Promise<CreditViewObject> {
    return CreditViewObject.of(reportParts(ctx, info, await ctx.core.credit.creditView(ctx.scope, b.row.id, maxAgeSeconds)));
  }
}
