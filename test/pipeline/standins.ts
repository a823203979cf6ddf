import * as fs from 'fs';
import * as path from 'path';

/**
 * Stand-ins for the LVM, mount, blkid, cryptsetup, kubectl and ssh commands the host pipeline
 * calls. This sandbox has no device-mapper, so LVM thin pools and LUKS mappings cannot exist
 * here (Debian's lvm2 installs but cannot create them); the stand-ins keep a small table of
 * LVs in a file and answer `lvs` from it, so the scripts' own logic (which LVs, which names,
 * what is pruned) runs for real. A LUKS volume is a device folder listed in a table with its
 * passphrase: mounting it directly fails, as on a host; `cryptsetup open` with the right key
 * file links it under the mapper folder, where it mounts. Every call is appended to `calls.log`.
 */
export interface PipelineStandins {
  readonly bin: string;
  readonly state: string;
  /** Folder standing in for /dev: `<devDir>/<vg>/<lv>/` is the content a mount of that LV shows. */
  readonly devDir: string;
  /** Folder standing in for /dev/mapper: open LUKS mappings, by name. */
  readonly mapperDir: string;
  calls(): string[];
  /** LVs as `name pool origin` lines, in the order they were made. */
  lvs(): string[];
  /** Adds an LV; a snapshot (with an origin) is by default inactive with its activation skip flag set. */
  addLv(name: string, pool: string, origin?: string, attr?: string): void;
  /** An LV's lv_attr ([4] 'a' active, [5] 'o' open, [9] 'k' activation skipped). */
  attr(name: string): string | undefined;
  /** Names of the active LVs. */
  active(): string[];
  setPool(dataPercent: number, metaPercent: number): void;
  /** `kubectl get pv` answers with these LV -> namespace/claim lines. */
  setPvs(pvs: readonly { lv: string; ns: string; claim: string }[]): void;
  /** A canned answer for a kubectl command line containing `match`. */
  kubectlAnswer(match: string, output: string): void;
  /** Makes LV `vg/lv` a LUKS volume opened with `passphrase` (its folder is what it holds once opened). */
  encrypt(vg: string, lv: string, passphrase: string): void;
  /** Open LUKS mappings (names). */
  mappings(): string[];
  /** Mounts in place, as `device mountpoint` lines. */
  mounts(): string[];
}

export function pipelineStandins(dir: string, opts: { volumeGroup?: string } = {}): PipelineStandins {
  const vg = opts.volumeGroup ?? 'pve';
  const bin = path.join(dir, 'standin-bin');
  const state = path.join(dir, 'standin-state');
  const devDir = path.join(dir, 'dev');
  const mapperDir = path.join(dir, 'dev-mapper');
  const log = path.join(dir, 'calls.log');
  fs.mkdirSync(bin, { recursive: true });
  fs.mkdirSync(state, { recursive: true });
  fs.mkdirSync(devDir, { recursive: true });
  fs.mkdirSync(mapperDir, { recursive: true });
  const luksTable = path.join(state, 'luks.tsv');
  const mountTable = path.join(state, 'mounts.tsv');
  fs.writeFileSync(luksTable, '');
  fs.writeFileSync(mountTable, '');
  const lvTable = path.join(state, 'lvs.tsv');
  fs.writeFileSync(lvTable, '');
  fs.writeFileSync(path.join(state, 'pool'), '10.00 5.00\n');
  fs.writeFileSync(path.join(state, 'pvs.tsv'), '');
  const write = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >>'${log}'\n${body}`, { mode: 0o755 });

  // Shared by the LVM stand-ins: the volume group must be ours and named LVs must exist, as
  // with LVM itself, so a call naming the wrong volume group or volume fails here too.
  // lv_attr is LVM's: [4] 'a' active, [5] 'o' open, [9] 'k' activation skipped.
  const lvmLib = `vg_name='${vg}'
table='${lvTable}'
lvm_die() { echo "  $*" >&2; exit 5; }
# target VG or VG/LV: sets tvg and tlv; the VG must be ours
split_target() {
  tvg="\${1%%/*}" tlv=""
  [ "$1" = "$tvg" ] || tlv="\${1#*/}"
  [ "$tvg" = "$vg_name" ] || lvm_die "Volume group \\"$tvg\\" not found"
}
lv_exists() { awk -F '\\t' -v n="$1" '$1 == n { f = 1 } END { exit !f }' "$table"; }
lv_attr() { awk -F '\\t' -v n="$1" '$1 == n { print $4 }' "$table"; }
# set_attr_char LV INDEX CHAR
set_attr_char() {
  awk -F '\\t' -v OFS='\\t' -v n="$1" -v i="$2" -v c="$3" '$1 == n { $4 = substr($4, 1, i) c substr($4, i + 2) } { print }' "$table" >"$table.new" && mv "$table.new" "$table"
}
`;
  const writeLvm = (name: string, body: string) => write(name, `${lvmLib}${body}`);

  // lvs [--noheadings] [--nosuffix] [--units b] -o FIELDS VG|VG/LV: rows sorted by name, as LVM
  // prints them; an unknown field fails
  writeLvm(
    'lvs',
    `fields="" target=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -o) fields="$2"; shift 2 ;;
    --units) shift 2 ;;
    --noheadings | --nosuffix) shift ;;
    -*) echo "lvs stand-in: unsupported option $1" >&2; exit 3 ;;
    *) target="$1"; shift ;;
  esac
done
[ -n "$target" ] || { echo "lvs stand-in: no volume group named" >&2; exit 3; }
split_target "$target"
for f in \${fields//,/ }; do
  case "$f" in
    lv_name | pool_lv | origin | lv_attr | lv_time | data_percent | metadata_percent) ;;
    *) echo "  Unrecognised field: $f" >&2; exit 5 ;;
  esac
done
if [ -n "$tlv" ] && ! lv_exists "$tlv"; then
  echo "  Failed to find logical volume \\"$target\\"" >&2
  exit 5
fi
pool_usage=$(cat '${state}/pool')
LC_ALL=C sort -t "$(printf '\\t')" -k1,1 "$table" | awk -F '\\t' -v fields="$fields" -v lv="$tlv" -v usage="$pool_usage" '
  BEGIN { n = split(fields, f, ","); split(usage, u, " ") }
  lv == "" || $1 == lv {
    line = " "
    for (i = 1; i <= n; i++) {
      v = ""
      if (f[i] == "lv_name") v = $1
      else if (f[i] == "pool_lv") v = $2
      else if (f[i] == "origin") v = $3
      else if (f[i] == "lv_attr") v = $4
      else if (f[i] == "lv_time") v = "2026-01-01 00:00:00 +0000"
      # the usage of a thin pool (attr t...); that of a thin volume is not modelled
      else if (f[i] == "data_percent") v = (substr($4, 1, 1) == "t") ? u[1] : "0.00"
      else if (f[i] == "metadata_percent") v = (substr($4, 1, 1) == "t") ? u[2] : ""
      line = line " " v
    }
    print line
  }'
`,
  );
  // lvcreate -s -n NAME VG/ORIGIN: a thin snapshot, created inactive with its activation skip
  // flag set, as LVM makes one. Without -s, or with a size (which makes a thick snapshot
  // outside the thin pool), it fails.
  writeLvm(
    'lvcreate',
    `name="" src="" snapshot=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    -s | --snapshot) snapshot=1; shift ;;
    -n | --name) name="$2"; shift 2 ;;
    -L | --size | -l | --extents | -V | --virtualsize) echo "lvcreate stand-in: a sized snapshot is a thick one, outside the thin pool ($1)" >&2; exit 3 ;;
    -*) echo "lvcreate stand-in: unsupported option $1" >&2; exit 3 ;;
    *) src="$1"; shift ;;
  esac
done
[ "$snapshot" -eq 1 ] || { echo "  Please specify either size or extents." >&2; exit 3; }
[ -n "$name" ] || { echo "lvcreate stand-in: no -n NAME" >&2; exit 3; }
split_target "$src"
origin="$tlv"
lv_exists "$origin" || lvm_die "Failed to find logical volume \\"$src\\""
if [ -n "\${FAIL_LVCREATE:-}" ] && [[ "$origin" == $FAIL_LVCREATE ]]; then
  echo "  Cannot create snapshot of $origin (stand-in failure)" >&2
  exit 5
fi
lv_exists "$name" && lvm_die "Logical volume \\"$name\\" already exists in volume group \\"$vg_name\\""
pool=$(awk -F '\\t' -v o="$origin" '$1 == o { print $2 }' "$table")
printf '%s\\t%s\\t%s\\t%s\\n' "$name" "$pool" "$origin" "Vwi---tz-k" >>"$table"
# a snapshot holds what its origin held
if [ -d '${devDir}'/"$vg_name/$origin" ]; then cp -a '${devDir}'/"$vg_name/$origin" '${devDir}'/"$vg_name/$name"; fi
echo "  Logical volume \\"$name\\" created."
`,
  );
  // lvremove [-y|-f] VG/LV: an open volume cannot go, an active one only with -y or -f (no one
  // answers the question under systemd)
  writeLvm(
    'lvremove',
    `yes=0 targets=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -y | --yes | -f | --force) yes=1; shift ;;
    -*) echo "lvremove stand-in: unsupported option $1" >&2; exit 3 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ "\${#targets[@]}" -gt 0 ] || { echo "lvremove stand-in: nothing named" >&2; exit 3; }
for target in "\${targets[@]}"; do
  split_target "$target"
  name="$tlv"
  [ -n "$name" ] && lv_exists "$name" || lvm_die "Failed to find logical volume \\"$target\\""
  attr=$(lv_attr "$name")
  [ "\${attr:5:1}" != o ] || lvm_die "Logical volume $target contains a filesystem in use."
  if [ "\${attr:4:1}" = a ] && [ "$yes" -eq 0 ]; then
    lvm_die "Do you really want to remove active logical volume $target? [y/n]: [n]  Logical volume $name not removed."
  fi
  # thin snapshots outlive their origin, which LVM then shows as empty
  awk -F '\\t' -v OFS='\\t' -v n="$name" '$1 != n { if ($3 == n) $3 = ""; print }' "$table" >"$table.new" && mv "$table.new" "$table"
  echo "  Logical volume \\"$name\\" successfully removed."
done
`,
  );
  // lvrename VG OLD NEW (or VG/OLD [VG/]NEW). As LVM shows it: the snapshots of a renamed volume
  // name it as their origin from then on.
  writeLvm(
    'lvrename',
    `if [ "$#" -eq 3 ]; then
  split_target "$1"
  [ -z "$tlv" ] || { echo "lvrename stand-in: expected VG OLD NEW" >&2; exit 3; }
  a="$2" b="$3"
elif [ "$#" -eq 2 ]; then
  split_target "$1"
  a="$tlv" b="\${2#"$vg_name"/}"
else
  echo "lvrename stand-in: expected VG OLD NEW" >&2
  exit 3
fi
[ -n "$a" ] && lv_exists "$a" || lvm_die "Existing logical volume \\"$a\\" not found in volume group \\"$vg_name\\""
lv_exists "$b" && lvm_die "Logical volume \\"$b\\" already exists in volume group \\"$vg_name\\""
awk -F '\\t' -v OFS='\\t' -v a="$a" -v b="$b" '$1 == a { $1 = b } $3 == a { $3 = b } { print }' "$table" >"$table.new" && mv "$table.new" "$table"
if [ -d '${devDir}'/"$vg_name/$a" ]; then mv '${devDir}'/"$vg_name/$a" '${devDir}'/"$vg_name/$b"; fi
echo "  Renamed \\"$a\\" to \\"$b\\" in volume group \\"$vg_name\\""
`,
  );
  // lvchange -ay [-K] | -an | --setactivationskip y|n  VG/LV. As LVM does: -ay without -K
  // leaves a volume whose activation skip flag is set (every thin snapshot) inactive, and says
  // nothing; -an of an open volume fails.
  writeLvm(
    'lvchange',
    `activate="" ignore_skip=0 setskip="" target=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -ay | -aay) activate=y; shift ;;
    -an) activate=n; shift ;;
    -a | --activate) activate="\${2#a}"; shift 2 ;;
    -K | --ignoreactivationskip) ignore_skip=1; shift ;;
    -k | --setactivationskip) setskip="$2"; shift 2 ;;
    -*) echo "lvchange stand-in: unsupported option $1" >&2; exit 3 ;;
    *) target="$1"; shift ;;
  esac
done
split_target "$target"
name="$tlv"
[ -n "$name" ] && lv_exists "$name" || lvm_die "Failed to find logical volume \\"$target\\""
case "$setskip" in
  y) set_attr_char "$name" 9 k ;;
  n) set_attr_char "$name" 9 - ;;
  '') ;;
  *) echo "lvchange stand-in: --setactivationskip y|n" >&2; exit 3 ;;
esac
attr=$(lv_attr "$name")
case "$activate" in
  y)
    if [ "\${attr:9:1}" = k ] && [ "$ignore_skip" -eq 0 ]; then exit 0; fi
    set_attr_char "$name" 4 a
    ;;
  n)
    [ "\${attr:5:1}" != o ] || lvm_die "Logical volume $target in use."
    set_attr_char "$name" 4 -
    ;;
esac
`,
  );
  // A device under devDir stands for an LV: it exists only while the LV is active, and a mount
  // or an open LUKS mapping marks the LV open (lv_attr [5] 'o'), as device-mapper does.
  const devLib = `${lvmLib}
# lv_of DEVICE: sets dlv to the LV a device under devDir stands for (empty for another device)
lv_of() {
  dlv=""
  case "$1" in
    '${devDir}'/"$vg_name"/*) dlv="\${1#'${devDir}'/"$vg_name"/}" ;;
  esac
}
# a device node exists only for an active LV
device_exists() {
  lv_of "$1"
  if [ -n "$dlv" ]; then
    lv_exists "$dlv" && [ "$(lv_attr "$dlv" | cut -c5)" = a ] && [ -d "$1" ]
  else
    [ -e "$1" ]
  fi
}
`;
  // mount [-o OPTIONS] DEVICE DIR: shows the device's folder at DIR (a symlink stands for the
  // mount) and records the options. A LUKS volume has no file system to mount; FAIL_MOUNT (a
  // glob) makes a mount of a matching device fail, SLOW_MOUNT (a glob) makes it take 30 seconds.
  write(
    'mount',
    `${devLib}options=""
while [ "$#" -gt 2 ]; do
  case "$1" in
    -o) options="$2"; shift 2 ;;
    *) echo "mount stand-in: unsupported option $1" >&2; exit 1 ;;
  esac
done
dev="$1"
mnt="$2"
if [ -n "\${SLOW_MOUNT:-}" ] && [[ "$dev" == $SLOW_MOUNT ]]; then sleep 30; fi
device_exists "$dev" || { echo "mount: $mnt: special device $dev does not exist." >&2; exit 32; }
if awk -F '\\t' -v d="$dev" '$1 == d { found = 1 } END { exit !found }' '${luksTable}'; then
  echo "mount: $mnt: wrong fs type, bad option, bad superblock on $dev (crypto_LUKS)" >&2
  exit 32
fi
if [ -n "\${FAIL_MOUNT:-}" ] && [[ "$dev" == $FAIL_MOUNT ]]; then
  echo "mount: $mnt: cannot mount $dev read-only (stand-in failure)" >&2
  exit 32
fi
[ -d "$mnt" ] || { echo "mount: $mnt: mount point does not exist." >&2; exit 32; }
rmdir "$mnt" && ln -s "$dev" "$mnt"
printf '%s\\t%s\\t%s\\n' "$dev" "$mnt" "$options" >>'${mountTable}'
lv_of "$dev"
[ -z "$dlv" ] || set_attr_char "$dlv" 5 o
`,
  );
  write(
    'umount',
    `${devLib}mnt="$1"
dev=$(awk -F '\\t' -v m="$mnt" '$2 == m { print $1 }' '${mountTable}')
[ -n "$dev" ] || { echo "umount: $mnt: not mounted." >&2; exit 32; }
rm -f "$mnt"
awk -F '\\t' -v m="$mnt" '$2 != m' '${mountTable}' >'${mountTable}.new' && mv '${mountTable}.new' '${mountTable}'
lv_of "$dev"
[ -z "$dlv" ] || set_attr_char "$dlv" 5 -
`,
  );
  // blkid -p -o value -s TYPE DEVICE
  write(
    'blkid',
    `${devLib}dev="\${*: -1}"
device_exists "$dev" || exit 2
if awk -F '\\t' -v d="$dev" '$1 == d { found = 1 } END { exit !found }' '${luksTable}'; then
  echo crypto_LUKS
else
  echo ext4
fi
`,
  );
  // cryptsetup open [--readonly] --key-file FILE DEVICE NAME | close NAME | status NAME | isLuks DEVICE
  write(
    'cryptsetup',
    `${devLib}key="" args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --key-file) key="$2"; shift 2 ;;
    --readonly) shift ;;
    -*) echo "cryptsetup stand-in: unsupported option $1" >&2; exit 1 ;;
    *) args+=("$1"); shift ;;
  esac
done
pass_of() { awk -F '\\t' -v d="$1" '$1 == d { print $2; found = 1 } END { exit !found }' '${luksTable}'; }
case "\${args[0]}" in
  isLuks) pass_of "\${args[1]}" >/dev/null ;;
  status)
    if [ -e '${mapperDir}'/"\${args[1]}" ]; then echo "/dev/mapper/\${args[1]} is active."; else echo "/dev/mapper/\${args[1]} is inactive."; exit 4; fi
    ;;
  open)
    dev="\${args[1]}" name="\${args[2]}"
    device_exists "$dev" || { echo "Device $dev does not exist or access denied." >&2; exit 4; }
    pass=$(pass_of "$dev") || { echo "Device $dev is not a valid LUKS device." >&2; exit 1; }
    [ -n "$key" ] && [ "$(cat "$key")" = "$pass" ] || { echo "No key available with this passphrase." >&2; exit 2; }
    [ ! -e '${mapperDir}'/"$name" ] || { echo "Device $name already exists." >&2; exit 5; }
    ln -s "$dev" '${mapperDir}'/"$name"
    lv_of "$dev"
    [ -z "$dlv" ] || set_attr_char "$dlv" 5 o
    ;;
  close)
    name="\${args[1]}"
    [ -e '${mapperDir}'/"$name" ] || { echo "Device $name is not active." >&2; exit 4; }
    if awk -F '\\t' -v d='${mapperDir}'/"$name" '$1 == d { found = 1 } END { exit !found }' '${mountTable}'; then
      echo "Device $name is still in use." >&2
      exit 5
    fi
    lv_of "$(readlink '${mapperDir}'/"$name")"
    rm -f '${mapperDir}'/"$name"
    [ -z "$dlv" ] || set_attr_char "$dlv" 5 -
    ;;
  *) echo "cryptsetup stand-in: unknown action \${args[0]}" >&2; exit 1 ;;
esac
`,
  );
  // kubectl: every call must name the kubeconfig (root on the host has none of its own).
  // `get pv -o jsonpath=...` is answered by evaluating the script's own template over
  // PersistentVolume objects built from setPvs (Proxmox CSI volumes, plus an NFS one without a
  // CSI handle), so a template naming the wrong fields, or in the wrong order, prints what
  // kubectl would. Other calls get the canned answers of kubectlAnswer (empty otherwise).
  fs.writeFileSync(
    path.join(bin, 'kubectl'),
    `#!${process.execPath}
${kubectlStandin.toString()}
kubectlStandin(${JSON.stringify({ log, state })});
`,
    { mode: 0o755 },
  );
  return {
    bin,
    state,
    devDir,
    mapperDir,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
    lvs: () =>
      fs
        .readFileSync(lvTable, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').slice(0, 3).join(' ').trim()),
    // a snapshot is inactive with its activation skip flag set, as lvcreate -s leaves it
    addLv: (name, pool, origin = '', attr = origin ? 'Vwi---tz-k' : 'Vwi-a-tz--') => fs.appendFileSync(lvTable, `${name}\t${pool}\t${origin}\t${attr}\n`),
    attr: (name) => fs.readFileSync(lvTable, 'utf8').split('\n').map((l) => l.split('\t')).find((f) => f[0] === name)?.[3],
    active: () =>
      fs
        .readFileSync(lvTable, 'utf8')
        .split('\n')
        .map((l) => l.split('\t'))
        .filter((f) => f[3]?.[4] === 'a')
        .map((f) => f[0]),
    setPool: (d, m) => fs.writeFileSync(path.join(state, 'pool'), `${d.toFixed(2)} ${m.toFixed(2)}\n`),
    setPvs: (pvs) => fs.writeFileSync(path.join(state, 'pvs.tsv'), pvs.map((p) => `${p.lv}\t${p.ns}\t${p.claim}\n`).join('')),
    kubectlAnswer: (match, output) => {
      const n = fs.readdirSync(state).filter((f) => f.startsWith('kubectl-answer-')).length;
      fs.writeFileSync(path.join(state, `kubectl-answer-${String(n).padStart(3, '0')}`), `${match}\n${output}`);
    },
    encrypt: (vg, lv, passphrase) => fs.appendFileSync(luksTable, `${path.join(devDir, vg, lv)}\t${passphrase}\n`),
    mappings: () => fs.readdirSync(mapperDir).sort(),
    mounts: () => fs.readFileSync(mountTable, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 2).join(' ')),
  };
}

/** A stamp as the snapshot job writes it (`YYYYmmddHHMM`, local time like `date`). */
export function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}`;
}

/**
 * The kubectl stand-in's program (run by node, so the jsonpath templates are evaluated as
 * kubectl does: `{range}`/`{end}`, `{.a.b[0]}`, `[*]`, `{"\t"}` literals, missing fields empty).
 * Self-contained: its source is written into the stand-in.
 */
function kubectlStandin(o: { log: string; state: string }): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require('fs') as typeof import('fs');
  const path = require('path') as typeof import('path');
  const args = process.argv.slice(2);
  const line = args.join(' ');
  fs.appendFileSync(o.log, `kubectl ${line}\n`);
  const fail = (msg: string, code = 1): never => {
    process.stderr.write(`${msg}\n`);
    process.exit(code);
  };
  const glob = process.env.FAIL_KUBECTL;
  const globRe = (g: string) => new RegExp(`^${g.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');
  // FAIL_KUBECTL (a glob) makes a matching call fail, as an API server refusing it would
  if (glob && globRe(glob).test(line)) fail(`Error from server (stand-in failure): ${line}`);
  const k = args.indexOf('--kubeconfig');
  if (k < 0 || !args[k + 1]) fail('error: no configuration has been provided, try setting KUBERNETES_MASTER environment variable (stand-in: --kubeconfig is required)');
  const rest = args.filter((_, i) => i !== k && i !== k + 1);
  if (rest[0] === 'get' && rest[1] === 'pv') {
    const oi = rest.findIndex((a) => a === '-o' || a === '--output');
    const format = oi >= 0 ? rest[oi + 1] : rest.find((a) => a.startsWith('-o=') || a.startsWith('--output='))?.replace(/^[^=]*=/, '');
    if (!format?.startsWith('jsonpath=')) fail(`kubectl stand-in: get pv answers -o jsonpath=... only, got ${format}`, 2);
    const pvs = fs
      .readFileSync(path.join(o.state, 'pvs.tsv'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    const items: unknown[] = pvs.map(([lv, ns, claim]) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pvc-${ns}-${claim}` },
      spec: { csi: { driver: 'csi.proxmox.sinextra.dev', volumeHandle: `pve/pve/local-lvm/${lv}`, fsType: 'ext4' }, claimRef: { kind: 'PersistentVolumeClaim', namespace: ns, name: claim }, storageClassName: 'proxmox-lvm' },
    }));
    items.push({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'media-nfs' }, spec: { nfs: { server: '192.0.2.20', path: '/srv/nfs/media' }, claimRef: { kind: 'PersistentVolumeClaim', namespace: 'media', name: 'media' } } });
    const template = format!.slice('jsonpath='.length);
    type Token = { text: string } | { expr: string };
    const tokens: Token[] = [];
    for (let i = 0; i < template.length; ) {
      if (template[i] === '{') {
        const j = template.indexOf('}', i);
        if (j < 0) fail(`error: error parsing jsonpath ${template}, unclosed action`);
        tokens.push({ expr: template.slice(i + 1, j).trim() });
        i = j + 1;
      } else {
        const j = template.indexOf('{', i);
        const e = j < 0 ? template.length : j;
        tokens.push({ text: template.slice(i, e) });
        i = e;
      }
    }
    const resolve = (root: unknown, expr: string): unknown[] => {
      let cur: unknown[] = [root];
      for (const part of expr.replace(/^\./, '').match(/[^.[\]]+|\[[^\]]*\]/g) ?? []) {
        const next: unknown[] = [];
        for (const c of cur as any[]) {
          if (c == null) continue;
          if (part === '[*]') {
            if (Array.isArray(c)) next.push(...c);
          } else if (/^\[\d+\]$/.test(part)) {
            if (c[Number(part.slice(1, -1))] !== undefined) next.push(c[Number(part.slice(1, -1))]);
          } else if (c[part] !== undefined) next.push(c[part]);
        }
        cur = next;
      }
      return cur;
    };
    const render = (ts: Token[], ctx: unknown): string => {
      let out = '';
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i];
        if ('text' in t) {
          out += t.text;
        } else if (t.expr.startsWith('range ')) {
          let depth = 1;
          let j = i + 1;
          for (; j < ts.length; j++) {
            const x = ts[j];
            if ('expr' in x && x.expr.startsWith('range ')) depth++;
            else if ('expr' in x && x.expr === 'end' && --depth === 0) break;
          }
          if (j >= ts.length) fail(`error: error parsing jsonpath ${template}, not all ranges are ended`);
          for (const item of resolve(ctx, t.expr.slice(6).trim())) out += render(ts.slice(i + 1, j), item);
          i = j;
        } else if (t.expr.startsWith('"')) {
          out += JSON.parse(t.expr);
        } else {
          out += resolve(ctx, t.expr)
            .map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
            .join(' ');
        }
      }
      return out;
    };
    process.stdout.write(render(tokens, { apiVersion: 'v1', kind: 'List', items }));
    process.exit(0);
  }
  for (const f of fs.readdirSync(o.state).filter((n) => n.startsWith('kubectl-answer-')).sort()) {
    const [match, ...answer] = fs.readFileSync(path.join(o.state, f), 'utf8').split('\n');
    if (line.includes(match)) {
      process.stdout.write(answer.join('\n'));
      process.exit(0);
    }
  }
  process.exit(0);
}
