import { App, Testing } from 'cdktf';
import { homeSite } from '../../stacks/home';
import { tempDir } from '../helpers/tools';
import { reviewOf } from '../helpers/synth';
import { parseSections } from '../helpers/pve-sections';

describe('home site (seed 001, and seed 000 for the as-built storage)', () => {
  const site = homeSite(new App({ outdir: tempDir() }));
  const review = reviewOf(site);
  const storage = parseSections(review.get('pve/proxmox-home/storage.cfg')!.content);
  const jobs = parseSections(review.get('pve/proxmox-home/jobs.cfg')!.content);

  it('has the as-built NFS storage on the NAS LAN address with storage-level keep-last=3 and a soft mount', () => {
    expect(storage).toEqual({
      'nfs: synology-backups': {
        export: '/volume1/backups/proxmox_backups',
        path: '/mnt/pve/synology-backups',
        server: '10.0.0.150',
        content: 'backup',
        options: 'soft,timeo=150,retrans=3',
        'prune-backups': 'keep-last=3',
      },
    });
  });

  it('has exactly the three tiered jobs, with their schedules, guests and retention', () => {
    expect(Object.keys(jobs)).toEqual(['vzdump: backup-home-p0-daily', 'vzdump: backup-home-p1-daily', 'vzdump: backup-home-p2-weekly']);
    const pick = (j: Record<string, string>) => [j.schedule, j.vmid, j['prune-backups'], j.storage, j.mode, j.compress, j.enabled];
    expect(pick(jobs['vzdump: backup-home-p0-daily'])).toEqual(['03:00', '100,102', 'keep-last=3', 'synology-backups', 'snapshot', 'zstd', '1']);
    expect(pick(jobs['vzdump: backup-home-p1-daily'])).toEqual(['03:15', '103', 'keep-last=3', 'synology-backups', 'snapshot', 'zstd', '1']);
    expect(pick(jobs['vzdump: backup-home-p2-weekly'])).toEqual(['sun 04:00', '101,105', 'keep-last=2', 'synology-backups', 'snapshot', 'zstd', '1']);
  });

  it('applies the LXC workaround (GAP-OP-118) to P1 and P2 only, saying why in the comment', () => {
    expect(jobs['vzdump: backup-home-p0-daily'].tmpdir).toBeUndefined();
    for (const id of ['backup-home-p1-daily', 'backup-home-p2-weekly']) {
      expect(jobs[`vzdump: ${id}`].tmpdir).toBe('/var/tmp');
      expect(jobs[`vzdump: ${id}`].comment).toMatch(/GAP-OP-118/);
    }
  });

  it('every job reports through its hook script, and the site model tracks every guest and the HA backup', () => {
    for (const id of Object.keys(jobs)) {
      const script = jobs[id].script;
      expect(review.get(`hosts/proxmox-home${script}`)?.executable).toBe(true);
    }
    const model = site.model;
    expect(model.assets.map((a) => a.id)).toEqual(['app-data:app-home-assistant', ...[100, 101, 102, 103, 105].map((v) => `guest:proxmox-home:${v}`)]);
    for (const a of model.assets) expect(model.copiesOf(a.id).length).toBeGreaterThan(0);
    expect(model.job('app-home-assistant')).toMatchObject({ kind: 'external', staleAfterHours: 48, staleAfterExplicit: true });
    // the files its runbook restores from, not any file in the folder
    expect(model.copiesOf('app-data:app-home-assistant')[0].artifact).toEqual({ host: 'synology-nas', basePath: '/volume1/backups/homeassistant_backups', glob: '*.tar' });
    expect(model.copiesOf('guest:proxmox-home:102')[0].artifact).toEqual({ host: 'proxmox-home', basePath: '/mnt/pve/synology-backups/dump', glob: 'vzdump-qemu-102-*.vma.zst' });
    expect(model.job('backup-home-p1-daily')!.after).toEqual(['backup-home-p0-daily']);
  });

  it('watches every job with derived alerts and a runbook each', () => {
    for (const id of ['backup-home-p0-daily', 'backup-home-p1-daily', 'backup-home-p2-weekly']) {
      expect(review.has(`runbooks/${id}.md`)).toBe(true);
    }
    const rules = review.get('prometheus/backup-home.rules.yml')!.content;
    expect(rules).toContain('alert: BackupHomeP2WeeklyStale');
    expect(rules).toContain('> 612000'); // weekly: 168 h + 2 h
  });

  it("has seed 000's receipt-backed prune of synology-backups (a dry run weekly), each guest by its job's retention", () => {
    const script = review.get('hosts/proxmox-home/usr/local/lib/backup-constructs/vzdump-prune-synology-backups.sh')?.content ?? '';
    expect(script).toContain('\nDUMP_DIR=${DUMP_DIR:-/mnt/pve/synology-backups/dump}\n');
    expect(script).toContain('\nRETENTION=${RETENTION:-last=3}\n');
    // P2 keeps 2 of VM 101 and CT 105; P0 and P1 keep the storage's 3
    expect(script).toContain("\nGUEST_RETENTION=${GUEST_RETENTION:-'101:keep-last=2 105:keep-last=2'}\n");
    expect(review.get('hosts/proxmox-home/etc/systemd/system/bc-vzdump-prune-synology-backups.timer')!.content).toContain('OnCalendar=Sun *-*-* 06:00:00');
    expect(review.get('prometheus/backup-home.rules.yml')!.content).toContain('alert: VzdumpPruneSynologyBackupsBehind');
  });

  it('adds nothing the seed does not ask for: one host, one storage, no fstab', () => {
    expect(site.model.hosts.map((h) => h.name)).toEqual(['proxmox-home']);
    expect([...review.keys()].filter((k) => k.startsWith('hosts/')).every((k) => /\/(vzdump-hook-|(bc-)?vzdump-prune-synology-backups)/.test(k))).toBe(true);
    expect(() => Testing.synth(site, true)).not.toThrow();
    // the only construct finding: no Prometheus at home yet, so the derived rules are not deployed
    expect(site.model.findings.map((f) => f.rule)).toEqual(['alerts-delivered']);
    // and policy says plainly that nothing at home is off-site (seed 001 defers Hyper Backup),
    // that the HA backup on the NAS is watched by nothing, and that no one is told of a failure
    const policy = site.model.policyOutcome().findings;
    expect(policy.map((f) => f.rule).sort()).toEqual([...Array(6).fill('3-2-1'), 'monitored', 'monitored']);
    expect(policy.filter((f) => f.rule === '3-2-1').every((f) => /no off-site copy/.test(f.message))).toBe(true);
    expect(policy.filter((f) => f.rule === 'monitored').map((f) => f.subject).sort()).toEqual(['home', 'home/HomeAssistantBackup']);
  });
});
