/**
 * The executor of GraphQL queries and mutations over HTTP (GRAPHQL_EXECUTOR, src/config.ts): `jit` compiles each
 * operation once with graphql-jit (a JavaScript function specialised to the document, instead of graphql-js walking
 * the document for every object of every request) and runs the compiled function; `graphql-js` is Apollo's own
 * execution.
 *
 * Apollo Server 5 takes a custom executor only through its gateway interface (`new ApolloServer({ gateway })`,
 * `jitGateway` below): the schema is then the one the gateway reports, and only Apollo's `execute` step changes.
 * Parsing, validation (hardening's depth/cost rules), the plugins' hooks (`didResolveOperation`,
 * `responseForOperation`, `executionDidStart`, `willSendResponse`, `didEncounterErrors`) and error formatting run as
 * before. Apollo's `willResolveField` hooks are not called by compiled code: none of the API's plugins uses them
 * (Apollo's cache-control plugin, the only default one that would, is disabled; usage reporting is not installed).
 * Subscriptions are served by graphql-ws (src/http/server.ts) with graphql-js, unchanged.
 *
 * Compiled operations are kept in an LRU keyed by Apollo's query hash (the SHA-256 of the query text, the key of its
 * parsed-document cache too) and operation name; an operation is compiled on its second execution (the first runs on
 * graphql-js: a one-off document is not worth compiling). Anything graphql-jit does not compile, operations whose
 * `@skip`/`@include` read a nullable variable (graphql-jit takes an explicit null as false where graphql-js refuses
 * it), subscriptions, and requests whose variables graphql-jit refuses (so that the errors, and Apollo's BAD_USER_INPUT re-coding of them, are
 * graphql-js's exactly) are executed by graphql-js. Errors of compiled execution are rebuilt as graphql-js
 * `GraphQLError`s (graphql-jit's lack `extensions` when the thrown error had none, which Apollo's error formatting
 * needs): message, locations, path, original error and extensions are kept.
 *
 * graphql-jit reads a field without a resolver as a plain property; graphql-js's default resolver calls a
 * function-valued property with (args, context, info), and the API's types rely on it (the `payoff:read` figures and
 * the consent-gated loan fields of src/graphql/types/loan.type.ts are functions). Those fields are marked
 * `@Extensions({ callable: true })` (type-graphql puts it in the field's `extensions`; the SDL does not show it), and
 * compiled code runs on `jitSchema(schema)`, a copy whose marked resolver-less fields resolve as graphql-js's default
 * resolver does; every other resolver-less field (scalars, enums, money and other plain objects: most of an answer)
 * stays a plain property read, no resolver call. A function-valued field left unmarked answers differently on the two
 * executors (test/integration/executor.test.ts compares them over every field). graphql-jit also needs an abstract type's
 * `resolveType` to answer synchronously (type-graphql's wrapper is async): the copy's name the value's type by its
 * `__typename` instead (`syncTypeResolver`).
 */
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  type DocumentNode,
  execute,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFieldConfigMap,
  type GraphQLFieldResolver,
  GraphQLInterfaceType,
  GraphQLList,
  type GraphQLNamedType,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  type GraphQLType,
  type GraphQLTypeResolver,
  GraphQLUnionType,
  isListType,
  isNonNullType,
  getNamedType,
  type FieldNode,
  type FragmentDefinitionNode,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { AdmissionGate } from './admission';
import type { GraphQLContext } from './context';

/**
 * Which executor runs queries and mutations over HTTP (GRAPHQL_EXECUTOR). Both run through `jitGateway`, so that
 * the admission gate of heavy operations (src/graphql/admission.ts) holds on either; `graphql-js` never compiles.
 */
export type GraphQLExecutorKind = 'jit' | 'graphql-js';

/** Apollo's gateway interface (the only way Apollo Server 5 takes a custom executor). */
export type ExecutorGateway = ApolloServerOptionsWithGateway<GraphQLContext>['gateway'];
/** What Apollo calls to execute an operation in gateway mode. */
export type GatewayExecutor = NonNullable<Awaited<ReturnType<ExecutorGateway['load']>>['executor']>;
/** What the executor receives: the parsed and validated document, the resolved operation, request, context... */
export type ExecutorRequest = Parameters<GatewayExecutor>[0];

/**
 * Default bound of the compiled-operation cache, entries. A compiled operation is large (the 50-borrower query of
 * bench scenario 5 is about 400 KB of generated source, some 300 KB of heap before V8 compiles it) and takes tens of
 * milliseconds to compile (about 100 ms on a loaded 2-core machine).
 */
export const DEFAULT_MAX_COMPILED = 250;
/** Default number of executions of an operation before it is compiled (the first ones run on graphql-js). */
export const DEFAULT_COMPILE_AFTER = 2;

/** Counters of a JIT executor (for tests and diagnostics). */
export interface JitExecutorStats {
  /** Operations compiled. */
  compiled: number;
  /** Executions of a compiled operation. */
  jit: number;
  /** Executions by graphql-js: not compiled yet, not compilable, subscription, or variables refused. */
  fallback: number;
  /** Compiled operations cached now. */
  cached: number;
}

/** A JIT executor: the function Apollo calls, and its counters. */
export interface JitExecutor {
  readonly execute: GatewayExecutor;
  stats(): JitExecutorStats;
}

/** An operation graphql-jit would not compile (its errors), remembered so it is not tried again. */
const NOT_COMPILABLE = Symbol('not compilable');
/** An operation not compiled yet: how many times it ran. */
type Entry = CompiledQuery | typeof NOT_COMPILABLE | { seen: number };
const notCompiledYet = (e: Entry | undefined): e is { seen: number } => typeof e === 'object' && 'seen' in e;

/**
 * The JIT executor of `schema`.
 * @param opts.maxCompiled bound of the compiled-operation cache (least recently used dropped first).
 * @param opts.compileAfter how many times an operation runs (on graphql-js) before it is compiled: a one-off
 *   operation (an IDE's, a client's unique document) is not worth its compilation, and unique documents do not
 *   make the server compile each. `Infinity`: never compiled (GRAPHQL_EXECUTOR=graphql-js).
 * @param opts.gate admission of heavy operations (src/graphql/admission.ts): queries and mutations execute through it.
 */
export function createJitExecutor(schema: GraphQLSchema, opts: { maxCompiled?: number; compileAfter?: number; gate?: AdmissionGate } = {}): JitExecutor {
  const compiledSchema = jitSchema(schema);
  const max = Math.max(1, opts.maxCompiled ?? DEFAULT_MAX_COMPILED);
  const after = Math.max(1, opts.compileAfter ?? DEFAULT_COMPILE_AFTER);
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const cache = new Map<string, Entry>();
  // Documents without a query hash (none from Apollo's pipeline; kept for safety) are cached per document object.
  const byDocument = new WeakMap<DocumentNode, Map<string, Entry>>();
  const stats = { compiled: 0, jit: 0, fallback: 0 };

  function compile(document: DocumentNode, operationName: string | undefined): Entry {
    if (nullableCondition(document)) return NOT_COMPILABLE;
    let compiled: CompiledQuery | ExecutionResult;
    try {
      compiled = compileQuery(compiledSchema, document, operationName, { disablingCapturingStackErrors: true });
    } catch {
      return NOT_COMPILABLE;
    }
    if (!isCompiledQuery(compiled)) return NOT_COMPILABLE;
    stats.compiled++;
    return compiled;
  }

  /** The entry after one more execution: compiled on the `after`-th. */
  function next(entry: Entry | undefined, rc: ExecutorRequest, name: string | undefined): Entry {
    if (entry !== undefined && !notCompiledYet(entry)) return entry;
    const seen = (entry?.seen ?? 0) + 1;
    return seen >= after ? compile(rc.document, name) : { seen };
  }

  function compiledFor(rc: ExecutorRequest): Entry {
    // The operation the request names (as graphql-js picks it: the only one when unnamed).
    const name = rc.request.operationName ?? undefined;
    const opKey = name ?? '';
    if (!rc.queryHash) {
      let perDoc = byDocument.get(rc.document);
      if (!perDoc) byDocument.set(rc.document, (perDoc = new Map()));
      const entry = next(perDoc.get(opKey), rc, name);
      perDoc.set(opKey, entry);
      return entry;
    }
    const key = `${rc.queryHash}\n${opKey}`;
    const old = cache.get(key);
    if (old !== undefined) cache.delete(key);
    else if (cache.size >= max) cache.delete(cache.keys().next().value!);
    const entry = next(old, rc, name);
    cache.set(key, entry);
    return entry;
  }

  function viaGraphqlJs(rc: ExecutorRequest): Promise<ExecutionResult> | ExecutionResult {
    stats.fallback++;
    return execute({
      schema,
      document: rc.document,
      contextValue: rc.context,
      variableValues: rc.request.variables,
      operationName: rc.request.operationName,
    });
  }

  const gate = opts.gate;
  const executeOperation: GatewayExecutor = async (rc) => {
    if (!gate || !rc.operation || rc.operation.operation === 'subscription') return executeNow(rc);
    return gate.run(rc.document, rc.request.operationName ?? undefined, rc.request.variables ?? {}, () => executeNow(rc));
  };

  const executeNow: GatewayExecutor = async (rc) => {
    if (!rc.operation || rc.operation.operation === 'subscription') return viaGraphqlJs(rc);
    const entry = compiledFor(rc);
    if (entry === NOT_COMPILABLE || notCompiledYet(entry)) return viaGraphqlJs(rc);
    const result = await entry.query(undefined, rc.context, rc.request.variables ?? {});
    // Variables graphql-jit refused: graphql-js answers (its messages and nodes are what Apollo re-codes as BAD_USER_INPUT).
    if (!('data' in result)) return viaGraphqlJs(rc);
    stats.jit++;
    if (result.errors?.length) return { ...result, errors: onePerNulledField(compiledSchema, rc.document, rc.operation, result.errors).map(asGraphqlJsError) };
    return result;
  };

  return {
    execute: executeOperation,
    stats: () => ({ ...stats, cached: cache.size }),
  };
}

/**
 * Whether a `@skip`/`@include` of `document` takes its `if` from a nullable variable (`$f: Boolean = true`): graphql-jit
 * reads an explicit null there as false, where graphql-js refuses it (`if` is `Boolean!`). Such operations run on
 * graphql-js.
 */
function nullableCondition(document: DocumentNode): boolean {
  const nullable = new Set<string>();
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) for (const v of d.variableDefinitions ?? []) if (v.type.kind !== Kind.NON_NULL_TYPE) nullable.add(v.variable.name.value);
  }
  if (!nullable.size) return false;
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      const arg = node.arguments?.find((a) => a.name.value === 'if');
      if (arg?.value.kind === Kind.VARIABLE && nullable.has(arg.value.name.value)) found = true;
    },
  });
  return found;
}

/**
 * The `extensions` key marking a resolver-less field whose value is a function (`@Extensions({ callable: true })`):
 * graphql-js's default resolver calls it, and so does the compiled executor (`propertyResolver`); graphql-jit reads
 * every other resolver-less field as a plain property.
 */
export const CALLABLE = 'callable';

/** Whether `extensions` mark a field as function-valued. */
const callable = (extensions: Readonly<Record<string, unknown>> | null | undefined): boolean => extensions?.[CALLABLE] === true;

/** A resolver-less field's value as graphql-js's default resolver gives it: a function-valued property is called. */
function propertyResolver(name: string): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => {
    if (source === null || (typeof source !== 'object' && typeof source !== 'function')) return undefined;
    const value = (source as Record<string, unknown>)[name];
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).call(source, args, context, info) : value;
  };
}

/**
 * A type resolver graphql-jit can use: it needs the type name synchronously (a promise is not awaited). type-graphql
 * wraps a `resolveType` given to `@InterfaceType`/`createUnionType` in an async function; for those the value's
 * `__typename` names its type (the `Node` interface's own resolveType is exactly that). A synchronous resolver is
 * called as it is; none leaves graphql-jit's default (`__typename`, then isTypeOf), as graphql-js's.
 * @throws when an asynchronous resolver's value has no `__typename`, or a synchronous one returns a promise.
 */
function syncTypeResolver<S, C>(abstract: string, original: GraphQLTypeResolver<S, C> | null | undefined): GraphQLTypeResolver<S, C> | undefined {
  // None: graphql-jit's default (`__typename`, then the possible types' isTypeOf), as graphql-js's.
  if (!original) return undefined;
  const asynchronous = original.constructor.name === 'AsyncFunction';
  if (!asynchronous) {
    return (value, context, info, type) => {
      const r = original(value, context, info, type);
      if (r && typeof (r as Promise<unknown>).then === 'function') throw new Error(`${abstract}.resolveType answered a promise: graphql-jit needs the type name synchronously`);
      return r;
    };
  }
  return (value) => {
    const name = (value as { __typename?: unknown } | null)?.__typename;
    if (typeof name === 'string') return name;
    throw new Error(`${abstract}: the value has no __typename and its resolveType is asynchronous (graphql-jit needs the type name synchronously)`);
  };
}

/**
 * The schema graphql-jit compiles against: `schema`'s object, interface and union types copied, each resolver-less
 * field marked callable (`CALLABLE`) given `propertyResolver` (graphql-jit does not call function-valued properties);
 * other resolver-less fields stay plain property reads. Scalars, enums, input types and directives are `schema`'s own.
 * @throws when a field marked callable has a resolver of its own (the mark would mean nothing: the resolver is called,
 *   never the property), so that a stale or misplaced mark fails at startup.
 */
export function jitSchema(schema: GraphQLSchema): GraphQLSchema {
  const copies = new Map<string, GraphQLNamedType>();
  const ref = <T extends GraphQLType>(t: T): T => {
    if (isNonNullType(t)) return new GraphQLNonNull(ref(t.ofType)) as T;
    if (isListType(t)) return new GraphQLList(ref(t.ofType)) as T;
    return ((copies.get((t as GraphQLNamedType).name) as T | undefined) ?? t);
  };
  const fields = <S, C>(map: GraphQLFieldConfigMap<S, C>, objectType: boolean): GraphQLFieldConfigMap<S, C> =>
    Object.fromEntries(
      Object.entries(map).map(([name, f]) => [
        name,
        { ...f, type: ref(f.type), resolve: f.resolve ?? (objectType && callable(f.extensions) ? (propertyResolver(name) as GraphQLFieldResolver<S, C>) : undefined) },
      ]),
    );
  for (const t of Object.values(schema.getTypeMap())) {
    if (t.name.startsWith('__')) continue;
    if (t instanceof GraphQLObjectType) {
      const c = t.toConfig();
      for (const [name, f] of Object.entries(c.fields)) {
        if (callable(f.extensions) && f.resolve) throw new Error(`${t.name}.${name} is marked ${CALLABLE} (a function-valued property) but has a resolver: remove the mark, or make the field a plain property`);
      }
      copies.set(t.name, new GraphQLObjectType({ ...c, interfaces: () => c.interfaces.map(ref), fields: () => fields(c.fields, true) }));
    } else if (t instanceof GraphQLInterfaceType) {
      const c = t.toConfig();
      copies.set(t.name, new GraphQLInterfaceType({ ...c, resolveType: syncTypeResolver(t.name, c.resolveType), interfaces: () => c.interfaces.map(ref), fields: () => fields(c.fields, false) }));
    } else if (t instanceof GraphQLUnionType) {
      const c = t.toConfig();
      copies.set(t.name, new GraphQLUnionType({ ...c, resolveType: syncTypeResolver(t.name, c.resolveType), types: () => c.types.map(ref) }));
    }
  }
  const c = schema.toConfig();
  return new GraphQLSchema({
    ...c,
    query: c.query && ref(c.query),
    mutation: c.mutation && ref(c.mutation),
    subscription: c.subscription && ref(c.subscription),
    types: c.types.map((t) => copies.get(t.name) ?? t),
  });
}

/**
 * `errors` as graphql-js reports them: when several errors at non-null positions make the same nullable field (or
 * list item, or `data`) null, only the first is reported (graphql-jit reports each). Errors at nullable positions are
 * all kept, as graphql-js keeps them.
 */
function onePerNulledField(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, errors: readonly GraphQLError[]): GraphQLError[] {
  if (errors.length < 2) return [...errors];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  return errors.filter((e) => {
    const nullable = e.path ? nullablePositions(schema, operation, fragments, e.path) : null;
    if (!nullable || nullable[nullable.length - 1]) return true;
    let target = nullable.length - 1;
    while (target > 0 && !nullable[target - 1]) target--;
    const key = JSON.stringify(e.path!.slice(0, target));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * For each prefix of a response path (`path.slice(0, i + 1)`), whether that position (a field or a list item) is
 * nullable; null when the path cannot be followed through the operation.
 */
function nullablePositions(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, path: readonly (string | number)[]): boolean[] | null {
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  let type: GraphQLType = root;
  let selectionSets: { set: SelectionSetNode; parent: string }[] = [{ set: operation.selectionSet, parent: root.name }];
  const out: boolean[] = [];
  for (const key of path) {
    if (typeof key === 'number') {
      const list: GraphQLType = isNonNullType(type) ? type.ofType : type;
      if (!isListType(list)) return null;
      type = list.ofType;
      out.push(!isNonNullType(type));
      continue;
    }
    const found: { node: FieldNode; parent: string }[] = [];
    const collect = (set: SelectionSetNode, parent: string, visited: Set<string>) => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if ((sel.alias ?? sel.name).value === key) found.push({ node: sel, parent });
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          collect(sel.selectionSet, sel.typeCondition?.name.value ?? parent, visited);
        } else if (!visited.has(sel.name.value)) {
          visited.add(sel.name.value);
          const f = fragments.get(sel.name.value);
          if (f) collect(f.selectionSet, f.typeCondition.name.value, visited);
        }
      }
    };
    for (const { set, parent } of selectionSets) collect(set, parent, new Set());
    const first = found[0];
    const parentType = first && schema.getType(first.parent);
    const def = parentType && (isObjectType(parentType) || isInterfaceType(parentType)) ? parentType.getFields()[first.node.name.value] : undefined;
    if (!def) return null;
    type = def.type;
    out.push(!isNonNullType(type));
    const named = getNamedType(type).name;
    selectionSets = found.flatMap((f) => (f.node.selectionSet ? [{ set: f.node.selectionSet, parent: named }] : []));
  }
  return out;
}

/**
 * A graphql-jit error as a graphql-js `GraphQLError`: same message, locations, path, original error and extensions
 * (graphql-jit's own error class has no `extensions` object when the thrown error had none, and no `nodes`).
 */
function asGraphqlJsError(e: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(e) === GraphQLError.prototype && e.extensions) return e;
  const original = e.originalError ?? undefined;
  const out = new GraphQLError(e.message, {
    path: e.path,
    // A resolver's GraphQLError (type-graphql's, the API's) is unwrapped as graphql-js's locatedError does.
    originalError: original,
    extensions: e.extensions ?? (original instanceof GraphQLError ? original.extensions : undefined),
  });
  if (e.locations?.length) (out as { locations?: GraphQLError['locations'] }).locations = e.locations;
  return out;
}

/**
 * Apollo's gateway interface around `executor`: reports `schema` once (a fixed schema: no updates) and hands Apollo
 * the executor. Pass it as `new ApolloServer({ gateway })` instead of `schema`.
 */
export function jitGateway(schema: GraphQLSchema, executor: JitExecutor): ExecutorGateway {
  return {
    async load() {
      return { executor: executor.execute };
    },
    onSchemaLoadOrUpdate(callback) {
      // `coreSupergraphSdl` is only read by Apollo's schema reporting (not installed: no Apollo key).
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async stop() {},
  };
}
