import { DEFAULTS } from './defaults';
import { BackupConfigError, checkOptions, describeValue } from './errors';
import { credentialIn } from './private/credentials';
import type { MetricsSinkConfig } from './model/site-model';

/** Where a site's jobs report their metrics. */
export class MetricsSink {
  /**
   * A Prometheus Pushgateway reachable from the hosts (e.g. `http://10.0.20.5:30091`). It
   * should run with persistence (`--persistence.file`), or a restart blinds once-a-day alerts;
   * say so with `{ persistence: true }`, otherwise the site gets a finding.
   */
  static pushgateway(url: string, opts: { persistence?: boolean } = {}): MetricsSink {
    checkOptions('MetricsSink.pushgateway', opts, ['persistence']);
    // no user:password@: the URL is written into every job's script and CronJob, and onto curl's command line
    if (typeof url !== 'string' || !/^https?:\/\/[^\s/@'"]+(:\d+)?\/?$/.test(url)) {
      const what = typeof url === 'string' ? credentialIn(url) : undefined;
      throw new BackupConfigError('MetricsSink', [
        {
          field: 'url',
          message: `expected http(s)://host:port without credentials, got ${what ? `${what} (value not shown)` : describeValue(url)}`,
          hint: what
            ? 'a Pushgateway behind basic auth is not supported: its password would be written into every script; push to one reachable without credentials (e.g. its NodePort on the LAN)'
            : 'give the base URL without a path, e.g. http://10.0.20.5:30091',
        },
      ]);
    }
    return new MetricsSink({ kind: 'pushgateway', url: url.replace(/\/$/, ''), persistence: opts.persistence });
  }

  /** node-exporter's textfile collector on each host (for sites without a Pushgateway). */
  static textfile(directory: string = DEFAULTS.textfileDirectory): MetricsSink {
    if (!/^\/\S*$/.test(directory)) {
      throw new BackupConfigError('MetricsSink', [{ field: 'directory', message: `expected an absolute path, got ${describeValue(directory)}` }]);
    }
    return new MetricsSink({ kind: 'textfile', directory: directory.replace(/\/+$/, '') });
  }

  private constructor(readonly config: MetricsSinkConfig) {}
}
