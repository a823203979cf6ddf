import { BackupConfigError } from './errors';
import { hintForRawValue } from './private/zod-helpers';

const UNITS = { bytes: 1, kibibytes: 1024, mebibytes: 1024 ** 2, gibibytes: 1024 ** 3, tebibytes: 1024 ** 4 } as const;

/** An amount of data in bytes (dump floors, disk thresholds). */
export class Size {
  static bytes(n: number): Size {
    return new Size(n, 'bytes');
  }
  static kibibytes(n: number): Size {
    return new Size(n, 'kibibytes');
  }
  static mebibytes(n: number): Size {
    return new Size(n, 'mebibytes');
  }
  static gibibytes(n: number): Size {
    return new Size(n, 'gibibytes');
  }
  static tebibytes(n: number): Size {
    return new Size(n, 'tebibytes');
  }

  private readonly totalBytes: number;

  private constructor(amount: number, unit: keyof typeof UNITS) {
    const bytes = amount * UNITS[unit];
    if (!Number.isFinite(amount) || amount < 0 || !Number.isInteger(bytes)) {
      throw new BackupConfigError('Size', [
        { field: unit, message: `expected a non-negative amount that is a whole number of bytes, got ${amount}` },
      ]);
    }
    this.totalBytes = bytes;
  }

  toBytes(): number {
    return this.totalBytes;
  }

  /** `1.5 GiB`, `512 B`. */
  toHumanString(): string {
    const order: [string, number][] = [['TiB', UNITS.tebibytes], ['GiB', UNITS.gibibytes], ['MiB', UNITS.mebibytes], ['KiB', UNITS.kibibytes]];
    for (const [suffix, size] of order) {
      if (this.totalBytes >= size) return `${Number((this.totalBytes / size).toFixed(2))} ${suffix}`;
    }
    return `${this.totalBytes} B`;
  }
}

const SIZE_TEXT: Record<string, keyof typeof UNITS> = { b: 'bytes', k: 'kibibytes', ki: 'kibibytes', m: 'mebibytes', mi: 'mebibytes', g: 'gibibytes', gi: 'gibibytes', t: 'tebibytes', ti: 'tebibytes' };

// a bare number has no unit; `10Gi` or `10G` names the factory for it
hintForRawValue(Size, (v) => {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return `a number has no unit: write Size.gibibytes(${v}), Size.mebibytes(${v}) or Size.bytes(${v})`;
  const m = typeof v === 'string' ? /^(\d+)\s*([kmgt]i?|b)b?$/i.exec(v.trim()) : null;
  return m ? `Size.${SIZE_TEXT[m[2].toLowerCase()]}(${m[1]})` : undefined;
});
