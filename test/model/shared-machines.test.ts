import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { BackupSite, BackupStatus, Pushgateway, PveHost, Retention, Schedule, VzdumpJob } from '../../constructs';
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

  it('warns in both sites about each Kubernetes object they would both manage, since both may deploy to one cluster', () => {
    const app = new App({ outdir: tempDir('bc-shared-k8s-') });
    const sites = ['acme', 'globex', 'initech'].map((id) => new BackupSite(app, id));
    new Pushgateway(sites[0], 'Pushgateway', { namespace: 'monitoring', nodePort: 30091 });
    new Pushgateway(sites[1], 'Pushgateway', { namespace: 'monitoring', nodePort: 30092 });
    // a namespace of its own: nothing shared
    new Pushgateway(sites[2], 'Pushgateway', { namespace: 'initech-monitoring', nodePort: 30093 });
    app.synth();
    const shared = (site: BackupSite) => site.model.findings.filter((f) => f.rule === 'shared-cluster-object');
    for (const [site, other] of [[sites[0], 'globex'], [sites[1], 'acme']] as const) {
      expect(shared(site).map((f) => f.message.split(' is also')[0]).sort()).toEqual(['Kubernetes Deployment monitoring/pushgateway', 'Kubernetes PersistentVolumeClaim monitoring/pushgateway-data', 'Kubernetes Service monitoring/pushgateway']);
      expect(shared(site)[0]).toMatchObject({ severity: 'warning', message: expect.stringContaining(`is also managed by site ${other}: if both sites deploy to one cluster`) });
    }
    expect(shared(sites[2])).toEqual([]);
  });
});
