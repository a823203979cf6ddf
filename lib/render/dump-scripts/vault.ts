import { BackupMetric } from '../../metrics';

/**
 * `vault operator raft snapshot save` (VAULT_ADDR, and VAULT_TOKEN from a Secret). The
 * snapshot is a gzip'd tar of meta.json, state.bin and SHA256SUMS; it is unpacked and the
 * sums checked, which is what `vault operator raft snapshot restore` checks first.
 */
export function vaultBody(): string {
  return `snap="$bc_work/$(bc_name .snap)"
vault operator raft snapshot save "$snap" </dev/null
mkdir "$bc_work/check"
tar -xzf "$snap" -C "$bc_work/check"
for part in meta.json state.bin SHA256SUMS; do
  [ -f "$bc_work/check/$part" ] || bc_fail "the snapshot has no $part"
done
(cd "$bc_work/check" && sha256sum -c SHA256SUMS >/dev/null) || bc_fail "the snapshot's SHA256SUMS do not match its contents"
bytes=$(bc_bytes "$snap")
bc_floor_bytes 'the snapshot' "$bytes"
bc_commit "$snap" "$BC_OUT_DIR/$(bc_name .snap)"
bc_rotate "$BC_OUT_DIR" .snap
bc_metric ${BackupMetric.lastSize} "$bytes"
`;
}
