/**
 * `loanChanged(borrowerId)`: pushes ledger changes (repayments, settlements,
 * loan status) of one borrower's loans over graphql-ws, under the same rules as
 * queries: `credit:read`, an ACTIVE consent from the borrower at subscribe
 * time, and at every push a fresh consent check for that provider (a revoked
 * consent stops the pushes). The stream comes from the core (LoanChanges over
 * the publisher). `consentStatusChanged(id)`: a client's consent at each status
 * change (the outcome of the borrower's consent page, among others).
 */
import { Arg, Authorized, Field, ID, ObjectType, registerEnumType, Resolver, Root, Subscription } from 'type-graphql';
import type { LoanChangeNotice } from '../../core/loan-changes';
import type { GraphQLContext } from '../context';
import { checkScopes, toGraphQLError } from '../errors';
import { expectGlobalId, toGlobalId } from '../ids';
import { DateTimeScalar } from '../scalars';
import { ConsentObject } from '../types/consent.type';
import { enumOf, ProviderEnum } from '../types/enums';
import { effectiveStatus } from '../../domain/consent';

export const LoanChangeKindEnum = enumOf('REPAYMENT', 'SETTLEMENT', 'STATUS', 'INSTALLMENT', 'DISBURSEMENT', 'OTHER');
registerEnumType(LoanChangeKindEnum, {
  name: 'LoanChangeKind',
  description: "What kind of event changed a loan (LoanChange.changeKind; the deprecated LoanChange.kind gave it in lowercase provider words).",
  valuesConfig: {
    REPAYMENT: { description: 'A repayment was received (Finfra `invoice`/`va` callbacks, Dompet Kilat repayment callback): kind "repayment".' },
    SETTLEMENT: { description: 'A bank settlement (SNAP payment notification) cleared or failed a repayment: kind "settlement".' },
    STATUS: { description: "The provider reported the loan's status (Finfra `loan` callback): kind \"loan\"." },
    INSTALLMENT: { description: 'The provider reported an installment (Finfra `bnpl` callback): kind "bnpl".' },
    DISBURSEMENT: { description: 'The money was sent to the borrower (Dompet Kilat disbursement callback): kind "disbursement".' },
    OTHER: { description: 'Another provider event that touched the loan (kind: its event type).' },
  },
});

@ObjectType('LoanChange', { description: "A change to one of the borrower's loans, applied from a provider or bank event. Refetch the loan by `loanId` for its new state." })
export class LoanChangeObject {
  @Field(() => ID, { description: 'Global id of the changed Loan.' })
  loanId!: string;

  @Field(() => ProviderEnum, { description: 'The provider the loan is at.' })
  provider!: string;

  @Field(() => String, { description: "The provider's loan id (Loan.providerLoanId)." })
  providerLoanId!: string;

  @Field(() => String, { description: 'What changed, in lowercase: repayment, settlement, loan (status), bnpl, disbursement.', deprecationReason: 'Use changeKind' })
  kind!: string;

  @Field(() => LoanChangeKindEnum, { description: 'What changed: the kind of provider or bank event that was applied.' })
  changeKind!: string;

  @Field(() => DateTimeScalar, { description: 'When the change was applied to the ledger.' })
  at!: Date;
}

/** The change kind of an event kind (the stored event's kind: src/core/publisher.ts LedgerChange.kind). */
function changeKindOf(kind: string): keyof typeof LoanChangeKindEnum {
  switch (kind) {
    case 'repayment':
      return 'REPAYMENT';
    case 'settlement':
      return 'SETTLEMENT';
    case 'loan':
      return 'STATUS';
    case 'bnpl':
      return 'INSTALLMENT';
    case 'disbursement':
      return 'DISBURSEMENT';
    default:
      return 'OTHER';
  }
}

async function* asObjects(changes: AsyncIterable<LoanChangeNotice>): AsyncGenerator<LoanChangeObject> {
  for await (const c of changes) {
    yield Object.assign(new LoanChangeObject(), { loanId: toGlobalId('Loan', c.accountId, c.providerLoanId), provider: c.provider, providerLoanId: c.providerLoanId, kind: c.kind, changeKind: changeKindOf(c.kind), at: c.at });
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
  loanChanged(@Root() change: LoanChangeObject, @Arg('borrowerId', () => ID, { description: 'Global id of the borrower (Borrower.id).' }) _borrowerId: string): LoanChangeObject {
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
  consentStatusChanged(@Root() consent: ConsentObject, @Arg('id', () => ID, { description: 'The consent id (Consent.id).' }) _id: string): ConsentObject {
    return consent;
  }
}
