import { DEFAULTS } from './defaults';
import { BackupConfigError } from './errors';
import type { MetricsSinkConfig } from './model/site-model';

/** Where a site's jobs report their metrics. */
export class MetricsSink {
  /**
   * A Prometheus Pushgateway reachable from the hosts (e.g. `http://10.0.20.5:30091`). It
   * should run with persistence (`--persistence.file`), or a restart blinds once-a-day alerts;
   * say so with `{ persistence: true }`, otherwise the site gets a finding.
   */
  static pushgateway(url: string, opts: { persistence?: boolean } = {}): MetricsSink {
    if (!/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(url)) {
      throw new BackupConfigError('MetricsSink', [
        { field: 'url', message: `expected http(s)://host:port, got ${JSON.stringify(url)}`, hint: 'give the base URL without a path, e.g. http://10.0.20.5:30091' },
      ]);
    }
    return new MetricsSink({ kind: 'pushgateway', url: url.replace(/\/$/, ''), persistence: opts.persistence });
  }

  /** node-exporter's textfile collector on each host (for sites without a Pushgateway). */
  static textfile(directory: string = DEFAULTS.textfileDirectory): MetricsSink {
    if (!/^\/\S*$/.test(directory)) {
      throw new BackupConfigError('MetricsSink', [{ field: 'directory', message: `expected an absolute path, got ${JSON.stringify(directory)}` }]);
    }
    return new MetricsSink({ kind: 'textfile', directory: directory.replace(/\/+$/, '') });
  }

  private constructor(readonly config: MetricsSinkConfig) {}
}
