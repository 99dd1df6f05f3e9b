/**
 * Dompet Kilat HTTP client. No token: the provider authenticates callers by an
 * IP allow-list. Every answer is the `{ status, message, data }` envelope; the
 * envelope status (not the HTTP status) decides success.
 */
import type { z } from 'zod';
import { ProviderRejectedError } from '../errors';
import { type ErrorAnswer, type HttpClientOptions, ProviderHttpClient, type RequestSpec, parseWire } from '../http';
import { DK_PATHS, DK_STATUS, DkBorrowerRecord, DkEnvelope } from './wire';

/** Low-level Dompet Kilat calls, wire types out. */
export class DompetKilatClient extends ProviderHttpClient {
  constructor(options: HttpClientOptions) {
    super('DOMPET_KILAT', options);
  }

  protected override mapErrorAnswer(answer: ErrorAnswer, spec: RequestSpec<z.ZodType>): unknown {
    // Business failures come as an envelope whatever the HTTP status; let the caller read it.
    const env = DkEnvelope.safeParse(answer.body);
    if (env.success && answer.status < 500 && answer.status !== 429) return env.data;
    throw this.errorFor(answer, spec);
  }

  /**
   * GET /v1/borrower/{idNumber}; null on envelope "001" (record not found).
   * @throws ProviderRejectedError on any other non-"00" status; WireFormatError on a malformed record.
   */
  async getBorrower(idNumber: string): Promise<DkBorrowerRecord | null> {
    const endpoint = 'GET /v1/borrower/:idNumber';
    const env = await this.request({ method: 'GET', path: DK_PATHS.getBorrower(idNumber), endpoint, schema: DkEnvelope });
    if (env.status === DK_STATUS.notFound) return null;
    if (env.status !== DK_STATUS.success) throw new ProviderRejectedError('DOMPET_KILAT', endpoint, env.status, env.message);
    return parseWire('DOMPET_KILAT', endpoint, DkBorrowerRecord, env.data);
  }
}
