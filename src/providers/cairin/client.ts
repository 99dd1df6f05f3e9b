/**
 * Cairin app-protocol client. Sessions are per borrower account:
 * linking runs login -> (one-time KTP + liveness gate) -> token issuance and
 * keeps only a device id and a refresh token (never the PIN or the images);
 * reads use a short-lived access token renewed from the refresh token, one
 * renewal at a time per account. The refresh token is re-issued periodically;
 * a new one is handed to `onCredentials` to be persisted.
 */
import type { z } from 'zod';
import { ProviderAuthError } from '../errors';
import { type ErrorAnswer, type HttpClientOptions, ProviderHttpClient, type RequestSpec, type Token, TokenManager } from '../http';
import type { SessionStore } from '../connector';
import {
  CAIRIN_ERRORS,
  CAIRIN_PATHS,
  CairinError,
  CairinFundingPortfolio,
  CairinHistory,
  CairinIdentity,
  CairinLivenessResponse,
  CairinLoanDetail,
  CairinLoanList,
  CairinLoginResponse,
  CairinSession,
} from './wire';

/** What we persist for a linked Cairin account (ProviderAccount.credentials). */
export interface CairinCredentials {
  deviceId: string;
  refreshToken: string;
  /** ISO-8601 instant the refresh token expires; after it the borrower must link again. */
  refreshExpiresAt: string;
  /** The newest access token and its expiry (ISO-8601), so other instances use it instead of renewing again. */
  accessToken?: string;
  accessExpiresAt?: string;
}

/** A borrower linking their Cairin account (values come from the borrower, under consent). */
export interface CairinLinkRequest {
  phoneNumber: string;
  pin: string;
  deviceId: string;
  /** Base64 KTP photo and selfie, needed only when Cairin asks for the one-time liveness gate; never stored. */
  ktpImage?: string;
  selfieImage?: string;
}

/** Cairin client configuration. */
export interface CairinClientOptions extends HttpClientOptions {
  now?: () => number;
  /** Persists re-issued credentials for an account. */
  onCredentials?: (accountId: string, credentials: CairinCredentials) => Promise<void>;
  /** Shared session credentials: renewals read the newest stored session and take turns per account across instances. */
  sessions?: SessionStore;
}

function isCairinCredentials(v: unknown): v is CairinCredentials {
  const c = v as Partial<CairinCredentials> | null;
  return !!c && typeof c.refreshToken === 'string' && typeof c.deviceId === 'string';
}

/** Low-level Cairin calls, wire types out. */
export class CairinClient extends ProviderHttpClient {
  private readonly sessions = new Map<string, { tokens: TokenManager; creds: CairinCredentials }>();
  private readonly now: () => number;

  constructor(private readonly options: CairinClientOptions) {
    super('CAIRIN', options);
    this.now = options.now ?? Date.now;
  }

  protected override mapErrorAnswer(answer: ErrorAnswer, spec: RequestSpec<z.ZodType>): unknown {
    const body = CairinError.safeParse(answer.body);
    if (answer.status === 404 && body.success && body.data.code === CAIRIN_ERRORS.loanNotFound) return null;
    if ((answer.status === 401 || answer.status === 403) && body.success) {
      throw new ProviderAuthError('CAIRIN', spec.endpoint, body.data.code, answer.status);
    }
    throw this.errorFor(answer, spec);
  }

  /**
   * Links an account: login, the liveness gate when Cairin requires it, token issuance.
   * @returns the Cairin account id and the credentials to persist.
   * @throws ProviderAuthError (INVALID_CREDENTIALS, LIVENESS_REQUIRED when images are needed but absent).
   */
  async link(req: CairinLinkRequest): Promise<{ accountId: string; credentials: CairinCredentials }> {
    const login = await this.request({
      method: 'POST',
      path: CAIRIN_PATHS.login,
      endpoint: `POST ${CAIRIN_PATHS.login}`,
      schema: CairinLoginResponse,
      body: { phoneNumber: req.phoneNumber, pin: req.pin, deviceId: req.deviceId },
    });
    if (login.livenessRequired) {
      if (!req.ktpImage || !req.selfieImage) throw new ProviderAuthError('CAIRIN', `POST ${CAIRIN_PATHS.liveness}`, CAIRIN_ERRORS.livenessRequired);
      await this.request({
        method: 'POST',
        path: CAIRIN_PATHS.liveness,
        endpoint: `POST ${CAIRIN_PATHS.liveness}`,
        schema: CairinLivenessResponse,
        body: { loginTicket: login.loginTicket, ktpImage: req.ktpImage, selfieImage: req.selfieImage },
      });
    }
    const s = await this.request({
      method: 'POST',
      path: CAIRIN_PATHS.token,
      endpoint: `POST ${CAIRIN_PATHS.token}`,
      schema: CairinSession,
      body: { loginTicket: login.loginTicket },
    });
    const credentials = this.credentialsFrom(req.deviceId, s);
    const tokens = this.tokensFor(s.accountId, credentials);
    tokens.seed({ value: s.accessToken, expiresAt: this.now() + s.expiresIn * 1000 });
    return { accountId: s.accountId, credentials };
  }

  /** The token manager of an account, created from stored credentials on first use. */
  tokensFor(accountId: string, stored: CairinCredentials): TokenManager {
    const existing = this.sessions.get(accountId);
    if (existing) return existing.tokens;
    const entry = { creds: stored, tokens: undefined as unknown as TokenManager };
    const refresh = async (creds: CairinCredentials): Promise<{ token: Token; creds: CairinCredentials }> => {
      const s = await this.request({
        method: 'POST',
        path: CAIRIN_PATHS.refresh,
        endpoint: `POST ${CAIRIN_PATHS.refresh}`,
        schema: CairinSession,
        body: { refreshToken: creds.refreshToken },
      });
      const expiresAt = this.now() + s.expiresIn * 1000;
      const next = s.refreshToken !== creds.refreshToken ? this.credentialsFrom(creds.deviceId, s) : { ...creds };
      return { token: { value: s.accessToken, expiresAt }, creds: { ...next, accessToken: s.accessToken, accessExpiresAt: new Date(expiresAt).toISOString() } };
    };
    entry.tokens = new TokenManager(async (previous) => {
      const store = this.options.sessions;
      if (!store) {
        const r = await refresh(entry.creds);
        if (r.creds.refreshToken !== entry.creds.refreshToken) await this.options.onCredentials?.(accountId, r.creds);
        entry.creds = r.creds;
        return r.token;
      }
      return store.renew('CAIRIN', accountId, async (stored) => {
        const latest = isCairinCredentials(stored) ? stored : entry.creds;
        entry.creds = latest;
        // Another instance renewed while we waited: use its access token when it is still good and not the one refused.
        const at = latest.accessExpiresAt ? Date.parse(latest.accessExpiresAt) : 0;
        if (latest.accessToken && latest.accessToken !== previous?.value && at - 30_000 > this.now()) {
          return { result: { value: latest.accessToken, expiresAt: at } };
        }
        const r = await refresh(latest);
        entry.creds = r.creds;
        return { result: r.token, store: r.creds };
      });
    }, this.now);
    this.sessions.set(accountId, entry);
    return entry.tokens;
  }

  private credentialsFrom(deviceId: string, s: CairinSession): CairinCredentials {
    return { deviceId, refreshToken: s.refreshToken, refreshExpiresAt: new Date(this.now() + s.refreshExpiresIn * 1000).toISOString() };
  }

  /** GET /mobile/loan/list. */
  loanList(tokens: TokenManager): Promise<CairinLoanList> {
    return this.request({ method: 'GET', path: CAIRIN_PATHS.loanList, endpoint: `GET ${CAIRIN_PATHS.loanList}`, schema: CairinLoanList, token: tokens });
  }

  /** GET /mobile/funding/portfolio: the account's funding positions (lender side). */
  fundingPortfolio(tokens: TokenManager): Promise<CairinFundingPortfolio> {
    return this.request({ method: 'GET', path: CAIRIN_PATHS.fundingPortfolio, endpoint: `GET ${CAIRIN_PATHS.fundingPortfolio}`, schema: CairinFundingPortfolio, token: tokens });
  }

  /** GET /mobile/account/identity: the NIK Cairin's KYC verified for the session's account. */
  identity(tokens: TokenManager): Promise<CairinIdentity> {
    return this.request({ method: 'GET', path: CAIRIN_PATHS.identity, endpoint: `GET ${CAIRIN_PATHS.identity}`, schema: CairinIdentity, token: tokens });
  }

  /** POST /mobile/loan/detail with installments and disbursement; null for a loan not of this account. */
  loanDetail(tokens: TokenManager, loanId: string): Promise<CairinLoanDetail | null> {
    return this.request({
      method: 'POST',
      path: CAIRIN_PATHS.loanDetail,
      endpoint: `POST ${CAIRIN_PATHS.loanDetail}`,
      schema: CairinLoanDetail.nullable(),
      body: { loanId, include: ['installments', 'disbursement'] },
      token: tokens,
      idempotent: true,
    });
  }

  /** GET /mobile/transaction/history, every page, newest first. */
  async history(tokens: TokenManager, pageSize = 100): Promise<CairinHistory['transactions']> {
    const out: CairinHistory['transactions'] = [];
    for (let page = 1; ; page++) {
      const h = await this.request({
        method: 'GET',
        path: CAIRIN_PATHS.history,
        endpoint: `GET ${CAIRIN_PATHS.history}`,
        schema: CairinHistory,
        query: { type: 'all', page, size: pageSize },
        token: tokens,
      });
      out.push(...h.transactions);
      if (!h.hasMore || h.transactions.length === 0) return out;
    }
  }
}
