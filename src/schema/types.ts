/** The shape of one `schemas/*.json` file: everything mtdvat knows about one D365 entity. */
/**
 * `url` is an absolute URL; `urlpath` is a path on another field's URL (one leading `/`, never `//`, no
 * scheme): a path that could name another host would send credentials there.
 */
export type FieldType = 'string' | 'int' | 'noyes' | 'enum' | 'date' | 'guid' | 'url' | 'urlpath';

export interface FieldSpec {
  /** Entity field name, upper case as D365 exports it. */
  name: string;
  type: FieldType;
  label?: string;
  maxLength?: number;
  required?: boolean;
  /** Encrypted at rest; never printed, logged or exported. */
  secret?: boolean;
  /** An empty value in a package keeps the stored one (a value the user set after import). */
  keepWhenEmpty?: boolean;
  /** enum: the symbol names D365 writes. */
  values?: string[];
  /** enum: other spellings (UI labels) accepted on import, mapped to a symbol. */
  aliases?: Record<string, string>;
  default?: string;
  min?: number;
  max?: number;
}

export interface ReferenceSpec {
  /** Fields of this entity holding the other entity's key, in the other entity's key order. */
  fields: string[];
  entity: string;
}

export interface EntitySchema {
  /** Stable id used in the store, e.g. `WebApplication`. */
  id: string;
  /** The DMF entity label (manifest EntityName), e.g. `Web applications`. */
  label: string;
  /** The AOT data entity name (manifest TargetEntity). */
  targetEntity: string;
  /** XML record element (TargetEntity upper-cased). */
  recordElement: string;
  /** Other names the entity is known by. */
  aliases: string[];
  description: string;
  /** Default import order when mtdvat writes a package. */
  order: { unit: number; level: number; sequence: number };
  key: string[];
  fields: FieldSpec[];
  references: ReferenceSpec[];
}
