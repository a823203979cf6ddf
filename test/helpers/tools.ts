import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Whether a real tool is installed. On a laptop a missing tool skips its tests with a notice
 * naming the Debian package; under CI=true it fails, because CI installs every tool
 * (Terraform, which no registry here offers, is the one exception and uses `optional`).
 */
export function hasTool(command: string, debianPackage: string, opts: { optional?: boolean } = {}): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  if (process.env.CI === 'true' && !opts.optional) {
    throw new Error(`${command} is missing: install the Debian package ${debianPackage} (.ci/run does this)`);
  }
  // eslint-disable-next-line no-console
  console.warn(`skipping tests that need ${command}: install the Debian package ${debianPackage}`);
  return false;
}

/** `describe` or `describe.skip` depending on a tool. */
export function describeWithTool(command: string, debianPackage: string, name: string, fn: () => void, opts: { optional?: boolean } = {}): void {
  (hasTool(command, debianPackage, opts) ? describe : describe.skip)(name, fn);
}

/** `describe`, or `describe.skip` with a notice (a failure under CI=true) when any of the tools is missing. */
export function describeWithTools(tools: readonly (readonly [command: string, debianPackage: string])[], name: string, fn: () => void): void {
  const present = tools.map(([command, pkg]) => hasTool(command, pkg)).every(Boolean);
  (present ? describe : describe.skip)(name, fn);
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'bc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The shared/ folder beside the repository. */
export const SHARED = path.resolve(__dirname, '../../../shared');
export const PVE_CFG_CHECK = path.join(SHARED, 'tools/pve-cfg-check/pve-cfg-check.js');

/** Runs the Proxmox cfg checker; returns its exit status and output. */
export function pveCfgCheck(args: string[]): { status: number; output: string } {
  const r = spawnSync(process.execPath, [PVE_CFG_CHECK, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Runs shellcheck at warning level on a file. */
export function shellcheck(file: string): { status: number; output: string } {
  const r = spawnSync('shellcheck', ['-S', 'warning', file], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Runs a command and returns stdout, throwing with stderr on failure. */
export function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
}
