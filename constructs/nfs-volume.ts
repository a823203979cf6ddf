import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { checkProps } from '../lib/errors';
import { DNS_LABEL, DNS_SUBDOMAIN, PersistentVolumeClaimManifest, PersistentVolumeManifest, standardLabels } from '../lib/k8s/manifest';
import { toQuantity } from '../lib/k8s/secret-ref';
import { Location, LOCATIONS, Medium, MEDIA } from '../lib/model/vocabulary';
import { hostAddress, tailscaleAddress } from '../lib/net';
import { hardNfsMount, softNfsMountHint } from '../lib/nfs-options';
import { instanceOf } from '../lib/private/zod-helpers';
import { Size } from '../lib/size';
import { k8sObject } from './private/k8s-object';
import { siteModelOf } from './private/site-anchor';

/** Props of {@link NfsVolume}. */
export interface NfsVolumeProps {
  /** The claim's name in `namespace`, e.g. `postgresql-backup`. */
  readonly name: string;
  /** The namespace of the claim (and of the jobs that mount it). */
  readonly namespace: string;
  /** The NFS server's address (not a secret). */
  readonly server: string;
  /** The exported folder, e.g. `/srv/nfs/postgresql-backup`. */
  readonly path: string;
  /** Nominal size; NFS does not enforce it, but the claim must ask for no more. @default Size.gibibytes(10) */
  readonly capacity?: Size;
  /**
   * Soft with timeouts by default: a dump on a hard mount whose server is gone hangs in the
   * kernel until someone reboots the node, instead of failing and being reported.
   * @default ['soft', 'timeo=150', 'retrans=3']
   */
  readonly mountOptions?: readonly string[];
  /** The site host that serves the export, for the inventory. @default - none declared */
  readonly host?: string;
  /** @default 'nas' */
  readonly medium?: Medium;
  /** @default 'on-site' */
  readonly location?: Location;
}

const schema = z
  .object({
    name: z.string().regex(DNS_SUBDOMAIN, 'expected a lower-case claim name such as postgresql-backup'),
    namespace: z.string().regex(DNS_LABEL, 'expected a namespace name'),
    server: hostAddress('expected a host name or address')
      .superRefine((s, ctx) => {
        const tailscale = tailscaleAddress(s);
        if (tailscale) ctx.addIssue({ code: 'custom', message: `expected a LAN address, not one ${tailscale}: a Tailscale NFS server stalls every pod that writes to it when the tunnel drops` });
      }),
    path: z.string().regex(/^\/[A-Za-z0-9_.@+\/-]*$/, 'expected an absolute export path'),
    capacity: instanceOf(Size, 'expected a Size, e.g. Size.gibibytes(10)').optional(),
    mountOptions: z
      .array(z.string().regex(/^[a-z0-9_]+(=[A-Za-z0-9_.:,-]+)?$/, 'expected a mount option such as soft or timeo=150'))
      .superRefine((o, ctx) => {
        const hard = hardNfsMount(o, 'the dump writing to it instead of failing');
        if (hard) ctx.addIssue({ code: 'custom', message: `expected a soft mount: ${hard}` });
      })
      .optional(),
    host: z.string().min(1).optional(),
    medium: z.enum(MEDIA as [Medium, ...Medium[]]).optional(),
    location: z.enum(LOCATIONS as [Location, ...Location[]]).optional(),
  })
  .strict();

/**
 * The class name the volume and its claim share, so they bind to each other only. Not "":
 * the Terraform provider drops an empty storage_class_name from a claim, and a cluster with a
 * default StorageClass then gives the claim that class, which no static volume has (the claim
 * stays Pending). No StorageClass object of this name is needed: static binding only
 * compares the names.
 */
const STATIC_CLASS = 'backup-constructs-static';

/**
 * An NFS folder as a PersistentVolume and a claim bound to exactly it (seed 002's `nfs_volume`
 * module): the PV is `ReadWriteMany`, `Retain` (deleting the claim never deletes backups) and
 * has no storage class, so no provisioner or default class takes the claim. Registered in the
 * site model as a backup target; dump jobs write to it through {@link NfsVolume.claimName}.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#reserving-a-persistentvolume
 */
export class NfsVolume extends Construct {
  readonly claimName: string;
  readonly namespace: string;
  /** Cluster-scoped, so namespaced by name: `<namespace>-<name>`. */
  readonly volumeName: string;
  readonly server: string;
  readonly path: string;
  /** The site model target dump jobs register their copies on. */
  readonly targetId: string;
  readonly host: string | undefined;

  constructor(scope: Construct, id: string, props: NfsVolumeProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      server: 'use the LAN address of the NFS server, e.g. 192.168.1.127',
      mountOptions: softNfsMountHint('mountOptions', props?.mountOptions),
    });
    this.claimName = p.name;
    this.namespace = p.namespace;
    this.volumeName = `${p.namespace}-${p.name}`;
    this.server = p.server;
    this.path = p.path.replace(/(.)\/+$/, '$1');
    this.host = p.host;
    const capacity = toQuantity(p.capacity ?? Size.gibibytes(10));
    const labels = standardLabels(p.name, 'backup-volume');
    const pv: PersistentVolumeManifest = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: this.volumeName, labels },
      spec: {
        capacity: { storage: capacity },
        accessModes: ['ReadWriteMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: STATIC_CLASS,
        mountOptions: [...(p.mountOptions ?? DEFAULTS.nfsMountOptions)],
        // reserved for this claim: no other claim can bind it first
        claimRef: { name: p.name, namespace: p.namespace },
        nfs: { server: p.server, path: this.path },
      },
    };
    const pvc: PersistentVolumeClaimManifest = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: p.name, namespace: p.namespace, labels },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: STATIC_CLASS, volumeName: this.volumeName, resources: { requests: { storage: capacity } } },
    };
    const volume = k8sObject(this, 'PersistentVolume', pv);
    k8sObject(this, 'PersistentVolumeClaim', pvc, { dependsOn: [volume] });
    this.targetId = `nfs:${p.server}:${this.path}`;
    const model = siteModelOf(this);
    if (!model.target(this.targetId)) {
      model.addTarget({
        id: this.targetId,
        name: `${this.path} on ${p.host ?? p.server} (NFS)`,
        medium: p.medium ?? 'nas',
        location: p.location ?? 'on-site',
        ...(p.host ? { host: p.host } : {}),
        path: this.path,
        constructPath: this.node.path,
      });
    }
  }
}
