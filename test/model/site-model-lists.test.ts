import { DEFAULT_SITE_SETTINGS } from '../../lib/defaults';
import { SiteModel } from '../../lib/model/site-model';
import type { AssetRecord, SignalRecord } from '../../lib/model/types';

// The model keeps its sorted lists between reads (reports read them many times); these tests
// pin that a kept list never goes stale and cannot be changed from outside.
const asset = (id: string): AssetRecord => ({ id, kind: 'guest', name: id, classification: 'important', constructPath: `site/${id}` });
const signal = (job: string, destination: string): SignalRecord => ({ job, host: 'pve', sink: 'pushgateway', destination, labels: { backup_job: job }, metrics: ['backup_last_status'] });

describe('SiteModel sorted lists', () => {
  it('includes a record added after the list was read, in sorted place', () => {
    const model = new SiteModel('site', DEFAULT_SITE_SETTINGS);
    model.addAsset(asset('guest:pve:200'));
    expect(model.assets.map((a) => a.id)).toEqual(['guest:pve:200']);
    model.addAsset(asset('guest:pve:100'));
    expect(model.assets.map((a) => a.id)).toEqual(['guest:pve:100', 'guest:pve:200']);
  });

  it('hands out copies: changing a returned list changes nothing in the model', () => {
    const model = new SiteModel('site', DEFAULT_SITE_SETTINGS);
    model.addAsset(asset('guest:pve:100'));
    const list = model.assets;
    list.push(asset('guest:pve:999'));
    list.reverse();
    expect(model.assets.map((a) => a.id)).toEqual(['guest:pve:100']);
  });

  it('keeps signals sorted by job and destination, and per job in the order they were added', () => {
    const model = new SiteModel('site', DEFAULT_SITE_SETTINGS);
    model.addSignal(signal('b-job', '/metrics/job/b'));
    model.addSignal(signal('a-job', '/metrics/job/a2'));
    expect(model.signalsOf('a-job').map((s) => s.destination)).toEqual(['/metrics/job/a2']);
    model.addSignal(signal('a-job', '/metrics/job/a1'));
    expect(model.signals.map((s) => s.destination)).toEqual(['/metrics/job/a1', '/metrics/job/a2', '/metrics/job/b']);
    expect(model.signalsOf('a-job').map((s) => s.destination)).toEqual(['/metrics/job/a2', '/metrics/job/a1']);
    model.signalsOf('a-job').pop();
    expect(model.signalsOf('a-job')).toHaveLength(2);
    expect(model.signalsOf('no-such-job')).toEqual([]);
  });
});
