/**
 * The schema explains itself: every type, field, argument, input field and enum value of the schema the code builds
 * (as `npm run schema:emit` prints it, src/graphql/schema.ts: what introspection and schema/schema.graphql show) has
 * a description. graphql-js's own introspection types and built-in scalars are left out. The failure lists every
 * place without one.
 */
import {
  buildSchema,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
} from 'graphql';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../src/app';

/** The schema as the code emits it. */
const graphqlSchema = async () => buildSchema(await printedSchema());

/** Every schema coordinate (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`, `Input.field`) without a description. */
export function undocumented(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const blank = (d: string | null | undefined) => !d || !d.trim();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    if (blank(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        if (blank(f.description)) missing.push(`${type.name}.${f.name}`);
        for (const a of f.args) if (blank(a.description)) missing.push(`${type.name}.${f.name}(${a.name}:)`);
      }
    } else if (isInputObjectType(type)) {
      for (const f of Object.values(type.getFields())) if (blank(f.description)) missing.push(`${type.name}.${f.name}`);
    } else if (isEnumType(type)) {
      for (const v of type.getValues()) if (blank(v.description)) missing.push(`${type.name}.${v.name}`);
    }
  }
  return missing.sort();
}

describe('schema descriptions', () => {
  it('describes every type, field, argument, input field and enum value', async () => {
    expect(undocumented(await graphqlSchema())).toEqual([]);
  });

  it('lists every code a mutation refuses with in the UserErrorCode enum', async () => {
    const src = path.resolve(import.meta.dirname, '../src');
    const thrown = new Set<string>();
    for (const f of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!f.endsWith('.ts')) continue;
      for (const m of readFileSync(path.join(src, f), 'utf8').matchAll(/(?:ConsentUserError|WebhookUserError)\(\s*'([A-Z_]+)'|code: '([A-Z_]+)' \}\]/g)) thrown.add(m[1] ?? m[2]!);
    }
    const t = (await graphqlSchema()).getType('UserErrorCode');
    expect(isEnumType(t)).toBe(true);
    const values = new Set(isEnumType(t) ? t.getValues().map((v) => v.name) : []);
    expect(thrown.size).toBeGreaterThan(10);
    expect([...thrown].filter((c) => !values.has(c))).toEqual([]);
  });

  it('states where Date and DateTime are specified (@specifiedBy)', async () => {
    const schema = await graphqlSchema();
    for (const name of ['Date', 'DateTime']) {
      const t = schema.getType(name);
      expect(isScalarType(t) && t.specifiedByURL).toMatch(/^https:\/\//);
    }
  });
});
