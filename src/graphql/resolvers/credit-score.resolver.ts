/** Borrower fields for credit scores and provider profiles. Thin: a core service call, GraphQL types out. */
import type { GraphQLResolveInfo } from 'graphql';
import { Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import type { PartsOf } from '../../core/credit-score.service';
import type { GraphQLContext } from '../context';
import { ProviderPartError } from '../errors';
import { BorrowerObject } from '../types/borrower.type';
import { CreditScoreObject, ProviderProfileObject } from '../types/credit-score.type';

/** Reports the providers left out of a per-provider list as partial errors at the field's path; returns the items. */
function reported<T>(ctx: GraphQLContext, info: GraphQLResolveInfo, parts: PartsOf<T>): T[] {
  for (const f of parts.failures) ctx.partial.report(info, new ProviderPartError(f.provider, f.code, f.message));
  return parts.items;
}

@Resolver(() => BorrowerObject)
export class BorrowerCreditScoreResolver {
  @FieldResolver(() => [CreditScoreObject], {
    description:
      "Credit scores providers sent for the borrower's linked accounts (Finfra `user_credit_score` callbacks), the latest per provider and source, newest `scoredAt` first. Needs an ACTIVE consent covering CREDIT_SCORE for the provider: a provider the client's consents name without it is reported as an error with `extensions.code` (CONSENT_REQUIRED, CONSENT_REVOKED, CONSENT_EXPIRED) and `extensions.provider`, and none of its scores is returned.",
  })
  async creditScores(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<CreditScoreObject[]> {
    return reported(ctx, info, await ctx.core.creditScores.scores(ctx.scope, b.row.id)).map((s) => new CreditScoreObject(s));
  }

  @FieldResolver(() => [ProviderProfileObject], {
    description:
      "The borrower's profile at each linked provider (borrower type and KYC status), read live from the provider. Identity data: needs an ACTIVE consent covering IDENTITY for the provider; a provider not covered, or failing, is reported as an error with `extensions.code` and `extensions.provider` while the others are returned.",
  })
  async providerProfiles(@Root() b: BorrowerObject, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<ProviderProfileObject[]> {
    return reported(ctx, info, await ctx.core.creditScores.profiles(ctx.scope, b.row.id)).map((p) => new ProviderProfileObject(p));
  }
}
