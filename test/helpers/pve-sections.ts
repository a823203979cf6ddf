/** Sections of a Proxmox cfg file as `type: id` -> key -> value. */
export function parseSections(cfg: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let cur: Record<string, string> | undefined;
  for (const line of cfg.split('\n')) {
    const head = /^(\w+): (\S+)$/.exec(line);
    if (head) out[`${head[1]}: ${head[2]}`] = cur = {};
    const prop = /^\t(\S+) (.*)$/.exec(line);
    if (prop && cur) cur[prop[1]] = prop[2];
  }
  return out;
}
