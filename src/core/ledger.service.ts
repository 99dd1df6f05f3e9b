/**
 * Ledger reads: merges a provider read with event-sourced repayments, bank
 * settlements, event-reported loan status, installment reports and disbursements (all through the request's
 * DataLoaders), then derives installment status, balances, arrears and
 * reconciliation issues (src/domain/loan-view.ts). And the one ledger write a
 * provider read makes: recording the pending repayments it showed.
 */
import { jakartaDate } from '../domain/dates';
import { buildLoanView, type LoanView } from '../domain/loan-view';
import type { BankChannel, Loan, LoanStatus, ProviderCode, Repayment } from '../domain/types';
import type { Settlement } from '../generated/prisma/client';
import { ledgerKey } from './loaders';
import type { RequestScope } from './scope';

/** Expected settlement lag per channel, minutes (configuration SETTLEMENT_LAG_MINUTES_<BANK>). */
export type LagMinutes = Readonly<Record<BankChannel, number>>;

/** Documented defaults: BCA 15, Mandiri 30, BNI 45, BRI 60, other banks 120 minutes. */
export const DEFAULT_LAG_MINUTES: LagMinutes = { BCA: 15, MANDIRI: 30, BNI: 45, BRI: 60, OTHER: 120 };

/** Why a part of a read failed: a consent denial or provider failure code, and a client-safe message. */
export interface ReadFailure {
  readonly code: string;
  readonly message: string;
}

/** A batch loader's results, or the first error among them (`DataLoader.loadMany` gives errors as values). */
function orThrow<T>(results: readonly (T | Error)[]): T[] {
  for (const r of results) if (r instanceof Error) throw r;
  return results as T[];
}

/**
 * Ledger views of `loans` (one account's), given the provider's repayments for the account
 * (null when the client's consent does not cover REPAYMENTS: the provider's own
 * installment status is kept then). The ledger rows of all the loans are asked of the request's loaders at
 * once (one batch per loader for the account, not one per loan).
 * @throws database errors from the loaders.
 */
export async function loanViews(
  scope: RequestScope,
  lagMinutes: LagMinutes,
  loans: readonly Loan[],
  providerRepayments: readonly Repayment[] | null,
  repaymentsFailure?: ReadFailure,
): Promise<LoanView[]> {
  const now = scope.clock.now();
  const today = jakartaDate(now);
  const keys = loans.map((loan) => ledgerKey(loan.provider, loan.providerLoanId));
  const ledgers = orThrow(await scope.loaders.ledger.loadMany(keys));
  const eventLists = ledgers.map((l) => l.repayments);
  const own = loans.map((loan) => providerRepayments?.filter((r) => r.providerLoanId === loan.providerLoanId) ?? null);
  // A pending repayment the provider shows is also in the ledger (the read records it): its id counts once, or its
  // settlements would be counted twice (a settlement for another amount was reported as two mismatches).
  const pendingIds = loans.map((_, k) => [...new Set([...(own[k] ?? []), ...eventLists[k]!].filter((r) => r.status === 'PENDING').map((r) => r.id))]);
  const flat = pendingIds.flat();
  // Settlements by the repayment reference they confirm (an error for a reference means none known, as before).
  const found = flat.length ? await scope.loaders.settlements.loadMany(flat) : [];
  const byRef = new Map<string, readonly Settlement[]>();
  flat.forEach((id, k) => {
    const s = found[k];
    byRef.set(id, s instanceof Error || s === undefined ? [] : s);
  });
  return loans.map((loan, k) => {
    const { state, installmentReports, disbursements } = ledgers[k]!;
    const view = buildLoanView({
      loan,
      providerRepayments: providerRepayments === null && loan.scheduleSource !== 'RECONSTRUCTED' ? null : (own[k] ?? []),
      eventRepayments: eventLists[k]!,
      settlements: pendingIds[k]!.flatMap((id) => byRef.get(id) ?? []),
      reported: state ? { status: state.status as LoanStatus, amountPaid: state.reportedPaid, numberOfPay: state.reportedNumberOfPay, statusAt: state.statusAt } : null,
      installmentReports,
      eventDisbursements: disbursements,
      today,
      now,
      lagMinutes,
    });
    return repaymentsFailure ? { ...view, repaymentsFailure } : view;
  });
}
