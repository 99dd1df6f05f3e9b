/**
 * Builds the running service from configuration: database, connectors,
 * logger, JWT settings. Connectors talk HTTP to whatever base URL the
 * configuration names; `npm start` names the sandbox it starts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JwtSettings } from './auth';
import type { Config } from './config';
import type { Connectors } from './loaders';
import type { Logger } from './logger';
import { CairinConnector } from './providers/cairin/connector';
import type { CairinCredentials } from './providers/cairin/client';
import { type Clock, systemClock } from './providers/connector';
import { DompetKilatConnector } from './providers/dompetkilat/connector';
import { FinfraConnector } from './providers/finfra/connector';
import type { ProviderCallRecord, ResilienceOptions } from './providers/http';
import type { PrismaClient } from './generated/prisma/client';
import type { FreshnessPolicy } from './domain/freshness';
import { recordProviderCall } from './metrics';

/** Provider endpoints and credentials. */
export interface ProviderSettings {
  cairinBaseUrl: string;
  finfraBaseUrl: string;
  finfraClientId: string;
  finfraClientSecret: string;
  dompetKilatBaseUrl: string;
  timeoutMs: number;
  resilience?: ResilienceOptions;
}

/**
 * Reads provider settings from configuration.
 * @throws Error naming the missing variables.
 */
export function providerSettings(cfg: Config): ProviderSettings {
  const missing = (['CAIRIN_BASE_URL', 'FINFRA_BASE_URL', 'FINFRA_CLIENT_ID', 'FINFRA_CLIENT_SECRET', 'DOMPETKILAT_BASE_URL'] as const).filter((k) => !cfg[k]);
  if (missing.length) throw new Error(`missing provider configuration: ${missing.join(', ')}`);
  return {
    cairinBaseUrl: cfg.CAIRIN_BASE_URL!,
    finfraBaseUrl: cfg.FINFRA_BASE_URL!,
    finfraClientId: cfg.FINFRA_CLIENT_ID!,
    finfraClientSecret: cfg.FINFRA_CLIENT_SECRET!,
    dompetKilatBaseUrl: cfg.DOMPETKILAT_BASE_URL!,
    timeoutMs: cfg.PROVIDER_TIMEOUT_MS,
    resilience: {
      retries: cfg.PROVIDER_RETRIES,
      breakerThreshold: cfg.PROVIDER_BREAKER_THRESHOLD,
      halfOpenAfterMs: cfg.PROVIDER_BREAKER_HALF_OPEN_MS,
      concurrency: cfg.PROVIDER_CONCURRENCY,
    },
  };
}

/** The three connectors, with Cairin's re-issued sessions persisted to ProviderAccount.credentials. */
export function createConnectors(
  s: ProviderSettings,
  prisma: PrismaClient,
  opts: { clock?: Clock; onCall?: (c: ProviderCallRecord) => void } = {},
): Connectors & { CAIRIN: CairinConnector; FINFRA: FinfraConnector; DOMPET_KILAT: DompetKilatConnector } {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now().getTime();
  return {
    CAIRIN: new CairinConnector({
      baseUrl: s.cairinBaseUrl,
      timeoutMs: s.timeoutMs,
      resilience: s.resilience,
      onCall: opts.onCall,
      now,
      async onCredentials(accountId: string, credentials: CairinCredentials) {
        await prisma.providerAccount.updateMany({ where: { provider: 'CAIRIN', externalId: accountId }, data: { credentials: { ...credentials } } });
      },
    }),
    FINFRA: new FinfraConnector({
      baseUrl: s.finfraBaseUrl,
      timeoutMs: s.timeoutMs,
      resilience: s.resilience,
      onCall: opts.onCall,
      clientId: s.finfraClientId,
      clientSecret: s.finfraClientSecret,
      now,
    }),
    DOMPET_KILAT: new DompetKilatConnector({ baseUrl: s.dompetKilatBaseUrl, timeoutMs: s.timeoutMs, onCall: opts.onCall, resilience: s.resilience }, clock),
  };
}

/**
 * Connectors for the sync jobs: the same settings, plus each provider's rate
 * limit (SYNC_RATE_LIMIT_*), so a backfill never floods a provider. API reads
 * use unthrottled connectors and are limited per API client instead.
 */
export function createSyncConnectors(cfg: Config, prisma: PrismaClient, clock?: Clock) {
  const s = providerSettings(cfg);
  const make = (ratePerSecond: number) => ({ ...s, resilience: { ...s.resilience, ratePerSecond } });
  const c = createConnectors(make(cfg.SYNC_RATE_LIMIT_CAIRIN), prisma, { clock, onCall: recordProviderCall });
  const f = createConnectors(make(cfg.SYNC_RATE_LIMIT_FINFRA), prisma, { clock, onCall: recordProviderCall });
  const d = createConnectors(make(cfg.SYNC_RATE_LIMIT_DOMPETKILAT), prisma, { clock, onCall: recordProviderCall });
  return { CAIRIN: c.CAIRIN, FINFRA: f.FINFRA, DOMPET_KILAT: d.DOMPET_KILAT };
}

/** Freshness policy from configuration. */
export function freshnessPolicy(cfg: Config): FreshnessPolicy {
  return {
    nearDueTtlSeconds: cfg.FRESHNESS_NEAR_DUE_TTL_SECONDS,
    ttlSeconds: cfg.FRESHNESS_TTL_SECONDS,
    daysBeforeDue: cfg.FRESHNESS_DAYS_BEFORE_DUE,
    daysAfterDue: cfg.FRESHNESS_DAYS_AFTER_DUE,
  };
}

/**
 * The JWT settings: JWT_SECRET, or a random secret generated once and kept in
 * `<dataDir>/jwt-secret` (mode 0600) so tokens survive restarts.
 */
export async function jwtSettings(cfg: Config): Promise<JwtSettings> {
  let secret = cfg.JWT_SECRET;
  if (!secret) {
    const file = path.join(cfg.dataDir, 'jwt-secret');
    secret = await readFile(file, 'utf8').catch(() => undefined);
    if (!secret) {
      await mkdir(cfg.dataDir, { recursive: true });
      secret = randomBytes(48).toString('base64url');
      await writeFile(file, secret, { mode: 0o600 });
    }
    secret = secret.trim();
  }
  const publicKey = cfg.JWT_PUBLIC_KEY ?? (cfg.JWT_PUBLIC_KEY_FILE ? await readFile(cfg.JWT_PUBLIC_KEY_FILE, 'utf8') : undefined);
  return { secret, publicKey, issuer: cfg.JWT_ISSUER, audience: cfg.JWT_AUDIENCE };
}

export type { Logger };
