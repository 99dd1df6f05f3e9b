/**
 * The API clients the borrower's consent page can name and send the borrower back to
 * (configuration API_CLIENTS). A consent request's redirect URI must equal, character for
 * character, one its client registered (the OAuth 2.0 exact-match rule), so a request
 * cannot send the borrower, and the outcome, anywhere else.
 */
import type { RegisteredClients } from '../config';

/** One registered client. */
export interface RegisteredClient {
  readonly id: string;
  /** The name the consent page shows the borrower. */
  readonly displayName: string;
  readonly redirectUris: readonly string[];
}

/** Looks up registered clients. */
export class ClientRegistry {
  constructor(private readonly clients: RegisteredClients) {}

  /** The client, or null when it is not registered (it then cannot ask for consent). */
  get(clientId: string): RegisteredClient | null {
    const c = Object.hasOwn(this.clients, clientId) ? this.clients[clientId] : undefined;
    return c ? { id: clientId, displayName: c.displayName, redirectUris: c.redirectUris } : null;
  }

  /** Whether `uri` is exactly one of the client's registered redirect URIs. */
  redirectAllowed(clientId: string, uri: string): boolean {
    return this.get(clientId)?.redirectUris.includes(uri) ?? false;
  }
}
