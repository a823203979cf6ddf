import * as path from 'path';
import { App } from 'cdktf';
import { parse } from 'yaml';
import { shopSite } from '../../stacks/shop';
import { reviewOf, synthJson, writeTree } from '../helpers/synth';
import { describeWithTool, pveCfgCheck, shellcheck, tempDir } from '../helpers/tools';
import { parseSections } from '../helpers/pve-sections';

describe('shop site (seed 000)', () => {
  const site = shopSite(new App({ outdir: tempDir() }));
  synthJson(site);
  const review = reviewOf(site);
  const model = site.model;

  it('has tank-backups as a dir storage on the ZFS dataset with storage-level keep-last=2', () => {
    expect(parseSections(review.get('pve/pve/storage.cfg')!.content)).toEqual({
      'dir: tank-backups': { path: '/tank/backups/vzdump', content: 'backup', 'prune-backups': 'keep-last=2' },
    });
    expect(model.target('pve-storage:pve:tank-backups')).toMatchObject({ path: '/tank/backups/vzdump/dump', medium: 'local-disk' });
  });

  it('backs up every guest of pve at 02:00 with snapshot and zstd, leaving retention to the storage, and says why all: true', () => {
    const jobs = parseSections(review.get('pve/pve/jobs.cfg')!.content);
    expect(Object.keys(jobs)).toEqual(['vzdump: backup-shop-daily']);
    const j = jobs['vzdump: backup-shop-daily'];
    expect([j.schedule, j.all, j.storage, j.mode, j.compress, j['prune-backups'], j.vmid]).toEqual(['02:00', '1', 'tank-backups', 'snapshot', 'zstd', undefined, undefined]);
    expect(model.decisions.find((d) => d.subject === 'job backup-shop-daily')!.reason).toMatch(/seed 000 lists no guests/);
    expect(model.copiesOf('guest:pve:204').map((c) => c.job)).toEqual(['backup-shop-daily']);
    // the guests seed 000 does not list are one asset with the same copy, short of 3-2-1 like VM 204
    expect(model.asset('guest:pve:undeclared')).toMatchObject({ name: 'every guest on pve not declared in this program', classification: 'important', selector: { include: ['vmid=*'], exclude: ['vmid=204'] } });
    expect(model.copiesOf('guest:pve:undeclared').map((c) => [c.job, c.target, c.retention])).toEqual([['backup-shop-daily', 'pve-storage:pve:tank-backups', 'keep-last=2']]);
    expect(model.allFindings().filter((f) => f.rule === '3-2-1' && f.subject.startsWith('guest:')).map((f) => f.subject)).toEqual(['guest:pve:204', 'guest:pve:undeclared']);
  });

  it('runs the Authentik and Gitea procedures on infra-core before the vzdump, whose image of VM 204 carries them to tank-backups', () => {
    // the status tool (seed 000's backup.status) has its own test; here the app backups
    const files = [...review.keys()].filter((k) => k.startsWith('hosts/infra-core/') && !/backup-status|inventory\.tsv/.test(k)).sort();
    expect(files).toEqual([
      'hosts/infra-core/etc/systemd/system/bc-app-backup-authentik.service',
      'hosts/infra-core/etc/systemd/system/bc-app-backup-authentik.timer',
      'hosts/infra-core/etc/systemd/system/bc-app-backup-gitea.service',
      'hosts/infra-core/etc/systemd/system/bc-app-backup-gitea.timer',
      'hosts/infra-core/usr/local/lib/backup-constructs/app-backup-authentik.sh',
      'hosts/infra-core/usr/local/lib/backup-constructs/app-backup-gitea.sh',
    ]);
    expect(review.get('hosts/infra-core/etc/systemd/system/bc-app-backup-authentik.timer')!.content).toContain('OnCalendar=*-*-* 01:30:00');
    expect(review.get('hosts/infra-core/etc/systemd/system/bc-app-backup-gitea.timer')!.content).toContain('OnCalendar=*-*-* 01:40:00');
    for (const app of ['authentik', 'gitea']) {
      expect(model.copiesOf(`app-data:infra-core:${app}`).map((c) => [c.job, c.target, c.layer])).toEqual([
        [`app-backup-${app}`, `host-path:infra-core:/var/backups/backup-constructs/${app}`, 'app'],
        ['backup-shop-daily', 'pve-storage:pve:tank-backups', 'app'],
      ]);
    }
    expect(model.decisions.map((d) => d.subject)).toEqual(expect.arrayContaining(['Docker host', 'Authentik and Gitea backups']));
  });

  it("checks the freshness of the app dumps where they lie, seed 000's backup.status on infra-core", () => {
    const tsv = review.get('hosts/infra-core/etc/backup-constructs/inventory.tsv')!.content;
    expect(tsv.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[6])).toEqual(['app-backup-authentik', 'app-backup-gitea']);
    expect(review.get('hosts/infra-core/usr/local/bin/backup-status')!.executable).toBe(true);
    // seed 000's 24 h / 48 h rule, as applied (26 h / 52 h), is a recorded decision
    expect(tsv.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[4])).toEqual(['26', '26']);
    expect(model.decisions.find((d) => d.subject === 'freshness thresholds')?.reason).toMatch(/seed 000's <24 h OK \/ 24-48 h WARNING \/ >48 h CRITICAL/);
  });

  it('has the receipt-backed prune of tank-backups by its retention, and an alert when pruning falls behind', () => {
    const script = review.get('hosts/pve/usr/local/lib/backup-constructs/vzdump-prune-tank-backups.sh')!.content;
    expect(script).toContain('\nDUMP_DIR=${DUMP_DIR:-/tank/backups/vzdump/dump}\n');
    expect(script).toContain('\nRETENTION=${RETENTION:-last=2}\n');
    const rules = parse([...review.entries()].find(([k]) => k.endsWith('.rules.yml'))![1].content).groups[0].rules.map((r: { alert: string }) => r.alert);
    expect(rules).toEqual(expect.arrayContaining(['VzdumpPruneTankBackupsBehind', 'AppBackupAuthentikStale', 'AppBackupGiteaFailing', 'BackupShopDailyStale']));
    expect(model.findings.find((f) => f.rule === 'alerts-delivered')?.message).toMatch(/not deployed/);
  });

  describeWithTool('shellcheck', 'shellcheck', 'shop output with real checkers', () => {
    it('passes the Proxmox checker and shellcheck', () => {
      const dir = tempDir();
      writeTree(dir, review.values());
      const pve = path.join(dir, 'pve/pve');
      expect(pveCfgCheck(['storage', path.join(pve, 'storage.cfg')]).output).toMatch(/^ok: 1 sections/);
      expect(pveCfgCheck(['jobs', path.join(pve, 'jobs.cfg'), '--storage-cfg', path.join(pve, 'storage.cfg')]).output).toMatch(/^ok: 1 sections/);
      expect(pveCfgCheck(['cmd', path.join(pve, 'commands.txt'), '--storage-cfg', path.join(pve, 'storage.cfg'), '--jobs-cfg', path.join(pve, 'jobs.cfg')]).output).toMatch(/^ok: /);
      for (const f of [...review.keys()].filter((k) => k.endsWith('.sh'))) expect({ f, out: shellcheck(path.join(dir, f)).output }).toEqual({ f, out: '' });
    });
  });
});
