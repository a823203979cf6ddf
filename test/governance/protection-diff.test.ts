import { App } from 'cdktf';
import { BackupAlertRules, BackupSite, Guest, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from '../../constructs';
import { diffProtection, ModelJson } from '../../lib/governance/protection-diff';
import { reviewOf } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

interface Variant {
  keep?: number;
  offsiteLocation?: 'on-site' | 'off-site';
  dropJob?: boolean;
  alerts?: boolean;
  secondAt?: string;
}

/** The same small site in two revisions, as model.json. */
function model(v: Variant = {}): ModelJson {
  const site = new BackupSite(new App({ outdir: tempDir() }), 'office');
  const host = new PveHost(site, 'Pve', { name: 'pve', address: '10.0.0.5' });
  const disk = new PveStorage(site, 'Disk', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(v.keep ?? 7) });
  const box = new PveStorage(site, 'Box', { host, storageId: 'box', type: 'nfs', server: '10.9.0.1', export: '/b', medium: 'remote-storage', location: v.offsiteLocation ?? 'off-site', retention: Retention.keepLast(3) });
  const dc = new Guest(site, 'Dc', { host, vmid: 100, type: 'qemu', name: 'dc', classification: 'critical' });
  const files = new Guest(site, 'Files', { host, vmid: 101, type: 'qemu', name: 'files' });
  new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly', schedule: Schedule.daily('02:00'), storage: disk, guests: [dc, files] });
  if (!v.dropJob) new VzdumpJob(site, 'Offsite', { host, jobId: 'offsite', schedule: Schedule.daily(v.secondAt ?? '04:00'), storage: v.secondAt ? disk : box, guests: [files] });
  if (v.alerts !== false) new BackupAlertRules(site, 'Alerts');
  return JSON.parse(reviewOf(site).get('model.json')!.content);
}

describe('protection diff', () => {
  it('reports nothing when protection did not change', () => {
    expect(diffProtection(model(), model())).toEqual([]);
  });

  it('reports shortened retention and a copy moved on-site', () => {
    expect(diffProtection(model(), model({ keep: 3, offsiteLocation: 'on-site' }))).toEqual(
      expect.arrayContaining([
        '- **retention shortened**: VM 100 dc on backup-hdd on pve: keep-last=7 → keep-last=3',
        '- **copy moved on-site**: VM 101 files (job `offsite`) now lands on box on pve',
      ]),
    );
  });

  it('reports a lost copy and removed alerts when a job goes', () => {
    const lines = diffProtection(model(), model({ dropJob: true }));
    expect(lines).toEqual(expect.arrayContaining(['- **copy removed**: VM 101 files no longer gets its image copy on box on pve (job `offsite`)', '- **alert removed**: OffsiteStale (job `offsite`)']));
  });

  it('reports a newly unprotected asset and schedules that now overlap', () => {
    const before = model();
    const after = model({ secondAt: '02:30' });
    expect(diffProtection(before, after)).toEqual(
      expect.arrayContaining([
        '- schedule changed: `offsite` daily at 04:00 → daily at 02:30',
        expect.stringMatching(/^- \*\*schedules now overlap\*\*: jobs nightly and offsite write to backup-hdd on pve in overlapping windows/),
      ]),
    );
    const emptier: ModelJson = { ...before, copies: before.copies.filter((c) => c.asset !== 'guest:pve:100') };
    expect(diffProtection(before, emptier)).toEqual(['- **newly unprotected**: VM 100 dc (critical) has no copy any more']);
  });
});
