/**
 * Finfra HTTP client: Basic clientId:clientSecret -> JWT (`POST /api/auth/token/v2`),
 * renewed with `POST /api/auth/refresh` before expiry (falling back to a new
 * exchange when the refresh token is refused), one renewal at a time.
 */
import { ProviderRejectedError } from '../errors';
import { type ErrorAnswer, type HttpClientOptions, ProviderHttpClient, type RequestSpec, TokenManager } from '../http';
import { FINFRA_KEY_PREFIX, FINFRA_PATHS, FinfraBorrower, FinfraBorrowerList, FinfraError, FinfraLoanDetails, FinfraLoanList, FinfraToken } from './wire';
import type { z } from 'zod';

/** Finfra client configuration. */
export interface FinfraClientOptions extends HttpClientOptions {
  clientId: string;
  /** `sk_sandbox_...` or `sk_prod_...`: the key, not the URL, selects Finfra's environment. */
  clientSecret: string;
  now?: () => number;
}

/** Finfra environment implied by the client secret's prefix. */
export type FinfraEnvironment = 'sandbox' | 'production';

/**
 * Reads the environment from a client secret.
 * @throws Error when the secret has neither documented prefix.
 */
export function finfraEnvironment(secret: string): FinfraEnvironment {
  if (secret.startsWith(FINFRA_KEY_PREFIX.sandbox)) return 'sandbox';
  if (secret.startsWith(FINFRA_KEY_PREFIX.production)) return 'production';
  throw new Error('FINFRA_CLIENT_SECRET must start with sk_sandbox_ or sk_prod_');
}

/** Low-level Finfra API calls, wire types out. */
export class FinfraClient extends ProviderHttpClient {
  readonly environment: FinfraEnvironment;
  /** The partner token shared by every Finfra call of this process. */
  readonly tokens: TokenManager;
  private refreshToken: string | null = null;

  constructor(private readonly options: FinfraClientOptions) {
    super('FINFRA', options);
    this.environment = finfraEnvironment(options.clientSecret);
    const now = options.now ?? Date.now;
    this.tokens = new TokenManager(async (previous) => {
      let t: FinfraToken | null = null;
      if (previous && this.refreshToken) {
        t = await this.request({
          method: 'POST',
          path: FINFRA_PATHS.refresh,
          endpoint: `POST ${FINFRA_PATHS.refresh}`,
          schema: FinfraToken,
          body: { refresh_token: this.refreshToken },
        }).catch(() => null);
      }
      t ??= await this.request({
        method: 'POST',
        path: FINFRA_PATHS.token,
        endpoint: `POST ${FINFRA_PATHS.token}`,
        schema: FinfraToken,
        headers: { authorization: `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}` },
      });
      this.refreshToken = t.refresh_token;
      return { value: t.access_token, expiresAt: now() + t.expires_in * 1000 };
    }, now);
  }

  protected override mapErrorAnswer(answer: ErrorAnswer, spec: RequestSpec<z.ZodType>): unknown {
    if (answer.status === 404 && spec.method === 'GET') return null;
    const body = FinfraError.safeParse(answer.body);
    if (answer.status === 400 && body.success) {
      throw new ProviderRejectedError('FINFRA', spec.endpoint, body.data.error, body.data.message, answer.status);
    }
    throw this.errorFor(answer, spec);
  }

  /** GET /api/core/users/{userId}; null when unknown. */
  getBorrower(userId: string): Promise<FinfraBorrower | null> {
    return this.request({ method: 'GET', path: FINFRA_PATHS.user(userId), endpoint: 'GET /api/core/users/:userId', schema: FinfraBorrower.nullable(), token: this.tokens });
  }

  /** GET /api/core/users?id_number={nik}: the borrower holding this NIK, or null. */
  async findBorrowerByNik(nik: string): Promise<FinfraBorrower | null> {
    const r = await this.request({ method: 'GET', path: FINFRA_PATHS.users, endpoint: 'GET /api/core/users', schema: FinfraBorrowerList, query: { id_number: nik }, token: this.tokens });
    return r.users.find((u) => u.id_number === nik) ?? null;
  }

  /** GET /api/core/loans/{userId}; null when the borrower is unknown. */
  listLoans(userId: string): Promise<FinfraLoanList | null> {
    return this.request({ method: 'GET', path: FINFRA_PATHS.listLoans(userId), endpoint: 'GET /api/core/loans/:userId', schema: FinfraLoanList.nullable(), token: this.tokens });
  }

  /** GET /api/core/loans/details/{uniqueId}; null when unknown. */
  loanDetails(uniqueId: string): Promise<FinfraLoanDetails | null> {
    return this.request({
      method: 'GET',
      path: FINFRA_PATHS.loanDetails(uniqueId),
      endpoint: 'GET /api/core/loans/details/:uniqueId',
      schema: FinfraLoanDetails.nullable(),
      token: this.tokens,
    });
  }

}
