import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EntitySchema, FieldSpec } from './types.js';

/** Finds the project's `schemas/` folder whether we run from `src/` (tests) or `dist/src/` (the binary). */
function schemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'schemas')) && existsSync(join(dir, 'package.json'))) return join(dir, 'schemas');
    dir = dirname(dir);
  }
  throw new Error('mtdvat installation is incomplete: the schemas/ folder was not found');
}

export class SchemaRegistry {
  private readonly byName = new Map<string, EntitySchema>();
  private readonly byIdMap = new Map<string, EntitySchema>();

  constructor(readonly all: readonly EntitySchema[]) {
    for (const schema of all) {
      this.byIdMap.set(schema.id, schema);
      for (const name of [schema.id, schema.label, schema.targetEntity, schema.recordElement, ...schema.aliases]) {
        this.byName.set(name.toLowerCase(), schema);
      }
    }
  }

  byId(id: string): EntitySchema {
    const schema = this.byIdMap.get(id);
    if (!schema) throw new Error(`no schema with id ${id}`);
    return schema;
  }

  /** Matches a manifest line by TargetEntity, then EntityName, then any alias, case-insensitively. */
  resolve(...names: (string | undefined)[]): EntitySchema | undefined {
    for (const name of names) {
      if (!name) continue;
      const schema = this.byName.get(name.toLowerCase());
      if (schema) return schema;
    }
    return undefined;
  }
}

let cached: SchemaRegistry | undefined;

export function loadSchemas(): SchemaRegistry {
  if (cached) return cached;
  const dir = schemasDir();
  const schemas = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as EntitySchema);
  cached = new SchemaRegistry(schemas);
  return cached;
}

export function secretFields(schema: EntitySchema): FieldSpec[] {
  return schema.fields.filter((f) => f.secret);
}

/** Import order of the schemas themselves (unit, level, sequence). */
export function schemasInImportOrder(registry: SchemaRegistry): EntitySchema[] {
  return [...registry.all].sort(
    (a, b) => a.order.unit - b.order.unit || a.order.level - b.order.level || a.order.sequence - b.order.sequence,
  );
}
