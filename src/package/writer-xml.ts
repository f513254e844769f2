/**
 * The small XML vocabulary the package writer needs: escaping, the XML 1.0 character check, and a
 * DataContractSerializer-style element tree (children in ordinal order, `i:nil` for null).
 */
import { PackageError, type ErrorLocation } from '../errors.js';

/** Characters XML 1.0 allows (https://www.w3.org/TR/xml/#charsets): tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. */
// eslint-disable-next-line no-control-regex
const ILLEGAL_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Throws when a value cannot be written into XML 1.0. The message never echoes the value (it may be a secret). */
export function assertXmlChars(value: string, location: ErrorLocation): void {
  const match = ILLEGAL_XML_CHAR.exec(value);
  if (match) {
    const code = match[0].codePointAt(0) ?? 0;
    throw new PackageError(
      `the value contains U+${code.toString(16).toUpperCase().padStart(4, '0')}, which XML 1.0 does not allow`,
      location,
    );
  }
}

/** Element text as .NET's XmlWriter escapes it, plus CR/LF as character references so line ends survive. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r\n]/g, (c) => TEXT_ESCAPES[c]);
}

/** Attribute values also need quotes escaped, and tabs, because attribute normalization would turn them into spaces. */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\r\n\t]/g, (c) => ATTRIBUTE_ESCAPES[c]);
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;', '\n': '&#xA;' };
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', '\t': '&#x9;' };

/** Ordinal comparison, as DataContractSerializer orders data members (String.CompareOrdinal). */
export function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A repeated element inside a collection member (e.g. `EntityMapList` → `EntityMap` items). */
export class XmlList {
  constructor(
    readonly itemName: string,
    readonly items: XmlObject[],
  ) {}
}

export type XmlValue = string | number | boolean | null | XmlObject | XmlList;
export interface XmlObject {
  [member: string]: XmlValue;
}

/** Serializes one data contract member; object members are written in ordinal order of their names. */
export function serializeMember(name: string, value: XmlValue, attributes = ''): string {
  if (value === null) return `<${name}${attributes} i:nil="true" />`;
  if (value instanceof XmlList) {
    const inner = value.items.map((item) => serializeMember(value.itemName, item)).join('');
    return inner === '' ? `<${name}${attributes} />` : `<${name}${attributes}>${inner}</${name}>`;
  }
  if (typeof value === 'object') {
    const inner = Object.keys(value)
      .sort(ordinal)
      .map((member) => serializeMember(member, value[member]))
      .join('');
    return inner === '' ? `<${name}${attributes} />` : `<${name}${attributes}>${inner}</${name}>`;
  }
  const text = String(value);
  return text === '' ? `<${name}${attributes} />` : `<${name}${attributes}>${escapeText(text)}</${name}>`;
}

/** UTF-16LE with a byte-order mark: how D365 stores Manifest.xml and PackageHeader.xml. */
export function utf16leWithBom(text: string): Buffer {
  return Buffer.from('\uFEFF' + text, 'utf16le');
}

/** UTF-8 with a byte-order mark: how D365 stores XML data files. */
export function utf8WithBom(text: string): Buffer {
  return Buffer.concat([UTF8_BOM, Buffer.from(text, 'utf8')]);
}

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
