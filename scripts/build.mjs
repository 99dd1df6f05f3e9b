#!/usr/bin/env node
/**
 * Compiles the CLI (and with --bench, the benchmark's server child) to plain JavaScript with esbuild, so that
 * `npm start` runs no TypeScript loader: tsx transformed every module at start-up and kept its sources, which
 * cost about 160 MB of resident memory on a PostgreSQL start (410 MB against 250 MB, measured 2026-12-04).
 * Our own code is bundled; packages stay in node_modules (`packages: 'external'`). The outputs sit two
 * directories below the repository root, as the sources do, so paths computed from `import.meta.url`
 * (migrations, the committed schema) resolve the same.
 *
 * Usage: node scripts/build.mjs [--bench]   (writes dist/app/cli.mjs and dist/app/pglite-server.mjs, the embedded
 * database's process; with --bench also dist/bench/server.mjs and dist/bench/pglite-server.mjs)
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The embedded database's process (src/store/pglite-server.ts) is forked from a file beside the bundle that
// opens the database (`new URL('./pglite-server.mjs', import.meta.url)` in src/store/database.ts): one per bundle.
const entries = { 'app/cli': 'src/cli.ts', 'app/pglite-server': 'src/store/pglite-server.ts' };
if (process.argv.includes('--bench')) Object.assign(entries, { 'bench/server': 'bench/server.ts', 'bench/pglite-server': 'src/store/pglite-server.ts' });

await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entries).map(([out, src]) => [out, path.join(root, src)])),
  outdir: path.join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  tsconfig: path.join(root, 'tsconfig.json'),
  sourcemap: 'linked',
  logLevel: 'warning',
});
