/** Whether folder `a` is `b` or lies inside it. */
export function isWithin(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b.replace(/\/+$/, '')}/`);
}

/** Whether two folders are one, or one lies inside the other (what one job deletes, the other loses). */
export function overlapping(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}
