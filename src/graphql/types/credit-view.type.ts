import { Authorized, Field, Int, ObjectType } from 'type-graphql';
import { creditTotals } from '../../domain/credit';
import { loanOutstanding } from '../../domain/credit';
import { sum } from '../../domain/money';
import type { ProviderPart } from '../../services/credit.service';
import { loansOf } from '../../services/credit.service';
import type { Loan } from '../../domain/types';
import { DateScalar } from '../scalars';
import { ProviderEnum, ProviderHealthEnum } from './enums';
import { InstallmentObject, LoanObject } from './loan.type';
import { MoneyObject } from './money.type';

@ObjectType('ScheduledPayment', { description: 'An installment together with its loan.' })
export class ScheduledPaymentObject {
  @Field(() => LoanObject)
  loan!: LoanObject;

  @Field(() => InstallmentObject)
  installment!: InstallmentObject;
}

@ObjectType('ProviderCreditStatus', { description: "One provider's part of a credit view." })
export class ProviderCreditStatusObject {
  constructor(private readonly part: ProviderPart) {}

  @Field(() => ProviderEnum)
  get provider(): string {
    return this.part.provider;
  }

  @Field(() => ProviderHealthEnum, { description: 'OK when the provider answered; UNAVAILABLE when it failed; NO_CONSENT when no ACTIVE consent covers it (no call was made). Either way its part is missing from the totals.' })
  get health(): string {
    if (!this.part.error) return 'OK';
    return this.part.error.code.startsWith('CONSENT_') ? 'NO_CONSENT' : 'UNAVAILABLE';
  }

  @Field(() => String, { nullable: true, description: 'Error code when not OK: PROVIDER_UNAVAILABLE, PROVIDER_TIMEOUT, PROVIDER_BAD_RESPONSE, CONSENT_REQUIRED, CONSENT_REVOKED, CONSENT_EXPIRED.' })
  get errorCode(): string | null {
    return this.part.error?.code ?? null;
  }

  @Field(() => Int, { nullable: true, description: 'Loans read from this provider; null when UNAVAILABLE.' })
  get loanCount(): number | null {
    return this.part.loans?.length ?? null;
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { nullable: true, description: 'Outstanding at this provider; null when not OK. Needs `payoff:read`.' })
  get outstanding(): MoneyObject | null {
    return this.part.loans ? MoneyObject.of(sum(this.part.loans.map(loanOutstanding))) : null;
  }
}

@ObjectType('CreditView', { description: "A borrower's whole credit picture across providers. Totals cover the providers that answered; `complete` is false when any did not." })
export class CreditViewObject {
  constructor(
    readonly borrowerId: string,
    readonly parts: readonly ProviderPart[],
    private readonly todayDate: string,
  ) {}

  private get totals() {
    return creditTotals(loansOf(this.parts), this.todayDate);
  }

  @Field(() => DateScalar, { description: 'Jakarta date the figures are computed for.' })
  get asOf(): string {
    return this.todayDate;
  }

  @Field(() => Boolean, { description: 'True when every linked provider answered.' })
  get complete(): boolean {
    return this.parts.every((p) => !p.error);
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Sum of Loan.outstanding across providers. Needs `payoff:read`.' })
  get totalOutstanding(): MoneyObject {
    return MoneyObject.of(this.totals.totalOutstanding);
  }

  @Field(() => MoneyObject, { description: 'Sum of unpaid installments past their due date.' })
  get totalOverdue(): MoneyObject {
    return MoneyObject.of(this.totals.totalOverdue);
  }

  /** The earliest next installment across `loans` (CreditViewResolver passes the loans whose schedules are consented). */
  nextAcross(loans: readonly Loan[]): ScheduledPaymentObject | null {
    const n = creditTotals(loans, this.todayDate).next;
    if (!n) return null;
    return Object.assign(new ScheduledPaymentObject(), {
      loan: new LoanObject(n.loan, this.borrowerId, this.todayDate),
      installment: new InstallmentObject(n.installment),
    });
  }

  @Field(() => [LoanObject], { description: 'Loans at every provider that answered.' })
  get loans(): LoanObject[] {
    return loansOf(this.parts).map((l) => new LoanObject(l, this.borrowerId, this.todayDate));
  }

  @Field(() => [ProviderCreditStatusObject], { description: 'Per-provider status, one per linked provider.' })
  get providers(): ProviderCreditStatusObject[] {
    return this.parts.map((p) => new ProviderCreditStatusObject(p));
  }
}
