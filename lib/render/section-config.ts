/**
 * Proxmox section-config rendering (`/etc/pve/storage.cfg`, `/etc/pve/jobs.cfg`) in the order
 * Proxmox writes a section: the header, `comment`, the type's required keys sorted, then
 * the optional keys sorted. No `#` lines: Proxmox drops them whenever it rewrites the file.
 */
export function orderSectionProperties(
  props: Readonly<Record<string, string | undefined>>,
  requiredKeys: readonly string[],
): [string, string][] {
  const present = Object.entries(props).filter((e): e is [string, string] => e[1] !== undefined);
  const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const comment = present.filter(([k]) => k === 'comment');
  const required = present.filter(([k]) => k !== 'comment' && requiredKeys.includes(k)).sort(byKey);
  const optional = present.filter(([k]) => k !== 'comment' && !requiredKeys.includes(k)).sort(byKey);
  return [...comment, ...required, ...optional];
}

/** One section: `type: id` then a tab-indented `key value` line per property. */
export function renderSection(type: string, id: string, properties: readonly (readonly [string, string])[]): string {
  return [`${type}: ${id}`, ...properties.map(([k, v]) => `\t${k} ${v}`)].join('\n') + '\n';
}

/** Sections separated by blank lines, as Proxmox writes them. */
export function renderSectionFile(sections: readonly string[]): string {
  return sections.join('\n');
}
