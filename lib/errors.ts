import type { ZodType } from 'zod';
import { credentialsInProps, mayBeSecret } from './private/credentials';
import { hintOfIssue } from './private/zod-helpers';
import { closestName, closestValue, knownKeysAt } from './private/zod-issues';

/** One problem with a construct's input: where, which field, what was expected and how to fix it. */
export interface Problem {
  readonly field: string;
  readonly message: string;
  readonly hint?: string;
}

/**
 * A synth-time configuration error that lists every problem of one construct at once.
 *
 * Messages follow `[site/construct/path] field: expected …, got …` so a user can find the
 * line in their stack without reading a stack trace.
 */
export class BackupConfigError extends Error {
  public readonly problems: readonly Problem[];
  public readonly constructPath: string;

  constructor(constructPath: string, problems: readonly Problem[]) {
    super(formatProblems(constructPath, problems));
    this.name = 'BackupConfigError';
    this.problems = problems;
    this.constructPath = constructPath;
  }
}

/** Renders problems as `[path] field: message (hint: …)`, one per line. */
export function formatProblems(constructPath: string, problems: readonly Problem[]): string {
  return problems
    .map((p) => `[${constructPath}] ${p.field}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`)
    .join('\n');
}

/**
 * Fields whose value an error never repeats: named like a secret, or a reference to one (a
 * key file, an environment file, a kubeconfig) where the secret itself is the likely mistake.
 */
const SECRET_FIELD = /pass(word|phrase)?|secret|token|private.?key|credential|key|pwd?\b|auth|kubeconfig|env(ironment)?.?file|fingerprint/i;

/** What an error says instead of a value that may be a secret. */
export const NOT_SHOWN = 'a value (not shown: it may be a secret)';

/**
 * Renders any value for an error message, short enough to read; a value shaped like a
 * credential (a private key, user:password@, a webhook URL, a random-looking token) is not
 * repeated, whichever field it was given in.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return mayBeSecret(value) ? NOT_SHOWN : JSON.stringify(value);
  // JSON.stringify writes NaN and Infinity as null, which reads as if nothing had been given
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const object = describeObject(value);
  if (object !== undefined) return object;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // a cycle: some object of another library
    return `a ${className(value) ?? 'value'} that cannot be shown`;
  }
  if (text === undefined) return String(value);
  if (mayBeSecret(text)) return NOT_SHOWN;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function className(value: unknown): string | undefined {
  const name = (value as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' && name !== 'Array' ? name : undefined;
}

/**
 * A construct by its class and path (`Host site/Nas`: a Host given where a PveHost belongs),
 * a value object by its class and its own words (`Duration 1 day`); undefined for plain data.
 */
function describeObject(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const cls = className(value);
  if (cls === undefined) return undefined;
  const node = (value as { node?: { path?: unknown } }).node;
  if (node && typeof node.path === 'string') return `${cls} ${node.path}`;
  const human = (value as { toHumanString?: unknown }).toHumanString;
  if (typeof human === 'function') {
    const text = String((human as () => unknown).call(value));
    return mayBeSecret(text) ? `a ${cls}` : `${cls} ${text}`;
  }
  return undefined;
}

/** A user-name field (`user`, `username`, `databases.0.username`), by its last segment. */
const USER_FIELD = /(^|\.)[A-Za-z]*user(name)?$/i;

/**
 * {@link describeValue}, and never the value of a field named like a secret or a reference to
 * one, nor a user name with more after a `:` or a blank (`backup@pbs:hunter2`, `admin
 * hunter2`): the password typed beside it is the likely mistake.
 */
export function describeField(field: string, value: unknown): string {
  if (value === undefined) return describeValue(value);
  if (SECRET_FIELD.test(field)) return NOT_SHOWN;
  if (USER_FIELD.test(field) && typeof value === 'string' && /[:\s]/.test(value.trim())) return NOT_SHOWN;
  return describeValue(value);
}

/**
 * One problem per string prop that holds a credential (see `credentialIn`): whatever the
 * field, such a value would be written into cdk.tf.json and the review tree.
 */
export function credentialProblems(props: unknown, prefix = ''): Problem[] {
  return credentialsInProps(props).map(({ field, what, line }) => ({
    field: prefix ? `${prefix}.${field}` : field,
    message: `expected no credential in the program, got ${what}${line ? ` on line ${line}` : ''} (value not shown): it would be written into cdk.tf.json and the review tree`,
    hint: 'keep the secret in a root-only file on the host, a Kubernetes Secret (SecretRef.fromSecret) or Vault, and give its path or reference',
  }));
}

/**
 * Validates props against a zod schema and throws one BackupConfigError listing every problem.
 *
 * @param hints field name (top-level prop) to the fix a user most likely needs
 */
export function checkProps<T>(
  constructPath: string,
  schema: ZodType<T>,
  props: unknown,
  hints: Readonly<Record<string, string>> = {},
): T {
  const result = schema.safeParse(props);
  const credentials = credentialProblems(props);
  if (result.success && credentials.length === 0) return result.data;
  if (result.success) throw new BackupConfigError(constructPath, credentials);
  const unknownKeys = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
  const problems = result.error.issues.flatMap((issue): Problem[] => {
    const path = issue.path as readonly PropertyKey[];
    if (issue.code === 'unrecognized_keys') return unknownOptions(schema, path, issue.keys, hints);
    const field = path.length > 0 ? path.map(String).join('.') : '(props)';
    if (issue.code === 'invalid_key') {
      // zod says only "Invalid key in record": the key's own check says what was expected
      const key = path[path.length - 1];
      const expected = issue.issues.map((i) => lowerFirst(i.message.replace(/^Invalid input: /, ''))).join('; ');
      const hint = hints[String(path[0] ?? field)];
      return [{ field, message: `${expected || 'expected another key'}, got key ${describeValue(String(key))}`, hint }];
    }
    const got = valueAt(props, path);
    // an error message must never carry a secret someone put where it does not belong
    const shown = describeField(field, got);
    const expected = issue.code === 'invalid_type' && ZOD_TYPE_MESSAGE.test(issue.message) ? `expected ${typeName(issue.expected)}` : lowerFirst(issue.message.replace(/^Invalid input: /, ''));
    // whatever check refused it (a type, an enum, an instanceOf, a union, a "required for X"
    // refinement), a field given no value reads the same: required
    const missing = got === undefined && path.length > 0;
    const message = missing ? `required: ${expected.replace(/^invalid option: /, '')}, got nothing` : `${expected}, got ${shown}`;
    // a hint built from the value would repeat what the message just hid
    const hidden = shown === NOT_SHOWN;
    const meant = !hidden && issue.code === 'invalid_value' && typeof got === 'string' ? closestValue(got, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
    const hint = [
      hints[String(path[0] ?? field)],
      meant ? `did you mean ${meant}?` : undefined,
      missing ? misspeltAs(schema, path, unknownKeys) : hidden ? undefined : hintOfIssue(issue) ?? typeHint(issue, got),
    ]
      .filter((h): h is string => Boolean(h) && !(hidden && containsValue(h!, got)))
      .join('; ');
    return [{ field, message, hint: hint || undefined }];
  });
  throw new BackupConfigError(constructPath, [...problems, ...credentials.filter((c) => !problems.some((p) => p.field === c.field))]);
}

/** Whether a hint repeats a hidden value, or a word of it (a hint built from the props). */
function containsValue(hint: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return value.split(/[^A-Za-z0-9+_-]+/).some((word) => word.length >= 4 && hint.includes(word));
}

/** zod's own wording for a wrong type, which names the type it received: we show the value instead. */
const ZOD_TYPE_MESSAGE = /^Invalid input: expected \w+, received \w+$/;

/** The fix for a value of the wrong type that is plainly meant as the right one: `'22'` for 22. */
function typeHint(issue: { code: string; expected?: unknown }, got: unknown): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.expected === 'number' && typeof got === 'string' && got.trim() !== '' && Number.isFinite(Number(got))) return `write the number without quotes: ${Number(got)}`;
  if (issue.expected === 'boolean' && typeof got === 'string' && /^(true|false)$/i.test(got.trim())) return `write ${got.trim().toLowerCase()} without quotes`;
  if (issue.expected === 'array' && got !== undefined && got !== null) return 'write it as a list, even of one item: [ ... ]';
  return undefined;
}

function typeName(zodType: string): string {
  const names: Record<string, string> = { string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', array: 'a list', object: 'an object', bigint: 'a bigint', date: 'a Date' };
  return names[zodType] ?? zodType;
}

/**
 * One problem per option the schema does not know, with the option most likely meant (a
 * misspelling) or else every option it accepts there, so the fix needs no trip to the docs.
 */
function unknownOptions(schema: ZodType<unknown>, path: readonly PropertyKey[], keys: readonly string[], hints: Readonly<Record<string, string>>): Problem[] {
  const known = knownKeysAt(schema, path);
  return keys.map((key) => {
    const field = [...path.map(String), key].join('.');
    const meant = closestName(key, known);
    const suggestion = meant ? `did you mean ${meant}?` : known.length ? `known options here: ${known.join(', ')}` : undefined;
    const hint = [hints[String(path[0] ?? key)], suggestion].filter(Boolean).join('; ');
    return { field, message: 'not a known option', hint: hint || undefined };
  });
}

/**
 * For a missing field, the unknown option given beside it that most likely meant it (`storag`
 * for `storage`), as a hint to rename it; the unknown option gets its own line too.
 */
function misspeltAs(schema: ZodType<unknown>, path: readonly PropertyKey[], unknownKeys: readonly { path: readonly PropertyKey[]; keys: readonly string[] }[]): string | undefined {
  const parent = path.slice(0, -1).map(String).join('.');
  const name = String(path[path.length - 1]);
  const known = knownKeysAt(schema, path.slice(0, -1));
  const given = unknownKeys.filter((u) => u.path.map(String).join('.') === parent).flatMap((u) => u.keys).find((k) => closestName(k, known) === name);
  return given ? `${given} is given instead: rename it to ${name}` : undefined;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0].toLowerCase() + s.slice(1) : s;
}

/** Collects problems while checking, then throws them together. */
export class ProblemList {
  private readonly items: Problem[] = [];

  add(field: string, message: string, hint?: string): void {
    this.items.push({ field, message, hint });
  }

  get problems(): readonly Problem[] {
    return this.items;
  }

  throwIfAny(constructPath: string): void {
    if (this.items.length > 0) throw new BackupConfigError(constructPath, this.items);
  }
}

/**
 * Runs `fn` and re-throws a value object's error under the construct's path and field, so
 * `Schedule`'s complaint reads `[home/P0Job] schedule.timeZone: ...`.
 */
export function withinField<T>(constructPath: string, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BackupConfigError) {
      throw new BackupConfigError(constructPath, e.problems.map((p) => ({ ...p, field: `${field}.${p.field}` })));
    }
    throw e;
  }
}

/**
 * Refuses options a factory does not know (`tokenfile` for `tokenFile`), naming the one meant:
 * a misspelt option would otherwise be dropped without a word, and its default used instead
 * (an ntfy topic written to with no token, rules deployed to the wrong namespace).
 *
 * @param owner how the error names the factory, e.g. `StatusNotify.ntfy`
 */
export function checkOptions(owner: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new BackupConfigError(owner, [{ field: 'options', message: `expected an object of options (${known.join(', ')}), got ${describeValue(options)}` }]);
  }
  const problems = Object.keys(options)
    .filter((k) => !known.includes(k))
    .map((k): Problem => {
      const meant = closestName(k, known);
      return { field: k, message: `expected one of the options ${known.join(', ')}, got an unknown one`, hint: meant ? `did you mean ${meant}?` : undefined };
    });
  if (problems.length) throw new BackupConfigError(owner, problems);
}
