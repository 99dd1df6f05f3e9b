/**
 * Finfra: a lending-infrastructure platform (Basic-to-JWT token exchange, borrowers,
 * single-payment and BNPL loans) whose callbacks are signed with `finfra-auth-key`.
 */
import type { ProviderDefinition } from '../connector';
import { finfraCallbackRoute, finfraLedgerEvents } from './callbacks';
import { FinfraConnector } from './connector';

export { FinfraClient, finfraEnvironment } from './client';
export { FinfraConnector } from './connector';
export * from './wire';

/** Finfra's registry entry. Config: FINFRA_BASE_URL, FINFRA_CLIENT_ID, FINFRA_CLIENT_SECRET; callbacks: FINFRA_CALLBACK_KEY. */
export const finfra: ProviderDefinition = {
  code: 'FINFRA',
  description: 'Finfra lending-infrastructure platform.',
  syncRateConfig: 'SYNC_RATE_LIMIT_FINFRA',
  linkProof: 'IDENTITY_MATCH',
  requiredConfig: ['FINFRA_BASE_URL', 'FINFRA_CLIENT_ID', 'FINFRA_CLIENT_SECRET'],
  callbacks: [finfraCallbackRoute],
  owns: (source) => source === 'FINFRA',
  ledgerEvents(ev) {
    const type = (ev.payload as { type: string }).type;
    return { kind: type === 'va' || type === 'invoice' ? 'repayment' : type, events: finfraLedgerEvents(ev.payload, ev.receivedAt) };
  },
  createConnector(env) {
    const c = env.config;
    const missing = finfra.requiredConfig.filter((k) => !c[k]);
    if (missing.length) throw new Error(`missing provider configuration: ${missing.join(', ')}`);
    return new FinfraConnector({
      baseUrl: c.FINFRA_BASE_URL!,
      timeoutMs: c.PROVIDER_TIMEOUT_MS,
      resilience: env.resilience,
      onCall: env.onCall,
      clientId: c.FINFRA_CLIENT_ID!,
      clientSecret: c.FINFRA_CLIENT_SECRET!,
      now: () => env.clock.now().getTime(),
    });
  },
};
