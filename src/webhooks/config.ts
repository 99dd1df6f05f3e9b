/**
 * Reads webhook and settlement settings from the environment:
 *   SNAP_<BANK>_PARTNER_ID, SNAP_<BANK>_SERVICE_CODE (default 25),
 *   SNAP_<BANK>_PUBLIC_KEY or SNAP_<BANK>_PUBLIC_KEY_FILE (SHA256withRSA), or SNAP_<BANK>_HMAC_SECRET (HMAC-SHA512),
 *   SETTLEMENT_LAG_MINUTES_<BANK> (defaults: BCA 15, MANDIRI 30, BNI 45, BRI 60, OTHER 120)
 * for BANK in BCA, MANDIRI, BRI, BNI.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config';
import { DEFAULT_LAG_MINUTES, type LagMinutes } from '../services/ledger.service';
import type { WebhookSettings } from './settings';
import { SNAP_BANKS, type SnapBankConfig } from './snap';

/** Expected settlement lag per channel from SETTLEMENT_LAG_MINUTES_<BANK>. @throws Error on a non-positive number. */
export function lagMinutesFromEnv(env: NodeJS.ProcessEnv = process.env): LagMinutes {
  const out: Record<string, number> = { ...DEFAULT_LAG_MINUTES };
  for (const k of Object.keys(DEFAULT_LAG_MINUTES)) {
    const v = env[`SETTLEMENT_LAG_MINUTES_${k}`];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`SETTLEMENT_LAG_MINUTES_${k} must be a positive number`);
    out[k] = n;
  }
  return out as LagMinutes;
}

/** Webhook settings from configuration; banks without a partner id and a key are not accepted. */
export function webhookSettingsFromEnv(cfg: Config, env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const lag = lagMinutesFromEnv(env);
  const banks: WebhookSettings['banks'] = {};
  for (const bank of SNAP_BANKS) {
    const partnerId = env[`SNAP_${bank}_PARTNER_ID`];
    const file = env[`SNAP_${bank}_PUBLIC_KEY_FILE`];
    const publicKey = env[`SNAP_${bank}_PUBLIC_KEY`] ?? (file ? readFileSync(file, 'utf8') : undefined);
    const secret = env[`SNAP_${bank}_HMAC_SECRET`];
    if (!partnerId || (!publicKey && !secret)) continue;
    const signature: SnapBankConfig['signature'] = publicKey ? { kind: 'RSA', publicKey } : { kind: 'HMAC', secret: secret! };
    banks[bank] = { bank, partnerId, serviceCode: env[`SNAP_${bank}_SERVICE_CODE`] ?? '25', signature, expectedLagMinutes: lag[bank] };
  }
  return {
    finfraAuthKey: cfg.FINFRA_CALLBACK_KEY ?? null,
    dompetKilatIps: cfg.DOMPETKILAT_CALLBACK_IPS.split(',').map((s) => s.trim()).filter(Boolean),
    banks,
    timestampWindowSeconds: cfg.SNAP_TIMESTAMP_WINDOW_SECONDS,
  };
}
