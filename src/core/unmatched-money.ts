/**
 * Money that arrived against nothing we know, for operators: events the ledger applied (they are kept, and
 * apply to their loan as soon as it is read) whose loan no provider read has shown, and bank settlements
 * whose reference names no repayment we know or names one for another amount. Read from the database, so
 * every instance sees the same list; `/metrics` exposes the counts (`satukredit_unmatched_money`).
 */
import type { SqlExecutor } from '../store/migrate';

/** Why an entry is unmatched. */
export type UnmatchedKind = 'UNKNOWN_LOAN' | 'UNKNOWN_REFERENCE' | 'AMOUNT_MISMATCH';

/** Every kind, in the order reports list them. */
export const UNMATCHED_KINDS: readonly UnmatchedKind[] = ['UNKNOWN_LOAN', 'UNKNOWN_REFERENCE', 'AMOUNT_MISMATCH'];

/** One unmatched entry. Amounts are integer rupiah. */
export interface UnmatchedMoney {
  readonly kind: UnmatchedKind;
  /**
   * UNKNOWN_LOAN: a repayment (or a status event) for a provider loan id that no provider read has shown (Finfra
   * `loanUniqueId`, Dompet Kilat `loanCode`); UNKNOWN_REFERENCE: a bank settlement whose `paymentRequestId` names no
   * repayment we know; AMOUNT_MISMATCH: a bank settlement naming a repayment of another amount.
   */
  readonly provider: string | null;
  readonly providerLoanId: string | null;
  /** The repayment's id (UNKNOWN_LOAN) or the settlement's reference. */
  readonly reference: string | null;
  /** The money that arrived: the repayment's or the settlement's amount; null for a status event. */
  readonly amount: bigint | null;
  /** AMOUNT_MISMATCH: the repayment's own amount. */
  readonly expectedAmount: bigint | null;
  /** The bank of a settlement (BCA, MANDIRI, BRI, BNI). */
  readonly bank: string | null;
  /** When the money was paid or settled (or the status event was applied). */
  readonly at: Date;
}

/** A loan id no LOANS snapshot of any account at that provider holds (payloads `{ loans }` or, older, `[...]`). */
const UNKNOWN_LOAN = (provider: string, loanId: string) => `NOT EXISTS (
  SELECT 1 FROM "ProviderSnapshot" s JOIN "ProviderAccount" a ON a."id" = s."accountId" AND a."provider" = ${provider}
  WHERE s."domain" = 'LOANS' AND (
    s."payload" @> jsonb_build_object('loans', jsonb_build_array(jsonb_build_object('providerLoanId', ${loanId})))
    OR s."payload" @> jsonb_build_array(jsonb_build_object('providerLoanId', ${loanId}))))`;

/** A settlement reference no repayment we hold carries (ledger rows, or repayments cached from provider reads). */
const UNKNOWN_REFERENCE = (ref: string) => `NOT EXISTS (SELECT 1 FROM "LedgerRepayment" r WHERE r."externalId" = ${ref} OR r."reference" = ${ref})
  AND NOT EXISTS (SELECT 1 FROM "ProviderSnapshot" s WHERE s."domain" = 'REPAYMENTS' AND s."payload" @> jsonb_build_array(jsonb_build_object('id', ${ref})))`;

const ENTRIES = `
  SELECT 'UNKNOWN_LOAN' AS "kind", r."provider"::text AS "provider", r."providerLoanId", r."externalId" AS "reference", r."amount"::text AS "amount",
         NULL::text AS "expectedAmount", NULL::text AS "bank", r."paidAt" AS "at"
    FROM "LedgerRepayment" r WHERE ${UNKNOWN_LOAN('r."provider"', 'r."providerLoanId"')}
  UNION ALL
  SELECT 'UNKNOWN_LOAN', l."provider"::text, l."providerLoanId", NULL, NULL, NULL, NULL, l."updatedAt"
    FROM "LedgerLoanState" l
   WHERE ${UNKNOWN_LOAN('l."provider"', 'l."providerLoanId"')}
     AND NOT EXISTS (SELECT 1 FROM "LedgerRepayment" r WHERE r."provider" = l."provider" AND r."providerLoanId" = l."providerLoanId")
  UNION ALL
  SELECT 'UNKNOWN_REFERENCE', NULL, NULL, st."reference", st."amount"::text, NULL, st."bank", st."settledAt"
    FROM "Settlement" st WHERE ${UNKNOWN_REFERENCE('st."reference"')}
  UNION ALL
  SELECT 'AMOUNT_MISMATCH', r."provider"::text, r."providerLoanId", st."reference", st."amount"::text, r."amount"::text, st."bank", st."settledAt"
    FROM "Settlement" st JOIN "LedgerRepayment" r ON r."externalId" = st."reference"
   WHERE r."amount" <> st."amount" AND r."status" = 'PENDING'`;

interface Row {
  kind: UnmatchedKind;
  provider: string | null;
  providerLoanId: string | null;
  reference: string | null;
  amount: string | null;
  expectedAmount: string | null;
  bank: string | null;
  at: Date;
}

/** Lists and counts unmatched money (plain SQL; the GIN index on snapshot payloads serves the loan lookups). */
export class UnmatchedMoneyReport {
  constructor(private readonly sql: SqlExecutor) {}

  /**
   * The newest `first` entries (1..200), newest first.
   * @throws RangeError when `first` is out of range; database errors.
   */
  async list(first: number): Promise<UnmatchedMoney[]> {
    if (!Number.isInteger(first) || first < 1 || first > 200) throw new RangeError('first must be 1..200');
    const rows = await this.sql.query<Row>(`SELECT * FROM (${ENTRIES}) e ORDER BY "at" DESC, "reference" LIMIT $1`, [first]);
    return rows.map((r) => ({
      ...r,
      amount: r.amount === null ? null : BigInt(r.amount),
      expectedAmount: r.expectedAmount === null ? null : BigInt(r.expectedAmount),
      at: new Date(r.at),
    }));
  }

  /** How many entries of each kind there are now. */
  async counts(): Promise<Record<UnmatchedKind, number>> {
    const rows = await this.sql.query<{ kind: UnmatchedKind; n: string }>(`SELECT "kind", count(*)::text AS "n" FROM (${ENTRIES}) e GROUP BY "kind"`);
    const out = Object.fromEntries(UNMATCHED_KINDS.map((k) => [k, 0])) as Record<UnmatchedKind, number>;
    for (const r of rows) out[r.kind] = Number(r.n);
    return out;
  }
}
