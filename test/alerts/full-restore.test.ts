import { App } from 'cdktf';
import { SITES } from '../../stacks';
import { reviewOf } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

/** The full-restore runbook of a seed site, and the position of a heading in it. */
function fullRestore(siteId: string) {
  const text = reviewOf(SITES[siteId](new App({ outdir: tempDir() }))).get('runbooks/full-restore.md')!.content;
  const at = (heading: string) => {
    const i = text.indexOf(`### ${heading}`);
    if (i < 0) throw new Error(`no section ${heading} in ${siteId}'s full-restore.md`);
    return i;
  };
  return { text, at };
}

describe('full-restore.md', () => {
  it('restores a VM before the application backups that live in it (shop: infra-core before Authentik and Gitea; home: VM 100 before its HA backup)', () => {
    const shop = fullRestore('shop');
    expect(shop.at('VM 204 infra-core')).toBeLessThan(shop.at('Authentik'));
    expect(shop.at('VM 204 infra-core')).toBeLessThan(shop.at('Gitea'));
    const home = fullRestore('home');
    expect(home.at('VM 100 home-assistant')).toBeLessThan(home.at('Home Assistant configuration and history'));
  });

  it('restores the host configuration first and the volumes before the databases copied out of them (homelab)', () => {
    const lab = fullRestore('homelab');
    expect(lab.at('Proxmox host configuration on pve')).toBeLessThan(lab.at('PVC volumes vm-*-pvc-* on pve'));
    expect(lab.at('PVC volumes vm-*-pvc-* on pve')).toBeLessThan(lab.at('SQLite databases in PVC volumes'));
  });

  it('starts with what a rebuilt host needs before any restore command works (colo: storages, keys, the deploy)', () => {
    const colo = fullRestore('colo');
    const first = colo.text.indexOf('## First: the hosts');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(colo.at('every guest on pve not declared in this program'));
    expect(colo.text).toContain('`cdktf deploy colo` recreates the Proxmox storages and jobs');
  });

  it('keeps each restore step\'s title and notes above its commands: they carry what to stop or remove first', () => {
    const home = fullRestore('home').text;
    const qmrestore = home.indexOf('qmrestore');
    expect(qmrestore).toBeGreaterThan(0);
    // the step's title says to remove the broken guest first, right above its command
    expect(home.slice(0, qmrestore)).toMatch(/\*\*[^\n]*stop and remove the broken guest first[^\n]*\*\*\n\n[^`]*```sh\n$/);
    const shop = fullRestore('shop').text;
    expect(shop).toContain('Stop anything that writes to Gitea first');
  });

  it.each(Object.keys(SITES))('%s: lists no copy twice, each with where its files are', (siteId) => {
    const bullets = fullRestore(siteId).text.split('\n').filter((l) => l.startsWith('- from '));
    expect(bullets.length).toBeGreaterThan(0);
    const sections = fullRestore(siteId).text.split(/^### /m).slice(1);
    for (const s of sections) {
      const mine = s.split('\n').filter((l) => l.startsWith('- from '));
      expect({ section: s.split('\n')[0], dupes: mine.filter((l, i) => mine.indexOf(l) !== i) }).toEqual({ section: s.split('\n')[0], dupes: [] });
    }
  });
});
