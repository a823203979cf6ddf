import { largeSite, LARGE_SITE_TOTALS } from '../../bench/large-site';
import { freshApp, modelOf, synthJson } from '../helpers/synth';

// `npm run bench` is no test, so nothing else would notice the generated site going invalid
// (a new synth-time check it breaks) until someone runs the benchmark.
describe('the benchmark\'s generated large site', () => {
  it('synthesizes with every check passing, in the shape the benchmark reports', () => {
    const site = largeSite(freshApp());
    const json = synthJson(site);
    const model = modelOf(site);
    expect({ hosts: model.hosts.length, guests: model.assets.length, jobs: model.jobs.length, resources: Object.keys(json.resource.null_resource).length }).toEqual({
      hosts: LARGE_SITE_TOTALS.hosts,
      guests: LARGE_SITE_TOTALS.guests,
      jobs: LARGE_SITE_TOTALS.jobs,
      resources: LARGE_SITE_TOTALS.resources,
    });
    expect(model.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
