import type { SiteModel } from '../model/site-model';
import type { JobRecord } from '../model/types';
import { Schedule, ScheduleFields } from '../schedule';

const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
/** Events start from this date: output must not depend on when it is synthesized. */
const EPOCH = new Date(Date.UTC(2026, 0, 1));

/** RFC 5545 recurrence rule for a schedule (`FREQ=WEEKLY;BYDAY=SU;BYHOUR=4;BYMINUTE=0`). */
export function toRRule(s: Schedule): string {
  const parts: string[] = [];
  if (s.monthDays) parts.push('FREQ=MONTHLY');
  else if (s.weekdays) parts.push('FREQ=WEEKLY');
  else parts.push('FREQ=DAILY');
  // BYMONTH limits every frequency: without it a quarterly drill would show every month
  if (s.months) parts.push(`BYMONTH=${s.months.join(',')}`);
  if (s.weekdays) parts.push(`BYDAY=${s.weekdays.map((d) => DAYS[d]).join(',')}`);
  // with FREQ=MONTHLY, BYDAY and BYMONTHDAY both restrict (first Sunday = SU and 1..7)
  if (s.monthDays) parts.push(`BYMONTHDAY=${s.monthDays.join(',')}`);
  parts.push(`BYHOUR=${s.hours.join(',')}`, `BYMINUTE=${s.minutes.join(',')}`);
  return parts.join(';');
}

function escapeText(t: string): string {
  return t.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/([,;])/g, '\\$1');
}

/** Folds content lines at 75 octets as RFC 5545 asks. */
function fold(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const out: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + (start === 0 ? 75 : 74), bytes.length);
    while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--; // never split a UTF-8 sequence
    out.push((start === 0 ? '' : ' ') + bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  return out.join('\r\n');
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').slice(0, 15);
}

function event(model: SiteModel, job: JobRecord): string[] {
  const fields = (job.schedule as { fields: ScheduleFields; timeZone?: string }).fields;
  const zone = (job.schedule as { timeZone?: string }).timeZone;
  const tz = zone && zone !== 'host' ? zone : job.host ? model.host(job.host)?.timeZone : undefined;
  const schedule = Schedule.explicit(fields);
  // wall-clock first run in the job's zone; floating (the reader's local time) when unknown
  const first = schedule.nextRuns(new Date(EPOCH.getTime() - 1), 1)[0];
  const targets = job.writesTo.map((t) => model.target(t)?.name ?? t).join(', ');
  const description = [`job ${job.id}`, job.host ? `host ${job.host}` : '', targets ? `target ${targets}` : '', job.description].filter(Boolean).join('\n');
  const minutes = Math.max(1, Math.round(job.expectedDurationSeconds / 60));
  return [
    'BEGIN:VEVENT',
    `UID:${job.id}@${model.site}.backup-constructs`,
    `DTSTAMP:${stamp(EPOCH)}Z`,
    tz ? `DTSTART;TZID=${tz}:${stamp(first.at)}` : `DTSTART:${stamp(first.at)}`,
    `DURATION:PT${Math.floor(minutes / 60) ? `${Math.floor(minutes / 60)}H` : ''}${minutes % 60 ? `${minutes % 60}M` : ''}`,
    `RRULE:${toRRule(schedule)}`,
    `SUMMARY:${escapeText(`backup: ${job.id}${job.host ? ` on ${job.host}` : ''}`)}`,
    `DESCRIPTION:${escapeText(description)}`,
    'END:VEVENT',
  ];
}

/** A job that copies nothing and runs more often than this is left out of the calendar. */
const CHECK_PERIOD_SHOWN = 12 * 3600;

/**
 * `review/calendar.ics`: one recurring event per scheduled job, subscribable from a phone,
 * with the job, host and target in the description. Checks and collectors that run more
 * than twice a day are left out (an hourly one would fill every hour of the calendar); the
 * calendar's description names them. A step of a job (`partOf`) is inside that job's event.
 */
export function renderCalendar(model: SiteModel): string {
  // a step runs inside its job's event
  const scheduled = model.jobs.filter((j) => j.schedule && (j.schedule as { fields?: unknown }).fields && !j.partOf);
  const frequentChecks = scheduled.filter((j) => j.writesTo.length === 0 && (j.schedule as { periodSeconds: number }).periodSeconds < CHECK_PERIOD_SHOWN);
  const shown = scheduled.filter((j) => !frequentChecks.includes(j));
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//backup-constructs//backup calendar//EN',
    'CALSCALE:GREGORIAN',
    `X-WR-CALNAME:Backups ${model.site}`,
    ...(frequentChecks.length ? [`X-WR-CALDESC:${escapeText(`Not shown (checks run more than twice a day): ${frequentChecks.map((j) => `${j.id} (${j.scheduleHuman})`).join(', ')}`)}`] : []),
    ...shown.flatMap((j) => event(model, j)),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
