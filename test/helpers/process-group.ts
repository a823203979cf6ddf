import { spawn } from 'child_process';

/** How a script run ended. */
export interface GroupRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an executable script in its own process group (as systemd runs a unit) and, when
 * `termWhen` is given, SIGTERMs the whole group the first time it holds (checked every 50 ms),
 * as `systemctl stop` would.
 */
export function runInProcessGroup(script: string, env: Record<string, string>, termWhen?: () => boolean): Promise<GroupRun> {
  return new Promise((resolve) => {
    const child = spawn(script, [], { env: { ...process.env, ...env }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    let timer: NodeJS.Timeout | undefined;
    if (termWhen) {
      timer = setInterval(() => {
        if (termWhen()) {
          clearInterval(timer);
          process.kill(-child.pid!, 'SIGTERM');
        }
      }, 50);
    }
    child.on('close', (status) => {
      if (timer) clearInterval(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The message `fn` throws; fails the test when it throws nothing. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}
