import type * as YamlModule from 'yaml';
import { plainDataYaml } from './private/plain-yaml';

/**
 * The `yaml` package, loaded on first use: a site without alert rules, Kubernetes objects or
 * borgmatic configs never needs it, and loading it is a tenth of the library's start-up.
 */
let loaded: typeof YamlModule | undefined;
function yaml(): typeof YamlModule {
  loaded ??= require('yaml') as typeof YamlModule;
  return loaded;
}

type StringifyOptions = YamlModule.DocumentOptions & YamlModule.SchemaOptions & YamlModule.CreateNodeOptions & YamlModule.ToStringOptions;

/** The options plainDataYaml writes as the package would (lines never folded, literal blocks). */
function plainDataOptions(options: StringifyOptions): boolean {
  return (
    options.lineWidth === 0 &&
    Object.keys(options).every((k) => k === 'lineWidth' || k === 'indent' || k === 'blockQuote') &&
    (options.blockQuote === undefined || options.blockQuote === true || options.blockQuote === 'literal')
  );
}

/**
 * YAML text of `value`, byte for byte what the yaml package's `stringify` writes: plain data
 * is written by plainDataYaml without loading the package, anything else by the package.
 *
 * An object used twice (one labels object in a Deployment's metadata and its pod template) is
 * written twice, never as an anchor and alias: `&a1`/`*a1` read badly in a review.
 */
export function toYaml(value: unknown, options: StringifyOptions): string {
  const text = plainDataOptions(options) ? plainDataYaml(value, options.indent ?? 2) : undefined;
  return text ?? yaml().stringify(value, { ...options, aliasDuplicateObjects: false });
}

/** The value of a YAML document (see the yaml package's `parse`). */
export function parseYaml(text: string): unknown {
  return yaml().parse(text);
}
