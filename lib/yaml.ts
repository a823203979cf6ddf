import type * as YamlModule from 'yaml';

/**
 * The `yaml` package, loaded on first use: a site without alert rules, Kubernetes objects or
 * borgmatic configs never needs it, and loading it is a tenth of the library's start-up.
 */
let loaded: typeof YamlModule | undefined;
function yaml(): typeof YamlModule {
  loaded ??= require('yaml') as typeof YamlModule;
  return loaded;
}

/** YAML text of `value` (see the yaml package's `stringify`). */
export function toYaml(value: unknown, options: YamlModule.DocumentOptions & YamlModule.SchemaOptions & YamlModule.CreateNodeOptions & YamlModule.ToStringOptions): string {
  return yaml().stringify(value, options);
}

/** The value of a YAML document (see the yaml package's `parse`). */
export function parseYaml(text: string): unknown {
  return yaml().parse(text);
}
