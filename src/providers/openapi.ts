/**
 * Shared pieces of the providers' OpenAPI 3.1 documents (src/providers/<provider>/openapi.ts): the
 * `components.schemas` of a document generated from zod wire schemas with zod 4's own JSON Schema output
 * (`z.toJSONSchema`, draft 2020-12, the dialect OpenAPI 3.1 uses), and small builders for the recurring
 * parts of an operation. The documents describe the wire as our connectors read it: input-side shapes
 * (what arrives before any zod transform), objects open to extra fields (wire parsing ignores them).
 *
 * Not used by the application at run time: `node scripts/openapi.mjs` writes the documents to
 * docs/openapi/, and the provider sandbox serves those files at `/openapi.json`.
 */
import { z } from 'zod';

/**
 * An object of an OpenAPI document. Deliberately loose: the documents are checked against the OpenAPI 3.1
 * specification by a validator (test/openapi.test.ts), not by TypeScript.
 */
export type OpenApiObject = { [key: string]: unknown };
/** An OpenAPI 3.1 document. */
export interface OpenApiDocument extends OpenApiObject {
  openapi: string;
  info: { title: string; version: string; summary?: string; description?: string };
}
/** A `$ref` to a component. */
export interface OpenApiRef {
  $ref: string;
}
/** A JSON Schema (draft 2020-12) as OpenAPI 3.1 embeds it, or a reference to one. */
export type OpenApiSchema = OpenApiObject | OpenApiRef;

/** The OpenAPI version every document declares. */
export const OPENAPI_VERSION = '3.1.0';

/** The named wire schemas of one document and their generated JSON Schemas. */
export interface SchemaComponents<Name extends string> {
  /** `components.schemas`: one JSON Schema per name, references between them as `#/components/schemas/<name>`. */
  readonly schemas: Record<Name, OpenApiObject>;
  /** A `$ref` to a named schema. */
  ref(name: Name): OpenApiRef;
}

/**
 * Generates `components.schemas` from named zod schemas. A schema used inside another named one becomes a
 * `$ref` to it; every other nested schema is inlined. Input side (`io: "input"`): a transformed field is
 * described as it arrives on the wire. Refinements zod cannot express in JSON Schema are left out.
 * @param named the schemas by component name (each zod schema instance under one name only).
 * @param descriptions optional description per component name (the wire files' doc comments).
 */
export function schemaComponents<Name extends string>(named: Record<Name, z.ZodType>, descriptions: Partial<Record<Name, string>> = {}): SchemaComponents<Name> {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [id, schema] of Object.entries(named) as [Name, z.ZodType][]) {
    const description = descriptions[id];
    registry.add(schema, description === undefined ? { id } : { id, description });
  }
  const out = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas = {} as Record<Name, OpenApiObject>;
  for (const id of Object.keys(named) as Name[]) {
    // `$schema` and `$id` are per-file keywords: inside an OpenAPI document the dialect is the document's.
    const { $schema: _dialect, $id: _id, ...schema } = out.schemas[id] as Record<string, unknown>;
    schemas[id] = schema as OpenApiObject;
  }
  return {
    schemas,
    ref: (name) => {
      if (!(name in schemas)) throw new Error(`no schema component named ${name}`);
      return { $ref: `#/components/schemas/${name}` };
    },
  };
}

/** A JSON request body. */
export function jsonBody(schema: OpenApiSchema, description: string, example?: unknown): OpenApiObject {
  return { required: true, description, content: { 'application/json': example === undefined ? { schema } : { schema, example } } };
}

/** A JSON response. */
export function jsonResponse(schema: OpenApiSchema, description: string): OpenApiObject {
  return { description, content: { 'application/json': { schema } } };
}

/** A required path parameter of type string. */
export function pathParam(name: string, description: string, example?: string): OpenApiObject {
  return { name, in: 'path', required: true, description, schema: { type: 'string' }, ...(example === undefined ? {} : { example }) };
}

/** A header parameter of type string. */
export function headerParam(name: string, description: string, required = true): OpenApiObject {
  return { name, in: 'header', required, description, schema: { type: 'string' } };
}
