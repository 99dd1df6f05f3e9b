/** Borrower's funding fields (lender side). Thin: arguments in, a core service call, GraphQL types out. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, Info, Int, Resolver, Root } from 'type-graphql';
import type { FundingPart } from '../../core/funding.service';
import { FundingService } from '../../core/funding.service';
import { fundingTotals } from '../../domain/funding';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { BorrowerObject } from '../types/borrower.type';
import { FundingPositionObject, FundingTotalObject } from '../types/funding.type';

const MAX_AGE_DOC =
  'Serve positions no older than this many seconds: older cached copies are read again from the provider; when the provider cannot answer, the answer carries FRESHNESS_NOT_MET with the stale copy marked stale. Default: the freshness policy (at most 6 hours, never past the Jakarta midnight after the fetch).';

/** Reports refused or failed providers as partial errors at the field's path. */
function reportParts(ctx: GraphQLContext, info: GraphQLResolveInfo, parts: readonly FundingPart[]): readonly FundingPart[] {
  for (const p of parts) if (p.error) ctx.partial.report(info, new ProviderPartError(p.provider, p.error.code, p.error.message));
  return parts;
}

@Resolver(() => BorrowerObject)
export class FundingResolver {
  @FieldResolver(() => [FundingPositionObject], {
    description:
      "The borrower's positions as a lender at providers with a funding side (Cairin), at providers this client's consents name. Needs an ACTIVE consent covering FUNDING for the provider: a provider without one is reported as an error (`CONSENT_REQUIRED`, ...) with `extensions.provider`, and so is a provider that failed, while the rest is returned. Empty when the borrower has no such account.",
  })
  async fundingPositions(
    @Root() b: BorrowerObject,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('maxAgeSeconds', () => Int, { nullable: true, description: MAX_AGE_DOC }) maxAgeSeconds?: number | null,
  ): Promise<FundingPositionObject[]> {
    const parts = reportParts(ctx, info, await ctx.core.funding.parts(ctx.scope, b.row.id, maxAgeSeconds));
    return parts.flatMap((p) => (p.positions && p.freshness ? p.positions.map((x) => new FundingPositionObject(x, p.freshness!)) : []));
  }

  @FieldResolver(() => FundingTotalObject, {
    description: "Totals over the borrower's open funding positions (same reads and consent rules as `fundingPositions`).",
  })
  async fundingTotal(
    @Root() b: BorrowerObject,
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('maxAgeSeconds', () => Int, { nullable: true, description: MAX_AGE_DOC }) maxAgeSeconds?: number | null,
  ): Promise<FundingTotalObject> {
    const parts = reportParts(ctx, info, await ctx.core.funding.parts(ctx.scope, b.row.id, maxAgeSeconds));
    return new FundingTotalObject(fundingTotals(FundingService.positionsOf(parts)), parts.every((p) => p.error === null));
  }
}
