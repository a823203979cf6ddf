import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A real Pushgateway on loopback, started from Debian's prometheus-pushgateway. */
export class Pushgateway {
  static async start(): Promise<Pushgateway> {
    // Another test may grab the same free port between our probe and the bind: then our
    // process exits, and we must not mistake the other one's answers for ours.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      // Debian's build persists to /var/lib/prometheus by default, shared by every run: give
      // each gateway its own file so no test sees another's series.
      const persistence = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bc-pgw-')), 'pushgateway.data');
      const proc = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${persistence}`], { stdio: 'ignore' });
      let exited = false;
      proc.on('exit', () => (exited = true));
      const gw = new Pushgateway(proc, `http://127.0.0.1:${port}`);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !exited) {
        try {
          const r = await fetch(`${gw.url}/-/ready`);
          await new Promise((res) => setTimeout(res, 100));
          if (r.ok && !exited) return gw;
        } catch {
          // not listening yet
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      proc.kill();
    }
    throw new Error('pushgateway did not become ready');
  }

  private constructor(
    private readonly proc: ChildProcess,
    readonly url: string,
  ) {}

  /** The exposition text of every series it holds. */
  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** Value of the series with this name whose labels include all the given ones. */
  async value(name: string, labels: Record<string, string>): Promise<number | undefined> {
    for (const line of (await this.metrics()).split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
    }
    return undefined;
  }

  stop(): void {
    this.proc.kill();
  }
}
