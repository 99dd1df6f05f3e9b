/**
 * A borrower's loan changes for one API client (the `loanChanged` subscription):
 * ledger changes from the publisher, kept to the borrower's loans cached under
 * this client's consents, with the consent checked afresh at every push (a
 * revoked or expired consent stops them).
 */
import type { PrismaClient } from '../generated/prisma/client';
import { isUuid } from '../domain/ids';
import { isDatabaseUnavailable } from '../store/database';
import type { ConsentGuard } from './consent-guard';
import { NotFound } from './errors';
import type { LedgerChange, Publisher } from './publisher';
import type { RequestScope } from './scope';



/** A change to one of the borrower's loans, with the account that holds the loan. */
export interface LoanChangeNotice extends LedgerChange {
  /** Our ProviderAccount id holding the loan. */
  readonly accountId: string;
}

/** Streams loan changes to subscribers. */
export class LoanChanges {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly publisher: Publisher,
    /** A fresh consent guard for the scope (one per push). */
    private readonly freshGuard: (scope: RequestScope) => ConsentGuard,
  ) {}

  /**
   * Opens the stream for a borrower.
   * @throws NotFound when the client holds no consent from the borrower; ConsentDenied when none covering LOANS is ACTIVE.
   */
  async open(scope: RequestScope, borrowerId: string): Promise<AsyncIterable<LoanChangeNotice>> {
    if (!isUuid(borrowerId) || !(await scope.guard.visible(borrowerId))) throw new NotFound('no such borrower');
    await scope.guard.allow(borrowerId, null, 'LOANS', 'API_READ');
    await scope.guard.flush();
    return this.stream(scope, borrowerId);
  }

  private async *stream(scope: RequestScope, borrowerId: string): AsyncGenerator<LoanChangeNotice> {
    for await (const c of this.publisher.subscribe()) {
      let accountId: string | null;
      let allowed: boolean;
      try {
        accountId = await this.accountOfLoan(scope.client.id, borrowerId, c);
        if (!accountId) continue;
        const guard = this.freshGuard(scope);
        const domain = c.kind === 'repayment' || c.kind === 'settlement' ? 'REPAYMENTS' : 'LOANS';
        allowed = await guard.permits(borrowerId, c.provider, domain, 'API_READ');
        await guard.flush();
      } catch (e) {
        // The database is down or restarting: this change is not pushed (delivery is best effort), and the
        // subscription lives on for the changes after it instead of ending with the outage.
        if (!isDatabaseUnavailable(e)) throw e;
        scope.log.warn({ err: (e as Error).message }, 'loan change not pushed: database unavailable');
        continue;
      }
      if (allowed) yield { ...c, accountId };
    }
  }

  /** The borrower's account holding the loan, from the loans cached under this client's consents; null when not theirs. */
  private async accountOfLoan(clientId: string, borrowerId: string, c: LedgerChange): Promise<string | null> {
    const snap = await this.prisma.providerSnapshot.findFirst({
      where: {
        domain: 'LOANS',
        consent: { clientId, borrowerId },
        account: { borrowerId, provider: c.provider },
        // LOANS payloads are `{ loans, creditLimit }` (older snapshots: the array of loans alone).
        OR: [{ payload: { path: ['loans'], array_contains: [{ providerLoanId: c.providerLoanId }] } }, { payload: { array_contains: [{ providerLoanId: c.providerLoanId }] } }],
      },
      select: { accountId: true },
    });
    return snap?.accountId ?? null;
  }
}
