/**
 * Environment configuration, parsed and validated once at start-up.
 * Every variable is documented in README.md ("Configuration").
 */
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

/** Banks whose SNAP settlement notifications can be configured. */
export const SETTLEMENT_BANKS = ['BCA', 'MANDIRI', 'BRI', 'BNI'] as const;
export type SettlementBank = (typeof SETTLEMENT_BANKS)[number];
const optionalUrl = z.string().url().optional();
/** An empty variable (`METRICS_PORT=`) means unset, not 0 or an invalid value. */
const unsetWhenEmpty = (v: unknown) => (v === '' ? undefined : v);

/** A redirect URI a client may register: absolute, no fragment, https unless the host is loopback. */
const RedirectUri = z
  .string()
  .url()
  .refine((u) => !u.includes('#'), 'must not have a fragment')
  .refine((u) => {
    if (!URL.canParse(u)) return true; // reported by .url()
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  }, 'must be https (http only on a loopback host)');

/** API_CLIENTS: client id -> display name and registered redirect URIs. */
const ClientRegistryJson = z.record(
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'client ids are 1-64 letters, digits, dot, dash or underscore'),
  z.object({ displayName: z.string().trim().min(1).max(80), redirectUris: z.array(RedirectUri).min(1) }),
);
/** A registered API client's display name and redirect URIs. */
export type RegisteredClients = z.infer<typeof ClientRegistryJson>;

const Env = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(4000),
  /** PostgreSQL server URL; when unset the embedded PGlite database in DATA_DIR is used. */
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().default('./.data'),
  /** HS256 secret for API-client JWTs; generated and kept in DATA_DIR when unset. */
  JWT_SECRET: z.string().min(32).optional(),
  /** RS256 public key (PEM text), or a file holding it; RS256 tokens are accepted when either is set. */
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_PUBLIC_KEY_FILE: z.string().optional(),
  JWT_ISSUER: z.string().default('satukredit'),
  JWT_AUDIENCE: z.string().default('satukredit-api'),
  /**
   * The API-client registry, JSON: `{ "<client id>": { "displayName": "...", "redirectUris": ["https://..."] } }`.
   * The consent page shows the display name; a consent request's redirectUri must equal one registered for
   * its client (https, or http on a loopback host). Default: none registered.
   */
  API_CLIENTS: z.string().default('{}').transform((text, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
    const parsed = ClientRegistryJson.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      // A refused client id is reported inside the record's key issue.
      const message = i.code === 'invalid_key' ? (i.issues[0]?.message ?? i.message) : i.message;
      ctx.addIssue({ code: 'custom', message: `${i.path.join('.') || '(root)'}: ${message}` });
      return z.NEVER;
    }
    return parsed.data;
  }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Port of a listener (on HOST) serving only /metrics; when set, the main port serves no /metrics. When
   * unset, /metrics is on the main port outside production, and in production only with METRICS_TOKEN.
   */
  METRICS_PORT: z.preprocess(unsetWhenEmpty, port.optional()),
  /** When set, /metrics (wherever served) requires `Authorization: Bearer <METRICS_TOKEN>` (16+ characters). */
  METRICS_TOKEN: z.preprocess(unsetWhenEmpty, z.string().min(16).optional()),
  /** Provider base URLs. When unset, `npm start` points them at the sandbox it starts. */
  CAIRIN_BASE_URL: optionalUrl,
  FINFRA_BASE_URL: optionalUrl,
  FINFRA_CLIENT_ID: z.string().optional(),
  FINFRA_CLIENT_SECRET: z.string().optional(),
  DOMPETKILAT_BASE_URL: optionalUrl,
  /** Per-call provider timeout, milliseconds (each attempt). */
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  /** Retries of an idempotent provider read after the first attempt (exponential backoff with jitter). */
  PROVIDER_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** Consecutive provider failures that open its circuit, and how long it stays open (ms). */
  PROVIDER_BREAKER_THRESHOLD: z.coerce.number().int().positive().default(5),
  PROVIDER_BREAKER_HALF_OPEN_MS: z.coerce.number().int().positive().default(10_000),
  /** Concurrent calls per provider. */
  PROVIDER_CONCURRENCY: z.coerce.number().int().positive().default(16),
  /** Cache lifetimes: near due dates / pending repayments, and otherwise (seconds); due window in days. */
  FRESHNESS_NEAR_DUE_TTL_SECONDS: z.coerce.number().int().positive().default(300),
  FRESHNESS_TTL_SECONDS: z.coerce.number().int().positive().default(21_600),
  FRESHNESS_DAYS_BEFORE_DUE: z.coerce.number().int().min(0).default(2),
  FRESHNESS_DAYS_AFTER_DUE: z.coerce.number().int().min(0).default(1),
  /** Expected `finfra-auth-key` on Finfra callbacks. */
  FINFRA_CALLBACK_KEY: z.string().min(16).optional(),
  /** Comma-separated IPs Dompet Kilat calls back from. */
  DOMPETKILAT_CALLBACK_IPS: z.string().default('127.0.0.1,::1,::ffff:127.0.0.1'),
  /** Largest accepted |now - X-TIMESTAMP| on SNAP notifications, seconds. */
  SNAP_TIMESTAMP_WINDOW_SECONDS: z.coerce.number().int().positive().default(300),
  /** Sync jobs: cron expressions (Asia/Jakarta) and each provider's rate limit, requests per second. */
  SYNC_BACKFILL_CRON: z.string().default('0 2 * * *'),
  SYNC_DUE_REFRESH_CRON: z.string().default('*/15 * * * *'),
  SYNC_RATE_LIMIT_CAIRIN: z.coerce.number().positive().default(20),
  SYNC_RATE_LIMIT_FINFRA: z.coerce.number().positive().default(20),
  SYNC_RATE_LIMIT_DOMPETKILAT: z.coerce.number().positive().default(10),
  /** Sandbox generator: seed and number of borrowers (`npm start`). */
  SANDBOX_SEED: z.coerce.number().int().default(42),
  SANDBOX_BORROWERS: z.coerce.number().int().min(1).max(100000).default(60),
  /** The API's public base URL (what borrowers' browsers reach, e.g. https://api.example.co.id); consent links start with it. Default: where the server listens. */
  PUBLIC_URL: optionalUrl,
  /** SMS (or WhatsApp) gateway one-time codes are sent through: base URL and API key (bearer). `npm start` uses the sandbox's. */
  SMS_GATEWAY_URL: optionalUrl,
  SMS_GATEWAY_KEY: z.string().min(1).optional(),
  /** One-time codes sent per NIK, and per client IP, within 15 minutes (defaults 5 and 20). */
  OTP_SENDS_PER_NIK: z.coerce.number().int().positive().default(5),
  OTP_SENDS_PER_IP: z.coerce.number().int().positive().default(20),
  /** HMAC key of one-time codes and NIK hashes (at least 32 characters); derived from the JWT secret when unset. */
  OTP_SECRET: z.string().min(32).optional(),
  ...bankVariables(),
});

/**
 * Per-bank SNAP settlement settings, for BANK in BCA, MANDIRI, BRI, BNI:
 *   SNAP_<BANK>_PARTNER_ID, SNAP_<BANK>_SERVICE_CODE (default 25),
 *   SNAP_<BANK>_PUBLIC_KEY or SNAP_<BANK>_PUBLIC_KEY_FILE (SHA256withRSA), or SNAP_<BANK>_HMAC_SECRET (HMAC-SHA512);
 * and SETTLEMENT_LAG_MINUTES_<BANK> (also OTHER): expected settlement lag, minutes.
 */
function bankVariables() {
  const out: Record<string, z.ZodType> = {};
  for (const bank of SETTLEMENT_BANKS) {
    out[`SNAP_${bank}_PARTNER_ID`] = z.string().min(1).optional();
    out[`SNAP_${bank}_SERVICE_CODE`] = z.string().min(1).default('25');
    out[`SNAP_${bank}_PUBLIC_KEY`] = z.string().optional();
    out[`SNAP_${bank}_PUBLIC_KEY_FILE`] = z.string().optional();
    out[`SNAP_${bank}_HMAC_SECRET`] = z.string().min(1).optional();
  }
  for (const channel of [...SETTLEMENT_BANKS, 'OTHER'] as const) out[`SETTLEMENT_LAG_MINUTES_${channel}`] = z.coerce.number().positive().optional();
  return out as Record<`SNAP_${SettlementBank}_${'PARTNER_ID' | 'SERVICE_CODE' | 'PUBLIC_KEY' | 'PUBLIC_KEY_FILE' | 'HMAC_SECRET'}` | `SETTLEMENT_LAG_MINUTES_${SettlementBank | 'OTHER'}`, z.ZodType<string | number | undefined>>;
}

type BankKey = `SNAP_${SettlementBank}_${'PARTNER_ID' | 'PUBLIC_KEY' | 'PUBLIC_KEY_FILE' | 'HMAC_SECRET'}`;
type LagKey = `SETTLEMENT_LAG_MINUTES_${SettlementBank | 'OTHER'}`;

/** Validated configuration. */
export type Config = Omit<z.infer<typeof Env>, BankKey | LagKey | `SNAP_${SettlementBank}_SERVICE_CODE`> & { [K in BankKey]?: string } & { [K in LagKey]?: number } & {
  [K in `SNAP_${SettlementBank}_SERVICE_CODE`]: string;
} & { dataDir: string };

/**
 * Parses and validates the environment, with `overlay` laid over it (e.g. the sandbox's provider URLs in demo mode).
 * @throws Error listing every invalid variable (name and reason) when any is invalid.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overlay: Readonly<Record<string, string>> = {}): Config {
  const parsed = Env.safeParse({ ...env, ...overlay });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...(parsed.data as unknown as Omit<Config, 'dataDir'>), dataDir: path.resolve(parsed.data.DATA_DIR) };
}
