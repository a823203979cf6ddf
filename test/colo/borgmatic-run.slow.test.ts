import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Borgmatic, BorgPassphrase, Retention, Schedule } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { modelOf, reviewOf, writeTree } from '../helpers/synth';
import { hasTool, tempDir } from '../helpers/tools';

const haveBorg = hasTool('borg', 'borgbackup') && hasTool('borgmatic', 'borgmatic');

/**
 * The generated job script run for real: borgmatic 1.7 and borg back up a temporary folder
 * into a local repository, prune by the construct's retention, report in the metric scheme,
 * and the runbook's restore command brings the files back.
 */
(haveBorg ? describe : describe.skip)('Borgmatic job, run for real with borg', () => {
  const dir = tempDir('bc-borg-');
  const src = path.join(dir, 'src');
  const repo = path.join(dir, 'repo');
  const passfile = path.join(dir, 'passphrase');
  const { site, borg } = (() => {
    const { site, host } = testSite();
    const borg = new Borgmatic(site, 'Borg', {
      host,
      jobId: 'borgmatic-test',
      schedule: Schedule.daily('03:00'),
      repository: repo,
      passphrase: BorgPassphrase.file(passfile),
      sourceDirectories: [src],
      excludes: ['*.tmp'],
      retention: Retention.keepLast(2),
      checks: [{ name: 'repository' }, { name: 'archives' }],
    });
    return { site, borg };
  })();
  writeTree(path.join(dir, 'review'), reviewOf(site).values());
  const hostTree = path.join(dir, 'review/hosts/pve');
  const config = path.join(hostTree, borg.configPath);
  const script = path.join(hostTree, borg.job.scriptPath);
  // HOME keeps borg's keys/cache and borgmatic's check times inside the temporary folder
  const env = { ...process.env, HOME: path.join(dir, 'home'), BORGMATIC_CONFIG: config, BC_TEXTFILE_DIR: path.join(dir, 'prom'), BC_LOCK_0: path.join(dir, 'job.lock') };
  const prom = () => fs.readFileSync(path.join(dir, 'prom/backup_borgmatic-test.prom'), 'utf8');
  const metric = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(prom())![1]);
  const archives = () =>
    spawnSync('borg', ['list', '--short', repo], { env: { ...env, BORG_PASSCOMMAND: `cat ${passfile}` }, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

  beforeAll(() => {
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a.txt'), 'alpha\n');
    fs.writeFileSync(path.join(src, 'sub/b.bin'), Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) % 251)));
    fs.writeFileSync(path.join(src, 'scratch.tmp'), 'excluded\n');
    fs.writeFileSync(passfile, 'a long test passphrase\n', { mode: 0o600 });
    // what an operator does once: create the repository with the job's own configuration
    const init = spawnSync('borgmatic', ['--config', config, 'init', '--encryption', 'repokey-blake2'], { env, encoding: 'utf8' });
    expect(init.status).toBe(0);
  });

  it('backs up three times, keeps the two newest archives, reports success and the bytes added', () => {
    for (let i = 0; i < 3; i++) {
      fs.writeFileSync(path.join(src, `run-${i}.txt`), `run ${i}\n`);
      const r = spawnSync(script, [], { env, encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      // archives are bucketed by second for keep-last: make the next one land in another second
      spawnSync('sleep', ['1']);
    }
    expect(archives()).toHaveLength(2);
    expect(metric('backup_last_status')).toBe(0);
    expect(metric('backup_last_size_bytes')).toBeGreaterThan(0);
    expect(metric('backup_last_success_timestamp_seconds')).toBe(metric('backup_last_run_timestamp_seconds'));
  });

  it('restores the newest archive with the runbook\'s command', () => {
    fs.rmSync(path.join(src, 'a.txt'));
    const step = modelOf(site).job('borgmatic-test')!.restore!.find((s) => s.asset === `path:pve:${src}`)!;
    const restoreDir = path.join(dir, 'restore');
    const command = step.commands.join('\n').replaceAll(borg.configPath, config).replaceAll('/var/tmp/restore-borgmatic-test', restoreDir);
    const r = spawnSync('bash', ['-c', command], { env, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const restored = path.join(restoreDir, src.slice(1));
    expect(fs.readFileSync(path.join(restored, 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(fs.readFileSync(path.join(restored, 'sub/b.bin')).equals(fs.readFileSync(path.join(src, 'sub/b.bin')))).toBe(true);
    expect(fs.readFileSync(path.join(restored, 'run-2.txt'), 'utf8')).toBe('run 2\n');
    expect(fs.existsSync(path.join(restored, 'scratch.tmp'))).toBe(false);
  });

  it('reports a run that cannot unlock the repository as failed, keeps the last success time and prunes nothing', () => {
    const before = archives();
    const lastSuccess = metric('backup_last_success_timestamp_seconds');
    fs.writeFileSync(passfile, 'the wrong passphrase\n');
    const r = spawnSync(script, [], { env, encoding: 'utf8' });
    fs.writeFileSync(passfile, 'a long test passphrase\n');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('borgmatic-test failed with status');
    expect(metric('backup_last_status')).not.toBe(0);
    expect(metric('backup_last_success_timestamp_seconds')).toBe(lastSuccess);
    expect(archives()).toEqual(before);
  });
});
