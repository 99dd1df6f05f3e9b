/**
 * Per-request DataLoader factory. Call `createRequestLoaders` once per request;
 * never share the result between requests (a shared cache would leak one
 * client's data to another and serve stale balances).
 *
 * Contract of every batch function here (as dataloader's README states it):
 * it returns one result per key, in the order of the keys. A row loader
 * (`borrower`, `account`) gives null for a key with no row (`ledger`: empty lists and a null state); a list
 * loader (`accountsOfBorrower`, `settlements`, `snapshots`)
 * gives an empty list. Rows are grouped by key once per batch.
 */
import DataLoader from 'dataloader';
import type { ProviderCode } from '../domain/types';
import type { ProviderReads } from '../providers/connector';
import type { Connectors } from '../providers/registry';
import type { Borrower, LedgerLoanState, ProviderAccount, ProviderSnapshot, Settlement } from '../generated/prisma/client';
import type { ReportedInstallmentState } from '../domain/ledger';
import type { SqlExecutor } from '../store/migrate';
import { accountsById, accountsOfBorrowers, borrowersById, ledgerOfLoans, settlementsOf, snapshotHeadsOf, snapshotsById, snapshotsOf } from '../store/reads';
import type { SnapshotCache } from './snapshot-cache';
import type { BankChannel, Disbursement, InstallmentStatus, Repayment } from '../domain/types';
import type { ConsentDenial, ConsentDomain } from '../domain/consent';
import type { AccessKind } from './access-log';

/** Loaders of one request. */
export interface RequestLoaders {
  /** Borrower rows by id (one query per batch). */
  borrower: DataLoader<string, Borrower | null>;
  /** Linked accounts by borrower id. */
  accountsOfBorrower: DataLoader<string, ProviderAccount[]>;
  /** Linked account by its id. */
  account: DataLoader<string, ProviderAccount | null>;
  /** Provider reads, each with its own request-scoped DataLoaders. */
  reads: Readonly<Record<ProviderCode, ProviderReads>>;
  /** What events told of a loan, by `PROVIDER|providerLoanId` (one query per batch for all four kinds of ledger row). */
  ledger: DataLoader<string, LoanLedger>;
  /** Bank settlements by the repayment reference they confirm. */
  settlements: DataLoader<string, Settlement[]>;
  /** Cached provider data by `consentId|accountId` (one row per domain). */
  snapshots: DataLoader<string, ProviderSnapshot[]>;
  /** Values computed once per request (credit views, consent decisions of loan fields): see `RequestMemo`. */
  memo: RequestMemo;
}

/**
 * Values computed once per request and reused by every field that asks for the same thing (a borrower's
 * credit view read under the same freshness demand, a consent decision). Lives in the request's loaders, so
 * it is never shared between requests or clients (a subscription's scope lives as long as the subscription:
 * nothing on a subscription's path keeps values here). Keys are strings whose first segment names what is
 * kept, and a key always maps to values of one type: `providerParts|<borrowerId>|<maxAge>` and
 * `creditView|<borrowerId>|<maxAge>` (CreditService), `decision|...` (`decisionKey`: consent decisions of the
 * loan fields), `borrowerObject|<borrowerId>` (the GraphQL layer's borrower objects).
 */
export class RequestMemo {
  private readonly values = new Map<string, unknown>();

  /** The value kept under `key`, made by `make` (and kept) on first use. A promise is kept as is, rejected or not. */
  get<T>(key: string, make: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const v = make();
    this.values.set(key, v);
    return v;
  }

  /** The value kept under `key`, or undefined. */
  peek<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  /** Keeps `value` under `key` (replacing what was kept). */
  set<T>(key: string, value: T): void {
    this.values.set(key, value);
  }

  /** Forgets what was kept under `key` (the next `get` makes it again). */
  delete(key: string): void {
    this.values.delete(key);
  }
}

/** A consent decision kept in a request's memo: allowed, or the denial code. */
export type ConsentDecision = { readonly allowed: true } | { readonly allowed: false; readonly denial: ConsentDenial };

/** The allowed decision (one object for all). */
export const ALLOWED: ConsentDecision = { allowed: true };

/**
 * Memo key of the guard's decision on a read of `domain` from `provider` about `borrowerId` with access `kind`
 * (the guard records one access entry per such key and request).
 */
export function decisionKey(borrowerId: string, provider: ProviderCode, domain: ConsentDomain, kind: AccessKind): string {
  return `decision|${borrowerId}|${provider}|${domain}|${kind}`;
}

/** What events told of a loan (the `ledger` loader). */
export interface LoanLedger {
  /** Repayments learned from events (provider callbacks, bank notifications). */
  readonly repayments: readonly Repayment[];
  /** The latest event-reported loan state, or null. */
  readonly state: LedgerLoanState | null;
  /** The provider's latest event report per installment reported (Finfra `bnpl`). */
  readonly installmentReports: readonly ReportedInstallmentState[];
  /** Disbursements learned from events (Dompet Kilat disbursement callbacks). */
  readonly disbursements: readonly Disbursement[];
}

/** Key of a loan in the ledger loaders. */
export function ledgerKey(provider: ProviderCode, providerLoanId: string): string {
  return `${provider}|${providerLoanId}`;
}

/** Groups rows by a key, once. */
function groupBy<R>(rows: readonly R[], key: (r: R) => string): Map<string, R[]> {
  const m = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

function splitKey(k: string): { provider: ProviderCode; providerLoanId: string } {
  const i = k.indexOf('|');
  return { provider: k.slice(0, i) as ProviderCode, providerLoanId: k.slice(i + 1) };
}

/**
 * The snapshot rows of the given (consent, account) pairs with their payloads: with a snapshot cache, the rows
 * without payloads first, then only the payloads this process holds no copy of (by content hash); without
 * one, everything in one query.
 */
async function snapshotRows(sql: SqlExecutor, pairs: readonly { consentId: string; accountId: string }[], cache: SnapshotCache | undefined): Promise<ProviderSnapshot[]> {
  if (!cache || cache.policy.maxBytes <= 0) return snapshotsOf(sql, pairs);
  const heads = await snapshotHeadsOf(sql, pairs);
  const rows: ProviderSnapshot[] = [];
  const missing: string[] = [];
  for (const h of heads) {
    const payload = cache.get(h.id, h.contentHash);
    if (payload === undefined) missing.push(h.id);
    else rows.push({ ...h, payload: payload as ProviderSnapshot['payload'] });
  }
  if (missing.length) {
    // Each whole row as it is now (it may have changed since the heads were read: its own hash goes with it).
    for (const { payloadBytes, ...r } of await snapshotsById(sql, missing)) {
      rows.push({ ...r, payload: cache.put(r.id, r.contentHash, r.payload, payloadBytes) as ProviderSnapshot['payload'] });
    }
  }
  return rows;
}

/**
 * Builds the loaders of one request. Their queries are plain SQL on `sql` (src/store/reads.ts): the read path
 * runs them on every credit view, and Prisma's client engine cost several times their database time.
 * @param snapshotCache this process's copies of snapshot payloads (src/core/snapshot-cache.ts); without it every
 *   read fetches and parses the payloads it uses.
 */
export function createRequestLoaders(sql: SqlExecutor, connectors: Connectors, snapshotCache?: SnapshotCache): RequestLoaders {
  return {
    borrower: new DataLoader(async (ids) => {
      const byId = new Map((await borrowersById(sql, ids)).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    accountsOfBorrower: new DataLoader(async (ids) => {
      const by = groupBy(await accountsOfBorrowers(sql, ids), (r) => r.borrowerId);
      return ids.map((id) => by.get(id) ?? []);
    }),
    account: new DataLoader(async (ids) => {
      const byId = new Map((await accountsById(sql, ids)).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    ledger: new DataLoader(async (keys) => {
      const rows = await ledgerOfLoans(sql, keys.map(splitKey));
      const repayments = groupBy(rows.repayments, (r) => ledgerKey(r.provider, r.providerLoanId));
      const states = new Map(rows.states.map((r) => [ledgerKey(r.provider, r.providerLoanId), r]));
      const reports = groupBy(rows.installments, (r) => ledgerKey(r.provider, r.providerLoanId));
      const disbursements = groupBy(rows.disbursements, (r) => ledgerKey(r.provider, r.providerLoanId));
      return keys.map((k) => ({
        repayments: (repayments.get(k) ?? []).map((r) => ({
          id: r.externalId,
          providerLoanId: r.providerLoanId,
          amount: r.amount,
          channel: r.channel as BankChannel,
          status: r.status as Repayment['status'],
          paidAt: r.paidAt,
          clearedAt: r.clearedAt,
        })),
        state: states.get(k) ?? null,
        installmentReports: (reports.get(k) ?? []).map((r) => ({ seq: r.seq, status: r.status as InstallmentStatus, paidAmount: r.paidAmount, reportedAt: r.reportedAt })),
        disbursements: (disbursements.get(k) ?? []).map((r) => ({
          id: r.externalId,
          providerLoanId: r.providerLoanId,
          amount: r.amount,
          channel: r.channel as BankChannel,
          status: r.status as Disbursement['status'],
          disbursedAt: r.disbursedAt,
        })),
      }));
    }),
    settlements: new DataLoader(async (refs) => {
      const by = groupBy(await settlementsOf(sql, refs), (s) => s.reference);
      return refs.map((r) => by.get(r) ?? []);
    }),
    snapshots: new DataLoader(async (keys) => {
      const pairs = keys.map((k) => {
        const [consentId, accountId] = k.split('|') as [string, string];
        return { consentId, accountId };
      });
      const by = groupBy(await snapshotRows(sql, pairs, snapshotCache), (r) => `${r.consentId}|${r.accountId}`);
      return keys.map((k) => by.get(k) ?? []);
    }),
    reads: Object.fromEntries(Object.entries(connectors).map(([code, c]) => [code, c.openReads()])) as Record<ProviderCode, ProviderReads>,
    memo: new RequestMemo(),
  };
}
