import { Authorized, Field, Int, ObjectType } from 'type-graphql';
import { creditTotals, installmentOutstanding, nextPaymentDue } from '../../domain/credit';
import { totalArrears, twp90, worstClass } from '../../domain/delinquency';
import type { LoanView } from '../../domain/loan-view';
import { formatPercent, sum } from '../../domain/money';
import { LENDER_LEGAL_NAMES } from '../../domain/types';
import type { CreditView, ProviderPart } from '../../core/credit.service';
import { loansOf } from '../../core/credit.service';
import { DateScalar } from '../scalars';
import { ProviderEnum, ProviderErrorCodeEnum, ProviderHealthEnum, QualityClassEnum } from './enums';
import { ArrearsObject, FreshnessObject, InstallmentObject, LoanObject } from './loan.type';
import { MoneyObject } from './money.type';

@ObjectType('ScheduledPayment', { simpleResolvers: true, description: 'An installment together with its loan.' })
export class ScheduledPaymentObject {
  @Field(() => LoanObject, { description: 'The loan the installment belongs to.' })
  loan!: LoanObject;

  @Field(() => InstallmentObject, { description: 'The installment (due date, amounts, status).' })
  installment!: InstallmentObject;
}

@ObjectType('NextPayment', { description: 'The next payment not yet due: the earliest installment due today or later with an unpaid amount, with its loan.' })
export class NextPaymentObject {
  @Field(() => LoanObject, { description: 'The loan the payment belongs to.' })
  readonly loan: LoanObject;

  @Field(() => InstallmentObject, { description: 'The installment itself (sequence, principal and interest parts, status).' })
  readonly installment: InstallmentObject;

  @Field(() => DateScalar, { description: 'Due date of the payment, Jakarta calendar date (today or later).' })
  readonly dueDate: string;

  constructor(loan: LoanObject, installment: InstallmentObject) {
    this.loan = loan;
    this.installment = installment;
    this.dueDate = installment.dueDate;
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Still to pay on that installment: its amount due less cleared money applied to it. Needs `payoff:read`.' })
  get amount(): MoneyObject {
    return MoneyObject.of(installmentOutstanding(this.installment.i));
  }
}

@ObjectType('Twp90', { description: "TWP90 (tingkat wanprestasi 90 hari): the share of the borrower's outstanding that is more than 90 days past due." })
export class Twp90Object {
  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Outstanding of loans more than 90 days past due. Needs `payoff:read`.' })
  outstandingOver90!: MoneyObject;

  @Field(() => String, { nullable: true, description: 'Share as a decimal percentage string ("12.5"); null when nothing is outstanding.' })
  percent!: string | null;
}

@ObjectType('ProviderCreditStatus', { description: "One provider's part of a credit view." })
export class ProviderCreditStatusObject {
  constructor(private readonly part: ProviderPart) {}

  @Field(() => ProviderEnum, { description: 'The provider this part is about.' })
  get provider(): string {
    return this.part.provider;
  }

  @Field(() => ProviderHealthEnum, {
    description:
      'OK when the provider answered (or its cached copy was fresh); STALE when it failed and its last cached copy is served (counted in the totals, marked stale); UNAVAILABLE when it failed with nothing cached; NO_CONSENT when no ACTIVE consent covers it (no call was made, nothing cached served). UNAVAILABLE and NO_CONSENT parts are missing from the totals.',
  })
  get health(): string {
    if (!this.part.error) return 'OK';
    if (this.part.loans) return 'STALE';
    return this.part.error.code.startsWith('CONSENT_') ? 'NO_CONSENT' : 'UNAVAILABLE';
  }

  @Field(() => ProviderErrorCodeEnum, { nullable: true, description: "Why the provider's part is not OK (the error's `extensions.code`); null when OK." })
  get errorCode(): string | null {
    return this.part.error?.code ?? null;
  }

  @Field(() => String, {
    nullable: true,
    description: "The lender's legal name at this provider, as the provider's documents give it (Cairin: PT Idana Solusi Sejahtera, OJK-licensed LPBBTI operator); null where they name none (Finfra, Dompet Kilat).",
  })
  get lenderName(): string | null {
    return LENDER_LEGAL_NAMES[this.part.provider];
  }

  @Field(() => FreshnessObject, { nullable: true, description: "Freshness of this provider's part; null when nothing was served." })
  get freshness(): FreshnessObject | null {
    const f = this.part.freshness;
    return f ? new FreshnessObject(f) : null;
  }

  @Field(() => Int, { nullable: true, description: 'Loans read from this provider; null when nothing was served.' })
  get loanCount(): number | null {
    return this.part.loans?.length ?? null;
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { nullable: true, description: 'Outstanding at this provider; null when not OK. Needs `payoff:read`.' })
  get outstanding(): MoneyObject | null {
    return this.part.loans ? MoneyObject.of(sum(this.part.loans.map((v) => v.balances.total))) : null;
  }

  @Field(() => MoneyObject, {
    nullable: true,
    description: 'The credit limit the provider grants the account (Cairin `limit.approvedLimit` of the loan list, Dompet Kilat `plafons`); null when the provider gives none (Finfra) or nothing was served.',
  })
  get creditLimit(): MoneyObject | null {
    return this.part.creditLimit === null ? null : MoneyObject.of(this.part.creditLimit);
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, {
    nullable: true,
    description: "What is left of the credit limit: creditLimit less the unpaid principal of this provider's loans (never below 0); null without a limit. Needs `payoff:read`.",
  })
  get availableCredit(): MoneyObject | null {
    if (this.part.creditLimit === null || !this.part.loans) return null;
    const used = sum(this.part.loans.map((v) => v.balances.principal));
    return MoneyObject.of(used >= this.part.creditLimit ? 0n : this.part.creditLimit - used);
  }

  @Field(() => ArrearsObject, { nullable: true, description: "What is past due at this provider (its loans' arrears added up); null when nothing was served." })
  get overdue(): ArrearsObject | null {
    return this.part.loans ? new ArrearsObject(totalArrears(this.part.loans.map((v) => v.arrears))) : null;
  }
}

/** The object of each credit view (a request's credit views are computed once: see CreditService.creditView). */
const objects = new WeakMap<CreditView, CreditViewObject>();

@ObjectType('CreditView', { description: "A borrower's whole credit picture across providers. Totals cover the providers that answered; `complete` is false when any did not." })
export class CreditViewObject {
  readonly borrowerId: string;
  readonly parts: readonly ProviderPart[];
  readonly todayDate: string;
  private viewList?: LoanView[];
  private loanObjects?: LoanObject[];
  private loanObjectOf?: Map<LoanView, LoanObject>;

  constructor(readonly view: CreditView) {
    this.borrowerId = view.borrowerId;
    this.parts = view.parts;
    this.todayDate = view.today;
  }

  /**
   * The one object of `view`: every field showing the same credit view (Borrower.loans, Borrower.creditView)
   * shares it, and with it the loans' objects. Keyed by the view, which belongs to one request.
   */
  static of(view: CreditView): CreditViewObject {
    let o = objects.get(view);
    if (!o) objects.set(view, (o = new CreditViewObject(view)));
    return o;
  }

  /** Loan views of the providers that answered. */
  get views(): LoanView[] {
    return (this.viewList ??= loansOf(this.parts));
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
  @Field(() => MoneyObject, { description: 'Sum of Loan.outstanding.total across providers (cleared money only). Needs `payoff:read`.' })
  get totalOutstanding(): MoneyObject {
    return MoneyObject.of(sum(this.views.map((v) => v.balances.total)));
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Repayments received but awaiting bank settlement, across providers. Needs `payoff:read`.' })
  get totalPending(): MoneyObject {
    return MoneyObject.of(sum(this.views.map((v) => v.balances.pending)));
  }

  @Authorized('payoff:read')
  @Field(() => MoneyObject, { description: 'Sum of unpaid installments past their due date. Needs `payoff:read`.' })
  get totalOverdue(): MoneyObject {
    return MoneyObject.of(sum(this.views.map((v) => v.arrears.overdueAmount)));
  }

  @Field(() => MoneyObject, {
    nullable: true,
    description: 'Sum of the credit limits of the providers that give one (ProviderCreditStatus.creditLimit); null when none does.',
  })
  get totalCreditLimit(): MoneyObject | null {
    const limits = this.parts.flatMap((p) => (p.creditLimit === null ? [] : [p.creditLimit]));
    return limits.length ? MoneyObject.of(sum(limits)) : null;
  }

  @Field(() => ArrearsObject, { description: "What is past due across the providers that answered: amounts added up, the oldest unpaid due date, the largest days past due." })
  get arrears(): ArrearsObject {
    return new ArrearsObject(totalArrears(this.views.map((v) => v.arrears)));
  }

  @Field(() => QualityClassEnum, { description: "The worst OJK quality class among the borrower's loans (LANCAR when none is late)." })
  get worstQualityClass(): string {
    return worstClass(this.views.map((v) => v.arrears.class));
  }

  @Field(() => Twp90Object, { description: "Share of the borrower's outstanding more than 90 days past due." })
  get twp90(): Twp90Object {
    const t = twp90(this.views.map((v) => v.loan), this.todayDate);
    return Object.assign(new Twp90Object(), { outstandingOver90: MoneyObject.of(t.outstandingOver90), percent: t.share ? formatPercent(t.share) : null });
  }

  /** The earliest next installment across `views` (CreditViewResolver passes the loans whose schedules are consented). */
  nextAcross(views: readonly LoanView[]): ScheduledPaymentObject | null {
    return this.nextOf(views, creditTotals(views.map((v) => v.loan), this.todayDate).next);
  }

  /** The next payment not yet due across `views` (CreditViewResolver passes the loans whose schedules are consented). */
  nextPaymentAcross(views: readonly LoanView[]): NextPaymentObject | null {
    let best: { view: LoanView; i: LoanView['loan']['installments'][number] } | null = null;
    for (const view of views) {
      const i = nextPaymentDue(view.loan, this.todayDate);
      if (i && (!best || i.dueDate < best.i.dueDate)) best = { view, i };
    }
    if (!best) return null;
    const loan = this.loanObject(best.view);
    return new NextPaymentObject(loan, loan.installmentObject(best.i));
  }

  /** The scheduled payment object of `n` (an installment of one of `views`' loans). */
  nextOf(views: readonly LoanView[], n: ReturnType<typeof creditTotals>['next']): ScheduledPaymentObject | null {
    if (!n) return null;
    const view = views.find((v) => v.loan === n.loan)!;
    const loan = this.loanObject(view);
    return Object.assign(new ScheduledPaymentObject(), { loan, installment: loan.installmentObject(n.installment) });
  }

  /** The loan object of `view` (the one `loans` lists when the view is one of this credit view's). */
  loanObject(view: LoanView): LoanObject {
    return this.loanObjectMap().get(view) ?? new LoanObject(view, this.borrowerId, this.todayDate);
  }

  /** One loan object per loan view, in the views' order; made once. */
  private loanObjectMap(): Map<LoanView, LoanObject> {
    return (this.loanObjectOf ??= new Map(this.views.map((v) => [v, new LoanObject(v, this.borrowerId, this.todayDate)])));
  }

  @Field(() => [LoanObject], { description: 'Loans at every provider that answered.' })
  get loans(): LoanObject[] {
    return (this.loanObjects ??= [...this.loanObjectMap().values()]);
  }

  @Field(() => [ProviderCreditStatusObject], { description: 'Per-provider status, one per consented, linked provider.' })
  get providers(): ProviderCreditStatusObject[] {
    return this.parts.map((p) => new ProviderCreditStatusObject(p));
  }
}
