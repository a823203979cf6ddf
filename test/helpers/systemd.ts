import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './tools';

/**
 * `systemd-analyze verify` on units from a host tree (review/hosts/<host>), the way
 * TOOLCHAIN.md describes: a temporary root with the host's files, the system's unit library,
 * and stand-ins for binaries that Exec lines name but this machine lacks. Any output counts
 * as a failure (unknown keys are only warnings with exit status 0).
 */
export function systemdVerify(hostTree: string, units: readonly string[]): { status: number; output: string } {
  const root = tempDir('bc-sdroot-');
  fs.cpSync(hostTree, root, { recursive: true });
  fs.mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
  fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true });
  for (const unit of units) {
    const text = fs.readFileSync(path.join(root, 'etc/systemd/system', unit), 'utf8');
    for (const m of text.matchAll(/^Exec\w+=[-@:+!]*(\S+)/gm)) {
      const bin = path.join(root, m[1]);
      if (!fs.existsSync(bin)) {
        fs.mkdirSync(path.dirname(bin), { recursive: true });
        fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
      }
    }
  }
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...units.map((u) => `/etc/systemd/system/${u}`)], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}
