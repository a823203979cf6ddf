import { App } from 'cdktf';
import { parse } from 'yaml';
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
      'home-app-home-assistant',
      'home-lxc-103-download-home',
      'home-lxc-105-pihole-home',
      'home-vm-100-home-assistant',
      'home-vm-101-immich',
      'home-vm-102-vaultwarden',
    ]);
    expect(entries.find((e) => e.name === 'home-vm-102-vaultwarden')).toEqual({
      name: 'home-vm-102-vaultwarden',
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
    expect(entries.find((e) => e.name === 'home-vm-101-immich')).toMatchObject({ stale_after_hours: 170, glob: 'vzdump-qemu-101-*.vma.zst' });
    expect(entries.find((e) => e.name === 'home-app-home-assistant')).toMatchObject({ stale_after_hours: 48, base_path: '/volume1/backups/homeassistant_backups' });
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
