import * as fs from 'fs';
import * as path from 'path';
import { run, tempDir } from '../helpers/tools';

const ROOT = path.resolve(__dirname, '../..');

/**
 * `npm pack` gives a package with compiled JavaScript and type declarations that another
 * cdktf project can import. Dependencies are linked from this checkout's node_modules rather
 * than downloaded again.
 */
describe('the npm package', () => {
  jest.setTimeout(180_000);

  it('packs, installs into a fresh cdktf project, type-checks and synthesizes a stack that imports it', () => {
    const work = tempDir('bc-pack-');
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT })) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/constructs/index.js', 'dist/constructs/index.d.ts', 'dist/lib/schedule.d.ts', 'README.md', 'package.json']));
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('stacks/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);

    const project = path.join(work, 'consumer');
    const modules = path.join(project, 'node_modules');
    fs.mkdirSync(path.join(modules, 'backup-constructs'), { recursive: true });
    run('tar', ['-xzf', path.join(work, packed[0].filename), '-C', path.join(modules, 'backup-constructs'), '--strip-components=1']);
    for (const dep of ['cdktf', 'constructs', '@cdktf', 'zod', 'yaml', 'typescript', '@types']) {
      fs.mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(modules, dep));
    }
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { 'backup-constructs': '*' } }));
    fs.writeFileSync(
      path.join(project, 'main.ts'),
      `import { App, TerraformStack } from 'cdktf';
import { Guest, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from 'backup-constructs';

const app = new App({ outdir: 'cdktf.out' });
const stack = new TerraformStack(app, 'office');
const host = new PveHost(stack, 'Pve', { name: 'pve', address: '192.0.2.10' });
const disk = new PveStorage(stack, 'BackupHdd', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
const golden = new Guest(stack, 'Golden', { host, vmid: 100, type: 'qemu', name: 'golden' });
new VzdumpJob(stack, 'Nightly', { host, jobId: 'nightly-vm100', schedule: Schedule.daily('02:00'), storage: disk, guests: [golden] });
app.synth();
`,
    );
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'commonjs', esModuleInterop: true, skipLibCheck: true, types: ['node'] }, files: ['main.ts'] }));
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project });
    run(process.execPath, ['main.js'], { cwd: project });
    const stackDir = path.join(project, 'cdktf.out/stacks/office');
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(Object.keys(tf.resource.null_resource)).toHaveLength(3); // the storage, the job and the host's sweep
    expect(fs.readFileSync(path.join(stackDir, 'review/pve/pve/jobs.cfg'), 'utf8')).toMatch(/^vzdump: nightly-vm100\n\tschedule 02:00\n/);
  });
});
