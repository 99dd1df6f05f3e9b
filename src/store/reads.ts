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

/** What the ledger holds of one set of loans, from events: repayments, reported states, installment reports, disbursements. */
export interface LedgerRows {
  readonly repayments: LedgerRepayment[];
  readonly states: LedgerLoanState[];
  /** Provider-reported installment states (Finfra `bnpl`). */
  readonly installments: LedgerInstallmentState[];
  /** Disbursements learned from events (Dompet Kilat disbursement callbacks). */
  readonly disbursements: LedgerDisbursement[];
}

/**
 * Everything the ledger holds of the given loans ((provider, providerLoanId) pairs) in one query: repayments
 * learned from events, the latest event-reported loan state, provider-reported installment states and
 * disbursements learned from events. One statement instead of three per batch: a cold credit view ran these
 * once per provider answer, and on this machine each statement costs the server more CPU in its round trip
 * than the database spends on it. Amounts in integer rupiah.
 */
export async function ledgerOfLoans(sql: SqlExecutor, loans: readonly { provider: string; providerLoanId: string }[]): Promise<LedgerRows> {
  const rows = await sql.query<{
    kind: 'R' | 'S' | 'I' | 'D';
    provider: string;
    providerLoanId: string;
    id: string | null;
    externalId: string | null;
    amount: string | null;
    channel: string | null;
    reference: string | null;
    status: string;
    n: number | null;
    at: Date | null;
    clearedAt: Date | null;
    updatedAt: Date;
  }>(
    `WITH k AS (SELECT provider::"Provider" AS provider, loan FROM unnest($1::text[], $2::text[]) AS k(provider, loan))
     SELECT 'R' AS "kind", r."provider"::text AS "provider", r."providerLoanId", r."id", r."externalId", r."amount"::text AS "amount", r."channel", r."reference", r."status",
            NULL::int AS "n", r."paidAt" AS "at", r."clearedAt", r."updatedAt"
       FROM "LedgerRepayment" r JOIN k ON r."provider" = k.provider AND r."providerLoanId" = k.loan
     UNION ALL
     SELECT 'S', s."provider"::text, s."providerLoanId", NULL::uuid, NULL::text, s."reportedPaid"::text, NULL::text, NULL::text, s."status",
            s."reportedNumberOfPay", s."statusAt", NULL::timestamptz, s."updatedAt"
       FROM "LedgerLoanState" s JOIN k ON s."provider" = k.provider AND s."providerLoanId" = k.loan
     UNION ALL
     SELECT 'I', i."provider"::text, i."providerLoanId", NULL::uuid, NULL::text, i."paidAmount"::text, NULL::text, NULL::text, i."status",
            i."seq", i."reportedAt", NULL::timestamptz, i."updatedAt"
       FROM "LedgerInstallmentState" i JOIN k ON i."provider" = k.provider AND i."providerLoanId" = k.loan
     UNION ALL
     SELECT 'D', d."provider"::text, d."providerLoanId", d."id", d."externalId", d."amount"::text, d."channel", NULL::text, d."status",
            NULL::int, d."disbursedAt", NULL::timestamptz, d."updatedAt"
       FROM "LedgerDisbursement" d JOIN k ON d."provider" = k.provider AND d."providerLoanId" = k.loan`,
    [loans.map((l) => l.provider), loans.map((l) => l.providerLoanId)],
  );
  const out: LedgerRows = { repayments: [], states: [], installments: [], disbursements: [] };
  for (const r of rows) {
    const provider = r.provider as LedgerRepayment['provider'];
    const { providerLoanId, status, updatedAt } = r;
    switch (r.kind) {
      case 'R':
        out.repayments.push({ id: r.id!, provider, providerLoanId, externalId: r.externalId!, amount: big(r.amount)!, channel: r.channel!, reference: r.reference, status, paidAt: r.at!, clearedAt: r.clearedAt, updatedAt });
        break;
      case 'S':
        out.states.push({ provider, providerLoanId, status, reportedPaid: big(r.amount), reportedNumberOfPay: r.n, statusAt: r.at, updatedAt });
        break;
      case 'I':
        out.installments.push({ provider, providerLoanId, seq: r.n!, status, paidAmount: big(r.amount), reportedAt: r.at!, updatedAt });
        break;
      case 'D':
        out.disbursements.push({ id: r.id!, provider, providerLoanId, externalId: r.externalId!, amount: big(r.amount)!, channel: r.channel!, status, disbursedAt: r.at, updatedAt });
        break;
    }
  }
  return out;
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
