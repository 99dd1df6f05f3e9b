/**
 * Provider data cached under a consent (ProviderSnapshot). Written after each
 * live provider read; deleted with the consent or when its data life runs out
 * (ConsentService). Payloads are JSON with bigint rupiah as decimal strings and
 * instants as ISO-8601.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ConsentDomain } from '../domain/consent';
import type { ProviderCode, Repayment } from '../domain/types';
import type { SqlExecutor } from './migrate';

/** JSON text of domain data: bigint -> decimal string. */
export function snapshotJson(data: unknown): string {
  return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The content hash a snapshot of `data` is stored with (sha256 of `snapshotJson`). */
export function snapshotHash(data: unknown): string {
  return createHash('sha256').update(snapshotJson(data)).digest('hex');
}

/** What was fetched for one (consent, account, domain). */
export interface SnapshotWrite {
  readonly consentId: string;
  readonly accountId: string;
  readonly domain: ConsentDomain;
  /** Domain data (bigints become decimal strings). */
  readonly data: unknown;
  /** When it was fetched from the provider. */
  readonly fetchedAt: Date;
}

/**
 * Stores (or replaces) the snapshots of one provider refresh, in one statement (plain SQL: on the cold read path
 * Prisma's query compiler cost more CPU than the database did). A replaced snapshot's webhook stamp (`eventAt`)
 * is cleared: a fresh fetch already holds what earlier webhooks changed. Rows must name distinct
 * (consent, account, domain).
 * @throws database errors.
 */
export async function saveSnapshots(sql: SqlExecutor, rows: readonly SnapshotWrite[]): Promise<void> {
  if (!rows.length) return;
  const texts = rows.map((r) => snapshotJson(r.data));
  await sql.query(
    `INSERT INTO "ProviderSnapshot" ("id", "consentId", "accountId", "domain", "payload", "contentHash", "fetchedAt")
     SELECT id, consent, account, domain::"ConsentDomain", payload::jsonb, hash, fetched
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS t(id, consent, account, domain, payload, hash, fetched)
     ON CONFLICT ("consentId", "accountId", "domain") DO UPDATE
       SET "payload" = EXCLUDED."payload", "contentHash" = EXCLUDED."contentHash", "fetchedAt" = EXCLUDED."fetchedAt", "eventAt" = NULL`,
    [
      rows.map(() => randomUUID()),
      rows.map((r) => r.consentId),
      rows.map((r) => r.accountId),
      rows.map((r) => r.domain),
      texts,
      texts.map((t) => createHash('sha256').update(t).digest('hex')), // = snapshotHash of each row's data
      rows.map((r) => r.fetchedAt),
    ],
  );
}

/**
 * Records the provider's PENDING repayments in the ledger (one statement), so that a bank settlement arriving
 * later is matched to its loan (and pushed to subscribers) when it is applied. Those already known are left as
 * they are: the ledger learns a payment's later states from events, never from an older provider list.
 * @throws database errors.
 */
export async function recordPendingRepayments(sql: SqlExecutor, provider: ProviderCode, repayments: readonly Repayment[] | null): Promise<void> {
  const pending = (repayments ?? []).filter((r) => r.status === 'PENDING');
  if (!pending.length) return;
  await sql.query(
    `INSERT INTO "LedgerRepayment" ("id", "provider", "providerLoanId", "externalId", "amount", "channel", "reference", "status", "paidAt", "clearedAt", "updatedAt")
     SELECT id, $1::text::"Provider", loan, ext, amount::bigint, channel, ext, 'PENDING', paid, NULL, now()
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS t(id, loan, ext, amount, channel, paid)
     ON CONFLICT ("provider", "externalId") DO NOTHING`,
    [provider, pending.map(() => randomUUID()), pending.map((r) => r.providerLoanId), pending.map((r) => r.id), pending.map((r) => r.amount.toString()), pending.map((r) => r.channel), pending.map((r) => r.paidAt)],
  );
}
