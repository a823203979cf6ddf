import { parse, stringify } from 'yaml';
import { SITES } from '../../stacks';
import { plainDataYaml } from '../../lib/private/plain-yaml';
import { toYaml } from '../../lib/yaml';
import { freshApp, reviewOf } from '../helpers/synth';

/** What the yaml package writes for the options toYaml passes it. */
function packageYaml(value: unknown, indent: number, blockQuote: 'literal' | true): string {
  return stringify(value, { lineWidth: 0, indent, blockQuote, aliasDuplicateObjects: false });
}

/** Every YAML file the five sites render, parsed back into the plain data it was written from. */
function siteDocuments(): { file: string; data: unknown }[] {
  return Object.entries(SITES).flatMap(([id, build]) => {
    const app = freshApp();
    const site = build(app);
    app.synth();
    return [...reviewOf(site).values()].filter((f) => /\.ya?ml$/.test(f.path)).map((f) => ({ file: `${id}/${f.path}`, data: parse(f.content) as unknown }));
  });
}

const SCRIPT = '#!/bin/sh\nset -eu\n\necho "a: b" # c\nexit 0\n';

/** Values at the edges of the package's rules: each must come out as the package writes it, or not at all. */
const EDGE_STRINGS = [
  '', ' ', 'plain', 'yes', 'on', 'y', '1_000', '12:30', '0777', '0o17', '0x1F', '1e3', '.5', '-1', '+1', '1.', 'Null', 'NULL', '~', 'true', 'False', '.inf', '-.Inf', '.nan',
  '-', '?', '- x', '? x', '-x', 'a: b', 'a:b', 'key:', 'x #y', 'x#y', '#x', '*', '&a', '!tag', '|', '>', '%x', '@x', '`x', ',x', '[x]', '{x}', 'x ', ' x', 'a\tb', '\tx',
  "it's", 'say "hi"', `both ' "`, '"', "'", '\\', 'back\\slash', '---', '---x', '...', 'a---', 'ünïcödé', 'emoji 🎉', 'x\u2028y', 'bell\u0007', 'cr\r', 'nel\u0085',
  SCRIPT, 'a\nb', 'a\nb\n', 'a\n\nb\n', ' lead\nx\n', '\nx\n', 'x\n\n', 'x\n  \n', 'x\n ', '\n', '\n\n', 'a: b\nc', '#!x\n', '---\nx\n', 'x\n---\n', '%x\ny\n', 'x \ny\n', 'x\n y\n',
];

describe('plainDataYaml', () => {
  it('writes every YAML file of every site exactly as the yaml package does, without falling back to it', () => {
    const docs = siteDocuments();
    // rule files, rule tests, Alertmanager routes, Kubernetes manifests and borgmatic configs
    expect(docs.length).toBeGreaterThan(40);
    for (const { file, data } of docs) {
      for (const indent of [2, 4]) {
        expect({ file, indent, text: plainDataYaml(data, indent) }).toEqual({ file, indent, text: packageYaml(data, indent, 'literal') });
      }
    }
  });

  it('matches the package, or leaves the value to it, at the edges of plain scalars, keys and block scalars', () => {
    let written = 0;
    for (const s of EDGE_STRINGS) {
      const values = [{ v: s }, { [s || 'k']: 1 }, [s], { l: [s, { k: s }] }, { m: { n: [[s], []], e: {} } }];
      for (const value of values) {
        for (const indent of [2, 4]) {
          for (const blockQuote of ['literal', true] as const) {
            const text = plainDataYaml(value, indent);
            if (text === undefined) continue;
            written++;
            expect({ value, indent, blockQuote, text }).toEqual({ value, indent, blockQuote, text: packageYaml(value, indent, blockQuote) });
            // and the text reads back as the value
            expect(parse(text)).toEqual(value);
          }
        }
      }
    }
    // most of the edge values are plain data this writer covers
    expect(written).toBeGreaterThan(EDGE_STRINGS.length * 5 * 2);
  });

  it('writes numbers, booleans, null and empty collections as the package does, and leaves the rest to it', () => {
    const value = { i: 3, f: 1.5, big: 1e21, neg: -2, t: true, n: null, gone: undefined, a: [], o: {}, nested: [[1, [2]], [{}], { x: [] }] };
    expect(plainDataYaml(value, 2)).toBe(packageYaml(value, 2, 'literal'));
    for (const odd of [{ x: -0 }, { x: NaN }, { x: Infinity }, { x: new Date(0) }, { x: new Map() }, { x: [undefined] }, { x: 1n }, { x: () => 1 }]) {
      expect(plainDataYaml(odd, 2)).toBeUndefined();
    }
    // a scalar document is the package's to write
    expect(plainDataYaml('x', 2)).toBeUndefined();
  });

  it('writes an object used twice in full, never as an anchor and alias, on either path', () => {
    const labels = { app: 'pushgateway' };
    const manifest = { metadata: { labels }, spec: { template: { metadata: { labels } } } };
    const fast = toYaml(manifest, { lineWidth: 0 });
    expect(fast).not.toMatch(/[&*]a1/);
    expect(parse(fast)).toEqual(manifest);
    // an option plainDataYaml does not cover takes the package's path, with the same rule
    const viaPackage = toYaml(manifest, { lineWidth: 0, sortMapEntries: true });
    expect(viaPackage).not.toMatch(/[&*]a1/);
    expect(parse(viaPackage)).toEqual(manifest);
  });

  it('refuses a value that holds itself', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    expect(() => plainDataYaml(loop, 2)).toThrow('a YAML document cannot hold itself');
  });
});
