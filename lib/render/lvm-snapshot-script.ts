import { generatedHeader, shellQuote } from './shell';
import { BC_PVC_MAP } from './pipeline-shell';

/** Snapshots are named `<origin>_snap_<YYYYmmddHHMM>`; the name is what pruning trusts. */
export const SNAPSHOT_INFIX = '_snap_';
/** A previous LV kept by a restore: `<lv>_pre_restore_<YYYYmmddHHMMSS>`. */
export const PRE_RESTORE_INFIX = '_pre_restore_';
/** A bash `case` glob for the 12-digit stamp (mawk has no `{12}` intervals). */
const STAMP_GLOB = '[0-9]'.repeat(12);

/**
 * `bc_prune_snapshots KEEP_SECONDS KEEP_AT_LEAST`: removes snapshots this library made (named
 * `<origin>_snap_<stamp>`, origin matching LV_GLOB) older than KEEP_SECONDS, but only while
 * KEEP_AT_LEAST newer snapshots of the same volume stay; leaves the counts in `bc_pruned`,
 * `bc_prune_failed` and `bc_prune_held`. Reads VG and LV_GLOB. Shared by the snapshot job and
 * the file backup's safety net.
 */
export const BC_PRUNE_SNAPSHOTS = `# Removes snapshots this job makes (<origin>${SNAPSHOT_INFIX}<YYYYmmddHHMM>, origin matching
# LV_GLOB) older than $1 seconds; never another LV. A volume that still exists keeps its
# newest $2 snapshots whatever their age: when snapshots stop being made (a failing lvcreate,
# a stopped timer, a clock jumped ahead) age alone would take the last ones within a week.
# Counts go to bc_pruned, bc_prune_failed and bc_prune_held.
bc_prune_snapshots() {
  local keep="$1" keep_at_least="$2" cutoff listing name origin base stamp live candidates previous newer
  bc_pruned=0
  bc_prune_failed=0
  bc_prune_held=0
  cutoff=$(date -d "@$(($(date +%s) - keep))" +%Y%m%d%H%M)
  listing=$(LC_ALL=C lvs --noheadings -o lv_name,origin "$VG")
  # every LV name, one per line between newlines, so a whole-line match finds a live volume
  live=$'\\n'$(awk '{ print $1 }' <<<"$listing")$'\\n'
  candidates=""
  while read -r name origin; do
    case "$name" in
      *${SNAPSHOT_INFIX}${STAMP_GLOB}) ;;
      *) continue ;;
    esac
    base="\${name%${SNAPSHOT_INFIX}*}"
    stamp="\${name##*${SNAPSHOT_INFIX}}"
    # shellcheck disable=SC2254 # LV_GLOB is a pattern on purpose
    case "$base" in
      $LV_GLOB) ;;
      *) continue ;;
    esac
    # ours by its name also when its origin was removed (a deleted PVC) or kept aside by a
    # restore (<origin>${PRE_RESTORE_INFIX}<stamp>): otherwise those would never age out
    case "$origin" in
      '' | "$base" | "$base"${PRE_RESTORE_INFIX}*) ;;
      *) continue ;;
    esac
    candidates+="$base $stamp $name"$'\\n'
  done <<<"$listing"
  # newest first within each volume, so the count of newer ones is the position in the group
  previous=""
  newer=0
  while read -r base stamp name; do
    [ -n "$name" ] || continue
    if [ "$base" != "$previous" ]; then
      previous="$base"
      newer=0
    fi
    if [[ "$stamp" < "$cutoff" ]]; then
      if [ "$newer" -lt "$keep_at_least" ] && [[ "$live" == *$'\\n'"$base"$'\\n'* ]]; then
        # a deleted volume gets no newer snapshots: only a live one's are held
        echo "kept $VG/$name past the retention: only $newer newer snapshot(s) of $base, and the newest $keep_at_least stay" >&2
        bc_prune_held=$((bc_prune_held + 1))
      elif lvremove -y "$VG/$name" >&2; then
        bc_pruned=$((bc_pruned + 1))
      else
        echo "could not remove snapshot $VG/$name" >&2
        bc_prune_failed=$((bc_prune_failed + 1))
      fi
    fi
    newer=$((newer + 1))
  done < <(LC_ALL=C sort -k1,1 -k2,2r <<<"$candidates")
}
`;

/** Settings of the snapshot job's script. */
export interface LvmSnapshotScriptOptions {
  /** Namespaces whose PVCs get no snapshot; empty means no Kubernetes lookup is needed. */
  readonly excludeNamespaces: readonly string[];
}

/** The snapshot job's body (run inside ScheduledHostJob's main). */
export function renderLvmSnapshotBody(o: LvmSnapshotScriptOptions): string {
  const lookup = o.excludeNamespaces.length > 0;
  return `${lookup ? BC_PVC_MAP : ''}${BC_PRUNE_SNAPSHOTS}
stamp=$(date +%Y%m%d%H%M)

# Thin pool usage first, reported at once: when snapshots fail it is usually because the
# pool is full, and that reading must reach the alert even if the run fails later.
pool=$(LC_ALL=C lvs --noheadings --nosuffix -o data_percent,metadata_percent "$VG/$THIN_POOL")
read -r data_pct meta_pct <<<"$pool" || true
# an empty answer would read as 0% used: a pool that is not one must not pass for an empty pool
if ! [[ "\${data_pct:-}" =~ ^[0-9]+(\.[0-9]+)?$ && "\${meta_pct:-}" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "could not read the usage of thin pool $VG/$THIN_POOL (lvs answered '$pool'): is THIN_POOL a thin pool of VG?" >&2
  exit 1
fi
data_free=$(awk -v p="$data_pct" 'BEGIN { printf "%.4f", (100 - p) / 100 }')
meta_free=$(awk -v p="$meta_pct" 'BEGIN { printf "%.4f", (100 - p) / 100 }')
echo "thin pool $VG/$THIN_POOL: data $data_pct% used, metadata $meta_pct% used"
bc_metric backup_lvm_thinpool_free_ratio "$data_free"
bc_metric backup_lvm_thinpool_metadata_free_ratio "$meta_free"
bc_report "" backup_lvm_thinpool_free_ratio "$data_free" backup_lvm_thinpool_metadata_free_ratio "$meta_free" ||
  echo "warning: could not report thin pool usage" >&2

${lookup ? `# PVCs of excluded namespaces (high-churn databases with their own dumps) get no snapshot.
pvc_map=$(bc_pvc_map)
` : ''}created=0
failed=0
excluded=0
low_space=0
if awk -v f="$data_free" -v m="$meta_free" -v min="$MIN_FREE_RATIO" 'BEGIN { exit !(f < min || m < min) }'; then
  # Every snapshot pins blocks the live volumes then rewrite: near a full pool, new snapshots
  # would speed up the moment every guest on it stops.
  echo "thin pool $VG/$THIN_POOL has less than $MIN_FREE_RATIO free: creating no snapshots, pruning only" >&2
  low_space=1
else
  lvs_out=$(LC_ALL=C lvs --noheadings -o lv_name,pool_lv,origin "$VG")
  while read -r lv pool_lv origin; do
    [ "$pool_lv" = "$THIN_POOL" ] || continue
    # Snapshots are not snapshotted, except the volume a restore put in place: a thin snapshot
    # of one of ours, and the PVC's live volume from then on.
    case "$origin" in
      '' | *${SNAPSHOT_INFIX}${STAMP_GLOB}) ;;
      *) continue ;;
    esac
    # shellcheck disable=SC2254 # LV_GLOB is a pattern on purpose
    case "$lv" in
      *${SNAPSHOT_INFIX}* | *${PRE_RESTORE_INFIX}*) continue ;;
      $LV_GLOB) ;;
      *) continue ;;
    esac
${lookup ? `    ns=$(awk -F '\\t' -v lv="$lv" '$1 == lv { print $2; exit }' <<<"$pvc_map")
    if [ -n "$ns" ] && [[ " $EXCLUDE_NAMESPACES " == *" $ns "* ]]; then
      excluded=$((excluded + 1))
      continue
    fi
` : ''}    if lvcreate -s -n "\${lv}${SNAPSHOT_INFIX}$stamp" "$VG/$lv" >&2; then
      created=$((created + 1))
    else
      echo "could not snapshot $VG/$lv" >&2
      failed=$((failed + 1))
    fi
  done <<<"$lvs_out"
fi

no_match=0
if [ "$low_space" -eq 0 ] && [ $((created + failed + excluded)) -eq 0 ]; then
  # a wrong VG, pool or pattern snapshots nothing, night after night, and would read as success
  echo "no volume of $VG on thin pool $THIN_POOL matches $LV_GLOB: nothing was snapshotted (check VG, THIN_POOL and the pattern)" >&2
  no_match=1
fi
if [ "$low_space" -eq 1 ]; then
  # a full thin pool freezes every guest and PVC in it: space first, so past the retention
  # even a volume's newest snapshots go (the run fails and LVMThinPoolLow pages)
  bc_prune_snapshots "$KEEP_SECONDS" 0
else
  bc_prune_snapshots "$KEEP_SECONDS" "$KEEP_AT_LEAST"
fi
echo "snapshots: $created created, $failed failed, $excluded excluded, $bc_pruned pruned, $bc_prune_failed could not be pruned, $bc_prune_held held past the retention"
bc_metric backup_lvm_snapshots_created "$created"
bc_metric backup_lvm_snapshots_failed "$failed"
bc_metric backup_lvm_snapshots_pruned "$bc_pruned"
if [ "$failed" -gt 0 ] || [ "$bc_prune_failed" -gt 0 ] || [ "$low_space" -eq 1 ] || [ "$no_match" -eq 1 ]; then
  exit 1
fi
`;
}

/** What the restore tool needs. */
export interface LvmRestoreToolOptions {
  readonly constructPath: string;
  readonly jobId: string;
  /** The snapshot job's script, run by `lvm-pvc-snapshot run`. */
  readonly jobScript: string;
  readonly volumeGroup: string;
  readonly kubeconfig: string;
}

/**
 * The operator's tool (seed 002's `lvm-pvc-snapshot restore <pvc-lv> <snapshot-lv>`): lists
 * snapshots, runs the job, and restores one: finds the PVC's workloads, scales them to zero,
 * keeps the current LV under a new name, puts a copy of the snapshot in its place and scales
 * the workloads back. Not a job: it reports no metrics, so a restore never counts as a run.
 */
export function renderLvmRestoreTool(o: LvmRestoreToolOptions): string {
  return `#!/bin/bash
${generatedHeader('#', o.constructPath, `${o.jobId}: list, run, or restore LVM thin snapshots of PVCs`)}set -euo pipefail

VG=\${VG:-${shellQuote(o.volumeGroup)}}
KUBECONFIG_FILE=\${KUBECONFIG_FILE:-${shellQuote(o.kubeconfig)}}
JOB_SCRIPT=\${JOB_SCRIPT:-${shellQuote(o.jobScript)}}
WAIT_TIMEOUT=\${WAIT_TIMEOUT:-300s}

usage() {
  cat >&2 <<'EOF'
usage: ${o.jobId} run                          take today's snapshots now (as the timer does)
       ${o.jobId} list [PVC-LV]                list snapshots, oldest first
       ${o.jobId} restore PVC-LV SNAPSHOT-LV   roll a PVC back to a snapshot
EOF
  exit 2
}

die() {
  echo "${o.jobId}: $*" >&2
  exit 1
}

kube() {
  kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"
}

${BC_PVC_MAP.replace(/kubectl --kubeconfig "\$KUBECONFIG_FILE"/, 'kube')}
cmd_list() {
  LC_ALL=C lvs --noheadings -o lv_name,origin,lv_time "$VG" |
    awk -v lv="\${1:-}" '$1 ~ /${SNAPSHOT_INFIX}/ && $2 != "" && (lv == "" || $2 == lv)' | sort
}

# Prints "kind/name" of each Deployment or StatefulSet whose pods mount claim $2 in namespace $1.
workloads_of() {
  local ns="$1" claim="$2" pod kind owner claims
  kube -n "$ns" get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.metadata.ownerReferences[0].kind}{"\\t"}{.metadata.ownerReferences[0].name}{"\\t"}{range .spec.volumes[*]}{.persistentVolumeClaim.claimName}{","}{end}{"\\n"}{end}' >"$work/pods"
  while IFS=$'\\t' read -r pod kind owner claims; do
    [[ ",$claims" == *",$claim,"* ]] || continue
    case "$kind" in
      ReplicaSet) echo "deployment/$(kube -n "$ns" get replicaset "$owner" -o jsonpath='{.metadata.ownerReferences[0].name}')" ;;
      StatefulSet) echo "statefulset/$owner" ;;
      *) die "pod $ns/$pod uses $claim but is not run by a Deployment or StatefulSet ($kind): stop it yourself, then retry" ;;
    esac
    echo "$pod" >>"$work/pods-to-stop"
  done <"$work/pods" | sort -u
}

scale_back() {
  local w replicas
  while read -r w replicas; do
    echo "scaling $ns/$w back to $replicas" >&2
    kube -n "$ns" scale "$w" --replicas="$replicas" || echo "could not scale $ns/$w back to $replicas: do it by hand" >&2
  done <"$work/scaled"
}

cmd_restore() {
  local lv="$1" snap="$2" origin line w replicas attr old
  origin=$(LC_ALL=C lvs --noheadings -o origin "$VG/$snap" | tr -d ' ')
  [ "$origin" = "$lv" ] || die "$VG/$snap is not a snapshot of $lv (its origin is \${origin:-none})"
  line=$(bc_pvc_map | awk -F '\\t' -v lv="$lv" '$1 == lv')
  [ -n "$line" ] || die "no PersistentVolume uses $lv"
  IFS=$'\\t' read -r _ ns claim <<<"$line"
  work=$(mktemp -d)
  : >"$work/scaled"
  : >"$work/pods-to-stop"
  workloads_of "$ns" "$claim" >"$work/workloads"
  # before the first scale-down: a later one that fails must not leave earlier ones at zero
  trap 'scale_back' EXIT
  while read -r w; do
    replicas=$(kube -n "$ns" get "$w" -o jsonpath='{.spec.replicas}')
    echo "$w \${replicas:-1}" >>"$work/scaled"
    echo "scaling $ns/$w to 0 (was \${replicas:-1})" >&2
    kube -n "$ns" scale "$w" --replicas=0
  done <"$work/workloads"
  while read -r pod; do
    kube -n "$ns" wait --for=delete "pod/$pod" --timeout="$WAIT_TIMEOUT"
  done <"$work/pods-to-stop"
  attr=$(LC_ALL=C lvs --noheadings -o lv_attr "$VG/$lv" | tr -d ' ')
  [ "\${attr:5:1}" != o ] || die "$VG/$lv is still open (attached to a VM?): detach it, then retry"
  old="\${lv}${PRE_RESTORE_INFIX}$(date +%Y%m%d%H%M%S)"
  lvrename "$VG" "$lv" "$old"
  if ! lvcreate -s -n "$lv" "$VG/$snap" || ! lvchange --setactivationskip n "$VG/$lv"; then
    lvremove -y "$VG/$lv" >/dev/null 2>&1 || true
    lvrename "$VG" "$old" "$lv"
    die "could not put $snap in place of $lv; $lv is unchanged"
  fi
  echo "restored $VG/$lv from $snap; the previous volume is kept as $VG/$old (lvremove it once the workload is verified)"
}

case "\${1:-}" in
  run) exec "$JOB_SCRIPT" ;;
  list) cmd_list "\${2:-}" ;;
  restore)
    [ "$#" -eq 3 ] || usage
    cmd_restore "$2" "$3"
    ;;
  *) usage ;;
esac
`;
}
