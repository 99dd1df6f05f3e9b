/**
 * Admission of heavy operations: at most `concurrency` operations whose estimated work reaches `work` execute at
 * once in this process; the others wait their turn (first come, first served). Light operations (a credit view, a
 * loan, a consent) are never held up.
 *
 * Why: an answer is built whole in memory before it is sent. Fifty concurrent `borrowers(first: 50)` with every
 * nested field (bench scenario 5, response cache off) held fifty answers of several megabytes each at once: the
 * process peaked at about 400 MiB and spent about a third of its CPU in garbage collection, marking that live heap
 * again and again. Two at a time, the same load peaked at about 230 MiB at a fifth less CPU per answer (README,
 * "Memory"). The CPU bounds throughput either way; waiting changes how many answers are in memory at once.
 *
 * The work estimate is graphql-query-complexity's (the library the rate limit's cost comes from) with one estimator
 * more: a field taking `first` or `last` (a page of a connection) counts its selection that many times. Lists
 * without such arguments (a borrower's loans, a loan's installments) count once: their sizes are the data's, not
 * the request's. The rate limit's cost (src/graphql/hardening.ts, one point per field) is not changed by this.
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import pLimit, { type LimitFunction } from 'p-limit';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { heavyOperations } from '../metrics';
import { cachedEstimates, complexityEstimate, ONE_PER_FIELD } from './estimates';

/** Admission settings (GRAPHQL_HEAVY_CONCURRENCY, GRAPHQL_HEAVY_WORK). */
export interface AdmissionOptions {
  /** Heavy operations executing at once in this process; 0 admits every operation at once (no limit). */
  readonly concurrency: number;
  /** Estimated work (`operationWork`) from which an operation is heavy. */
  readonly work: number;
}

/** Default admission: two heavy operations at a time, heavy from 2 000 work points (about twelve full credit views' fields). */
export const DEFAULT_ADMISSION: AdmissionOptions = { concurrency: 2, work: 2000 };

/** A page argument multiplies the work of what it selects (`first: 50` → 50 times). */
const pagedEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const n = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : undefined;
  return n === undefined ? undefined : 1 + Math.max(0, n) * childComplexity;
};

/** The estimators of work: pages first, then one point per field. */
const WORK_ESTIMATORS = [pagedEstimator, ONE_PER_FIELD];

/**
 * The estimated work of one operation: one point per field, the selection of a paged field (`first`/`last`)
 * counted once per item asked for. Unknown operation or invalid variables: 0 (execution answers the error).
 */
export function operationWork(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
  return complexityEstimate(schema, WORK_ESTIMATORS)(document, operationName, variables) ?? 0;
}

/** What the gate has done (tests, diagnostics). */
export interface AdmissionStats {
  /** Heavy operations admitted so far (each counted when it starts executing). */
  readonly admitted: number;
  /** Heavy operations executing now, and waiting now. */
  readonly running: number;
  readonly waiting: number;
  /** The most heavy operations ever executing at once. */
  readonly maxRunning: number;
}

/** The admission gate of one process: `run` executes an operation, waiting first when it is heavy and the gate is full. */
export interface AdmissionGate {
  run<T>(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>, execute: () => Promise<T> | T): Promise<T>;
  stats(): AdmissionStats;
}

/**
 * A gate admitting `opts.concurrency` heavy operations of `schema` at a time (p-limit's queue). Estimates are
 * cached per document and the variables they read (src/graphql/estimates.ts).
 */
export function admissionGate(schema: GraphQLSchema, opts: AdmissionOptions = DEFAULT_ADMISSION): AdmissionGate {
  const limit: LimitFunction | null = opts.concurrency > 0 ? pLimit(opts.concurrency) : null;
  const workOf = cachedEstimates(complexityEstimate(schema, WORK_ESTIMATORS), 0);
  let admitted = 0;
  let running = 0;
  let maxRunning = 0;
  const publish = () => {
    heavyOperations.set({ state: 'running' }, running);
    heavyOperations.set({ state: 'waiting' }, limit?.pendingCount ?? 0);
  };
  return {
    async run(document, operationName, variables, execute) {
      if (!limit || workOf(document, operationName, variables) < opts.work) return execute();
      const p = limit(async () => {
        admitted++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        publish();
        try {
          return await execute();
        } finally {
          running--;
          publish();
        }
      });
      publish();
      return p;
    },
    stats: () => ({ admitted, running, waiting: limit?.pendingCount ?? 0, maxRunning }),
  };
}
