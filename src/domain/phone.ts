/** Indonesian mobile numbers as providers hold them, for sending one-time codes and showing them masked. */

/**
 * The international digits of an Indonesian number given as `08…`, `628…` or `+628…` (spaces and dashes
 * ignored), e.g. `6281234567890`: the form SMS gateways take. Other input is returned trimmed, unchanged.
 */
export function normalizePhone(phone: string): string {
  const d = phone.replace(/[\s-]/g, '');
  if (/^\+62\d{7,13}$/.test(d)) return d.slice(1);
  if (/^62\d{7,13}$/.test(d)) return d;
  if (/^0\d{7,13}$/.test(d)) return `62${d.slice(1)}`;
  return phone.trim();
}

/** A number as the consent page shows it: country code, the first 3 and the last 4 digits, e.g. `+62 812****7890`. */
export function maskPhone(phone: string): string {
  const e = normalizePhone(phone);
  const m = /^62(\d{3})(\d*)(\d{4})$/.exec(e);
  if (!m) return `****${e.slice(-4)}`;
  return `+62 ${m[1]}${'*'.repeat(m[2]!.length)}${m[3]}`;
}
