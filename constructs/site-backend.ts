import { Construct } from 'constructs';
import {
  HttpBackend,
  HttpBackendConfig,
  LocalBackend,
  PgBackend,
  PgBackendConfig,
  S3Backend,
  S3BackendConfig,
  TerraformBackend,
  TerraformRemoteState,
  TerraformStack,
} from 'cdktf';

/** Settings of Terraform's `kubernetes` backend (state in a Secret). */
export interface KubernetesBackendConfig {
  /** Suffix of the Secret's name (`tfstate-default-<suffix>`). */
  readonly secretSuffix: string;
  /** @default 'default' */
  readonly namespace?: string;
  /** @default - the current kubeconfig context */
  readonly configPath?: string;
  /** @default - the kubeconfig's current context */
  readonly configContext?: string;
  /** @default false */
  readonly inClusterConfig?: boolean;
}

/** cdktf 0.21 has no class for Terraform's `kubernetes` backend; this one renders it. */
class KubernetesStateBackend extends TerraformBackend {
  constructor(scope: Construct, private readonly config: KubernetesBackendConfig) {
    super(scope, 'backend', 'kubernetes');
  }
  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      secret_suffix: this.config.secretSuffix,
      namespace: this.config.namespace,
      config_path: this.config.configPath,
      config_context: this.config.configContext,
      in_cluster_config: this.config.inClusterConfig,
    };
  }
  getRemoteStateDataSource(): TerraformRemoteState {
    // Sites never reference each other's state; say so instead of producing a wrong block.
    throw new Error('cross-stack references are not supported for sites with the kubernetes backend');
  }
}

/**
 * Where a site keeps its Terraform state. Local by default, with a path relative to the
 * stack's folder so output does not depend on where the repository is checked out.
 */
export class SiteBackend {
  /** A state file in the stack's folder. @default path 'terraform.<site>.tfstate' */
  static local(path?: string): SiteBackend {
    return new SiteBackend((stack) => new LocalBackend(stack, { path: path ?? `terraform.${stack.node.id}.tfstate` }), 'local');
  }
  /** S3 (or S3-compatible) bucket; credentials come from the environment, never from here. */
  static s3(config: S3BackendConfig): SiteBackend {
    return new SiteBackend((stack) => new S3Backend(stack, config), 's3');
  }
  /** A Kubernetes Secret in the cluster. */
  static kubernetes(config: KubernetesBackendConfig): SiteBackend {
    return new SiteBackend((stack) => new KubernetesStateBackend(stack, config), 'kubernetes');
  }
  /**
   * A PostgreSQL database. The connection string holds a password, so it is taken from the
   * PG_CONN_STR environment variable at `terraform init`, never from here.
   */
  static pg(config: Omit<PgBackendConfig, 'connStr'>): SiteBackend {
    return new SiteBackend((stack) => new PgBackend(stack, config as PgBackendConfig), 'pg');
  }
  /** An HTTP state server. */
  static http(config: HttpBackendConfig): SiteBackend {
    return new SiteBackend((stack) => new HttpBackend(stack, config), 'http');
  }

  private constructor(
    private readonly create: (stack: TerraformStack) => void,
    readonly kind: string,
  ) {}

  /** @internal */
  _bind(stack: TerraformStack): void {
    this.create(stack);
  }
}
