import { Duration } from './duration';
import type { SiteSettings } from './model/site-model';

/** Named defaults, in one place, so REVIEW.md and docs can cite them. */
export const DEFAULTS = {
  /** Where node-exporter's textfile collector reads `*.prom` files on Debian. */
  textfileDirectory: '/var/lib/prometheus/node-exporter',
  /** Where generated scripts and hooks live on a host. */
  libexecDirectory: '/usr/local/lib/backup-constructs',
  /** The Terraform variable that names the SSH private key file. */
  sshKeyPathVariable: 'ssh_private_key_path',
  /** A job is stale this long after a run was due (plus its expected duration). */
  staleMargin: Duration.hours(2),
  /** When a stack says nothing about how long a job takes. */
  expectedDuration: Duration.hours(1),
  /** soft: a NAS that is off must not hang the hypervisor (seed 001). */
  nfsMountOptions: ['soft', 'timeo=150', 'retrans=3'],
  vzdumpNotesTemplate: '{{guestname}}',
  /** A guest whose importance nobody stated: a declared one, or one an all-guests job finds. */
  guestClassification: 'important',
  /** Unprivileged LXC guests stage pct.conf here when the target is NFS (GAP-OP-118). */
  lxcNfsTmpdir: '/var/tmp',
} as const;

/** Site settings when a construct is used in a plain TerraformStack. */
export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  metrics: { kind: 'textfile', directory: DEFAULTS.textfileDirectory },
};
