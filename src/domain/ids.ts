/** Identifier checks shared by every layer. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `s` is a UUID (the form of every row id), so a malformed id is answered "not found" without a query. */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/**
 * An opaque global id (Relay `Node`): base64url of the JSON array `[type, ...parts]`. The one encoding of the API's
 * ids (src/graphql/ids.ts `toGlobalId` calls it), here so that client webhooks (src/core/client-webhooks.ts) name a
 * loan exactly as the API does.
 */
export function encodeGlobalId(type: string, ...parts: string[]): string {
  return Buffer.from(JSON.stringify([type, ...parts])).toString('base64url');
}
