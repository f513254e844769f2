/**
 * Builds the predefined UK MTD VAT setup packages from `packages-data/source/*.json`:
 *   packages-data/mtd-vat.zip        real HMRC URLs
 *   packages-data/mtd-vat-local.zip  "Sandbox HMRC" and its web services point at the local emulator
 * Run with `npm run build-package`. Output is byte-for-byte reproducible (fixed timestamps).
 *
 * The source JSON never holds credentials. The shipped zips carry none either, as D365's own package
 * (real ones are entered after import, or come from Microsoft's intermediary), with one exception:
 * - mtd-vat-local.zip gives "Sandbox HMRC" the local emulator's public client (lib/emulator-defaults.ts),
 *   which works against `mtdvat sandbox` on 127.0.0.1 and nowhere else;
 * - an organisation may inject its own production client at build time (MTDVAT_PROD_CLIENT_ID /
 *   MTDVAT_PROD_CLIENT_SECRET), but then the build refuses to write into packages-data/: such a
 *   package goes to a folder of its own (MTDVAT_PACKAGE_OUT or the first argument), never into the
 *   shipped zips.
 *
 * The executable classes' CLASSNAME values (EMMTDVAT…Controller) are illustrative: Microsoft does not
 * publish the X++ class names, and mtdvat runs these actions itself rather than calling a class.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadSchemas } from '../src/schema/registry.js';
import { normalizeValue } from '../src/schema/normalize.js';
import { DEFAULT_SANDBOX_CLIENT, DEFAULT_SANDBOX_PORT } from '../src/lib/emulator-defaults.js';
import { PACKAGE_FORMATS, writePackage, type PackageFormat, type PackageInput } from '../src/package/writer.js';

export const DEFINITION_GROUP = 'UK MTD VAT setup';
export const PRODUCTION_APP = 'Dynamics 365 Finance';
export const SANDBOX_APP = 'Sandbox HMRC';
export const LOCAL_SANDBOX_URL = `http://127.0.0.1:${DEFAULT_SANDBOX_PORT}`;
/** Wall-clock time of every zip entry: constructed from local fields so DOS timestamps match in every zone. */
const FIXED_MTIME = new Date(2024, 0, 1, 0, 0, 0);

export interface SourceFile {
  entity: string;
  format: PackageFormat;
  records: Record<string, string>[];
}

export type Variant = 'hmrc' | 'local';

/** The folder holding package.json, found from this file whether it runs from the source or from dist/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'packages-data', 'source'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the mtdvat project root (package.json next to packages-data/source)');
}

/** Reads and checks the source files: known entity and fields, values valid for the schema, unique keys. */
export function loadSource(root = projectRoot()): SourceFile[] {
  const registry = loadSchemas();
  const dir = join(root, 'packages-data', 'source');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const seen = new Set<string>();
  return files.map((name) => {
    const source = JSON.parse(readFileSync(join(dir, name), 'utf8')) as SourceFile;
    const schema = registry.byId(source.entity);
    if (seen.has(schema.id)) throw new Error(`${name}: entity ${schema.id} has a second source file`);
    seen.add(schema.id);
    if (!PACKAGE_FORMATS.includes(source.format)) throw new Error(`${name}: unknown format ${source.format}`);
    const keys = new Set<string>();
    source.records.forEach((record, index) => {
      for (const field of schema.fields) {
        const value = record[field.name] ?? '';
        if (field.secret && value !== '') throw new Error(`${name} record ${index + 1}: ${field.name} is secret; the build injects it`);
        const result = normalizeValue(field, value);
        if ('error' in result) throw new Error(`${name} record ${index + 1}: ${field.name} ${result.error}`);
      }
      for (const field of Object.keys(record)) {
        if (!schema.fields.some((f) => f.name === field)) throw new Error(`${name} record ${index + 1}: unknown field ${field}`);
      }
      const key = JSON.stringify(schema.key.map((f) => record[f] ?? ''));
      if (keys.has(key)) throw new Error(`${name} record ${index + 1}: duplicate key ${key}`);
      keys.add(key);
    });
    return source;
  });
}

export interface ProductionCredentials {
  clientId: string;
  clientSecret: string;
  /** True when they came from the environment (an organisation's own build). */
  injected: boolean;
}

export function productionCredentials(env: NodeJS.ProcessEnv = process.env): ProductionCredentials {
  const clientId = env.MTDVAT_PROD_CLIENT_ID ?? '';
  const clientSecret = env.MTDVAT_PROD_CLIENT_SECRET ?? '';
  if (clientId === '' && clientSecret === '') return { clientId: '', clientSecret: '', injected: false };
  if (clientId === '' || clientSecret === '') {
    throw new Error('set both MTDVAT_PROD_CLIENT_ID and MTDVAT_PROD_CLIENT_SECRET, or neither (no credentials)');
  }
  return { clientId, clientSecret, injected: true };
}

/** The package contents for one variant, credentials injected. */
export function predefinedPackage(variant: Variant, options: { root?: string; env?: NodeJS.ProcessEnv } = {}): PackageInput {
  const registry = loadSchemas();
  const production = productionCredentials(options.env);
  const sources = loadSource(options.root);
  const entities = sources.map((source) => {
    const schema = registry.byId(source.entity);
    const records = source.records.map((original) => {
      const record = { ...original };
      if (schema.id === 'WebApplication') {
        if (record.WEBAPPLICATIONNAME === PRODUCTION_APP && production.injected) {
          record.CLIENTID = production.clientId;
          record.CLIENTSECRET = production.clientSecret;
        } else if (record.WEBAPPLICATIONNAME === SANDBOX_APP && variant === 'local') {
          // The emulator's public demo client: useless anywhere but the emulator on 127.0.0.1.
          record.CLIENTID = DEFAULT_SANDBOX_CLIENT.clientId;
          record.CLIENTSECRET = DEFAULT_SANDBOX_CLIENT.clientSecret;
          record.BASEURL = LOCAL_SANDBOX_URL; // the redirect stays out-of-band
        }
      }
      if (schema.id === 'WebService' && variant === 'local' && record.WEBAPPLICATIONNAME === SANDBOX_APP) {
        record.INTERNETADDRESS = LOCAL_SANDBOX_URL;
      }
      return record;
    });
    return { schema, records, format: source.format };
  });
  return {
    definitionGroupName: DEFINITION_GROUP,
    description:
      variant === 'local'
        ? 'UK MTD VAT Electronic messages setup; Sandbox HMRC points at the local mtdvat emulator'
        : 'UK MTD VAT Electronic messages setup',
    entities,
  };
}

export const OUTPUTS: Record<Variant, string> = { hmrc: 'mtd-vat.zip', local: 'mtd-vat-local.zip' };

/** Writes both packages into `outDir` (default packages-data/) and returns their paths. */
export async function buildPackages(
  options: { root?: string; outDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ files: Record<Variant, string>; injectedCredentials: boolean }> {
  const root = options.root ?? projectRoot();
  const shipped = join(root, 'packages-data');
  const outDir = options.outDir ?? shipped;
  const injected = productionCredentials(options.env).injected;
  if (injected && resolve(outDir) === resolve(shipped)) {
    throw new Error(
      'MTDVAT_PROD_CLIENT_ID / MTDVAT_PROD_CLIENT_SECRET are set: an organisation\'s credentials never go into the shipped zips in packages-data/; give an output folder (MTDVAT_PACKAGE_OUT=DIR or `node dist/packages-data/build.js DIR`)',
    );
  }
  const files = {} as Record<Variant, string>;
  for (const variant of ['hmrc', 'local'] as const) {
    files[variant] = join(outDir, OUTPUTS[variant]);
    await writePackage(files[variant], predefinedPackage(variant, { root, env: options.env }), { mtime: FIXED_MTIME });
  }
  return { files, injectedCredentials: injected };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = process.argv[2] ?? process.env.MTDVAT_PACKAGE_OUT;
  const { files, injectedCredentials } = await buildPackages({ outDir });
  for (const file of Object.values(files)) process.stdout.write(`wrote ${file}\n`);
  const { writeReturnExamples } = await import('./examples.js');
  process.stdout.write(`wrote ${await writeReturnExamples(join(projectRoot(), 'packages-data', 'examples'))}\n`);
  process.stderr.write(
    injectedCredentials
      ? `"${PRODUCTION_APP}" carries the client credentials from MTDVAT_PROD_CLIENT_ID / MTDVAT_PROD_CLIENT_SECRET: keep these zips private.\n`
      : `No production credentials in the packages; "${SANDBOX_APP}" in ${OUTPUTS.local} carries the local emulator's public demo client.\n`,
  );
}
