/**
 * Per-request DataLoader factory. Call `createRequestLoaders` once per GraphQL
 * request; never share the result between requests (a shared cache would leak
 * one client's data to another and serve stale balances).
 *
 * Contract of every batch function here (as dataloader's README states it):
 * it returns one result per key, in the order of the keys; a key with no row
 * resolves to null.
 */
import DataLoader from 'dataloader';
import type { ProviderCode } from '../domain/types';
import type { AccountRef, ProviderConnector, ProviderReads } from '../providers/connector';
import type { Borrower, LedgerLoanState, PrismaClient, ProviderAccount, ProviderSnapshot, Settlement } from '../generated/prisma/client';
import type { BankChannel, Repayment } from '../domain/types';

/** The connectors of the running service, one per provider. */
export type Connectors = Readonly<Record<ProviderCode, ProviderConnector>>;

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
      return ids.map((id) => rows.filter((r) => r.borrowerId === id));
    }),
    account: new DataLoader(async (ids) => {
      const rows = await prisma.providerAccount.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    eventRepayments: new DataLoader(async (keys) => {
      const rows = await prisma.ledgerRepayment.findMany({ where: { OR: keys.map(splitKey) } });
      return keys.map((k) =>
        rows
          .filter((r) => ledgerKey(r.provider, r.providerLoanId) === k)
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
      return keys.map((k) => rows.find((r) => ledgerKey(r.provider, r.providerLoanId) === k) ?? null);
    }),
    settlements: new DataLoader(async (refs) => {
      const rows = await prisma.settlement.findMany({ where: { reference: { in: [...refs] } } });
      return refs.map((r) => rows.filter((s) => s.reference === r));
    }),
    snapshots: new DataLoader(async (keys) => {
      const pairs = keys.map((k) => k.split('|') as [string, string]);
      const rows = await prisma.providerSnapshot.findMany({ where: { OR: pairs.map(([consentId, accountId]) => ({ consentId, accountId })) } });
      return pairs.map(([c, a]) => rows.filter((r) => r.consentId === c && r.accountId === a));
    }),
    reads: {
      CAIRIN: connectors.CAIRIN.openReads(),
      FINFRA: connectors.FINFRA.openReads(),
      DOMPET_KILAT: connectors.DOMPET_KILAT.openReads(),
    },
  };
}
