import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { BackupConfigError, checkProps } from '../lib/errors';
import { hostAddress, tailscaleAddress } from '../lib/net';
import { generatedHeader, shellQuote } from '../lib/render/shell';
import { Host } from './host';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { ABSOLUTE_FILE_PATH } from '../lib/path-schema';

/** Where the sudo password of the NAS comes from at apply time; never the password itself. */
/**
 * Where the sudo password is read at apply time. `address` is Vault's address (seed 002 runs
 * `VAULT_ADDR=https://vault... vault kv get`); without it the CLI uses `VAULT_ADDR` from the
 * environment of whoever applies, and falls back to a local Vault that is not there.
 */
export type SudoPasswordSource = { readonly vaultPath: string; readonly field: string; readonly address?: string } | { readonly file: string };

/** Props of {@link SynologySnapshotRetention}. */
export interface SynologySnapshotRetentionProps {
  /** The host that reaches the NAS over SSH and applies the setting. */
  readonly host: Host;
  /** NAS address (LAN). */
  readonly address: string;
  /** @default 'Administrator' */
  readonly user?: string;
  /** SSH key file on the host. */
  readonly sshKeyFile: string;
  /** The shared folder (`Backup`). */
  readonly share: string;
  /** Days DSM keeps the share's snapshots (`snap_auto_remove_keep_days`). */
  readonly keepDays: number;
  /** The sudo password: a Vault KV path and field (read with `vault kv get`) or a root-only file. */
  readonly sudoPassword: SudoPasswordSource;
  /**
   * Retention the site's policy requires; a shorter setting is a finding.
   * @default 7
   */
  readonly minimumKeepDays?: number;
}

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host' }),
    address: hostAddress('expected a host name or IP address', { user: 'user' }).refine((a) => tailscaleAddress(a) === undefined, 'expected the LAN address, not a Tailscale one (100.64.0.0/10, fd7a:115c:a1e0::/48 or a ts.net name)'),
    user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a DSM user name of letters, digits, _ and - (starting with a letter or _)').optional(),
    sshKeyFile: ABSOLUTE_FILE_PATH,
    share: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a shared folder name'),
    keepDays: z.number().int().min(1).max(3650),
    sudoPassword: z.union([
      z.object({ vaultPath: z.string().regex(/^[a-z0-9_-]+(\/[A-Za-z0-9_.-]+)+$/, 'expected a Vault KV path such as secret/viktor'), field: z.string().regex(/^[A-Za-z0-9_.-]+$/), address: z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/, 'expected a Vault address such as https://vault.example.com:8200').optional() }).strict(),
      z.object({ file: ABSOLUTE_FILE_PATH }).strict(),
    ], { message: 'expected { vaultPath, field } or { file }: never the password itself' }),
    minimumKeepDays: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * A Synology share's btrfs snapshot retention, as code: applied over SSH with sudo and
 * `synosharesnapshot shareconf set` (seed 002's recipe: DSM's API is behind 2FA), setting the
 * same value again on every apply, so it is idempotent. The password is piped to `sudo -S`
 * from Vault or a file at apply time and never appears on a command line or in the output.
 */
export class SynologySnapshotRetention extends Construct {
  readonly keepDays: number;
  readonly host: Host;
  readonly address: string;
  readonly share: string;
  /** The apply script on the host. */
  readonly scriptPath: string;

  constructor(scope: Construct, id: string, props: SynologySnapshotRetentionProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { sudoPassword: "{ vaultPath: 'secret/viktor', field: 'synology_admin_password' }" });
    const model = siteModelOf(this);
    this.keepDays = p.keepDays;
    const vault = 'vaultPath' in p.sudoPassword ? p.sudoPassword : undefined;
    const source = vault
      ? `vault kv get ${vault.address ? `-address=${shellQuote(vault.address)} ` : ''}-field=${shellQuote(vault.field)} ${shellQuote(vault.vaultPath)}`
      : `cat ${shellQuote((p.sudoPassword as { file: string }).file)}`;
    const script = `#!/bin/bash
${generatedHeader('#', this.node.path, `snapshot retention of share ${p.share} on ${p.address}`)}set -euo pipefail

NAS=\${NAS:-${shellQuote(`${p.user ?? 'Administrator'}@${p.address}`)}}
KEY=\${KEY:-${shellQuote(p.sshKeyFile)}}
# the password goes to sudo on stdin, never into an argument list
${source} | ssh -i "$KEY" -o BatchMode=yes -o ConnectTimeout=20 "$NAS" \\
  sudo -S -p '' /usr/syno/sbin/synosharesnapshot shareconf set ${shellQuote(p.share)} snap_auto_remove_keep_days=${p.keepDays}
`;
    this.host = p.host;
    this.address = p.address;
    this.share = p.share;
    // A share of the same name on another NAS applied from the same host gets the NAS address
    // in its script's name; the first keeps the plain name, as hosts already have it.
    const sameShare = membersOf<SynologySnapshotRetention>(this, 'synology-snapshot-retention').filter((o) => o.host === p.host && o.share.toLowerCase() === p.share.toLowerCase());
    const twin = sameShare.find((o) => o.address === p.address);
    if (twin) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'share',
          message: `expected one retention per share of a NAS, got a second for share ${p.share} on ${p.address}: ${twin.node.path} sets it already (${twin.keepDays} day(s))`,
          hint: `keep one, with the keepDays you want, or name another share`,
        },
      ]);
    }
    const onAddress = sameShare.length ? `${p.address.toLowerCase()}-` : '';
    const path = `${DEFAULTS.libexecDirectory}/synology-snapshot-retention-${onAddress}${p.share.toLowerCase()}.sh`;
    this.scriptPath = path;
    p.host.install(this, { files: [{ path, content: script, mode: '0700' }], postInstall: [`"$R"${shellQuote(path)}`] });
    registerMember('synology-snapshot-retention', this);
    model.addDecision({
      subject: `Synology share ${p.share}${onAddress ? ` on ${p.address}` : ''} snapshots`,
      decision: `kept ${p.keepDays} day(s) (snap_auto_remove_keep_days)`,
      reason: `applied from ${p.host.name} over SSH with synosharesnapshot; the site policy asks for at least ${p.minimumKeepDays ?? 7}`,
    });
    const minimum = p.minimumKeepDays ?? 7;
    if (p.keepDays < minimum) {
      model.addFinding({
        severity: 'warning',
        rule: 'nas-snapshot-retention',
        subject: this.node.path,
        message: `share ${p.share} keeps snapshots ${p.keepDays} day(s), shorter than the ${minimum} the site's policy requires: a deletion or ransomware noticed after ${p.keepDays} days cannot be undone from the NAS`,
        fix: `raise keepDays to ${minimum}, or lower minimumKeepDays with the reason (e.g. space, see NasCapacity)`,
      });
    }
  }
}
