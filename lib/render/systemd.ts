/** `systemd-escape --path`: `/mnt/nas-backups` -> `mnt-nas\x2dbackups`. */
export function systemdEscapePath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/');
  if (trimmed === '') return '-';
  return trimmed
    .split('/')
    .map((part, n) =>
      [...Buffer.from(part, 'utf8')]
        .map((byte, i) => {
          const ch = String.fromCharCode(byte);
          // only a dot that would start the whole name is escaped
          if (/[A-Za-z0-9:_]/.test(ch) || (ch === '.' && (n > 0 || i > 0))) return ch;
          return `\\x${byte.toString(16).padStart(2, '0')}`;
        })
        .join(''),
    )
    .join('-');
}

/**
 * Renders a unit file from sections of `key=value` lines, keys in the given order. A `%` in a
 * value is written `%%`: systemd reads `%n`, `%h`... as specifiers and drops a setting with an
 * unknown one (a Description saying `100% done`).
 */
export function renderUnit(header: string, sections: readonly [string, readonly (readonly [string, string])[]][]): string {
  const body = sections.map(([name, entries]) => [`[${name}]`, ...entries.map(([k, v]) => `${k}=${v.replace(/%/g, '%%')}`)].join('\n')).join('\n\n');
  return `${header}${body}\n`;
}
