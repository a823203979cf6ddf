import { Construct } from 'constructs';
import { BackupConfigError } from '../../lib/errors';
import { KeptFolder, workDirectoryProblems } from '../../lib/work-directory';
import type { Host } from '../host';
import { membersOf, registerMember } from './site-anchor';

/** A job that works in a folder it empties on every run. */
export interface WorkDirectoryUser extends Construct {
  readonly host: Host;
  readonly jobId: string;
  readonly workDirectory: string;
}

/**
 * Claims `workDirectory` for the job: refuses a shared folder, one that overlaps another job's
 * work directory on the host, and one that overlaps the job's own data folders (`kept`).
 */
export function claimWorkDirectory(job: WorkDirectoryUser, kept: readonly KeptFolder[]): void {
  const others = membersOf<WorkDirectoryUser>(job, 'work-directory')
    .filter((o) => o.host === job.host)
    .map((o) => ({ path: o.workDirectory, what: `the work directory of ${o.node.path}` }));
  const problems = workDirectoryProblems(job.workDirectory, job.jobId, [...kept, ...others]);
  if (problems.length) throw new BackupConfigError(job.node.path, problems);
  registerMember('work-directory', job);
}
