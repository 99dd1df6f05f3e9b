/**
 * Dompet Kilat: a middleware API (borrower and loan registration) that pushes
 * disbursements and repayments by callback, allowed by IP.
 */
import type { ProviderDefinition } from '../connector';
import { dompetKilatCallbackRoute, dompetKilatLedgerEvents } from './callbacks';
import { DompetKilatConnector } from './connector';

export { DompetKilatClient } from './client';
export { DompetKilatConnector } from './connector';
export * from './wire';

/** Dompet Kilat's registry entry. Config: DOMPETKILAT_BASE_URL; callbacks: DOMPETKILAT_CALLBACK_IPS. */
export const dompetKilat: ProviderDefinition = {
  code: 'DOMPET_KILAT',
  description: 'Dompet Kilat middleware API.',
  syncRateConfig: 'SYNC_RATE_LIMIT_DOMPETKILAT',
  linkProof: 'IDENTITY_MATCH',
  requiredConfig: ['DOMPETKILAT_BASE_URL'],
  callbacks: [dompetKilatCallbackRoute],
  owns: (source) => source === 'DOMPET_KILAT',
  ledgerEvents: (ev) => ({ kind: ev.kind, events: dompetKilatLedgerEvents(ev.payload, ev.kind, ev.receivedAt) }),
  createConnector(env) {
    if (!env.config.DOMPETKILAT_BASE_URL) throw new Error('missing provider configuration: DOMPETKILAT_BASE_URL');
    return new DompetKilatConnector(
      { baseUrl: env.config.DOMPETKILAT_BASE_URL, timeoutMs: env.config.PROVIDER_TIMEOUT_MS, onCall: env.onCall, resilience: env.resilience },
      env.clock,
    );
  },
};
