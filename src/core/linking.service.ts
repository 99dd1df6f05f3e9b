/**
 * Storing a borrower's provider accounts. Called only when the borrower approves a consent on the
 * hosted consent page (ConsentRequestService.approve), so linking happens under a consent the borrower
 * gave. Each account was verified by its provider's connector before it reaches here (same NIK at the
 * provider, or the borrower's own login), never inferred from a name.
 */
import type { ProviderCode } from '../domain/types';
import type { Prisma } from '../generated/prisma/client';

/** An account the borrower proved, ready to be stored. */
export interface VerifiedAccount {
  readonly provider: ProviderCode;
  /** The provider's account id (Cairin accountId, Finfra userId, Dompet Kilat idNumber). */
  readonly externalId: string;
  /** Session credentials to keep (Cairin), or undefined. */
  readonly credentials?: object;
}

/** Thrown when linking would replace the account already linked for the borrower at a provider, or take an account linked to another borrower. */
export class LinkConflictError extends Error {
  override readonly name = 'LinkConflictError';
}

/**
 * Creates the borrower when new (by NIK) and stores the verified accounts, inside the caller's
 * transaction. A link is never replaced silently: the same account is re-linked (its session renewed);
 * another account at a provider where the borrower already has one, or an account linked to another
 * borrower, is refused.
 * @returns the borrower id.
 * @throws LinkConflictError (see above).
 */
export async function storeLinks(tx: Prisma.TransactionClient, nik: string, fullName: string | null, accounts: readonly VerifiedAccount[]): Promise<string> {
  const borrower = await tx.borrower.upsert({ where: { nik }, create: { nik, fullName }, update: {} });
  for (const a of accounts) {
    const [mine, taken] = await Promise.all([
      tx.providerAccount.findUnique({ where: { borrowerId_provider: { borrowerId: borrower.id, provider: a.provider } } }),
      tx.providerAccount.findUnique({ where: { provider_externalId: { provider: a.provider, externalId: a.externalId } } }),
    ]);
    if (mine && mine.externalId !== a.externalId) throw new LinkConflictError(`the borrower already has another ${a.provider} account linked`);
    if (taken && taken.borrowerId !== borrower.id) throw new LinkConflictError(`this ${a.provider} account is linked to another borrower`);
    if (mine) {
      if (a.credentials) await tx.providerAccount.update({ where: { id: mine.id }, data: { credentials: a.credentials } });
    } else {
      await tx.providerAccount.create({ data: { borrowerId: borrower.id, provider: a.provider, externalId: a.externalId, credentials: a.credentials } });
    }
  }
  return borrower.id;
}
