import { Construct } from 'constructs';
import { toYaml } from '../../lib/yaml';
import type { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import type { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { generatedHeader } from '../../lib/render/shell';
import { kubernetesProviderOf } from './kubernetes';
import { siteModelOf } from './site-anchor';

/** What a ConfigMap holds. */
export interface ConfigMapSpec {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
}

function register(scope: Construct, manifest: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }): void {
  siteModelOf(scope).addK8sObject({
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    name: manifest.metadata.name,
    namespace: manifest.metadata.namespace,
    content: generatedHeader('#', scope.node.path) + toYaml(manifest, { lineWidth: 0, blockQuote: 'literal' }),
    constructPath: scope.node.path,
  });
}

/** A ConfigMap resource and its manifest in review/k8s/, built from one description. */
export function configMapObject(scope: Construct, id: string, spec: ConfigMapSpec): ConfigMapV1 {
  const metadata = { name: spec.name, namespace: spec.namespace, labels: { ...spec.labels } };
  // loaded on use: host-only sites never pay for the provider's classes
  const { ConfigMapV1: ConfigMap } = require('@cdktf/provider-kubernetes/lib/config-map-v1') as typeof import('@cdktf/provider-kubernetes/lib/config-map-v1');
  const resource = new ConfigMap(scope, id, { provider: kubernetesProviderOf(scope), metadata, data: { ...spec.data } });
  register(scope, { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { ...spec.data } } as never);
  return resource;
}

/** Any manifest through `kubernetes_manifest` (a CRD such as PrometheusRule), and its review copy. */
export function manifestObject(scope: Construct, id: string, manifest: { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: unknown }): Manifest {
  const { Manifest: KubernetesManifest } = require('@cdktf/provider-kubernetes/lib/manifest') as typeof import('@cdktf/provider-kubernetes/lib/manifest');
  const resource = new KubernetesManifest(scope, id, { provider: kubernetesProviderOf(scope), manifest: manifest as Record<string, unknown> });
  register(scope, manifest);
  return resource;
}
