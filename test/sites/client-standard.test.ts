import * as path from 'path';
import { App } from 'cdktf';
import { BackupSite, ClientStandardSite, Guest, PveHost, Retention, VzdumpJob } from '../../constructs';
import { clientStandardSite } from '../../stacks/client-standard';
import { freshApp, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { pveCfgCheck, tempDir } from '../helpers/tools';
import { parseSections } from '../helpers/pve-sections';

describe('client-standard site (seed 003)', () => {
  const site = clientStandardSite(new App({ outdir: tempDir() }));
  synthJson(site);
  const review = reviewOf(site);
  const model = site.model;

  it('has the dedicated backup-hdd dir storage at /mnt/backup keeping 7', () => {
    expect(parseSections(review.get('pve/pve/storage.cfg')!.content)).toEqual({
      // is_mountpoint: an unmounted backup disk must not fill the root filesystem
      'dir: backup-hdd': { path: '/mnt/backup', content: 'backup', is_mountpoint: 'yes', 'prune-backups': 'keep-last=7' },
    });
  });

  it('has one nightly 02:00 zstd snapshot job per guest, named nightly-vm<ID>, keeping 7', () => {
    const jobs = parseSections(review.get('pve/pve/jobs.cfg')!.content);
    expect(Object.keys(jobs)).toEqual(['vzdump: nightly-vm100', 'vzdump: nightly-vm200', 'vzdump: nightly-vm210', 'vzdump: nightly-vm220']);
    for (const id of [100, 200, 210, 220]) {
      const j = jobs[`vzdump: nightly-vm${id}`];
      expect([j.schedule, j.vmid, j.storage, j.mode, j.compress, j['prune-backups']]).toEqual(['02:00', String(id), 'backup-hdd', 'snapshot', 'zstd', 'keep-last=7']);
    }
  });

  it('drills every guest quarterly into its temporary VMID (100→101, 200→201, 210→211, 220→221), one guest a day', () => {
    const drills = model.jobs.filter((j) => j.kind === 'restore-drill');
    expect(drills.map((j) => [j.id, j.verifies, j.scheduleHuman])).toEqual([
      ['restore-drill-vm100', ['guest:pve:100'], 'day 1 of the month in Jan,Apr,Jul,Oct at 05:00'],
      ['restore-drill-vm200', ['guest:pve:200'], 'day 2 of the month in Jan,Apr,Jul,Oct at 05:00'],
      ['restore-drill-vm210', ['guest:pve:210'], 'day 3 of the month in Jan,Apr,Jul,Oct at 05:00'],
      ['restore-drill-vm220', ['guest:pve:220'], 'day 4 of the month in Jan,Apr,Jul,Oct at 05:00'],
    ]);
    const setting = (vmid: number, name: string) => new RegExp(`\\n${name}=\\$\\{${name}:-([^}]*)\\}\\n`).exec(review.get(`hosts/pve/usr/local/lib/backup-constructs/restore-drill-vm${vmid}.sh`)!.content)![1];
    expect([100, 200, 210, 220].map((v) => [setting(v, 'TEMP_VMID'), setting(v, 'DUMP_DIR'), setting(v, 'NETWORK')])).toEqual([
      ['101', '/mnt/backup/dump', 'disconnected'],
      ['201', '/mnt/backup/dump', 'disconnected'],
      ['211', '/mnt/backup/dump', 'disconnected'],
      ['221', '/mnt/backup/dump', 'disconnected'],
    ]);
    // seed 003: confirm networking and services; the copies stay disconnected, so both are checked inside them
    expect([100, 200, 210, 220].map((v) => [setting(v, 'BOOT_CHECK'), setting(v, 'NETWORK_CHECK'), setting(v, 'SERVICES')])).toEqual([
      ['running-or-degraded', 'nic-ipv4', "''"],
      ['running-or-degraded', 'nic-ipv4', 'docker.service'],
      ['running-or-degraded', 'nic-ipv4', 'unbound.service'],
      ['running-or-degraded', 'nic-ipv4', 'prometheus.service'],
    ]);
    // every mandatory guest is proven restorable by some drill
    for (const a of model.assets) expect(model.jobs.some((j) => j.kind === 'restore-drill' && j.verifies?.includes(a.id))).toBe(true);
  });
});

describe('client-standard drills by hand (seed 003: mandatory after major changes)', () => {
  const site = clientStandardSite(new App({ outdir: tempDir() }));
  synthJson(site);
  const review = reviewOf(site);
  /** The bullet list and the sh block of the runbook section that runs the drill by hand. */
  function byHand(vmid: number) {
    const text = review.get(`runbooks/restore-drill-vm${vmid}.md`)!.content;
    const section = /### run the drill by hand \(on pve\), besides its schedule\n([\s\S]*?)\n### /.exec(text)![1];
    const after = [...section.matchAll(/^- (.*)$/gm)].map((m) => m[1]);
    const commands = /```sh\n([\s\S]*?)\n```/.exec(section)![1].split('\n').map((l) => l.replace(/ +#.*$/, ''));
    return { after, commands };
  }

  it('lists, for each guest, the changes the seed makes a drill mandatory after', () => {
    const common = ['OS upgrades or kernel changes, of the guest or of pve', 'backup storage changes (backup-hdd: its disk, mount or configuration)'];
    expect(byHand(100).after).toEqual(['major baseline changes to VM100', ...common]);
    expect(byHand(200).after).toEqual(['major stack deployments on VM200', ...common]);
    expect(byHand(210).after).toEqual(common);
    expect(byHand(220).after).toEqual(common);
  });

  it("gives the change workflow as commands: snapshot, a backup like the nightly job's, the drill, then drop the snapshot", () => {
    const jobs = parseSections(review.get('pve/pve/jobs.cfg')!.content);
    for (const vmid of [100, 200, 210, 220]) {
      const { commands } = byHand(vmid);
      const job = jobs[`vzdump: nightly-vm${vmid}`];
      expect(commands).toEqual([
        `qm snapshot ${vmid} before-change`,
        `vzdump ${vmid} --storage ${job.storage} --mode ${job.mode} --compress ${job.compress}`,
        `systemctl start bc-restore-drill-vm${vmid}.service`,
        `journalctl -u bc-restore-drill-vm${vmid}.service --since today`,
        `qm delsnapshot ${vmid} before-change`,
      ]);
      // the unit it starts is the one the review tree installs
      expect(review.has(`hosts/pve/etc/systemd/system/bc-restore-drill-vm${vmid}.service`)).toBe(true);
    }
  });

  it('records the drill choices the seed leaves open as decisions', () => {
    const subjects = site.model.decisions.map((d) => d.subject);
    expect(subjects).toEqual(expect.arrayContaining(['drill checks', 'degraded boot', 'drill services', 'drills by hand']));
    expect(site.model.decisions.find((d) => d.subject === 'drill services')!.decision).toContain('unbound.service on the DNS VM');
  });

  it('takes the DNS and monitoring units a deployment runs', () => {
    const other = clientStandardSite(new App({ outdir: tempDir() }), { dnsUnit: 'named.service', monitoringUnit: 'grafana-server.service' });
    synthJson(other);
    const script = (v: number) => reviewOf(other).get(`hosts/pve/usr/local/lib/backup-constructs/restore-drill-vm${v}.sh`)!.content;
    expect(script(210)).toContain("\nSERVICES=${SERVICES:-named.service}\n");
    expect(script(220)).toContain("\nSERVICES=${SERVICES:-grafana-server.service}\n");
  });
});

describe('ClientStandardSite for another client deployment', () => {
  it('takes its own VMIDs and a longer retention, and its Proxmox output passes the checker', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    const std = new ClientStandardSite(site, 'Standard', {
      host,
      retention: Retention.keepLast(14),
      guests: [
        { vmid: 300, name: 'docker', drillVmid: 399 },
        { vmid: 310, name: 'scratch', mandatory: false },
      ],
    });
    synthJson(site);
    expect([...std.jobs.keys()]).toEqual([300, 310]);
    expect([...std.drills.keys()]).toEqual([300]);
    expect(site.model.asset('guest:pve:310')!.classification).toBe('important');
    const dir = tempDir();
    writeTree(dir, reviewOf(site).values());
    const pve = path.join(dir, 'pve/pve');
    expect(parseSections(reviewOf(site).get('pve/pve/jobs.cfg')!.content)['vzdump: nightly-vm310']['prune-backups']).toBe('keep-last=14');
    expect(pveCfgCheck(['cmd', path.join(pve, 'commands.txt'), '--storage-cfg', path.join(pve, 'storage.cfg'), '--jobs-cfg', path.join(pve, 'jobs.cfg')]).output).toMatch(/^ok: /);
  });

  it('fails when fewer than 7 are kept, or a mandatory guest has no drill', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new ClientStandardSite(site, 'Short', { host, retention: Retention.keepLast(5), guests: [{ vmid: 100, name: 'a' }] })).toThrow(
      /\[acme\/Short\] retention: expected the last 7 nightly backups kept \(keep-last or keep-daily of at least 7\), got keep-last=5[\s\S]*\[acme\/Short\] guests\.0\.drillVmid: required: expected a temporary VMID for the restore drill of mandatory guest 100, got nothing \(hint: .*such as 101/,
    );
    // seven monthly archives are no seven days: the days between cannot be restored
    expect(() => new ClientStandardSite(site, 'Monthly', { host, retention: Retention.of({ keepLast: 1, keepMonthly: 7 }), guests: [{ vmid: 100, name: 'a', drillVmid: 101 }] })).toThrow(
      /\[acme\/Monthly\] retention: expected the last 7 nightly backups kept \(keep-last or keep-daily of at least 7\), got keep-last=1,keep-monthly=7/,
    );
  });

  it('takes a deployment per node in one site, the standard checking the guests of both; the same node or VMID twice fails naming it', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const pve = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    const pve2 = new PveHost(site, 'Pve2', { name: 'pve2', address: '192.0.2.11' });
    new ClientStandardSite(site, 'One', { host: pve, guests: [{ vmid: 100, name: 'golden', drillVmid: 101 }] });
    const two = new ClientStandardSite(site, 'Two', { host: pve2, guests: [{ vmid: 200, name: 'docker', drillVmid: 201 }] });
    // a job added by hand to the second node's guest breaks the standard's naming rule
    VzdumpJob.nightly(site, 'ByHand', { host: pve2, jobId: 'extra', storage: two.storage, guests: [two.guests.get(200)!] });
    expect(site.model.allFindings().filter((f) => f.rule === 'client-job-names').map((f) => f.message)).toEqual(['job extra backs up VM 200; the standard names it nightly-vm200']);
    expect(() => new ClientStandardSite(site, 'Again', { host: pve2, guests: [{ vmid: 300, name: 'dns', drillVmid: 301 }] })).toThrow(
      /^\[acme\/Again\] host: expected one ClientStandardSite per node, got a second for pve2: acme\/Two covers it already \(hint: list every guest of pve2 in the guests of acme\/Two\)$/,
    );
    const pve3 = new PveHost(site, 'Pve3', { name: 'pve3', address: '192.0.2.12' });
    expect(() => new ClientStandardSite(site, 'Three', { host: pve3, guests: [{ vmid: 300, name: 'dns', drillVmid: 301 }, { vmid: 100, name: 'golden', drillVmid: 101 }] })).toThrow(
      /^\[acme\/Three\] guests\.1\.vmid: expected a VMID no other ClientStandardSite of site acme declares, got 100, which acme\/One declares on pve: the standard names its job nightly-vm100 and checks VM 100 across the site \(hint: give each client deployment its own BackupSite \(one stack per client\), or VMIDs of its own\)$/,
    );
  });

  it('says the separate-pool rule cannot be checked until the pools are named, and enforces it once they are', () => {
    const seedSite = clientStandardSite(new App({ outdir: tempDir() }));
    // seed 003 monitors by hand until VM220's standard exists: the finding says who then sees a failure
    expect(seedSite.model.policyOutcome().findings.filter((f) => f.rule === 'monitored').map((f) => f.message)).toEqual([expect.stringMatching(/nobody hears .*only someone working through runbooks\/manual-checks\.md sees a failure/)]);
    expect(seedSite.model.findings.filter((f) => f.rule === 'client-dedicated-disk').map((f) => f.message)).toEqual([
      expect.stringMatching(/cannot be checked: no disk pool is named for the backup storage \(backupDiskPool\) and VM 100, 200, 210, 220 \(diskPool\)/),
    ]);
    const named = (pool: string) => {
      const s = new BackupSite(freshApp(), 'acme');
      const host = new PveHost(s, 'Pve', { name: 'pve', address: '192.0.2.10' });
      new ClientStandardSite(s, 'Standard', { host, backupDiskPool: 'backup-hdd', guests: [{ vmid: 100, name: 'a', drillVmid: 101, diskPool: pool }] });
      return s;
    };
    const ok = named('local-lvm');
    expect(ok.model.findings.filter((f) => f.rule === 'client-dedicated-disk')).toEqual([]);
    expect(() => synthJson(named('backup-hdd'))).toThrow(/storage: backup-hdd is on disk pool backup-hdd, which also holds guest 100's disks/);
    // a pool name with a space would never equal the storage's: refused, not silently unmatched
    expect(() => named('backup-hdd ')).toThrow(/\[acme\/Standard\] guests\.0\.diskPool: expected a storage id of letters, digits, - _ \. \(starting with a letter\), got "backup-hdd "/);
  });

  it('fails when the drill time is not a time of day, naming drillTime (before: [Schedule] time, no construct path)', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new ClientStandardSite(site, 'Standard', { host, drillTime: '25:99', guests: [{ vmid: 100, name: 'a', drillVmid: 101 }] })).toThrow(
      /^\[acme\/Standard\] drillTime: expected a time of day as HH:MM \(00:00 to 23:59\), got "25:99" \(hint: write '05:00' for five in the morning\)$/,
    );
  });

  it('fails when a guest is listed twice, naming guests.N.vmid (before: a constructs error about a second child Vm100)', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new ClientStandardSite(site, 'Standard', { host, guests: [{ vmid: 100, name: 'a', drillVmid: 101 }, { vmid: 100, name: 'b', drillVmid: 102 }] })).toThrow(
      /^\[acme\/Standard\] guests\.1\.vmid: expected each guest once, got VMID 100 again \(also guests\.0\) \(hint: list each guest once/,
    );
  });

  it('fails when drill settings are given for a guest without a drill', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new ClientStandardSite(site, 'Standard', { host, guests: [{ vmid: 300, name: 'scratch', mandatory: false, drillServices: ['docker.service'], drillAfter: ['deployments'] }] })).toThrow(
      /\[acme\/Standard\] guests\.0\.drillServices: only applies with a drillVmid \(hint: set drillVmid or remove drillServices\)[\s\S]*guests\.0\.drillAfter: only applies with a drillVmid/,
    );
  });

  it('fails when a drill service is not a systemd unit name, naming the drill', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new ClientStandardSite(site, 'Standard', { host, guests: [{ vmid: 300, name: 'dns', drillVmid: 301, drillServices: ['unbound service'] }] })).toThrow(/\[acme\/Standard\/DrillVm300\] services\.0: expected a systemd unit name/);
  });

  it('fails when a guest\'s notes or drillAfter span lines, naming guests.N (a line break split REVIEW.md\'s row and the runbook\'s list)', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new ClientStandardSite(site, 'Standard', { host, guests: [{ vmid: 100, name: 'a', drillVmid: 101, notes: 'golden\ntemplate', drillAfter: ['baseline\rchanges'] }] })).toThrow(
      /^\[acme\/Standard\] guests\.0\.drillAfter\.0: expected one line without control characters \(each change is one item of the drill runbook's list\), got "baseline\\rchanges" \(hint: give each change as its own entry of drillAfter\)\n\[acme\/Standard\] guests\.0\.notes: expected one line without control characters \(the notes fill a cell of REVIEW\.md's copies table, where a line break would end the row\), got "golden\\ntemplate" \(hint: write the notes on one line, e\.g\. with ; between parts\)$/,
    );
  });

  it('fails when a Guest\'s notes span lines, naming notes', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    expect(() => new Guest(site, 'Vm100', { host, vmid: 100, type: 'qemu', name: 'a', notes: 'line one\nline two' })).toThrow(/^\[acme\/Vm100\] notes: expected one line without control characters \(the notes fill a cell of REVIEW\.md's copies table, where a line break would end the row\), got "line one\\nline two" \(hint: write the notes on one line/);
  });

  it('fails at synth when a drill VMID is another guest of the deployment', () => {
    const site = new BackupSite(freshApp(), 'acme');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '192.0.2.10' });
    new ClientStandardSite(site, 'Standard', { host, guests: [{ vmid: 100, name: 'a', drillVmid: 200 }, { vmid: 200, name: 'b', drillVmid: 201 }] });
    expect(() => synthJson(site)).toThrow(/\[acme\/Standard\/DrillVm100\] tempVmid: 200 is the VMID of declared guest b/);
  });
});
