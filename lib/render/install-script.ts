import { createHash } from 'crypto';
import type { HostFileRecord } from '../model/types';
import { shellQuote } from './shell';

/**
 * The removal of one thing a plan applies (a Proxmox entry, a mount). `entry` names the thing,
 * not the construct: the thing's ownership marker is keyed by it, so a construct that is moved
 * or renamed, or whose removal commands change between versions, keeps its entries.
 */
export interface Removal {
  /** Unique on the host: `pve-storage:<id>`, `pve-backup-job:<id>`, `pbs-prune-job:<id>`, `unit:<name>`. */
  readonly entry: string;
  /** Shell lines that remove it; a no-op when it is gone already. */
  readonly lines: readonly string[];
}

/** Everything one construct installs on one host. */
export interface InstallPlan {
  readonly files: readonly HostFileRecord[];
  /** Units to `systemctl enable --now` after the files are in place. */
  readonly enableUnits: readonly string[];
  /** Shell lines run after install (e.g. `pvesh create ...`, mounting). */
  readonly postInstall: readonly string[];
  /** Removals of named entries, run before the files go, each while this version owns it. */
  readonly removals: readonly Removal[];
  /** Other shell lines run on removal before the files go, owned as one by their text. */
  readonly preRemove: readonly string[];
  /** The construct path the plan belongs to (names the owner marker of its commands). */
  readonly owner: string;
}

/**
 * Where each installed thing records which resource version owns it. A replaced resource is
 * created before the old one is destroyed; the old one's removal then finds the new owner's
 * hash and leaves the thing alone, so replacing never removes what the new version installed
 * and a failed replacement never leaves a host empty.
 */
export const OWNERS_DIRECTORY = '/var/lib/backup-constructs/owners';

/** Marker name for a path, or for a construct's commands (`cmd:<construct path>`). */
export function ownerKey(what: string): string {
  return sha256(what).slice(0, 32);
}

/** Where on the host paths are rooted and which stand-in commands come first on PATH. */
export interface InstallTarget {
  /** @default '/' */
  readonly installRoot?: string;
  /** @default - the host's PATH */
  readonly extraPath?: string;
  /**
   * The site (Terraform stack) the plan belongs to: names the folder its removal scripts are
   * kept in on the host, so the sweep of one site never runs another site's removals.
   * @default - none: the removal script is not kept on the host
   */
  readonly site?: string;
  /**
   * Where the plan comes in the host's order of removal (0 first installed, removed last: a
   * storage before the jobs writing to it). @default 0
   */
  readonly depth?: number;
}

/**
 * Where each install keeps its removal script on the host (`<site>/<depth>-<hash>`).
 *
 * Terraform runs destroy-time provisioners only on `terraform destroy` of a resource still in
 * the configuration: not for the old version a create-before-destroy replacement leaves behind
 * (deposed), and not for a resource removed from the program. The host's sweep (see
 * {@link renderSweepScript}) runs the kept removal of every version no longer in the program.
 */
export const REMOVALS_DIRECTORY = '/var/lib/backup-constructs/removals';

/** SHA-256 in hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A plan's install and removal scripts and the hash that marks what they own. */
export interface PlanScripts {
  readonly installScript: string;
  readonly removeScript: string;
  /**
   * One hash over the plan and both scripts as this version of the library writes them, so an
   * unchanged plan does nothing on apply. The scripts are part of it: when only their wording
   * changes (a library upgrade), Terraform replaces the resource by creating the new version
   * first, and the old removal must not find its own hash on what the new install just took
   * over, or it would remove everything.
   */
  readonly hash: string;
}

/** Stands for the hash while the scripts are rendered, so the hash can cover them. */
const HASH_PLACEHOLDER = '@@backup-constructs-plan-hash@@';
/** Where the install keeps its removal (right after taking the lock), filled in once the removal is rendered. */
const KEEP_PLACEHOLDER = '@@backup-constructs-keep-removal@@\n';

/** The scripts and hash of a plan, rendered once per plan and target. */
export function planScripts(plan: InstallPlan, target: InstallTarget = {}): PlanScripts {
  const key = `${target.installRoot ?? '/'}\u0000${target.extraPath ?? ''}\u0000${target.site ?? ''}\u0000${target.depth ?? 0}`;
  let byTarget = rendered.get(plan);
  if (!byTarget) rendered.set(plan, (byTarget = new Map()));
  let scripts = byTarget.get(key);
  if (!scripts) {
    const install = installScriptWith(plan, target, HASH_PLACEHOLDER);
    const remove = removeScriptWith(plan, target, HASH_PLACEHOLDER);
    const hash = sha256(`${JSON.stringify(plan)}\u0000${install}\u0000${remove}`);
    const removeScript = remove.replace(HASH_PLACEHOLDER, hash);
    // Kept first, before anything is taken over: an install that fails halfway is tainted and
    // Terraform never runs its removal, so only the kept one can remove what it took over
    // (the sweep runs it once the version is no longer in the program; it removes only what
    // that version still owns).
    const keep = target.site === undefined ? '' : keepRemovalLines(target.site, target.depth ?? 0, removeScript).join('\n') + '\n';
    scripts = { installScript: install.replace(HASH_PLACEHOLDER, hash).replace(KEEP_PLACEHOLDER, () => keep), removeScript, hash };
    byTarget.set(key, scripts);
  }
  return scripts;
}

const rendered = new WeakMap<InstallPlan, Map<string, PlanScripts>>();

/** The kept removal's file name: sorts by depth, so the sweep removes the deepest first. */
function keptRemovalName(depth: number, hash: string): string {
  return `${String(depth).padStart(2, '0')}-${hash}`;
}

function removalsFolder(site: string): string {
  return `"$R"${shellQuote(`${REMOVALS_DIRECTORY}/${site}`)}`;
}

function keepRemovalLines(site: string, depth: number, removeScript: string): string[] {
  const dir = removalsFolder(site);
  const file = `${dir}/${keptRemovalName(depth, '$H')}`;
  return [
    `mkdir -p ${dir}`,
    `printf %s ${Buffer.from(removeScript, 'utf8').toString('base64')} | base64 -d >${file}.bc-new.$$`,
    `mv -f ${file}.bc-new.$$ ${file}`,
  ];
}

/**
 * The sweep of one site on one host, run after every install of the host: runs the kept
 * removal of each version that is no longer in the program (a replaced version, a removed or
 * renamed construct, one moved to another host), deepest first (jobs before the storage they
 * write to). Each removal only removes what its version still owns, so what a newer version
 * took over stays.
 */
export function renderSweepScript(site: string, keepHashes: readonly string[], target: InstallTarget = {}): string {
  const root = (target.installRoot ?? '/').replace(/\/+$/, '');
  const lines = ['#!/bin/sh', 'set -eu', `R=${shellQuote(root)}`];
  if (target.extraPath) lines.push(`PATH=${shellQuote(target.extraPath)}:"$PATH"`, 'export PATH');
  const dir = removalsFolder(site);
  lines.push(
    `D=${dir}`,
    '[ -d "$D" ] || exit 0',
    `KEEP=' ${[...keepHashes].sort().join(' ')} '`,
    // names are <depth>-<hash> (no blanks) and a glob sorts them: prepending reverses the
    // order, deepest first
    'ORDER=',
    'for p in "$D"/*; do',
    '  [ -e "$p" ] || continue',
    '  ORDER="${p##*/} $ORDER"',
    'done',
    'for f in $ORDER; do',
    '  case "$f" in *.bc-new.*) rm -f "$D/$f"; continue ;; esac',
    '  case "$KEEP" in *" ${f#*-} "*) continue ;; esac',
    '  echo "removing what $f installed: it is no longer in the program"',
    '  if ! sh "$D/$f"; then',
    // a removal that keeps failing would block every later apply on this host
    '    echo "the removal of what $f installed failed: fix the cause and apply again, or delete $D/$f to skip it and remove what it installed by hand" >&2',
    '    exit 1',
    '  fi',
    '  rm -f "$D/$f"',
    'done',
    'rmdir "$D" 2>/dev/null || true',
  );
  return lines.join('\n') + '\n';
}

/** The hash of {@link planScripts}. */
export function planHash(plan: InstallPlan, target: InstallTarget = {}): string {
  return planScripts(plan, target).hash;
}

/** The marker lines around a managed block in a shared file such as /etc/fstab. */
export function blockMarkers(constructPath: string): { begin: string; end: string } {
  return { begin: `# BEGIN backup-constructs ${constructPath}`, end: `# END backup-constructs ${constructPath}` };
}

/** Where install and removal scripts take the host's install lock (under the install root). */
const INSTALL_LOCK_DIRECTORY = '/run/lock/backup-constructs';
/** How long a script waits for another install on the host (a slow apply of Proxmox settings). */
const INSTALL_LOCK_WAIT_SECONDS = 600;

function prologue(hash: string, target: InstallTarget): string[] {
  const root = (target.installRoot ?? '/').replace(/\/+$/, '');
  const lines = ['#!/bin/sh', 'set -eu', `R=${shellQuote(root)}`];
  if (target.extraPath) lines.push(`PATH=${shellQuote(target.extraPath)}:"$PATH"`, 'export PATH');
  // Terraform runs the resources of a host in parallel: without one lock per host, two
  // installs splicing blocks into /etc/fstab lose one, and a removal reading an owner marker
  // while a new version writes it removes what was just installed. The script runs itself
  // again under flock, which holds the lock in its own process (-o): a daemon some install
  // step starts in the background does not inherit it and block every later apply.
  const busy = `another backup-constructs install or removal on this host held $L/install.lock for ${INSTALL_LOCK_WAIT_SECONDS}s; run the apply again once it is done`;
  lines.push(
    `L="$R"${INSTALL_LOCK_DIRECTORY}`,
    'if [ "${BC_HOST_LOCK:-}" != "$L" ]; then',
    '  mkdir -p "$L"',
    '  first=',
    '  if [ -f "$0" ]; then IFS= read -r first <"$0" || true; fi',
    "  if [ \"$first\" = '#!/bin/sh' ]; then",
    '    rc=0',
    `    BC_HOST_LOCK="$L" flock -w ${INSTALL_LOCK_WAIT_SECONDS} -E 75 -o "$L/install.lock" /bin/sh "$0" || rc=$?`,
    `    [ "$rc" -ne 75 ] || echo "${busy}" >&2`,
    '    exit "$rc"',
    '  fi',
    // run from a string (sh -c), not a file as Terraform runs it: the lock on a descriptor
    '  exec 9>"$L/install.lock"',
    `  flock -w ${INSTALL_LOCK_WAIT_SECONDS} -E 75 9 || { echo "${busy}" >&2; exit 75; }`,
    'fi',
    `H=${hash}`,
    `O="$R"${OWNERS_DIRECTORY}`,
  );
  return lines;
}

function fileKey(f: HostFileRecord): string {
  return ownerKey(f.kind === 'block' ? `block:${f.path}#${f.constructPath}` : `file:${f.path}`);
}

/**
 * The marker earlier versions kept for all of a plan's commands, keyed by the construct path.
 * Still written, so the removal script of a resource installed by an earlier version (kept in
 * Terraform state) finds the new owner's hash and leaves the entries alone; no longer read.
 */
function legacyCommandsKey(plan: InstallPlan): string {
  return ownerKey(`cmd:${plan.owner}`);
}

/**
 * The plan's removals, each with its own marker keyed by the entry it removes rather than by
 * the construct path: a construct that is moved or renamed, or an entry another construct
 * takes over, keeps the entry's key, so the old resource's removal finds the new owner's hash
 * and leaves the entry alone, while an entry the new version dropped (another job id) keeps
 * the old hash and is removed. Plain `preRemove` lines are one statement, owned by their text.
 */
function removalStatements(plan: InstallPlan): { key: string; lines: readonly string[] }[] {
  const named = plan.removals.map((r) => ({ key: entryKey(r.entry), lines: r.lines }));
  return plan.preRemove.length ? [...named, { key: ownerKey(`remove:${plan.preRemove.join('\n')}`), lines: plan.preRemove }] : named;
}

function entryKey(entry: string): string {
  return ownerKey(`entry:${entry}`);
}

/**
 * An enabled unit's marker: the entry `unit:<name>`, the same one a removal of that unit
 * claims (an NfsMount's fstab style stops `unit:<x>.mount`, its mount-unit style enables it),
 * so switching between the two hands the unit over instead of stopping it.
 */
export function unitEntry(unit: string): string {
  return `unit:${unit}`;
}

function unitKey(unit: string): string {
  return entryKey(unitEntry(unit));
}

function hasCommands(plan: InstallPlan): boolean {
  return plan.postInstall.length > 0 || plan.removals.length > 0 || plan.preRemove.length > 0 || plan.enableUnits.length > 0;
}

const DAEMON_RELOAD_SUFFIXES = ['.service', '.timer', '.mount', '.automount', '.path', '.socket'];

function touchesSystemd(plan: InstallPlan): boolean {
  return plan.files.some((f) => DAEMON_RELOAD_SUFFIXES.some((s) => f.path.endsWith(s)) || f.path === '/etc/fstab');
}

/**
 * The install script: every file written atomically (temporary file in the same folder,
 * then rename), managed blocks spliced into shared files, units reloaded and enabled.
 * File contents travel base64-encoded so no byte of them is ever read by a shell or by
 * Terraform's `${}` interpolation.
 */
export function renderInstallScript(plan: InstallPlan, target: InstallTarget = {}): string {
  return planScripts(plan, target).installScript;
}

function installScriptWith(plan: InstallPlan, target: InstallTarget, hash: string): string {
  const lines = prologue(hash, target);
  lines.push(KEEP_PLACEHOLDER.trimEnd());
  lines.push('own() {', '  mkdir -p "$O"', '  printf %s "$H" >"$O/$1"', '}');
  if (plan.files.some((f) => f.kind === 'file')) {
    lines.push(
      'install_file() {',
      '  mkdir -p "$(dirname "$R$1")"',
      '  tmp="$R$1.bc-new.$$"',
      '  printf %s "$4" | base64 -d >"$tmp"',
      '  chmod "$2" "$tmp"',
      '  chown "$3" "$tmp"',
      '  mv -f "$tmp" "$R$1"',
      '}',
    );
  }
  if (plan.files.some((f) => f.kind === 'block')) {
    lines.push(
      'install_block() {',
      '  mkdir -p "$(dirname "$R$1")"',
      '  [ -e "$R$1" ] || : >"$R$1"',
      '  tmp="$R$1.bc-new.$$"',
      '  awk -v b="$2" -v e="$3" \'$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip\' "$R$1" >"$tmp"',
      '  printf %s "$4" | base64 -d >>"$tmp"',
      '  chmod --reference="$R$1" "$tmp"',
      '  chown --reference="$R$1" "$tmp"',
      '  mv -f "$tmp" "$R$1"',
      '}',
    );
  }
  for (const f of plan.files) {
    const b64 = Buffer.from(f.content, 'utf8').toString('base64');
    if (f.kind === 'file') {
      lines.push(`install_file ${shellQuote(f.path)} ${f.mode} ${shellQuote(f.owner)} ${b64}`);
    } else {
      const m = blockMarkers(f.constructPath);
      lines.push(`install_block ${shellQuote(f.path)} ${shellQuote(m.begin)} ${shellQuote(m.end)} ${b64}`);
    }
    lines.push(`own ${fileKey(f)}`);
  }
  if (touchesSystemd(plan)) lines.push('systemctl daemon-reload');
  for (const unit of plan.enableUnits) lines.push(`systemctl enable --now ${shellQuote(unit)}`, `own ${unitKey(unit)}`);
  lines.push(...plan.postInstall);
  for (const s of removalStatements(plan)) lines.push(`own ${s.key}`);
  if (hasCommands(plan)) lines.push(`own ${legacyCommandsKey(plan)}`);
  return lines.join('\n') + '\n';
}

/**
 * The removal script: runs the plan's pre-removal statements, disables its units, removes
 * exactly the files and blocks it installed and nothing else; each only while this version
 * still owns it (a newer version, or another construct, may have taken it over).
 */
export function renderRemoveScript(plan: InstallPlan, target: InstallTarget = {}): string {
  return planScripts(plan, target).removeScript;
}

function removeScriptWith(plan: InstallPlan, target: InstallTarget, hash: string): string {
  const lines = prologue(hash, target);
  lines.push('mine() {', '  [ "$(cat "$O/$1" 2>/dev/null)" = "$H" ]', '}');
  // each entry and unit only while this version still owns it (see removalStatements)
  for (const s of removalStatements(plan)) {
    lines.push(`if mine ${s.key}; then`, ...s.lines.map((l) => `  ${l}`), `  rm -f "$O/${s.key}"`, 'fi');
  }
  for (const unit of plan.enableUnits) {
    const key = unitKey(unit);
    // A unit removed by hand must not block the rest of the clean-up.
    lines.push(`if mine ${key}; then`, `  systemctl disable --now ${shellQuote(unit)} || echo "warning: could not disable ${unit}" >&2`, `  rm -f "$O/${key}"`, 'fi');
  }
  if (hasCommands(plan)) {
    const key = legacyCommandsKey(plan);
    lines.push(`if mine ${key}; then`, `  rm -f "$O/${key}"`, 'fi');
  }
  for (const f of plan.files) {
    const key = fileKey(f);
    const p = shellQuote(f.path);
    lines.push(`if mine ${key}; then`);
    if (f.kind === 'file') {
      lines.push(`  rm -f "$R"${p}`);
    } else {
      const m = blockMarkers(f.constructPath);
      lines.push(
        `  if [ -e "$R"${p} ]; then`,
        `    awk -v b=${shellQuote(m.begin)} -v e=${shellQuote(m.end)} '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$R"${p} >"$R"${p}.bc-new.$$`,
        `    chmod --reference="$R"${p} "$R"${p}.bc-new.$$`,
        `    mv -f "$R"${p}.bc-new.$$ "$R"${p}`,
        '  fi',
      );
    }
    lines.push(`  rm -f "$O/${key}"`, 'fi');
  }
  if (touchesSystemd(plan)) lines.push('systemctl daemon-reload');
  if (target.site !== undefined) {
    const dir = removalsFolder(target.site);
    lines.push(`rm -f ${dir}/${keptRemovalName(target.depth ?? 0, '$H')}`, `rmdir ${dir} 2>/dev/null || true`);
  }
  // leave no empty marker folder behind once the last owner is gone
  lines.push('rmdir "$O" 2>/dev/null || true');
  return lines.join('\n') + '\n';
}
