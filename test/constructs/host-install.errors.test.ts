import { Construct } from 'constructs';
import { AlertDelivery, BackupAlertRules, HostInstall, LvmSnapshotTimer } from '../../constructs';
import { errorOf } from '../helpers/process-group';
import { testSite } from '../helpers/fixtures';

/** host.install from a construct of the user's own, with input that is not typed (loaded from YAML). */
function installError(what: unknown): string {
  const { site, host } = testSite();
  return errorOf(() => host.install(new Construct(site, 'Mine'), what as HostInstall));
}

/** The same, or '' when it is accepted. */
function installOutcome(what: unknown): string {
  try {
    const { site, host } = testSite();
    host.install(new Construct(site, 'Mine'), what as HostInstall);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('Host.install input', () => {
  it('fails when a file has an option it does not know, instead of installing it 0644', () => {
    expect(installError({ files: [{ path: '/etc/mine/secret.env', content: 'x', mod: '0600' }] })).toBe('[test/Mine] files.0.mod: not a known option (hint: host files need an absolute path of the backup system\'s own (/usr/local/..., /etc/<tool>/...) and an octal mode such as 0644; did you mean mode?)');
  });

  it('fails when the install has an option it does not know, instead of not enabling the unit', () => {
    expect(installError({ files: [], enableUnit: ['mine.timer'] })).toMatch(/^\[test\/Mine\] enableUnit: not a known option \(hint: did you mean enableUnits\?\)$/);
  });

  it('fails when a file path holds a line break, which splits the install manifest', () => {
    expect(installError({ files: [{ path: '/etc/mine\ntouch /tmp/x', content: 'x' }] })).toMatch(/^\[test\/Mine\] files\.0\.path: expected a path without control characters such as a line break, got "\/etc\/mine\\ntouch \/tmp\/x"/);
  });

  it('fails when a file path holds .., a second spelling the check for two owners tells apart', () => {
    expect(installError({ files: [{ path: '/etc/mine/../cron.d/x', content: 'x' }] })).toMatch(/^\[test\/Mine\] files\.0\.path: expected a path written one way: without \. or \.\. segments or \/\/ \(write the folder it means\), got "\/etc\/mine\/\.\.\/cron\.d\/x"/);
  });

  it('fails when a removal entry is blank', () => {
    expect(installError({ removals: [{ entry: '  ', lines: ['true'] }] })).toMatch(/^\[test\/Mine\] removals\.0\.entry: expected an entry name, not only whitespace/);
  });

  it('still installs a unit file whose name carries a systemd escape', () => {
    const { site, host } = testSite();
    expect(() => host.install(new Construct(site, 'Mount'), { files: [{ path: '/etc/systemd/system/mnt-backup\\x2dhdd.mount', content: '[Mount]\n' }] })).not.toThrow();
  });
});

describe('Host.install and the system files', () => {
  it("refuses to write a system file whole (removing the construct would delete it), but not a managed block in a shared one", () => {
    for (const path of ['/etc/passwd', '/etc/fstab', '/usr/sbin/lvs', '/etc/pve/storage.cfg', '/boot/grub/grub.cfg', '/etc/ssh/sshd_config']) {
      expect({ path, message: installError({ files: [{ path, content: 'x' }] }) }).toEqual({ path, message: expect.stringMatching(/^\[test\/Mine\] files\.0\.path: expected a file of the backup system's own, not a system file \(/) });
    }
    expect(installOutcome({ files: [{ path: '/etc/fstab', kind: 'block', content: '# BEGIN backup-constructs test/Mine\nnas:/v /mnt/v nfs soft 0 0\n# END backup-constructs test/Mine\n' }] })).toBe('');
    for (const path of ['/usr/local/sbin/lvs-wrapper', '/etc/backup-constructs/x.conf', '/etc/prometheus/rules/backup.rules.yml', '/etc/systemd/system/bc-x.service']) {
      expect({ path, message: installOutcome({ files: [{ path, content: 'x' }] }) }).toEqual({ path, message: '' });
    }
  });
});

describe('file paths given to constructs that install them', () => {
  it("are checked on the construct's own prop, not as the install's files.0.path", () => {
    const { site, host } = testSite();
    expect(errorOf(() => new LvmSnapshotTimer(site, 'Snap', { host, toolPath: '/usr/sbin/lvs' }))).toMatch(/^\[test\/Snap\] toolPath: expected a file of the backup system's own, not a system file, got "\/usr\/sbin\/lvs"/);
    expect(errorOf(() => new LvmSnapshotTimer(site, 'Snap2', { host, toolPath: '/usr/local/sbin/' }))).toMatch(/^\[test\/Snap2\] toolPath: expected the path of a file, not a folder/);
    expect(errorOf(() => new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.hostFile(host, '/etc/passwd') }))).toMatch(/^\[test\/Alerts\] delivery\.path: expected a file of the backup system's own, not a system file/);
    expect(errorOf(() => new BackupAlertRules(site, 'Alerts2', { delivery: AlertDelivery.hostFile(host, 'rules.yml') }))).toMatch(/^\[test\/Alerts2\] delivery\.path: expected an absolute path .*\(hint: an absolute path starts at \/: '\/rules\.yml'\)$/);
  });
});
