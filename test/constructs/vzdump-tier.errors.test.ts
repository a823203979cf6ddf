import { VzdumpJob, VzdumpTierPreset } from '../../constructs';
import { errorOf } from '../helpers/process-group';

// An unknown tier returned undefined; spread into a job's props it left the job without a
// schedule, and the error said "schedule: required" without a word about the tier.
describe('VzdumpJob.tier', () => {
  const tier = (t: string) => VzdumpJob.tier(t as Parameters<typeof VzdumpJob.tier>[0]);

  it('fails when the tier is not p0, p1 or p2, naming the one meant', () => {
    expect(errorOf(() => tier('P0'))).toBe('[VzdumpJob.tier] tier: expected p0, p1 or p2, got "P0" (hint: did you mean p0?)');
    expect(errorOf(() => tier('gold'))).toBe('[VzdumpJob.tier] tier: expected p0, p1 or p2, got "gold" (hint: p0: daily 03:00, p1: daily 03:15, p2: Sunday 04:00)');
  });

  it('still returns the presets', () => {
    const p1: VzdumpTierPreset = tier('p1');
    expect(p1.schedule.toProxmox()).toBe('03:15');
  });
});
