/**
 * The provider sandbox: three local HTTP servers (Cairin, Finfra, Dompet Kilat)
 * speaking exactly the wire contracts in `src/providers/*\/wire.ts`, over one
 * deterministic dataset, with request counters, latency and fault injection.
 *
 * ```ts
 * const sb = await startSandbox({ seed: 42, borrowers: 60 });
 * const john = linkCredentials(sb.dataset)[0];   // NIK 362638287638783 at all three
 * sb.cairin.setFaults([{ kind: 'status', status: 503, count: 1 }]);
 * await sb.close();
 * ```
 */
import { jakartaDate, type LocalDate } from '../domain/dates';
import { startCairinServer } from './cairin';
import { type Dataset, generateDataset, type SandboxProvider } from './dataset';
import { startDompetKilatServer } from './dompetkilat';
import { DEFAULT_FINFRA_CLIENT, type FinfraClientCredentials, startFinfraServer } from './finfra';
import { type FaultSpec, type LatencySpec, mergeStats, type SandboxServerHandle, type SandboxStats } from './http';
import { type SandboxSmsGateway, startSmsGateway } from './sms';

export { CAIRIN_ACCESS_TTL_SECONDS, CAIRIN_REFRESH_TTL_SECONDS, type CairinServerOptions, cairinStyle, startCairinServer } from './cairin';
export {
  type CairinAccountRecord,
  type CairinInstallmentRecord,
  type CairinLoanRecord,
  type CairinTransactionRecord,
  type Dataset,
  type DatasetOptions,
  type DkBorrowerFullRecord,
  type DkLoanDataRecord,
  type DkReferencesRecord,
  dkDocExampleRecord,
  type FinfraDisbursementRecord,
  type FinfraInstallmentRecord,
  type FinfraLoanRecord,
  type FinfraPaymentRecord,
  type FinfraUserRecord,
  finfraPlan,
  generateDataset,
  type LinkCredentials,
  linkCredentials,
  linkRequests,
  mulberry32,
  Rng,
  SANDBOX_PROVIDERS,
  SEED_CAIRIN,
  SEED_FINFRA_USER_ID,
  SEED_PERSON,
  type SandboxLinkRequest,
  type SandboxAccountListing,
  sandboxAccounts,
  type SandboxPerson,
  type SandboxProvider,
} from './dataset';
export { DK_STATUS_FORBIDDEN, DK_STATUS_INVALID, DK_STATUS_SERVER_ERROR, type DompetKilatServerOptions, dompetKilatStyle, LOOPBACK_IPS, startDompetKilatServer } from './dompetkilat';
export { DEFAULT_FINFRA_CLIENT, FINFRA_ACCESS_TTL_SECONDS, FINFRA_REFRESH_TTL_SECONDS, type FinfraClientCredentials, type FinfraServerOptions, finfraCreditScoreData, finfraStyle, startFinfraServer } from './finfra';
export { FaultSpec, FaultsBody, LatencySpec, mergeStats, type SandboxServerHandle, type SandboxStats } from './http';

/**
 * The configuration variables that point the application's connectors at this sandbox (base URLs and
 * the Finfra client credentials) and its one-time codes at the sandbox SMS gateway, to lay over the
 * environment given to `loadConfig`.
 */
export function sandboxProviderEnv(sb: Pick<Sandbox, 'urls' | 'finfraClient'> & { sms: Pick<Sandbox['sms'], 'url' | 'key'> }): Record<string, string> {
  return {
    SMS_GATEWAY_URL: sb.sms.url,
    SMS_GATEWAY_KEY: sb.sms.key,
    CAIRIN_BASE_URL: sb.urls.cairin,
    FINFRA_BASE_URL: sb.urls.finfra,
    FINFRA_CLIENT_ID: sb.finfraClient.clientId,
    FINFRA_CLIENT_SECRET: sb.finfraClient.clientSecret,
    DOMPETKILAT_BASE_URL: sb.urls.dompetKilat,
  };
}

/** Where the demo API clients' borrowers return from the consent page (the sandbox's client callback page). */
export function sandboxRedirectUri(sb: { sms: Pick<Sandbox['sms'], 'url'> }): string {
  return `${sb.sms.url}/__sandbox/client/callback`;
}

/** The demo API clients and their names, as `npm start` and `satukredit seed` use them. */
export const DEMO_CLIENT_NAMES = { 'demo-aggregator': 'Demo Aggregator', 'demo-refinancer': 'Demo Refinancing' } as const;

/** The API_CLIENTS value registering the demo clients, sent back to this sandbox's client callback page. */
export function demoApiClients(sb: { sms: Pick<Sandbox['sms'], 'url'> }): Record<string, { displayName: string; redirectUris: string[] }> {
  return Object.fromEntries(Object.entries(DEMO_CLIENT_NAMES).map(([id, displayName]) => [id, { displayName, redirectUris: [sandboxRedirectUri(sb)] }]));
}

/** The demo's example loan: the seed person's Cairin loan from the Cairin brief. */
export const DEMO_LOAN = { provider: 'CAIRIN', providerLoanId: 'LN-0001' } as const;

export { type SandboxSms, type SandboxSmsGateway, startSmsGateway } from './sms';
export { answerConsent, type ConsentAnswer, type ConsentOutcome, loopbackAddress, postJson } from './consent-driver';
export { bankSettings, createSandboxBanks, type SandboxBank, type SentEvent, startEventServer, WebhookSender } from './events';

/** A value given once for all providers, or per provider. */
export type PerProvider<T> = { cairin?: T; finfra?: T; dompetKilat?: T };

/** Options of `startSandbox`. Every field is optional. */
export interface SandboxOptions {
  /** Dataset PRNG seed (default 42). */
  seed?: number;
  /** Number of people, the seed person included (default 60). */
  borrowers?: number;
  /** Dataset "today", Jakarta `YYYY-MM-DD` (default: the Jakarta date of `now()`). */
  today?: LocalDate;
  /** Use this dataset instead of generating one (seed/borrowers/today are then ignored). */
  dataset?: Dataset;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Ports (default 0 = ephemeral each). */
  ports?: PerProvider<number>;
  /** Port of the SMS gateway (default 0 = ephemeral). */
  smsPort?: number;
  /** Latency injection: one setting for all three servers, or per provider. */
  latency?: LatencySpec | PerProvider<LatencySpec>;
  /** Fault rules: one list for all three servers, or per provider. */
  faults?: FaultSpec[] | PerProvider<FaultSpec[]>;
  /** Clock for token expiry and "today" of status rendering (default system time). */
  now?: () => Date;
  /** Access-token lifetime, seconds: one value for Cairin and Finfra, or per provider (defaults 900 / 3600). */
  accessTokenTtlSeconds?: number | { cairin?: number; finfra?: number };
  /** Refresh-token lifetime, seconds (defaults 30 days / 7 days). */
  refreshTokenTtlSeconds?: number | { cairin?: number; finfra?: number };
  /** Registered Finfra clients (default `[DEFAULT_FINFRA_CLIENT]`; the first is returned as `finfraClient`). */
  finfraClients?: FinfraClientCredentials[];
  /** Dompet Kilat IP allow-list (default loopback). */
  dompetKilatAllowIps?: string[];
}

/** Base URLs of the three servers (no trailing slash). */
export interface SandboxUrls {
  cairin: string;
  finfra: string;
  dompetKilat: string;
}

/** Sum over the three servers plus each server's own counters. */
export interface SandboxTotals extends SandboxStats {
  byProvider: Record<SandboxProvider, SandboxStats>;
}

/** A running sandbox. */
export interface Sandbox {
  /** The dataset the servers started from (servers keep their own mutable copies). */
  dataset: Dataset;
  cairin: SandboxServerHandle;
  finfra: SandboxServerHandle;
  dompetKilat: SandboxServerHandle;
  urls: SandboxUrls;
  /** The loopback SMS gateway one-time codes are sent through (messages readable at GET /__sandbox/sms?phone=). */
  sms: SandboxSmsGateway;
  /** Credentials our app uses against the Finfra sandbox. */
  finfraClient: FinfraClientCredentials;
  /** Counters of all three servers (endpoint keys are distinct across providers). */
  stats(): SandboxTotals;
  resetStats(): void;
  /** Stops all three servers. */
  close(): Promise<void>;
}

function isLatency(v: unknown): v is LatencySpec {
  return typeof v === 'object' && v !== null && 'minMs' in v;
}

function pick<T>(v: T | PerProvider<T> | undefined, p: SandboxProvider, isWhole: (x: unknown) => x is T): T | undefined {
  if (v === undefined) return undefined;
  if (isWhole(v)) return v;
  return (v as PerProvider<T>)[p];
}

function ttl(v: number | { cairin?: number; finfra?: number } | undefined, p: 'cairin' | 'finfra'): number | undefined {
  return typeof v === 'number' ? v : v?.[p];
}

/**
 * Generates (or takes) the dataset and starts the three provider servers.
 * @returns the running sandbox; call `close()` when done.
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const now = opts.now ?? (() => new Date());
  const seed = opts.seed ?? 42;
  const dataset = opts.dataset ?? generateDataset({ seed, borrowers: opts.borrowers ?? 60, today: opts.today ?? jakartaDate(now()) });
  const host = opts.host ?? '127.0.0.1';
  const clients = opts.finfraClients && opts.finfraClients.length > 0 ? opts.finfraClients : [DEFAULT_FINFRA_CLIENT];
  const isFaultList = (x: unknown): x is FaultSpec[] => Array.isArray(x);
  const common = (p: SandboxProvider, i: number) => ({
    host,
    port: opts.ports?.[p] ?? 0,
    now,
    latency: pick(opts.latency, p, isLatency) ?? null,
    faults: pick(opts.faults, p, isFaultList) ?? [],
    seed: (dataset.seed + i * 7919) | 0,
  });

  const started: SandboxServerHandle[] = [];
  try {
    const cairin = await startCairinServer({
      ...common('cairin', 1),
      accounts: dataset.cairin,
      accessTokenTtlSeconds: ttl(opts.accessTokenTtlSeconds, 'cairin'),
      refreshTokenTtlSeconds: ttl(opts.refreshTokenTtlSeconds, 'cairin'),
    });
    started.push(cairin);
    const finfra = await startFinfraServer({
      ...common('finfra', 2),
      users: dataset.finfra,
      clients,
      accessTokenTtlSeconds: ttl(opts.accessTokenTtlSeconds, 'finfra'),
      refreshTokenTtlSeconds: ttl(opts.refreshTokenTtlSeconds, 'finfra'),
    });
    started.push(finfra);
    const dompetKilat = await startDompetKilatServer({ ...common('dompetKilat', 3), borrowers: dataset.dompetKilat, allowIps: opts.dompetKilatAllowIps });
    started.push(dompetKilat);

    const servers = { cairin, finfra, dompetKilat };
    const sms = await startSmsGateway({ key: `sandbox-sms-${opts.seed ?? 42}-key`, now: opts.now, port: opts.smsPort });
    return {
      dataset,
      ...servers,
      sms,
      urls: { cairin: cairin.url, finfra: finfra.url, dompetKilat: dompetKilat.url },
      finfraClient: { ...clients[0]! },
      stats: () => {
        const byProvider = { cairin: cairin.stats(), finfra: finfra.stats(), dompetKilat: dompetKilat.stats() };
        return { ...mergeStats(Object.values(byProvider)), byProvider };
      },
      resetStats: () => {
        for (const s of Object.values(servers)) s.resetStats();
      },
      close: async () => {
        await Promise.all([...Object.values(servers).map((s) => s.close()), sms.close()]);
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.close()));
    throw e;
  }
}
