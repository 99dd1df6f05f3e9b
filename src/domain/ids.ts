/** Identifier checks shared by every layer. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `s` is a UUID (the form of every row id), so a malformed id is answered "not found" without a query. */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
