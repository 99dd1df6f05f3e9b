/**
 * A cache of per-operation estimates (the rate limit's cost, the admission gate's work) keyed by what they depend
 * on: the document (Apollo hands the same parsed document for the same query text), the operation name, and the
 * values of only those variables an estimate reads: the ones in directive arguments (`@skip`/`@include`) and in
 * `first`/`last` arguments. A client asking about a different borrower each time (`$id`) hits the cache; computing
 * an estimate walks the whole document (about 0.1 ms for a full credit view, a third of a warm view's CPU).
 *
 * Estimates that fail (variables the operation refuses) are not cached: the same document with valid variables
 * must not be charged what an invalid request was.
 */
import { createRequire } from 'node:module';
import { type DocumentNode, type GraphQLSchema, visit } from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';

// graphql-query-complexity's ESM build imports 'graphql/index.mjs', a second graphql instance beside the
// CommonJS one Apollo and type-graphql use ("Cannot use GraphQLObjectType from another module or realm").
// Its CommonJS build requires 'graphql' and so shares theirs.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)('graphql-query-complexity') as typeof import('graphql-query-complexity');

/** graphql-query-complexity's estimator of one point per field (the rate limit's cost, the base of the admission gate's work). */
export const ONE_PER_FIELD: ComplexityEstimator = simpleEstimator({ defaultComplexity: 1 });

/** An operation's estimate by `estimators` (the first that answers for a field counts), or null when its variables are refused. */
export type Estimate = (document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>) => number | null;

/** The estimate of operations of `schema` by graphql-query-complexity's `getComplexity` with `estimators`. */
export function complexityEstimate(schema: GraphQLSchema, estimators: ComplexityEstimator[]): Estimate {
  return (document, operationName, variables) => {
    try {
      return getComplexity({ schema, query: document, variables, operationName, estimators });
    } catch {
      return null;
    }
  };
}

/** Argument names whose variables change an estimate besides directive arguments. */
const PAGE_ARGUMENTS = new Set(['first', 'last']);

/** The names of the variables an estimate of `document` may read (sorted). */
function variablesThatCount(document: DocumentNode): readonly string[] {
  const names = new Set<string>();
  let inDirective = 0;
  visit(document, {
    Directive: { enter: () => void inDirective++, leave: () => void inDirective-- },
    Argument(node) {
      if (!inDirective && !PAGE_ARGUMENTS.has(node.name.value)) return;
      visit(node.value, {
        Variable(v) {
          names.add(v.name.value);
        },
      });
    },
  });
  return [...names].sort();
}

/** Per-document entry: the variables that count, and estimates by operation name and their values. */
interface Entry {
  readonly names: readonly string[];
  readonly estimates: Map<string, number>;
}

/** Most estimates kept per document (one document seen with ever-new page sizes keeps its latest ones). */
const PER_DOCUMENT = 1000;

/**
 * Caches `compute` (null: failed, not cached; `fallback` is returned).
 * @returns the cached estimator: same arguments as `compute`.
 */
export function cachedEstimates(
  compute: Estimate,
  fallback: number,
): (document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>) => number {
  const byDocument = new WeakMap<DocumentNode, Entry>();
  return (document, operationName, variables) => {
    let entry = byDocument.get(document);
    if (!entry) byDocument.set(document, (entry = { names: variablesThatCount(document), estimates: new Map() }));
    let key = operationName ?? '';
    // An omitted variable (its default applies) is told apart from an explicit null.
    for (const n of entry.names) key += `\n${n in variables ? JSON.stringify(variables[n]) : '-'}`;
    const known = entry.estimates.get(key);
    if (known !== undefined) return known;
    const value = compute(document, operationName, variables);
    if (value === null) return fallback;
    if (entry.estimates.size >= PER_DOCUMENT) entry.estimates.clear();
    entry.estimates.set(key, value);
    return value;
  };
}
