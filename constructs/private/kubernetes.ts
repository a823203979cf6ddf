import { Construct } from 'constructs';
import { TerraformStack, TerraformVariable } from 'cdktf';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';

/**
 * The stack's Kubernetes provider, created on first use. It reads the cluster credentials
 * from the kubeconfig file named by the `kubeconfig_path` variable, never from the output.
 */
export function kubernetesProviderOf(scope: Construct): KubernetesProvider {
  const stack = TerraformStack.of(scope);
  // loaded on use: host-only sites never pay for the provider's classes
  const { KubernetesProvider: Provider } = require('@cdktf/provider-kubernetes/lib/provider') as typeof import('@cdktf/provider-kubernetes/lib/provider');
  const existing = stack.node.tryFindChild('KubernetesProvider');
  if (existing instanceof Provider) return existing;
  const path = new TerraformVariable(stack, 'kubeconfig_path', {
    type: 'string',
    default: '~/.kube/config',
    description: 'Path of the kubeconfig used to reach the cluster (never the credentials themselves)',
  });
  return new Provider(stack, 'KubernetesProvider', { configPath: path.stringValue });
}
