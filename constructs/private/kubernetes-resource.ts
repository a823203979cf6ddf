import { Construct } from 'constructs';
import { ITerraformDependable, TerraformProvider, TerraformResource } from 'cdktf';

/**
 * Fields whose value is a string map (Kubernetes labels, resource quantities, selectors): their
 * keys are data (`app.kubernetes.io/name`, `storage`) and pass unchanged, as the provider's
 * generated classes pass them (`hashMapper`). A `selector` that holds a block (a Deployment's
 * `{ matchLabels }`) is told apart by its values: a map's are all strings.
 */
const STRING_MAP_FIELDS = new Set(['labels', 'annotations', 'requests', 'limits', 'nodeSelector', 'matchLabels', 'capacity', 'selector']);

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isStringMap(value: object): boolean {
  return !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * The Terraform JSON attributes of a provider-kubernetes resource config (camelCase, blocks as
 * objects or lists, as `lib/k8s/terraform.ts` builds them): keys in snake_case, undefined
 * fields left out, string maps and tokens unchanged. It is what the generated classes'
 * `synthesizeAttributes` writes for such a config (a test compares the two on every
 * Kubernetes object of every site).
 */
export function kubernetesAttributes(value: unknown, field?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => kubernetesAttributes(v));
  if (value === null || typeof value !== 'object') return value;
  // a token (IResolvable) is resolved by cdktf later
  if (typeof (value as { resolve?: unknown }).resolve === 'function') return value;
  if (field !== undefined && STRING_MAP_FIELDS.has(field) && isStringMap(value)) return { ...value };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[snakeCase(k)] = kubernetesAttributes(v, k);
  }
  return out;
}

/** Meta-arguments of a {@link KubernetesResource}. */
export interface KubernetesResourceOptions {
  readonly provider: TerraformProvider;
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One `kubernetes_*` resource written from its config without the provider's generated class
 * for it. Those classes carry converters for every field of the API (cron-job-v1 alone is
 * 5.7 MB of JavaScript): loading the five this library used cost a Kubernetes site about
 * 0.13 s and 31 MB of its peak memory, for the few fields `lib/k8s/terraform.ts` sets, which
 * stay typed by the classes' config interfaces at compile time.
 */
export class KubernetesResource extends TerraformResource {
  private readonly attributes: Record<string, unknown>;

  constructor(scope: Construct, id: string, terraformResourceType: string, config: object, options: KubernetesResourceOptions) {
    super(scope, id, {
      terraformResourceType,
      // as the generated classes of @cdktf/provider-kubernetes 12.1.1 declare it
      terraformGeneratorMetadata: { providerName: 'kubernetes', providerVersion: '2.38.0', providerVersionConstraint: '~> 2.0' },
      provider: options.provider,
      dependsOn: options.dependsOn,
    });
    this.attributes = kubernetesAttributes(config) as Record<string, unknown>;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return this.attributes;
  }
}
