import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { renderMetricsFunctions } from '../../lib/render/metrics-shell';
import { tempDir } from '../helpers/tools';

// Scripts that write dumps or firewall configs run under umask 077 so their output is not
// world-readable; node-exporter, running as its own user, must still read the metrics.
describe('textfile metrics under umask 077', () => {
  it('creates a missing collector folder readable by node-exporter, and the file 0644', () => {
    const dir = path.join(tempDir('bc-textfile-'), 'node-exporter');
    const script = `set -eu\numask 077\n${renderMetricsFunctions()}\nbc_report "" backup_last_status 0\n`;
    const run = spawnSync('bash', ['-c', script], {
      env: { PATH: process.env.PATH, BC_JOB: 'nightly', BC_SITE: 'test', BC_HOST: 'pve', BC_SINK: 'textfile', BC_TEXTFILE_DIR: dir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('755');
    expect((fs.statSync(path.join(dir, 'backup_nightly.prom')).mode & 0o777).toString(8)).toBe('644');
  });
});
