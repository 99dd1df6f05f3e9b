/**
 * `loanChanged(borrowerId)`: pushes ledger changes (repayments, settlements,
 * loan status) of one borrower's loans over graphql-ws, under the same rules as
 * queries: `credit:read`, an ACTIVE consent from the borrower at subscribe
 * time, and at every push a fresh consent check for that provider (a revoked
 * consent stops the pushes). The stream comes from the core (LoanChanges over
 * the publisher). `consentStatusChanged(id)`: a client's consent at each status
 * change (the outcome of the borrower's consent page, among others).
 */
import { Arg, Authorized, Field, ID, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import type { LoanChangeNotice } from '../../core/loan-changes';
import type { GraphQLContext } from '../context';
import { checkScopes, toGraphQLError } from '../errors';
import { expectGlobalId, toGlobalId } from '../ids';
import { DateTimeScalar } from '../scalars';
import { ConsentObject } from '../types/consent.type';
import { ProviderEnum } from '../types/enums';
import { effectiveStatus } from '../../domain/consent';

@ObjectType('LoanChange', { description: "A change to one of the borrower's loans, applied from a provider or bank event. Refetch the loan by `loanId` for its new state." })
export class LoanChangeObject {
  @Field(() => ID, { description: 'Global id of the changed Loan.' })
  loanId!: string;

  @Field(() => ProviderEnum)
  provider!: string;

  @Field(() => String)
  providerLoanId!: string;

  @Field(() => String, { description: 'What changed: repayment, settlement, loan (status), bnpl, disbursement.' })
  kind!: string;

  @Field(() => DateTimeScalar)
  at!: Date;
}

async function* asObjects(changes: AsyncIterable<LoanChangeNotice>): AsyncGenerator<LoanChangeObject> {
  for await (const c of changes) {
    yield Object.assign(new LoanChangeObject(), { loanId: toGlobalId('Loan', c.accountId, c.providerLoanId), provider: c.provider, providerLoanId: c.providerLoanId, kind: c.kind, at: c.at });
  }
}

@Resolver()
export class SubscriptionResolver {
  @Authorized('credit:read')
  @Subscription(() => LoanChangeObject, {
    description: "Changes to a borrower's loans as provider and bank events are applied (graphql-ws at /graphql). Needs `credit:read` and an ACTIVE consent from the borrower.",
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      checkScopes(ctx.scope.client.scopes, ['credit:read']);
      const [uuid] = expectGlobalId(args.borrowerId as string, 'Borrower', 'borrowerId');
      try {
        return asObjects(await ctx.core.changes.open(ctx.scope, uuid ?? ''));
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  })
  loanChanged(@Root() change: LoanChangeObject, @Arg('borrowerId', () => ID) _borrowerId: string): LoanChangeObject {
    return change;
  }

  @Authorized('credit:read', 'consent:write')
  @Subscription(() => ConsentObject, {
    description:
      "The consent each time its status changes (the borrower approves or declines, the link lapses, the consent is paused, resumed, revoked or expires), over graphql-ws at /graphql. Only this client's consents. Needs `credit:read` or `consent:write`.",
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      checkScopes(ctx.scope.client.scopes, ['credit:read', 'consent:write']);
      try {
        const changes = await ctx.core.consents.watch(ctx.scope.client.id, String(args.id));
        return (async function* () {
          for await (const c of changes) yield new ConsentObject(c, effectiveStatus(c, ctx.scope.clock.now()));
        })();
      } catch (e) {
        throw toGraphQLError(e);
      }
    },
  })
  consentStatusChanged(@Root() consent: ConsentObject, @Arg('id', () => ID) _id: string): ConsentObject {
    return consent;
  }
}
