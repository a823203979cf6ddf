import { BackupSite, clientStandardPolicyPack, Guest, PveHost, PveStorage, Retention, Schedule, ScheduledHostJob, VzdumpJob } from '../../constructs';
import { freshApp, modelOf } from '../helpers/synth';

interface Breaks {
  weekly?: boolean;
  keep?: number | Retention;
  storage?: 'zfs-dir-on-vm-disks' | 'nfs';
  compress?: 'gzip';
  name?: string;
  noDrill?: boolean;
  skip200?: boolean;
}

/** A client deployment with VM100 and VM200 mandatory; each option breaks one rule. */
function client(b: Breaks = {}) {
  const site = new BackupSite(freshApp(), 'client', { policyPacks: [clientStandardPolicyPack({ mandatoryVmids: [100, 200] })] });
  const host = new PveHost(site, 'Pve', { name: 'pve', address: '10.1.0.2' });
  const storage =
    b.storage === 'nfs'
      ? new PveStorage(site, 'Hdd', { host, storageId: 'backup-hdd', type: 'nfs', server: '10.1.0.9', export: '/b', retention: Retention.keepLast(7) })
      : new PveStorage(site, 'Hdd', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7), medium: b.storage ? 'source-disk' : 'local-disk' });
  for (const vmid of [100, 200]) {
    const g = new Guest(site, `Vm${vmid}`, { host, vmid, type: 'qemu', name: `vm${vmid}` });
    if (vmid === 200 && b.skip200) continue;
    new VzdumpJob(site, `Nightly${vmid}`, {
      host,
      jobId: vmid === 100 && b.name ? b.name : `nightly-vm${vmid}`,
      schedule: b.weekly && vmid === 100 ? Schedule.weekly('sun', '02:00') : Schedule.daily('02:00'),
      storage,
      guests: [g],
      retention: vmid === 100 && b.keep ? (typeof b.keep === 'number' ? Retention.keepLast(b.keep) : b.keep) : Retention.keepLast(7),
      compress: vmid === 100 && b.compress ? b.compress : 'zstd',
    });
    if (!(b.noDrill && vmid === 200)) {
      new ScheduledHostJob(site, `Drill${vmid}`, { host, jobId: `restore-drill-vm${vmid}`, schedule: Schedule.monthly(1, '06:00'), description: `restore drill of VM ${vmid}`, body: 'true', kind: 'restore-drill', verifies: [g.assetId] });
    }
  }
  return modelOf(site).policyOutcome().findings.filter((f) => f.rule.startsWith('client-'));
}

describe('client-standard policy pack (seed 003 golden rules)', () => {
  it('passes a deployment that follows the standard', () => {
    expect(client()).toEqual([]);
  });
  it('fails when a mandatory VM is not backed up', () => {
    expect(client({ skip200: true }).map((f) => [f.rule, f.severity, f.message])).toEqual([
      ['client-mandatory-covered', 'error', 'mandatory VM 200 has no vzdump backup'],
      ['client-restore-drill', 'error', 'mandatory VM 200 has no restore drill: a backup that has never been restored is not trusted'],
    ]);
  });
  it('fails when backups are not nightly', () => {
    expect(client({ weekly: true })).toEqual([expect.objectContaining({ rule: 'client-nightly', message: 'job nightly-vm100 backs up VM 100 Sun at 02:00, not nightly' })]);
  });
  it('fails when fewer than the last seven nightly archives are kept, weekly and longer options not counting', () => {
    expect(client({ keep: 5 })).toEqual([
      expect.objectContaining({ rule: 'client-retention', message: 'job nightly-vm100 keeps keep-last=5 of VM 100: fewer than the last 7 nightly archives (weekly and longer options leave days out)' }),
    ]);
    expect(client({ keep: Retention.of({ keepLast: 1, keepMonthly: 7 }) })).toEqual([expect.objectContaining({ rule: 'client-retention', subject: 'nightly-vm100' })]);
    expect(client({ keep: Retention.gfs(7, 4, 12) })).toEqual([]);
  });
  it('fails when backups do not go to a dedicated dir storage', () => {
    expect(client({ storage: 'nfs' }).map((f) => [f.rule, f.message])).toEqual([
      ['client-dedicated-disk', 'the backup of VM 100 by nightly-vm100 goes to backup-hdd on pve, which is nfs storage, not dir'],
      ['client-dedicated-disk', 'the backup of VM 200 by nightly-vm200 goes to backup-hdd on pve, which is nfs storage, not dir'],
    ]);
    expect(client({ storage: 'zfs-dir-on-vm-disks' })[0].message).toMatch(/which shares the disks of the VMs$/);
  });
  it('fails when archives are not zstd', () => {
    expect(client({ compress: 'gzip' })).toEqual([expect.objectContaining({ rule: 'client-zstd', message: 'job nightly-vm100 compresses VM 100 with gzip, not zstd' })]);
  });
  it('fails when a job is not named nightly-vm<ID>', () => {
    expect(client({ name: 'backup-golden' })).toEqual([expect.objectContaining({ rule: 'client-job-names', message: 'job backup-golden backs up VM 100; the standard names it nightly-vm100' })]);
  });
  it('fails when a mandatory VM has no restore drill', () => {
    expect(client({ noDrill: true })).toEqual([expect.objectContaining({ rule: 'client-restore-drill', subject: 'vm 200', message: 'mandatory VM 200 has no restore drill: a backup that has never been restored is not trusted' })]);
  });
});
