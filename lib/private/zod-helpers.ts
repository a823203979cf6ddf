import { z } from 'zod';

/** A zod check for instances of a class whose constructor is private (value objects). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function instanceOf<T>(cls: abstract new (...args: any[]) => T, message: string): z.ZodType<T>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function instanceOf<T>(cls: { prototype: T }, message: string): z.ZodType<T>;
export function instanceOf<T>(cls: { prototype: T }, message: string): z.ZodType<T> {
  return z.custom<T>((v) => v !== null && typeof v === 'object' && cls.prototype !== undefined && Object.prototype.isPrototypeOf.call(cls.prototype, v), { message });
}
