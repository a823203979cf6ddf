import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { checkProps } from '../lib/errors';
import { IP_ADDRESS_CHECKS, tailscaleAddress } from '../lib/net';
import { hardNfsMount, softNfsMountHint } from '../lib/nfs-options';
import { blockMarkers, unitEntry } from '../lib/render/install-script';
import { generatedHeader, shellQuote } from '../lib/render/shell';
import { renderUnit, systemdEscapePath } from '../lib/render/systemd';
import { Host } from './host';
import { registerMember } from './private/site-anchor';
import { ABSOLUTE_FOLDER, ABSOLUTE_PATH } from '../lib/path-schema';

/** Props of {@link NfsMount}. */
export interface NfsMountProps {
  /** The host that mounts the export (the Proxmox node of the `dir` storage on it). */
  readonly host: Host;
  /** NFS server address: the LAN address, not a VPN one. */
  readonly server: string;
  /** Exported path on the server (`/volume1/backups/proxmox_backups`). */
  readonly export: string;
  /** Mount point on the host (`/mnt/nas-backups`). */
  readonly mountPoint: string;
  /**
   * Mount options. `soft` with timeouts by default: with `hard`, a NAS that is off hangs every
   * process touching the mount, the hypervisor included.
   * @default ['soft', 'timeo=150', 'retrans=3']
   */
  readonly options?: readonly string[];
  /**
   * `fstab`: a managed line in /etc/fstab (systemd generates the mount unit from it);
   * `mount-unit`: a native `.mount` unit, enabled and started.
   * @default 'fstab'
   */
  readonly style?: 'fstab' | 'mount-unit';
  /** Allow a server on Tailscale (100.64.0.0/10, fd7a:115c:a1e0::/48 or a `*.ts.net` name). @default false */
  readonly allowCgnatServer?: boolean;
}

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    server: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or IP address').check(...IP_ADDRESS_CHECKS),
    export: ABSOLUTE_PATH,
    mountPoint: ABSOLUTE_FOLDER,
    options: z
      .array(z.string().regex(/^[^,\s]+$/, 'expected one option without commas or spaces'))
      .superRefine((o, ctx) => {
        const hard = hardNfsMount(o, 'the hypervisor');
        if (hard) ctx.addIssue({ code: 'custom', message: `expected a soft mount: ${hard}` });
      })
      .optional(),
    style: z.enum(['fstab', 'mount-unit']).optional(),
    allowCgnatServer: z.boolean().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const tailscale = p.allowCgnatServer ? undefined : tailscaleAddress(p.server);
    if (tailscale) ctx.addIssue({ code: 'custom', path: ['server'], message: `expected a LAN address, not one ${tailscale}` });
  });

/**
 * An NFS mount on a host, for a `dir` storage on top of it (seed 001's plan). Proxmox's own
 * `nfs` storage type (PveStorage) mounts by itself and needs none of this.
 */
export class NfsMount extends Construct {
  readonly host: Host;
  /** `server:export`, as mounted. */
  readonly source: string;
  readonly mountPoint: string;
  readonly options: readonly string[];
  readonly style: 'fstab' | 'mount-unit';
  readonly unitName: string;

  constructor(scope: Construct, id: string, props: NfsMountProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      server: 'use the LAN address, e.g. 10.0.0.150, or set allowCgnatServer: true',
      options: softNfsMountHint('options', props?.options),
      mountPoint: 'a folder such as /mnt/nas-backups',
      export: "the server's export path such as /volume1/backups",
    });
    this.mountPoint = p.mountPoint.replace(/\/+$/, '');
    this.options = p.options ?? DEFAULTS.nfsMountOptions;
    this.style = p.style ?? 'fstab';
    this.unitName = `${systemdEscapePath(this.mountPoint)}.mount`;
    const what = `${p.server}:${p.export}`;
    this.host = p.host;
    this.source = what;
    if (this.style === 'fstab') {
      const m = blockMarkers(this.node.path);
      const opts = ['defaults', ...this.options.filter((o) => o !== 'defaults'), 'x-systemd.requires=network-online.target'].join(',');
      p.host.install(this, {
        files: [{ path: '/etc/fstab', kind: 'block', content: `${m.begin}\n${what} ${this.mountPoint} nfs ${opts} 0 0\n${m.end}\n` }],
        postInstall: [`mkdir -p "$R"${shellQuote(this.mountPoint)}`, `systemctl start ${shellQuote(this.unitName)}`],
        removals: [{ entry: unitEntry(this.unitName), lines: [`systemctl stop ${shellQuote(this.unitName)} || echo "warning: could not unmount ${this.mountPoint}" >&2`] }],
      });
    } else {
      const unit = renderUnit(generatedHeader('#', this.node.path), [
        ['Unit', [['Description', `NFS ${what} (backup-constructs)`], ['Wants', 'network-online.target'], ['After', 'network-online.target']]],
        ['Mount', [['What', what], ['Where', this.mountPoint], ['Type', 'nfs'], ['Options', this.options.join(',')], ['TimeoutSec', '90']]],
        ['Install', [['WantedBy', 'remote-fs.target']]],
      ]);
      p.host.install(this, { files: [{ path: `/etc/systemd/system/${this.unitName}`, content: unit }], enableUnits: [this.unitName] });
    }
    registerMember('nfs-mount', this);
  }
}
