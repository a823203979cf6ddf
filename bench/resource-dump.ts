import { DefaultTokenResolver, StringConcat, TerraformStack, TerraformVariable, Tokenization } from 'cdktf';
import { Resource as NullResource, ResourceConfig } from '@cdktf/provider-null/lib/resource';

/**
 * The Terraform elements of a synthesized site, as plain JSON, for the bare cdktf program
 * (bench/child-bare.ts) to recreate one by one. Tokens are resolved (`${var.x}`), so the
 * file is meaningful in another process.
 */
export interface ResourceDump {
  /** The stack id (the large site's id), so both programs write the same stack folder. */
  readonly stack: string;
  /** The local backend's state path. */
  readonly backendPath: string;
  readonly variables: { readonly id: string; readonly type?: string; readonly description?: string; readonly nullable?: boolean }[];
  /** Every null_resource: its logical id in cdk.tf.json and the props it was created with. */
  readonly resources: {
    readonly logicalId: string;
    readonly config: Pick<ResourceConfig, 'triggers' | 'connection' | 'provisioners' | 'lifecycle'>;
    /** Resolved `depends_on` addresses (`null_resource.<id>`). */
    readonly dependsOn?: string[];
  }[];
}

/**
 * Collects what the bare program needs from a built (not necessarily synthesized) site
 * stack. Run once, untimed, before the alternating runs: it walks the whole tree.
 */
export function dumpResources(stack: TerraformStack, backendPath: string): ResourceDump {
  const resolver = new DefaultTokenResolver(new StringConcat());
  const resolve = <T>(value: T): T => Tokenization.resolve(value, { scope: stack, resolver }) as T;
  const all = stack.node.findAll();
  return {
    stack: stack.node.id,
    backendPath,
    variables: all
      .filter((c): c is TerraformVariable => c instanceof TerraformVariable)
      .map((v) => ({ id: v.node.id, type: v.type, description: v.description, nullable: v.nullable })),
    resources: all
      .filter((c): c is NullResource => c instanceof NullResource)
      .map((r) => ({
        logicalId: stack.getLogicalId(r),
        // triggersInput is the raw map given to the constructor (`triggers` is a token).
        config: resolve({ triggers: r.triggersInput, connection: r.connection, provisioners: r.provisioners, lifecycle: r.lifecycle }),
        dependsOn: r.dependsOn ? resolve(r.dependsOn) : undefined,
      })),
  };
}
