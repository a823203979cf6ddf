import { Construct } from 'constructs';
import { Host, PveHost, PveStorage } from '../../constructs';
import { errorOf } from '../helpers/process-group';
import { testSite } from '../helpers/fixtures';
import { reviewOf, resourcesOf, synthJson } from '../helpers/synth';

class Installer extends Construct {
  constructor(scope: Construct, id: string, host: Host, content: string, path = '/usr/local/bin/x') {
    super(scope, id);
    host.install(this, { files: [{ path, content, mode: '0755' }], enableUnits: [] });
  }
}

describe('Host delivery', () => {
  it('installs each construct\'s files through one null_resource under that construct, keyed by content', () => {
    const { site, host } = testSite();
    new Installer(site, 'A', host, 'echo a\n');
    new Installer(site, 'B', host, 'echo b\n', '/usr/local/bin/y');
    const json = synthJson(site);
    const resources = resourcesOf(json, 'null_resource');
    const names = Object.keys(resources).filter((n) => !n.includes('_Sweep_')).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^A_Install-pve_/);
    const a = resources[names[0]];
    expect(a.triggers.description).toBe('test/A on pve');
    expect(a.triggers.content_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.triggers.content_sha256).not.toBe(resources[names[1]].triggers.content_sha256);
    expect(json.provider?.null).toBeDefined();
    expect(json.variable.ssh_private_key_path.type).toBe('string');
  });

  // Terraform runs no destroy-time provisioner for a version a create-before-destroy
  // replacement leaves behind, nor for a resource removed from the program: each install keeps
  // its removal on the host and the host's sweep runs those no longer in the program.
  it.each(['null_resource', 'terraform_data'] as const)('runs the removals of versions no longer in the program after every install of the host (%s)', (delivery) => {
    const { site, host } = testSite({ delivery });
    new Installer(site, 'A', host, 'echo a\n');
    new Installer(site, 'B', host, 'echo b\n', '/usr/local/bin/y');
    const all = resourcesOf(synthJson(site), delivery);
    const sweeps = Object.entries(all).filter(([n]) => n.startsWith('Pve_Sweep_'));
    expect(sweeps).toHaveLength(1);
    const sweep = sweeps[0][1];
    const installs = Object.entries(all).filter(([n]) => n !== sweeps[0][0]);
    const field = delivery === 'null_resource' ? 'triggers' : 'input';
    expect(sweep.depends_on.sort()).toEqual(installs.map(([n]) => `${delivery}.${n}`).sort());
    const hashes = installs.map(([, r]) => r[field].content_sha256).sort();
    expect(sweep[field].keep).toBe(hashes.join(' '));
    if (delivery === 'terraform_data') expect(sweep.triggers_replace).toEqual({ keep: hashes.join(' ') });
    expect(sweep.lifecycle).toEqual({ create_before_destroy: true });
    const script = sweep.provisioner[0]['remote-exec'].inline[0] as string;
    expect(script).toContain(`KEEP=' ${hashes.join(' ')} '`);
    expect(script).toContain('D="$R"/var/lib/backup-constructs/removals/test');
    expect(sweep.provisioner).toHaveLength(1); // destroy runs each install's own removal
    for (const [, r] of installs) {
      const h = r[field].content_sha256;
      // each install keeps its removal where the sweep looks, and the removal forgets it
      const install = r.provisioner[0]['remote-exec'].inline[0] as string;
      const kept = /printf %s (\S+) \| base64 -d >"\$R"\/var\/lib\/backup-constructs\/removals\/test\/00-\$H\.bc-new/.exec(install);
      expect(Buffer.from(kept![1], 'base64').toString('utf8')).toBe(r[field].remove_script.replace(/\$\$\{/g, '${'));
      expect(r[field].remove_script).toContain('rm -f "$R"/var/lib/backup-constructs/removals/test/00-$H');
      expect(h).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('gives two hosts of a site on one machine (address, port, install root) one sweep keeping the installs of both', () => {
    const { site, host } = testSite();
    // the same machine under a second name (another user): one folder of kept removals there
    const again = new Host(site, 'Again', { name: 'pve-backup', address: '10.0.0.5', user: 'backup' });
    const elsewhere = new Host(site, 'Elsewhere', { name: 'other', address: '10.0.0.5', port: 2222 });
    new Installer(site, 'A', host, 'echo a\n');
    new Installer(site, 'B', again, 'echo b\n', '/usr/local/bin/y');
    new Installer(site, 'C', elsewhere, 'echo c\n');
    const all = resourcesOf(synthJson(site), 'null_resource');
    const sweeps = Object.entries<any>(all).filter(([n]) => n.includes('_Sweep_'));
    const installs = (prefix: string) => Object.entries<any>(all).filter(([n]) => n.startsWith(prefix));
    const keepOf = (rs: [string, any][]) => rs.map(([, r]) => r.triggers.content_sha256).sort().join(' ');
    // a sweep per host ran the removals the other host's installs kept, which it did not keep
    expect(sweeps.map(([, s]) => s.triggers.keep).sort()).toEqual([keepOf([...installs('A_'), ...installs('B_')]), keepOf(installs('C_'))].sort());
    const [, shared] = sweeps.find(([n]) => n.startsWith('Pve_Sweep_'))!;
    expect(shared.depends_on.sort()).toEqual([...installs('A_'), ...installs('B_')].map(([n]) => `null_resource.${n}`).sort());
  });

  it('keeps a file\'s bytes out of Terraform\'s template syntax', () => {
    const { site, host } = testSite();
    new Installer(site, 'A', host, 'echo "${HOME}" %{ if x }\n');
    const res = Object.values(resourcesOf(synthJson(site), 'null_resource'))[0] as any;
    const script = res.provisioner[0]['remote-exec'].inline[0] as string;
    expect(script).not.toMatch(/(^|[^$])\$\{/);
    expect(script).not.toMatch(/(^|[^%])%\{/);
    expect(reviewOf(site).get('hosts/pve/usr/local/bin/x')!.content).toBe('echo "${HOME}" %{ if x }\n');
  });

  it('emits terraform_data when the site or host asks, with the same scripts and no provider', () => {
    const { site, host } = testSite({ delivery: 'terraform_data' });
    new Installer(site, 'A', host, 'echo a\n');
    const json = synthJson(site);
    expect(resourcesOf(json, 'null_resource')).toEqual({});
    const data = Object.values(resourcesOf(json, 'terraform_data'))[0] as any;
    expect(data.triggers_replace.content_sha256).toBe(data.input.content_sha256);
    expect(data.connection.private_key).toBe('${file(self.input.ssh_key_path)}');
    expect(data.provisioner[1]['remote-exec']).toEqual({ when: 'destroy', inline: ['${self.input.remove_script}'] });
    expect(json.provider?.null).toBeUndefined();
  });

  it('prefixes paths with an install root and puts stand-ins first on PATH for tests', () => {
    const { site } = testSite();
    const h = new PveHost(site, 'T', { name: 'test-host', address: '127.0.0.1', port: 2222, installRoot: '/tmp/root', extraPath: '/tmp/bin' });
    new Installer(site, 'A', h, 'x');
    const res = Object.values(resourcesOf(synthJson(site), 'null_resource'))[0] as any;
    expect(res.triggers.port).toBe('2222');
    expect(res.provisioner[0]['remote-exec'].inline[0]).toMatch(/^#!\/bin\/sh\nset -eu\nR=\/tmp\/root\nPATH=\/tmp\/bin:"\$PATH"\n/);
  });

  it('retires a host: its sweep keeps nothing (every removal the site kept there runs), nothing may be installed on it, and the review says so', () => {
    const { site, host } = testSite();
    new Installer(site, 'A', host, 'echo a\n');
    const old = new Host(site, 'Old', { name: 'old-pve', address: '10.0.0.9', retired: true });
    expect(() => new Installer(site, 'B', old, 'echo b\n')).toThrow(/^\[test\/B\] host: expected a host in service, got old-pve, which is retired .*\(hint: move this construct to another host, or set retired: false on test\/Old\)$/);
    const resources = resourcesOf(synthJson(site), 'null_resource');
    const [, sweep] = Object.entries<any>(resources).find(([n]) => n.startsWith('Old_Sweep_'))!;
    expect(sweep.triggers).toMatchObject({ host: '10.0.0.9', keep: '' });
    expect(sweep.provisioner[0]['remote-exec'].inline[0]).toContain("KEEP='  '");
    expect(sweep.depends_on).toBeUndefined();
    expect(site.model.findings).toContainEqual(expect.objectContaining({ rule: 'retired-host', severity: 'warning', subject: 'test/Old' }));
    expect(site.model.hosts.find((h) => h.name === 'old-pve')).toMatchObject({ retired: true });
    expect(reviewOf(site).get('REVIEW.md')!.content).toContain('host old-pve (10.0.0.9) is retired: the next apply removes everything site test installed there');
  });

  it('warns about a host the site installs nothing on (it gets no sweep, so what an earlier apply installed there would stay), and not once something is installed', () => {
    const { app, site, host } = testSite();
    const spare = new Host(site, 'Spare', { name: 'spare', address: '10.0.0.8' });
    new Installer(site, 'A', host, 'echo a\n');
    app.synth();
    const idle = site.model.findings.filter((f) => f.rule === 'idle-host');
    expect(idle).toEqual([
      expect.objectContaining({ severity: 'warning', subject: 'test/Spare', message: 'site test installs nothing on host spare: anything an earlier apply installed there stays', fix: expect.stringMatching(/set retired: true on the host for one apply, then delete it/) }),
    ]);
    expect(spare.retired).toBe(false);
  });

  it('fails when two constructs install the same file', () => {
    const { site, host } = testSite();
    new Installer(site, 'A', host, 'a');
    expect(() => new Installer(site, 'B', host, 'b')).toThrow(/\[test\/B\] path: \/usr\/local\/bin\/x on host pve is already installed by test\/A/);
  });

  it('fails when a file path or mode is malformed', () => {
    const { site, host } = testSite();
    expect(() => new Installer(site, 'A', host, 'a', 'relative/x')).toThrow(/\[test\/A\] files.0.path: expected an absolute file path, got "relative\/x"/);
    for (const mode of ['755', '0999', 'rwxr-xr-x']) {
      const owner = new Construct(site, `Mode${mode.replace(/\W/g, '')}`);
      expect(() => host.install(owner, { files: [{ path: `/usr/local/bin/m${mode.length}`, content: 'x', mode }], enableUnits: [] })).toThrow(
        new RegExp(`\\[test\\/${owner.node.id}\\] files\\.0\\.mode: expected an octal mode such as 0644`),
      );
    }
  });

  it('fails when the host props are malformed, naming each field', () => {
    const { site } = testSite();
    expect(() => new PveHost(site, 'H', { name: 'Bad Name', address: 'not an address!', port: 0 })).toThrow(
      /\[test\/H\] name: expected a lower-case host name.*\n\[test\/H\] address: expected a host name or IP address, got "not an address!" \(hint: use the LAN address.*\n\[test\/H\] port: .*got 0/,
    );
  });

  it('fails when an address looks like IPv4 but is not one (before: 192.0.2.300 was accepted and failed at ssh time)', () => {
    const { site } = testSite();
    expect(errorOf(() => new PveHost(site, 'H', { name: 'h', address: '192.0.2.300' }))).toBe(
      '[test/H] address: expected an IPv4 address of four numbers from 0 to 255, got "192.0.2.300" (hint: use the LAN address SSH reaches, e.g. 10.0.0.50; 300 is above 255: copy the address again (ip -br addr on the machine shows it))',
    );
    expect(() => new PveStorage(site, 'S', { host: new PveHost(site, 'Ok', { name: 'ok', address: 'pve.lan' }), storageId: 's', type: 'nfs', server: '10.0.0.256', export: '/v' })).toThrow(/\[test\/S\] server: expected an IPv4 address/);
  });

  it('fails when the host time zone is unknown, instead of a RangeError from Intl or a newline in the model', () => {
    const { site } = testSite();
    for (const timeZone of ['Europe/Prage', 'UTC\nX', '']) {
      expect(() => new PveHost(site, `H${timeZone.length}`, { name: `h${timeZone.length}`, address: '10.0.0.1', timeZone })).toThrow(
        /\[test\/H\d+\] timeZone: expected an IANA time zone such as Europe\/Prague, got ".*" \(hint: the zone timedatectl shows on the host/,
      );
    }
    expect(() => new PveHost(site, 'Typo', { name: 'typo', address: '10.0.0.1', timeZone: 'Europe/Prage' })).toThrow(/; did you mean Europe\/Prague\?\)$/);
  });

  it('fails when the SSH key is given inline instead of by variable', () => {
    const { site } = testSite();
    expect(() => new PveHost(site, 'H', { name: 'h', address: '10.0.0.1', sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----' } as never)).toThrow(/\[test\/H\] sshPrivateKey: not a known option \(hint: the key never goes in the stack: name a Terraform variable with sshKeyPathVariable/);
  });
});
