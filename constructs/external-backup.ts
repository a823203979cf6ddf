import { Construct } from 'constructs';
import { z } from 'zod';
import { Duration } from '../lib/duration';
import { checkProps } from '../lib/errors';
import { INVENTORY_NAME, INVENTORY_NAME_MESSAGE } from '../lib/governance/inventory';
import type { RestoreStep } from '../lib/model/types';
import { Classification, CLASSIFICATIONS, Layer, LAYERS, Location, LOCATIONS, Medium, MEDIA } from '../lib/model/vocabulary';
import { hostAddress } from '../lib/net';
import { siteModelOf } from './private/site-anchor';
import { ABSOLUTE_PATH } from '../lib/path-schema';
import { ASSET_NOTES, oneLineText } from '../lib/text-schema';
import { positiveDuration } from '../lib/private/duration-schema';

/** Props of {@link ExternalBackup}. */
export interface ExternalBackupProps {
  /** Inventory name (`app-home-assistant`); also the job id in reports. */
  readonly name: string;
  /** What is protected (`Home Assistant`). */
  readonly protects: string;
  /** Which tool makes the backup (`HA built-in backup`). */
  readonly tool: string;
  /** Host where the artifacts can be checked (`proxmox-home`, or the NAS). */
  readonly host: string;
  /** Folder the artifacts land in. */
  readonly basePath: string;
  /** @default '*' */
  readonly glob?: string;
  /** How old the newest artifact may be before it counts as stale. */
  readonly staleAfter: Duration;
  /** @default 'app' */
  readonly layer?: Layer;
  /** @default 'nas' */
  readonly medium?: Medium;
  /** @default 'on-site' */
  readonly location?: Location;
  /** @default 'important' */
  readonly classification?: Classification;
  /** @default true */
  readonly enabled?: boolean;
  /**
   * One line (no line breaks or other control characters), shown in the inventory and in a
   * cell of REVIEW.md's copies table.
   * @default - none
   */
  readonly notes?: string;
  /**
   * The name of its entry in the site's inventory, when an existing inventory already tracks
   * it (seed 001's `app-home-assistant`).
   * @default `<site>-<name>`
   */
  readonly inventoryName?: string;
  /**
   * How to restore from it, in the tool's own terms, for the runbooks (full-restore.md too).
   * @default - the runbook says to restore with the tool that made the backup
   */
  readonly restore?: readonly RestoreStep[];
}

/** Text shown in the inventory, REVIEW.md and runbooks: one line, not blank. */
const ONE_LINE = oneLineText('expected some text, not only whitespace');

const schema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, 'expected a lower-case name such as app-home-assistant'),
    protects: ONE_LINE,
    tool: ONE_LINE,
    host: hostAddress('expected a host name or address such as nas'),
    basePath: ABSOLUTE_PATH,
    glob: z
      .string()
      // eslint-disable-next-line no-control-regex
      .regex(/^[^/\x00-\x1f\x7f]+$/, 'expected a file-name pattern such as *.tar, without / or control characters: the status check matches it against the names in basePath, and a tab or line break would split its inventory line')
      .optional(),
    staleAfter: positiveDuration('Duration.hours(48)', 'the backup would always read stale'),
    layer: z.enum(LAYERS as [Layer, ...Layer[]]).optional(),
    medium: z.enum(MEDIA as [Medium, ...Medium[]]).optional(),
    location: z.enum(LOCATIONS as [Location, ...Location[]]).optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    enabled: z.boolean().optional(),
    notes: ASSET_NOTES.optional(),
    inventoryName: z.string().regex(INVENTORY_NAME, INVENTORY_NAME_MESSAGE).optional(),
    restore: z.array(z.object({ title: ONE_LINE, notes: z.array(z.string()).optional(), commands: z.array(z.string()) }).strict()).optional(),
  })
  .strict();

/**
 * A backup another tool makes (an app's built-in backup): declared so inventory, status and
 * policy cover it, while nothing is installed or scheduled by this library.
 */
export class ExternalBackup extends Construct {
  readonly name: string;
  readonly staleAfter: Duration;

  constructor(scope: Construct, id: string, props: ExternalBackupProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      staleAfter: 'Duration.hours(48)',
      glob: "a pattern for the file names directly in basePath, e.g. '*.tar'; point basePath at the folder that holds them",
      host: 'the name the status tool knows the host by, e.g. nas',
    });
    this.name = p.name;
    this.staleAfter = p.staleAfter;
    const model = siteModelOf(this);
    const classification = p.classification ?? 'important';
    const assetId = `app-data:${p.name}`;
    const targetId = `external:${p.host}:${p.basePath}`;
    // the name is the job's id and the asset's: a second one of the name is named as such
    const clash = { field: 'name', hint: `the name names the backup's job, metrics and alerts: give each external backup (and job) its own, e.g. name: '${p.name}-${slugOf(p.basePath)}'` };
    model.checkJobIdFree(p.name, this.node.path, clash);
    model.addAsset({ id: assetId, kind: 'app-data', name: p.protects, classification, notes: p.notes, ...(p.inventoryName ? { inventoryName: p.inventoryName } : {}), constructPath: this.node.path }, clash);
    if (!model.target(targetId)) {
      model.addTarget({ id: targetId, name: `${p.basePath} on ${p.host}`, medium: p.medium ?? 'nas', location: p.location ?? 'on-site', host: p.host, path: p.basePath, constructPath: this.node.path });
    }
    model.addJob({
      id: p.name,
      kind: 'external',
      host: p.host,
      constructPath: this.node.path,
      enabled: p.enabled ?? true,
      scheduleHuman: `by ${p.tool}`,
      expectedDurationSeconds: 0,
      staleAfterHours: p.staleAfter.toHours({ integral: false }),
      staleAfterExplicit: true,
      alertName: p.name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
      after: [],
      writesTo: [targetId],
      classification,
      description: `${p.protects} backed up by ${p.tool}`,
      ...(p.restore?.length ? { restore: p.restore.map((r) => ({ asset: assetId, ...r })) } : {}),
    });
    model.addCopy(
      {
        id: `${p.name}:${assetId}`,
        asset: assetId,
        job: p.name,
        target: targetId,
        layer: p.layer ?? 'app',
        retention: `managed by ${p.tool}`,
        artifact: { host: p.host, basePath: p.basePath, glob: p.glob ?? '*' },
      },
      this.node.path,
    );
  }
}

/** The last folder of a path as an id suffix (`/volume1/backups/ha` -> `ha`). */
function slugOf(path: string): string {
  return (path.split('/').filter(Boolean).pop() ?? 'copy').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'copy';
}
