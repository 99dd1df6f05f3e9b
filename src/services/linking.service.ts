/**
 * Linking a borrower's provider accounts. Called only by ConsentService.grant,
 * so that linking happens under a consent. The link is ours to keep: each
 * account is checked against the provider before it is stored (Finfra and
 * Dompet Kilat must hold the same NIK; Cairin must accept the borrower's own
 * login), never inferred from a name.
 */
import type { PrismaClient } from '../generated/prisma/client';
import type { CairinLinkRequest } from '../providers/cairin/client';
import type { CairinConnector } from '../providers/cairin/connector';
import type { DompetKilatConnector } from '../providers/dompetkilat/connector';
import type { FinfraConnector } from '../providers/finfra/connector';

/** What a borrower hands us to link their accounts. */
export interface LinkRequest {
  nik: string;
  fullName: string;
  cairin?: CairinLinkRequest;
  /** Finfra `userId`. */
  finfraUserId?: string;
  /** Dompet Kilat `idNumber` (normally the NIK itself). */
  dompetKilatIdNumber?: string;
}

/** The connectors linking needs. */
export type LinkConnectors = { CAIRIN: CairinConnector; FINFRA: FinfraConnector; DOMPET_KILAT: DompetKilatConnector };

/** Thrown when a provider account does not belong to the NIK being linked. */
export class LinkMismatchError extends Error {
  override readonly name = 'LinkMismatchError';
}

/**
 * Creates or updates the borrower and links the given accounts.
 * @returns the borrower id.
 * @throws LinkMismatchError when a provider holds a different NIK or no such account; ProviderError on provider failure.
 */
export async function linkAccounts(prisma: PrismaClient, connectors: LinkConnectors, req: LinkRequest): Promise<string> {
  const accounts: { provider: 'CAIRIN' | 'FINFRA' | 'DOMPET_KILAT'; externalId: string; credentials?: object }[] = [];
  if (req.finfraUserId) {
    const u = await connectors.FINFRA.client.getBorrower(req.finfraUserId);
    if (!u || u.id_number !== req.nik) throw new LinkMismatchError('Finfra account does not belong to this NIK');
    accounts.push({ provider: 'FINFRA', externalId: u.userId });
  }
  if (req.dompetKilatIdNumber) {
    const r = await connectors.DOMPET_KILAT.client.getBorrower(req.dompetKilatIdNumber);
    if (!r || r.idNumber !== req.nik) throw new LinkMismatchError('Dompet Kilat record does not belong to this NIK');
    accounts.push({ provider: 'DOMPET_KILAT', externalId: r.idNumber });
  }
  if (req.cairin) {
    const { accountId, credentials } = await connectors.CAIRIN.link(req.cairin);
    accounts.push({ provider: 'CAIRIN', externalId: accountId, credentials });
  }
  const borrower = await prisma.borrower.upsert({
    where: { nik: req.nik },
    create: { nik: req.nik, fullName: req.fullName },
    update: {},
  });
  for (const a of accounts) {
    await prisma.providerAccount.upsert({
      where: { borrowerId_provider: { borrowerId: borrower.id, provider: a.provider } },
      create: { borrowerId: borrower.id, provider: a.provider, externalId: a.externalId, credentials: a.credentials },
      update: { externalId: a.externalId, credentials: a.credentials },
    });
  }
  return borrower.id;
}
