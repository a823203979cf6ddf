
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { StatusNotify } from '../../constructs';
import { renderStatusScript, StatusNotification } from '../../lib/render/status-script';
import { testSite } from '../helpers/fixtures';
import { BackupStatus } from '../../constructs';
import { shellcheck, tempDir } from '../helpers/tools';

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver on loopback that records every request. */
async function receiver(): Promise<{ url: string; got: Received[]; close: () => void }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ url: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => server.close() };
}

function setup(notify: StatusNotification[]) {
  const dir = tempDir('bc-notify-');
  fs.mkdirSync(path.join(dir, 'dump'));
  const inventory = path.join(dir, 'inventory.tsv');
  fs.writeFileSync(inventory, `vm-100\t1\t${path.join(dir, 'dump')}\tvzdump-qemu-100-*\t26\tcritical\tp0\n`);
  const script = path.join(dir, 'backup-status');
  fs.writeFileSync(script, renderStatusScript('s/Status', 'home', 'proxmox-home', notify), { mode: 0o755 });
  const run = (env: NodeJS.ProcessEnv = {}) =>
    new Promise<number>((resolve) => {
      // async spawn: the receiver answers from this same process
      const child = require('child_process').spawn(script, ['--no-proxmox', '--inventory', inventory], { env: { ...process.env, BC_NOTIFY_STATE: path.join(dir, 'state'), ...env }, stdio: 'ignore' });
      child.on('exit', (code: number) => resolve(code));
    });
  return { dir, script, run, makeFresh: () => fs.writeFileSync(path.join(dir, 'dump/vzdump-qemu-100-2026.vma.zst'), 'x') };
}

describe('backup-status notifications (a local HTTP receiver on loopback)', () => {
  it('sends findings to ntfy once per change, and once when all is well again', async () => {
    const rx = await receiver();
    try {
      const tokenFile = path.join(tempDir(), 'token');
      fs.writeFileSync(tokenFile, 's3cret');
      const { run, makeFresh } = setup([{ kind: 'ntfy', url: `${rx.url}/backups`, tokenFile }]);
      expect(await run()).toBe(2);
      expect(await run()).toBe(2); // same finding: no second message
      expect(rx.got).toHaveLength(1);
      expect(rx.got[0]).toMatchObject({ url: '/backups', body: 'CRITICAL vm-100: missing' });
      expect(rx.got[0].headers).toMatchObject({ title: 'backup CRITICAL on proxmox-home (home)', priority: 'urgent', authorization: 'Bearer s3cret' });
      makeFresh();
      expect(await run()).toBe(0);
      expect(rx.got).toHaveLength(2);
      expect(rx.got[1].headers.title).toBe('backups OK again on proxmox-home (home)');
      expect(await run()).toBe(0);
      expect(rx.got).toHaveLength(2);
    } finally {
      rx.close();
    }
  });

  it('posts JSON to an Apprise API endpoint', async () => {
    const rx = await receiver();
    try {
      const { run } = setup([{ kind: 'apprise-api', url: `${rx.url}/notify/backups` }]);
      await run();
      expect(rx.got).toHaveLength(1);
      expect(rx.got[0].url).toBe('/notify/backups');
      expect(JSON.parse(rx.got[0].body)).toEqual({ title: 'backup CRITICAL on proxmox-home (home)', body: 'CRITICAL vm-100: missing', type: 'failure' });
    } finally {
      rx.close();
    }
  });

  it('retries on the next run when the receiver is down', async () => {
    const { run, dir } = setup([{ kind: 'ntfy', url: 'http://127.0.0.1:9/backups' }]);
    expect(await run()).toBe(2);
    expect(fs.existsSync(path.join(dir, 'state'))).toBe(false);
  });

  it('calls the apprise CLI with its config file, and stays shellcheck clean', async () => {
    const { run, dir, script } = setup([{ kind: 'apprise-cli', configFile: '/etc/apprise/backups.yml' }]);
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'apprise'), `#!/bin/sh\nprintf '%s\\n' "$@" >'${dir}/apprise.args'\n`, { mode: 0o755 });
    await run({ PATH: `${bin}:${process.env.PATH}` });
    expect(fs.readFileSync(path.join(dir, 'apprise.args'), 'utf8').split('\n').slice(0, 4)).toEqual(['--config=/etc/apprise/backups.yml', '-n', 'failure', '-t']);
    expect(shellcheck(script).output).toBe('');
  });

  it('hands the ntfy token to curl on stdin, never as an argument that ps and /proc show', async () => {
    const rx = await receiver();
    try {
      const tokenFile = path.join(tempDir(), 'token');
      fs.writeFileSync(tokenFile, 'tk_s3cret\n');
      const { run, dir } = setup([{ kind: 'ntfy', url: `${rx.url}/backups`, tokenFile }]);
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      const realCurl = require('child_process').execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
      fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" >>'${dir}/curl.args'\nexec '${realCurl}' "$@"\n`, { mode: 0o755 });
      expect(await run({ PATH: `${bin}:${process.env.PATH}` })).toBe(2);
      expect(rx.got).toHaveLength(1);
      expect(rx.got[0].headers.authorization).toBe('Bearer tk_s3cret');
      const args = fs.readFileSync(path.join(dir, 'curl.args'), 'utf8');
      expect(args).toContain('--config\n-\n');
      expect(args).not.toContain('s3cret');
    } finally {
      rx.close();
    }
  });

  it('fails at synth when a notification target carries credentials, without repeating them', () => {
    const { site } = testSite();
    const attempt = (notify: StatusNotify) => {
      try {
        new BackupStatus(site, `S${Math.random().toString(36).slice(2, 8)}`, { notify: [notify] });
      } catch (e) {
        return (e as Error).message.replace(/\[test\/S\w+\]/, '[test/S]');
      }
      return 'accepted';
    };
    const userinfo = attempt(StatusNotify.ntfy('https://user:hunter2@ntfy.example/backups'));
    expect(userinfo).toMatch(/^\[test\/S\] notify\.0\.url: expected an http\(s\) URL without credentials, got a URL with user:password@ in it \(value not shown\)/);
    expect(attempt(StatusNotify.ntfy('https://ntfy.example/backups?auth=hunter2'))).toMatch(/notify\.0\.url: expected an http\(s\) URL without credentials, got a credential in a query string \(value not shown\)/);
    expect(attempt(StatusNotify.appriseApi('https://hooks.slack.com/services/T000/B000/hunter2'))).toMatch(/notify\.0\.url: .*got a webhook URL, whose path is its token \(value not shown\) \(hint: the Apprise API's notify endpoint/);
    expect(attempt(StatusNotify.ntfy('https://ntfy.example/backups', { tokenFile: 'tk_hunter2' }))).toMatch(/notify\.0\.tokenFile: expected the absolute path of a root-only file holding the token, got a value \(not shown: it may be a secret\)/);
    expect(attempt(StatusNotify.appriseCli('tgram://hunter2/12345'))).toMatch(/notify\.0\.configFile: expected the absolute path of an apprise config file on the host/);
    for (const m of [userinfo]) expect(m).not.toContain('hunter2');
    expect(attempt(StatusNotify.ntfy('https://ntfy.example/backups?auth=hunter2'))).not.toContain('hunter2');
    expect(attempt(StatusNotify.appriseCli('tgram://hunter2/12345'))).not.toContain('hunter2');
  });
});


