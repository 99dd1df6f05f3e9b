// Prisma CLI configuration. The CLI runs through the WebAssembly schema engine
// (engine "js") against embedded PGlite, so `generate` and `migrate diff` work
// with no native engine download. PRISMA_PGLITE_DIR picks the data directory
// (default: an in-memory database, enough for `migrate diff`).
import path from 'node:path';
import { defineConfig, type PrismaConfig } from 'prisma/config';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';

export default defineConfig({
  experimental: { adapter: true },
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  engine: 'js',
  async adapter() {
    const dir = process.env.PRISMA_PGLITE_DIR;
    // The adapter pins an older @prisma/driver-adapter-utils whose types differ; the runtime contract matches.
    const factory = new PrismaPGlite(dir ? new PGlite(dir) : new PGlite());
    return factory as unknown as Awaited<ReturnType<Extract<PrismaConfig, { engine: 'js' }>['adapter']>>;
  },
});
