#!/usr/bin/env node
/**
 * Writes the providers' OpenAPI 3.1 documents, generated from the connectors' zod wire schemas
 * (src/providers/<provider>/openapi.ts), to docs/openapi/<name>.json; the provider sandbox serves those files
 * at /openapi.json. With --check it writes nothing and exits 1 when a committed file differs from what the
 * generator emits now (test/openapi.test.ts runs it so the committed documents cannot go stale).
 *
 * Usage: node scripts/openapi.mjs [--check]   (npm run openapi:emit)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'docs', 'openapi');

/** Document file name -> [module under src/providers, builder export]. */
const DOCUMENTS = {
  'cairin.json': ['cairin/openapi.ts', 'cairinOpenApi'],
  'finfra.json': ['finfra/openapi.ts', 'finfraOpenApi'],
  'dompetkilat.json': ['dompetkilat/openapi.ts', 'dompetKilatOpenApi'],
  'snap.json': ['snap/openapi.ts', 'snapOpenApi'],
};

const check = process.argv.includes('--check');
const stale = [];
for (const [file, [module, exported]] of Object.entries(DOCUMENTS)) {
  const mod = await import(path.join(root, 'src', 'providers', module));
  const text = `${JSON.stringify(mod[exported](), null, 2)}\n`;
  const target = path.join(dir, file);
  let committed = null;
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing: stale
  }
  if (committed === text) continue;
  if (check) stale.push(path.relative(root, target));
  else {
    writeFileSync(target, text);
    console.log(`openapi: wrote ${path.relative(root, target)}`);
  }
}
if (stale.length > 0) {
  console.error(`openapi: out of date (run npm run openapi:emit): ${stale.join(', ')}`);
  process.exit(1);
}
if (check) console.log(`openapi: ${Object.keys(DOCUMENTS).length} documents up to date in ${path.relative(root, dir)}`);
