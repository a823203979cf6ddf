import { Construct } from 'constructs';
import { DataResource, ITerraformDependable, Lazy, SSHProvisionerConnection, TerraformStack, TerraformVariable } from 'cdktf';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { Resource as NullResource } from '@cdktf/provider-null/lib/resource';

/**
 * How host changes reach a machine:
 * - `null_resource` (the default) needs the hashicorp/null provider, which any Terraform
 *   can download;
 * - `terraform_data` is built into Terraform 1.4+ and OpenTofu, needs no provider download
 *   and works offline.
 */
export type DeliveryMode = 'null_resource' | 'terraform_data';

/** What the delivery resource needs from its host. */
export interface DeliveryConnection {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly sshKeyPathVariable: string;
  readonly mode: DeliveryMode;
  /** How long Terraform keeps trying to connect, e.g. `30s`. @default - Terraform's (5m) */
  readonly timeout?: string;
}

/** One install/remove unit of work on one host. */
export interface DeliverySpec {
  readonly connection: DeliveryConnection;
  readonly installScript: string;
  readonly removeScript: string;
  /** Replaces the resource (re-running install) whenever it changes. */
  readonly contentHash: string;
  /** Shown in the plan to say what the resource is. */
  readonly description: string;
  /** Resources that must be applied first (a storage before the jobs that write to it). */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Creates the resource that installs on create and removes on destroy over SSH.
 *
 * Destroy-time provisioners may only read `self`, so the connection details and the removal
 * script live in the resource's own triggers (null_resource) or input (terraform_data).
 */
export function deliver(scope: Construct, id: string, spec: DeliverySpec): NullResource | DataResource {
  const installScript = escapeTemplate(spec.installScript);
  const removeScript = escapeTemplate(spec.removeScript);
  const keyVar = sshKeyVariable(scope, spec.connection.sshKeyPathVariable);
  const fields: Record<string, string> = {
    description: spec.description,
    host: spec.connection.address,
    port: String(spec.connection.port),
    user: spec.connection.user,
    // A literal reference rather than a token: hundreds of resources share the variable and
    // a token per resource costs a stack trace each at construction and a resolve at synth.
    ssh_key_path: `\${var.${keyVar.friendlyUniqueId}}`,
    content_sha256: spec.contentHash,
    remove_script: removeScript,
  };
  const self = selfOf(spec.connection.mode);
  const connection = connectionOf(spec.connection);
  // Replace by creating the new version first: its install takes over ownership markers, so
  // the old version's removal leaves everything the new one installed in place, and a new
  // version that cannot be installed (host unreachable) leaves the old one untouched.
  const lifecycle = { createBeforeDestroy: true };
  const dependsOn = spec.dependsOn ? [...spec.dependsOn] : undefined;
  const provisioners = [
    { type: 'remote-exec' as const, inline: [installScript] },
    { type: 'remote-exec' as const, when: 'destroy' as const, inline: [`\${${self}.remove_script}`] },
  ];
  if (spec.connection.mode === 'null_resource') {
    ensureNullProvider(scope);
    return new NullResource(scope, id, { triggers: fields, connection, provisioners, lifecycle, dependsOn });
  }
  return new DataResource(scope, id, {
    input: fields,
    // Only content replaces: a new address, port or key path is taken from input on the next
    // run without reinstalling anything.
    triggersReplace: { content_sha256: spec.contentHash },
    connection,
    provisioners,
    lifecycle,
    dependsOn,
  });
}

function selfOf(mode: DeliveryMode): string {
  return mode === 'null_resource' ? 'self.triggers' : 'self.input';
}

function connectionOf(c: DeliveryConnection): SSHProvisionerConnection {
  const self = selfOf(c.mode);
  return {
    type: 'ssh',
    host: `\${${self}.host}`,
    port: `\${${self}.port}` as unknown as number,
    user: `\${${self}.user}`,
    privateKey: `\${file(${self}.ssh_key_path)}`,
    ...(c.timeout ? { timeout: c.timeout } : {}),
  };
}

function connectionFields(scope: Construct, c: DeliveryConnection): Record<string, string> {
  const keyVar = sshKeyVariable(scope, c.sshKeyPathVariable);
  return { host: c.address, port: String(c.port), user: c.user, ssh_key_path: `\${var.${keyVar.friendlyUniqueId}}` };
}

/** The sweep of one site on one host: run whenever the set of versions installed there changes. */
export interface SweepSpec {
  readonly connection: DeliveryConnection;
  /** The script, produced at synth time once every install of the host is known. */
  readonly script: () => string;
  /** What replaces the resource (the hashes of every install on the host), produced at synth time. */
  readonly keep: () => string;
  readonly description: string;
}

/**
 * Creates the resource that runs the host's sweep after every install of the host (add each
 * install with `dependsOn`). It removes nothing itself when destroyed: `terraform destroy`
 * runs each install's own removal.
 */
export function deliverSweep(scope: Construct, id: string, spec: SweepSpec): NullResource | DataResource {
  const keep = Lazy.stringValue({ produce: () => spec.keep() });
  const script = Lazy.stringValue({ produce: () => escapeTemplate(spec.script()) });
  const fields: Record<string, string> = { description: spec.description, ...connectionFields(scope, spec.connection), keep };
  const connection = connectionOf(spec.connection);
  const provisioners = [{ type: 'remote-exec' as const, inline: [script] }];
  // the old sweep stays in state until the new one ran (an unreachable host keeps it pending)
  const lifecycle = { createBeforeDestroy: true };
  if (spec.connection.mode === 'null_resource') {
    ensureNullProvider(scope);
    return new NullResource(scope, id, { triggers: fields, connection, provisioners, lifecycle });
  }
  return new DataResource(scope, id, { input: fields, triggersReplace: { keep }, connection, provisioners, lifecycle });
}

/** Terraform reads `${...}` and `%{...}` in any string as template syntax; scripts must not be. */
export function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

function sshKeyVariable(scope: Construct, name: string): TerraformVariable {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(name);
  if (existing instanceof TerraformVariable) return existing;
  return new TerraformVariable(stack, name, {
    type: 'string',
    description: 'Path of the SSH private key used to install backup files on hosts (never the key itself)',
    nullable: false,
  });
}

function ensureNullProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (!stack.node.tryFindChild('NullProvider')) new NullProvider(stack, 'NullProvider');
}
