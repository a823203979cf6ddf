import { z } from 'zod';
import { ABSOLUTE_FILE_PATH, ABSOLUTE_FOLDER, ABSOLUTE_PATH, ABSOLUTE_PATH_GLOB, FOLDER_PATH, PATH_WITHOUT_TRAILING_SLASH } from '../../lib/path-schema';
import { checkProps } from '../../lib/errors';
import { FileBackup, OffsiteManifest, OffsiteSync, PveStorage } from '../../constructs';
import { errorOf } from '../helpers/process-group';
import { testSite } from '../helpers/fixtures';

const accepts = (schema: { safeParse(v: unknown): { success: boolean } }, v: string) => schema.safeParse(v).success;

describe('path props', () => {
  it('accept the paths the seeds use', () => {
    for (const p of ['/', '/mnt/backup', '/mnt/pve/synology-backups', '/volume1/@appstore', '/srv/nfs-ssd', '/etc/pve/priv/storage/x.pw', '/a/b=c,d:e+f']) {
      expect(accepts(ABSOLUTE_PATH, p)).toBe(true);
    }
  });

  it('fails when a path carries a character that changes a script, a unit or a cfg line', () => {
    for (const p of ['/mnt/$(reboot)', '/mnt/`id`', '/mnt/a"b', "/mnt/a'b", '/mnt/a b', '/mnt/a;b', '/mnt/a\nb', '/mnt/a\\b', '/mnt/100%', '/mnt/a*', 'relative', '']) {
      expect([p, accepts(ABSOLUTE_PATH, p)]).toEqual([p, false]);
    }
  });

  it('fails when a path has .., . or // (two spellings of one folder defeat the overlap and "not /" checks)', () => {
    expect(ABSOLUTE_PATH.safeParse('/mnt/backup/../etc').error?.issues[0].message).toBe('expected a path written one way: without . or .. segments or // (write the folder it means)');
    for (const p of ['/.', '/./', '/srv/./nfs', '/mnt//backup', '/mnt/backup/.', '/mnt/backup/..']) expect([p, accepts(ABSOLUTE_PATH, p)]).toEqual([p, false]);
    for (const p of ['/mnt/backup/..x', '/root/.ssh/key', '/mnt/backup/', '/']) expect([p, accepts(ABSOLUTE_PATH, p)]).toEqual([p, true]);
    // '/.' is the root: a folder other than / it is not
    expect(accepts(ABSOLUTE_FOLDER, '/.')).toBe(false);
  });

  it('tells files, folders and globs apart', () => {
    expect(accepts(ABSOLUTE_FILE_PATH, '/root/.ssh/key')).toBe(true);
    expect(accepts(ABSOLUTE_FILE_PATH, '/root/.ssh/')).toBe(false);
    expect(accepts(ABSOLUTE_FILE_PATH, '/')).toBe(false);
    expect(accepts(ABSOLUTE_FOLDER, '/mnt/x')).toBe(true);
    expect(accepts(ABSOLUTE_FOLDER, '/')).toBe(false);
    expect(accepts(ABSOLUTE_PATH_GLOB, '/home/*/[a-z]?')).toBe(true);
    expect(accepts(ABSOLUTE_PATH_GLOB, '/home/$(id)')).toBe(false);
  });

  it('suggests the fix for a relative path, spaces, .., a trailing slash or / as a folder, for every prop that uses them', () => {
    const s = z.object({ a: ABSOLUTE_PATH.optional(), f: ABSOLUTE_FILE_PATH.optional(), d: FOLDER_PATH.optional(), p: PATH_WITHOUT_TRAILING_SLASH.optional() });
    const hintsOf = (props: object) => errorOf(() => checkProps('home/X', s, props)).split('\n').map((l) => /\(hint: (.*)\)$/.exec(l)?.[1]);
    expect(hintsOf({ a: 'mnt/backup' })).toEqual(["an absolute path starts at /: '/mnt/backup'"]);
    expect(hintsOf({ a: './mnt/backup' })).toEqual(["an absolute path starts at /: '/mnt/backup'"]);
    expect(hintsOf({ a: '/mnt/Backup HDD' })).toEqual(["rename the folder or link it under a name without spaces, e.g. '/mnt/Backup-HDD'"]);
    expect(hintsOf({ a: '/mnt/backup/../etc' })).toEqual(["'/mnt/etc'"]);
    expect(hintsOf({ f: '/root/.ssh/' })).toEqual(["name the file in it, e.g. '/root/.ssh/<file>'"]);
    expect(hintsOf({ d: '/' })).toEqual(["name the folder itself, e.g. '/mnt/backup'", undefined]);
    expect(hintsOf({ d: '/mnt/backup/' })).toEqual(["write '/mnt/backup'"]);
    expect(hintsOf({ p: '/mnt/backup//' })).toEqual(["write '/mnt/backup'"]);
    // a shell character gets no guess: the message lists what a path may hold
    expect(hintsOf({ a: '/mnt/$(reboot)' })).toEqual([undefined]);
    expect(accepts(PATH_WITHOUT_TRAILING_SLASH, '/')).toBe(true);
  });

  it('a PveStorage path that is relative or ends in / says the path meant', () => {
    const { site, host } = testSite();
    expect(errorOf(() => new PveStorage(site, 'A', { host, storageId: 'a', type: 'dir', path: 'mnt/backup' }))).toMatch(/^\[test\/A\] path: expected an absolute path .*, got "mnt\/backup" \(hint: an absolute path starts at \/: '\/mnt\/backup'\)$/);
    expect(errorOf(() => new PveStorage(site, 'B', { host, storageId: 'b', type: 'dir', path: '/mnt/backup/' }))).toBe('[test/B] path: expected a path without a trailing slash, got "/mnt/backup/" (hint: write \'/mnt/backup\')');
  });

  it('host pipeline constructs refuse such a path on its field (before: any path without spaces went into their scripts)', () => {
    const { site, host } = testSite();
    const manifest = OffsiteManifest.of('/mnt/backup');
    const daily = new FileBackup(site, 'Daily', { host, manifest, pveConfig: true });
    expect(
      () =>
        new OffsiteSync(site, 'Offsite', { host, manifest, ships: [daily], target: { name: 'nas', address: '192.0.2.13', sshKeyFile: '/root/.ssh/k', basePath: '/Backup/$(reboot)' } }),
    ).toThrow(/\[test\/Offsite\] target\.basePath: expected an absolute path of letters, digits .* got "\/Backup\/\$\(reboot\)"/);
    expect(() => new FileBackup(site, 'Other', { host, jobId: 'other-backup', pveConfig: true, root: '/mnt/b"k' })).toThrow(/\[test\/Other\] root: expected an absolute path of letters/);
  });
});
