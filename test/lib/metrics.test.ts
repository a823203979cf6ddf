import { BackupMetric, signalRecord } from '../../lib/metrics';

describe('signalRecord', () => {
  it('gives a per-guest Pushgateway group the grouping key its labels name, in the scheme order', () => {
    const rec = signalRecord({ kind: 'pushgateway', url: 'http://pg:9091' }, { job: 'nightly', site: 'home', host: 'pve', guest: '101' }, [BackupMetric.lastRun]);
    expect(rec.labels).toEqual({ backup_job: 'nightly', site: 'home', host: 'pve', guest: '101' });
    expect(Object.keys(rec.labels)).toEqual(['backup_job', 'site', 'host', 'guest']);
    expect(rec.destination).toBe('http://pg:9091/metrics/job/nightly/backup_job/nightly/site/home/host/pve/guest/101');
    expect(rec).toMatchObject({ job: 'nightly', host: 'pve', sink: 'pushgateway', metrics: [BackupMetric.lastRun] });
  });

  it('leaves the guest label out of a job-level textfile group and names its file', () => {
    const rec = signalRecord({ kind: 'textfile', directory: '/var/lib/node_exporter' }, { job: 'off site', site: 'home', host: 'nas' }, []);
    expect(rec.labels).toEqual({ backup_job: 'off site', site: 'home', host: 'nas' });
    expect(rec.destination).toBe('/var/lib/node_exporter/backup_off_site.prom');
    expect(rec.sink).toBe('textfile');
  });
});
