import type { ZodType } from 'zod';

/** The parts of a zod schema's definition that lead to nested schemas. */
interface SchemaDef {
  readonly type?: string;
  readonly shape?: Record<string, ZodType>;
  readonly element?: ZodType;
  readonly items?: readonly ZodType[];
  readonly innerType?: ZodType;
  readonly in?: ZodType;
  readonly valueType?: ZodType;
  readonly options?: readonly ZodType[];
  readonly left?: ZodType;
  readonly right?: ZodType;
  readonly getter?: () => ZodType;
}

function defOf(schema: ZodType): SchemaDef {
  return ((schema as unknown as { _zod?: { def?: SchemaDef } })._zod?.def ?? {}) as SchemaDef;
}

/** The schemas a value at `schema` may match once wrappers (optional, default, pipe…) are peeled off. */
function alternatives(schema: ZodType, depth = 0): ZodType[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? alternatives(def.innerType, depth + 1) : [];
    case 'pipe':
      return def.in ? alternatives(def.in, depth + 1) : [];
    case 'lazy':
      return def.getter ? alternatives(def.getter(), depth + 1) : [];
    case 'union':
      return (def.options ?? []).flatMap((o) => alternatives(o, depth + 1));
    case 'intersection':
      return [def.left, def.right].filter((s): s is ZodType => s !== undefined).flatMap((s) => alternatives(s, depth + 1));
    default:
      return [schema];
  }
}

function childSchemas(schema: ZodType, key: PropertyKey): ZodType[] {
  return alternatives(schema).flatMap((s) => {
    const def = defOf(s);
    if (def.type === 'object') return def.shape && typeof key === 'string' && key in def.shape ? [def.shape[key]] : [];
    if (def.type === 'array' && def.element) return [def.element];
    if (def.type === 'tuple' && typeof key === 'number' && def.items?.[key]) return [def.items[key]];
    if (def.type === 'record' && def.valueType) return [def.valueType];
    return [];
  });
}

/**
 * The option names an object schema accepts at `path` (every alternative of a union), or
 * none where the schema cannot be followed. Used to say which option a misspelt one meant.
 */
export function knownKeysAt(schema: ZodType, path: readonly PropertyKey[]): string[] {
  let current: ZodType[] = [schema];
  for (const key of path) current = current.flatMap((s) => childSchemas(s, key));
  const keys = new Set<string>();
  for (const s of current.flatMap((c) => alternatives(c))) {
    const def = defOf(s);
    if (def.type === 'object' && def.shape) for (const k of Object.keys(def.shape)) keys.add(k);
  }
  return [...keys].sort();
}

/**
 * Edit distance (insertions, deletions, substitutions and swaps of two neighbours: the
 * usual typing slips), case-insensitive.
 */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[x.length][y.length];
}

/**
 * The known name a misspelt one most likely meant: the closest within a third of its
 * length (at least one edit), or nothing when none is that close or two tie.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  const scored = known.map((k) => ({ k, d: distance(name, k) })).filter((s) => s.d <= limit);
  if (scored.length === 0) return undefined;
  const best = Math.min(...scored.map((s) => s.d));
  const winners = scored.filter((s) => s.d === best);
  return winners.length === 1 ? winners[0].k : undefined;
}

/**
 * The allowed value a wrong one most likely meant: a close spelling, or the one value it
 * abbreviates or spells out (`snap` for snapshot, `sunday` for sun).
 */
export function closestValue(value: string, allowed: readonly string[]): string | undefined {
  const spelt = closestName(value, allowed);
  if (spelt) return spelt;
  const v = value.toLowerCase();
  const related = allowed.filter((a) => v.length >= 2 && (a.toLowerCase().startsWith(v) || v.startsWith(a.toLowerCase())));
  return related.length === 1 ? related[0] : undefined;
}
