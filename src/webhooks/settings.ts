/** Webhook receiver settings (configuration; see README "Webhooks"). */
import type { SnapBank, SnapBankConfig } from './snap';

export interface WebhookSettings {
  /** Expected `finfra-auth-key` header value (FINFRA_CALLBACK_KEY). Finfra callbacks are refused when unset. */
  finfraAuthKey: string | null;
  /** IPs Dompet Kilat calls from (DOMPETKILAT_CALLBACK_IPS); others get status "03". */
  dompetKilatIps: readonly string[];
  /** Per-bank SNAP settings; a bank without settings is refused. */
  banks: Partial<Record<SnapBank, SnapBankConfig>>;
  /** Largest accepted |now - X-TIMESTAMP|, seconds. */
  timestampWindowSeconds: number;
}
