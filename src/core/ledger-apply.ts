/**
 * Applies ledger events to the ledger tables in plain SQL, the events of many callbacks in one statement
 * per table. Idempotent and
 * order-safe: repayments are upserted by their provider id with status only moving forward
 * (`INSERT ... ON CONFLICT DO UPDATE` with the order of `REPAYMENT_STATE_ORDER`); loan status only moves
 * forward (`LOAN_LIFECYCLE`), the time of the event that moved it kept as when it took effect; installment
 * states the provider reports are kept per installment, the latest report winning; disbursements are upserted
 * by their provider id with status only moving forward (`DISBURSEMENT_STATE_ORDER`); settlements are unique per bank/partner/day/id. Writes for one loan (or one
 * settlement reference) are serialized across connections and instances by transaction-scoped advisory locks.
 */
import { randomUUID } from 'node:crypto';
import type { CreditScoreEvent, DisbursementEvent, InstallmentStateEvent, LedgerEvent, LoanStatusEvent, RepaymentEvent, SettlementEvent } from '../domain/events';
import { advanceLoanStatus, advanceRepayment, DISBURSEMENT_STATE_ORDER, INSTALLMENT_REPORT_ORDER, LOAN_LIFECYCLE, REPAYMENT_STATE_ORDER } from '../domain/ledger';
import type { ProviderCode } from '../domain/types';
import type { SqlExecutor } from '../store/migrate';
import { writeCreditScores } from './credit-score.service';

/** A loan an event touched. */
export interface TouchedLoan {
  readonly provider: ProviderCode;
  readonly providerLoanId: string;
}

/** The transaction the ledger writes run in. */
export type LedgerTx = SqlExecutor;

const REPAYMENT_ORDER = [...REPAYMENT_STATE_ORDER];
const LOAN_ORDER = [...LOAN_LIFECYCLE];
const REPORT_ORDER = [...INSTALLMENT_REPORT_ORDER];
const DISBURSEMENT_ORDER = [...DISBURSEMENT_STATE_ORDER];

/** One repayment row to upsert: the events for one (provider, externalId) merged in arrival order. */
interface RepaymentRow {
  e: RepaymentEvent;
  status: RepaymentEvent['status'];
  clearedAt: Date | null;
}

/**
 * Upserts repayments in one statement. Several events for one repayment are first merged in arrival
 * order exactly as applying them one after another would (`advanceRepayment`; the first clearing time is
 * kept; the rest of the row is the first report's). A new repayment is inserted as merged; a known one
 * takes the later status of the two (`REPAYMENT_STATE_ORDER`, so a stale PENDING never moves a CLEARED
 * back) and keeps its first clearing time. Amounts are integer rupiah (sent as text, stored as BIGINT).
 */
async function upsertRepayments(tx: LedgerTx, events: readonly RepaymentEvent[]): Promise<void> {
  const rows = new Map<string, RepaymentRow>();
  for (const e of events) {
    const key = `${e.provider}\u0000${e.externalId}`;
    const cur = rows.get(key);
    if (!cur) rows.set(key, { e, status: e.status, clearedAt: e.clearedAt });
    else {
      cur.status = advanceRepayment(cur.status, e.status);
      cur.clearedAt = cur.clearedAt ?? (cur.status === 'CLEARED' ? e.clearedAt : null);
    }
  }
  if (!rows.size) return;
  const r = [...rows.values()];
  await tx.query(
    `INSERT INTO "LedgerRepayment" ("id", "provider", "providerLoanId", "externalId", "amount", "channel", "reference", "status", "paidAt", "clearedAt", "updatedAt")
     SELECT id, provider::"Provider", "providerLoanId", "externalId", amount, channel, reference, status, "paidAt", "clearedAt", clock_timestamp()
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[])
       AS t(id, provider, "providerLoanId", "externalId", amount, channel, reference, status, "paidAt", "clearedAt")
     ON CONFLICT ("provider", "externalId") DO UPDATE SET
       "status" = CASE WHEN array_position($11::text[], EXCLUDED."status") > array_position($11::text[], "LedgerRepayment"."status") THEN EXCLUDED."status" ELSE "LedgerRepayment"."status" END,
       "clearedAt" = COALESCE("LedgerRepayment"."clearedAt",
         CASE WHEN (CASE WHEN array_position($11::text[], EXCLUDED."status") > array_position($11::text[], "LedgerRepayment"."status") THEN EXCLUDED."status" ELSE "LedgerRepayment"."status" END) = 'CLEARED' THEN EXCLUDED."clearedAt" END),
       "updatedAt" = clock_timestamp()`,
    [
      r.map(() => randomUUID()),
      r.map((x) => x.e.provider),
      r.map((x) => x.e.providerLoanId),
      r.map((x) => x.e.externalId),
      r.map((x) => x.e.amount.toString()),
      r.map((x) => x.e.channel),
      r.map((x) => x.e.reference),
      r.map((x) => x.status),
      r.map((x) => x.e.paidAt.toISOString()),
      r.map((x) => x.clearedAt?.toISOString() ?? null),
      REPAYMENT_ORDER,
    ],
  );
}

/**
 * Moves loans' event-reported status forward (never back, `LOAN_LIFECYCLE`) in one statement, several
 * events for one loan merged first. Reported totals are cumulative: the largest seen is kept, so an older
 * callback arriving late changes nothing. Totals are integer rupiah and a count of payments. `statusAt` is the
 * time (`LoanStatusEvent.at`) of the event that moved the status forward; the same status reported again keeps
 * the earlier time, an older status changes nothing.
 */
async function advanceLoans(tx: LedgerTx, events: readonly LoanStatusEvent[]): Promise<void> {
  const rows = new Map<string, { provider: ProviderCode; providerLoanId: string; status: LoanStatusEvent['status']; paid: bigint | null; count: number | null; at: Date | null }>();
  for (const e of events) {
    const key = `${e.provider}\u0000${e.providerLoanId}`;
    const cur = rows.get(key);
    const paid = e.reportedPaid ?? null;
    const count = e.reportedNumberOfPay ?? null;
    const at = e.at ?? null;
    if (!cur) rows.set(key, { provider: e.provider, providerLoanId: e.providerLoanId, status: e.status, paid, count, at });
    else {
      const next = advanceLoanStatus(cur.status, e.status);
      // The status's time is its earliest report: a later status takes its own time, a repeat keeps the earlier one.
      if (next !== cur.status) cur.at = at;
      else if (e.status === cur.status && at && (!cur.at || at < cur.at)) cur.at = at;
      cur.status = next;
      if (paid !== null && (cur.paid === null || paid > cur.paid)) cur.paid = paid;
      if (count !== null && (cur.count === null || count > cur.count)) cur.count = count;
    }
  }
  if (!rows.size) return;
  const r = [...rows.values()];
  await tx.query(
    `INSERT INTO "LedgerLoanState" ("provider", "providerLoanId", "status", "reportedPaid", "reportedNumberOfPay", "statusAt", "updatedAt")
     SELECT provider::"Provider", "providerLoanId", status, paid, count, at, clock_timestamp()
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $7::timestamptz[]) AS t(provider, "providerLoanId", status, paid, count, at)
     ON CONFLICT ("provider", "providerLoanId") DO UPDATE SET
       "status" = CASE WHEN array_position($6::text[], EXCLUDED."status") > array_position($6::text[], "LedgerLoanState"."status") THEN EXCLUDED."status" ELSE "LedgerLoanState"."status" END,
       "statusAt" = CASE
         WHEN array_position($6::text[], EXCLUDED."status") > array_position($6::text[], "LedgerLoanState"."status") THEN EXCLUDED."statusAt"
         WHEN EXCLUDED."status" = "LedgerLoanState"."status" THEN LEAST("LedgerLoanState"."statusAt", EXCLUDED."statusAt")
         ELSE "LedgerLoanState"."statusAt" END,
       "reportedPaid" = GREATEST("LedgerLoanState"."reportedPaid", EXCLUDED."reportedPaid"),
       "reportedNumberOfPay" = GREATEST("LedgerLoanState"."reportedNumberOfPay", EXCLUDED."reportedNumberOfPay"),
       "updatedAt" = clock_timestamp()`,
    [r.map((x) => x.provider), r.map((x) => x.providerLoanId), r.map((x) => x.status), r.map((x) => x.paid?.toString() ?? null), r.map((x) => x.count), LOAN_ORDER, r.map((x) => x.at?.toISOString() ?? null)],
  );
}

/** Whether report `a` replaces report `b` of the same installment: a later time, else a later status (`INSTALLMENT_REPORT_ORDER`), else a larger paid amount. */
function newerReport(a: InstallmentStateEvent, b: InstallmentStateEvent): boolean {
  const t = a.reportedAt.getTime() - b.reportedAt.getTime();
  if (t !== 0) return t > 0;
  const s = REPORT_ORDER.indexOf(a.status) - REPORT_ORDER.indexOf(b.status);
  if (s !== 0) return s > 0;
  return (a.paidAmount ?? -1n) > (b.paidAmount ?? -1n);
}

/**
 * Records installments' provider-reported states (Finfra `bnpl`) in one statement, one row per (provider, loan,
 * seq): a report replaces the row only when it is newer (`newerReport`: later `reportedAt`; on equal times the
 * later status, then the larger paid amount), so an older report arriving late changes nothing, the same report
 * twice is a no-op, and any arrival order ends in the same row. Paid amounts are integer rupiah.
 */
async function recordInstallmentStates(tx: LedgerTx, events: readonly InstallmentStateEvent[]): Promise<void> {
  const rows = new Map<string, InstallmentStateEvent>();
  for (const e of events) {
    const key = `${e.provider}\u0000${e.providerLoanId}\u0000${e.seq}`;
    const cur = rows.get(key);
    if (!cur || newerReport(e, cur)) rows.set(key, e);
  }
  if (!rows.size) return;
  const r = [...rows.values()];
  await tx.query(
    `INSERT INTO "LedgerInstallmentState" ("provider", "providerLoanId", "seq", "status", "paidAmount", "reportedAt", "updatedAt")
     SELECT provider::"Provider", "providerLoanId", seq, status, paid, at, clock_timestamp()
     FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::timestamptz[]) AS t(provider, "providerLoanId", seq, status, paid, at)
     ON CONFLICT ("provider", "providerLoanId", "seq") DO UPDATE SET
       "status" = EXCLUDED."status", "paidAmount" = EXCLUDED."paidAmount", "reportedAt" = EXCLUDED."reportedAt", "updatedAt" = clock_timestamp()
     WHERE EXCLUDED."reportedAt" > "LedgerInstallmentState"."reportedAt"
        OR (EXCLUDED."reportedAt" = "LedgerInstallmentState"."reportedAt"
            AND (array_position($7::text[], EXCLUDED."status"), COALESCE(EXCLUDED."paidAmount", -1))
              > (array_position($7::text[], "LedgerInstallmentState"."status"), COALESCE("LedgerInstallmentState"."paidAmount", -1)))`,
    [
      r.map((x) => x.provider),
      r.map((x) => x.providerLoanId),
      r.map((x) => x.seq),
      r.map((x) => x.status),
      r.map((x) => x.paidAmount?.toString() ?? null),
      r.map((x) => x.reportedAt.toISOString()),
      REPORT_ORDER,
    ],
  );
}

/**
 * Upserts disbursements learned from events in one statement, by (provider, externalId): the first report's
 * amount, rail and time are kept; the status only moves forward (`DISBURSEMENT_STATE_ORDER`), so a replay or a
 * stale report changes nothing. Amounts are integer rupiah.
 */
async function upsertDisbursements(tx: LedgerTx, events: readonly DisbursementEvent[]): Promise<void> {
  const rows = new Map<string, DisbursementEvent>();
  for (const e of events) {
    const key = `${e.provider}\u0000${e.externalId}`;
    const cur = rows.get(key);
    if (!cur) rows.set(key, e);
    else if (DISBURSEMENT_ORDER.indexOf(e.status) > DISBURSEMENT_ORDER.indexOf(cur.status)) rows.set(key, { ...cur, status: e.status });
  }
  if (!rows.size) return;
  const r = [...rows.values()];
  await tx.query(
    `INSERT INTO "LedgerDisbursement" ("id", "provider", "providerLoanId", "externalId", "amount", "channel", "status", "disbursedAt", "updatedAt")
     SELECT id, provider::"Provider", "providerLoanId", "externalId", amount, channel, status, at, clock_timestamp()
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::timestamptz[])
       AS t(id, provider, "providerLoanId", "externalId", amount, channel, status, at)
     ON CONFLICT ("provider", "externalId") DO UPDATE SET "status" = EXCLUDED."status", "updatedAt" = clock_timestamp()
     WHERE array_position($9::text[], EXCLUDED."status") > array_position($9::text[], "LedgerDisbursement"."status")`,
    [
      r.map(() => randomUUID()),
      r.map((x) => x.provider),
      r.map((x) => x.providerLoanId),
      r.map((x) => x.externalId),
      r.map((x) => x.amount.toString()),
      r.map((x) => x.channel),
      r.map((x) => x.status),
      r.map((x) => x.disbursedAt?.toISOString() ?? null),
      DISBURSEMENT_ORDER,
    ],
  );
}

/** Records a bank settlement and clears the held repayment it settles; returns that repayment's loan, if held. */
async function settle(tx: LedgerTx, e: SettlementEvent): Promise<TouchedLoan | null> {
  await tx.query(
    `INSERT INTO "Settlement" ("id", "bank", "partnerId", "externalId", "day", "reference", "account", "amount", "settledAt")
     VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::bigint, $9)
     ON CONFLICT ("bank", "partnerId", "day", "externalId") DO NOTHING`,
    [randomUUID(), e.bank, e.partnerId, e.externalId, e.day, e.reference, e.account, e.amount.toString(), e.settledAt],
  );
  // The repayment it settles may be one we hold from an event or a live read; reads match the rest by reference.
  const [found] = await tx.query<{ provider: ProviderCode; providerLoanId: string }>(
    `SELECT "provider", "providerLoanId" FROM "LedgerRepayment" WHERE "externalId" = $1 AND "amount" = $2::bigint LIMIT 1`,
    [e.reference, e.amount.toString()],
  );
  if (!found) return null;
  // Every write to a repayment happens under its loan's lock: take it, then clear the repayment if still held.
  await lock(tx, `loan:${found.provider}:${found.providerLoanId}`);
  await tx.query(
    `UPDATE "LedgerRepayment" SET "status" = 'CLEARED', "clearedAt" = $3, "updatedAt" = clock_timestamp()
     WHERE "provider" = $4::"Provider" AND "externalId" = $1 AND "amount" = $2::bigint AND "status" = 'PENDING'`,
    [e.reference, e.amount.toString(), e.settledAt, found.provider],
  );
  return found;
}

async function lock(tx: LedgerTx, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}

/** The advisory lock keys of what `events` write: one per loan, one per settlement reference. */
export function lockKeys(events: readonly LedgerEvent[]): string[] {
  // A credit score (issue 13.7) locks its (provider, user) instead of a loan.
  return events.map((e) => (e.type === 'SETTLEMENT' ? `ref:${e.reference}` : e.type === 'CREDIT_SCORE' ? `score:${e.provider}:${e.providerUserId}` : `loan:${e.provider}:${e.providerLoanId}`));
}

/**
 * Takes the advisory locks of the loans and settlement references `events` write (transaction-scoped,
 * in one sorted order, so two transactions cannot deadlock). Call first in the transaction.
 */
export async function lockLedger(tx: LedgerTx, events: readonly LedgerEvent[]): Promise<void> {
  const keys = [...new Set(lockKeys(events))].sort();
  if (keys.length === 1) return lock(tx, keys[0]!);
  // One statement: the function runs once per key, in the array's (sorted) order.
  if (keys.length) await tx.query('SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n)', [keys]);
}

/**
 * Whether a callback's events can be written together with others' (`writeLedger`): a settlement takes
 * its repayment's loan lock only once it has found the repayment, outside the sorted order, so a callback
 * with a settlement is written alone.
 */
export function groupable(events: readonly LedgerEvent[]): boolean {
  return !events.some((e) => e.type === 'SETTLEMENT');
}

/**
 * Writes several stored callbacks' ledger events inside the caller's transaction, after `lockLedger` on
 * all of them: the repayments and loan statuses of all of them in one statement each (merged in the
 * given order), settlements one by one (a group holding one must be alone: `groupable`).
 * @returns per callback, the loans it touched (a settlement whose repayment we do not hold touches none).
 * @throws the database's error (the caller's transaction rolls back).
 */
export async function writeLedger(tx: LedgerTx, callbacks: readonly (readonly LedgerEvent[])[]): Promise<TouchedLoan[][]> {
  const all = callbacks.flat();
  await upsertRepayments(tx, all.filter((e): e is RepaymentEvent => e.type === 'REPAYMENT'));
  await advanceLoans(tx, all.filter((e): e is LoanStatusEvent => e.type === 'LOAN_STATUS'));
  await recordInstallmentStates(tx, all.filter((e): e is InstallmentStateEvent => e.type === 'INSTALLMENT_STATE'));
  await upsertDisbursements(tx, all.filter((e): e is DisbursementEvent => e.type === 'DISBURSEMENT'));
  // Credit scores (issue 13.7): stored apart, touching no loan.
  await writeCreditScores(tx, all.filter((e): e is CreditScoreEvent => e.type === 'CREDIT_SCORE'));
  const out: TouchedLoan[][] = [];
  for (const events of callbacks) {
    const touched: TouchedLoan[] = [];
    const touch = (t: TouchedLoan) => {
      if (!touched.some((x) => x.provider === t.provider && x.providerLoanId === t.providerLoanId)) touched.push({ provider: t.provider, providerLoanId: t.providerLoanId });
    };
    for (const e of events) {
      if (e.type === 'CREDIT_SCORE') continue;
      if (e.type !== 'SETTLEMENT') touch(e);
      else {
        const loan = await settle(tx, e);
        if (loan) touch(loan);
      }
    }
    out.push(touched);
  }
  return out;
}

/**
 * Marks the cached loan lists that hold any of `loans` as touched by an event at `at`
 * (`ProviderSnapshot.eventAt`, only ever moved later), so reads show them as older than the ledger. One
 * statement: each loan is looked up through the GIN index on the snapshot payload (`{ loans: [...] }`, or the
 * bare array of loans of snapshots written before credit limits were kept), and the rows are
 * locked in id order, so two transactions stamping the same lists cannot deadlock.
 */
export async function stampSnapshots(tx: LedgerTx, loans: readonly TouchedLoan[], at: Date): Promise<void> {
  if (!loans.length) return;
  await tx.query(
    `UPDATE "ProviderSnapshot" SET "eventAt" = GREATEST("eventAt", $1)
     WHERE "id" IN (
       SELECT s."id" FROM unnest($2::text[], $3::jsonb[]) AS t(provider, doc)
       JOIN "ProviderSnapshot" s ON (s."payload" @> jsonb_build_object('loans', t.doc) OR s."payload" @> t.doc) AND s."domain" = 'LOANS'
       JOIN "ProviderAccount" a ON a."id" = s."accountId" AND a."provider"::text = t.provider
       ORDER BY s."id" FOR UPDATE OF s)`,
    [at, loans.map((l) => l.provider), loans.map((l) => JSON.stringify([{ providerLoanId: l.providerLoanId }]))],
  );
}
