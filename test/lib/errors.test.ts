import { z } from 'zod';
import { BackupConfigError, checkProps } from '../../lib/errors';
import { closestName, closestValue, knownKeysAt } from '../../lib/private/zod-issues';
import { errorOf } from '../helpers/process-group';
import { Duration } from '../../lib/duration';
import { Retention } from '../../lib/retention';
import { Size } from '../../lib/size';
import { instanceOf, nearestId } from '../../lib/private/zod-helpers';
import { AlertDelivery, BackupVolume, Guest, Host, MetricsSink, StatusNotify, VzdumpJob } from '../../constructs';
import { nfsStorage, testSite } from '../helpers/fixtures';

const schema = z
  .object({
    storage: z.string(),
    vmid: z.number(),
    enabled: z.boolean().optional(),
    databases: z.array(z.object({ name: z.string(), port: z.number().optional() }).strict()).optional(),
    password: z.string().optional(),
  })
  .strict();

describe('checkProps', () => {
  it('says a missing field is required, naming the type once', () => {
    const message = errorOf(() => checkProps('home/Job', schema, { vmid: 100 }));
    expect(message).toBe('[home/Job] storage: required: expected a string, got nothing');
  });

  it('says required: for a missing field whatever check refused it (enum, instanceOf, union, refinement)', () => {
    class Thing {}
    const s = z
      .object({
        type: z.enum(['qemu', 'lxc']),
        thing: z.instanceof(Thing, { message: 'expected a Thing' }),
        storage: z.union([z.instanceof(Thing), z.string().min(1)], { message: 'expected a Thing or a storage id' }),
        path: z.string().optional(),
      })
      .superRefine((p, ctx) => {
        if (p.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: 'expected a folder for dir storage' });
      });
    expect(errorOf(() => checkProps('office/Dc', s, { type: 'qemu', thing: new Thing(), storage: 'x' }))).toBe('[office/Dc] path: required: expected a folder for dir storage, got nothing');
    expect(errorOf(() => checkProps('office/Dc', s, {}))).toBe(
      '[office/Dc] type: required: expected one of "qemu"|"lxc", got nothing\n' +
        '[office/Dc] thing: required: expected a Thing, got nothing\n' +
        '[office/Dc] storage: required: expected a Thing or a storage id, got nothing',
    );
    // a value that is given but wrong is not "required"
    expect(errorOf(() => checkProps('office/Dc', s, { type: 'vm', thing: 1, storage: 2, path: '/x' }))).not.toContain('required');
  });

  it('says which unknown option given beside a missing field most likely meant it', () => {
    expect(errorOf(() => checkProps('home/Job', schema, { storag: 's', vmid: 1 }))).toBe(
      '[home/Job] storage: required: expected a string, got nothing (hint: storag is given instead: rename it to storage)\n' +
        '[home/Job] storag: not a known option (hint: did you mean storage?)',
    );
  });

  it('shows the value of a wrong type instead of zod\'s name for its type', () => {
    expect(errorOf(() => checkProps('home/Job', schema, { storage: 's', vmid: '100' }))).toBe('[home/Job] vmid: expected a number, got "100" (hint: write the number without quotes: 100)');
    expect(errorOf(() => checkProps('home/Job', schema, { storage: 's', vmid: 1, enabled: 'yes' }))).toBe('[home/Job] enabled: expected true or false, got "yes"');
  });

  it('suggests the value of the right type a quoted number, a quoted boolean or a single item meant', () => {
    const s = z.object({ port: z.number().optional(), enabled: z.boolean().optional(), names: z.array(z.string()).optional() });
    expect(errorOf(() => checkProps('home/Host', s, { port: '22', enabled: 'True', names: 'a' }))).toBe(
      '[home/Host] port: expected a number, got "22" (hint: write the number without quotes: 22)\n' +
        '[home/Host] enabled: expected true or false, got "True" (hint: write true without quotes)\n' +
        '[home/Host] names: expected a list, got "a" (hint: write it as a list, even of one item: [ ... ])',
    );
    expect(errorOf(() => checkProps('home/Host', s, { port: 'ssh' }))).toBe('[home/Host] port: expected a number, got "ssh"');
  });

  it('shows the hint a check computed from the refused value, after the field\'s own hint', () => {
    const s = z.object({ keep: instanceOf(Retention, 'expected a Retention'), size: instanceOf(Size, 'expected a Size').optional(), every: instanceOf(Duration, 'expected a Duration').optional() });
    expect(errorOf(() => checkProps('home/Job', s, { keep: 7, size: '10Gi', every: 26 }, { keep: 'see the policy' }))).toBe(
      '[home/Job] keep: expected a Retention, got 7 (hint: see the policy; Retention.keepLast(7))\n' +
        '[home/Job] size: expected a Size, got "10Gi" (hint: Size.gibibytes(10))\n' +
        '[home/Job] every: expected a Duration, got 26 (hint: a number has no unit: write Duration.hours(26), Duration.minutes(26) or Duration.seconds(26))',
    );
    expect(errorOf(() => checkProps('home/Job', s, { keep: { keepDaily: 7, keepWeekly: 4 } }))).toBe('[home/Job] keep: expected a Retention, got {"keepDaily":7,"keepWeekly":4} (hint: Retention.of({keepDaily: 7, keepWeekly: 4}))');
    expect(errorOf(() => checkProps('home/Job', s, { keep: 'x' }))).toBe('[home/Job] keep: expected a Retention, got "x"');
  });

  it('fails when a number is NaN or Infinity, showing it as such (JSON would print null, as if it were missing)', () => {
    expect(errorOf(() => checkProps('home/Job', schema, { storage: 's', vmid: NaN }))).toBe('[home/Job] vmid: expected a number, got NaN');
    expect(errorOf(() => checkProps('home/Job', z.object({ keep: z.number().int() }), { keep: Infinity }))).toMatch(/^\[home\/Job\] keep: .*got Infinity$/);
  });

  it('keeps a schema\'s own message and adds the value', () => {
    const s = z.object({ id: z.string().regex(/^[a-z]+$/, 'expected a lower-case id') });
    expect(errorOf(() => checkProps('home/Job', s, { id: 'A1' }))).toBe('[home/Job] id: expected a lower-case id, got "A1"');
  });

  it('suggests the option a misspelt one meant', () => {
    const message = errorOf(() => checkProps('home/Job', schema, { storag: 's', vmid: 1 }));
    expect(message).toContain('[home/Job] storag: not a known option (hint: did you mean storage?)');
  });

  it('lists the known options where no name is close, also inside a list of objects', () => {
    const message = errorOf(() => checkProps('home/Job', schema, { storage: 's', vmid: 1, databases: [{ name: 'app', user: 'x' }] }));
    expect(message).toBe('[home/Job] databases.0.user: not a known option (hint: known options here: name, port)');
  });

  it('reports each unknown option on its own line and joins a field hint with the suggestion', () => {
    const error = (() => {
      try {
        checkProps('home/Job', schema, { storage: 's', vmid: 1, id: 'x', vmdi: 2 }, { id: 'the job id is jobId' });
      } catch (e) {
        return e as BackupConfigError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(BackupConfigError);
    expect(error.problems.map((p) => [p.field, p.hint])).toEqual([
      ['id', 'the job id is jobId; known options here: databases, enabled, password, storage, vmid'],
      ['vmdi', 'did you mean vmid?'],
    ]);
  });

  it('names the allowed value a wrong one abbreviates or misspells', () => {
    const s = z.object({ mode: z.enum(['snapshot', 'suspend', 'stop']), compress: z.enum(['zstd', 'gzip', 'lzo', 'none']) });
    expect(errorOf(() => checkProps('home/Job', s, { mode: 'snap', compress: 'zstf' }))).toBe(
      '[home/Job] mode: invalid option: expected one of "snapshot"|"suspend"|"stop", got "snap" (hint: did you mean snapshot?)\n' +
        '[home/Job] compress: invalid option: expected one of "zstd"|"gzip"|"lzo"|"none", got "zstf" (hint: did you mean zstd?)',
    );
    // "s" starts two values: no guess
    expect(errorOf(() => checkProps('home/Job', s, { mode: 's', compress: 'zstd' }))).not.toContain('hint');
  });

  it('never shows the value of a field named like a secret', () => {
    const message = errorOf(() => checkProps('home/Job', schema, { storage: 's', vmid: 1, password: 42 }));
    expect(message).toBe('[home/Job] password: expected a string, got a value (not shown: it may be a secret)');
    expect(message).not.toContain('42');
  });

  it('gives no hint built from a value it does not show (a path, an address, an id hint would repeat it)', () => {
    const { PveHost, PveStorage } = require('../../constructs') as typeof import('../../constructs');
    const { testSite } = require('../helpers/fixtures') as typeof import('../helpers/fixtures');
    const { site, host } = testSite();
    const cifs = errorOf(() => new PveStorage(site, 'Smb', { host, storageId: 'smb', type: 'cifs', server: '10.0.0.151', share: 'Backup', passwordFile: 'CorrectHorseBattery9' }));
    expect(cifs).toContain('passwordFile: ');
    expect(cifs).not.toContain('CorrectHorseBattery9');
    const address = errorOf(() => new PveHost(site, 'Pve2', { name: 'pve2', address: 'root:Hunter2pass@10.0.0.6' }));
    expect(address).toContain('address: ');
    expect(address).not.toContain('Hunter2pass');
    // a value that is shown keeps its hint
    expect(errorOf(() => new PveStorage(site, 'Dir', { host, storageId: 'dir', type: 'dir', path: 'mnt/backup' }))).toContain("(hint: an absolute path starts at /: '/mnt/backup')");
  });
});

describe('nearestId', () => {
  it('writes runs of refused characters as - and lower-cases where the id is lower case by convention', () => {
    expect(nearestId('Backup HDD', /^[a-z]([a-z0-9\-_.]*[a-z0-9])?$/i, true)).toBe('backup-hdd');
    expect(nearestId('dc 01', /^[A-Za-z0-9][A-Za-z0-9.-]*$/)).toBe('dc-01');
    expect(nearestId('DC_01 ', /^[A-Za-z0-9][A-Za-z0-9.-]*$/)).toBe('DC-01');
    expect(nearestId('Proxmox Home', /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, true)).toBe('proxmox-home');
    expect(nearestId('1bad id', /^[a-z][a-z0-9-]*$/)).toBeUndefined();
  });
});

describe('knownKeysAt', () => {
  it('follows optional, default, arrays, records and unions to the object at the path', () => {
    const s = z.object({
      a: z.array(z.object({ x: z.string(), y: z.string() })).optional(),
      b: z.record(z.string(), z.object({ k: z.string() })).default({}),
      c: z.union([z.object({ p: z.string() }), z.object({ q: z.string() })]),
    });
    expect(knownKeysAt(s, [])).toEqual(['a', 'b', 'c']);
    expect(knownKeysAt(s, ['a', 0])).toEqual(['x', 'y']);
    expect(knownKeysAt(s, ['b', 'any'])).toEqual(['k']);
    expect(knownKeysAt(s, ['c'])).toEqual(['p', 'q']);
    expect(knownKeysAt(s, ['nope'])).toEqual([]);
  });
});

describe('closestName', () => {
  it('picks the one close name and refuses far or tied ones', () => {
    expect(closestName('retension', ['retention', 'schedule'])).toBe('retention');
    expect(closestName('Storage', ['storage'])).toBe('storage');
    expect(closestName('id', ['jobId', 'vmid'])).toBeUndefined();
    expect(closestName('ab', ['ac', 'ad'])).toBeUndefined();
    expect(closestName('vmdi', ['vmid'])).toBe('vmid');
  });

  it('closestValue also takes a unique abbreviation or spelling-out', () => {
    expect(closestValue('gz', ['zstd', 'gzip'])).toBe('gzip');
    expect(closestValue('sunday', ['sun', 'mon', 'sat'])).toBe('sun');
    expect(closestValue('s', ['snapshot', 'stop'])).toBeUndefined();
  });
});

describe('describeValue of a construct or value object given in the wrong place', () => {
  it('names the construct by its class and path and a value object by its own words, never failing on a cycle', () => {
    // a Host where a PveHost belongs: its construct tree refers back to itself, which JSON.stringify cannot write
    const { site, host } = testSite();
    const plain = new Host(site, 'Plain', { name: 'plain', address: '10.0.0.9' });
    expect(errorOf(() => new Guest(site, 'G', { host: plain as never, vmid: 100, type: 'qemu', name: 'x' }))).toBe('[test/G] host: expected a PveHost, got Host test/Plain');
    const storage = nfsStorage(site, host);
    expect(errorOf(() => new VzdumpJob(site, 'J', { host, jobId: 'nightly', schedule: Duration.hours(24) as never, storage, all: true }))).toMatch(/^\[test\/J\] schedule: expected a Schedule, .*, got Duration 1d$/);
  });
});

describe('options of the factories', () => {
  it('refuses a misspelt option, naming the one meant, instead of dropping it for its default', () => {
    expect(errorOf(() => StatusNotify.ntfy('https://ntfy.sh/backups', { tokenfile: '/root/ntfy.token' } as never))).toBe(
      '[StatusNotify.ntfy] tokenfile: expected one of the options tokenFile, got an unknown one (hint: did you mean tokenFile?)',
    );
    expect(errorOf(() => MetricsSink.pushgateway('http://10.0.0.1:9091', { persistance: true } as never))).toMatch(/^\[MetricsSink\.pushgateway\] persistance: .*did you mean persistence\?/);
    expect(errorOf(() => AlertDelivery.helmConfigMap({ namepsace: 'monitoring' } as never))).toMatch(/^\[AlertDelivery\.helmConfigMap\] namepsace: .*did you mean namespace\?/);
    expect(errorOf(() => AlertDelivery.reviewOnly('no Prometheus', { manualCheck: true } as never))).toMatch(/did you mean manualChecks\?/);
    expect(errorOf(() => BackupVolume.existingClaim('backups', { medum: 'nas' } as never))).toMatch(/^\[BackupVolume\.existingClaim\] medum: .*did you mean medium\?/);
    expect(() => StatusNotify.ntfy('https://ntfy.sh/backups', { tokenFile: '/root/ntfy.token' })).not.toThrow();
  });
});
