/** Operator queries: stored webhook events (waiting, applied, dead-lettered), replaying dead letters, and money that matched nothing. */
import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Query, registerEnumType, Resolver } from 'type-graphql';
import type { WebhookEvent } from '../../generated/prisma/client';
import type { GraphQLContext } from '../context';
import { BadUserInputError } from '../errors';
import { DateTimeScalar } from '../scalars';
import { enumOf } from '../types/enums';
import { isUuid } from '../../domain/ids';
import type { UnmatchedMoney } from '../../core/unmatched-money';
import { MoneyObject } from '../types/money.type';
import { Connection, type ConnectionSpec, pageArgDocs, pageWindow, toConnection } from '../types/connection.type';

export const WebhookEventStatusEnum = enumOf('PENDING', 'APPLIED', 'DEAD');
registerEnumType(WebhookEventStatusEnum, {
  name: 'WebhookEventStatus',
  description: "A stored webhook event's state.",
  valuesConfig: {
    PENDING: { description: 'Acknowledged and stored; waiting to be applied, or retrying after a failed try.' },
    APPLIED: { description: 'Applied to the ledger (or recorded, when it has no ledger effect).' },
    DEAD: { description: 'Every try failed; dead-lettered until replayed with `webhookEventReplay`.' },
  },
});

@ObjectType('WebhookEvent', { description: 'A provider or bank webhook event as stored before it was acknowledged (payload not shown).' })
export class WebhookEventObject {
  constructor(readonly e: WebhookEvent) {}

  @Field(() => ID, { description: 'Stored event id.' })
  get id(): string {
    return this.e.id;
  }

  @Field(() => String, { description: 'FINFRA, DOMPET_KILAT, or SNAP_<BANK>.' })
  get source(): string {
    return this.e.source;
  }

  @Field(() => String, { description: "The event kind in the sender's words (Finfra `type`, disbursement, repayment, payment_notification)." })
  get kind(): string {
    return this.e.kind;
  }

  @Field(() => WebhookEventStatusEnum, { description: 'Where it stands.' })
  get status(): string {
    return this.e.deadAt ? 'DEAD' : this.e.appliedAt ? 'APPLIED' : 'PENDING';
  }

  @Field(() => String, { nullable: true, description: 'APPLIED, RECORDED (no ledger effect) or DEAD.' })
  get outcome(): string | null {
    return this.e.outcome;
  }

  @Field(() => Int, { description: 'Application tries so far.' })
  get attempts(): number {
    return this.e.attempts;
  }

  @Field(() => String, { nullable: true, description: "The last failed try's error." })
  get error(): string | null {
    return this.e.error;
  }

  @Field(() => DateTimeScalar, { description: 'When it was stored (and acknowledged).' })
  get receivedAt(): Date {
    return this.e.receivedAt;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was applied.' })
  get appliedAt(): Date | null {
    return this.e.appliedAt;
  }

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was dead-lettered.' })
  get deadAt(): Date | null {
    return this.e.deadAt;
  }
}

@ObjectType('WebhookEventPage', { description: 'A page of stored webhook events, newest first.' })
export class WebhookEventPage {
  @Field(() => [WebhookEventObject], { description: 'The events of this page.' })
  nodes!: WebhookEventObject[];

  @Field(() => Boolean, { description: 'Whether more events follow.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page.' })
  endCursor!: string | null;
}

export const { ConnectionType: WebhookEventConnection, Edge: WebhookEventEdge } = Connection('WebhookEvent', WebhookEventObject, 'stored webhook event');
export type WebhookEventConnection = InstanceType<typeof WebhookEventConnection>;
const EVENT_PAGE: ConnectionSpec = { tag: 'WebhookEvent', key: ['date', 'uuid'], defaultSize: 50, maxSize: 200 };
const EVENT_PAGE_DOCS = pageArgDocs(EVENT_PAGE);

@ObjectType('WebhookEventReplayPayload', { description: 'What `webhookEventReplay` answers.' })
export class WebhookEventReplayPayload {
  @Field(() => WebhookEventObject, { nullable: true, description: 'The event, back in line (PENDING).' })
  event!: WebhookEventObject | null;

  @Field(() => String, { nullable: true, description: 'Why nothing was replayed (NOT_FOUND: no such dead-lettered event).' })
  errorCode!: string | null;
}



export const UnmatchedKindEnum = enumOf('UNKNOWN_LOAN', 'UNKNOWN_REFERENCE', 'AMOUNT_MISMATCH');
registerEnumType(UnmatchedKindEnum, {
  name: 'UnmatchedMoneyKind',
  description: 'Why money matched nothing.',
  valuesConfig: {
    UNKNOWN_LOAN: { description: 'A repayment or status event (applied to the ledger) for a provider loan id no provider read has shown (Finfra `loanUniqueId`, Dompet Kilat `loanCode`); it applies to the loan as soon as a read shows it.' },
    UNKNOWN_REFERENCE: { description: 'A bank settlement whose reference (`paymentRequestId`) names no repayment we know.' },
    AMOUNT_MISMATCH: { description: 'A bank settlement naming a pending repayment for another amount: it clears nothing (the loan carries a SETTLEMENT_AMOUNT_MISMATCH issue).' },
  },
});

@ObjectType('UnmatchedMoney', { simpleResolvers: true, description: 'Money that arrived against nothing we know (src/core/unmatched-money.ts). Amounts in integer rupiah.' })
export class UnmatchedMoneyObject {
  @Field(() => UnmatchedKindEnum, { description: 'Why it matched nothing.' })
  readonly kind: string;

  @Field(() => String, { nullable: true, description: 'CAIRIN, FINFRA or DOMPET_KILAT, when known.' })
  readonly provider: string | null;

  @Field(() => String, { nullable: true, description: "The provider's loan id the event named, when it named one." })
  readonly providerLoanId: string | null;

  @Field(() => String, { nullable: true, description: "The repayment's id (UNKNOWN_LOAN) or the settlement's reference." })
  readonly reference: string | null;

  @Field(() => MoneyObject, { nullable: true, description: 'The money that arrived; null for a status event.' })
  readonly amount: MoneyObject | null;

  @Field(() => MoneyObject, { nullable: true, description: "AMOUNT_MISMATCH: the repayment's own amount." })
  readonly expectedAmount: MoneyObject | null;

  @Field(() => String, { nullable: true, description: 'The bank of a settlement (BCA, MANDIRI, BRI, BNI).' })
  readonly bank: string | null;

  @Field(() => DateTimeScalar, { description: 'When the money was paid or settled (or the status event applied).' })
  readonly at: Date;

  constructor(u: UnmatchedMoney) {
    this.kind = u.kind;
    this.provider = u.provider;
    this.providerLoanId = u.providerLoanId;
    this.reference = u.reference;
    this.amount = u.amount === null ? null : MoneyObject.of(u.amount);
    this.expectedAmount = u.expectedAmount === null ? null : MoneyObject.of(u.expectedAmount);
    this.bank = u.bank;
    this.at = u.at;
  }
}

@Resolver()
export class OpsResolver {
  @Authorized('ops:read')
  @Query(() => [UnmatchedMoneyObject], {
    description:
      'Money that arrived against nothing we know, newest first: events for loans no provider read has shown, bank settlements naming no known repayment or naming one for another amount. Counted in /metrics (satukredit_unmatched_money). `first` 1..200 (default 50). Needs `ops:read`.',
  })
  async unmatchedMoney(@Ctx() ctx: GraphQLContext, @Arg('first', () => Int, { defaultValue: 50, description: 'How many, 1..200.' }) first: number): Promise<UnmatchedMoneyObject[]> {
    if (first < 1 || first > 200) throw new BadUserInputError('"first" must be between 1 and 200', 'first');
    return (await ctx.core.unmatched.list(first)).map((u) => new UnmatchedMoneyObject(u));
  }

  @Authorized('ops:read')
  @Query(() => WebhookEventConnection, {
    description: 'Stored provider and bank webhook events for operators, newest received first, optionally by status (DEAD: the dead letters), as a Relay connection. Needs `ops:read`.',
  })
  async webhookEventsConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('status', () => WebhookEventStatusEnum, { nullable: true, description: 'Only events in this state; all when not given.' }) status: 'PENDING' | 'APPLIED' | 'DEAD' | null,
    @Arg('first', () => Int, { nullable: true, description: EVENT_PAGE_DOCS.first }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: EVENT_PAGE_DOCS.after }) after: string | null,
    @Arg('last', () => Int, { nullable: true, description: EVENT_PAGE_DOCS.last }) last: number | null,
    @Arg('before', () => String, { nullable: true, description: EVENT_PAGE_DOCS.before }) before: string | null,
  ): Promise<WebhookEventConnection> {
    const page = await ctx.core.events.page(status ?? null, pageWindow(EVENT_PAGE, { first, after, last, before }));
    return toConnection(EVENT_PAGE, page, (r) => [r.receivedAt, r.id], (r) => new WebhookEventObject(r));
  }

  @Authorized('ops:read')
  @Query(() => WebhookEventPage, {
    description: 'Stored webhook events for operators, newest first, optionally by status (DEAD: the dead letters). `first` 1..200 (default 50). Needs `ops:read`.',
    deprecationReason: 'Use webhookEventsConnection',
  })
  async webhookEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('status', () => WebhookEventStatusEnum, { nullable: true, description: 'Only events in this state.' }) status: 'PENDING' | 'APPLIED' | 'DEAD' | null,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1..200.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: '`endCursor` of the previous page.' }) after: string | null,
  ): Promise<WebhookEventPage> {
    if (first < 1 || first > 200) throw new BadUserInputError('"first" must be between 1 and 200', 'first');
    if (after != null && !isUuid(after)) throw new BadUserInputError('"after" is not a cursor of this list', 'after');
    const page = await ctx.core.events.list(status ?? null, first, after ?? null);
    return { nodes: page.rows.map((r) => new WebhookEventObject(r)), hasNextPage: page.hasNext, endCursor: page.rows.at(-1)?.id ?? null };
  }

  @Authorized('ops:write')
  @Mutation(() => WebhookEventReplayPayload, { description: 'Puts a dead-lettered webhook event back in line to be applied (tries counted afresh). Needs `ops:write`.' })
  async webhookEventReplay(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: 'The stored event id.' }) id: string): Promise<WebhookEventReplayPayload> {
    const e = isUuid(id) ? await ctx.core.events.replay(id) : null;
    return e ? { event: new WebhookEventObject(e), errorCode: null } : { event: null, errorCode: 'NOT_FOUND' };
  }
}
