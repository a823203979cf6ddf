import { BackupConfigError, checkOptions } from '../errors';
import type { Location, Medium } from '../model/vocabulary';
import { DNS_SUBDOMAIN } from './manifest';

/** Options of {@link BackupVolume.existingClaim}. */
export interface ExistingClaimOptions {
  /** Where the claim's bytes live. @default 'nas' */
  readonly medium?: Medium;
  /** @default 'on-site' */
  readonly location?: Location;
  /** For reports, e.g. `NFS share backups on the NAS`. @default - the claim name */
  readonly description?: string;
}

/**
 * A backup volume a dump job writes to that this stack does not manage: an existing
 * PersistentVolumeClaim in the job's namespace. (An NFS path with its PV/PVC pair is an
 * `NfsVolume` construct.)
 */
export class BackupVolume {
  /** An existing claim in the job's namespace. */
  static existingClaim(claimName: string, options: ExistingClaimOptions = {}): BackupVolume {
    checkOptions('BackupVolume.existingClaim', options, ['medium', 'location', 'description']);
    if (!DNS_SUBDOMAIN.test(String(claimName))) {
      throw new BackupConfigError('BackupVolume', [{ field: 'claimName', message: `expected a PersistentVolumeClaim name, got ${JSON.stringify(claimName)}` }]);
    }
    return new BackupVolume(claimName, options.medium ?? 'nas', options.location ?? 'on-site', options.description ?? `claim ${claimName}`);
  }

  private constructor(
    readonly claimName: string,
    readonly medium: Medium,
    readonly location: Location,
    readonly description: string,
  ) {}
}
