import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run diff', () => {
  jest.setTimeout(240_000);

  it('synthesizes a revision in a temporary worktree and the working tree, and reports per site', () => {
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status).toBe(0);
    const r = spawnSync(process.execPath, ['dist/scripts/protection-diff.js', 'HEAD', 'home'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^### Protection changes: site `home`\n/);
    // no worktree is left behind
    expect(spawnSync('git', ['worktree', 'list'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim().split('\n')).toHaveLength(1);
  });
});
