/**
 * Self-check of every schemas/*.json (what mtdvat knows about each D365 entity): the key names
 * fields of the entity, each reference names fields of the entity and an existing target entity
 * whose key it matches field for field, the XML record element is the target entity upper-cased
 * (as D365's DMF writes it), and the names the importer matches manifests by are unambiguous.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EntitySchema } from '../../src/schema/types.js';

const DIR = resolve(import.meta.dirname, '..', '..', 'schemas');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const schemas = files.map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as EntitySchema] as const);
const byId = new Map(schemas.map(([, s]) => [s.id, s]));

/** Every rule broken by one schema, as readable lines (empty when it is sound). */
function problemsOf(s: EntitySchema, all: Map<string, EntitySchema>): string[] {
  const out: string[] = [];
  const fields = new Map(s.fields.map((f) => [f.name, f]));
  if (fields.size !== s.fields.length) out.push('a field is listed twice');
  if (!s.key.length) out.push('no key');
  for (const k of s.key) {
    if (!fields.has(k)) out.push(`key field ${k} is not a field`);
    else if (fields.get(k)!.secret) out.push(`key field ${k} is secret`);
  }
  if (s.recordElement !== s.targetEntity.toUpperCase()) out.push(`record element ${s.recordElement} is not ${s.targetEntity.toUpperCase()}`);
  for (const ref of s.references) {
    for (const f of ref.fields) if (!fields.has(f)) out.push(`reference to ${ref.entity}: ${f} is not a field`);
    const target = all.get(ref.entity);
    if (!target) {
      out.push(`reference to ${ref.entity}: no such entity`);
      continue;
    }
    if (ref.fields.length !== target.key.length) out.push(`reference to ${ref.entity}: ${ref.fields.length} fields for a key of ${target.key.length}`);
  }
  for (const f of s.fields) {
    if (f.type === 'enum' && !f.values?.length) out.push(`enum ${f.name} has no values`);
    if (f.type === 'enum' && f.default !== undefined && !f.values?.includes(f.default)) out.push(`enum ${f.name}: default ${f.default} is not a value`);
    for (const [alias, symbol] of Object.entries(f.aliases ?? {})) if (!f.values?.includes(symbol)) out.push(`enum ${f.name}: alias "${alias}" maps to unknown ${symbol}`);
  }
  return out;
}

describe('schemas/*.json', () => {
  it('there are schemas, with unique ids', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(byId.size).toBe(files.length);
  });

  it.each(schemas)('%s: keys exist, references resolve, the record element matches the target entity', (_file, schema) => {
    expect(problemsOf(schema, byId)).toEqual([]);
  });

  it('no two entities answer to the same name (id, label, target entity, record element, alias)', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const [, s] of schemas) {
      for (const name of new Set([s.id, s.label, s.targetEntity, s.recordElement, ...s.aliases].map((n) => n.toLowerCase()))) {
        const other = owner.get(name);
        if (other && other !== s.id) clashes.push(`"${name}": ${other} and ${s.id}`);
        owner.set(name, s.id);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('the check catches what it is for', () => {
    const [, base] = schemas.find(([, s]) => s.references.length > 0)!;
    const broken: EntitySchema = {
      ...base,
      key: ['NOSUCHFIELD'],
      recordElement: 'SOMETHINGELSE',
      references: [{ fields: ['ALSOMISSING'], entity: 'NoSuchEntity' }, { fields: [base.key[0], base.key[0], base.key[0], base.key[0], base.key[0]], entity: base.references[0].entity }],
    };
    const found = problemsOf(broken, byId).join('\n');
    for (const expected of ['key field NOSUCHFIELD is not a field', 'record element SOMETHINGELSE', 'ALSOMISSING is not a field', 'NoSuchEntity: no such entity', '5 fields for a key of']) {
      expect(found).toContain(expected);
    }
  });
});
