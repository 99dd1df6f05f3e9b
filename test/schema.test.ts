import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printedSchema, SCHEMA_FILE } from '../src/app';

describe('schema/schema.graphql', () => {
  it('matches what the code emits (run `npm run schema:emit` after changing types)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await printedSchema());
  });

  it('exposes money only as Money objects with a decimal-string amount', async () => {
    const sdl = await printedSchema();
    expect(sdl).toMatch(/type Money \{[^}]*amount: String![^}]*currency: CurrencyCode!/s);
    expect(sdl).not.toMatch(/\b(amount|principal|outstanding|totalOutstanding|amountDue): (Float|Int)/);
  });

  it('speaks one vocabulary: no provider wire names as field names', async () => {
    const sdl = await printedSchema();
    const fields = [...sdl.matchAll(/^\s+(\w+)[(:]/gm)].map((m) => m[1]);
    for (const wire of ['loanUniqueId', 'tenorDays', 'annualRatePct', 'idNumber', 'loanData', 'histories', 'angsuran', 'pinjaman', 'userId', 'contractNo']) {
      expect(fields).not.toContain(wire);
    }
  });
});
