/** One piece of an application's backup on a Docker host, as the script renderer sees it. */
export type AppBackupPartSpec =
  | {
      readonly kind: 'postgres';
      /** Names the output file (`<name>.sql.gz`) and the settings (`<NAME>_CONTAINER`). */
      readonly name: string;
      readonly container: string;
      readonly database: string;
      readonly user: string;
    }
  | { readonly kind: 'directory'; readonly name: string; readonly path: string }
  | { readonly kind: 'gitea'; readonly name: string; readonly container: string; readonly user: string; readonly config: string };

/** `media-files` -> `MEDIA_FILES`. */
export function partVariable(name: string, field: string): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_${field}`;
}

/** The file a part writes into each run's folder. */
export function partFile(p: AppBackupPartSpec): string {
  return p.kind === 'postgres' ? `${p.name}.sql.gz` : `${p.name}.tar.gz`;
}

/** Settings of an app backup script; each can be overridden from the environment (tests do). */
export function appBackupSettings(destination: string, keep: number, parts: readonly AppBackupPartSpec[]): Record<string, string> {
  const out: Record<string, string> = { DEST: destination, KEEP: String(keep) };
  for (const p of parts) {
    if (p.kind === 'postgres') {
      out[partVariable(p.name, 'CONTAINER')] = p.container;
      out[partVariable(p.name, 'DATABASE')] = p.database;
      out[partVariable(p.name, 'USER')] = p.user;
    } else if (p.kind === 'directory') {
      out[partVariable(p.name, 'PATH')] = p.path;
    } else {
      out[partVariable(p.name, 'CONTAINER')] = p.container;
      out[partVariable(p.name, 'USER')] = p.user;
      out[partVariable(p.name, 'CONFIG')] = p.config;
    }
  }
  return out;
}

function partBody(p: AppBackupPartSpec): string {
  const v = (field: string) => `$${partVariable(p.name, field)}`;
  const file = `"$work/${partFile(p)}"`;
  switch (p.kind) {
    case 'postgres':
      return `echo "dumping PostgreSQL database ${v('DATABASE')} from container ${v('CONTAINER')}"
docker exec "${v('CONTAINER')}" pg_dump --username="${v('USER')}" --dbname="${v('DATABASE')}" --clean --if-exists >"$work/${p.name}.sql"
# pg_dump writes this line at the very end: a dump without it was cut short
trailer=$(tail -n 8 "$work/${p.name}.sql")
if ! grep -q '^-- PostgreSQL database dump complete' <<<"$trailer"; then
  echo "the dump of ${v('DATABASE')} is incomplete: pg_dump's closing line is missing" >&2
  exit 1
fi
gzip "$work/${p.name}.sql"`;
    case 'directory':
      return `if [ ! -d "${v('PATH')}" ]; then
  echo "${v('PATH')} does not exist: an empty archive would look like a backup" >&2
  exit 66
fi
echo "archiving ${v('PATH')}"
tar -C "${v('PATH')}" -czf ${file} .
gzip -t ${file}`;
    case 'gitea':
      return `echo "running gitea dump in container ${v('CONTAINER')}"
docker exec --user "${v('USER')}" "${v('CONTAINER')}" gitea dump -c "${v('CONFIG')}" --type tar.gz --file - >${file}
gzip -t ${file}
# a dump without the database or the configuration is not a backup of Gitea
listing=$(tar -tzf ${file})
for need in 'app\\.ini' 'gitea-db\\.sql'; do
  if ! grep -Eq "^(\\./)?$need\$" <<<"$listing"; then
    echo "the gitea dump has no \${need//\\\\/}: refusing it" >&2
    exit 1
  fi
done`;
  }
}

/**
 * The work of an app backup: each part into a hidden `.<stamp>.partial` folder (never
 * mistaken for a backup), checked (pg_dump's closing line, gzip integrity, gitea dump's
 * contents), checksummed, then renamed to `<stamp>` in one step; the newest `KEEP` run
 * folders are kept, and only folders named like a run are ever removed.
 */
export function renderAppBackupBody(parts: readonly AppBackupPartSpec[]): string {
  return `umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DEST"
# a run that was killed leaves its partial folder: it never counts, and goes now
find "$DEST" -mindepth 1 -maxdepth 1 -type d -name '.*.partial' -exec rm -rf -- {} +
if [ -e "$DEST/$stamp" ]; then
  echo "$DEST/$stamp exists already: another run this second" >&2
  exit 75
fi
work="$DEST/.$stamp.partial"
mkdir "$work"

${parts.map(partBody).join('\n\n')}

(cd "$work" && sha256sum -- * >SHA256SUMS)
mv -T "$work" "$DEST/$stamp"
work=""
size=$(du -sb "$DEST/$stamp" | cut -f1)
bc_metric backup_last_size_bytes "$size"
echo "backup $DEST/$stamp complete ($size bytes)"

# Rotation: only folders named like a run of this job, newest first.
mapfile -t runs < <(find "$DEST" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9]{8}T[0-9]{6}Z' -printf '%f\\n' | LC_ALL=C sort -r)
# A run stamped later than this one means the clock was wrong then or is wrong now. By name,
# those runs would be kept and this one removed; which runs are really the newest is unknown,
# so nothing is removed, and the run fails so that someone looks.
if [[ "\${runs[0]}" != "$stamp" ]]; then
  echo "not rotating: run \${runs[0]} is stamped later than this run ($stamp); the clock was wrong then or is wrong now. Check the clock, then rename or remove the runs stamped in the future" >&2
  exit 1
fi
for old in "\${runs[@]:$KEEP}"; do
  rm -rf -- "\${DEST:?}/$old"
  echo "removed $DEST/$old (keeping the newest $KEEP)"
done`;
}

/** Removes the partial folder of a run that did not finish. */
export function renderAppBackupCleanup(): string {
  return `if [ -n "\${work:-}" ] && [ -d "$work" ]; then
  rm -rf -- "$work"
fi`;
}
