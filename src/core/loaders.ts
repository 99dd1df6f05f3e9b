/**
 * Per-request DataLoader factory. Call `createRequestLoaders` once per request;
 * never share the result between requests (a shared cache would leak one
 * client's data to another and serve stale balances).
 *
 * Contract of every batch function here (as dataloader's README states it):
 * it returns one result per key, in the order of the keys. A row loader
 * (`borrower`, `account`, `loanState`) gives null for a key with no row; a list
 * loader (`accountsOfBorrower`, `eventRepayments`, `settlements`, `snapshots`)
 * gives an empty list. Rows are grouped by key once per batch.
 */
import DataLoader from 'dataloader';
import type { ProviderCode } from '../domain/types';
import type { AccountRef, ProviderReads } from '../providers/connector';
import type { Connectors } from '../providers/registry';
import type { Borrower, LedgerLoanState, PrismaClient, ProviderAccount, ProviderSnapshot, Settlement } from '../generated/prisma/client';
import type { BankChannel, Repayment } from '../domain/types';

/** Loaders of one request. */
export interface RequestLoaders {
  /** Borrower rows by id (one `findMany ... in` per batch). */
  borrower: DataLoader<string, Borrower | null>;
  /** Linked accounts by borrower id. */
  accountsOfBorrower: DataLoader<string, ProviderAccount[]>;
  /** Linked account by its id. */
  account: DataLoader<string, ProviderAccount | null>;
  /** Provider reads, each with its own request-scoped DataLoaders. */
  reads: Readonly<Record<ProviderCode, ProviderReads>>;
  /** Repayments learned from events, by `PROVIDER|providerLoanId`. */
  eventRepayments: DataLoader<string, Repayment[]>;
  /** Latest event-reported loan state, by `PROVIDER|providerLoanId`. */
  loanState: DataLoader<string, LedgerLoanState | null>;
  /** Bank settlements by the repayment reference they confirm. */
  settlements: DataLoader<string, Settlement[]>;
  /** Cached provider data by `consentId|accountId` (one row per domain). */
  snapshots: DataLoader<string, ProviderSnapshot[]>;
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

/** A ProviderAccount row as the connectors see it. */
export function accountRef(a: ProviderAccount): AccountRef {
  return { id: a.id, provider: a.provider, externalId: a.externalId, credentials: a.credentials };
}

/** Builds the loaders of one request. */
export function createRequestLoaders(prisma: PrismaClient, connectors: Connectors): RequestLoaders {
  return {
    borrower: new DataLoader(async (ids) => {
      const rows = await prisma.borrower.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    accountsOfBorrower: new DataLoader(async (ids) => {
      const rows = await prisma.providerAccount.findMany({ where: { borrowerId: { in: [...ids] } }, orderBy: { provider: 'asc' } });
      const by = groupBy(rows, (r) => r.borrowerId);
      return ids.map((id) => by.get(id) ?? []);
    }),
    account: new DataLoader(async (ids) => {
      const rows = await prisma.providerAccount.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    eventRepayments: new DataLoader(async (keys) => {
      const rows = await prisma.ledgerRepayment.findMany({ where: { OR: keys.map(splitKey) } });
      const by = groupBy(rows, (r) => ledgerKey(r.provider, r.providerLoanId));
      return keys.map((k) =>
        (by.get(k) ?? [])
          .map((r) => ({
            id: r.externalId,
            providerLoanId: r.providerLoanId,
            amount: r.amount,
            channel: r.channel as BankChannel,
            status: r.status as Repayment['status'],
            paidAt: r.paidAt,
            clearedAt: r.clearedAt,
          })),
      );
    }),
    loanState: new DataLoader(async (keys) => {
      const rows = await prisma.ledgerLoanState.findMany({ where: { OR: keys.map(splitKey) } });
      const by = new Map(rows.map((r) => [ledgerKey(r.provider, r.providerLoanId), r]));
      return keys.map((k) => by.get(k) ?? null);
    }),
    settlements: new DataLoader(async (refs) => {
      const rows = await prisma.settlement.findMany({ where: { reference: { in: [...refs] } } });
      const by = groupBy(rows, (s) => s.reference);
      return refs.map((r) => by.get(r) ?? []);
    }),
    snapshots: new DataLoader(async (keys) => {
      const pairs = keys.map((k) => k.split('|') as [string, string]);
      const rows = await prisma.providerSnapshot.findMany({ where: { OR: pairs.map(([consentId, accountId]) => ({ consentId, accountId })) } });
      const by = groupBy(rows, (r) => `${r.consentId}|${r.accountId}`);
      return keys.map((k) => by.get(k) ?? []);
    }),
    reads: Object.fromEntries(Object.entries(connectors).map(([code, c]) => [code, c.openReads()])) as Record<ProviderCode, ProviderReads>,
  };
}
