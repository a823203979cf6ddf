import { Duration, ExternalBackup, Guest, Schedule, ScheduledHostJob } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { modelOf } from '../helpers/synth';

describe('ExternalBackup', () => {
  it('registers an asset, its target, an unscheduled job with an explicit threshold, and where artifacts appear', () => {
    const { site } = testSite();
    new ExternalBackup(site, 'Ha', { name: 'app-home-assistant', protects: 'Home Assistant', tool: 'HA built-in backup', host: 'nas', basePath: '/volume1/ha', glob: '*.tar', staleAfter: Duration.hours(48) });
    const model = modelOf(site);
    expect(model.job('app-home-assistant')).toMatchObject({ kind: 'external', staleAfterHours: 48, staleAfterExplicit: true, scheduleHuman: 'by HA built-in backup' });
    expect(model.copiesOf('app-data:app-home-assistant')).toEqual([
      expect.objectContaining({ layer: 'app', target: 'external:nas:/volume1/ha', artifact: { host: 'nas', basePath: '/volume1/ha', glob: '*.tar' } }),
    ]);
    expect(model.target('external:nas:/volume1/ha')).toMatchObject({ medium: 'nas', location: 'on-site' });
  });

  it('fails when a second external backup (or another job) has its name, naming name (not id or jobId) with a suggested one', () => {
    const { site, host } = testSite();
    const props = { name: 'app-ha', protects: 'HA', tool: 'HA built-in backup', host: 'synology-nas', basePath: '/volume1/ha', staleAfter: Duration.hours(48) };
    new ExternalBackup(site, 'Ha', props);
    expect(() => new ExternalBackup(site, 'Ha2', { ...props, basePath: '/volume2/ha-copy' })).toThrow(
      /^\[test\/Ha2\] name: job "app-ha" is already registered in site test by test\/Ha \(hint: the name names the backup's job, metrics and alerts: give each external backup \(and job\) its own, e.g. name: 'app-ha-ha-copy'\)$/,
    );
    new ScheduledHostJob(site, 'Gitea', { host, jobId: 'app-gitea', schedule: Schedule.daily('03:00'), description: 'x', body: 'true' });
    expect(() => new ExternalBackup(site, 'GiteaExt', { ...props, name: 'app-gitea' })).toThrow(/^\[test\/GiteaExt\] name: job "app-gitea" is already registered in site test by test\/Gitea /);
  });

  it('fails when glob holds a / or a line break, host is not a host name, or protects/tool is blank or several lines', () => {
    const { site } = testSite();
    const base = { name: 'app-ha', protects: 'Home Assistant', tool: 'HA built-in backup', host: 'nas', basePath: '/volume1/ha', staleAfter: Duration.hours(48) };
    expect(() => new ExternalBackup(site, 'A', { ...base, glob: '*.tar\nevil\t1\t/\t*\t999999' })).toThrow(
      /^\[test\/A\] glob: expected a file-name pattern such as \*\.tar, without \/ or control characters.*got "\*\.tar\\nevil.*\(hint: a pattern for the file names directly in basePath/,
    );
    expect(() => new ExternalBackup(site, 'B', { ...base, glob: '../../etc/*' })).toThrow(/^\[test\/B\] glob: expected a file-name pattern/);
    expect(() => new ExternalBackup(site, 'C', { ...base, host: 'nas two' })).toThrow(/^\[test\/C\] host: expected a host name or address such as nas, got "nas two"/);
    expect(() => new ExternalBackup(site, 'D', { ...base, protects: 'a\n# b', tool: '  ' })).toThrow(/\[test\/D\] protects: expected one line without control characters[\s\S]*\[test\/D\] tool: expected some text, not only whitespace, got "  "/);
  });

  it('fails when the threshold is missing or the name is unusable', () => {
    const { site } = testSite();
    expect(() => new ExternalBackup(site, 'Ha', { name: 'HA backup', protects: 'x', tool: 'y', host: 'nas', basePath: 'rel' } as never)).toThrow(
      /\[test\/Ha\] name: expected a lower-case name[\s\S]*\[test\/Ha\] basePath: expected an absolute path[\s\S]*\[test\/Ha\] staleAfter: required: expected a Duration, e.g. Duration.hours\(48\), got nothing \(hint: Duration.hours\(48\)\)/,
    );
  });
});

describe('Guest', () => {
  it('is one asset per VMID with the archive names vzdump writes', () => {
    const { site, host } = testSite();
    const g = new Guest(site, 'G', { host, vmid: 103, type: 'lxc', name: 'download-home' });
    expect(g.unprivileged).toBe(true);
    expect(g.archiveGlob('zstd')).toBe('vzdump-lxc-103-*.tar.zst');
    expect(new Guest(site, 'V', { host, vmid: 100, type: 'qemu', name: 'ha' }).archiveGlob('gzip')).toBe('vzdump-qemu-100-*.vma.gz');
    expect(modelOf(site).asset('guest:pve:103')).toMatchObject({ kind: 'guest', name: 'CT 103 download-home', classification: 'important' });
  });

  it('fails when the vmid is below 100', () => {
    const { site, host } = testSite();
    expect(() => new Guest(site, 'G', { host, vmid: 99, type: 'qemu', name: 'x' })).toThrow(/\[test\/G\] vmid: expected a VMID from 100 to 999999999, got 99/);
  });

  it('fails when unprivileged is set on a VM', () => {
    const { site, host } = testSite();
    expect(() => new Guest(site, 'G', { host, vmid: 100, type: 'qemu', name: 'x', unprivileged: true })).toThrow(/\[test\/G\] unprivileged: only applies to lxc guests/);
  });

  it('fails when two guests share a VMID on a host', () => {
    const { site, host } = testSite();
    new Guest(site, 'A', { host, vmid: 100, type: 'qemu', name: 'a' });
    expect(() => new Guest(site, 'B', { host, vmid: 100, type: 'qemu', name: 'b' })).toThrow(/\[test\/B\] vmid: asset "guest:pve:100" is already registered in site test by test\/A \(hint: declare each guest once/);
  });
});
