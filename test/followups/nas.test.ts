import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BackupAlertRules, NasCapacity, SudoPasswordSource, SynologySnapshotRetention } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { modelOf, reviewOf, writeTree } from '../helpers/synth';
import { describeWithTool, run, shellcheck, tempDir } from '../helpers/tools';

/** An `ssh` stand-in that answers like a Synology (df, du) and records its arguments and stdin. */
function sshStandin(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'ssh'),
    `#!/bin/bash
printf '%s\\n' "$*" >>'${dir}/ssh.args'
cat >>'${dir}/ssh.stdin'
case "\${@: -1}" in
  "df -P -B1 /volume1") printf 'Filesystem 1-blocks Used Available Capacity Mounted on\\n/dev/mapper/cachedev_0 20000000000000 19600000000000 400000000000 98%% /volume1\\n' ;;
  du*) printf '12000000000000\\t/volume1/Backup\\n' ;;
esac
`,
    { mode: 0o755 },
  );
  // answers only when asked the way the seed asks, and at the seed's Vault when one is given
  fs.writeFileSync(
    path.join(bin, 'vault'),
    `#!/bin/sh\ncase "$*" in "kv get -field=synology_admin_password secret/viktor"|"kv get -address=https://vault.viktorbarzin.me -field=synology_admin_password secret/viktor") echo 'pa55 word' ;; *) exit 2 ;; esac\n`,
    { mode: 0o755 },
  );
  return bin;
}

describe('NasCapacity', () => {
  function site() {
    const { site, host } = testSite();
    new NasCapacity(site, 'Nas', { host, nasName: 'synology', address: '192.168.1.13', sshKeyFile: '/root/.ssh/synology_backup', volume: '/volume1', snapshotShares: ['/volume1/Backup'] });
    new BackupAlertRules(site, 'Alerts');
    return site;
  }

  it('collects size, used, free and live share bytes over SSH (ssh stand-in) into the metric scheme', () => {
    const dir = tempDir();
    writeTree(dir, reviewOf(site()).values());
    const bin = sshStandin(dir);
    const script = path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs/nas-capacity-synology.sh');
    const r = spawnSync(script, [], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BC_TEXTFILE_DIR: path.join(dir, 'prom') } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const prom = fs.readFileSync(path.join(dir, 'prom/backup_nas-capacity-synology.prom'), 'utf8');
    expect(prom).toMatch(/^backup_nas_free_bytes\{backup_job="nas-capacity-synology",site="test",host="pve"\} 400000000000$/m);
    expect(prom).toMatch(/^backup_nas_live_bytes\{[^}]*\} 12000000000000$/m);
    expect(fs.readFileSync(path.join(dir, 'ssh.args'), 'utf8')).toContain('-i /root/.ssh/synology_backup -o BatchMode=yes -o ConnectTimeout=20 root@192.168.1.13 df -P -B1 /volume1');
  });

  it('fails saying why when the NAS cannot be asked (ssh fails), and records the failure', () => {
    const dir = tempDir();
    writeTree(dir, reviewOf(site()).values());
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'ssh'), '#!/bin/sh\necho "ssh: connect to host 192.168.1.13 port 22: Connection refused" >&2\nexit 255\n', { mode: 0o755 });
    const script = path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs/nas-capacity-synology.sh');
    const r = spawnSync(script, [], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BC_TEXTFILE_DIR: path.join(dir, 'prom') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('could not read the size of /volume1 on 192.168.1.13');
    const prom = fs.readFileSync(path.join(dir, 'prom/backup_nas-capacity-synology.prom'), 'utf8');
    expect(prom).toMatch(/^backup_last_status\{[^}]*\} 1$/m);
    expect(prom).not.toMatch(/^backup_nas_free_bytes/m);
  });

  it('registers alerts before the NAS fills and when snapshots hold too much', () => {
    expect(modelOf(site()).alertSpecs.map((a) => a.name)).toEqual(['NasSynologyAlmostFull', 'NasSynologySnapshotsHeavy']);
  });

  it('fails when a second volume of one NAS reuses its nasName, naming nasName with a suggested name, and lets it be watched under its own', () => {
    const { site, host } = testSite();
    const props = { host, nasName: 'synology', address: '192.168.1.13', sshKeyFile: '/root/.ssh/synology_backup', volume: '/volume1' };
    new NasCapacity(site, 'Volume1', props);
    expect(() => new NasCapacity(site, 'Volume2', { ...props, volume: '/volume2' })).toThrow(
      /^\[test\/Volume2\] nasName: job "nas-capacity-synology" is already registered in site test by test\/Volume1\/Collector \(hint: nasName names the job, its metrics and its alerts: give each watched volume its own, e.g. nasName: 'synology-volume2'\)$/,
    );
    new NasCapacity(site, 'Volume2b', { ...props, volume: '/volume2', nasName: 'synology-volume2' });
    expect(modelOf(site).alertSpecs.map((a) => a.name)).toEqual(['NasSynologyAlmostFull', 'NasSynologyVolume2AlmostFull']);
  });

  it('fails when the NAS is given by its Tailscale address', () => {
    const { site, host } = testSite();
    expect(() => new NasCapacity(site, 'Nas', { host, nasName: 'synology', address: '100.102.199.111', sshKeyFile: '/k', volume: '/volume1' })).toThrow(/\[test\/Nas\] address: expected the LAN address, not a Tailscale one/);
    // its IPv6 address and MagicDNS name stop answering with the tunnel just the same
    expect(() => new NasCapacity(site, 'Nas6', { host, nasName: 'synology', address: 'fd7a:115c:a1e0::13', sshKeyFile: '/k', volume: '/volume1' })).toThrow(/\[test\/Nas6\] address: expected the LAN address, not a Tailscale one/);
    expect(() => new NasCapacity(site, 'Lan6', { host, nasName: 'synology-v6', address: 'fd00::13', sshKeyFile: '/k', volume: '/volume1' })).not.toThrow();
    expect(() => new NasCapacity(site, 'Nas2', { host, nasName: 'synology', address: 'nas.tail1234.ts.net', sshKeyFile: '/k', volume: '/volume1' })).toThrow(/\[test\/Nas2\] address: expected the LAN address, not a Tailscale one/);
    expect(() => new SynologySnapshotRetention(site, 'Snap', { host, address: 'nas.tail1234.ts.net', sshKeyFile: '/k', share: 'Backup', keepDays: 7, sudoPassword: { file: '/root/.synology-sudo' } })).toThrow(
      /\[test\/Snap\] address: expected the LAN address, not a Tailscale one/,
    );
  });
});

describeWithTool('promtool', 'prometheus', 'NAS alerts with promtool', () => {
  it('fire when full or snapshot-heavy, and stay silent otherwise', () => {
    const { site, host } = testSite();
    new NasCapacity(site, 'Nas', { host, nasName: 'synology', address: '192.168.1.13', sshKeyFile: '/k', volume: '/volume1', snapshotShares: ['/volume1/Backup'] });
    new BackupAlertRules(site, 'Alerts');
    const dir = tempDir();
    writeTree(dir, reviewOf(site).values());
    expect(run('promtool', ['test', 'rules', 'backup-test.test.yml'], { cwd: path.join(dir, 'prometheus') })).toMatch(/SUCCESS/);
  });
});

describe('SynologySnapshotRetention', () => {
  /** Synthesizes a retention with this password source and runs its script against the stand-ins. */
  function applyWith(sudoPassword: SudoPasswordSource) {
    const { site, host } = testSite();
    new SynologySnapshotRetention(site, 'Snapshots', { host, address: '192.168.1.13', sshKeyFile: '/root/.ssh/synology_backup', share: 'Backup', keepDays: 3, sudoPassword });
    const dir = tempDir();
    writeTree(dir, reviewOf(site).values());
    const bin = sshStandin(dir);
    const script = path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs/synology-snapshot-retention-backup.sh');
    const r = spawnSync(script, [], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    return { site, host, dir, script, status: r.status };
  }

  it('pipes the sudo password from Vault to sudo -S over SSH, never as an argument (stand-ins)', () => {
    const { dir, script, status } = applyWith({ vaultPath: 'secret/viktor', field: 'synology_admin_password' });
    expect(status).toBe(0);
    const args = fs.readFileSync(path.join(dir, 'ssh.args'), 'utf8');
    expect(args).toContain("Administrator@192.168.1.13 sudo -S -p  /usr/syno/sbin/synosharesnapshot shareconf set Backup snap_auto_remove_keep_days=3");
    expect(args).not.toContain('pa55');
    expect(fs.readFileSync(path.join(dir, 'ssh.stdin'), 'utf8')).toBe('pa55 word\n');
    expect(fs.readFileSync(script, 'utf8')).not.toContain('pa55');
  });

  it("asks the Vault the stack names, not whatever VAULT_ADDR the applying shell has", () => {
    const { site, host, dir, status } = applyWith({ vaultPath: 'secret/viktor', field: 'synology_admin_password', address: 'https://vault.viktorbarzin.me' });
    expect(status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'ssh.stdin'), 'utf8')).toBe('pa55 word\n');
    expect(() => new SynologySnapshotRetention(site, 'Bad', { host, address: '192.168.1.13', sshKeyFile: '/k', share: 'B', keepDays: 3, sudoPassword: { vaultPath: 'secret/viktor', field: 'f', address: 'vault.local' } })).toThrow(/\[test\/Bad\] sudoPassword/);
  });

  it('lets one host set a share of the same name on two NASes (the second script carries the address) and fails when one share of one NAS is set twice, naming share', () => {
    const { site, host } = testSite();
    const props = { host, address: '192.168.1.13', sshKeyFile: '/k', share: 'Backup', keepDays: 7, sudoPassword: { file: '/root/.synology-sudo' } };
    const first = new SynologySnapshotRetention(site, 'Nas1', props);
    const second = new SynologySnapshotRetention(site, 'Nas2', { ...props, address: '192.168.1.14' });
    expect(first.scriptPath).toBe('/usr/local/lib/backup-constructs/synology-snapshot-retention-backup.sh');
    expect(second.scriptPath).toBe('/usr/local/lib/backup-constructs/synology-snapshot-retention-192.168.1.14-backup.sh');
    expect(reviewOf(site).get('hosts/pve/usr/local/lib/backup-constructs/synology-snapshot-retention-192.168.1.14-backup.sh')?.content).toContain('Administrator@192.168.1.14');
    expect(reviewOf(site).get('REVIEW.md')!.content).toContain('**Synology share Backup on 192.168.1.14 snapshots**');
    expect(() => new SynologySnapshotRetention(site, 'Again', { ...props, keepDays: 9 })).toThrow(
      /^\[test\/Again\] share: expected one retention per share of a NAS, got a second for share Backup on 192.168.1.13: test\/Nas1 sets it already \(7 day\(s\)\) \(hint: keep one, with the keepDays you want, or name another share\)$/,
    );
  });

  it('shows the setting in REVIEW.md and warns when it is shorter than the policy requires', () => {
    const { site, host } = testSite();
    new SynologySnapshotRetention(site, 'Snapshots', { host, address: '192.168.1.13', sshKeyFile: '/k', share: 'Backup', keepDays: 3, sudoPassword: { file: '/root/.synology-sudo' } });
    const review = reviewOf(site).get('REVIEW.md')!.content;
    expect(review).toContain('**Synology share Backup snapshots**: kept 3 day(s) (snap_auto_remove_keep_days)');
    expect(modelOf(site).findings).toEqual([expect.objectContaining({ rule: 'nas-snapshot-retention', message: expect.stringMatching(/^share Backup keeps snapshots 3 day\(s\), shorter than the 7/) })]);
  });

  it('fails when the password is given inline', () => {
    const { site, host } = testSite();
    expect(() => new SynologySnapshotRetention(site, 'S', { host, address: '192.168.1.13', sshKeyFile: '/k', share: 'Backup', keepDays: 7, sudoPassword: 'hunter2' as never })).toThrow(
      /\[test\/S\] sudoPassword: expected \{ vaultPath, field \} or \{ file \}: never the password itself/,
    );
  });

  it('fails when the DSM user is not a user name, saying what one looks like', () => {
    const { site, host } = testSite();
    expect(() => new SynologySnapshotRetention(site, 'S', { host, address: '192.168.1.13', sshKeyFile: '/k', share: 'Backup', keepDays: 7, sudoPassword: { file: '/root/p' }, user: 'backup.user' })).toThrow(
      /\[test\/S\] user: expected a DSM user name of letters, digits, _ and - \(starting with a letter or _\), got "backup.user"/,
    );
  });
});

describeWithTool('shellcheck', 'shellcheck', 'NAS scripts on shellcheck', () => {
  it('pass shellcheck', () => {
    const { site, host } = testSite();
    new NasCapacity(site, 'Nas', { host, nasName: 'synology', address: '192.168.1.13', sshKeyFile: '/root/.ssh/synology_backup', volume: '/volume1', snapshotShares: ['/volume1/Backup'] });
    new SynologySnapshotRetention(site, 'Snapshots', { host, address: '192.168.1.13', sshKeyFile: '/root/.ssh/synology_backup', share: 'Backup', keepDays: 3, sudoPassword: { vaultPath: 'secret/viktor', field: 'synology_admin_password' } });
    const dir = tempDir();
    writeTree(dir, reviewOf(site).values());
    for (const name of ['nas-capacity-synology.sh', 'synology-snapshot-retention-backup.sh']) {
      const r = shellcheck(path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs', name));
      expect({ name, output: r.output, status: r.status }).toEqual({ name, output: '', status: 0 });
    }
  });
});
