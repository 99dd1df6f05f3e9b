/** Funding positions (the borrower as a lender on a provider's funding side). */
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { jakartaDate } from '../../domain/dates';
import type { Freshness } from '../../domain/freshness';
import type { FundingPosition, FundingTotals } from '../../domain/funding';
import { DateScalar } from '../scalars';
import { ProviderEnum, enumOf } from './enums';
import { FreshnessObject, TenorObject } from './loan.type';
import { MoneyObject } from './money.type';

export const FundingStatusEnum = enumOf('PENDING', 'ACTIVE', 'MATURED', 'CANCELLED');
registerEnumType(FundingStatusEnum, {
  name: 'FundingStatus',
  description: 'Lifecycle of a funding position.',
  valuesConfig: {
    PENDING: { description: 'Placed, waiting to be allocated to loans; accrues nothing yet (Cairin pending_allocation).' },
    ACTIVE: { description: 'Allocated and accruing its benefit (Cairin active).' },
    MATURED: { description: 'Its tenor ended: the benefit over the whole tenor is accrued (Cairin matured).' },
    CANCELLED: { description: 'Withdrawn or refunded before allocation; accrues nothing (Cairin cancelled).' },
  },
});

@ObjectType('FundingPosition', {
  simpleResolvers: true,
  description: "One of the borrower's positions as a lender on a provider's funding side (Cairin's funding product: from IDR 1,000,000 over 60-91 days at up to 11% a year).",
})
export class FundingPositionObject {
  @Field(() => ProviderEnum, { description: 'The provider the position is at.' })
  readonly provider: string;

  @Field(() => String, { description: "The provider's id of the position (Cairin `fundingId`)." })
  readonly positionId: string;

  @Field(() => MoneyObject, { description: 'Money placed (Cairin `amount`).' })
  readonly amount: MoneyObject;

  @Field(() => DateScalar, { description: 'Jakarta date the position starts accruing (Cairin `startDate`; for PENDING the planned start).' })
  readonly startedOn: string;

  @Field(() => TenorObject, { description: 'Length of the position, always in days (Cairin `tenorDays`, 60-91).' })
  readonly tenor: TenorObject;

  @Field(() => DateScalar, { description: 'Jakarta date the position matures (Cairin `maturityDate`).' })
  readonly maturesOn: string;

  @Field(() => String, { description: 'Stated economic benefit per year, an exact decimal percentage string, e.g. "10.5" (Cairin `annualBenefitPct`, at most 11).' })
  readonly annualRatePercent: string;

  @Field(() => MoneyObject, { description: 'Benefit accrued so far as the provider states it (Cairin `accruedBenefit`); over the whole tenor once MATURED.' })
  readonly accruedBenefit: MoneyObject;

  @Field(() => DateScalar, {
    description:
      'The Jakarta date `accruedBenefit` is stated for: the day it was fetched from the provider (a cached copy is never kept past the Jakarta midnight after its fetch, so this is today unless the copy is stale).',
  })
  readonly accruedAsOf: string;

  @Field(() => FundingStatusEnum, { description: 'Lifecycle status (Cairin `status`).' })
  readonly status: string;

  @Field(() => FreshnessObject, { description: 'When the positions were fetched from the provider, from where, and whether stale (the same for every position of a provider).' })
  readonly freshness: FreshnessObject;

  constructor(p: FundingPosition, f: Freshness) {
    this.provider = p.provider;
    this.positionId = p.positionId;
    this.amount = MoneyObject.of(p.amount);
    this.startedOn = p.startedOn;
    this.tenor = Object.assign(new TenorObject(), { value: p.tenorDays, unit: 'DAY' });
    this.maturesOn = p.maturesOn;
    this.annualRatePercent = p.annualRatePercent;
    this.accruedBenefit = MoneyObject.of(p.accruedBenefit);
    this.accruedAsOf = jakartaDate(f.fetchedAt);
    this.status = p.status;
    this.freshness = new FreshnessObject(f);
  }
}

@ObjectType('FundingTotal', { simpleResolvers: true, description: "Totals over the borrower's open (PENDING and ACTIVE) funding positions at the providers that answered." })
export class FundingTotalObject {
  @Field(() => MoneyObject, { description: 'Money placed in open positions (not yet returned).' })
  readonly placed: MoneyObject;

  @Field(() => MoneyObject, { description: 'Benefit accrued so far on open positions.' })
  readonly accruedBenefit: MoneyObject;

  @Field(() => Int, { description: 'Number of open positions.' })
  readonly openPositions: number;

  @Field(() => Boolean, { description: 'False when a provider with a funding side was refused or could not be read: its part is left out, or its last cached copy counted and marked stale (see the errors).' })
  readonly complete: boolean;

  constructor(t: FundingTotals, complete: boolean) {
    this.placed = MoneyObject.of(t.placed);
    this.accruedBenefit = MoneyObject.of(t.accruedBenefit);
    this.openPositions = t.openCount;
    this.complete = complete;
  }
}
