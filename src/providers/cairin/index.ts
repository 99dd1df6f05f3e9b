/**
 * Cairin: an OJK-licensed cash-loan app reached through its app protocol (login and
 * liveness-gated session per borrower account). Its repayments settle through the
 * banks' SNAP notifications (src/providers/snap), so Cairin itself sends no callbacks.
 */
import type { ProviderDefinition } from '../connector';
import { CairinConnector } from './connector';

export { CairinClient, type CairinCredentials, type CairinLinkRequest } from './client';
export { CairinConnector } from './connector';
export * from './wire';

/** Cairin's registry entry. Config: CAIRIN_BASE_URL. */
export const cairin: ProviderDefinition = {
  code: 'CAIRIN',
  description: 'Cairin, OJK-licensed cash-loan app (PT Idana Solusi Sejahtera).',
  syncRateConfig: 'SYNC_RATE_LIMIT_CAIRIN',
  linkProof: 'LOGIN',
  requiredConfig: ['CAIRIN_BASE_URL'],
  callbacks: [],
  owns: () => false,
  ledgerEvents: () => ({ kind: 'none', events: [] }),
  createConnector(env) {
    if (!env.config.CAIRIN_BASE_URL) throw new Error('missing provider configuration: CAIRIN_BASE_URL');
    return new CairinConnector({
      baseUrl: env.config.CAIRIN_BASE_URL,
      timeoutMs: env.config.PROVIDER_TIMEOUT_MS,
      resilience: env.resilience,
      onCall: env.onCall,
      now: () => env.clock.now().getTime(),
      onCredentials: (accountId, credentials) => env.saveCredentials('CAIRIN', accountId, { ...credentials }),
      sessions: env.sessions,
    });
  },
};
