/**
 * Environment configuration, parsed and validated once at start-up.
 * Every variable is documented in README.md ("Configuration").
 */
import { BlockList, isIP } from 'node:net';
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

/** A GraphQL cost budget: cost points per minute (each selected field costs one point; see src/graphql/hardening.ts). */
const CostPerMinute = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** API_CLIENTS: client id -> display name, registered redirect URIs and, optionally, its own GraphQL cost budget. */
const ClientRegistryJson = z.record(
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'client ids are 1-64 letters, digits, dot, dash or underscore'),
  z.object({
    displayName: z.string().trim().min(1).max(80),
    redirectUris: z.array(RedirectUri).min(1),
    /** This client's GraphQL cost points per minute, instead of GRAPHQL_COST_PER_MINUTE. */
    costPerMinute: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  }),
);
/** A registered API client's display name, redirect URIs and optional GraphQL cost budget per minute. */
export type RegisteredClients = z.infer<typeof ClientRegistryJson>;

/**
 * An IP address in one canonical spelling, or null when `text` is not an IP address: IPv4 as is (dotted quad),
 * IPv6 lower-case and compressed, and an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, `::ffff:102:304`) as its
 * IPv4 address (`1.2.3.4`). IPv6 zone ids (`fe80::1%eth0`) are not accepted.
 */
export function normalizeIp(text: string): string | null {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return null;
  let host: string;
  try {
    host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * Which proxies in front of the API are trusted to report the client's address in X-Forwarded-For (TRUST_PROXY):
 * - `none`: no proxy; X-Forwarded-For is ignored and the client is the socket peer;
 * - `hops`: the `hops` nearest addresses (the socket peer first, then X-Forwarded-For from the right) are proxies;
 * - `addresses`: a peer is a proxy when its (normalized) address is in `ranges` (`address/prefix`, normalized:
 *   a single address is a /32 or /128, IPv4-mapped IPv6 ranges of /96 or longer are IPv4 ranges); `list` holds
 *   the same ranges for matching.
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly ranges: readonly string[]; readonly list: BlockList };

/**
 * Parses TRUST_PROXY: unset or empty = `none`; a non-negative integer N = `hops` N; otherwise a comma-separated
 * list of IPs and CIDRs, IPv4 or IPv6 (`10.0.0.0/8,127.0.0.1,::1`) = `addresses`.
 * @throws Error saying which entry is invalid and what is expected.
 */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  const value = (text ?? '').trim();
  if (value === '') return { kind: 'none' };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (!Number.isSafeInteger(hops)) throw new Error(`hop count ${value} is too large`);
    return { kind: 'hops', hops };
  }
  const expected = 'expected a hop count (e.g. 1) or comma-separated IPs/CIDRs (e.g. 10.0.0.0/8,127.0.0.1,::1)';
  if (/^-\d+$/.test(value)) throw new Error(`hop count must not be negative; ${expected}`);
  const list = new BlockList();
  const ranges: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
    let address = m ? normalizeIp(m[1]!) : null;
    if (!m || address === null) throw new Error(`"${entry}" is not an IP address or CIDR; ${expected}`);
    const written6 = m[1]!.includes(':');
    const longest = written6 ? 128 : 32;
    let prefix = m[2] === undefined ? longest : Number(m[2]);
    if (prefix > longest) throw new Error(`"${entry}": prefix /${prefix} is longer than ${longest} bits; ${expected}`);
    if (written6 && !address.includes(':')) {
      // An IPv4-mapped IPv6 range: an IPv4 range when the prefix stays within the IPv4 part, else kept as IPv6.
      if (prefix >= 96) prefix -= 96;
      else address = new URL(`http://[${m[1]}]/`).hostname.slice(1, -1);
    }
    const family = address.includes(':') ? 'ipv6' : 'ipv4';
    list.addSubnet(address, prefix, family);
    ranges.push(`${address}/${prefix}`);
  }
  if (ranges.length === 0) throw new Error(`no address given; ${expected}`);
  return { kind: 'addresses', ranges, list };
}

const Env = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(4000),
  /** PostgreSQL server URL; when unset the embedded PGlite database in DATA_DIR is used. */
  DATABASE_URL: z.string().optional(),
  /** Where the embedded database and the generated JWT secret live; an empty value counts as unset (never the current directory). */
  DATA_DIR: z.preprocess(unsetWhenEmpty, z.string().default('./.data')),
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
  /**
   * Proxies trusted to report the client's address in X-Forwarded-For (see `parseTrustProxy`): unset/empty = none,
   * a number N = the N nearest hops, or comma-separated IPs/CIDRs of the proxies.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return parseTrustProxy(text);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
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
  /** Redis server URL (redis://host:port/db): when set, subscriptions across instances and the per-client GraphQL budget go through Redis instead of PostgreSQL. */
  REDIS_URL: optionalUrl,
  /** Prefix of every Redis key and channel this deployment uses. */
  REDIS_KEY_PREFIX: z.string().min(1).default('satukredit:'),
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
  /**
   * GraphQL cost points per minute per API client, summed over every instance on a PostgreSQL server (a client's
   * `costPerMinute` in API_CLIENTS overrides it). Default 200000: about 20 full credit views (162 points each) a
   * second, half of what one instance serves (README, "Configuration").
   */
  GRAPHQL_COST_PER_MINUTE: CostPerMinute.default(200_000),
  /**
   * What executes GraphQL queries and mutations over HTTP (src/graphql/executor.ts): `jit` (default) compiles each
   * operation with graphql-jit on its second execution and runs the compiled code; `graphql-js` runs graphql-js's
   * `execute` on every operation. Answers are the same; subscriptions always run on graphql-js.
   */
  GRAPHQL_EXECUTOR: z.preprocess(unsetWhenEmpty, z.enum(['jit', 'graphql-js'], { message: 'jit or graphql-js' }).default('jit')),
  /**
   * Heavy GraphQL operations executing at once in one process (src/graphql/admission.ts); the others wait their
   * turn. 0: no limit. Default 2: an answer is built whole in memory, and many large ones at once cost memory and
   * garbage collection, not throughput.
   */
  GRAPHQL_HEAVY_CONCURRENCY: z.coerce.number().int().min(0).default(2),
  /**
   * Estimated work from which an operation is heavy: one point per selected field, a page's selection counted once
   * per item asked for (`first: 50`: 50 times). Default 2000 (a full credit view is about 160).
   */
  GRAPHQL_HEAVY_WORK: z.coerce.number().int().positive().default(2000),
  /** Memory for stored answers of read operations, MB (src/core/response-cache.ts); 0 turns the response cache off. */
  RESPONSE_CACHE_MB: z.coerce.number().min(0).max(4096).default(32),
  /**
   * Memory for this process's copies of cached provider data, MB of payload JSON (src/core/snapshot-cache.ts;
   * the parsed copies take a few times that in the heap); 0 turns them off (every read fetches and parses them).
   */
  SNAPSHOT_CACHE_MB: z.coerce.number().min(0).max(4096).default(16),
  /** Longest a stored answer is served, ms (writers' invalidations drop it earlier). */
  RESPONSE_CACHE_TTL_MS: z.coerce.number().int().min(1).max(60_000).default(1000),
  /** Client webhooks (src/core/client-webhooks.ts): how long one POST to a client's endpoint may take, ms (longer is a timed-out attempt, retried). */
  WEBHOOK_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Key (at least 32 characters) that encrypts client webhook endpoints' signing secrets at rest (AES-256-GCM); derived from the JWT secret when unset. Every instance needs the same. */
  WEBHOOK_SECRET_KEY: z.string().min(32).optional(),
  ...otelVariables(),
  ...bankVariables(),
});

/**
 * OpenTelemetry traces (src/tracing.ts), by the standard OTEL_* variables. Tracing is on when OTEL_SDK_DISABLED is
 * not `true`, OTEL_TRACES_EXPORTER is not `none`, and OTEL_TRACES_EXPORTER is `otlp` or an OTLP endpoint variable
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT) is set; off otherwise. Only OTLP over HTTP
 * (`http/protobuf`, the default, or `http/json`) is supported.
 */
function otelVariables() {
  const protocol = z.preprocess(unsetWhenEmpty, z.enum(['http/protobuf', 'http/json'], { message: 'only http/protobuf and http/json are supported' }).optional());
  return {
    /** `true` (any case) turns the SDK off; any other value is false, as the specification says. */
    OTEL_SDK_DISABLED: z.preprocess((v) => typeof v === 'string' && v.trim().toLowerCase() === 'true', z.boolean()),
    OTEL_TRACES_EXPORTER: z.preprocess(unsetWhenEmpty, z.enum(['otlp', 'none'], { message: 'only otlp and none are supported' }).optional()),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(unsetWhenEmpty, optionalUrl),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(unsetWhenEmpty, optionalUrl),
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
    OTEL_SERVICE_NAME: z.preprocess(unsetWhenEmpty, z.string().default('satukredit')),
    OTEL_TRACES_SAMPLER: z.preprocess(
      unsetWhenEmpty,
      z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).default('parentbased_always_on'),
    ),
    /** The ratio of the `*traceidratio` samplers, 0..1 (default 1). */
    OTEL_TRACES_SAMPLER_ARG: z.preprocess(unsetWhenEmpty, z.coerce.number().min(0).max(1).optional()),
  };
}

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

/** Invalid configuration: every invalid variable with the reason (the message lists them, one per line). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly { readonly variable: string; readonly message: string }[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
  }
}

/**
 * Parses and validates the environment, with `overlay` laid over it (e.g. the sandbox's provider URLs in demo mode).
 * @throws ConfigError listing every invalid variable (name and reason) when any is invalid.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overlay: Readonly<Record<string, string>> = {}): Config {
  const parsed = Env.safeParse({ ...env, ...overlay });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: i.path.join('.') || '(environment)', message: i.message })));
  }
  return { ...(parsed.data as unknown as Omit<Config, 'dataDir'>), dataDir: path.resolve(parsed.data.DATA_DIR) };
}
