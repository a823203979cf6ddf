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
  /** LVs as `name pool origin` lines. */
  lvs(): string[];
  addLv(name: string, pool: string, origin?: string, attr?: string): void;
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

export function pipelineStandins(dir: string): PipelineStandins {
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

  // lvs [--noheadings] [--nosuffix] [--units b] -o FIELDS TARGET
  write(
    'lvs',
    `fields="" target=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -o) fields="$2"; shift 2 ;;
    --units) shift 2 ;;
    -*) shift ;;
    *) target="$1"; shift ;;
  esac
done
vg="\${target%%/*}"
lv=""
[ "$target" = "$vg" ] || lv="\${target#*/}"
if [ "$fields" = data_percent,metadata_percent ]; then
  echo "  $(cat '${state}/pool')"
  exit 0
fi
if [ -n "$lv" ] && ! awk -F '\\t' -v lv="$lv" '$1 == lv { found = 1 } END { exit !found }' '${lvTable}'; then
  echo "  Failed to find logical volume \\"$target\\"" >&2
  exit 5
fi
awk -F '\\t' -v fields="$fields" -v lv="$lv" '
  BEGIN { n = split(fields, f, ",") }
  lv == "" || $1 == lv {
    line = " "
    for (i = 1; i <= n; i++) {
      v = ""
      if (f[i] == "lv_name") v = $1
      else if (f[i] == "pool_lv") v = $2
      else if (f[i] == "origin") v = $3
      else if (f[i] == "lv_attr") v = $4
      else if (f[i] == "lv_time") v = "2026-01-01 00:00:00 +0000"
      line = line " " v
    }
    print line
  }' '${lvTable}'
`,
  );
  // lvcreate -s -n NAME VG/ORIGIN
  write(
    'lvcreate',
    `name="" src=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -n) name="$2"; shift 2 ;;
    -*) shift ;;
    *) src="$1"; shift ;;
  esac
done
origin="\${src#*/}"
if [ -n "\${FAIL_LVCREATE:-}" ] && [[ "$origin" == $FAIL_LVCREATE ]]; then
  echo "  Cannot create snapshot of $origin (stand-in failure)" >&2
  exit 5
fi
if awk -F '\\t' -v n="$name" '$1 == n { found = 1 } END { exit !found }' '${lvTable}'; then
  echo "  Logical volume $name already exists" >&2
  exit 5
fi
pool=$(awk -F '\\t' -v o="$origin" '$1 == o { print $2 }' '${lvTable}')
printf '%s\\t%s\\t%s\\t%s\\n' "$name" "$pool" "$origin" "Vwi---tz-k" >>'${lvTable}'
echo "  Logical volume \\"$name\\" created."
`,
  );
  write(
    'lvremove',
    `target="\${*: -1}"
name="\${target#*/}"
# thin snapshots outlive their origin, which LVM then shows as empty
awk -F '\\t' -v OFS='\\t' -v n="$name" '$1 != n { if ($3 == n) $3 = ""; print }' '${lvTable}' >'${lvTable}.new' && mv '${lvTable}.new' '${lvTable}'
echo "  Logical volume \\"$name\\" successfully removed."
`,
  );
  write(
    'lvrename',
    // as LVM shows it: the snapshots of a renamed volume name it as their origin from then on
    `awk -F '\\t' -v OFS='\\t' -v a="$2" -v b="$3" '$1 == a { $1 = b } $3 == a { $3 = b } { print }' '${lvTable}' >'${lvTable}.new' && mv '${lvTable}.new' '${lvTable}'
`,
  );
  write('lvchange', 'exit 0\n');
  // mount -o ro,noload DEVICE DIR: show the device's folder at DIR (a symlink stands for the
  // mount). A LUKS volume has no file system to mount; FAIL_MOUNT (a glob) makes a mount of a
  // matching device fail, SLOW_MOUNT (a glob) makes it take 30 seconds.
  write(
    'mount',
    `dev="\${*: -2:1}"
mnt="\${*: -1}"
if [ -n "\${SLOW_MOUNT:-}" ] && [[ "$dev" == $SLOW_MOUNT ]]; then sleep 30; fi
[ -d "$dev" ] || { echo "mount: $dev: special device does not exist" >&2; exit 32; }
if awk -F '\\t' -v d="$dev" '$1 == d { found = 1 } END { exit !found }' '${luksTable}'; then
  echo "mount: $mnt: wrong fs type, bad option, bad superblock on $dev (crypto_LUKS)" >&2
  exit 32
fi
if [ -n "\${FAIL_MOUNT:-}" ] && [[ "$dev" == $FAIL_MOUNT ]]; then
  echo "mount: $mnt: cannot mount $dev read-only (stand-in failure)" >&2
  exit 32
fi
rmdir "$mnt" && ln -s "$dev" "$mnt"
printf '%s\\t%s\\n' "$dev" "$mnt" >>'${mountTable}'
`,
  );
  write(
    'umount',
    `rm -f "$1"
awk -F '\\t' -v m="$1" '$2 != m' '${mountTable}' >'${mountTable}.new' && mv '${mountTable}.new' '${mountTable}'
`,
  );
  // blkid -p -o value -s TYPE DEVICE
  write(
    'blkid',
    `dev="\${*: -1}"
if awk -F '\\t' -v d="$dev" '$1 == d { found = 1 } END { exit !found }' '${luksTable}'; then
  echo crypto_LUKS
elif [ -d "$dev" ]; then
  echo ext4
else
  exit 2
fi
`,
  );
  // cryptsetup open [--readonly] --key-file FILE DEVICE NAME | close NAME | status NAME | isLuks DEVICE
  write(
    'cryptsetup',
    `key="" args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --key-file) key="$2"; shift 2 ;;
    -*) shift ;;
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
    pass=$(pass_of "$dev") || { echo "Device $dev is not a valid LUKS device." >&2; exit 1; }
    [ -n "$key" ] && [ "$(cat "$key")" = "$pass" ] || { echo "No key available with this passphrase." >&2; exit 2; }
    [ ! -e '${mapperDir}'/"$name" ] || { echo "Device $name already exists." >&2; exit 5; }
    ln -s "$dev" '${mapperDir}'/"$name"
    ;;
  close)
    name="\${args[1]}"
    [ -e '${mapperDir}'/"$name" ] || { echo "Device $name is not active." >&2; exit 4; }
    if awk -F '\\t' -v d='${mapperDir}'/"$name" '$1 == d { found = 1 } END { exit !found }' '${mountTable}'; then
      echo "Device $name is still in use." >&2
      exit 5
    fi
    rm -f '${mapperDir}'/"$name"
    ;;
  *) echo "cryptsetup stand-in: unknown action \${args[0]}" >&2; exit 1 ;;
esac
`,
  );
  write(
    'kubectl',
    `args="$*"
# FAIL_KUBECTL (a glob) makes a matching call fail, as an API server refusing it would
if [ -n "\${FAIL_KUBECTL:-}" ] && [[ "$args" == $FAIL_KUBECTL ]]; then
  echo "Error from server (stand-in failure): $args" >&2
  exit 1
fi
case "$args" in
  *" get pv "*)
    awk -F '\\t' '{ printf "pve/pve/local-lvm/%s\\t%s\\t%s\\n", $1, $2, $3 }' '${state}/pvs.tsv'
    exit 0
    ;;
esac
for f in '${state}'/kubectl-answer-*; do
  [ -e "$f" ] || continue
  match=$(head -n 1 "$f")
  if [[ "$args" == *"$match"* ]]; then
    tail -n +2 "$f"
    exit 0
  fi
done
exit 0
`,
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
    addLv: (name, pool, origin = '', attr = 'Vwi-a-tz--') => fs.appendFileSync(lvTable, `${name}\t${pool}\t${origin}\t${attr}\n`),
    setPool: (d, m) => fs.writeFileSync(path.join(state, 'pool'), `${d.toFixed(2)} ${m.toFixed(2)}\n`),
    setPvs: (pvs) => fs.writeFileSync(path.join(state, 'pvs.tsv'), pvs.map((p) => `${p.lv}\t${p.ns}\t${p.claim}\n`).join('')),
    kubectlAnswer: (match, output) => {
      const n = fs.readdirSync(state).filter((f) => f.startsWith('kubectl-answer-')).length;
      fs.writeFileSync(path.join(state, `kubectl-answer-${String(n).padStart(3, '0')}`), `${match}\n${output}`);
    },
    encrypt: (vg, lv, passphrase) => fs.appendFileSync(luksTable, `${path.join(devDir, vg, lv)}\t${passphrase}\n`),
    mappings: () => fs.readdirSync(mapperDir).sort(),
    mounts: () => fs.readFileSync(mountTable, 'utf8').split('\n').filter(Boolean).map((l) => l.replace('\t', ' ')),
  };
}

/** A stamp as the snapshot job writes it (`YYYYmmddHHMM`, local time like `date`). */
export function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}`;
}
