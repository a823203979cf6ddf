import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformStack, Testing } from 'cdktf';
import { BackupSite, Guest, MetricsSink, PveHost, PveStorage, Retention, Schedule, SiteBackend, siteModelOf, VzdumpJob } from '../../constructs';
import { freshApp, synthJson } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

describe('BackupSite', () => {
  it('keeps state locally by default in the project folder, by a path relative to the stack folder', () => {
    const site = new BackupSite(freshApp(), 'home');
    expect(synthJson(site).terraform.backend).toEqual({ local: { path: '../../../terraform.home.tfstate' } });
    // cdktf.out/stacks/home + ../../.. is the folder holding cdktf.out, outside what is generated
    expect(path.resolve('/project/cdktf.out/stacks/home', '../../../terraform.home.tfstate')).toBe('/project/terraform.home.tfstate');
  });

  it('fails at synth when the state of the default local backend is still in the stack folder (where earlier releases kept it), saying how to move it', () => {
    const project = tempDir('bc-project-');
    const outdir = path.join(project, 'cdktf.out');
    const old = path.join(outdir, 'stacks/home/terraform.home.tfstate');
    fs.mkdirSync(path.dirname(old), { recursive: true });
    fs.writeFileSync(old, '{"serial": 7}');
    const synth = () => {
      const app = new App({ outdir });
      new BackupSite(app, 'home');
      app.synth();
    };
    const cwd = process.cwd();
    process.chdir(project);
    try {
      expect(synth).toThrow(
        `[home] backend: expected the site's local state at terraform.home.tfstate, got it in the generated folder cdktf.out/stacks/home, where earlier releases kept it`,
      );
      expect(synth).toThrow(`(hint: move it once: mv cdktf.out/stacks/home/terraform.home.tfstate terraform.home.tfstate && rm -rf cdktf.out/stacks/home/.terraform`);
      // both places: never guess which one is current
      fs.writeFileSync(path.join(project, 'terraform.home.tfstate'), '{"serial": 9}');
      expect(synth).toThrow(/\[home\] backend: expected one local state of the site, got two: .*keep the one with the higher "serial"/);
      // an explicit path is the user's choice: no check
      const app = new App({ outdir });
      new BackupSite(app, 'home', { backend: SiteBackend.local('terraform.home.tfstate') });
      expect(() => app.synth()).not.toThrow();
    } finally {
      process.chdir(cwd);
    }
  });

  it('takes any backend cdktf offers, and Kubernetes', () => {
    const s3 = new BackupSite(freshApp(), 'a-site', { backend: SiteBackend.s3({ bucket: 'tf-state', key: 'sites/a-site.tfstate', region: 'eu-central-1' }) });
    expect(synthJson(s3).terraform.backend.s3).toMatchObject({ bucket: 'tf-state', key: 'sites/a-site.tfstate' });
    const k8s = new BackupSite(freshApp(), 'b-site', { backend: SiteBackend.kubernetes({ secretSuffix: 'b-site', namespace: 'terraform' }) });
    expect(synthJson(k8s).terraform.backend).toEqual({ kubernetes: { secret_suffix: 'b-site', namespace: 'terraform' } });
    const pg = new BackupSite(freshApp(), 'c-site', { backend: SiteBackend.pg({ schemaName: 'c_site' }) });
    expect(synthJson(pg).terraform.backend.pg).toEqual({ schema_name: 'c_site' });
    const http = new BackupSite(freshApp(), 'd-site', { backend: SiteBackend.http({ address: 'https://state.example/d' }) });
    expect(synthJson(http).terraform.backend.http.address).toBe('https://state.example/d');
  });

  it('fails when the site id or settings are malformed', () => {
    expect(() => new BackupSite(freshApp(), 'Home Site')).toThrow(/\[Home Site\] site: expected a lower-case site id/);
    expect(() => new BackupSite(freshApp(), 'home', { timeZone: 'Nowhere/City' })).toThrow(/\[home\] timeZone: expected an IANA time zone.*got "Nowhere\/City"$/);
    expect(() => new BackupSite(freshApp(), 'home', { timeZone: 'Europe/Prauge' })).toThrow(/^\[home\] timeZone: expected an IANA time zone such as Europe\/Prague, got "Europe\/Prauge" \(hint: did you mean Europe\/Prague\?\)$/);
    expect(() => MetricsSink.pushgateway('10.0.0.1:9091')).toThrow(/\[MetricsSink\] url: expected http\(s\):\/\/host:port/);
  });

  it('writes metrics to the site\'s Pushgateway when it has one', () => {
    const site = new BackupSite(freshApp(), 'lab', { metrics: MetricsSink.pushgateway('http://10.0.20.5:30091') });
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '10.0.0.5' });
    const s = new PveStorage(site, 'S', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
    new VzdumpJob(site, 'J', { host, jobId: 'nightly-vm100', schedule: Schedule.daily('02:00'), storage: s, guests: [new Guest(site, 'G', { host, vmid: 100, type: 'qemu', name: 'golden' })] });
    expect(site.model.signals.map((x) => x.destination)).toEqual([
      'http://10.0.20.5:30091/metrics/job/nightly-vm100/backup_job/nightly-vm100/site/lab/host/pve',
      'http://10.0.20.5:30091/metrics/job/nightly-vm100/backup_job/nightly-vm100/site/lab/host/pve/guest/100',
    ]);
  });
});

describe('constructs in a plain TerraformStack', () => {
  it('attach the site model to whatever stack they are in and write its review tree on synth', () => {
    const outdir = tempDir('bc-out-');
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'mine');
    const host = new PveHost(stack, 'Pve', { name: 'pve', address: '10.0.0.5' });
    const s = new PveStorage(stack, 'S', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
    new VzdumpJob(stack, 'J', { host, jobId: 'nightly-vm100', schedule: Schedule.daily('02:00'), storage: s, guests: [new Guest(stack, 'G', { host, vmid: 100, type: 'qemu', name: 'golden' })] });
    expect(siteModelOf(stack).site).toBe('mine');
    expect(siteModelOf(stack).jobs.map((j) => j.id)).toEqual(['nightly-vm100']);
    app.synth();
    const review = path.join(outdir, 'stacks/mine/review');
    expect(fs.readFileSync(path.join(review, 'pve/pve/jobs.cfg'), 'utf8')).toMatch(/^vzdump: nightly-vm100\n/);
    expect(fs.statSync(path.join(review, 'hosts/pve/usr/local/lib/backup-constructs/vzdump-hook-nightly-vm100.sh')).mode & 0o111).not.toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(review, 'model.json'), 'utf8')).site).toBe('mine');
  });

  it('run cross-construct validations at synth like any cdktf validation', () => {
    const stack = new TerraformStack(Testing.app(), 'mine');
    const host = new PveHost(stack, 'Pve', { name: 'pve', address: '10.0.0.5' });
    const s = new PveStorage(stack, 'S', { host, storageId: 'iso', type: 'dir', path: '/mnt/iso', content: ['iso'] });
    new VzdumpJob(stack, 'J', { host, jobId: 'nightly-vm100', schedule: Schedule.daily('02:00'), storage: s, guests: [new Guest(stack, 'G', { host, vmid: 100, type: 'qemu', name: 'golden' })] });
    expect(() => Testing.synth(stack, true)).toThrow(/\[mine\/J\] storage: iso does not allow content 'backup'/);
  });
});
