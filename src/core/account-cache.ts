/**
 * The one cache writer. `AccountCache.refresh` reads one provider account and
 * stores every snapshot kind the given consents cover (LOANS always, with the account's credit limit; REPAYMENTS
 * and DISBURSEMENTS when a consent covers them), and records the pending
 * repayments it saw in the ledger. The credit view, `loan(id)` and the sync jobs
 * all read through it, so a backfill leaves exactly what a read needs.
 * `AccountCache.cached` gives what is stored for one consent, with the age of
 * its oldest snapshot (a read is as fresh as the oldest data it used).
 */
import { covers } from '../domain/consent';
import type { ConsentDomain } from '../domain/consent';
import { type Freshness, loanListPayload, reviveDisbursements, reviveLoanList, reviveRepayments } from '../domain/freshness';
import type { Disbursement, Loan, Repayment } from '../domain/types';
import type { Consent, ProviderAccount, ProviderSnapshot } from '../generated/prisma/client';
import type { Logger } from '../logger';
import type { AccountRef, ProviderReads } from '../providers/connector';
import { recordPendingRepayments, saveSnapshots, type SnapshotWrite } from '../store/snapshots';
import type { SqlExecutor } from '../store/migrate';
import { accountTag, type Invalidation, type ReadRecord } from './response-cache';
import { providerFailure } from './errors';
import { revivedOnce } from './snapshot-cache';
import type { ReadFailure } from './ledger.service';

/** A ProviderAccount row as the connectors see it. */
export function accountRef(a: ProviderAccount): AccountRef {
  return { id: a.id, provider: a.provider, externalId: a.externalId, credentials: a.credentials };
}

/** A list that was read, or why it was not (consent not covering it, or provider failure). */
export interface ReadList<T> {
  readonly rows: T[] | null;
  readonly failure?: ReadFailure;
}

/** What one read of an account gave. */
export interface AccountData {
  readonly loans: Loan[];
  /** The credit limit the provider grants the account, integer rupiah; null when it gives none (or it could not be read). */
  readonly creditLimit: bigint | null;
  readonly repayments: ReadList<Repayment>;
  readonly disbursements: ReadList<Disbursement>;
  /** When the oldest data used was fetched from the provider. */
  readonly fetchedAt: Date;
  /** When a webhook last changed these loans in the ledger after the loans were fetched, or null. */
  readonly eventAt: Date | null;
}

/** Reads and caches provider accounts. */
export class AccountCache {
  constructor(
    /** Where refreshes are stored (plain SQL, src/store/snapshots.ts). */
    private readonly sql: SqlExecutor,
    private readonly log: Logger,
    /** The response cache's invalidation: a refresh drops every stored answer that read this account, on every instance. */
    private readonly invalidation?: Invalidation,
  ) {}

  /**
   * Reads the account live and stores, under each consent, every snapshot kind it covers, stamped
   * `now` (the fetch time). Repayments are always read and stored with the loans: the money paid is what a loan's
   * outstanding is computed from, and every client allowed to see a loan's outstanding sees the same figure
   * (issue 13.5); only clients whose consent covers REPAYMENTS see the repayments themselves (the GraphQL layer
   * and the data export check it). Disbursements are read when a consent covers them. A failure of either is
   * kept in the answer (loans are still returned). Also records pending repayments in the ledger.
   * @param reader the read making this refresh, whose own answer is not spoiled by the invalidation it causes.
   * @param known the content hashes of this account's snapshots the caller read (`snapshotKey`): an unchanged
   *   snapshot then has only its fetch time written (`saveSnapshots`).
   * @throws ProviderError when the loans cannot be read (nothing is stored then); database errors.
   */
  async refresh(account: ProviderAccount, consents: readonly Consent[], reads: ProviderReads, now: Date, reader?: ReadRecord, known?: ReadonlyMap<string, string>): Promise<AccountData> {
    const wants = (d: ConsentDomain) => consents.some((c) => covers(c, account.provider, d));
    const ref = accountRef(account);
    const list = <T>(domain: ConsentDomain, read: () => Promise<T[]>, always = false): Promise<ReadList<T>> =>
      always || wants(domain)
        ? read().then(
            (rows) => ({ rows }),
            (e: unknown) => {
              const f = providerFailure(account.provider, e);
              this.log.warn({ provider: account.provider, accountId: account.id, domain, code: f.code, err: (e as Error).message }, 'provider read failed');
              return { rows: null, failure: f };
            },
          )
        : Promise.resolve({ rows: null });
    const [loans, creditLimit, repayments, disbursements] = await Promise.all([
      reads.loans(ref),
      // The same provider call as the loans where there is one; a limit that cannot be read is left unknown.
      reads.creditLimit(ref).catch((e: unknown) => {
        this.log.warn({ provider: account.provider, accountId: account.id, err: (e as Error).message }, 'credit limit read failed');
        return null;
      }),
      // Not only when a consent covers REPAYMENTS: balances are computed from the money paid (see above).
      list('REPAYMENTS', () => reads.repayments(ref), true),
      list('DISBURSEMENTS', () => reads.disbursements(ref)),
    ]);
    const writes: SnapshotWrite[] = [];
    for (const c of consents) {
      const save = (domain: ConsentDomain, data: unknown) => writes.push({ consentId: c.id, accountId: account.id, domain, data, fetchedAt: now });
      save('LOANS', loanListPayload({ loans, creditLimit }));
      // Under every consent: a consent without REPAYMENTS keeps them only as the input of its loans' balances.
      if (repayments.rows) save('REPAYMENTS', repayments.rows);
      if (disbursements.rows && covers(c, account.provider, 'DISBURSEMENTS')) save('DISBURSEMENTS', disbursements.rows);
    }
    await Promise.all([saveSnapshots(this.sql, writes, known), recordPendingRepayments(this.sql, account.provider, repayments.rows)]);
    this.invalidation?.tags([accountTag(account.id)], reader);
    return { loans, creditLimit, repayments, disbursements, fetchedAt: now, eventAt: null };
  }

  /**
   * What is cached for a read, or null when something the read needs is missing (then the account must
   * be read live). Each domain is looked up among the snapshots of the consent that allows it.
   * `fetchedAt` is that of the oldest snapshot used.
   * @param snapshots per domain, the snapshots of this account under the consent that allows the domain;
   *   null for a domain the read is not allowed (it is then not needed).
   */
  cached(snapshots: { readonly LOANS: readonly ProviderSnapshot[]; readonly REPAYMENTS: readonly ProviderSnapshot[] | null; readonly DISBURSEMENTS: readonly ProviderSnapshot[] | null }): AccountData | null {
    const loans = snapshots.LOANS.find((s) => s.domain === 'LOANS');
    if (!loans) return null;
    const used: ProviderSnapshot[] = [loans];
    const list = <T>(domain: 'REPAYMENTS' | 'DISBURSEMENTS', revive: (p: unknown) => T[]): ReadList<T> | null => {
      const of = snapshots[domain];
      if (!of) return { rows: null };
      const s = of.find((x) => x.domain === domain);
      if (!s) return null;
      used.push(s);
      return { rows: revivedOnce(s.payload, revive) };
    };
    const repayments = list('REPAYMENTS', reviveRepayments);
    const disbursements = list('DISBURSEMENTS', reviveDisbursements);
    if (!repayments || !disbursements) return null;
    const fetchedAt = used.reduce((oldest, s) => (s.fetchedAt < oldest ? s.fetchedAt : oldest), loans.fetchedAt);
    const held = revivedOnce(loans.payload, reviveLoanList);
    return { loans: held.loans, creditLimit: held.creditLimit, repayments, disbursements, fetchedAt, eventAt: loans.eventAt };
  }
}

/** Freshness of data fetched at `d.fetchedAt` (and touched by a webhook at `d.eventAt`), seen at `now`. */
export function freshnessOf(d: Pick<AccountData, 'fetchedAt' | 'eventAt'>, now: Date, source: 'LIVE' | 'CACHE', stale: boolean): Freshness {
  if (source === 'LIVE') return { fetchedAt: d.fetchedAt, ageSeconds: 0, source: 'LIVE', stale };
  const webhook = d.eventAt !== null && d.eventAt >= d.fetchedAt;
  return {
    fetchedAt: webhook ? d.eventAt! : d.fetchedAt,
    ageSeconds: Math.max(0, Math.floor((now.getTime() - d.fetchedAt.getTime()) / 1000)),
    source: webhook ? 'WEBHOOK' : 'CACHE',
    stale,
  };
}
