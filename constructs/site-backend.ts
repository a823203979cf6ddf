import * as fs from 'fs';
import { join, relative, resolve } from 'path';
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
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { z } from 'zod';
import { BackupConfigError, checkProps, credentialProblems, Problem } from '../lib/errors';

/** Settings of Terraform's `kubernetes` backend (state in a Secret). */
export interface KubernetesBackendConfig {
  /** Suffix of the Secret's name (`tfstate-default-<suffix>`). */
  readonly secretSuffix: string;
  /** @default 'default' */
  readonly namespace?: string;
  /** Path of the kubeconfig file terraform init reads. @default - `KUBE_CONFIG_PATH` in terraform init's environment */
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
 * Refuses a backend setting that holds a credential: the backend block is written into
 * cdk.tf.json (and Terraform copies it into .terraform/). Terraform reads each from the
 * environment instead. Values are never repeated.
 */
function refuseCredentials(where: string, config: unknown, fields: Readonly<Record<string, string>>): void {
  const problems: Problem[] = Object.entries(fields)
    .filter(([field]) => field.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), config) !== undefined)
    .map(([field, instead]) => ({ field, message: 'expected no credential here, got a value (not shown): it would be written into cdk.tf.json', hint: `set it through ${instead}` }));
  problems.push(...credentialProblems(config).filter((c) => !problems.some((p) => p.field === c.field)));
  if (problems.length) throw new BackupConfigError(where, problems);
}

/**
 * The settings each backend takes (cdktf 0.21's config interfaces), so a misspelt one
 * (`regoin`) or a missing bucket fails the synth instead of `terraform init` on some later day.
 * Nested blocks (`assumeRole`, `endpoints`) are Terraform's to check.
 */
const optional = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]));
const required = (what: string) => z.string({ error: `expected ${what}` }).min(1, `expected ${what}`);
const S3_SETTINGS = z
  .object({
    bucket: required('the name of the bucket that holds the state'),
    key: required('the path of the state object in the bucket, e.g. sites/<site>.tfstate'),
    ...optional(
      'allowedAccountIds', 'customCaBundle', 'forbiddenAccountIds', 'httpProxy', 'httpsProxy', 'insecure', 'noProxy', 'retryMode',
      'sharedConfigFiles', 'sharedCredentialsFiles', 'region', 'endpoint', 'encrypt', 'acl', 'accessKey', 'secretKey', 'kmsKeyId',
      'dynamodbTable', 'profile', 'sharedCredentialsFile', 'token', 'roleArn', 'assumeRolePolicy', 'assumeRolePolicyArns',
      'assumeRoleTags', 'assumeRoleTransitiveTagKeys', 'externalId', 'sessionName', 'workspaceKeyPrefix', 'dynamodbEndpoint',
      'iamEndpoint', 'stsEndpoint', 'stsRegion', 'forcePathStyle', 'usePathStyle', 'skipCredentialsValidation',
      'skipRegionValidation', 'skipRequestingAccountId', 'skipMetadataApiCheck', 'sseCustomerKey', 'maxRetries',
      'useLegacyWorkflow', 'endpoints', 'assumeRole', 'assumeRoleWithWebIdentity',
    ),
  })
  .strict();
const HTTP_SETTINGS = z
  .object({
    address: required('the URL of the state, e.g. https://state.example/sites/<site>'),
    ...optional(
      'updateMethod', 'lockAddress', 'lockMethod', 'unlockAddress', 'unlockMethod', 'username', 'password', 'skipCertVerification',
      'retryMax', 'retryWaitMin', 'retryWaitMax', 'clientCertificatePem', 'clientPrivateKeyPem', 'clientCaCertificatePem',
    ),
  })
  .strict();
const PG_SETTINGS = z.object(optional('connStr', 'schemaName', 'skipSchemaCreation', 'skipTableCreation', 'skipIndexCreation')).strict();
const KUBERNETES_SETTINGS = z
  .object({
    secretSuffix: required('the suffix of the Secret that holds the state (tfstate-default-<suffix>), e.g. the site id'),
    namespace: z.string().min(1).optional(),
    configPath: z.string().min(1).optional(),
    configContext: z.string().min(1).optional(),
    inClusterConfig: z.boolean().optional(),
  })
  .strict();

/**
 * The default local state file, relative to the folder Terraform runs in
 * (`cdktf.out/stacks/<site>`): the project folder, where cdktf keeps its own default state.
 * Relative, so output does not depend on where the repository is checked out; outside
 * `cdktf.out`, which is generated, ignored by git and rebuilt by cdktf.
 */
export function defaultLocalStatePath(site: string): string {
  return `../../../terraform.${site}.tfstate`;
}

/**
 * Where earlier releases kept the default state: inside the stack's generated folder. A
 * state file found there is moved once (see the error), never silently left behind: the
 * next `terraform init` would otherwise start the site with no state.
 */
function refuseStateLeftInStackFolder(stack: TerraformStack, backend: LocalBackend): void {
  // runs before cdk.tf.json is written, so the fix cannot rely on `terraform init
  // -migrate-state` (it would still read the old path): move the file, forget the old backend
  addCustomSynthesis(backend, {
    onSynthesize: (session) => {
      const site = stack.node.id;
      const stackDir = join(session.outdir, session.manifest.forStack(stack).workingDirectory);
      const file = `terraform.${site}.tfstate`;
      const old = join(stackDir, file);
      if (!fs.existsSync(old)) return;
      const shown = (p: string) => relative(process.cwd(), p) || '.';
      const target = resolve(stackDir, defaultLocalStatePath(site));
      const both = fs.existsSync(target);
      throw new BackupConfigError(site, [
        {
          field: 'backend',
          message: both
            ? `expected one local state of the site, got two: ${shown(target)} and ${shown(old)} (where earlier releases kept it)`
            : `expected the site's local state at ${shown(target)}, got it in the generated folder ${shown(stackDir)}, where earlier releases kept it: that folder is generated and ignored by git (a fresh clone or rm -rf cdktf.out loses it), and Terraform would now start the site with no state`,
          hint: both
            ? `keep the one with the higher "serial" at ${shown(target)}, delete the other, and run rm -rf ${shown(join(stackDir, '.terraform'))}`
            : `move it once: mv ${shown(old)} ${shown(target)} && rm -rf ${shown(join(stackDir, '.terraform'))} (Terraform then sets up the backend anew and finds the state); or keep it where it is with backend: SiteBackend.local('${file}')`,
        },
      ]);
    },
  });
}

/**
 * Where a site keeps its Terraform state. Local by default, in the project folder (see
 * {@link defaultLocalStatePath}).
 */
export class SiteBackend {
  /**
   * A local state file, its path relative to the stack's folder (`cdktf.out/stacks/<site>`).
   * @default path '../../../terraform.<site>.tfstate' (the project folder)
   */
  static local(path?: string): SiteBackend {
    return new SiteBackend((stack) => {
      const backend = new LocalBackend(stack, { path: path ?? defaultLocalStatePath(stack.node.id) });
      if (path === undefined) refuseStateLeftInStackFolder(stack, backend);
    }, 'local');
  }
  /** S3 (or S3-compatible) bucket; credentials come from the environment, never from here. */
  static s3(config: S3BackendConfig): SiteBackend {
    refuseCredentials('SiteBackend.s3', config, {
      accessKey: 'AWS_ACCESS_KEY_ID in the environment of terraform init, or profile / sharedCredentialsFiles',
      secretKey: 'AWS_SECRET_ACCESS_KEY in the environment of terraform init, or profile / sharedCredentialsFiles',
      token: 'AWS_SESSION_TOKEN in the environment of terraform init',
      sseCustomerKey: 'AWS_SSE_CUSTOMER_KEY in the environment of terraform init',
      webIdentityToken: 'webIdentityTokenFile (a file holding the token)',
      'assumeRoleWithWebIdentity.webIdentityToken': 'assumeRoleWithWebIdentity.webIdentityTokenFile (a file holding the token)',
    });
    checkProps('SiteBackend.s3', S3_SETTINGS, config);
    return new SiteBackend((stack) => new S3Backend(stack, config), 's3');
  }
  /** A Kubernetes Secret in the cluster. */
  static kubernetes(config: KubernetesBackendConfig): SiteBackend {
    checkProps('SiteBackend.kubernetes', KUBERNETES_SETTINGS, config);
    return new SiteBackend((stack) => new KubernetesStateBackend(stack, config), 'kubernetes');
  }
  /**
   * A PostgreSQL database. The connection string holds a password, so it is taken from the
   * PG_CONN_STR environment variable at `terraform init`, never from here.
   */
  static pg(config: Omit<PgBackendConfig, 'connStr'>): SiteBackend {
    refuseCredentials('SiteBackend.pg', config, { connStr: 'PG_CONN_STR in the environment of terraform init' });
    checkProps('SiteBackend.pg', PG_SETTINGS, config);
    return new SiteBackend((stack) => new PgBackend(stack, config as PgBackendConfig), 'pg');
  }
  /** An HTTP state server; its password and client key come from the environment, never from here. */
  static http(config: HttpBackendConfig): SiteBackend {
    refuseCredentials('SiteBackend.http', config, {
      password: 'TF_HTTP_PASSWORD in the environment of terraform init',
      clientPrivateKeyPem: 'TF_HTTP_CLIENT_PRIVATE_KEY_PEM in the environment of terraform init',
    });
    checkProps('SiteBackend.http', HTTP_SETTINGS, config);
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
