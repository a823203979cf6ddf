import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { freePort } from './pushgateway';

/** Whether something accepts TCP connections on a loopback port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * A real OpenSSH server on a free loopback port, run in the foreground (`sshd -D`) as a child
 * of the test process so it can be stopped by its own id. It accepts one throwaway client key
 * for root; host key, config, log and client key all live in `dir`.
 */
export class Sshd {
  static async start(dir: string): Promise<Sshd> {
    fs.mkdirSync(dir, { recursive: true });
    const hostKey = path.join(dir, 'hostkey');
    const clientKey = path.join(dir, 'client');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bc-deploy-test-host', '-f', hostKey]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bc-deploy-test-client', '-f', clientKey]);
    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${clientKey}.pub`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PrintMotd no',
        '',
      ].join('\n'),
    );
    // privilege separation folder; sshd refuses to start without it
    fs.mkdirSync('/run/sshd', { recursive: true });
    const sshd = new Sshd(dir, port, clientKey, config);
    await sshd.resume();
    return sshd;
  }

  private proc: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    /** Path of the client's private key (what `ssh_private_key_path` names). */
    readonly clientKey: string,
    private readonly config: string,
  ) {}

  get log(): string {
    const f = path.join(this.dir, 'sshd.log');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Starts (or starts again, on the same port) and waits until it accepts connections. */
  async resume(): Promise<void> {
    if (this.proc) return;
    const proc = spawn('/usr/sbin/sshd', ['-D', '-f', this.config, '-E', path.join(this.dir, 'sshd.log')], { stdio: 'ignore' });
    this.proc = proc;
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      if (this.proc === proc) this.proc = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`sshd exited at start:\n${this.log}`);
      if (await isListening(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`sshd did not listen on 127.0.0.1:${this.port} within 10 s:\n${this.log}`);
  }

  /** Stops the server by its process id and waits until the port no longer answers. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
      }, 5_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
    this.proc = undefined;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await isListening(this.port))) await new Promise((r) => setTimeout(r, 50));
  }
}
