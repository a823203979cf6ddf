import { describeMounts, describeSecretEnv, RestorePod } from './k8s/restore-pod';
import type { RestoreStep } from './model/types';
import { POD_PATHS } from './render/dump-scripts/script';
import { shellQuote } from './render/shell';

/**
 * The restore steps of each dump engine, as an operator copies them from the job's runbook
 * during an outage. Every command names the job's own hosts, claims, Secrets and folders;
 * what only the operator knows is a `<placeholder>`, and where a placeholder stands in a
 * shell variable it is quoted (`db='<db>'`), so a line pasted unchanged fails instead of
 * running with a wrong value.
 */

/** What an engine's restore steps are written from. */
export interface RestoreContext {
  readonly jobId: string;
  readonly namespace: string;
  /** The job's output folder as the restore pod sees it (`/backup` or `/backup/per-db`). */
  readonly outDir: string;
  /** The backup volume's claim. */
  readonly backupClaim: string;
  /** The restore shell: the backup claim read-only, the application's data the restore writes read-write. */
  readonly restorePod: RestorePod;
  /** A shell with the job's Secrets and no claim, for a client of the server once it runs again. */
  readonly clientPod: RestorePod;
  /** Labels of the application's pods, when the job knows them (its placement's `colocateWith`). */
  readonly appSelector?: Readonly<Record<string, string>>;
  /** The backup volume's NFS export, when it is one: a node can mount it without the Kubernetes API. */
  readonly nfs?: { readonly server: string; readonly path: string; readonly host?: string };
}

/** Connection options of the PostgreSQL and MySQL restores. */
export interface DatabaseServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

/** Notes are lines of Markdown: separate paragraphs by an empty one. */
function paragraphs(...texts: string[]): string[] {
  return texts.flatMap((t, i) => (i ? ['', t] : [t]));
}

/** `"$(ls -1t <glob> | head -n 1)"`: the newest match, quoted. */
function newest(glob: string): string {
  return `"$(ls -1t ${glob} | head -n 1)"`;
}

/** The step that starts a shell in a pod built by `restorePod`. */
function shellStep(pod: RestorePod, title: string): RestoreStep {
  const placement = pod.droppedAffinity ? "It is placed like the job's pods but without their pod affinity, which would keep it waiting for the application's pod. " : '';
  return {
    title,
    notes: [
      `\`${pod.name}\` runs the job's image (\`${pod.image}\`) with ${describeMounts(pod.mounts)}, and ${describeSecretEnv(pod.secretEnv)}. ${placement}The commands below run in its shell; \`exit\` leaves it and deletes the pod.`,
    ],
    commands: [pod.command],
  };
}

function restoreShell(ctx: RestoreContext): RestoreStep {
  return shellStep(ctx.restorePod, `start a restore shell in namespace ${ctx.namespace}`);
}

/** Where a credential comes from in the restore shell, or that there is none. */
function credentialNote(ctx: RestoreContext, variable: string): string {
  const e = ctx.restorePod.secretEnv.find((v) => v.name === variable);
  return e
    ? `In the restore shell ${variable} is set from secret \`${e.valueFrom!.secretKeyRef.name}\`/\`${e.valueFrom!.secretKeyRef.key}\`, as in the job.`
    : `The job reads no password, so ${variable} is not set: the server must accept the user without one.`;
}

function selectorOf(ctx: RestoreContext): string {
  return ctx.appSelector ? ` -l ${shellQuote(Object.entries(ctx.appSelector).map(([k, v]) => `${k}=${v}`).join(','))}` : '';
}

/** Stops the application whose data claim the restore shell mounts read-write. */
function stopApplication(ctx: RestoreContext, what: string, why: string): RestoreStep {
  return {
    title: `stop ${what} and wait until its pods are gone`,
    notes: [`${why} Note its replica count, to scale it back afterwards.`],
    commands: [
      `kubectl -n ${ctx.namespace} get statefulsets,deployments   # the one running ${what}, and its replicas`,
      `kubectl -n ${ctx.namespace} scale <kind>/<name> --replicas=0`,
      `kubectl -n ${ctx.namespace} get pods${selectorOf(ctx)}   # until ${what}'s pods are gone`,
    ],
  };
}

function startApplication(ctx: RestoreContext, what: string, claim: string, notes: readonly string[] = []): RestoreStep {
  return {
    title: `leave the restore shell, then start ${what} again`,
    notes: paragraphs(`\`exit\` the restore shell first: while its pod holds claim \`${claim}\`, ${what} cannot mount it on another node.`, ...notes),
    commands: [`kubectl -n ${ctx.namespace} scale <kind>/<name> --replicas=<replicas>`, `kubectl -n ${ctx.namespace} get pods${selectorOf(ctx)}`],
  };
}

/** `pg_dumpall` output, restored with psql into an empty server. */
export function postgresqlRestore(server: DatabaseServer, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  return [
    restoreShell(ctx),
    pickNewestFullDump(dir),
    {
      title: 'restore the whole cluster into an empty server (roles and databases included)',
      notes: [credentialNote(ctx, 'PGPASSWORD')],
      commands: [`gzip -dc ${newest(`${dir}/*.sql.gz`)} | psql -h ${server.host} -p ${server.port} -U ${server.user} -d postgres -f -`],
    },
  ];
}

/** One database's `pg_dump -Fc` archive, restored over it with pg_restore. */
export function postgresqlPerDatabaseRestore(server: DatabaseServer, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  const conn = `-h ${server.host} -p ${server.port} -U ${server.user}`;
  return [
    restoreShell(ctx),
    pickDatabase(dir, '.dump'),
    {
      title: 'restore it over the live database <db> (drops and recreates its objects)',
      notes: paragraphs(credentialNote(ctx, 'PGPASSWORD'), `If the database is gone, create it first: \`createdb ${conn} "$db"\`.`),
      commands: [`pg_restore ${conn} -d "$db" --clean --if-exists ${newest(`"${dir}/$db"/*.dump`)}`],
    },
  ];
}

/** A full dump's folder holds its gzip'd SQL files, newest first. */
function pickNewestFullDump(dir: string): RestoreStep {
  return { title: 'pick the newest full dump', commands: [`ls -1t ${dir}/*.sql.gz | head -n 3`] };
}

/** The per-database folders hold one folder per database: the operator names one. */
function pickDatabase(dir: string, extension: string): RestoreStep {
  return {
    title: 'pick the database <db> and its newest dump',
    notes: ['The first line lists the databases (one folder each); set `db` to the one to restore.'],
    commands: [`ls ${dir}/`, `db='<db>'`, `ls -1t "${dir}/$db"/*${extension} | head -n 3`],
  };
}

/** MariaDB 11 images only have `mariadb`, MySQL's only `mysql`: the dump script chooses the same way. */
const MYSQL_CLIENT = 'client=$(command -v mariadb || command -v mysql)';

/** `mysqldump --all-databases` output, restored with the client. */
export function mysqlRestore(server: DatabaseServer, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  return [
    restoreShell(ctx),
    pickNewestFullDump(dir),
    {
      title: 'restore every database',
      notes: [credentialNote(ctx, 'MYSQL_PWD')],
      commands: [MYSQL_CLIENT, `gzip -dc ${newest(`${dir}/*.sql.gz`)} | "$client" -h ${server.host} -P ${server.port} -u ${server.user}`],
    },
  ];
}

/** One database's mysqldump (no CREATE DATABASE in it), restored into that database. */
export function mysqlPerDatabaseRestore(server: DatabaseServer, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  const conn = `-h ${server.host} -P ${server.port} -u ${server.user}`;
  return [
    restoreShell(ctx),
    pickDatabase(dir, '.sql.gz'),
    {
      title: 'restore it into <db>, creating the database if it is gone',
      notes: [credentialNote(ctx, 'MYSQL_PWD')],
      commands: [MYSQL_CLIENT, `"$client" ${conn} -e "CREATE DATABASE IF NOT EXISTS \\\`$db\\\`"`, `gzip -dc ${newest(`"${dir}/$db"/*.sql.gz`)} | "$client" ${conn} "$db"`],
    },
  ];
}

/** kubeadm's etcd data folder and static pod manifests. */
const ETCD_DATA_DIR = '/var/lib/etcd';
const MANIFESTS = '/etc/kubernetes/manifests';
const STOPPED = '/etc/kubernetes/manifests-stopped';

/**
 * etcd is restored on the control-plane nodes themselves: with etcd down there is no API to
 * run a pod with. The snapshot comes from the backup's NFS export, mounted on the node; a
 * claim of another kind is copied out through the restore shell while the API still answers.
 *
 * @see https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#restoring-an-etcd-cluster
 * @see https://etcd.io/docs/v3.5/op-guide/recovery/
 */
export function etcdRestore(ctx: RestoreContext): RestoreStep[] {
  const sub = ctx.outDir.slice(POD_PATHS.backup.length);
  const fetch: RestoreStep[] = ctx.nfs
    ? [
        {
          title: "on each control-plane node (etcd member), mount the backup's NFS export: no Kubernetes API needed",
          notes: [`The snapshots are in ${ctx.nfs.server}:${ctx.nfs.path}${ctx.nfs.host ? ` (on ${ctx.nfs.host})` : ''}. Nodes mount NFS volumes already, so they have the NFS client.`],
          commands: [`mkdir -p /mnt/${ctx.jobId}`, `mount -t nfs -o ro ${ctx.nfs.server}:${ctx.nfs.path} /mnt/${ctx.jobId}`, `ls -1t /mnt/${ctx.jobId}${sub}/*.db | head -n 3`, `snap=${newest(`/mnt/${ctx.jobId}${sub}/*.db`)}`],
        },
      ]
    : [
        {
          title: 'copy the newest snapshot to a control-plane node while the Kubernetes API still answers',
          notes: [
            `The snapshots are on claim \`${ctx.backupClaim}\`, which a node cannot read without the API. Start the restore shell (first line), copy the newest snapshot out of it from a second terminal, then to the node. If the API is down already, copy the file from where the claim's volume lives (its PersistentVolume's source) instead.`,
          ],
          commands: [
            ctx.restorePod.command,
            `kubectl -n ${ctx.namespace} exec ${ctx.restorePod.name} -- sh -c 'cat "$(ls -1t ${ctx.outDir}/*.db | head -n 1)"' >${ctx.jobId}.db   # in a second terminal`,
            `scp ${ctx.jobId}.db root@<control-plane node>:/root/${ctx.jobId}.db`,
          ],
        },
        { title: 'on that node, name the snapshot', commands: [`snap=/root/${ctx.jobId}.db`] },
      ];
  return [
    ...fetch,
    {
      title: 'stop etcd and the API server on every control-plane node',
      notes: ['kubeadm runs both as static pods: the kubelet stops a pod whose manifest leaves its manifests folder.'],
      commands: [`mkdir -p ${STOPPED}`, `mv ${MANIFESTS}/etcd.yaml ${MANIFESTS}/kube-apiserver.yaml ${STOPPED}/`, "crictl ps --name 'etcd|kube-apiserver'   # until it lists neither"],
    },
    {
      title: "restore the snapshot into etcd's data folder, keeping the old one beside it",
      notes: paragraphs(
        "`etcdutl` comes with etcd 3.5 and later; kubeadm nodes lack it: take it from the etcd release of the cluster's version (with etcd 3.4, `ETCDCTL_API=3 etcdctl snapshot restore` takes the same flags). " +
          `${ETCD_DATA_DIR} is kubeadm's data folder: use the \`--data-dir\` etcd.yaml gives.`,
        "The member flags are this member's own, as etcd.yaml gives them (kubeadm: the node's name and `https://<node IP>:2380`). A cluster of several members: restore the same snapshot on every member, each with its own `--name` and `--initial-advertise-peer-urls`, and all with the same `--initial-cluster` (every member as `<name>=<peer URL>`, comma-separated) and `--initial-cluster-token`.",
      ),
      commands: [
        'etcdutl snapshot status "$snap" -w table',
        `grep -E -e '--(name|data-dir|initial-advertise-peer-urls|initial-cluster)=' ${STOPPED}/etcd.yaml`,
        `mv ${ETCD_DATA_DIR} "${ETCD_DATA_DIR}.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"`,
        `etcdutl snapshot restore "$snap" --data-dir ${ETCD_DATA_DIR} --name <member-name> --initial-cluster <member-name>=https://<member-ip>:2380 --initial-advertise-peer-urls https://<member-ip>:2380`,
      ],
    },
    {
      title: 'start etcd and the API server again',
      notes: ['Then restart kube-controller-manager, kube-scheduler and the kubelet on each node, as the Kubernetes documentation advises, so none acts on state newer than the snapshot.'],
      commands: [`mv ${STOPPED}/etcd.yaml ${STOPPED}/kube-apiserver.yaml ${MANIFESTS}/`, "crictl ps --name 'etcd|kube-apiserver'", 'kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes', ...(ctx.nfs ? [`umount /mnt/${ctx.jobId}`] : [])],
    },
  ];
}

/**
 * A Raft snapshot goes back into the cluster it came from without -force; a freshly
 * initialised Vault has another keyring and takes it only with -force, after which it uses
 * the snapshot's unseal keys and tokens.
 *
 * @see https://developer.hashicorp.com/vault/docs/commands/operator/raft#snapshot-restore
 */
export function vaultRestore(address: string, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  const snap = newest(`${dir}/*.snap`);
  const token = ctx.restorePod.secretEnv.find((e) => e.name === 'VAULT_TOKEN');
  const login = [`export VAULT_ADDR=${address}`, 'unset VAULT_TOKEN'];
  return [
    restoreShell(ctx),
    {
      title: 'pick the newest snapshot',
      notes: [
        `The job's VAULT_TOKEN${token ? ` (secret \`${token.valueFrom!.secretKeyRef.name}\`/\`${token.valueFrom!.secretKeyRef.key}\`)` : ''} is meant to save snapshots; a restore needs \`update\` on sys/storage/raft/snapshot (sys/storage/raft/snapshot-force with -force). Each case below unsets it and logs in with a token that may restore (the variable would take precedence over the login).`,
      ],
      commands: [`ls -1t ${dir}/*.snap | head -n 3`],
    },
    {
      title: 'into the same cluster (its data lost or to be rolled back): restore without -force',
      notes: [
        'For a Vault that still has the unseal keys of the cluster the snapshot came from. Vault checks that the snapshot belongs to its keyring and refuses one of another cluster; its unseal keys and tokens stay as they are.',
      ],
      commands: [...login, 'vault login   # a root token or one that may restore (prompted)', `vault operator raft snapshot restore ${snap}`, 'vault status'],
    },
    {
      title: 'into a freshly initialised Vault (the cluster was lost and installed anew): restore with -force',
      notes: [
        "Initialise and unseal the new Vault first (`vault operator init`, `vault operator unseal`); its keys serve only until the restore. -force makes it take the snapshot's keyring: afterwards it is unsealed with the snapshot's unseal keys (the lost cluster's), and the lost cluster's tokens are valid again, while the new cluster's unseal keys and root token no longer are.",
      ],
      commands: [
        ...login,
        "vault login   # the new cluster's initial root token (prompted)",
        `vault operator raft snapshot restore -force ${snap}`,
        "vault status   # if Sealed is true: vault operator unseal, with the snapshot's unseal keys, once per key share",
      ],
    },
  ];
}

/** Options of the Redis restore. */
export interface RedisRestoreOptions {
  readonly host: string;
  readonly port: number;
  readonly rdbFile: string;
  readonly dataClaim: string;
}

/**
 * Redis loads its AOF and ignores dump.rdb whenever appendonly is yes; with appendonly yes
 * and no AOF it starts empty and writes an empty AOF. So an AOF found in the data folder is
 * moved aside, Redis starts once with appendonly no (loading the RDB), and AOF is turned back
 * on at run time, which writes a new AOF from the loaded data.
 *
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/#how-i-can-switch-to-aof-if-im-currently-using-dumprdb-snapshots
 */
export function redisRestore(o: RedisRestoreOptions, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  const data = POD_PATHS.data;
  const cli = `redis-cli -h ${o.host} -p ${o.port}`;
  return [
    stopApplication(
      ctx,
      'Redis',
      `Redis writes ${o.rdbFile} when it shuts down and at its save points, over the restored file, and the restore shell mounts its claim \`${o.dataClaim}\` read-write, which a ReadWriteOnce claim allows on one node only.`,
    ),
    restoreShell(ctx),
    {
      title: 'pick the newest RDB file and check it',
      commands: [`ls -1t ${dir}/*.rdb | head -n 3`, `rdb=${newest(`${dir}/*.rdb`)}`, `redis-check-rdb "$rdb"   # must end with: RDB looks OK!`],
    },
    {
      title: `replace ${o.rdbFile} with it, moving the old one and any AOF aside`,
      notes: [`If this moves an AOF aside (appendonlydir; appendonly.aof before Redis 7), Redis ran with appendonly yes and loads the AOF, ignoring ${o.rdbFile}: follow the AOF parts of the next two steps.`],
      commands: [
        'stamp=$(date -u +%Y%m%dT%H%M%SZ)',
        `if [ -e ${data}/${o.rdbFile} ]; then mv ${data}/${o.rdbFile} "${data}/${o.rdbFile}.before-restore-$stamp"; fi`,
        `for aof in ${data}/appendonlydir ${data}/appendonly.aof; do if [ -e "$aof" ]; then mv "$aof" "$aof.before-restore-$stamp"; echo "moved $aof aside: Redis ran with AOF"; fi; done`,
        // the backup copy is its dump user's only (0600); Redis, often another user, must read it
        `cp "$rdb" ${data}/${o.rdbFile}`,
        `chmod 0644 ${data}/${o.rdbFile}`,
      ],
    },
    startApplication(ctx, 'Redis', o.dataClaim, [
      'If an AOF was moved aside, start Redis this once with `appendonly no` (in redis.conf, the chart\'s values or `--appendonly no` in its arguments): with appendonly yes and no AOF it starts empty, ignores the restored file and overwrites it at its next save.',
    ]),
    {
      title: 'if an AOF was moved aside: write a new AOF from the restored data, then turn appendonly back on in the configuration',
      notes: paragraphs(
        `The first command starts \`${ctx.clientPod.name}\`, a shell in the job's image with ${describeSecretEnv(ctx.clientPod.secretEnv)} and no claim; the others run in it.`,
        `\`CONFIG SET appendonly yes\` makes Redis write a new AOF from the data it loaded, in the background: repeat the INFO line until it shows aof_rewrite_in_progress:0 and aof_rewrite_scheduled:0 with aof_last_bgrewrite_status:ok (on err, fix the cause, such as a full disk, and run \`${cli} BGREWRITEAOF\`). Then set appendonly yes in Redis's configuration again: from its next start it loads the new AOF.`,
      ),
      commands: [
        ctx.clientPod.command,
        `${cli} DBSIZE   # the restored keys`,
        `${cli} CONFIG SET appendonly yes`,
        `${cli} INFO persistence | grep -E '^aof_(enabled|rewrite_in_progress|rewrite_scheduled|last_bgrewrite_status):'`,
      ],
    },
  ];
}

/** Options of the SQLite restore. */
export interface SqliteRestoreOptions {
  readonly dataClaim: string;
  /** The database, relative to the claim. */
  readonly database: string;
}

/** The newest checked backup folder copied back over the stopped application's files. */
export function sqliteRestore(o: SqliteRestoreOptions, ctx: RestoreContext): RestoreStep[] {
  const dir = ctx.outDir;
  const data = POD_PATHS.data;
  const dbFile = o.database.split('/').pop()!;
  const dbDir = o.database.includes('/') ? `${o.database.slice(0, o.database.lastIndexOf('/'))}/` : '';
  return [
    stopApplication(
      ctx,
      'the application',
      `The restore shell mounts its claim \`${o.dataClaim}\` read-write, which a ReadWriteOnce claim allows on one node only, and a running application would write over the restored files.`,
    ),
    restoreShell(ctx),
    {
      title: 'pick the newest backup folder and check its database',
      commands: [`ls -1dt ${dir}/${ctx.jobId}-*/ | head -n 3`, `src="$(ls -1dt ${dir}/${ctx.jobId}-*/ | head -n 1)"`, `sqlite3 -readonly "$src/${dbFile}" 'PRAGMA integrity_check;'   # must say: ok`],
    },
    {
      title: `copy the database and its files back into claim ${o.dataClaim}, removing the old -wal and -shm files`,
      commands: [`rm -f ${data}/${o.database}-wal ${data}/${o.database}-shm`, `cp -pR "$src"/. ${data}/${dbDir}`],
    },
    startApplication(ctx, 'the application', o.dataClaim),
  ];
}

/** The command engine's artifacts: the stack's own command made them, so only picking one is generic. */
export function commandRestore(description: string, extension: string, ctx: RestoreContext): RestoreStep[] {
  return [restoreShell(ctx), { title: `pick the newest ${description}`, commands: [`ls -1t ${ctx.outDir}/${ctx.jobId}-*${extension} | head -n 3`] }];
}
