import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PveStorage, Retention, VzdumpPrune } from '../../../constructs';
import { testSite } from '../../helpers/fixtures';
import { reviewOf, writeTree } from '../../helpers/synth';
import { describeWithTools, tempDir } from '../../helpers/tools';

/*
 * The generated vzdump prune against a reference implementation of Proxmox's own prune,
 * transcribed from pve-storage:
 *
 * - PVE::Storage::Plugin::prune_backups (src/PVE/Storage/Plugin.pm): every file of the dump
 *   folder whose name ends in a backup extension ($BACKUP_EXT_RE_2) is a backup, listed in
 *   glob order (File::Glob sorts names); one whose name archive_info cannot parse, or whose
 *   time timelocal refuses (archive_info runs in an eval), is marked 'renamed' and never
 *   removed; one with a `<archive>.protected` file is marked 'protected' before marking, so it
 *   is never removed and counts towards no option; the others are grouped by "type/vmid".
 * - PVE::Storage::archive_info (src/PVE/Storage.pm): `vzdump-(lxc|openvz|qemu)-.+` with
 *   `.tgz` or `.(tar|vma)[.(gz|lzo|zst)]`; a standard name has a VMID `[1-9][0-9]{2,8}` and a
 *   `YYYY_MM_DD-hh_mm_ss` local time, its ctime = timelocal(...); its companions are
 *   `vzdump-<type>-<vmid>-<stamp>.log` and `<archive>.notes`.
 * - PVE::Storage::prune_mark_backup_group and $prune_mark (src/PVE/Storage.pm): no positive
 *   option keeps all; otherwise the group is sorted newest first by ctime (Perl's mergesort is
 *   stable, so equal ctimes keep glob order), and keep-last, -hourly, -daily, -weekly,
 *   -monthly, -yearly each mark, in turn, the newest unmarked backup of up to N periods not
 *   already holding a kept backup (`last if newly_included >= keep_count`), and 'remove' for
 *   later backups of a period they newly included. The keep-last "period" is the ctime itself.
 *   Periods are localtime() fields; the week is strftime %V/%G.
 * - PVE::Storage::archive_remove / archive_auxiliaries_remove: a removed archive's log and
 *   notes go with it.
 *
 * Every name here is formatted from a real instant in the zone, as vzdump does, so it is a
 * wall time that exists there; for those localtime(timelocal(name)) gives back the name's own
 * fields, and timelocal is strictly increasing in the name's time, so the reference can use
 * the name's fields as the period and their order as the ctime order.
 */

type Mark = 'keep' | 'remove' | 'protected' | 'renamed';
const OPTIONS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type Option = (typeof OPTIONS)[number];
type Keep = Partial<Record<Option, number>>;

const BACKUP_EXT = /\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst))?)$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

interface Entry {
  name: string;
  group: string;
  ctime: number;
  f: { y: number; mo: number; d: number; h: number };
  log: string;
  mark?: Mark;
}

/** Time::Local's range checks (timegm croaks on these; archive_info's caller catches it). */
function timelocalAccepts(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const md = mo === 2 && leap ? 29 : DAYS[mo - 1];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= md && h <= 23 && mi <= 59 && s <= 59;
}

/** ISO 8601 week and week-based year of a calendar date (strftime %V and %G). */
function isoWeek(y: number, mo: number, d: number): string {
  const t = new Date(Date.UTC(y, mo - 1, d));
  const wd = (t.getUTCDay() + 6) % 7; // Monday 0
  t.setUTCDate(t.getUTCDate() - wd + 3); // the Thursday of the week decides its year
  const wy = t.getUTCFullYear();
  const week = 1 + Math.floor((t.getTime() - Date.UTC(wy, 0, 1)) / 86_400_000 / 7);
  return `${week}/${wy}`;
}

function periodOf(option: Option, e: Entry): string {
  const { y, mo, d, h } = e.f;
  switch (option) {
    case 'last': return String(e.ctime);
    case 'hourly': return `${h}/${d}/${mo}/${y}`;
    case 'daily': return `${d}/${mo}/${y}`;
    case 'weekly': return isoWeek(y, mo, d);
    case 'monthly': return `${mo}/${y}`;
    case 'yearly': return String(y);
  }
}

/** $prune_mark of PVE::Storage. */
function pruneMark(list: Entry[], count: number | undefined, option: Option): void {
  if (!count) return;
  const already = new Set<string>();
  const newly = new Set<string>();
  for (const e of list) if (e.mark === 'keep') already.add(periodOf(option, e));
  for (const e of list) {
    const id = periodOf(option, e);
    if (e.mark !== undefined || already.has(id)) continue;
    if (!newly.has(id)) {
      if (newly.size >= count) break;
      newly.add(id);
      e.mark = 'keep';
    } else {
      e.mark = 'remove';
    }
  }
}

/** PVE::Storage::prune_mark_backup_group. */
function pruneMarkBackupGroup(group: Entry[], keep: Keep): void {
  if (!OPTIONS.some((o) => (keep[o] ?? 0) > 0)) {
    for (const e of group) if (!e.mark || e.mark === 'remove') e.mark = 'keep';
    return;
  }
  const list = [...group].sort((a, b) => b.ctime - a.ctime); // stable, as Perl's mergesort
  for (const o of OPTIONS) pruneMark(list, keep[o], o);
  for (const e of list) e.mark ??= 'remove';
}

/**
 * Proxmox's prune of a folder: the names left after `prune-backups` with `--execute`.
 * `files` are the regular files; `keepOf` gives a VMID's options.
 */
function proxmoxPrune(files: string[], protectedNames: Set<string>, keepOf: (vmid: string) => Keep): { removed: string[]; left: Set<string> } {
  const left = new Set(files);
  const removed: string[] = [];
  const groups = new Map<string, Entry[]>();
  const all: Entry[] = [];
  for (const name of [...files].sort()) {
    if (!BACKUP_EXT.test(name)) continue;
    const std = /^(vzdump-(lxc|openvz|qemu)-([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2}))\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst))?)$/.exec(name);
    const n = std ? std.slice(4, 10).map(Number) : [];
    const entry: Entry = { name, group: '', ctime: 0, f: { y: n[0], mo: n[1], d: n[2], h: n[3] }, log: std ? `${std[1]}.log` : '' };
    if (std && timelocalAccepts(n[0], n[1], n[2], n[3], n[4], n[5])) {
      entry.group = `${std[2]}/${Number(std[3])}`;
      entry.ctime = Date.UTC(n[0], n[1] - 1, n[2], n[3], n[4], n[5]) / 1000;
      groups.set(entry.group, [...(groups.get(entry.group) ?? []), entry]);
    } else {
      entry.mark = 'renamed';
    }
    if (protectedNames.has(name)) entry.mark = 'protected';
    all.push(entry);
  }
  for (const [group, entries] of groups) pruneMarkBackupGroup(entries, keepOf(group.split('/')[1]));
  for (const e of all) {
    if (e.mark !== 'remove') continue;
    removed.push(e.name);
    left.delete(e.name);
    left.delete(e.log);
    left.delete(`${e.name}.notes`);
  }
  return { removed: removed.sort(), left };
}

// --- generated archive sets ---

/** mulberry32: a small seeded generator, so every run sees the same cases. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = ['Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe', 'UTC'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Instants near which names get interesting: DST changes of these zones and year ends with ISO week 53. */
const HOT = [
  '2024-03-31T01:00Z', '2024-10-27T01:00Z', '2025-03-30T01:00Z', '2025-10-26T01:00Z', // Berlin
  '2025-04-06T03:00Z', '2025-09-07T04:00Z', '2024-04-07T03:00Z', '2024-09-08T04:00Z', // Santiago, at midnight
  '2025-04-05T15:00Z', '2025-10-04T15:30Z', // Lord Howe, half an hour
  '2020-12-31T12:00Z', '2021-01-03T12:00Z', '2026-12-31T12:00Z', '2027-01-03T12:00Z', '2015-12-31T12:00Z', '2024-12-30T12:00Z',
].map((s) => Date.parse(s));

const formats = new Map<string, Intl.DateTimeFormat>();
function wallStamp(ms: number, zone: string): string {
  if (!formats.has(zone)) formats.set(zone, new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  const parts = formats.get(zone)!.formatToParts(new Date(ms));
  const p = (t: string) => parts.find((x) => x.type === t)!.value;
  return `${p('year')}_${p('month')}_${p('day')}-${p('hour')}_${p('minute')}_${p('second')}`;
}

interface Folder {
  zone: string;
  files: Map<string, string>; // name -> content
  dirs: string[];
  protectedNames: Set<string>;
  retention: Map<string, Keep>;
}

function randomKeep(r: () => number): Keep {
  const keep: Keep = {};
  for (const o of OPTIONS) if (r() < 0.4) keep[o] = 1 + Math.floor(r() * (r() < 0.7 ? 4 : 12));
  if (!Object.keys(keep).length) keep[OPTIONS[Math.floor(r() * OPTIONS.length)]] = 1 + Math.floor(r() * 5);
  return keep;
}

function makeFolder(r: () => number, zone: string, groups: number): Folder {
  const files = new Map<string, string>();
  const protectedNames = new Set<string>();
  const retention = new Map<string, Keep>();
  const dirs: string[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  let vmid = 100 + Math.floor(r() * 50);
  for (let g = 0; g < groups; g++) {
    // now and then the same VMID as both a VM and a container: two groups, one retention
    if (r() > 0.1) vmid += 1 + Math.floor(r() * 300);
    const type = pick(['qemu', 'lxc', 'qemu', 'lxc', 'openvz'] as const);
    if (!retention.has(String(vmid))) retention.set(String(vmid), randomKeep(r));
    const exts = type === 'qemu' ? ['.vma.zst', '.vma', '.vma.gz', '.vma.lzo', '.vma.zst'] : ['.tar.zst', '.tar', '.tar.gz', '.tar.lzo', '.tgz', '.tar.zst'];
    const ext = pick(exts);
    const instants: number[] = [];
    const count = 1 + Math.floor(r() * 20);
    const mode = pick(['nightly', 'spread', 'cluster', 'hot'] as const);
    const start = Date.UTC(2015 + Math.floor(r() * 12), 0, 1) + r() * 365 * DAY;
    for (let i = 0; i < count; i++) {
      if (mode === 'nightly') instants.push(start + i * DAY * (r() < 0.15 ? 2 : 1) + (r() < 0.2 ? r() * 4 * HOUR : 0));
      else if (mode === 'spread') instants.push(start + r() * 4 * 365 * DAY);
      else if (mode === 'cluster') instants.push(start + Math.floor(r() * 6) * 7 * DAY + r() * 3 * HOUR);
      else instants.push(pick(HOT) + (r() - 0.5) * (r() < 0.5 ? 6 * HOUR : 9 * DAY));
    }
    for (const ms of instants) {
      const stamp = wallStamp(Math.floor(ms / 1000) * 1000, zone);
      const base = `vzdump-${type}-${vmid}-${stamp}`;
      const name = `${base}${ext}`;
      files.set(name, `${name}\n`);
      if (r() < 0.5) files.set(`${base}.log`, 'log\n');
      if (r() < 0.2) files.set(`${name}.notes`, 'notes\n');
      if (r() < 0.08) {
        files.set(`${name}.protected`, '');
        protectedNames.add(name);
      }
      // the same moment kept twice, compressed and not (a manual copy)
      if (r() < 0.06) files.set(`${base}${pick(exts)}`, 'copy\n');
    }
    // names Proxmox leaves alone: never touched
    const stamp = wallStamp(start, zone);
    const foreign = [
      `vzdump-${type}-${vmid}-${stamp}${ext}.tmp`,
      `vzdump-${type}-${vmid}-${stamp}.dat`,
      `vzdump-${type}-0${vmid}-${stamp}${ext}`,
      `vzdump-${type}-${vmid}-${stamp}${ext.toUpperCase()}`,
      `vzdump-${type}-${vmid}-2023_02_29-02_00_00${ext}`,
      `vzdump-${type}-${vmid}-2024_13_01-02_00_00${ext}`,
      `vzdump-${type}-${vmid}-2024_04_31-02_00_00${ext}`,
      `vzdump-${type}-${vmid}-2024_05_01-24_00_00${ext}`,
      `vzdump-${type}-${vmid}-2024_05_01-23_60_00${ext}`,
      `vzdump-${type}-${vmid}-2024_05_01-23_59_60${ext}`,
      `vzdump-${type}-${vmid}-2019_01_01-00_00_00.log`,
      `vzdump-${type}-${vmid}-latest${ext}`,
      `vzdump-qemu-99-${stamp}.vma.zst`,
      `vzdump-qemu-1234567890-${stamp}.vma.zst`,
    ];
    for (const f of foreign) if (r() < 0.3) files.set(f, 'foreign\n');
    if (r() < 0.1) dirs.push(`vzdump-${type}-${vmid}-2018_01_01-00_00_00${ext}`);
  }
  files.set('README.txt', 'mine\n');
  return { zone, files, dirs, protectedNames, retention };
}

const words = (k: Keep) => OPTIONS.filter((o) => k[o]).map((o) => `${o}=${k[o]}`).join(' ');
const spec = (k: Keep) => OPTIONS.filter((o) => k[o]).map((o) => `keep-${o}=${k[o]}`).join(',');

describeWithTools([['bash', 'bash'], ['date', 'coreutils']], 'vzdump prune decides as Proxmox prune-backups does', () => {
  function script(): string {
    const { site, host } = testSite();
    const disk = new PveStorage(site, 'Disk', { host, storageId: 'disk', type: 'dir', path: '/srv/disk', retention: Retention.keepLast(1) });
    const prune = new VzdumpPrune(site, 'Prune', { storage: disk });
    const dir = tempDir('bc-prune-pve-');
    writeTree(dir, reviewOf(site).values());
    return path.join(dir, 'hosts/pve', prune.job.scriptPath);
  }

  it('keeps and removes exactly what Proxmox would, on a few hundred generated guests', () => {
    const sh = script();
    const r = seeded(20260310);
    let cases = 0;
    for (let run = 0; run < 10; run++) {
      const folder = makeFolder(r, ZONES[run % ZONES.length], 30);
      cases += 30;
      const dir = tempDir('bc-prune-run-');
      const dump = path.join(dir, 'dump');
      const receipts = path.join(dir, 'receipts');
      fs.mkdirSync(dump);
      // logs and notes only matter to --execute, which runs on the first folder
      for (const [f, content] of folder.files) if (run === 0 || !/\.(log|notes)$/.test(f)) fs.writeFileSync(path.join(dump, f), content);
      for (const d of folder.dirs) fs.mkdirSync(path.join(dump, d), { recursive: true });
      const fallback: Keep = { last: 1 };
      const expected = proxmoxPrune([...folder.files.keys()], folder.protectedNames, (vmid) => folder.retention.get(vmid) ?? fallback);
      const env = {
        ...process.env,
        TZ: folder.zone,
        DUMP_DIR: dump,
        RECEIPT_DIR: receipts,
        BC_TEXTFILE_DIR: path.join(dir, 'prom'),
        BC_LOCK_0: path.join(dir, 'prune.lock'),
        RETENTION: words(fallback),
        GUEST_RETENTION: [...folder.retention].map(([v, k]) => `${v}:${spec(k)}`).join(' '),
      };
      // the dry run's receipt holds every decision
      const dry = spawnSync(sh, [], { env, encoding: 'utf8' });
      expect({ run, status: dry.status, stderr: dry.stderr }).toEqual({ run, status: 0, stderr: '' });
      const rows = fs.readFileSync(path.join(receipts, fs.readdirSync(receipts)[0]), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
      const wouldDelete = rows.filter((x) => x[0] === 'would-delete').map((x) => x[2]).sort();
      const context = { run, zone: folder.zone, wronglyDeleted: wouldDelete.filter((f) => !expected.removed.includes(f)), wronglyKept: expected.removed.filter((f) => !wouldDelete.includes(f)) };
      expect(context).toEqual({ run, zone: folder.zone, wronglyDeleted: [], wronglyKept: [] });
      // and --execute removes just those, with their logs and notes (one folder: deleting forks)
      if (run !== 0) continue;
      const out = spawnSync(sh, ['--execute'], { env, encoding: 'utf8' });
      expect({ run, status: out.status, stderr: out.stderr }).toEqual({ run, status: 0, stderr: '' });
      expect({ run, left: fs.readdirSync(dump).filter((f) => !folder.dirs.includes(f)).sort() }).toEqual({ run, left: [...expected.left].sort() });
      for (const f of expected.left) expect(fs.readFileSync(path.join(dump, f), 'utf8')).toBe(folder.files.get(f));
      for (const d of folder.dirs) expect(fs.statSync(path.join(dump, d)).isDirectory()).toBe(true);
    }
    expect(cases).toBeGreaterThanOrEqual(300);
  });
});
