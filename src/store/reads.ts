/**
 * The read path's queries in plain SQL (prepared statements on the pool), returning the same row shapes as
 * the Prisma client's models. Every credit view runs these; through Prisma's client engine each cost
 * 1.5-2.3 ms of CPU to compile and map (bench/pg-costs.ts, the issue-12 profile), here about a tenth of that.
 * Writes and everything off the hot path stay on Prisma.
 *
 * Arrays of enum values are sent as `text[]` and cast in SQL (PGlite cannot serialize a parameter of a custom
 * enum array type). Shapes: timestamps are `Date`, BIGINT columns `bigint` (integer rupiah), enum arrays `string[]`, JSON columns
 * parsed values, exactly as Prisma returns them.
 */
import type { Borrower, Consent, LedgerDisbursement, LedgerInstallmentState, LedgerLoanState, LedgerRepayment, ProviderAccount, ProviderSnapshot, Settlement } from '../generated/prisma/client';
import type { SqlExecutor } from './migrate';

const big = (v: string | bigint | number | null): bigint | null => (v === null ? null : BigInt(v));

const CONSENT_COLUMNS = `"id", "borrowerId", "clientId", "providers"::text[] AS "providers", "domains"::text[] AS "domains", "purpose", "startsAt", "expiresAt",
  "dataLifeSeconds", "fetchIntervalSeconds", "status"::text AS "status", "requestExpiresAt", "createdAt", "updatedAt"`;

/** One client's consents from each of `borrowerIds`, oldest first. */
export function consentsOfClient(sql: SqlExecutor, clientId: string, borrowerIds: readonly string[]): Promise<Consent[]> {
  return sql.query<Consent>(`SELECT ${CONSENT_COLUMNS} FROM "Consent" WHERE "clientId" = $1 AND "borrowerId" = ANY($2::uuid[]) ORDER BY "createdAt" ASC, "id" ASC`, [clientId, [...borrowerIds]]);
}

/** Borrowers by id (missing ids are simply absent). */
export function borrowersById(sql: SqlExecutor, ids: readonly string[]): Promise<Borrower[]> {
  return sql.query<Borrower>(`SELECT "id", "nik", "fullName", "createdAt", "erasedAt" FROM "Borrower" WHERE "id" = ANY($1::uuid[])`, [[...ids]]);
}

const ACCOUNT_COLUMNS = `"id", "borrowerId", "provider"::text AS "provider", "externalId", "credentials", "linkedAt"`;

/** Linked accounts of `borrowerIds`, by provider. */
export function accountsOfBorrowers(sql: SqlExecutor, borrowerIds: readonly string[]): Promise<ProviderAccount[]> {
  return sql.query<ProviderAccount>(`SELECT ${ACCOUNT_COLUMNS} FROM "ProviderAccount" WHERE "borrowerId" = ANY($1::uuid[]) ORDER BY "provider" ASC`, [[...borrowerIds]]);
}

/** Linked accounts by id. */
export function accountsById(sql: SqlExecutor, ids: readonly string[]): Promise<ProviderAccount[]> {
  return sql.query<ProviderAccount>(`SELECT ${ACCOUNT_COLUMNS} FROM "ProviderAccount" WHERE "id" = ANY($1::uuid[])`, [[...ids]]);
}

/** Ledger repayments of the given loans ((provider, providerLoanId) pairs). Amounts in integer rupiah. */
export async function repaymentsOfLoans(sql: SqlExecutor, loans: readonly { provider: string; providerLoanId: string }[]): Promise<LedgerRepayment[]> {
  const rows = await sql.query<LedgerRepayment & { amount: string }>(
    `SELECT r."id", r."provider"::text AS "provider", r."providerLoanId", r."externalId", r."amount"::text AS "amount", r."channel", r."reference", r."status", r."paidAt", r."clearedAt", r."updatedAt"
     FROM "LedgerRepayment" r JOIN unnest($1::text[], $2::text[]) AS k(provider, loan) ON r."provider" = k.provider::"Provider" AND r."providerLoanId" = k.loan`,
    [loans.map((l) => l.provider), loans.map((l) => l.providerLoanId)],
  );
  return rows.map((r) => ({ ...r, amount: big(r.amount)! }));
}

/** Event-reported loan states of the given loans. Reported totals in integer rupiah. */
export async function loanStatesOf(sql: SqlExecutor, loans: readonly { provider: string; providerLoanId: string }[]): Promise<LedgerLoanState[]> {
  const rows = await sql.query<LedgerLoanState & { reportedPaid: string | null }>(
    `SELECT s."provider"::text AS "provider", s."providerLoanId", s."status", s."reportedPaid"::text AS "reportedPaid", s."reportedNumberOfPay", s."statusAt", s."updatedAt"
     FROM "LedgerLoanState" s JOIN unnest($1::text[], $2::text[]) AS k(provider, loan) ON s."provider" = k.provider::"Provider" AND s."providerLoanId" = k.loan`,
    [loans.map((l) => l.provider), loans.map((l) => l.providerLoanId)],
  );
  return rows.map((r) => ({ ...r, reportedPaid: big(r.reportedPaid) }));
}

/**
 * The event-learned extras of the given loans in one query: provider-reported installment states (Finfra `bnpl`,
 * `installments`) and disbursements learned from events (Dompet Kilat disbursement callbacks, `disbursements`).
 * Amounts in integer rupiah.
 */
export async function loanExtrasOf(
  sql: SqlExecutor,
  loans: readonly { provider: string; providerLoanId: string }[],
): Promise<{ installments: LedgerInstallmentState[]; disbursements: LedgerDisbursement[] }> {
  const rows = await sql.query<{ kind: 'I' | 'D'; provider: string; providerLoanId: string; seq: number | null; externalId: string | null; status: string; amount: string | null; channel: string | null; at: Date | null; updatedAt: Date; id: string | null }>(
    `SELECT 'I' AS "kind", s."provider"::text AS "provider", s."providerLoanId", s."seq", NULL::text AS "externalId", s."status", s."paidAmount"::text AS "amount", NULL::text AS "channel", s."reportedAt" AS "at", s."updatedAt", NULL::uuid AS "id"
     FROM "LedgerInstallmentState" s JOIN unnest($1::text[], $2::text[]) AS k(provider, loan) ON s."provider" = k.provider::"Provider" AND s."providerLoanId" = k.loan
     UNION ALL
     SELECT 'D', d."provider"::text, d."providerLoanId", NULL::int, d."externalId", d."status", d."amount"::text, d."channel", d."disbursedAt", d."updatedAt", d."id"
     FROM "LedgerDisbursement" d JOIN unnest($1::text[], $2::text[]) AS k(provider, loan) ON d."provider" = k.provider::"Provider" AND d."providerLoanId" = k.loan`,
    [loans.map((l) => l.provider), loans.map((l) => l.providerLoanId)],
  );
  const installments: LedgerInstallmentState[] = [];
  const disbursements: LedgerDisbursement[] = [];
  for (const r of rows) {
    const provider = r.provider as LedgerInstallmentState['provider'];
    if (r.kind === 'I') installments.push({ provider, providerLoanId: r.providerLoanId, seq: r.seq!, status: r.status, paidAmount: big(r.amount), reportedAt: r.at!, updatedAt: r.updatedAt });
    else disbursements.push({ id: r.id!, provider, providerLoanId: r.providerLoanId, externalId: r.externalId!, amount: big(r.amount)!, channel: r.channel!, status: r.status, disbursedAt: r.at, updatedAt: r.updatedAt });
  }
  return { installments, disbursements };
}

/** Bank settlements confirming the given repayment references. Amounts in integer rupiah. */
export async function settlementsOf(sql: SqlExecutor, references: readonly string[]): Promise<Settlement[]> {
  const rows = await sql.query<Settlement & { amount: string }>(
    `SELECT "id", "bank", "partnerId", "externalId", "day", "reference", "account", "amount"::text AS "amount", "settledAt" FROM "Settlement" WHERE "reference" = ANY($1::text[])`,
    [[...references]],
  );
  return rows.map((r) => ({ ...r, amount: big(r.amount)! }));
}

/** A ProviderSnapshot row without its payload (what a read checks its in-process copies against). */
export type SnapshotHead = Omit<ProviderSnapshot, 'payload'>;

/** The snapshot rows of the given (consent, account) pairs, every domain, without their payloads. */
export function snapshotHeadsOf(sql: SqlExecutor, pairs: readonly { consentId: string; accountId: string }[]): Promise<SnapshotHead[]> {
  return sql.query<SnapshotHead>(
    `SELECT s."id", s."consentId", s."accountId", s."domain"::text AS "domain", s."contentHash", s."fetchedAt", s."eventAt"
     FROM "ProviderSnapshot" s JOIN unnest($1::uuid[], $2::uuid[]) AS k(consent, account) ON s."consentId" = k.consent AND s."accountId" = k.account`,
    [pairs.map((p) => p.consentId), pairs.map((p) => p.accountId)],
  );
}

/** Whole snapshot rows by id, with each payload's JSON text length in bytes (`payloadBytes`). */
export function snapshotsById(sql: SqlExecutor, ids: readonly string[]): Promise<(ProviderSnapshot & { payloadBytes: number })[]> {
  return sql.query<ProviderSnapshot & { payloadBytes: number }>(
    `SELECT s."id", s."consentId", s."accountId", s."domain"::text AS "domain", s."payload", s."contentHash", s."fetchedAt", s."eventAt",
            octet_length(s."payload"::text)::int AS "payloadBytes"
     FROM "ProviderSnapshot" s WHERE s."id" = ANY($1::uuid[])`,
    [[...ids]],
  );
}

/** Cached provider data of the given (consent, account) pairs, every domain. */
export function snapshotsOf(sql: SqlExecutor, pairs: readonly { consentId: string; accountId: string }[]): Promise<ProviderSnapshot[]> {
  return sql.query<ProviderSnapshot>(
    `SELECT s."id", s."consentId", s."accountId", s."domain"::text AS "domain", s."payload", s."contentHash", s."fetchedAt", s."eventAt"
     FROM "ProviderSnapshot" s JOIN unnest($1::uuid[], $2::uuid[]) AS k(consent, account) ON s."consentId" = k.consent AND s."accountId" = k.account`,
    [pairs.map((p) => p.consentId), pairs.map((p) => p.accountId)],
  );
}
