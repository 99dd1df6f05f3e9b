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

/** Key of a snapshot row in `saveSnapshots`' `known` hashes: `consentId|accountId|domain`. */
export function snapshotKey(consentId: string, accountId: string, domain: string): string {
  return `${consentId}|${accountId}|${domain}`;
}

/**
 * Stores (or replaces) the snapshots of one provider refresh (plain SQL: on the cold read path Prisma's query
 * compiler cost more CPU than the database did). A replaced snapshot's webhook stamp (`eventAt`) is cleared: a
 * fresh fetch already holds what earlier webhooks changed. Rows must name distinct (consent, account, domain).
 *
 * A row whose content the caller already saw stored (`known`, its content hash by `snapshotKey`) is most often
 * unchanged: for those only the fetch time is written, on the condition that the stored hash still is that one
 * (the database row is the version check, whichever instance wrote it); the rows that condition misses, and
 * all others, are written whole in one upsert. A cold credit view sent every payload again (tens of kilobytes,
 * parsed into jsonb by the database) although the provider's data had not changed. One statement when all rows
 * are unchanged or none is known, two when some changed.
 * @param known content hashes the caller read for these rows (`snapshotKey`), if any.
 * @throws database errors.
 */
export async function saveSnapshots(sql: SqlExecutor, given: readonly SnapshotWrite[], known?: ReadonlyMap<string, string>): Promise<void> {
  if (!given.length) return;
  // Every writer takes the rows' locks in one order, by key: two writes of overlapping rows never wait for each other crosswise.
  const rows = given
    .map((r) => {
      const text = snapshotJson(r.data);
      return { ...r, key: snapshotKey(r.consentId, r.accountId, r.domain), text, hash: createHash('sha256').update(text).digest('hex') }; // hash = snapshotHash(r.data)
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let whole = rows;
  const same = known ? rows.filter((r) => known.get(r.key) === r.hash) : [];
  if (same.length) {
    const touched = await sql.query<{ consentId: string; accountId: string; domain: string }>(
      // Rows are locked in key order, as the upsert below takes them (its rows are inserted in array order): an
      // UPDATE joined to the list locks them in whatever order its plan scans the table, and concurrent reads of
      // one account then deadlocked (seen in the benchmark's 50 concurrent reads of one borrower).
      `WITH t AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS t(consent, account, domain, hash, fetched, n)),
            l AS (SELECT s."id", t.fetched FROM "ProviderSnapshot" s JOIN t ON s."consentId" = t.consent AND s."accountId" = t.account AND s."domain" = t.domain::"ConsentDomain" AND s."contentHash" = t.hash
                  ORDER BY t.n FOR UPDATE OF s)
       UPDATE "ProviderSnapshot" s SET "fetchedAt" = l.fetched, "eventAt" = NULL FROM l WHERE s."id" = l."id"
       RETURNING s."consentId", s."accountId", s."domain"::text AS "domain"`,
      [same.map((r) => r.consentId), same.map((r) => r.accountId), same.map((r) => r.domain), same.map((r) => r.hash), same.map((r) => r.fetchedAt)],
    );
    const done = new Set(touched.map((r) => snapshotKey(r.consentId, r.accountId, r.domain)));
    whole = rows.filter((r) => !done.has(r.key));
    if (!whole.length) return;
  }
  await sql.query(
    `INSERT INTO "ProviderSnapshot" ("id", "consentId", "accountId", "domain", "payload", "contentHash", "fetchedAt")
     SELECT id, consent, account, domain::"ConsentDomain", payload::jsonb, hash, fetched
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS t(id, consent, account, domain, payload, hash, fetched)
     ON CONFLICT ("consentId", "accountId", "domain") DO UPDATE
       SET "payload" = EXCLUDED."payload", "contentHash" = EXCLUDED."contentHash", "fetchedAt" = EXCLUDED."fetchedAt", "eventAt" = NULL`,
    [
      whole.map(() => randomUUID()),
      whole.map((r) => r.consentId),
      whole.map((r) => r.accountId),
      whole.map((r) => r.domain),
      whole.map((r) => r.text),
      whole.map((r) => r.hash),
      whole.map((r) => r.fetchedAt),
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
