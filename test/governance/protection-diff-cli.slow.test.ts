import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../helpers/tools';

const ROOT = path.resolve(__dirname, '../..');

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The CLI run for real on a copy of this working tree committed into a scratch repository
 * (so the test never adds worktrees to, or depends on the state of, this checkout), with one
 * uncommitted change to a stack: it must report that change against HEAD, and nothing for a
 * site that did not change.
 */
describe('npm run diff', () => {
  jest.setTimeout(300_000);

  it('synthesizes a revision in a temporary worktree and the working tree, and reports what changed per site', () => {
    const repo = path.join(tempDir('bc-diff-cli-'), 'repo');
    const files = git(ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)) && f !== 'node_modules');
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(repo, f));
    }
    git(repo, 'init', '-q');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=test', '-c', 'user.email=test@example.org', 'commit', '-q', '-m', 'before');
    // after the commit: .gitignore's node_modules/ does not match a symlink
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'));

    // the change under review: the home site's weekly P2 job keeps one archive instead of two
    const stack = path.join(repo, 'stacks/home.ts');
    const before = fs.readFileSync(stack, 'utf8');
    const after = before.replace("...VzdumpJob.tier('p2'),", "...VzdumpJob.tier('p2'),\n    retention: Retention.keepLast(1),");
    expect(after).not.toBe(before);
    fs.writeFileSync(stack, after);

    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: repo, encoding: 'utf8' });
    expect({ status: build.status, stderr: build.stderr }).toEqual({ status: 0, stderr: '' });
    const worktreesBefore = git(repo, 'worktree', 'list');
    const r = spawnSync(process.execPath, ['dist/scripts/protection-diff.js', 'HEAD', 'home', 'shop'], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const sections = r.stdout.split(/(?=^### )/m);
    expect(sections.map((x) => x.split('\n')[0])).toEqual(['### Protection changes: site `home`', '### Protection changes: site `shop`']);
    // the shortened retention of both guests of the job, and nothing else
    const home = sections[0].split('\n').filter((l) => l.startsWith('- '));
    expect(home).toHaveLength(2);
    for (const guest of ['immich', 'pihole-home']) expect(home.some((l) => l.startsWith('- **retention shortened**: ') && l.includes(guest) && /2\D.*→.*1/.test(l))).toBe(true);
    expect(sections[1]).toContain('No protection changes.');
    // no worktree is left behind
    expect(git(repo, 'worktree', 'list')).toBe(worktreesBefore);
    expect(worktreesBefore.trim().split('\n')).toHaveLength(1);
  });
});
