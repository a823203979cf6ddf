import type { ZodType } from 'zod';
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

const SECRET_FIELD = /pass(word|phrase)?|secret|token|private.?key|credential/i;

/** Renders any value for an error message, short enough to read. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
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
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue): Problem[] => {
    const path = issue.path as readonly PropertyKey[];
    if (issue.code === 'unrecognized_keys') return unknownOptions(schema, path, issue.keys, hints);
    const field = path.length > 0 ? path.map(String).join('.') : '(props)';
    const got = valueAt(props, path);
    // an error message must never carry a secret someone put where it does not belong
    const shown = SECRET_FIELD.test(field) ? 'a value (not shown: it may be a secret)' : describeValue(got);
    const expected = issue.code === 'invalid_type' && ZOD_TYPE_MESSAGE.test(issue.message) ? typeName(issue.expected) : undefined;
    const message = expected
      ? `${got === undefined ? 'required: ' : ''}expected ${expected}, got ${shown}`
      : `${lowerFirst(issue.message.replace(/^Invalid input: /, ''))}, got ${shown}`;
    const meant = issue.code === 'invalid_value' && typeof got === 'string' ? closestValue(got, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
    const hint = [hints[String(path[0] ?? field)], meant ? `did you mean ${meant}?` : undefined].filter(Boolean).join('; ');
    return [{ field, message, hint: hint || undefined }];
  });
  throw new BackupConfigError(constructPath, problems);
}

/** zod's own wording for a wrong type, which names the type it received: we show the value instead. */
const ZOD_TYPE_MESSAGE = /^Invalid input: expected \w+, received \w+$/;

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
