import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { z } from 'zod';
import { checkProps } from '../lib/errors';
import { MetricsSink } from '../lib/metrics-sink';
import type { SiteModel } from '../lib/model/site-model';
import type { PolicyPack } from '../lib/policy/policy';
import { instanceOf } from '../lib/private/zod-helpers';
import { TIME_ZONE } from '../lib/private/tz';
import type { DeliveryMode } from './private/host-delivery';
import { siteModelOf } from './private/site-anchor';
import { SiteBackend } from './site-backend';

/** Props of {@link BackupSite}. */
export interface BackupSiteProps {
  /** @default MetricsSink.textfile() (node-exporter's textfile collector on each host) */
  readonly metrics?: MetricsSink;
  /**
   * Zone of the site's hosts, for schedules and reports; a host's own `timeZone` wins. Spelt
   * as tzdata spells it (`Europe/Prague`, not `europe/prague`).
   * @default - none: each host's own `timeZone`, else unknown
   */
  readonly timeZone?: string;
  /** @default 'null_resource' */
  readonly delivery?: DeliveryMode;
  /** @default SiteBackend.local() */
  readonly backend?: SiteBackend;
  /**
   * Rules that warn by default (3-2-1) fail the synth instead.
   * @default false
   */
  readonly strictPolicy?: boolean;
  /** Policy packs on top of the default one (3-2-1, ordering, contention, stale thresholds, monitoring). @default - none */
  readonly policyPacks?: readonly PolicyPack[];
}

const SITE_ID = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

const schema = z
  .object({
    metrics: instanceOf(MetricsSink, 'expected MetricsSink.pushgateway(url) or MetricsSink.textfile()').optional(),
    timeZone: TIME_ZONE.optional(),
    delivery: z.enum(['null_resource', 'terraform_data']).optional(),
    backend: instanceOf(SiteBackend, 'expected a SiteBackend, e.g. SiteBackend.s3({...})').optional(),
    strictPolicy: z.boolean().optional(),
    policyPacks: z.array(z.object({ name: z.string().min(1), rules: z.array(z.any()) }).passthrough()).optional(),
  })
  .strict();

/** The site id names the output folder and every metric's `site` label. */
function checkSiteId(site: string): string {
  checkProps(site, z.object({ site: z.string().regex(SITE_ID, 'expected a lower-case site id such as home or client-standard') }), { site }, {
    site: 'site ids are stack ids and output folder names; they never change once deployed',
  });
  return site;
}

/**
 * One site's backup system as one Terraform stack. The stack id is the site id and names the
 * output folder `cdktf.out/stacks/<site>/` with its `review/` tree.
 */
export class BackupSite extends TerraformStack {
  readonly model: SiteModel;

  constructor(scope: Construct, site: string, props: BackupSiteProps = {}) {
    super(scope, checkSiteId(site));
    const p = checkProps(this.node.path, schema, props);
    this.model = siteModelOf(this, {
      metrics: (p.metrics ?? MetricsSink.textfile()).config,
      timeZone: p.timeZone,
      delivery: p.delivery,
    });
    (p.backend ?? SiteBackend.local())._bind(this);
    this.model.strictPolicy = p.strictPolicy ?? false;
    for (const pack of props.policyPacks ?? []) this.model.addPolicyPack(pack);
  }

  /** Silences one policy finding with a reason REVIEW.md shows (`subject: '*'` for all of a rule). */
  waive(rule: string, subject: string, reason: string): void {
    this.model.waive({ rule, subject, reason });
  }
}
