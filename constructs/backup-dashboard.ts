import { Construct } from 'constructs';
import { z } from 'zod';
import { renderDashboard } from '../lib/dashboard/grafana';
import { BackupConfigError, checkProps } from '../lib/errors';
import type { SiteModel } from '../lib/model/site-model';
import { stableJson } from '../lib/review/stable-json';
import { configMapObject } from './private/k8s-config-objects';
import { membersOf, onSiteComplete, registerMember, siteModelOf } from './private/site-anchor';

/** Props of {@link BackupDashboard}. */
export interface BackupDashboardProps {
  /**
   * Deliver as a ConfigMap that Grafana's dashboard sidecar picks up (label
   * `grafana_dashboard: "1"`), or only render `review/grafana/<site>.json` for import.
   * @default 'configmap'
   */
  readonly delivery?: 'configmap' | 'review-only';
  /** @default 'monitoring' */
  readonly namespace?: string;
}

const schema = z.object({ delivery: z.enum(['configmap', 'review-only']).optional(), namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Kubernetes namespace name').optional() }).strict();

/**
 * A Grafana dashboard generated from the site model (see lib/dashboard/grafana.ts), written
 * to `review/grafana/<site>.json` and delivered to Grafana's dashboard sidecar. One per site.
 */
export class BackupDashboard extends Construct {
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: BackupDashboardProps = {}) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {});
    this.model = siteModelOf(this);
    // the dashboard shows the whole site: a second would be the same panels again (and, in
    // the same namespace, the same ConfigMap)
    const first = membersOf<BackupDashboard>(this, 'backup-dashboard')[0];
    if (first) {
      throw new BackupConfigError(this.node.path, [
        { field: 'id', message: `site ${this.model.site} already has BackupDashboard at ${first.node.path}`, hint: `one BackupDashboard per site shows every host and job; remove this one (set delivery and namespace on ${first.node.path})` },
      ]);
    }
    registerMember('backup-dashboard', this);
    this.model.dashboard = true;
    if ((p.delivery ?? 'configmap') === 'configmap') {
      onSiteComplete(this, () => {
        configMapObject(this, 'DashboardConfigMap', {
          name: `backup-dashboard-${this.model.site}`,
          namespace: p.namespace ?? 'monitoring',
          labels: { grafana_dashboard: '1', 'app.kubernetes.io/managed-by': 'backup-constructs' },
          data: { [`backups-${this.model.site}.json`]: stableJson(renderDashboard(this.model)) },
        });
      });
    }
  }
}
