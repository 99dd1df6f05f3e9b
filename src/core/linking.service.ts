/**
 * Linking a borrower's provider accounts. Called only by ConsentService.grant,
 * so that linking happens under a consent. The link is ours to keep: each
 * account is verified by its provider's connector before it is stored (same
 * NIK at the provider, or the borrower's own login), never inferred from a name.
 */
import type { ProviderCode } from '../domain/types';
import type { PrismaClient } from '../generated/prisma/client';
import type { LinkedAccount } from '../providers/connector';
import { type Connectors, providerDefinition } from '../providers/registry';

/** What a borrower hands us to link their accounts. */
export interface LinkRequest {
  nik: string;
  fullName: string;
  /** Each provider's link request (the provider's `linkInputField` value), by provider. */
  requests: ReadonlyMap<ProviderCode, unknown>;
}

/** Thrown when linking would replace the account already linked for the borrower at a provider, or take an account linked to another borrower. */
export class LinkConflictError extends Error {
  override readonly name = 'LinkConflictError';
}

/**
 * Creates or updates the borrower and links the given accounts (all verified before any is stored). A link
 * is never replaced silently: the same account is re-linked (its session renewed); another account at a
 * provider where the borrower already has one, or an account linked to another borrower, is refused.
 * @returns the borrower id.
 * @throws LinkMismatchError when a provider holds a different NIK or no such account; LinkConflictError (see above); ProviderError on provider failure.
 */
export async function linkAccounts(prisma: PrismaClient, connectors: Connectors, req: LinkRequest): Promise<string> {
  const accounts: (LinkedAccount & { provider: ProviderCode })[] = [];
  // Identity matches first (no side effects at the provider), logins last.
  const order = [...req.requests].sort(([a], [b]) => Number(providerDefinition(a).linkProof === 'LOGIN') - Number(providerDefinition(b).linkProof === 'LOGIN'));
  for (const [provider, request] of order) accounts.push({ provider, ...(await connectors[provider].link(req.nik, request)) });
  return prisma.$transaction(async (tx) => {
    const borrower = await tx.borrower.upsert({ where: { nik: req.nik }, create: { nik: req.nik, fullName: req.fullName }, update: {} });
    for (const a of accounts) {
      const [mine, taken] = await Promise.all([
        tx.providerAccount.findUnique({ where: { borrowerId_provider: { borrowerId: borrower.id, provider: a.provider } } }),
        tx.providerAccount.findUnique({ where: { provider_externalId: { provider: a.provider, externalId: a.externalId } } }),
      ]);
      if (mine && mine.externalId !== a.externalId) throw new LinkConflictError(`the borrower already has another ${a.provider} account linked`);
      if (taken && taken.borrowerId !== borrower.id) throw new LinkConflictError(`this ${a.provider} account is linked to another borrower`);
      if (mine) await tx.providerAccount.update({ where: { id: mine.id }, data: { credentials: a.credentials } });
      else await tx.providerAccount.create({ data: { borrowerId: borrower.id, provider: a.provider, externalId: a.externalId, credentials: a.credentials } });
    }
    return borrower.id;
  });
}
