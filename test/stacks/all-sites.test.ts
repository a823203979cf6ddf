import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { SITES } from '../../stacks';
import { readTree } from '../helpers/tree';
import { describeWithTool, pveCfgCheck, shellcheck, tempDir } from '../helpers/tools';

/** Synthesizes every site the way `npm run synth` does, into a fresh folder. */
function synthAll(): string {
  const outdir = tempDir('bc-synth-');
  const app = new App({ outdir });
  for (const make of Object.values(SITES)) make(app);
  app.synth();
  return outdir;
}

const outdir = synthAll();
const siteIds = Object.keys(SITES);

describe('every site', () => {
  it('synthesizes deterministically: a second synth gives byte-identical output', () => {
    const again = synthAll();
    const a = readTree(path.join(outdir, 'stacks'));
    const b = readTree(path.join(again, 'stacks'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [file, bytes] of a) expect({ file, same: bytes.equals(b.get(file)!) }).toEqual({ file, same: true });
  });

  it.each(siteIds)('%s: writes cdk.tf.json and the review tree', (site) => {
    const dir = path.join(outdir, 'stacks', site);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')).terraform.backend.local.path).toBe(`terraform.${site}.tfstate`);
    for (const f of ['review/REVIEW.md', 'review/model.json']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  });

  it.each(siteIds)('%s: every Proxmox cfg and command passes the Proxmox checker', (site) => {
    const pveDir = path.join(outdir, 'stacks', site, 'review/pve');
    if (!fs.existsSync(pveDir)) return;
    for (const host of fs.readdirSync(pveDir)) {
      const d = path.join(pveDir, host);
      const storage = path.join(d, 'storage.cfg');
      const jobs = path.join(d, 'jobs.cfg');
      if (fs.existsSync(storage)) expect(pveCfgCheck(['storage', storage]).output).toMatch(/^ok: /);
      if (fs.existsSync(jobs)) expect(pveCfgCheck(['jobs', jobs, ...(fs.existsSync(storage) ? ['--storage-cfg', storage] : [])]).output).toMatch(/^ok: /);
      const args = ['cmd', path.join(d, 'commands.txt')];
      if (fs.existsSync(storage)) args.push('--storage-cfg', storage);
      if (fs.existsSync(jobs)) args.push('--jobs-cfg', jobs);
      expect(pveCfgCheck(args).output).toMatch(/^ok: /);
    }
  });

  it.each(siteIds)('%s: no secret-looking value is written anywhere in the output', (site) => {
    for (const [file, bytes] of readTree(path.join(outdir, 'stacks', site))) {
      const text = bytes.toString('utf8');
      expect({ file, key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text), pass: /(password|passphrase|secret)\s*[=:]\s*["']?[A-Za-z0-9]{6,}/i.test(text) }).toEqual({ file, key: false, pass: false });
    }
  });
});

describeWithTool('shellcheck', 'shellcheck', 'every generated shell script', () => {
  it.each(siteIds)('%s: passes shellcheck', (site) => {
    const hosts = path.join(outdir, 'stacks', site, 'review/hosts');
    if (!fs.existsSync(hosts)) return;
    for (const [file, bytes] of readTree(hosts)) {
      if (!/^#!.*\b(ba)?sh\b/.test(bytes.subarray(0, 64).toString())) continue;
      const r = shellcheck(path.join(hosts, file));
      expect({ file, output: r.output }).toEqual({ file, output: '' });
    }
  });
});
