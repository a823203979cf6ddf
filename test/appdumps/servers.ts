import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from '../helpers/pushgateway';

/**
 * Real database servers on loopback, in temporary folders, for the dump engines' tests
 * (recipes from ../shared/TOOLCHAIN.md). Each `start` waits until the server answers and
 * each `stop` ends only the process it started.
 */

const TIMEOUT = 60_000;

/** Runs a command with a timeout; throws with its output on failure. */
export function sh(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeout?: number } = {}): string {
  return execFileSync(command, [...args], { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, cwd: opts.cwd, timeout: opts.timeout ?? TIMEOUT, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
}

async function waitFor(what: string, probe: () => boolean, proc?: ChildProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  proc?.on('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited before it was ready`);
    try {
      if (probe()) return;
    } catch {
      // not ready yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready within ${ms / 1000} s`);
}

/** A scratch folder the postgres user can enter (the test temp root is root-only). */
function worldDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join('/tmp', prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** PostgreSQL 15 from Debian, trust auth for `postgres` on 127.0.0.1. */
export class PostgresServer {
  static async start(): Promise<PostgresServer> {
    const dir = worldDir('bc-pg-');
    const port = await freePort();
    const bin = fs.readdirSync('/usr/lib/postgresql').sort().reverse()[0];
    const pgBin = `/usr/lib/postgresql/${bin}/bin`;
    sh('chown', ['postgres', dir]);
    sh('runuser', ['-u', 'postgres', '--', `${pgBin}/initdb`, '-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    sh('runuser', ['-u', 'postgres', '--', `${pgBin}/pg_ctl`, '-D', `${dir}/data`, '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', `${dir}/pg.log`, '-w', 'start']);
    const server = new PostgresServer(dir, port, pgBin);
    await waitFor('postgres', () => server.psql('postgres', 'SELECT 1') === '1');
    return server;
  }

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly pgBin: string,
  ) {}

  /** libpq settings for scripts. */
  get env(): Record<string, string> {
    return { PGHOST: '127.0.0.1', PGPORT: String(this.port), PGUSER: 'postgres' };
  }

  psql(db: string, sql: string): string {
    return sh('psql', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', db, '-AtX', '-v', 'ON_ERROR_STOP=1', '-c', sql]).trim();
  }

  /** Runs a script file through psql (stops at the first error unless told otherwise). */
  psqlFile(db: string, input: string, stopOnError = true): string {
    return sh('psql', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', db, '-AtX', '-q', '-v', `ON_ERROR_STOP=${stopOnError ? 1 : 0}`, '-f', '-'], { input });
  }

  stop(): void {
    try {
      sh('runuser', ['-u', 'postgres', '--', `${this.pgBin}/pg_ctl`, '-D', `${this.dir}/data`, '-m', 'fast', 'stop']);
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** MariaDB 10.11 from Debian, root without a password on 127.0.0.1. */
export class MariadbServer {
  static async start(): Promise<MariadbServer> {
    const dir = fs.mkdtempSync(path.join('/tmp', 'bc-my-'));
    const port = await freePort();
    sh('mariadb-install-db', [`--datadir=${dir}/data`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 120_000 });
    const proc = spawn('mariadbd', [`--datadir=${dir}/data`, '--user=root', `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${dir}/my.sock`, `--pid-file=${dir}/my.pid`, '--skip-log-bin'], { stdio: 'ignore' });
    const server = new MariadbServer(dir, port, proc);
    await waitFor('mariadbd', () => server.sql('SELECT 1') === '1', proc, 60_000);
    return server;
  }

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  sql(statement: string, db?: string, env: NodeJS.ProcessEnv = process.env, user = 'root'): string {
    return sh('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(this.port), '-u', user, '-N', '-B', ...(db ? [db] : []), '-e', statement], { env }).trim();
  }

  /** Loads a dump (the mariadb client reading stdin). */
  load(input: string, db?: string): void {
    sh('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(this.port), '-u', 'root', ...(db ? [db] : [])], { input });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000).unref())]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Redis 7 from Debian, no automatic saves (the engine asks for BGSAVE). */
export class RedisServer {
  /** `args` come after the defaults and win over them (`--appendonly yes`). */
  static async start(dir?: string, options: { port?: number; args?: readonly string[] } = {}): Promise<RedisServer> {
    const folder = dir ?? fs.mkdtempSync(path.join('/tmp', 'bc-redis-'));
    const port = options.port ?? (await freePort());
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', folder, '--save', '', '--appendonly', 'no', ...(options.args ?? [])], { stdio: 'ignore' });
    const server = new RedisServer(folder, port, proc);
    await waitFor('redis-server', () => server.cli('PING') === 'PONG', proc);
    return server;
  }

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  cli(...args: string[]): string {
    return sh('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args]).trim();
  }

  async stop(removeDir = true): Promise<void> {
    const exited = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (removeDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** etcd from Debian (etcd-server), plain http on loopback. */
export class EtcdServer {
  static async start(dataDir?: string): Promise<EtcdServer> {
    const dir = fs.mkdtempSync(path.join('/tmp', 'bc-etcd-'));
    const data = dataDir ?? `${dir}/data`;
    const port = await freePort();
    const peer = await freePort();
    const proc = spawn(
      'etcd',
      [
        '--data-dir', data,
        '--listen-client-urls', `http://127.0.0.1:${port}`,
        '--advertise-client-urls', `http://127.0.0.1:${port}`,
        '--listen-peer-urls', `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
        '--initial-cluster', `default=http://127.0.0.1:${peer}`,
      ],
      { stdio: 'ignore' },
    );
    const server = new EtcdServer(dir, port, proc);
    // endpoint health reports on stderr; its exit status says it all
    await waitFor('etcd', () => (server.ctl('endpoint', 'health'), true), proc);
    return server;
  }

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  ctl(...args: string[]): string {
    return sh('etcdctl', [`--endpoints=${this.endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
