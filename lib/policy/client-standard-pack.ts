import type { SiteModel } from '../model/site-model';
import type { CopyRecord, FindingRecord, JobRecord } from '../model/types';
import { PolicyPack, PolicyRule } from './policy';

/** What a client deployment must protect (seed 003, "Backup Targets"). */
export interface ClientStandardPolicyOptions {
  /** VMIDs that must always be backed up (golden template, Docker host, DNS, monitoring, client data). */
  readonly mandatoryVmids: readonly number[];
  /** @default 7 */
  readonly minArchives?: number;
}

const DAY = 86400;

function guestCopies(model: SiteModel, vmid: number): CopyRecord[] {
  return model.assets
    .filter((a) => a.kind === 'guest' && a.id.endsWith(`:${vmid}`))
    .flatMap((a) => model.copiesOf(a.id))
    .filter((c) => model.job(c.job)?.kind === 'vzdump');
}

function jobSection(model: SiteModel, job: JobRecord) {
  return model.pveSections.find((s) => s.file === 'jobs.cfg' && s.id === job.id && s.host === job.host);
}

function storageSection(model: SiteModel, targetId: string) {
  const [, host, id] = targetId.split(':');
  return model.pveSections.find((s) => s.file === 'storage.cfg' && s.id === id && s.host === host);
}

function prop(section: { properties: readonly (readonly [string, string])[] } | undefined, key: string): string | undefined {
  return section?.properties.find(([k]) => k === key)?.[1];
}

function finding(rule: string, subject: string, message: string, fix: string): FindingRecord {
  return { severity: 'error', rule, subject, message, fix };
}

/** Every mandatory guest is backed up, and each of its backups follows the standard. */
function perMandatoryGuest(id: string, description: string, check: (model: SiteModel, vmid: number, copies: CopyRecord[], minArchives: number) => FindingRecord[]) {
  return (o: ClientStandardPolicyOptions): PolicyRule => ({
    id,
    description,
    check: (model) => o.mandatoryVmids.flatMap((vmid) => check(model, vmid, guestCopies(model, vmid), o.minArchives ?? 7)),
  });
}

const covered = perMandatoryGuest('client-mandatory-covered', 'every mandatory VM is declared and backed up', (model, vmid, copies) =>
  copies.length ? [] : [finding('client-mandatory-covered', `vm ${vmid}`, `mandatory VM ${vmid} has no vzdump backup${model.assets.some((a) => a.id.endsWith(`:${vmid}`)) ? '' : ' (it is not even declared)'}`, `declare Guest ${vmid} and add it to a nightly job`)],
);

const nightly = perMandatoryGuest('client-nightly', 'backups run nightly', (model, vmid, copies) =>
  copies
    .map((c) => model.job(c.job)!)
    .filter((j) => ((j.schedule as { periodSeconds?: number } | undefined)?.periodSeconds ?? Infinity) > DAY || !j.enabled)
    .map((j) => finding('client-nightly', j.constructPath, `job ${j.id} backs up VM ${vmid} ${j.enabled ? j.scheduleHuman : 'never (disabled)'}, not nightly`, "use Schedule.daily('02:00')")),
);

/** How many newest nightly archives a prune-backups string keeps at least (Retention.newestDailyKept). */
function newestDailyKept(retention: string): number {
  if (/keep-all/.test(retention)) return Infinity;
  return Math.max(0, ...[...retention.matchAll(/keep-(?:last|hourly|daily)=(\d+)/g)].map((m) => Number(m[1])));
}

const retention = perMandatoryGuest('client-retention', 'the last seven nightly archives are kept', (_model, vmid, copies, min) =>
  copies
    .filter((c) => newestDailyKept(c.retention) < min)
    .map((c) => finding('client-retention', c.job, `job ${c.job} keeps ${c.retention} of VM ${vmid}: fewer than the last ${min} nightly archives (weekly and longer options leave days out)`, `set Retention.keepLast(${min}) or more`)),
);

const dedicatedDisk = perMandatoryGuest('client-dedicated-disk', 'backups go to a dir storage on a disk separate from VM disks', (model, vmid, copies) =>
  copies.flatMap((c) => {
    const section = storageSection(model, c.target);
    const target = model.target(c.target);
    const problems: string[] = [];
    if (section?.type !== 'dir') problems.push(`is ${section?.type ?? 'not a managed'} storage, not dir`);
    if (target?.medium === 'source-disk') problems.push('shares the disks of the VMs');
    return problems.length ? [finding('client-dedicated-disk', c.job, `the backup of VM ${vmid} by ${c.job} goes to ${target?.name ?? c.target}, which ${problems.join(' and ')}`, "use the dedicated backup-hdd dir storage at /mnt/backup (medium 'local-disk')")] : [];
  }),
);

const zstd = perMandatoryGuest('client-zstd', 'archives are compressed with zstd', (model, vmid, copies) =>
  copies
    .map((c) => model.job(c.job)!)
    .filter((j) => prop(jobSection(model, j), 'compress') !== 'zstd')
    .map((j) => finding('client-zstd', j.constructPath, `job ${j.id} compresses VM ${vmid} with ${prop(jobSection(model, j), 'compress') ?? 'nothing'}, not zstd`, "set compress: 'zstd' (the default)")),
);

const naming = perMandatoryGuest('client-job-names', 'jobs are named nightly-vm<ID>', (model, vmid, copies) =>
  copies
    .map((c) => model.job(c.job)!)
    .filter((j) => j.id !== `nightly-vm${vmid}`)
    .map((j) => finding('client-job-names', j.constructPath, `job ${j.id} backs up VM ${vmid}; the standard names it nightly-vm${vmid}`, `one job per VM, jobId 'nightly-vm${vmid}'`)),
);

const drills = perMandatoryGuest('client-restore-drill', 'every mandatory VM has a restore drill', (model, vmid) => {
  const asset = model.assets.find((a) => a.kind === 'guest' && a.id.endsWith(`:${vmid}`));
  const drilled = asset && model.jobs.some((j) => j.kind === 'restore-drill' && (j.verifies ?? []).includes(asset.id));
  return drilled ? [] : [finding('client-restore-drill', `vm ${vmid}`, `mandatory VM ${vmid} has no restore drill: a backup that has never been restored is not trusted`, 'add a RestoreDrill into a free temporary VMID')];
});

/**
 * Seed 003's golden rules as a policy pack: mandatory VMs covered, nightly, at least seven
 * archives, a dedicated dir storage on its own disk, zstd, `nightly-vm<ID>` names and a
 * restore drill for each mandatory VM. Every finding is an error: the standard is what a
 * deployment must meet to be called client-ready.
 */
export function clientStandardPolicyPack(o: ClientStandardPolicyOptions): PolicyPack {
  return { name: 'client-standard', rules: [covered(o), nightly(o), retention(o), dedicatedDisk(o), zstd(o), naming(o), drills(o)] };
}
