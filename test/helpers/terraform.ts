import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What one terraform command did. */
export interface TerraformRun {
  readonly args: readonly string[];
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs the real `terraform` in one stack folder with a private HOME and TF_DATA_DIR, no
 * TF_* settings from the caller's environment (TF_CLI_ARGS and friends would change every
 * command), no update checks and no prompts. Every command is bounded in time.
 */
export class Terraform {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly cwd: string,
    /** A folder of the test's own for HOME and TF_DATA_DIR. */
    privateDir: string,
    private readonly timeoutMs = 90_000,
  ) {
    const home = path.join(privateDir, 'home');
    const data = path.join(privateDir, 'tf-data');
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(data, { recursive: true });
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TF_') && k !== 'CHECKPOINT_DISABLE') env[k] = v;
    this.env = { ...env, HOME: home, TF_DATA_DIR: data, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  }

  run(...args: string[]): TerraformRun {
    const started = Date.now();
    const r = spawnSync('terraform', args, { cwd: this.cwd, env: this.env, encoding: 'utf8', timeout: this.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new Error(`terraform ${args.join(' ')}: ${r.error.message}`);
    return { args, status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
  }

  /** Runs a command that must succeed (or end with one of `okStatuses`); fails with its output otherwise. */
  ok(args: string[], okStatuses: readonly number[] = [0]): TerraformRun {
    const r = this.run(...args);
    if (!okStatuses.includes(r.status)) {
      throw new Error(`terraform ${args.join(' ')} exited with ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    return r;
  }

  /** The JSON form of a saved plan (`terraform show -json PLAN`). */
  showPlan(planFile: string): TerraformPlanJson {
    return JSON.parse(this.ok(['show', '-json', '-no-color', planFile]).stdout) as TerraformPlanJson;
  }

  /** Resource addresses in the state. */
  stateList(): string[] {
    return this.ok(['state', 'list', '-no-color']).stdout.split('\n').filter(Boolean).sort();
  }
}

/** The part of Terraform's JSON plan the tests read. */
export interface TerraformPlanJson {
  readonly resource_changes?: readonly {
    readonly address: string;
    readonly type: string;
    readonly name: string;
    readonly change: { readonly actions: readonly string[]; readonly replace_paths?: readonly (readonly (string | number)[])[] };
    readonly action_reason?: string;
  }[];
}

/** Address -> actions of every resource in a plan (`['no-op']`, `['delete', 'create']`, ...). */
export function planActions(plan: TerraformPlanJson): Record<string, string> {
  return Object.fromEntries((plan.resource_changes ?? []).map((c) => [c.address, c.change.actions.join(',')]));
}
