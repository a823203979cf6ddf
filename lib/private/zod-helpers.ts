import { z } from 'zod';

/**
 * The fix for a value a check refused, computed from the value itself (`Retention.keepLast(7)`
 * for a bare 7). A check puts it in its issue's `params.hint`; checkProps shows it as the hint.
 */
export type ValueHint<T = unknown> = (value: T) => string | undefined;

/** What a value object's module says about a raw value given where one of its objects belongs. */
const rawValueHints = new WeakMap<object, ValueHint>();

/**
 * Registers the fix for a raw value (a number, a string) given where an instance of `cls` is
 * expected, so every prop checked with {@link instanceOf} suggests it.
 */
export function hintForRawValue(cls: object, hint: ValueHint): void {
  rawValueHints.set(cls, hint);
}

/**
 * A zod check (for `.check(...)`) that refuses a value with `message` and a hint computed from
 * the value, so a mechanism shared by many props (a path, an id) suggests the fix itself.
 */
export function hintedCheck<T>(test: (value: T) => boolean, message: string, hint: ValueHint<T>): z.core.CheckFn<T> {
  return (ctx) => {
    if (test(ctx.value)) return;
    // continue: like zod's own checks, so a union still reports the option whose type matched
    ctx.issues.push({ code: 'custom', message, input: ctx.value, params: { hint: hint(ctx.value) }, continue: true });
  };
}

/** The hint a check put in its issue, if any. */
export function hintOfIssue(issue: { code: string; params?: unknown }): string | undefined {
  if (issue.code !== 'custom' || issue.params === null || typeof issue.params !== 'object') return undefined;
  const hint = (issue.params as { hint?: unknown }).hint;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
}

/** A zod check for instances of a class whose constructor is private (value objects). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function instanceOf<T>(cls: abstract new (...args: any[]) => T, message: string): z.ZodType<T>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function instanceOf<T>(cls: { prototype: T }, message: string): z.ZodType<T>;
export function instanceOf<T>(cls: { prototype: T }, message: string): z.ZodType<T> {
  const isInstance = (v: unknown) => v !== null && typeof v === 'object' && cls.prototype !== undefined && Object.prototype.isPrototypeOf.call(cls.prototype, v);
  // a missing value is told by checkProps (required:); a raw one gets its class's suggestion
  return z.custom<T>().check(hintedCheck<T>(isInstance, message, (v) => (v === undefined || v === null ? undefined : rawValueHints.get(cls)?.(v))));
}

/**
 * The value nearest a refused id that `pattern` accepts: runs of other characters written as
 * `-` (`Backup HDD` → `backup-hdd` with `lowerCase`, `dc 01` → `dc-01`), or undefined.
 */
export function nearestId(value: string, pattern: RegExp, lowerCase = false): string | undefined {
  const candidates: string[] = [];
  for (const refused of [/[^A-Za-z0-9-]+/g, /[^A-Za-z0-9.-]+/g, /[^A-Za-z0-9._-]+/g]) {
    const base = value.trim().replace(refused, '-').replace(/^[-._]+|[-._]+$/g, '');
    candidates.push(...(lowerCase ? [base.toLowerCase(), base] : [base, base.toLowerCase()]));
  }
  return candidates.find((c) => c !== '' && c !== value && pattern.test(c));
}

/** A string of the shape `pattern` accepts; a refused one gets the nearest accepted id as its hint. */
export function idString(pattern: RegExp, message: string, options: { readonly lowerCase?: boolean } = {}): z.ZodString {
  return z.string().check(
    hintedCheck(
      (v) => pattern.test(v),
      message,
      (v) => {
        const id = nearestId(v, pattern, options.lowerCase);
        return id ? `write it as '${id}'` : undefined;
      },
    ),
  );
}
