/**
 * Dompet Kilat connector. One call per account and request:
 * `GET /v1/borrower/:idNumber`, which carries both the profile and the loan terms.
 * Repayments and disbursements are pushed by callback, so the read API has none. The loan's repayment account
 * (the VA the borrower pays into) comes with the loan terms, its number masked by the wire schema.
 */
import DataLoader from 'dataloader';
import { jakartaDate } from '../../domain/dates';
import { type Clock, type LinkedAccount, LinkMismatchError, type ProviderConnector, type ProviderReads, systemClock } from '../connector';
import type { HttpClientOptions } from '../http';
import { DompetKilatClient } from './client';
import { toBorrower, toLoan } from './map';

/** Dompet Kilat connector. */
export class DompetKilatConnector implements ProviderConnector {
  readonly provider = 'DOMPET_KILAT' as const;
  readonly client: DompetKilatClient;

  constructor(options: HttpClientOptions, private readonly clock: Clock = systemClock) {
    this.client = new DompetKilatClient(options);
  }

  /**
   * Links a Dompet Kilat record by its `idNumber` (GraphQL `accounts.dompetKilatIdNumber`): the record must hold the same NIK.
   * @throws LinkMismatchError when the record is unknown or holds another NIK.
   */
  async link(nik: string, request: unknown): Promise<LinkedAccount> {
    const r = await this.client.getBorrower(String(request));
    if (!r || r.idNumber !== nik) throw new LinkMismatchError('Dompet Kilat record does not belong to this NIK');
    return { externalId: r.idNumber };
  }

  /** Dompet Kilat's `phoneNumber` of the record whose `idNumber` is the NIK; link request: that `idNumber`. */
  async phoneOnFile(nik: string): Promise<{ phone: string; linkRequest: unknown } | null> {
    const r = await this.client.getBorrower(nik);
    return r && r.idNumber === nik && r.phoneNumber ? { phone: r.phoneNumber, linkRequest: r.idNumber } : null;
  }

  get circuit(): string {
    return this.client.circuit;
  }

  resetResilience(): void {
    this.client.resetResilience();
  }

  openReads(): ProviderReads {
    const records = new DataLoader((ids: readonly string[]) => Promise.all(ids.map((id) => this.client.getBorrower(id).catch((e: Error) => e))));
    const today = () => jakartaDate(this.clock.now());
    return {
      async profile(a) {
        const r = await records.load(a.externalId);
        return r ? toBorrower(r) : null;
      },
      async loans(a) {
        const r = await records.load(a.externalId);
        const loan = r ? toLoan(r, a.id, today()) : null;
        return loan ? [loan] : [];
      },
      async creditLimit(a) {
        const r = await records.load(a.externalId);
        return r?.plafons !== undefined ? BigInt(r.plafons) : null;
      },
      async repayments() {
        return [];
      },
      async disbursements() {
        return [];
      },
    };
  }
}
