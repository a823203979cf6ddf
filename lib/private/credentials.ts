/**
 * Recognizes credentials written where only a reference belongs (a file on the host, a
 * Kubernetes Secret, a Vault path). Two strengths:
 *
 * - {@link credentialIn}: narrow shapes that are a credential whatever the field (a private
 *   key, `user:password@` in a URL, a webhook or Apprise URL whose path is its token, a token
 *   in a query string, `PASSWORD=value`, a password flag with its value). A string prop that
 *   matches is refused at construction, so it never reaches cdk.tf.json or the review tree.
 * - {@link mayBeSecret}: also anything that merely looks random (long, high entropy, a UUID
 *   such as a PBS token secret): only used to keep a value out of an error message, where
 *   hiding a harmless value costs nothing.
 */

/**
 * user:password@host as a whole value (a host, server or address field), not an image pinned
 * by digest (name:tag@sha256:...). The one shape that needs the whole value: a value with a
 * line break never has it.
 */
const WHOLE_VALUE_SHAPE: readonly [RegExp, string] = [/^(?!mailto:)[^\s\/@:]+:(?!\$)[^\s\/@]+@(?!sha(256|384|512):)[^\s\/@]+$/, 'user:password@host'];

const SHAPES: readonly (readonly [RegExp, string])[] = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|\bPRIVATE KEY-----/, 'a private key'],
  // scheme://user:password@host, unless the password is a shell reference ($VAR)
  [/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s\/@:'"]*:(?!\$)[^\s\/@'"]+@/, 'a URL with user:password@ in it'],
  WHOLE_VALUE_SHAPE,
  [/hooks\.slack\.com\/(services|workflows|triggers)\/|discord(app)?\.com\/api\/webhooks\/|api\.telegram\.org\/bot|webhook\.office\.com\/|outlook\.office(365)?\.com\/webhook|chat\.googleapis\.com\/v1\/spaces\/[^\s]*key=/i, 'a webhook URL, whose path is its token'],
  [/\b(tgram|slack|discord|msteams|pover|pbul|gotifys?|matrixs?|rocket|mmosts?|twilio|signal|ntfys?):\/\/\S/i, 'an Apprise URL, which carries its service credentials'],
  [/[?&](auth|token|access_token|private_token|api_?key|apikey|key|password|passwd|pass|secret|sig|signature)=[^&\s'"$]/i, 'a credential in a query string'],
  // NAME=value, but not a name that refers to one (VAULT_TOKEN_FILE, SSH_AUTH_SOCK,
  // BORG_PASSCOMMAND) nor a value that is a path or a shell reference
  [/\b[A-Z0-9_]*(PASSWORD|PASSPHRASE|PASSWD|_PASS|_PWD|_AUTH|TOKEN|SECRET|API_?KEY)(?![A-Z0-9_]*(FILE|PATH|DIR|COMMAND|CMD|SOCK|FD)\b)[A-Z0-9_]*\s*=\s*(?![\s'"]*[$\/])['"]?[^\s'"$]/, 'an assignment of a secret (NAME=value)'],
  // also after an underscore (db_password=) and mount.cifs's pass= and password2=; not inside a
  // word (bypass=, compass=)
  [/(?<![A-Za-z0-9])(password2?|passwd|passphrase|pass|token|secret|api_?key)\s*=\s*(?![\s'"]*[$\/])['"]?[^\s'"$]/i, 'an assignment of a secret (name=value)'],
  // --password=VALUE (a bare --password is a flag that prompts, as pg_dump's)
  [/(^|\s)--?(password|passwd|passphrase|token|secret)=(?!["']?[$\/])["']?[^\s"'$<-]/i, 'a password option with its value on a command line'],
  // mysql's -pPASS, within that command (up to a | ; or &), the mysql tool as the command word
  [/(^|[;&|(]\s*|\bexec\s+|\s)(mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mariadb|mariadb-dump)(?=\s)[^\n|;&]*\s-p(?!\s|["']?\$)[^\s"']/, 'a MySQL password on a command line (-pPASS)'],
  [/\bsshpass\s+-p/, 'sshpass -p (a password on a command line)'],
  [/\bcurl\b[^\n]*\s(-u|--user)[ =]+["']?[^\s:$"']+:(?!["']?\$)[^\s@"']+/, 'user:password for curl -u'],
];

const LINE_SHAPES = SHAPES.filter((s) => s !== WHOLE_VALUE_SHAPE);

/**
 * Results for lines already read. Scripts are rendered from a few templates, so most of
 * their lines recur in every script of a site: each distinct line is scanned once.
 */
const lineResults = new Map<string, string | undefined>();
const LINE_CACHE_LIMIT = 100_000;

/** What credential `value` holds, if it has a shape that is one whatever the field; otherwise undefined. */
export function credentialIn(value: string): string | undefined {
  // every shape needs one of these (most props are names and ids: checked once, not 12 times)
  if (!/[@=\/\s]/.test(value)) return undefined;
  if (!value.includes('\n')) return shapeOf(value, SHAPES);
  // A script or a file is read a line at a time: a credential is written on one line (a
  // `TOKEN=` with its value on the next line assigns nothing in a shell).
  for (const line of value.split('\n')) {
    const what = lineShape(line);
    if (what) return what;
  }
  return undefined;
}

function lineShape(line: string): string | undefined {
  if (lineResults.has(line)) return lineResults.get(line);
  const what = /[@=\/\s]/.test(line) ? shapeOf(line, LINE_SHAPES) : undefined;
  if (lineResults.size >= LINE_CACHE_LIMIT) lineResults.clear();
  lineResults.set(line, what);
  return what;
}

function shapeOf(value: string, shapes: typeof SHAPES): string | undefined {
  for (const [re, what] of shapes) if (re.test(value)) return what;
  return undefined;
}

/** True for a value an error message should not repeat: a credential shape, or anything that looks random. */
export function mayBeSecret(value: string): boolean {
  if (credentialIn(value) !== undefined) return true;
  if (/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(value)) return true;
  // user@realm!token:secret, user:password (a user name given with its password)
  if (/^[^\s:\/]*![^\s:\/]*:[^\s\/]+$|^[^\s:\/@]+:[^\s\/@]+@/.test(value)) return true;
  // a long run of upper and lower case letters and digits with high entropy (an API token), or a long hex string (a key)
  for (const word of value.split(/[^A-Za-z0-9+_-]+/)) {
    if (word.length >= 32 && /^[0-9a-f]+$/i.test(word) && /[0-9]/.test(word) && /[a-f]/i.test(word)) return true;
    if (word.length < 16 || ![/[a-z]/, /[A-Z]/, /[0-9]/].every((r) => r.test(word))) continue;
    if (entropy(word) >= 3.5) return true;
  }
  return false;
}

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

/**
 * Every string in a plain props tree (objects and arrays, not value objects or constructs)
 * that holds a credential, with its field path.
 */
export function credentialsInProps(props: unknown): { field: string; what: string; line?: number }[] {
  const found: { field: string; what: string; line?: number }[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: readonly string[]): void => {
    if (typeof v === 'string') {
      const what = credentialIn(v);
      if (what) {
        // in a script or a file, the line to look at (the value itself is never shown)
        const line = v.includes('\n') ? v.split('\n').findIndex((l) => lineShape(l) !== undefined) + 1 : 0;
        found.push({ field: path.length ? path.join('.') : '(props)', what, ...(line > 0 ? { line } : {}) });
      }
      return;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, String(i)]));
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return; // a value object or construct checks its own input
    for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(props, []);
  return found;
}

/** Setting names whose plain values would be credentials (`DB_PASSWORD`, `API_TOKEN`). */
const SECRET_SETTING_NAME = /PASS|TOKEN|SECRET|CREDENTIAL|PRIVATE|API_?KEY/i;

/**
 * The names of settings (shell variables a script is given) that would carry a credential in
 * plain text: named like one, unless the name and the value say where one is kept
 * (`PGPASSFILE=/root/.pgpass`). A bare value such as `hunter2` has no shape the credential
 * scan could see; its name gives it away.
 */
export function secretSettingNames(settings: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(settings)
    .filter(([name, value]) => SECRET_SETTING_NAME.test(name) && !(/(FILE|PATH|DIR)$/i.test(name) && typeof value === 'string' && value.startsWith('/')))
    .map(([name]) => name);
}
