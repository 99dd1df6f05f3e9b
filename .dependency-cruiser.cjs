/**
 * Dependency rules for satukredit, enforced in CI by `npm run check:deps`.
 *
 * Layers (inner to outer): domain <- providers <- store <- core <- graphql / webhooks / consent-page <- http <- app.ts <- cli.ts
 * src/generated/ (Prisma's client) is never followed, so nothing inside it is analysed or reported.
 */

const fs = require('node:fs');
const path = require('node:path');

/** Provider folders: every folder under src/providers/ with an index.ts (a new provider needs no edit here). */
const PROVIDERS = fs
  .readdirSync(path.join(__dirname, 'src/providers'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(__dirname, 'src/providers', d.name, 'index.ts')))
  .map((d) => d.name);
const PROVIDER_DIR = `^src/providers/(${PROVIDERS.join('|')})/`;

/** Entry points nothing inside src/ may depend on (except cli.ts -> app.ts, see below). */
const ENTRY_POINTS = '^src/(app|cli)\\.ts$';

/** Paths regular expressions for the outer layers. */
const layer = (...dirs) => `^src/(${dirs.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---------------------------------------------------------------- whole tree
    {
      name: 'no-circular',
      comment: 'Import cycles (type-only ones included) make module init order fragile and layers meaningless.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that cannot be resolved is a typo, a missing package or a file moved without updating importers.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },

    // ---------------------------------------------------------------- domain
    {
      name: 'domain-is-pure',
      comment: 'src/domain/ holds pure types/functions: it may import only itself and luxon (no node builtins, no other src code).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '(^|/)node_modules/(@types/)?luxon/'] },
    },

    // ---------------------------------------------------------------- providers
    {
      name: 'providers-only-domain-and-providers',
      comment: 'Provider code depends only on domain, src/providers/ and the validated config it is built from (never core, store, graphql, http, webhooks, app, cli, ...).',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/providers/', '^src/config\\.ts$'] },
    },
    {
      name: 'provider-folders-isolated',
      comment: 'A provider folder may use the shared src/providers/*.ts files but not another provider\'s folder.',
      severity: 'error',
      from: { path: PROVIDER_DIR },
      to: { path: PROVIDER_DIR, pathNot: '^src/providers/$1/' },
    },
    {
      name: 'provider-folders-private',
      comment: 'Outside src/providers/ a provider folder is reached only through src/providers/registry.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/providers/', '^src/sandbox/'] },
      to: { path: PROVIDER_DIR },
    },
    {
      name: 'sandbox-only-provider-wire',
      comment: 'The sandbox fakes providers on the wire, so it may use their wire schemas (wire.ts) and nothing else of theirs.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: PROVIDER_DIR, pathNot: `${PROVIDER_DIR}wire\\.ts$` },
    },

    // ---------------------------------------------------------------- store / core / graphql / webhooks / http
    {
      name: 'store-not-upward',
      comment: 'Persistence sits below the application: store must not import core, graphql, http, webhooks, app or cli.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: [layer('core', 'graphql', 'http', 'webhooks', 'consent-page'), ENTRY_POINTS] },
    },
    {
      name: 'core-not-upward',
      comment: 'Application services are transport-agnostic: core must not import graphql, http, webhooks, app or cli.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: [layer('graphql', 'http', 'webhooks', 'consent-page'), ENTRY_POINTS] },
    },
    {
      name: 'graphql-not-upward',
      comment: 'The GraphQL layer is mounted by http and must not know about http, webhooks, app or cli.',
      severity: 'error',
      from: { path: '^src/graphql/' },
      to: { path: [layer('http', 'webhooks', 'consent-page'), ENTRY_POINTS] },
    },
    {
      name: 'webhooks-not-upward',
      comment: 'Webhook routes are a sibling of graphql mounted by http: no graphql, http, app or cli imports.',
      severity: 'error',
      from: { path: '^src/webhooks/' },
      to: { path: [layer('graphql', 'http', 'consent-page'), ENTRY_POINTS] },
    },
    {
      name: 'consent-page-not-upward',
      comment: 'The hosted consent pages are a sibling of graphql and webhooks mounted by http: they use the core only.',
      severity: 'error',
      from: { path: '^src/consent-page/' },
      to: { path: [layer('graphql', 'http', 'webhooks'), ENTRY_POINTS] },
    },
    {
      name: 'http-not-to-entry-points',
      comment: 'The HTTP server is composed by app.ts and must not import app.ts or cli.ts.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: ENTRY_POINTS },
    },

    // ---------------------------------------------------------------- sandbox / shared / entry points
    {
      name: 'sandbox-standalone',
      comment: 'The loopback fake providers must run without the application: no core, graphql, http, webhooks, store, app or cli.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: [layer('core', 'graphql', 'http', 'webhooks', 'store', 'consent-page'), ENTRY_POINTS] },
    },
    {
      name: 'shared-modules-not-upward',
      comment: 'config/logger/metrics/auth are used by every layer, so they must not import graphql, http, webhooks, app or cli.',
      severity: 'error',
      from: { path: '^src/(config|logger|metrics|auth)\\.ts$' },
      to: { path: [layer('graphql', 'http', 'webhooks'), ENTRY_POINTS] },
    },
    {
      name: 'cli-through-app',
      comment: 'cli.ts is a thin shell: it reaches the application only through app.ts plus the shared top-level modules, domain, and the sandbox it can run beside it.',
      severity: 'error',
      from: { path: '^src/cli\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/(app|config|logger|metrics|auth)\\.ts$', '^src/domain/', '^src/sandbox/(index|main)\\.ts$'] },
    },

    // ---------------------------------------------------------------- tests and benchmark
    {
      name: 'tests-use-public-entry-points',
      comment: 'test/ and bench/ exercise src/ only through app.ts, domain, sandbox/index.ts and providers/<name>/index.ts so internals can move freely.',
      severity: 'error',
      from: { path: '^(test|bench)/' },
      to: {
        path: '^src/',
        pathNot: ['^src/app\\.ts$', '^src/domain/', '^src/sandbox/index\\.ts$', `${PROVIDER_DIR}index\\.ts$`],
      },
    },
  ],

  options: {
    // node_modules and Prisma's generated client are leaves: imported modules show up, their insides are never analysed.
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    // type-only imports (`import type`, `import('x').T`) count as dependencies.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // ESM + moduleResolution "Bundler": .ts files are imported without extension.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.mts', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
