/** Borrower queries and relations. Thin: arguments in, a core service call, a GraphQL type out. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { CreditView } from '../../core/credit.service';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { expectGlobalId } from '../ids';
import { pageOfArray } from '../../core/paging';
import { BorrowerConnection, BorrowerObject, ProviderAccountObject } from '../types/borrower.type';
import { type ConnectionSpec, pageArgDocs, pageWindow, toConnection } from '../types/connection.type';
import { CreditViewObject } from '../types/credit-view.type';
import { LoanConnection, LoanObject } from '../types/loan.type';
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

const BORROWER_PAGE: ConnectionSpec = { tag: 'Borrower', key: ['date', 'uuid'], defaultSize: 20, maxSize: 100 };
const BORROWER_PAGE_DOCS = pageArgDocs(BORROWER_PAGE);
const LOAN_PAGE: ConnectionSpec = { tag: 'Loan', key: ['string', 'string'], defaultSize: 50, maxSize: 100 };
const LOAN_PAGE_DOCS = pageArgDocs(LOAN_PAGE);

const MAX_AGE_DOC = 'Serve provider data no older than this many seconds: older cached copies are refreshed from the provider; when the provider cannot answer, the answer carries FRESHNESS_NOT_MET with the stale copy marked stale. Default: the freshness policy.';

@Resolver(() => BorrowerObject)
export class BorrowerResolver {
  @Authorized('credit:read')
  @Query(() => BorrowerConnection, {
    description: 'Borrowers who consented to the calling client (any consent, current or past), oldest linked first, as a Relay connection. Needs `credit:read`.',
  })
  async borrowers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: BORROWER_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: BORROWER_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: BORROWER_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: BORROWER_PAGE_DOCS.before }) before: string | null,
  ): Promise<BorrowerConnection> {
    const p = await ctx.core.borrowers.page(ctx.scope, pageWindow(BORROWER_PAGE, { first, after, last, before }));
    // The page's rows are the borrower loader's rows (page primes it): the borrower of their loans and views.
    return toConnection(BORROWER_PAGE, p, (r) => [r.createdAt, r.id], (row) => {
      const node = new BorrowerObject(row);
      rememberBorrower(ctx, node);
      return node;
    });
  }

  @Authorized('credit:read')
  @Query(() => BorrowerObject, { nullable: true, description: 'One borrower by global id; null when unknown. Needs `credit:read`.' })
  borrower(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: 'Global id of the borrower (Borrower.id).' }) id: string): Promise<BorrowerObject | null> {
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
    deprecationReason: 'Use loansConnection',
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

  @FieldResolver(() => LoanConnection, {
    description:
      "The borrower's loans at every linked provider that answered, as a Relay connection ordered by provider (CAIRIN, DOMPET_KILAT, FINFRA: the Provider value), then by providerLoanId. A provider that failed is reported as an error with `extensions.code` and `extensions.provider` while the rest is returned; `totalCount` counts the loans of the providers that answered.",
  })
  async loansConnection(
    @Root() b: BorrowerObject,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('maxAgeSeconds', () => Int, { nullable: true, description: MAX_AGE_DOC }) maxAgeSeconds: number | null,
    @Arg('first', () => Int, { nullable: true, description: LOAN_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: LOAN_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: LOAN_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: LOAN_PAGE_DOCS.before }) before: string | null,
  ): Promise<LoanConnection> {
    const window = pageWindow(LOAN_PAGE, { first, after, last, before });
    const v = CreditViewObject.of(reportParts(ctx, info, await ctx.core.credit.creditView(ctx.scope, b.row.id, maxAgeSeconds)));
    const key = (l: LoanObject) => [l.provider, l.providerLoanId];
    return toConnection(LOAN_PAGE, pageOfArray(v.loans, key, 'asc', window), key, (l) => l);
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
