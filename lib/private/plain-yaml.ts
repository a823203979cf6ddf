/**
 * YAML text of plain data (objects, arrays, strings, finite numbers, booleans, null), written
 * exactly as the `yaml` package's `stringify` writes it with `lineWidth: 0`, literal block
 * scalars and `aliasDuplicateObjects: false` (an object used twice is written twice), or
 * undefined for anything outside that subset (the caller then uses the package).
 *
 * Why: the manifests, rule files and configs a site renders are all plain data, and the
 * package's general stringifier (document model, comments, anchors, folding) costs about a
 * tenth of a seed site's synth, most of it loading and warming up code a site uses once.
 * Every rule below mirrors one in the package's `stringifyString`, `stringifyPair` and
 * `stringifyCollection` (yaml 2.x); test/lib/plain-yaml.test.ts holds the two outputs equal on
 * every file the sites render and on the edge cases, so a rule missed here shows as a diff
 * there rather than as a different file on a host.
 */

/** Thrown inside, caught at the top: the value needs the package. */
const UNSUPPORTED = Symbol('unsupported');

// Control characters and lone surrogates: the package writes them double-quoted with YAML escapes.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\uD800-\uDFFF]/;
// What cannot start, end or appear in a plain scalar (the package's own test).
const INDICATOR = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
// Plain scalars the YAML 1.2 core schema reads as something other than a string.
const CORE_NON_STRING = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

type Collection = readonly unknown[] | Record<string, unknown>;

/**
 * @param indentWidth spaces per level (the package's `indent`)
 * @returns the text, or undefined when the value is not plain data this writer covers
 */
export function plainDataYaml(value: unknown, indentWidth: number): string | undefined {
  if (!Number.isInteger(indentWidth) || indentWidth < 2 || indentWidth > 9) return undefined;
  const writer = new Writer(' '.repeat(indentWidth));
  try {
    const collection = writer.collectionOf(value);
    if (!collection) return undefined;
    return `${writer.collection(collection, '')}\n`;
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

class Writer {
  /** The collections being written, outermost first: one inside itself cannot be written. */
  private readonly open = new Set<object>();

  constructor(private readonly step: string) {}

  /** The value as a map or sequence, undefined for a scalar; throws for what is neither. */
  collectionOf(value: unknown): Collection | undefined {
    if (value === null || typeof value !== 'object') return undefined;
    if (this.open.has(value)) throw new Error('a YAML document cannot hold itself: the value refers to itself');
    if (Array.isArray(value)) return value;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw UNSUPPORTED; // Date, Map, toJSON...
    return value as Record<string, unknown>;
  }

  /** A block map or sequence whose lines after the first start with `indent`. */
  collection(c: Collection, indent: string): string {
    this.open.add(c);
    const text = this.items(c, indent);
    this.open.delete(c);
    return text;
  }

  private items(c: Collection, indent: string): string {
    const lines: string[] = [];
    if (Array.isArray(c)) {
      if (c.length === 0) return '[]';
      const itemIndent = `${indent}  `;
      for (const item of c) {
        if (item === undefined) throw UNSUPPORTED;
        lines.push(`- ${this.node(item, itemIndent)}`);
      }
    } else {
      for (const [key, value] of Object.entries(c)) {
        if (value === undefined) continue; // the package leaves such a pair out
        lines.push(this.pair(key, value, indent));
      }
      if (lines.length === 0) return '{}';
    }
    return lines.join(`\n${indent}`);
  }

  private pair(key: string, value: unknown, indent: string): string {
    const k = this.scalarString(key, true, '');
    if (k.length > 1024) throw UNSUPPORTED; // the package writes an explicit `? key`
    const valueIndent = indent + this.step;
    const collection = this.collectionOf(value);
    if (!collection) return `${k}: ${this.scalar(value, valueIndent)}`;
    const text = this.collection(collection, valueIndent);
    const empty = Array.isArray(collection) ? collection.length === 0 : text === '{}';
    return empty ? `${k}: ${text}` : `${k}:\n${valueIndent}${text}`;
  }

  /** A sequence item or map value, its continuation lines at `indent`. */
  private node(value: unknown, indent: string): string {
    const collection = this.collectionOf(value);
    return collection ? this.collection(collection, indent) : this.scalar(value, indent);
  }

  private scalar(value: unknown, indent: string): string {
    if (value === null) return 'null';
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || Object.is(value, -0)) throw UNSUPPORTED;
      return JSON.stringify(value);
    }
    if (typeof value === 'string') return this.scalarString(value, false, indent);
    throw UNSUPPORTED;
  }

  /** The package's plainString, for a key (`implicitKey`) or a value. */
  private scalarString(value: string, implicitKey: boolean, indent: string): string {
    if (CONTROL.test(value)) throw UNSUPPORTED;
    const multiLine = value.includes('\n');
    if (implicitKey && multiLine) throw UNSUPPORTED;
    if (INDICATOR.test(value)) return multiLine ? this.block(value, indent) : quoted(value);
    if (multiLine) return this.block(value, indent);
    if (DOCUMENT_MARKER.test(value)) throw UNSUPPORTED;
    if (CORE_NON_STRING.some((re) => re.test(value))) return quoted(value);
    return value;
  }

  /** The package's blockString with literal style, for a value with a line break. */
  private block(text: string, indent: string): string {
    // the package quotes these (a last line of blanks, or nothing but blanks)
    if (/\n[\t ]+$/.test(text) || !indent || DOCUMENT_MARKER.test(text)) throw UNSUPPORTED;
    let endStart = text.length;
    while (endStart > 0 && '\n\t '.includes(text[endStart - 1])) endStart--;
    let end = text.substring(endStart);
    const endNewline = end.indexOf('\n');
    // keep chomping (`|+`) changes how the package ends the document: leave it to the package
    if (endNewline !== -1 && (text === end || endNewline !== end.length - 1)) throw UNSUPPORTED;
    const chomp = endNewline === -1 ? '-' : '';
    let body = text;
    if (end) {
      body = body.slice(0, -end.length);
      if (end.endsWith('\n')) end = end.slice(0, -1);
      end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
    }
    // a first line that starts with a blank needs an indentation indicator: the package's
    // choice of it is left to the package
    if (body.startsWith(' ') || body.startsWith('\n')) throw UNSUPPORTED;
    return `|${chomp}\n${indent}${body.replace(/\n+/g, `$&${indent}`)}${end}`;
  }
}

/** The package's quotedString for a one-line value, without its folding (lineWidth 0). */
function quoted(value: string): string {
  if (value.includes('"') && !value.includes("'")) return `'${value}'`;
  // JSON's escapes are the package's for a value without control characters
  return JSON.stringify(value);
}
