/**
 * A subscription over graphql-ws is live once its stream has subscribed to the core's publisher. Tests
 * wait for that signal (never for a while): `watchSubscribe` resolves `subscribed` at the next call of the
 * publisher's method, and `restore` puts the method back.
 */
import type { App } from '../../src/app';

type Publisher = App['core']['deps']['publisher'];

/** Watches the next `method` call on `publisher` (`subscribe` for loanChanged, `consentChanges` for consentStatusChanged). */
export function watchSubscribe(publisher: Publisher, method: 'subscribe' | 'consentChanges'): { subscribed: Promise<void>; restore: () => void } {
  const original = publisher[method].bind(publisher) as () => AsyncIterable<unknown>;
  let listening!: () => void;
  const subscribed = new Promise<void>((r) => (listening = r));
  (publisher as unknown as Record<string, unknown>)[method] = () => {
    const stream = original();
    listening();
    return stream;
  };
  return { subscribed, restore: () => ((publisher as unknown as Record<string, unknown>)[method] = original) };
}
