/**
 * Applies ledger events to the ledger tables. Idempotent and order-safe:
 * repayments are upserted by their provider id with status only moving forward;
 * loan status only moves forward; settlements are unique per bank/partner/day/id.
 */
import type { LedgerEvent, LoanStatusEvent, RepaymentEvent, SettlementEvent } from '../domain/events';
import { advanceLoanStatus, advanceRepayment } from '../domain/ledger';
import type { LoanStatus, ProviderCode, RepaymentStatus } from '../domain/types';
import type { PrismaClient } from '../generated/prisma/client';

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** A loan an event touched. */
export interface TouchedLoan {
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
}

/**
 * Upserts a repayment (INSERT ... ON CONFLICT DO NOTHING, then a forward-only update, under the loan's
 * advisory lock); its status only moves forward and the first clearing time is kept.
 */
async function upsertRepayment(tx: Tx, e: RepaymentEvent): Promise<void> {
  const r = { provider: e.provider, providerLoanId: e.providerLoanId, externalId: e.externalId, amount: e.amount, channel: e.channel, reference: e.reference, status: e.status, paidAt: e.paidAt, clearedAt: e.clearedAt };
  await tx.ledgerRepayment.createMany({ data: [r], skipDuplicates: true });
  const cur = await tx.ledgerRepayment.findUniqueOrThrow({ where: { provider_externalId: { provider: r.provider, externalId: r.externalId } } });
  const status = advanceRepayment(cur.status as RepaymentStatus, r.status);
  await tx.ledgerRepayment.update({ where: { id: cur.id }, data: { status, clearedAt: cur.clearedAt ?? (status === 'CLEARED' ? r.clearedAt : null) } });
}

/** Moves a loan's event-reported status forward (never back), with reported totals when given. */
async function advanceLoan(tx: Tx, e: LoanStatusEvent): Promise<void> {
  const { provider, providerLoanId, status } = e;
  const totals = { reportedPaid: e.reportedPaid, reportedNumberOfPay: e.reportedNumberOfPay };
  const cur = await tx.ledgerLoanState.findUnique({ where: { provider_providerLoanId: { provider, providerLoanId } } });
  if (!cur) {
    await tx.ledgerLoanState.create({ data: { provider, providerLoanId, status, ...totals } });
    return;
  }
  const next = advanceLoanStatus(cur.status as LoanStatus, status);
  // Reported totals are cumulative: keep the largest seen, so an older callback arriving late changes nothing.
  const reportedPaid = totals.reportedPaid === undefined ? cur.reportedPaid : cur.reportedPaid === null || totals.reportedPaid > cur.reportedPaid ? totals.reportedPaid : cur.reportedPaid;
  const reportedNumberOfPay = totals.reportedNumberOfPay === undefined ? cur.reportedNumberOfPay : Math.max(cur.reportedNumberOfPay ?? 0, totals.reportedNumberOfPay);
  await tx.ledgerLoanState.update({ where: { provider_providerLoanId: { provider, providerLoanId } }, data: { status: next, reportedPaid, reportedNumberOfPay } });
}

/** Records a bank settlement and clears the held repayment it settles; returns that repayment's loan, if held. */
async function settle(tx: Tx, e: SettlementEvent): Promise<TouchedLoan | null> {
  const { type: _type, ...data } = e;
  await tx.settlement.upsert({
    where: { bank_partnerId_day_externalId: { bank: e.bank, partnerId: e.partnerId, day: e.day, externalId: e.externalId } },
    create: data,
    update: {},
  });
  // The repayment it settles may be one we hold from an event or a live read; reads match the rest by reference.
  const found = await tx.ledgerRepayment.findFirst({ where: { externalId: e.reference, amount: e.amount } });
  if (!found) return null;
  // Every write to a repayment happens under its loan's lock: re-read it under the lock before clearing it.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`loan:${found.provider}:${found.providerLoanId}`}, 0))`;
  const held = await tx.ledgerRepayment.findUniqueOrThrow({ where: { id: found.id } });
  if (held.status === 'PENDING') await tx.ledgerRepayment.update({ where: { id: held.id }, data: { status: 'CLEARED', clearedAt: e.settledAt } });
  return { provider: held.provider, providerLoanId: held.providerLoanId };
}

/**
 * Serializes ledger writes for the same loans and settlement references across connections and instances
 * (transaction-scoped advisory locks, taken in one sorted order so two transactions cannot deadlock).
 */
async function lockFor(tx: Tx, events: readonly LedgerEvent[]): Promise<void> {
  const keys = [...new Set(events.map((e) => (e.type === 'SETTLEMENT' ? `ref:${e.reference}` : `loan:${e.provider}:${e.providerLoanId}`)))].sort();
  for (const k of keys) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${k}, 0))`;
}

/** The transaction handle `applyLedgerEvents` passes to its hooks. */
export type LedgerTx = Tx;

/**
 * Applies one stored callback's ledger events in one transaction, after `claim` (run first inside the same
 * transaction, e.g. marking the event applied) says the events are still to be applied; `beforeCommit` runs
 * last inside it with the touched loans (e.g. a transactional NOTIFY, sent only if the transaction commits).
 * @returns the loans they touched (a settlement whose repayment we do not hold touches none), or null when `claim` declined.
 */
export async function applyLedgerEvents(
  prisma: PrismaClient,
  events: readonly LedgerEvent[],
  claim: (tx: Tx) => Promise<boolean> = async () => true,
  beforeCommit: (tx: Tx, touched: readonly TouchedLoan[]) => Promise<void> = async () => undefined,
): Promise<TouchedLoan[] | null> {
  return prisma.$transaction(async (tx) => {
    await lockFor(tx, events);
    if (!(await claim(tx))) return null;
    const touched: TouchedLoan[] = [];
    for (const e of events) {
      if (e.type === 'REPAYMENT') await upsertRepayment(tx, e);
      else if (e.type === 'LOAN_STATUS') await advanceLoan(tx, e);
      if (e.type === 'SETTLEMENT') {
        const loan = await settle(tx, e);
        if (loan) touched.push(loan);
      } else if (!touched.some((t) => t.provider === e.provider && t.providerLoanId === e.providerLoanId)) {
        touched.push({ provider: e.provider, providerLoanId: e.providerLoanId });
      }
    }
    await beforeCommit(tx, touched);
    return touched;
  });
}
