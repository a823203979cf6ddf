import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Host, PbsDatastoreJobs, PbsDatastoreJobsProps, PveStorage, Retention, Schedule } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { errorOf } from '../helpers/process-group';
import { modelOf, resourcesOf, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { describeWithTool, pveCfgCheck, shellcheck, tempDir } from '../helpers/tools';

function pbsSite(extra: Partial<PbsDatastoreJobsProps> = {}, hostProps: { installRoot?: string; extraPath?: string } = {}) {
  const { site, host } = testSite();
  const pbs = new Host(site, 'Pbs', { name: 'pbs', address: '10.0.0.7', ...hostProps });
  const storage = new PveStorage(site, 'PbsStorage', {
    host,
    storageId: 'pbs-main',
    type: 'pbs',
    server: '10.0.0.7',
    datastore: 'main',
    username: 'backup@pbs!pve',
    passwordFile: '/root/.pbs-token',
    fingerprint: Array(32).fill('ab').join(':'),
  });
  const jobs = new PbsDatastoreJobs(site, 'MainJobs', {
    host: pbs,
    datastore: 'main',
    storage,
    verify: { schedule: Schedule.daily('05:00'), outdatedAfter: Duration.days(30) },
    prune: { schedule: Schedule.daily('04:00'), retention: Retention.gfs(7, 4, 3) },
    gcSchedule: Schedule.weekly('sun', '07:30'),
    ...extra,
  });
  return { site, pbs, storage, jobs };
}

/** The words of the command line that starts with `prefix` in a script. */
function commandLine(script: string, prefix: string): string[] {
  const line = script.split('\n').map((l) => l.trim()).find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`no line starting with ${prefix}`);
  return line.split(' ');
}

function option(words: string[], name: string): string | undefined {
  const i = words.indexOf(`--${name}`);
  return i < 0 ? undefined : words[i + 1].replace(/^'(.*)'$/, '$1');
}

describe('PbsDatastoreJobs', () => {
  it('renders verify (with outdated-after), prune and gc commands for proxmox-backup-manager', () => {
    const { jobs } = pbsSite();
    const s = jobs.script;
    const verify = commandLine(s, 'proxmox-backup-manager verify-job create');
    expect(verify.slice(0, 4)).toEqual(['proxmox-backup-manager', 'verify-job', 'create', 'main-verify']);
    expect([option(verify, 'store'), option(verify, 'schedule'), option(verify, 'ignore-verified'), option(verify, 'outdated-after')]).toEqual(['main', '05:00', 'true', '30']);
    const prune = commandLine(s, 'proxmox-backup-manager prune-job create');
    expect(prune.slice(3, 4)).toEqual(['main-prune']);
    expect([option(prune, 'store'), option(prune, 'schedule'), option(prune, 'keep-daily'), option(prune, 'keep-weekly'), option(prune, 'keep-monthly'), option(prune, 'keep-last')]).toEqual([
      'main',
      '04:00',
      '7',
      '4',
      '3',
      undefined,
    ]);
    // update clears what the construct no longer sets, one --delete per property
    const update = commandLine(s, 'proxmox-backup-manager prune-job update');
    expect(update.filter((_w, i) => update[i - 1] === '--delete')).toEqual(['keep-last', 'keep-hourly', 'keep-yearly', 'max-depth', 'ns']);
    expect(commandLine(s, 'proxmox-backup-manager datastore update')).toEqual(['proxmox-backup-manager', 'datastore', 'update', 'main', '--gc-schedule', "'sun", "07:30'"]);
  });

  it('uses calendar events that Proxmox\'s calendar grammar accepts (PBS shares it)', () => {
    const { jobs } = pbsSite();
    const schedules = [...jobs.script.matchAll(/--(?:gc-)?schedule ('[^']+'|\S+)/g)].map((m) => m[1].replace(/'/g, ''));
    expect([...new Set(schedules)].sort()).toEqual(['04:00', '05:00', 'sun 07:30']);
    for (const sched of schedules) expect(pveCfgCheck(['schedule', sched]).output).toMatch(/^ok/);
  });

  it('registers the jobs on the PBS host, tied to the storage\'s target', () => {
    const { site, storage } = pbsSite();
    const m = modelOf(site);
    expect(['main-verify', 'main-prune', 'main-gc'].map((id) => [m.job(id)?.kind, m.job(id)?.host, m.job(id)?.writesTo])).toEqual([
      ['pbs-verify', 'pbs', [storage.targetId]],
      ['pbs-prune', 'pbs', [storage.targetId]],
      ['pbs-gc', 'pbs', [storage.targetId]],
    ]);
    expect(m.job('main-verify')!.description).toContain('re-verify after 30 days');
    // one day, two hours for the run, one hour until the hourly report sees it
    expect(m.job('main-verify')!.staleAfterHours).toBe(27);
  });

  it('installs the apply script on the PBS host after the storage, and removes the jobs (not the gc schedule) on destroy', () => {
    const { site, jobs } = pbsSite();
    expect(reviewOf(site).get(`hosts/pbs${jobs.scriptPath}`)!.content).toBe(jobs.script);
    const json = synthJson(site);
    const res = Object.entries(resourcesOf(json, 'null_resource')).find(([k]) => k.includes('MainJobs'))![1] as any;
    expect(res.depends_on.some((d: string) => d.includes('PbsStorage'))).toBe(true);
    expect(res.triggers.host).toBe('10.0.0.7');
    expect(res.triggers.remove_script).toContain('proxmox-backup-manager verify-job remove main-verify');
    expect(res.triggers.remove_script).toContain('proxmox-backup-manager prune-job remove main-prune');
    expect(res.triggers.remove_script).not.toContain('gc-schedule');
  });

  it('lets a second PBS host have a datastore of the same name (its jobs, report and alert carry the host) and fails when one datastore of one host gets two, naming datastore', () => {
    const { site, pbs } = pbsSite();
    const offsite = new Host(site, 'PbsOffsite', { name: 'pbs-offsite', address: '10.0.0.8' });
    const second = new PbsDatastoreJobs(site, 'OffsiteJobs', {
      host: offsite,
      datastore: 'main',
      verify: { schedule: Schedule.daily('05:00') },
      prune: { schedule: Schedule.daily('04:00'), retention: Retention.gfs(7, 4, 3) },
      gcSchedule: Schedule.weekly('sun', '07:30'),
    });
    expect([second.verifyJobId, second.pruneJobId, second.gcJobId, second.reportJob?.jobId]).toEqual(['pbs-offsite-main-verify', 'pbs-offsite-main-prune', 'pbs-offsite-main-gc', 'pbs-report-pbs-offsite-main']);
    expect(modelOf(site).alertSpecs.map((a) => a.name)).toEqual(['PbsDatastoreMainAlmostFull', 'PbsDatastorePbsOffsiteMainAlmostFull']);
    synthJson(site);
    expect(() => new PbsDatastoreJobs(site, 'Again', { host: pbs, datastore: 'main', gcSchedule: Schedule.daily('08:00') })).toThrow(
      /^\[test\/Again\] datastore: expected one PbsDatastoreJobs per datastore of a host, got a second for main on pbs: test\/MainJobs manages its jobs already \(hint: put verify, prune and gcSchedule of main in test\/MainJobs\)$/,
    );
  });

  it('fails when it has no job, the storage is not pbs, or the names and durations are not PBS\'s', () => {
    expect(errorOf(() => pbsSite({ verify: undefined, prune: undefined, gcSchedule: undefined }))).toMatch(/\[test\/MainJobs\] verify: expected at least one of verify, prune or gcSchedule, got none/);
    const { site, host } = testSite();
    const pbs = new Host(site, 'Pbs', { name: 'pbs', address: '10.0.0.7' });
    const nfs = new PveStorage(site, 'Nfs', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.9', export: '/x' });
    expect(errorOf(() => new PbsDatastoreJobs(site, 'J', { host: pbs, datastore: 'main', storage: nfs, gcSchedule: Schedule.daily('06:00') }))).toMatch(/\[test\/J\] storage: expected a PveStorage of type pbs, got nas of type nfs/);
    expect(errorOf(() => new PbsDatastoreJobs(site, 'J2', { host: pbs, datastore: 'a b', gcSchedule: Schedule.daily('06:00') }))).toMatch(/\[test\/J2\] datastore: expected a PBS datastore name/);
    expect(errorOf(() => new PbsDatastoreJobs(site, 'J3', { host: pbs, datastore: 'main', verify: { schedule: Schedule.daily('05:00'), outdatedAfter: Duration.hours(12) } }))).toMatch(/\[test\/J3\] verify\.outdatedAfter\.days: 12h is not a whole number of days/);
  });
});


describe('PbsDatastoreJobs job ids', () => {
  // PBS's JOB_ID_SCHEMA (pbs-api-types) takes 3 to 32 characters; a datastore name may have 32 itself
  const store = 'colocation-backups-primary-hdd';

  it('fails when the verify job id made from a long datastore name is longer than PBS takes', () => {
    expect(errorOf(() => pbsSite({ datastore: store }))).toMatch(
      /^\[test\/MainJobs\] verify\.jobId: expected a PBS job id of at most 32 characters, got colocation-backups-primary-hdd-verify \(37, made from the datastore name\) \(hint: set verify\.jobId to a shorter id, e\.g\. colocation-backups-primar-verify\)/,
    );
  });

  it('fails when the prune job id made from a long datastore name is longer than PBS takes', () => {
    expect(errorOf(() => pbsSite({ datastore: store, verify: { schedule: Schedule.daily('05:00'), jobId: 'colo-verify' } }))).toMatch(
      /^\[test\/MainJobs\] prune\.jobId: expected a PBS job id of at most 32 characters, got colocation-backups-primary-hdd-prune \(36, made from the datastore name\)/,
    );
  });

  it('takes a long datastore name with job ids given, and the made-up ids up to 32 characters', () => {
    const { jobs } = pbsSite({ datastore: store, verify: { schedule: Schedule.daily('05:00'), jobId: 'colo-verify' }, prune: { schedule: Schedule.daily('04:00'), retention: Retention.daily(7), jobId: 'colo-prune' } });
    expect([jobs.verifyJobId, jobs.pruneJobId]).toEqual(['colo-verify', 'colo-prune']);
    const edge = pbsSite({ datastore: 'a'.repeat(25) }).jobs;
    expect(edge.verifyJobId).toHaveLength(32);
  });
});

describe('PbsDatastoreJobs comment', () => {
  it('fails when the comment has a carriage return or another control character', () => {
    expect(errorOf(() => pbsSite({ comment: 'nightly\rverify' }))).toMatch(/^\[test\/MainJobs\] comment: expected one line without control characters .*got "nightly\\rverify"/);
  });
});

describeWithTool('shellcheck', 'shellcheck', 'PbsDatastoreJobs applied for real against a stand-in proxmox-backup-manager', () => {
  /** Records calls; `show` succeeds only for what was created; the datastore exists. */
  function standin(dir: string): { bin: string; calls: () => string[] } {
    const bin = path.join(dir, 'bin');
    const state = path.join(dir, 'state');
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(path.join(state, 'datastore-main'), '');
    fs.writeFileSync(
      path.join(bin, 'proxmox-backup-manager'),
      `#!/bin/sh
echo "$*" >>'${dir}/calls.log'
case "$2" in
  show) [ -e '${state}'/"$1-$3" ] || exit 2 ;;
  create) touch '${state}'/"$1-$3" ;;
  remove) rm -f '${state}'/"$1-$3" ;;
esac
exit 0
`,
      { mode: 0o755 },
    );
    for (const cmd of ['systemctl']) fs.writeFileSync(path.join(bin, cmd), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const log = path.join(dir, 'calls.log');
    return { bin, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
  }

  it('the apply script passes shellcheck', () => {
    const { site, jobs } = pbsSite();
    const dir = tempDir();
    writeTree(dir, reviewOf(site).values());
    expect(shellcheck(path.join(dir, 'hosts/pbs', jobs.scriptPath)).output).toBe('');
  });

  it('creates the jobs, updates them on the next apply, and removes them on destroy', () => {
    const dir = tempDir();
    const { bin, calls } = standin(dir);
    const root = path.join(dir, 'root');
    const { site } = pbsSite({}, { installRoot: root, extraPath: bin });
    const res = Object.entries(resourcesOf(synthJson(site), 'null_resource')).find(([k]) => k.includes('MainJobs'))![1] as any;
    const run = (script: string) => spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });

    expect(run(res.provisioner[0]['remote-exec'].inline[0])).toMatchObject({ status: 0, stderr: '' });
    const first = calls().filter((c) => !c.includes(' show '));
    expect(first.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual(['verify-job create main-verify', 'prune-job create main-prune', 'datastore update main']);

    expect(run(res.provisioner[0]['remote-exec'].inline[0]).status).toBe(0);
    const second = calls().filter((c) => !c.includes(' show ')).slice(first.length);
    expect(second.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual(['verify-job update main-verify', 'prune-job update main-prune', 'datastore update main']);

    expect(run(res.triggers.remove_script)).toMatchObject({ status: 0, stderr: '' });
    const third = calls().filter((c) => !c.includes(' show ')).slice(first.length + second.length);
    expect(third).toEqual(['verify-job remove main-verify', 'prune-job remove main-prune']);
  });

  it('stops with a clear message when the datastore does not exist', () => {
    const dir = tempDir();
    const { bin } = standin(dir);
    fs.rmSync(path.join(dir, 'state/datastore-main'));
    const { jobs } = pbsSite();
    const f = path.join(dir, 'apply.sh');
    fs.writeFileSync(f, jobs.script, { mode: 0o755 });
    const r = spawnSync(f, [], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('datastore main does not exist on pbs: create it first');
  });
});
