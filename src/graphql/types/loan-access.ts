/**
 * What a loan's fields ask of the request, answered once per request and then synchronously: the consent
 * decision covering a domain of the loan's provider, and the object of the loan's borrower. A credit view of
 * 50 borrowers resolves these for every loan twice (`Borrower.loans` and `Borrower.creditView.loans`); asked
 * through promises each time, they made every loan's fields asynchronous.
 */
import { ConsentDenied } from '../../core/errors';
import { ALLOWED, type ConsentDecision, decisionKey } from '../../core/loaders';
import type { ProviderCode } from '../../domain/types';
import { consentDenials } from '../../metrics';
import type { GraphQLContext } from '../context';
import { BorrowerObject } from './borrower.type';

/** The consent domains a loan's fields read (besides LOANS, which the read of the loan itself needed). */
export type LoanFieldDomain = 'REPAYMENTS' | 'DISBURSEMENTS' | 'INSTALLMENTS';

/** The loan a field belongs to, as `requireDomain` needs it. */
export interface LoanRef {
  readonly borrowerId: string;
  readonly loan: { readonly provider: ProviderCode };
  /**
   * The domains already allowed for this loan in this request, one bit each (`DOMAIN_BIT`), kept on the request's
   * loan object: the loan's next fields skip the memo lookup (and the key string it is built from).
   */
  allowedDomains?: number;
}

/** One bit per loan field domain, for `LoanRef.allowedDomains`. */
const DOMAIN_BIT: Readonly<Record<LoanFieldDomain, number>> = { INSTALLMENTS: 1, REPAYMENTS: 2, DISBURSEMENTS: 4 };

function counted(e: ConsentDenied): ConsentDenied {
  // Counted per refused field, as the guard counts each refused read.
  consentDenials.inc({ domain: e.domain, code: e.denial });
  return e;
}

/**
 * Checks the client's consent covers `domain` of the loan's provider (REPAYMENTS and DISBURSEMENTS as provider
 * reads, INSTALLMENTS as an API read): through the guard, which records the read, the first time in a request
 * for this borrower, provider, domain and kind; afterwards from the decision kept in the request's memo,
 * synchronously. REPAYMENTS and DISBURSEMENTS were decided when the loan's part was read
 * (CreditService.readPart keeps those decisions). A request never gets two answers for one key.
 * @returns nothing when the decision is known and allows the read; else a promise settled when the guard answers.
 * @throws ConsentDenied (thrown, or the promise rejects) when the consent does not cover the read; database errors.
 */
export function requireDomain(ctx: GraphQLContext, l: LoanRef, domain: LoanFieldDomain): void | Promise<void> {
  const bit = DOMAIN_BIT[domain];
  if ((l.allowedDomains ?? 0) & bit) return;
  const kind = domain === 'INSTALLMENTS' ? 'API_READ' : 'PROVIDER_READ';
  const provider = l.loan.provider;
  const key = decisionKey(l.borrowerId, provider, domain, kind);
  const memo = ctx.scope.loaders.memo;
  const known = memo.peek<ConsentDecision | Promise<void>>(key);
  if (known instanceof Promise) {
    return known.catch((e: unknown) => {
      throw e instanceof ConsentDenied ? counted(new ConsentDenied(e.denial, e.provider, e.domain)) : e;
    });
  }
  if (known) {
    if (known.allowed) {
      l.allowedDomains = (l.allowedDomains ?? 0) | bit;
      return;
    }
    throw counted(new ConsentDenied(known.denial, provider, domain));
  }
  const asked = ctx.core.credit.requireDomain(ctx.scope, l.borrowerId, provider, domain, kind).then(
    () => memo.set(key, ALLOWED),
    (e: unknown) => {
      // A denial is kept; anything else (the database failing) is asked again by the next field.
      if (e instanceof ConsentDenied) memo.set<ConsentDecision>(key, { allowed: false, denial: e.denial });
      else memo.delete(key);
      throw e;
    },
  );
  memo.set(key, asked);
  return asked;
}

/** `then()` once `gate` is open: at once when it already is (undefined), else when the promise fulfils. */
export function after<T>(gate: void | Promise<void>, then: () => T): T | Promise<T> {
  return gate ? gate.then(then) : then();
}

/**
 * The object of the borrower `borrowerId` within a request (a loan's or credit view's borrower): one per
 * borrower and request, synchronously once known (the `borrowers` page registers its nodes with `remember`).
 * @throws Error (the promise rejects) when the borrower vanished during the request.
 */
export function borrowerById(ctx: GraphQLContext, borrowerId: string): BorrowerObject | Promise<BorrowerObject> {
  const memo = ctx.scope.loaders.memo;
  const key = `borrowerObject|${borrowerId}`;
  return memo.get<BorrowerObject | Promise<BorrowerObject>>(key, () =>
    ctx.core.borrowers.byId(ctx.scope, borrowerId).then((row) => {
      const b = new BorrowerObject(row);
      memo.set(key, b);
      return b;
    }),
  );
}

/** Registers `b`, a borrower read by this request's borrower loader, as the object of its borrower in the request. */
export function rememberBorrower(ctx: GraphQLContext, b: BorrowerObject): void {
  ctx.scope.loaders.memo.set(`borrowerObject|${b.row.id}`, b);
}
