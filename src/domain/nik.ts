/** The NIK (16-digit KTP number, 15 for some older cards) as shown to clients without `identity:read`. */

/** NIK masked to its first and last 4 digits ("3626*******8783"); all masked when 8 digits or fewer. */
export function maskNik(nik: string): string {
  return nik.length <= 8 ? '*'.repeat(nik.length) : `${nik.slice(0, 4)}${'*'.repeat(nik.length - 8)}${nik.slice(-4)}`;
}
