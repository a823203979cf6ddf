import { BackupConfigError } from './errors';

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
