import { Guest, Schedule, ScheduledHostJob, VzdumpJob } from '../../constructs';
import { renderSynthSummary } from '../../lib/review/summary';
import { nfsStorage, testSite } from '../helpers/fixtures';
import { modelOf } from '../helpers/synth';

/**
 * A site with `guests` guests short of 3-2-1 (one on-site copy each), plus the asset for the
 * guests the all-guests job finds undeclared (also one on-site copy), and `jobs` jobs in all.
 */
function summaryOf(guests: number, jobs: number): string[] {
  const { site, host } = testSite();
  for (let i = 0; i < guests; i++) new Guest(site, `G${i}`, { host, vmid: 100 + i, type: 'qemu', name: `g${100 + i}` });
  new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly', schedule: Schedule.daily('01:00'), storage: nfsStorage(site, host), all: true });
  for (let i = 1; i < jobs; i++) new ScheduledHostJob(site, `J${i}`, { host, jobId: `job-${String(i).padStart(2, '0')}`, schedule: Schedule.daily('02:00'), description: 'd', body: 'true' });
  return renderSynthSummary(modelOf(site), 7).split('\n');
}

describe('the synth summary', () => {
  it('lists every job and finding of a small site', () => {
    // 4 declared guests and the undeclared ones: five 3-2-1 warnings, not above GROUP_ABOVE
    const lines = summaryOf(4, 3);
    expect(lines[0]).toMatch(/^site test: 7 Terraform resources, .* 3 jobs, 5 assets, 5 copies, 0 errors, [1-9]\d* warnings$/);
    expect(lines.filter((l) => l.startsWith('  job '))).toHaveLength(3);
    expect(lines.filter((l) => l.includes('falls short of 3-2-1'))).toHaveLength(5);
    expect(lines.some((l) => l.includes('more'))).toBe(false);
  });

  it('stays on one screen for a big site: 20 jobs, then a count; 3 of a large group of warnings, then a count', () => {
    const lines = summaryOf(40, 25);
    expect(lines.filter((l) => l.startsWith('  job '))).toHaveLength(20);
    expect(lines).toContain('  ... and 5 more jobs (REVIEW.md lists them all)');
    expect(lines.filter((l) => l.includes('falls short of 3-2-1'))).toHaveLength(3);
    expect(lines).toContain('  ... and 38 more `3-2-1` warnings like these (REVIEW.md lists them all)');
    expect(lines.length).toBeLessThan(40);
  });
});
