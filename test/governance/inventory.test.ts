import { App } from 'cdktf';
import { parse } from 'yaml';
import { BackupConfigError, BackupSite, Duration, ExternalBackup, Guest, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from '../../constructs';
import { SITES } from '../../stacks';
import { homeSite } from '../../stacks/home';
import { reviewOf, synthJson } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

describe('inventory', () => {
  const site = homeSite(new App({ outdir: tempDir() }));
  synthJson(site); // the status tool is installed once the site is complete
  const review = reviewOf(site);

  it('lists every artifact in the seed 001 shape, vzdump archives by guest and type', () => {
    const entries = parse(review.get('inventory.yaml')!.content) as Record<string, unknown>[];
    expect(entries.map((e) => e.name)).toEqual([
      // seed 001's names: the HA entry it already tracks, and its proposal for the guests
      'app-home-assistant',
      'home-lxc-103-download-primary',
      'home-lxc-105-pihole-primary',
      'home-vm-100-ha-primary',
      'home-vm-101-immich-primary',
      'home-vm-102-vaultwarden-primary',
    ]);
    expect(entries.find((e) => e.name === 'home-vm-102-vaultwarden-primary')).toEqual({
      name: 'home-vm-102-vaultwarden-primary',
      enabled: true,
      kind: 'file_glob',
      host: 'proxmox-home',
      base_path: '/mnt/pve/synology-backups/dump', // seed 000's storage targets table
      glob: 'vzdump-qemu-102-*.vma.zst',
      stale_after_hours: 26,
      classification: 'critical',
      notes: 'vzdump snapshot of 100, 102 to synology-backups',
      job: 'backup-home-p0-daily',
    });
    expect(entries.find((e) => e.name === 'home-vm-101-immich-primary')).toMatchObject({ stale_after_hours: 170, glob: 'vzdump-qemu-101-*.vma.zst', notes: expect.stringMatching(/^stopped; weekly backup when restarted; /) });
    expect(entries.find((e) => e.name === 'app-home-assistant')).toMatchObject({ stale_after_hours: 48, base_path: '/volume1/backups/homeassistant_backups' });
  });

  it('installs the status tool, its part of the inventory and an hourly check on the host', () => {
    const tsv = review.get('hosts/proxmox-home/etc/backup-constructs/inventory.tsv')!.content;
    expect(tsv.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(5); // the HA backup lives on the NAS
    expect(review.get('hosts/proxmox-home/usr/local/bin/backup-status')!.executable).toBe(true);
    expect(review.get('hosts/proxmox-home/etc/systemd/system/bc-backup-status-proxmox-home.timer')!.content).toContain('OnCalendar=*-*-* 00..23:00:00');
  });
});

describe('inventory.yaml rendering', () => {
  it('parses back to the same entries, whatever the values hold', () => {
    const { renderInventoryYaml } = jest.requireActual('../../lib/governance/inventory');
    const entries = [
      { name: 'true', enabled: false, kind: 'file_glob', host: 'h', base_path: '/a b/#c', glob: '*', stale_after_hours: 26, classification: 'critical', notes: 'x: y, "q" \\ z', job: 'no' },
      { name: 'n-1', enabled: true, kind: 'file_glob', host: 'h', base_path: '/p', glob: 'vzdump-qemu-1-*.vma.zst', stale_after_hours: 1, classification: 'important', job: 'j' },
    ];
    expect(parse(renderInventoryYaml({ site: 's' }, entries))).toEqual(entries);
  });
});

describe.each(Object.keys(SITES))('inventory of %s', (siteId) => {
  const site = SITES[siteId](new App({ outdir: tempDir() }));
  const entries = parse(reviewOf(site).get('inventory.yaml')!.content) as { name: string; job: string; base_path: string; stale_after_hours: number }[];

  it('names every entry once (a status tool keys its state by name)', () => {
    const names = (entries ?? []).map((e) => e.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('gives a copy of a copy at least its source\'s threshold plus one period of the job that copies it', () => {
    let checked = 0;
    for (const copy of site.model.copies.filter((c) => c.derivedFrom && c.artifact)) {
      const source = site.model.copies.find((c) => c.id === copy.derivedFrom)!;
      const sourceEntry = entries.find((e) => e.job === source.job && e.base_path === source.artifact?.basePath);
      const entry = entries.find((e) => e.job === copy.job && e.base_path === copy.artifact!.basePath)!;
      const period = (site.model.job(copy.job)!.schedule as { periodSeconds: number }).periodSeconds / 3600;
      if (!sourceEntry) continue;
      checked++;
      expect({ copy: copy.id, hours: entry.stale_after_hours >= sourceEntry.stale_after_hours + period }).toEqual({ copy: copy.id, hours: true });
    }
    // homelab ships its app dumps (one of them monthly) off-site: copies of copies
    if (siteId === 'homelab') expect(checked).toBeGreaterThanOrEqual(5);
  });
});

describe('inventory names', () => {
  function smallSite(haName?: string) {
    const site = new BackupSite(new App({ outdir: tempDir() }), 'inv');
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '10.0.0.2' });
    const nas = new PveStorage(site, 'Nas', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.3', export: '/backups', content: ['backup'], retention: Retention.keepLast(3) });
    const vm = new Guest(site, 'Vm', { host, vmid: 100, type: 'qemu', name: 'ha', inventoryName: 'home-vm-100-ha-primary' });
    new VzdumpJob(site, 'Daily', { host, jobId: 'daily', storage: nas, guests: [vm], schedule: Schedule.daily('03:00') });
    new ExternalBackup(site, 'Ha', { name: 'app-ha', protects: 'HA config', tool: 'HA', host: 'nas', basePath: '/volume1/ha', staleAfter: Duration.hours(48), inventoryName: haName });
    return site;
  }

  it('uses the names an existing inventory gives, and the derived ones otherwise', () => {
    const names = (parse(reviewOf(smallSite()).get('inventory.yaml')!.content) as { name: string }[]).map((e) => e.name);
    expect(names).toEqual(['home-vm-100-ha-primary', 'inv-app-ha']);
  });

  it('rejects two entries with one name, naming both and the field', () => {
    expect(() => reviewOf(smallSite('home-vm-100-ha-primary'))).toThrow(BackupConfigError);
    expect(() => reviewOf(smallSite('home-vm-100-ha-primary'))).toThrow(/inventoryName.*two inventory entries are named home-vm-100-ha-primary/s);
  });

  it('rejects a name an inventory file could not hold', () => {
    expect(() => smallSite('App HA')).toThrow(/inv\/Ha.*inventoryName.*expected an inventory name/s);
  });
});
