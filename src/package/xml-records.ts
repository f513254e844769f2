import { SaxesParser } from 'saxes';
import type { Readable } from 'node:stream';
import { PackageError } from '../errors.js';
import { ChunkDecoder } from './text.js';
import { emptyValues, type RawRecord } from './records.js';

const NIL = /^(?:[^:]+:)?nil$/;

/**
 * Streams records out of a D365 XML data file: `<Document>` → one element per record → fields as child
 * elements (XML-Element) or attributes (XML-Attribute); both are accepted. SAX, so memory stays flat
 * however large the file. Any DOCTYPE is refused (no DTDs, so no entity expansion or external entities).
 */
export async function* readXmlBatches(stream: Readable, file: string): AsyncGenerator<RawRecord[]> {
  const parser = new SaxesParser({ position: true });
  const decoder = new ChunkDecoder(file);
  let ready: RawRecord[] = [];
  let depth = 0;
  let count = 0;
  let current: Record<string, string> | undefined;
  let field: string | undefined;
  let fieldText = '';
  let fieldNil = false;
  let failure: Error | undefined;

  const fail = (message: string): never => {
    throw new PackageError(`"${file}" line ${parser.line}: ${message}`, { file, record: current ? count + 1 : undefined });
  };

  parser.on('doctype', () => fail('a DOCTYPE declaration is not allowed in package XML'));
  parser.on('error', (error) => {
    failure ??= new PackageError(`"${file}" is not well-formed XML: ${error.message}`, { file });
  });
  parser.on('opentag', (tag) => {
    const attributes = tag.attributes as Record<string, string>;
    depth++;
    if (depth === 2) {
      current = emptyValues();
      for (const [name, value] of Object.entries(attributes)) {
        if (name === 'xmlns' || name.startsWith('xmlns:') || NIL.test(name)) continue;
        current[name] = value;
      }
    } else if (depth === 3) {
      // Once per field of every record: no arrays for the (usually absent) attributes.
      const colon = tag.name.indexOf(':');
      field = colon >= 0 ? tag.name.slice(colon + 1) : tag.name;
      fieldText = '';
      fieldNil = false;
      for (const name in attributes) if (attributes[name] === 'true' && NIL.test(name)) fieldNil = true;
    } else if (depth > 3) {
      fail(`unexpected nested element <${tag.name}> inside field <${field}>`);
    }
  });
  parser.on('text', (text) => {
    if (depth === 3) fieldText += text;
  });
  parser.on('cdata', (text) => {
    if (depth === 3) fieldText += text;
  });
  parser.on('closetag', () => {
    if (depth === 3 && current && field !== undefined) {
      current[field] = fieldNil ? '' : fieldText;
      field = undefined;
    } else if (depth === 2 && current) {
      count++;
      ready.push({ no: count, values: current });
      current = undefined;
    }
    depth--;
  });

  const feed = (text: string) => {
    if (text) parser.write(text);
    if (failure) throw failure;
  };

  // The records of each chunk go out together: one await per chunk rather than per record.
  const take = () => {
    const batch = ready;
    ready = [];
    return batch;
  };
  for await (const chunk of stream) {
    feed(decoder.write(chunk as Buffer));
    if (ready.length) yield take();
  }
  feed(decoder.end());
  parser.close();
  if (failure) throw failure;
  if (ready.length) yield take();
}
