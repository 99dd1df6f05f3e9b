/**
 * Finfra connector. Calls per account and request: `GET /api/core/users/:userId`
 * (profile), `GET /api/core/loans/:userId` (list) and one
 * `GET /api/core/loans/details/:uniqueId` per loan, which also carries the
 * loan's payments and disbursement. Finfra has no batch endpoint, so the
 * DataLoaders dedupe rather than batch.
 */
import DataLoader from 'dataloader';
import { type AccountRef, type LinkedAccount, LinkMismatchError, type ProviderConnector, type ProviderReads } from '../connector';
import { FinfraClient, type FinfraClientOptions } from './client';
import { toBorrower, toDisbursements, toLoan, toRepayments } from './map';
import type { FinfraLoanDetails } from './wire';

/** Finfra connector (partner-level credentials; one token for the process). */
export class FinfraConnector implements ProviderConnector {
  readonly provider = 'FINFRA' as const;
  readonly client: FinfraClient;

  constructor(options: FinfraClientOptions) {
    this.client = new FinfraClient(options);
  }

  /**
   * Links a Finfra account by its `userId` (GraphQL `accounts.finfraUserId`): Finfra must hold the same NIK (`id_number`).
   * @throws LinkMismatchError when the user is unknown or holds another NIK.
   */
  async link(nik: string, request: unknown): Promise<LinkedAccount> {
    const u = await this.client.getBorrower(String(request));
    if (!u || u.id_number !== nik) throw new LinkMismatchError('Finfra account does not belong to this NIK');
    return { externalId: u.userId };
  }

  /** Finfra's `phone_number` of the borrower holding the NIK (`GET /api/core/users?id_number=`); link request: its `userId`. */
  async phoneOnFile(nik: string): Promise<{ phone: string; linkRequest: unknown } | null> {
    const u = await this.client.findBorrowerByNik(nik);
    return u?.phone_number ? { phone: u.phone_number, linkRequest: u.userId } : null;
  }

  get circuit(): string {
    return this.client.circuit;
  }

  resetResilience(): void {
    this.client.resetResilience();
  }

  openReads(): ProviderReads {
    const c = this.client;
    const one = <K, V>(fn: (k: K) => Promise<V>) => new DataLoader<K, V>((keys) => Promise.all(keys.map((k) => fn(k).catch((e: Error) => e))) as Promise<(V | Error)[]>);
    const users = one((userId: string) => c.getBorrower(userId));
    const lists = one((userId: string) => c.listLoans(userId));
    const details = one((uniqueId: string) => c.loanDetails(uniqueId));

    const allDetails = async (a: AccountRef): Promise<FinfraLoanDetails[]> => {
      const list = await lists.load(a.externalId);
      if (!list) return [];
      const d = await details.loadMany(list.loans.map((l) => l.loanUniqueId));
      return d.map((x) => {
        if (x instanceof Error) throw x;
        return x;
      }).filter((x): x is FinfraLoanDetails => x !== null && x.userId === a.externalId);
    };

    return {
      async profile(a) {
        const u = await users.load(a.externalId);
        return u ? toBorrower(u) : null;
      },
      async loans(a) {
        const created = new Map((await lists.load(a.externalId))?.loans.map((l) => [l.loanUniqueId, l.created_at]) ?? []);
        return (await allDetails(a)).map((d) => toLoan(d, a.id, created.get(d.loanUniqueId)));
      },
      async creditLimit() {
        // Finfra's documents give no credit limit per borrower.
        return null;
      },
      async repayments(a) {
        return (await allDetails(a)).flatMap(toRepayments).sort((x, y) => y.paidAt.getTime() - x.paidAt.getTime());
      },
      async disbursements(a) {
        return (await allDetails(a)).flatMap(toDisbursements);
      },
    };
  }
}
