import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Host, PbsDatastoreJobs, Retention, Schedule } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { errorOf } from '../helpers/process-group';
import { modelOf, reviewOf, writeTree } from '../helpers/synth';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';

function pbsJobs(extra: { report?: boolean; reportSchedule?: Schedule; datastoreFullRatio?: number } = {}) {
  const { site } = testSite();
  const pbs = new Host(site, 'Pbs', { name: 'pbs', address: '10.0.0.7' });
  const jobs = new PbsDatastoreJobs(site, 'MainJobs', {
    host: pbs,
    datastore: 'main',
    verify: { schedule: Schedule.daily('05:00') },
    prune: { schedule: Schedule.daily('04:00'), retention: Retention.gfs(7, 4, 3) },
    gcSchedule: Schedule.weekly('sun', '07:30'),
    ...extra,
  });
  return { site, jobs };
}

const JOB_IDS = ['main-verify', 'main-prune', 'main-gc'];

describe('PbsDatastoreJobs reports its jobs', () => {
  it('registers the four job series for each PBS job, pushed by a report job on the PBS host', () => {
    const { site, jobs } = pbsJobs();
    const m = modelOf(site);
    for (const id of JOB_IDS) {
      const [signal] = m.signalsOf(id);
      expect(signal).toMatchObject({ host: 'pbs', labels: { backup_job: id, site: 'test', host: 'pbs' } });
      expect(signal.metrics).toEqual(expect.arrayContaining(['backup_last_success_timestamp_seconds', 'backup_last_status']));
    }
    expect(jobs.reportJob!.host.name).toBe('pbs');
    expect(m.job('pbs-report-main')).toMatchObject({ kind: 'collector', host: 'pbs', scheduleHuman: 'hourly at :15' });
    expect(m.policyOutcome().findings.filter((f) => f.rule === 'monitored' && f.subject.includes('MainJobs'))).toEqual([]);
  });

  it("alerts when the datastore's fill level passes its limit", () => {
    const m = modelOf(pbsJobs({ datastoreFullRatio: 0.85 }).site);
    const [spec] = m.alertSpecs.filter((a) => a.name === 'PbsDatastoreMainAlmostFull');
    expect(spec.expr).toBe(
      '1 - max by (backup_job, site, host) (backup_pbs_datastore_free_bytes{backup_job="pbs-report-main",site="test",host="pbs"}) / max by (backup_job, site, host) (backup_pbs_datastore_size_bytes{backup_job="pbs-report-main",site="test",host="pbs"}) > 0.85',
    );
    expect(m.signalsOf('pbs-report-main')[0].metrics).toEqual(expect.arrayContaining(spec.watches));
    expect(modelOf(pbsJobs({ report: false }).site).alertSpecs).toEqual([]);
    expect(errorOf(() => pbsJobs({ datastoreFullRatio: 90 }))).toMatch(/\[test\/MainJobs\] datastoreFullRatio: /);
  });

  it('leaves the jobs unmonitored, and says so, with report: false', () => {
    const { site, jobs } = pbsJobs({ report: false });
    const m = modelOf(site);
    expect(jobs.reportJob).toBeUndefined();
    expect(m.job('pbs-report-main')).toBeUndefined();
    // no report, no reporting lag in the stale threshold
    expect(m.job('main-verify')!.staleAfterHours).toBe(26);
    expect(m.policyOutcome().findings.filter((f) => f.rule === 'monitored' && f.subject.includes('MainJobs')).map((f) => f.message)).toEqual(JOB_IDS.map((id) => `job ${id} reports no metrics: a failure would go unnoticed`).sort());
  });

  it('names the field when the report settings are not what it expects', () => {
    expect(errorOf(() => pbsJobs({ reportSchedule: '05:00' as never }))).toMatch(/\[test\/MainJobs\] reportSchedule: expected a Schedule/);
    expect(errorOf(() => pbsJobs({ report: 'yes' as never }))).toMatch(/\[test\/MainJobs\] report: /);
  });

  it('warns at apply time when the PBS host has no jq', () => {
    expect(pbsJobs().jobs.script).toContain('command -v jq >/dev/null || echo "WARNING: jq is not installed on pbs');
    expect(pbsJobs({ report: false }).jobs.script).not.toContain('jq');
  });
});

/** A task id as PBS writes it; the sixth field is the start time in hex. */
function upid(type: string, id: string, start: number): string {
  return `UPID:pbs:000006E8:0000ED3A:00000002:${start.toString(16).toUpperCase()}:${type}:${id}:root@pam:`;
}

const T = 1_764_400_000;
// each list also holds a job on another datastore and one made in the GUI on this one (listed
// first, with another outcome): the report must pick its own job by id, not by datastore
const VERIFY = [{ id: 'other-verify', store: 'other', 'last-run-state': 'verification failed - job aborted', 'last-run-endtime': T - 50 }, { id: 'v-gui-1a2b', store: 'main', 'last-run-state': 'verification failed - chunk missing', 'last-run-endtime': T - 20, 'last-run-upid': upid('verificationjob', 'main:v-gui-1a2b', T - 40) }, { id: 'main-verify', store: 'main', schedule: '05:00', 'last-run-state': 'OK', 'last-run-endtime': T, 'last-run-upid': upid('verificationjob', 'main:main-verify', T - 1800), 'next-run': T + 86400 }];
const PRUNE = [{ id: 'p-gui-3c4d', store: 'main', 'last-run-state': 'OK', 'last-run-endtime': T - 10, 'last-run-upid': upid('prunejob', 'main', T - 15) }, { id: 'main-prune', store: 'main', 'last-run-state': 'removing backup snapshot vm/100/2026-11-28T01:00:00Z failed', 'last-run-endtime': T - 3600, 'last-run-upid': upid('prunejob', 'main', T - 3700) }];
// garbage collection running now: the status has no finished run to report
const GC = [{ store: 'main', schedule: 'sun 07:30', 'next-run': T + 7 * 86400 }];
const STATUS = { total: 4e12, used: 3.64e12, avail: 3.6e11 };

describeWithTool('jq', 'jq', 'the PBS report job run for real against a stand-in proxmox-backup-debug', () => {
  /** The report script from the review tree, and a stand-in API answering from `answers` (a missing path fails, as an older PBS does). */
  function setUp(answers: Record<string, unknown>) {
    const dir = tempDir();
    const { site, jobs } = pbsJobs();
    writeTree(path.join(dir, 'review'), reviewOf(site).values());
    const script = path.join(dir, 'review/hosts/pbs', jobs.reportJob!.scriptPath);
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    for (const [api, body] of Object.entries(answers)) fs.writeFileSync(path.join(dir, api.replace(/\//g, '_') + '.json'), JSON.stringify(body));
    fs.writeFileSync(
      path.join(bin, 'proxmox-backup-debug'),
      `#!/bin/sh
[ "$1 $2 $4 $5" = "api get --output-format json" ] || { echo "unexpected: $*" >&2; exit 2; }
f='${dir}'/$(printf '%s' "$3" | tr / _).json
[ -f "$f" ] || { echo "Error: Path '/api2/json$3' not found." >&2; exit 255; }
cat "$f"
`,
      { mode: 0o755 },
    );
    const metrics = path.join(dir, 'metrics');
    const run = (pathEnv = `${bin}:${process.env.PATH}`) => spawnSync('/bin/bash', [script], { env: { ...process.env, PATH: pathEnv, BC_SINK: 'textfile', BC_TEXTFILE_DIR: metrics }, encoding: 'utf8' });
    /** `metric -> value` of the job's textfile, or undefined when nothing was written for it. */
    const series = (job: string): Record<string, number> | undefined => {
      const f = path.join(metrics, `backup_${job}.prom`);
      if (!fs.existsSync(f)) return undefined;
      const lines = fs.readFileSync(f, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
      return Object.fromEntries(lines.map((l) => [l.split('{')[0], Number(l.split(' ').pop())]));
    };
    return { dir, bin, script, run, series };
  }

  it('passes shellcheck', () => {
    const { script } = setUp({});
    expect(shellcheck(script).output).toBe('');
  });

  it("pushes each job's last finished run under its own id: a success with its time and duration, a failure without a success time", () => {
    const { run, series } = setUp({ '/admin/verify': VERIFY, '/admin/prune': PRUNE, '/admin/gc': GC, '/admin/datastore/main/status': STATUS });
    const r = run();
    expect(r.status).toBe(0);
    expect(series('main-verify')).toEqual({ backup_last_run_timestamp_seconds: T, backup_last_status: 0, backup_last_success_timestamp_seconds: T, backup_last_duration_seconds: 1800 });
    expect(series('main-prune')).toEqual({ backup_last_run_timestamp_seconds: T - 3600, backup_last_status: 1, backup_last_duration_seconds: 100 });
    expect(r.stderr).toContain('main-prune: last run failed at');
    expect(r.stderr).toContain('removing backup snapshot vm/100/2026-11-28T01:00:00Z failed');
    expect(series('main-gc')).toBeUndefined();
    expect(r.stdout).toContain('main-gc: no finished run to report');
    // the other datastore's failed verify and the GUI's jobs are not ours to report
    for (const id of ['other-verify', 'v-gui-1a2b', 'p-gui-3c4d']) expect(series(id)).toBeUndefined();
    // the datastore's fill level goes under the report's own id
    expect(series('pbs-report-main')).toMatchObject({ backup_last_status: 0, backup_pbs_datastore_size_bytes: 4e12, backup_pbs_datastore_free_bytes: 3.6e11 });
  });

  it('counts a run that ended with warnings as a success', () => {
    const gcDone = [{ store: 'main', 'last-run-state': 'WARNINGS: 2', 'last-run-endtime': T, 'last-run-upid': upid('garbage_collection', 'main', T - 600) }];
    const { run, series } = setUp({ '/admin/verify': VERIFY, '/admin/prune': PRUNE, '/admin/gc': gcDone, '/admin/datastore/main/status': STATUS });
    expect(run().status).toBe(0);
    expect(series('main-gc')).toEqual({ backup_last_run_timestamp_seconds: T, backup_last_status: 0, backup_last_success_timestamp_seconds: T, backup_last_duration_seconds: 600 });
  });

  it("reads garbage collection's duration as PBS gives it: duration and upid (the last GC task), no last-run-upid", () => {
    // GarbageCollectionJobStatus (pbs-api-types datastore.rs) as /admin/gc serializes it: the
    // store, the flattened GarbageCollectionStatus of the last GC (upid, counters), then the
    // schedule status and duration computed by garbage_collection_status (api2/admin/datastore.rs)
    const status = { upid: upid('garbage_collection', 'main', T - 5400), 'index-file-count': 120, 'index-data-bytes': 9e11, 'disk-bytes': 3.6e12, 'disk-chunks': 900000, 'removed-bytes': 2e9, 'removed-chunks': 500, 'pending-bytes': 1e9, 'pending-chunks': 250, 'removed-bad': 0, 'still-bad': 0 };
    const gc = [{ store: 'main', ...status, schedule: 'sun 07:30', 'next-run': T + 7 * 86400, 'last-run-endtime': T, 'last-run-state': 'OK', duration: 5400 }];
    const { run, series } = setUp({ '/admin/verify': VERIFY, '/admin/prune': PRUNE, '/admin/gc': gc, '/admin/datastore/main/status': STATUS });
    expect(run().status).toBe(0);
    expect(series('main-gc')).toEqual({ backup_last_run_timestamp_seconds: T, backup_last_status: 0, backup_last_success_timestamp_seconds: T, backup_last_duration_seconds: 5400 });
    // without duration, the start time in upid gives it
    const noDuration = [{ ...gc[0], duration: undefined, 'last-run-state': 'WARNINGS: 1' }];
    const again = setUp({ '/admin/verify': VERIFY, '/admin/prune': PRUNE, '/admin/gc': noDuration, '/admin/datastore/main/status': STATUS });
    expect(again.run().status).toBe(0);
    expect(again.series('main-gc')).toMatchObject({ backup_last_status: 0, backup_last_duration_seconds: 5400 });
  });

  it('fails itself, still reporting what it could read, when a status list is missing or a job is gone', () => {
    // an older PBS without /admin/gc, and main-prune removed in the GUI
    const { run, series } = setUp({ '/admin/verify': VERIFY, '/admin/prune': PRUNE.filter((j) => j.id !== 'main-prune'), '/admin/datastore/main/status': STATUS });
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('main-gc: could not read /admin/gc from the PBS API');
    expect(r.stderr).toContain('main-prune: no id main-prune in /admin/prune (removed in the GUI?)');
    expect(series('main-verify')).toMatchObject({ backup_last_status: 0 });
    // not blamed on the jobs: the report's own failure alert fires
    expect(series('main-prune')).toBeUndefined();
    expect(series('main-gc')).toBeUndefined();
    expect(series('pbs-report-main')).toMatchObject({ backup_last_status: 1 });
  });

  it('fails itself when the datastore status cannot be read, still reporting the jobs', () => {
    const { run, series } = setUp({ '/admin/verify': VERIFY, '/admin/prune': PRUNE, '/admin/gc': GC, '/admin/datastore/main/status': { used: 1 } });
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('could not read the size of datastore main from the PBS API');
    expect(series('main-verify')).toMatchObject({ backup_last_status: 0 });
    expect(series('pbs-report-main')).toEqual({ backup_last_run_timestamp_seconds: expect.any(Number), backup_last_status: 1, backup_last_duration_seconds: expect.any(Number) });
  });

  it('fails loudly, naming the package, when jq is missing', () => {
    const { dir, run, series } = setUp({ '/admin/verify': VERIFY });
    // a PATH with what the script's reporting needs, and no jq
    const bare = path.join(dir, 'bare-bin');
    fs.mkdirSync(bare);
    for (const cmd of ['date', 'mkdir', 'mktemp', 'awk', 'chmod', 'mv', 'cat', 'rm']) {
      const found = spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
      fs.symlinkSync(found, path.join(bare, cmd));
    }
    const r = run(bare);
    expect(r.status).toBe(127);
    expect(r.stderr).toContain('jq is not installed on pbs (apt-get install jq)');
    expect(series('pbs-report-main')).toMatchObject({ backup_last_status: 127 });
  });
});
