/**
 * Cairin connector. Calls per account and request: `GET /mobile/loan/list`,
 * one `POST /mobile/loan/detail` per loan (installments + disbursement), and
 * `GET /mobile/transaction/history` (repayments and disbursements of all the
 * account's loans in one read); `GET /mobile/funding/portfolio` for the account's
 * funding positions (lender side), only when asked. Access tokens are per account.
 */
import DataLoader from 'dataloader';
import { type AccountRef, type LinkedAccount, LinkMismatchError, LinkStepRequired, type ProviderConnector, type ProviderReads } from '../connector';
import { ProviderAuthError } from '../errors';
import { CAIRIN_ERRORS } from './wire';
import { CairinClient, type CairinClientOptions, type CairinCredentials, type CairinLinkRequest } from './client';
import { toDisbursements, toFundingPositions, toLoan, toRepayments } from './map';

function credentialsOf(a: AccountRef): CairinCredentials {
  const c = a.credentials as Partial<CairinCredentials> | null;
  if (!c || typeof c.refreshToken !== 'string' || typeof c.deviceId !== 'string') {
    throw new ProviderAuthError('CAIRIN', 'session', 'account has no session; the borrower must link it again');
  }
  return c as CairinCredentials;
}

/** Cairin connector. */
export class CairinConnector implements ProviderConnector {
  readonly provider = 'CAIRIN' as const;
  readonly client: CairinClient;

  constructor(options: CairinClientOptions) {
    this.client = new CairinClient(options);
  }

  /**
   * Links a borrower's Cairin account with their own app login (see CairinClient.link), then checks the
   * NIK Cairin's KYC verified for the account (`GET /mobile/account/identity`) is the one being linked.
   * @throws ProviderAuthError when Cairin refuses the login; LinkStepRequired('LIVENESS') when Cairin needs the KTP photo and selfie
   * (a new device) and the request has none; LinkMismatchError when the account holds another NIK.
   */
  async link(nik: string, request: unknown): Promise<LinkedAccount> {
    const { accountId, credentials } = await this.client.link(request as CairinLinkRequest).catch((e: unknown) => {
      if (e instanceof ProviderAuthError && e.message.endsWith(CAIRIN_ERRORS.livenessRequired)) throw new LinkStepRequired('LIVENESS');
      throw e;
    });
    const identity = await this.client.identity(this.client.tokensFor(accountId, credentials));
    if (identity.idNumber !== nik) throw new LinkMismatchError('Cairin account does not belong to this NIK');
    return { externalId: accountId, credentials };
  }

  /** Cairin accounts are proven by the borrower's own app login, never by a code: always null. */
  async phoneOnFile(): Promise<null> {
    return null;
  }

  get circuit(): string {
    return this.client.circuit;
  }

  resetResilience(): void {
    this.client.resetResilience();
  }

  openReads(): ProviderReads {
    const c = this.client;
    const tokens = (a: AccountRef) => c.tokensFor(a.externalId, credentialsOf(a));
    const perKey = <K, V>(fn: (k: K) => Promise<V>, cacheKeyFn?: (k: K) => unknown) =>
      new DataLoader<K, V, unknown>((keys) => Promise.all(keys.map((k) => fn(k).catch((e: Error) => e))) as Promise<(V | Error)[]>, { cacheKeyFn });
    const lists = perKey((a: AccountRef) => c.loanList(tokens(a)), (a) => a.externalId);
    const details = perKey(
      (k: { a: AccountRef; loanId: string }) => c.loanDetail(tokens(k.a), k.loanId),
      (k) => `${k.a.externalId}\u0000${k.loanId}`,
    );
    const history = perKey((a: AccountRef) => c.history(tokens(a)), (a) => a.externalId);
    const funding = perKey((a: AccountRef) => c.fundingPortfolio(tokens(a)), (a) => a.externalId);

    return {
      async profile(a) {
        const l = await lists.load(a);
        return { provider: 'CAIRIN', externalId: l.accountId, fullName: null, nik: null, status: 'ACTIVE' };
      },
      async loans(a) {
        const l = await lists.load(a);
        const d = await details.loadMany(l.loans.map((x) => ({ a, loanId: x.loanId })));
        return d.flatMap((x, k) => {
          if (x instanceof Error) throw x;
          return x ? [toLoan(x, a.id, l.loans[k]!.appliedAt)] : [];
        });
      },
      async creditLimit(a) {
        return BigInt((await lists.load(a)).limit.approvedLimit);
      },
      async repayments(a) {
        return toRepayments(await history.load(a));
      },
      async disbursements(a) {
        return toDisbursements(await history.load(a));
      },
      async fundingPositions(a) {
        return toFundingPositions(await funding.load(a));
      },
    };
  }
}
