import ICAL from 'ical.js';
import { App } from 'cdktf';
import { Schedule } from '../../constructs';
import { toRRule } from '../../lib/governance/calendar';
import { homeSite } from '../../stacks/home';
import { homelabSite } from '../../stacks/homelab';
import { SITES } from '../../stacks';
import { reviewOf } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

describe('calendar.ics', () => {
  const site = homeSite(new App({ outdir: tempDir() }));
  const ics = reviewOf(site).get('calendar.ics')!.content;
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const events = calendar.getAllSubcomponents('vevent').map((e: any) => new ICAL.Event(e));

  it('has one recurring event per scheduled job, with job, host and target in the description', () => {
    expect(events.map((e: any) => e.uid).sort()).toEqual(['backup-home-p0-daily@home.backup-constructs', 'backup-home-p1-daily@home.backup-constructs', 'backup-home-p2-weekly@home.backup-constructs', 'vzdump-prune-synology-backups@home.backup-constructs']);
    const p2 = events.find((e: any) => e.uid.startsWith('backup-home-p2'))!;
    expect(p2.description).toContain('host proxmox-home');
    expect(p2.description).toContain('target synology-backups on proxmox-home');
    expect(p2.isRecurring()).toBe(true);
  });

  it('renders recurrence rules that ical.js expands like Schedule for other forms too', () => {
    for (const s of [Schedule.firstWeekdayOfMonth('sun', '04:00'), Schedule.workdays('02:00'), Schedule.everyHours(6, 15), Schedule.explicit({ monthDays: [31], hours: [1], minutes: [0] }), Schedule.quarterly(3, '05:00'), Schedule.explicit({ months: [6, 12], weekdays: ['sun'], hours: [3], minutes: [30] }), Schedule.explicit({ months: [2], hours: [1], minutes: [0] })]) {
      const start = s.nextRuns(new Date(Date.UTC(2026, 0, 1) - 1), 1)[0].at.toISOString().replace(/[-:]/g, '').slice(0, 15);
      const text = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VEVENT', 'UID:x', 'DTSTAMP:20260101T000000Z', `DTSTART:${start}`, `RRULE:${toRRule(s)}`, 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
      const ev = new ICAL.Event(new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!);
      const it = ev.iterator();
      const got: string[] = [];
      for (let i = 0; i < 8; i++) got.push(it.next().toString().slice(0, 16));
      expect({ rule: toRRule(s), got }).toEqual({ rule: toRRule(s), got: s.nextRuns(new Date(Date.UTC(2026, 0, 1) - 1), 8).map((r) => r.at.toISOString().slice(0, 16)) });
    }
  });
});

describe('calendar.ics of a site with frequent checks', () => {
  const site = homelabSite(new App({ outdir: tempDir() }));
  const ics = reviewOf(site).get('calendar.ics')!.content;
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const uids = calendar.getAllSubcomponents('vevent').map((e: any) => new ICAL.Event(e).uid.split('@')[0]);

  it('leaves out checks that run more than twice a day and names them in its description', () => {
    expect(uids).not.toContain('nas-capacity-synology');
    expect(uids).not.toContain('vaultwarden-integrity-check');
    // ical.js leaves the TEXT escapes (\,) of an X- property in place
    expect(String(calendar.getFirstPropertyValue('x-wr-caldesc')).replace(/\\([,;\\])/g, '$1')).toBe('Not shown (checks run more than twice a day): nas-capacity-synology (hourly at :00), vaultwarden-integrity-check (hourly at :00)');
  });

  it('keeps a backup that runs four times a day, and every other scheduled job except steps inside another job', () => {
    expect(uids).toContain('vaultwarden-backup');
    // pfsense-backup runs inside daily-backup's run: daily-backup's event covers it
    expect(site.model.job('pfsense-backup')?.partOf).toBe('daily-backup');
    expect(uids).toContain('daily-backup');
    const scheduled = site.model.jobs.filter((j) => j.schedule).map((j) => j.id);
    expect(uids.sort()).toEqual(scheduled.filter((id) => !['nas-capacity-synology', 'vaultwarden-integrity-check', 'pfsense-backup'].includes(id)).sort());
  });
});

describe.each(Object.keys(SITES))('calendar.ics of %s', (siteId) => {
  it('recurs exactly when Schedule.nextRuns says, for every job it shows', () => {
    const site = SITES[siteId](new App({ outdir: tempDir() }));
    const calendar = new ICAL.Component(ICAL.parse(reviewOf(site).get('calendar.ics')!.content));
    const events = calendar.getAllSubcomponents('vevent').map((e: any) => new ICAL.Event(e));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const job = site.model.jobs.find((j) => event.uid === `${j.id}@${siteId}.backup-constructs`)!;
      const it = event.iterator();
      const fromCalendar: string[] = [];
      for (let i = 0; i < 6; i++) fromCalendar.push(it.next().toString().slice(0, 16));
      const schedule = Schedule.explicit((job.schedule as any).fields);
      const fromSchedule = schedule.nextRuns(new Date(Date.UTC(2026, 0, 1) - 1), 6).map((r) => r.at.toISOString().slice(0, 16));
      expect({ job: job.id, runs: fromCalendar }).toEqual({ job: job.id, runs: fromSchedule });
    }
  });
});
