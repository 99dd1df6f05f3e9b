/**
 * The provider registry: provider code -> definition (connector factory, account
 * linking, callbacks and their ledger events). Everything outside src/providers
 * iterates this list and never names a provider. Adding a provider is a folder
 * shaped like ./finfra plus one line here (and its code in the Prisma enum `Provider`).
 */
import type { ProviderCode } from '../domain/types';
import { cairin } from './cairin';
import type { CallbackRoute, CallbackSource, ProviderConnector, ProviderDefinition, ProviderEnvironment } from './connector';
import { dompetKilat } from './dompetkilat';
import { finfra } from './finfra';
import { snapSettlements } from './snap';

/** Every provider, in the order views list them. */
export const PROVIDER_DEFINITIONS: readonly ProviderDefinition[] = [cairin, finfra, dompetKilat];

/** Sources of callbacks: the providers, then the banks' settlement notifications. */
export const CALLBACK_SOURCES: readonly CallbackSource[] = [...PROVIDER_DEFINITIONS, snapSettlements];

/** The connectors of the running service, one per provider. */
export type Connectors = Readonly<Record<ProviderCode, ProviderConnector>>;

/** A provider's definition. @throws Error for a code that is not registered. */
export function providerDefinition(code: ProviderCode): ProviderDefinition {
  const d = PROVIDER_DEFINITIONS.find((p) => p.code === code);
  if (!d) throw new Error(`unknown provider ${code}`);
  return d;
}

/**
 * Builds every provider's connector.
 * @throws Error naming the missing configuration keys of every provider.
 */
export function createConnectors(env: ProviderEnvironment): Connectors {
  const missing = PROVIDER_DEFINITIONS.flatMap((d) => d.requiredConfig.filter((k) => !env.config[k]));
  if (missing.length) throw new Error(`missing provider configuration: ${missing.join(', ')}`);
  return Object.fromEntries(PROVIDER_DEFINITIONS.map((d) => [d.code, d.createConnector(env)])) as Record<ProviderCode, ProviderConnector>;
}

/** Every callback route, in matching order. */
export function callbackRoutes(): readonly CallbackRoute[] {
  return CALLBACK_SOURCES.flatMap((s) => s.callbacks);
}

/** The source that owns stored events labelled `source`. @throws Error when none does. */
export function callbackSource(source: string): CallbackSource {
  const s = CALLBACK_SOURCES.find((c) => c.owns(source));
  if (!s) throw new Error(`no callback source owns events of ${source}`);
  return s;
}

export type { CallbackRoute, CallbackSource, ProviderConnector, ProviderDefinition, ProviderEnvironment };
export type { SnapBankConfig } from './snap';
