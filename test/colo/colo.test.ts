import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { BackupSite } from '../../constructs';
import { coloSite } from '../../stacks/colo';
import { freshApp, modelOf, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { describeWithTool, pveCfgCheck, run, tempDir } from '../helpers/tools';

function colo(): { site: BackupSite; dir: string; files: ReturnType<typeof reviewOf> } {
  const site = coloSite(freshApp());
  // alert delivery is built when the site synthesizes
  synthJson(site);
  const files = reviewOf(site);
  const dir = tempDir('bc-colo-');
  writeTree(dir, files.values());
  return { site, dir, files };
}

describe('colo site (seed 004)', () => {
  const { site, dir, files } = colo();
  const model = modelOf(site);

  it('synthesizes with every cross-construct check passing', () => {
    expect(() => synthJson(site)).not.toThrow();
  });

  it('tier 1: every guest of pve goes to the local PBS storage, which the Proxmox checker accepts', () => {
    const storage = path.join(dir, 'pve/pve/storage.cfg');
    const jobs = path.join(dir, 'pve/pve/jobs.cfg');
    expect(pveCfgCheck(['storage', storage]).output).toMatch(/^ok: 1 sections/);
    expect(pveCfgCheck(['jobs', jobs, '--storage-cfg', storage]).output).toMatch(/^ok: 1 sections/);
    const cfg = files.get('pve/pve/storage.cfg')!.content;
    expect(cfg).toMatch(/^pbs: pbs-colo\n\tdatastore colo\n\tserver \S+\n/);
    expect(cfg).toMatch(/\tfingerprint ([0-9a-f]{2}:){31}[0-9a-f]{2}\n/);
    expect(cfg).toContain('\tusername backup@pbs!pve\n');
    expect(cfg).not.toMatch(/password/);
    expect(files.get('pve/pve/jobs.cfg')!.content).toMatch(/^vzdump: colo-vzdump-nightly\n[\s\S]*\tall 1\n[\s\S]*\tstorage pbs-colo\n/);
    // the token is read from a root-only file: the reviewer's command says where from in a
    // comment and never types it, the apply itself passes it on pvesm's stdin
    const commands = path.join(dir, 'pve/pve/commands.txt');
    const text = fs.readFileSync(commands, 'utf8');
    expect(text).toMatch(/^# --password: pvesm reads it from \/root\/\.pbs-colo-token on its stdin when applied, never an argument ps shows\npvesm add pbs pbs-colo .* --username 'backup@pbs!pve'$/m);
    expect(text).not.toContain('--password ');
    const c = pveCfgCheck(['cmd', commands, '--storage-cfg', storage, '--jobs-cfg', jobs]);
    expect(c.output.split('\n').filter((l) => /: (error|warning): /.test(l))).toEqual([]);
    expect(c.status).toBe(0);
    const install = Object.values(synthJson(site).resource.null_resource as Record<string, any>).map((r) => r.provisioner[0]['remote-exec'].inline[0] as string).find((t) => t.includes('pvesm add pbs'))!;
    expect(install).toContain(" --password </root/.pbs-colo-token\n");
    expect(install).not.toContain('$(cat /root/.pbs-colo-token)');
    expect(model.target('pve-storage:pve:pbs-colo')).toMatchObject({ medium: 'backup-server', location: 'on-site' });
  });

  it('tier 1 copies every guest of pve, undeclared as the seed names none, to the PBS; REVIEW.md and the runbooks show it and how to restore', () => {
    expect(model.assets.filter((a) => a.kind === 'guest').map((a) => [a.id, a.name, a.classification])).toEqual([['guest:pve:undeclared', 'every guest on pve not declared in this program', 'critical']]);
    expect(model.copiesOf('guest:pve:undeclared').map((c) => [c.job, c.target, c.layer, c.retention])).toEqual([['colo-vzdump-nightly', 'pve-storage:pve:pbs-colo', 'image', 'keep-daily=7,keep-weekly=4,keep-monthly=3']]);
    const review = files.get('REVIEW.md')!.content;
    expect(review).toMatch(/^\| every guest on pve not declared in this program \| critical \| - \| pbs-colo on pve \(keep-daily=7,keep-weekly=4,keep-monthly=3\) \| - \| - \| \*\*short\*\* \|$/m);
    // a nightly job that takes up to 2 h, and nothing of it off-site
    expect(review).toMatch(/^\| every guest on pve not declared in this program \| 1d 2h \| none \| image from pbs-colo on pve via `colo-vzdump-nightly` /m);
    expect(review).toMatch(/^\| every guest on pve not declared in this program \(`guest:pve:undeclared`\) .*\| critical \| `colo-vzdump-nightly` → pbs-colo on pve: image, backup-server, on-site, /m);
    const runbook = files.get('runbooks/colo-vzdump-nightly.md')!.content;
    expect(runbook).toContain('## What it protects\n\n- every guest on pve not declared in this program → pbs-colo on pve (image, ');
    expect(runbook).not.toContain('Nothing directly');
    const restore = '```sh\npvesm list pbs-colo --content backup\nqmrestore <volid> <vmid>   # a VM: <volid> looks like pbs-colo:backup/vm/<vmid>/...\npct restore <vmid> <volid> --storage <storage>   # a container: <volid> looks like pbs-colo:backup/ct/<vmid>/...\n```';
    expect(runbook).toContain(restore);
    // the section names the copy, then the step's title (and notes) above its commands
    const full = files.get('runbooks/full-restore.md')!.content;
    const section = full.slice(full.indexOf('### every guest on pve not declared in this program (critical)'));
    expect(section).toMatch(/^### every guest on pve not declared in this program \(critical\)\n\n- from pbs-colo on pve \(on-site, image\) made by `colo-vzdump-nightly`: see \[colo-vzdump-nightly\]\(colo-vzdump-nightly\.md\)\n\n\*\*[^\n]+\*\*\n/);
    expect(section).toContain(`${restore}\n`);
  });

  it('3-2-1 finds, as seed 004 says, that no guest backup leaves the colocation: a warning with a fix, not waived', () => {
    // the only off-site tier is borgmatic, of the node's own files
    const offsite = model.copies.filter((c) => model.target(c.target)?.location === 'off-site');
    expect(offsite.length).toBeGreaterThan(0);
    expect(offsite.filter((c) => model.asset(c.asset)?.kind === 'guest')).toEqual([]);
    const finding = model.allFindings().find((f) => f.rule === '3-2-1' && f.subject === 'guest:pve:undeclared');
    expect(finding).toMatchObject({ severity: 'warning', message: expect.stringMatching(/every guest on pve not declared in this program \(critical\) falls short of 3-2-1: .*no off-site copy/), fix: expect.stringMatching(/off-site/) });
    expect(model.policyOutcome().waived.map((w) => w.subject)).not.toContain('guest:pve:undeclared');
    const review = files.get('REVIEW.md')!.content;
    expect(review).toContain(`- **warning** \`3-2-1\` guest:pve:undeclared: ${finding!.message}.`);
    // the guests count among the assets at a glance: none of colo's meets 3-2-1
    expect(review).toContain(`- 3-2-1: 0 of ${model.assets.length} asset(s) meet it (**${model.assets.length} short**`);
  });

  it('PBS side: verify with outdated-after, prune and gc for datastore colo, applied on the pbs host', () => {
    const script = files.get('hosts/pbs/usr/local/lib/backup-constructs/pbs-datastore-colo.sh')!.content;
    expect(script).toMatch(/^  proxmox-backup-manager verify-job create colo-verify --store colo --schedule 05:00 --ignore-verified true --outdated-after 30 /m);
    expect(script).toMatch(/^  proxmox-backup-manager prune-job create colo-prune --store colo --schedule 04:00 --keep-daily 7 --keep-weekly 4 --keep-monthly 3 /m);
    expect(script).toContain("proxmox-backup-manager datastore update colo --gc-schedule 'sun 07:30'\n");
    expect(['colo-verify', 'colo-prune', 'colo-gc'].map((id) => model.job(id)?.host)).toEqual(['pbs', 'pbs', 'pbs']);
  });

  it('tier 2: borgmatic on pve to the Storage Box, passphrase from Vault, off-site', () => {
    const config = parse(files.get('hosts/pve/etc/backup-constructs/borgmatic/colo-borgmatic.yaml')!.content);
    expect(config.location.repositories[0]).toMatch(/^ssh:\/\/u\d+@u\d+\.your-storagebox\.de:23\/\.\//);
    expect(config.storage.encryption_passcommand).toMatch(/^vault kv get -field=passphrase secret\//);
    expect(files.get('hosts/pve/etc/systemd/system/bc-colo-borgmatic.service')!.content).toContain('EnvironmentFile=-/etc/backup-constructs/vault.env\n');
    const target = model.target(model.job('colo-borgmatic')!.writesTo[0])!;
    expect([target.medium, target.location]).toEqual(['remote-storage', 'off-site']);
    expect(model.copiesBy('colo-borgmatic').map((c) => c.asset)).toContain('path:pve:/etc/pve');
  });

  it('monitoring: failed-backup alerts for vzdump and borgmatic, delivered to Prometheus on the pbs host, and the choice recorded', () => {
    const rules = parse(files.get('prometheus/backup-colo.rules.yml')!.content).groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    for (const stem of ['ColoBorgmatic', 'ColoVzdumpNightly']) for (const kind of ['Stale', 'Failing', 'NeverRan']) expect(rules).toContain(`${stem}${kind}`);
    expect(files.get('hosts/pbs/etc/prometheus/rules/backup-colo.rules.yml')!.content).toBe(files.get('prometheus/backup-colo.rules.yml')!.content);
    expect(model.signalsOf('colo-borgmatic')[0].metrics).toEqual(expect.arrayContaining(['backup_last_status', 'backup_last_size_bytes']));
    expect(model.decisions.map((d) => d.subject)).toEqual(expect.arrayContaining(['monitoring', 'schedules', 'retention', 'borgmatic']));
  });

  it('says which values are placeholders, since seed 004 names no addresses or accounts', () => {
    expect(model.findings.find((f) => f.rule === 'placeholder-values')!.message).toMatch(/192\.0\.2\.10.*192\.0\.2\.11.*fingerprint.*Storage Box/);
  });

  describeWithTool('validate-borgmatic-config', 'borgmatic', 'with borgmatic 1.7', () => {
    it('the borgmatic configuration is valid', () => {
      const r = spawnSync('validate-borgmatic-config', ['-c', path.join(dir, 'hosts/pve/etc/backup-constructs/borgmatic/colo-borgmatic.yaml')], { encoding: 'utf8' });
      expect(r.status).toBe(0);
    });
  });

  describeWithTool('promtool', 'prometheus', 'with promtool', () => {
    it('the alert rules pass promtool check and their tests', () => {
      const d = path.join(dir, 'prometheus');
      expect(run('promtool', ['check', 'rules', 'backup-colo.rules.yml'], { cwd: d })).toMatch(/SUCCESS/);
      expect(run('promtool', ['test', 'rules', 'backup-colo.test.yml'], { cwd: d })).toMatch(/SUCCESS/);
      expect(fs.existsSync(path.join(d, 'alertmanager-route.yml'))).toBe(true);
    });
  });
});
