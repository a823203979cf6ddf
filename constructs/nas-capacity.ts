import { Construct } from 'constructs';
import { z } from 'zod';
import { pushedFillAlert } from '../lib/alerts/fill-alert';
import { checkProps } from '../lib/errors';
import { jobSelector } from '../lib/metrics';
import { hostAddress, tailscaleAddress } from '../lib/net';
import { Schedule } from '../lib/schedule';
import { instanceOf } from '../lib/private/zod-helpers';
import { Host } from './host';
import { siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';
import { ABSOLUTE_FILE_PATH, ABSOLUTE_FOLDER } from '../lib/path-schema';

/** Props of {@link NasCapacity}. */
export interface NasCapacityProps {
  /** The host that reaches the NAS over SSH and runs the collector. */
  readonly host: Host;
  /** Short name for ids, metrics and alerts (`synology`); unique in the site: a second volume of one NAS needs its own (`synology-volume2`). */
  readonly nasName: string;
  /** NAS address (LAN). */
  readonly address: string;
  /** @default 'root' */
  readonly user?: string;
  /** SSH key file on the host (never the key itself). */
  readonly sshKeyFile: string;
  /** The volume to measure (`/volume1`). */
  readonly volume: string;
  /**
   * Shares whose live size is measured (`du`, skipping `#snapshot`), so the space only
   * snapshots hold can be estimated as volume used minus these.
   * @default - none: no snapshot estimate
   */
  readonly snapshotShares?: readonly string[];
  /** @default 0.9 */
  readonly fullRatio?: number;
  /** Alert when snapshots hold more than this share of the volume. @default 0.25 */
  readonly snapshotRatio?: number;
  /** @default Schedule.everyHours(1) */
  readonly schedule?: Schedule;
}

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host' }),
    nasName: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case name'),
    address: hostAddress('expected a host name or IP address', { user: 'user' }).refine((a) => tailscaleAddress(a) === undefined, 'expected the LAN address, not a Tailscale one (100.64.0.0/10, fd7a:115c:a1e0::/48 or a ts.net name)'),
    user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a user name').optional(),
    sshKeyFile: ABSOLUTE_FILE_PATH,
    volume: ABSOLUTE_FOLDER,
    snapshotShares: z.array(ABSOLUTE_FOLDER).optional(),
    fullRatio: z.number().gt(0).lt(1).optional(),
    snapshotRatio: z.number().gt(0).lt(1).optional(),
    schedule: instanceOf(Schedule, 'expected a Schedule').optional(),
  })
  .strict();

/**
 * Free and total space of an off-site NAS (the seed's Synology reached 98 %), collected over
 * SSH by a job on a host, with alerts before it fills and when snapshots hold too much of it.
 */
export class NasCapacity extends Construct {
  readonly job: ScheduledHostJob;

  constructor(scope: Construct, id: string, props: NasCapacityProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { sshKeyFile: 'a key file on the host, e.g. /root/.ssh/synology_backup' });
    const model = siteModelOf(this);
    const jobId = `nas-capacity-${p.nasName}`;
    // the job, its metrics and both alerts are named after nasName: another volume of the same
    // NAS (or the NAS watched from another host) needs its own
    const volume = p.volume.split('/').filter(Boolean).pop() ?? 'volume';
    model.checkJobIdFree(jobId, this.node.path, {
      field: 'nasName',
      hint: `nasName names the job, its metrics and its alerts: give each watched volume its own, e.g. nasName: '${p.nasName}-${volume.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}'`,
    });
    const shares = p.snapshotShares ?? [];
    const body = [
      'ssh_nas() {',
      '  ssh -i "$NAS_KEY" -o BatchMode=yes -o ConnectTimeout=20 "$NAS_USER@$NAS_ADDRESS" "$@"',
      '}',
      '# df -P -B1: the second line holds size, used and available bytes',
      '# (read fails on no input: the check below says why, rather than set -e exiting silently)',
      'read -r size used avail < <(ssh_nas "df -P -B1 $NAS_VOLUME" | awk \'NR == 2 { print $2, $3, $4 }\') || true',
      '[ -n "${size:-}" ] && [ "$size" -gt 0 ] || { echo "could not read the size of $NAS_VOLUME on $NAS_ADDRESS" >&2; exit 1; }',
      'bc_metric backup_nas_size_bytes "$size"',
      'bc_metric backup_nas_used_bytes "$used"',
      'bc_metric backup_nas_free_bytes "$avail"',
      ...(shares.length
        ? [
            'live=0',
            'for share in $NAS_SHARES; do',
            '  bytes=$(ssh_nas "du -sxb --exclude=\'#snapshot\' $share" | awk \'{ print $1 }\')',
            '  [ -n "$bytes" ] || { echo "could not measure $share" >&2; exit 1; }',
            '  live=$((live + bytes))',
            'done',
            'bc_metric backup_nas_live_bytes "$live"',
          ]
        : []),
    ].join('\n');
    this.job = new ScheduledHostJob(this, 'Collector', {
      host: p.host,
      jobId,
      schedule: p.schedule ?? Schedule.everyHours(1),
      description: `free space of ${p.volume} on ${p.nasName}`,
      body,
      settings: { NAS_ADDRESS: p.address, NAS_USER: p.user ?? 'root', NAS_KEY: p.sshKeyFile, NAS_VOLUME: p.volume, NAS_SHARES: shares.join(' ') },
      extraMetrics: ['backup_nas_size_bytes', 'backup_nas_used_bytes', 'backup_nas_free_bytes', ...(shares.length ? ['backup_nas_live_bytes'] : [])],
      kind: 'collector',
      expectedDuration: undefined,
    });
    const sel = jobSelector({ job: jobId, site: model.site, host: p.host.name });
    const full = p.fullRatio ?? 0.9;
    const labels = { backup_job: jobId, host: p.host.name, site: model.site };
    const series = (name: string, v: string) => ({ series: `${name}${sel}`, values: v });
    model.addAlertSpec(
      pushedFillAlert({
        name: `Nas${pascal(p.nasName)}AlmostFull`,
        job: jobId,
        site: model.site,
        host: p.host.name,
        free: 'backup_nas_free_bytes',
        size: 'backup_nas_size_bytes',
        ratio: full,
        summary: `${p.nasName} is over ${Math.round(full * 100)}% full`,
        description: `${p.volume} on ${p.nasName} has less than ${Math.round((1 - full) * 100)}% free; off-site syncs fail when it fills (the seed's NAS reached 98%).`,
        runbook: `Check what holds the space (\`df -h ${p.volume}\`, snapshot retention of each share) and free it before the next sync.`,
        constructPath: this.node.path,
      }),
    );
    if (shares.length) {
      const ratio = p.snapshotRatio ?? 0.25;
      model.addAlertSpec({
        name: `Nas${pascal(p.nasName)}SnapshotsHeavy`,
        expr: `(max by (backup_job, site, host) (backup_nas_used_bytes${sel}) - max by (backup_job, site, host) (backup_nas_live_bytes${sel})) / max by (backup_job, site, host) (backup_nas_size_bytes${sel}) > ${ratio}`,
        for: '6h',
        severity: 'warning',
        summary: `snapshots hold over ${Math.round(ratio * 100)}% of ${p.nasName}`,
        description: `Space used on ${p.volume} beyond the live size of ${shares.join(', ')} (snapshots, roughly) is over ${Math.round(ratio * 100)}% of the volume: deleted data is still held by snapshots.`,
        watches: ['backup_nas_used_bytes', 'backup_nas_live_bytes', 'backup_nas_size_bytes'],
        labels,
        runbook: 'List the share snapshots and shorten their retention (SynologySnapshotRetention); space returns once every snapshot holding it has rolled off.',
        test: {
          firing: [series('backup_nas_used_bytes', '90'), series('backup_nas_live_bytes', '40'), series('backup_nas_size_bytes', '100')],
          silent: [series('backup_nas_used_bytes', '50'), series('backup_nas_live_bytes', '40'), series('backup_nas_size_bytes', '100')],
          firingLabels: labels,
        },
        constructPath: this.node.path,
      });
    }
  }
}

function pascal(s: string): string {
  return s.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}
