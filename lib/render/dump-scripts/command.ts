import { commitArtifact } from './script';
import { indentBlock } from '../shell';

/**
 * Any other dump: the stack's own command writes one file or folder to `$BC_OUT` (in the
 * run's work folder, `$BC_WORK`); an optional check of `$BC_OUT` must succeed; then the same
 * size floor, commit and rotation as every engine.
 */
export function commandBody(command: string, verify: string | undefined): string {
  return `BC_OUT="$bc_work/$(bc_name "$BC_EXT")"
BC_WORK="$bc_work"
export BC_OUT BC_WORK
bc_command() {
${indentBlock(command)}
}
bc_command
[ -e "$BC_OUT" ] || bc_fail "the command wrote nothing to $BC_OUT"
${verify ? `bc_verify() {\n${indentBlock(verify)}\n}\nbc_verify\n` : ''}${commitArtifact('$BC_OUT', '"$BC_OUT"', '"$BC_EXT"')}`;
}

