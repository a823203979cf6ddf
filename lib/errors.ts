import type { ZodType } from 'zod';

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
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : fieldOfUnknownKey(issue);
    const got = valueAt(props, issue.path as readonly PropertyKey[]);
    const base = issue.message.replace(/^Invalid input: /, '');
    // an error message must never carry a secret someone put where it does not belong
    const shown = () => (SECRET_FIELD.test(field) ? 'a value (not shown: it may be a secret)' : describeValue(got));
    const message = issue.code === 'unrecognized_keys' ? `${base}: not a known option` : `${base}, got ${shown()}`;
    const top = String(issue.path[0] ?? field);
    return { field, message: lowerFirst(message), hint: hints[top] };
  });
  throw new BackupConfigError(constructPath, problems);
}

function fieldOfUnknownKey(issue: { code: string; keys?: readonly string[] }): string {
  return issue.code === 'unrecognized_keys' && issue.keys ? issue.keys.join(', ') : '(props)';
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
