import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { BackupSite, BackupStatus, PveHost, Retention, Schedule, VzdumpJob } from '../../constructs';
import { nfsStorage, vm } from '../helpers/fixtures';
import { tempDir } from '../helpers/tools';

/** A site with one Proxmox host at `address`, a storage and a nightly job, as a customer's site. */
function customer(app: App, id: string, address: string): BackupSite {
  const site = new BackupSite(app, id);
  const host = new PveHost(site, 'Pve', { name: 'pve', address });
  const storage = nfsStorage(site, host);
  new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly', schedule: Schedule.daily('02:00'), storage, guests: [vm(site, host, 100)], retention: Retention.keepLast(3) });
  new BackupStatus(site, 'Status');
  return site;
}

describe('sites of one program managing one machine', () => {
  it('warns in both sites about each file and Proxmox entry they would both manage on one address, including files added at synth (the status tool)', () => {
    const outdir = tempDir('bc-shared-');
    const app = new App({ outdir });
    const a = customer(app, 'acme', '10.0.0.5');
    const b = customer(app, 'globex', '10.0.0.5');
    const c = customer(app, 'initech', '10.0.0.6');
    app.synth();
    const shared = (site: BackupSite) => site.model.findings.filter((f) => f.rule === 'shared-machine');
    const subjects = (site: BackupSite) => shared(site).map((f) => f.message.split(' on pve ')[0]).sort();
    const expected = ['file /etc/backup-constructs/inventory.tsv', 'file /usr/local/bin/backup-status', 'file /usr/local/lib/backup-constructs/vzdump-hook-nightly.sh', 'jobs.cfg vzdump: nightly', 'storage.cfg nfs: nas-backups'];
    expect(subjects(a)).toEqual(expect.arrayContaining(expected));
    expect(subjects(b)).toEqual(expect.arrayContaining(expected));
    expect(shared(a)[0]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/\(10\.0\.0\.5:22\) is also managed by site globex on its host pve at the same address: if that is one machine, each site's apply overwrites/) });
    expect(shared(c)).toEqual([]);
    // and the reviewer sees it
    expect(fs.readFileSync(path.join(outdir, 'stacks/acme/review/REVIEW.md'), 'utf8')).toContain('shared-machine');
  });
});
