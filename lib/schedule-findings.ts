import type { FindingRecord } from './model/types';
import { Schedule } from './schedule';

/** Daylight-saving anomalies are computed over this year; the rules repeat every year. */
const REFERENCE_YEAR = 2026;

/**
 * Warnings for runs that a daylight-saving change skips or repeats in the zone the job runs
 * in (its own, else the host's). Unknown zones cannot be checked and give none; nor do jobs
 * that run at least hourly (the next run is at most an hour away).
 */
export function daylightSavingFindings(jobId: string, subject: string, schedule: Schedule, hostTimeZone: string | undefined): FindingRecord[] {
  const zone = schedule.timeZone ?? hostTimeZone;
  if (!zone) return [];
  // a job that runs at least hourly keeps its cadence when one run is skipped or repeated
  if (schedule.period().toSeconds() <= 3600) return [];
  const seen = new Set<string>();
  const out: FindingRecord[] = [];
  for (const run of schedule.daylightSavingAnomalies(new Date(Date.UTC(REFERENCE_YEAR, 0, 1)), { hostTimeZone: zone })) {
    const key = `${run.daylightSaving} ${run.wallTime.slice(11)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      severity: 'warning',
      rule: 'schedule-daylight-saving',
      subject,
      message:
        run.daylightSaving === 'gap'
          ? `job ${jobId} at ${run.wallTime.slice(11)} ${zone} falls in the spring-forward gap once a year (e.g. ${run.wallTime.slice(0, 10)}), so that run is skipped`
          : `job ${jobId} at ${run.wallTime.slice(11)} ${zone} falls in the hour that repeats once a year (e.g. ${run.wallTime.slice(0, 10)})`,
      fix: 'schedule it outside 01:00-03:59 local time, or give the schedule a UTC zone',
    });
  }
  return out;
}
