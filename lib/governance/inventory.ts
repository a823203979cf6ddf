import type { SiteModel } from '../model/site-model';
import { BackupConfigError } from '../errors';
import type { AssetRecord, CopyRecord } from '../model/types';

/** One entry in the seeds' `backup.inventory.yaml` shape. */
export interface InventoryEntry {
  readonly name: string;
  readonly enabled: boolean;
  readonly kind: 'file_glob';
  readonly host: string;
  readonly base_path: string;
  readonly glob: string;
  readonly stale_after_hours: number;
  readonly classification: string;
  readonly notes?: string;
  /** Not in the seed's shape: the job that makes the artifact, for the status tool's reports. */
  readonly job: string;
}

function assetSlug(a: AssetRecord): string {
  const [kind, ...rest] = a.id.split(':');
  if (kind === 'guest') {
    // `VM 100 home-assistant` -> `vm-100-home-assistant`; containers are `lxc` as in seed 001
    const m = /^(VM|CT) (\d+) (.*)$/.exec(a.name);
    if (m) return `${m[1] === 'VM' ? 'vm' : 'lxc'}-${m[2]}-${m[3]}`;
  }
  return slug(rest.join('-')) || kind;
}

/** What an inventory entry name may be: the seeds' names are slugs (`home-vm-100-ha-primary`). */
export const INVENTORY_NAME = /^[a-z0-9][a-z0-9._-]*$/;
export const INVENTORY_NAME_MESSAGE = 'expected an inventory name of lower-case letters, digits, dots, dashes and underscores';

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
}

/**
 * Hours after which a copy's newest artifact is overdue. A copy of a copy (an off-site sync of
 * a monthly dump) is only as new as its source was when the sync last ran, so its threshold is
 * the source's plus one period of the sync; the sync job's own threshold would call a healthy
 * monthly copy stale three weeks out of four.
 */
export function artifactStaleHours(model: SiteModel, copy: CopyRecord, seen: ReadonlySet<string> = new Set()): number {
  const job = model.job(copy.job);
  const own = job?.staleAfterHours ?? 24;
  const source = copy.derivedFrom ? model.copies.find((c) => c.id === copy.derivedFrom) : undefined;
  if (!source || seen.has(source.id)) return own;
  const period = job?.schedule ? (job.schedule as { periodSeconds: number }).periodSeconds / 3600 : own;
  return Math.max(own, artifactStaleHours(model, source, new Set([...seen, copy.id])) + period);
}

/**
 * The inventory of every artifact the site's jobs leave where a status check can find it:
 * vzdump archives by guest and type, app dumps, file backups, external backups. Names are
 * unique: a status tool keys its state by them.
 */
export function buildInventory(model: SiteModel): InventoryEntry[] {
  const entries: (InventoryEntry & { readonly constructPath: string })[] = [];
  for (const a of model.assets) {
    const copies = model.copiesOf(a.id).filter((c) => c.artifact);
    const jobsWithTwo = new Set(copies.map((c) => c.job).filter((j, i, all) => all.indexOf(j) !== i));
    for (const c of copies) {
      const job = model.job(c.job);
      const art = c.artifact!;
      const base = a.inventoryName ?? `${model.site}-${assetSlug(a)}`;
      // one job leaving two artifacts of an asset (a dump and its per-database files): the folder tells them apart
      const name = `${base}${copies.length > 1 ? `-${c.job}` : ''}${jobsWithTwo.has(c.job) ? `-${slug(art.basePath.split('/').filter(Boolean).pop() ?? art.basePath)}` : ''}`;
      const notes = [a.notes, job?.description].filter(Boolean).join('; ');
      entries.push({
        name,
        enabled: job?.enabled ?? true,
        kind: 'file_glob',
        host: art.host,
        base_path: art.basePath,
        glob: art.glob,
        stale_after_hours: Math.ceil(artifactStaleHours(model, c)),
        classification: a.classification,
        ...(notes ? { notes } : {}),
        job: c.job,
        constructPath: a.constructPath,
      });
    }
  }
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].name === entries[i - 1].name) {
      throw new BackupConfigError(entries[i].constructPath, [
        {
          field: 'inventoryName',
          message: `two inventory entries are named ${entries[i].name} (${entries[i - 1].base_path}/${entries[i - 1].glob} and ${entries[i].base_path}/${entries[i].glob}, from ${entries[i - 1].constructPath} and ${entries[i].constructPath})`,
          hint: 'give each asset its own inventoryName',
        },
      ]);
    }
  }
  return entries.map(({ constructPath: _path, ...e }) => e);
}

/** A YAML scalar: plain when nothing in it can be misread, else a JSON string (valid YAML). */
function scalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  const plain = /^[A-Za-z_/][A-Za-z0-9_./-]*$/.test(v) && !/^(true|false|yes|no|on|off|null|~)$/i.test(v);
  return plain ? v : JSON.stringify(v);
}

/**
 * `review/inventory.yaml`. Written by hand rather than with a YAML library: a flat list of
 * scalars, and the library's generic emitter was the slowest step of synthesizing a
 * thousand-guest site.
 */
export function renderInventoryYaml(model: SiteModel, entries: readonly InventoryEntry[]): string {
  const lines = [`# generated by backup-constructs for site ${model.site}, do not edit`, '# backup.inventory.yaml shape (seed 001); job names the job that makes each artifact'];
  if (!entries.length) lines.push('[]');
  for (const e of entries) {
    const fields = Object.entries(e).filter(([, v]) => v !== undefined) as [string, string | number | boolean][];
    fields.forEach(([k, v], i) => lines.push(`${i === 0 ? '- ' : '  '}${k}: ${scalar(v)}`));
  }
  return lines.join('\n') + '\n';
}

/**
 * The inventory for one host's status tool, as tab-separated lines (the tool is plain
 * bash and needs no YAML parser): name, enabled, base_path, glob, stale_after_hours,
 * classification, job.
 */
export function renderInventoryTsv(entries: readonly InventoryEntry[], host: string): string {
  const rows = entries.filter((e) => e.host === host).map((e) => [e.name, e.enabled ? '1' : '0', e.base_path, e.glob, String(e.stale_after_hours), e.classification, e.job].join('\t'));
  return ['# name\tenabled\tbase_path\tglob\tstale_after_hours\tclassification\tjob', ...rows].join('\n') + '\n';
}
