import { Construct } from 'constructs';
import { TerraformResource } from 'cdktf';
import { K8sManifest, renderManifest } from '../../lib/k8s/manifest';
import { cronJobConfig, deploymentConfig, persistentVolumeClaimConfig, persistentVolumeConfig, serviceConfig } from '../../lib/k8s/terraform';
import { kubernetesProviderOf } from './kubernetes';
import { KubernetesResource } from './kubernetes-resource';
import { siteModelOf } from './site-anchor';

/** Provider-only settings that have no field in the manifest. */
export interface K8sResourceOptions {
  /** PersistentVolumeClaim: wait until bound (false when the consumer binds it, WaitForFirstConsumer). */
  readonly waitUntilBound?: boolean;
  readonly dependsOn?: readonly TerraformResource[];
}

/**
 * One Kubernetes object from one description: the provider resource (construct id `id`
 * under `scope`) and the reviewer's manifest in the site model, so the two cannot differ.
 */
export function k8sObject(scope: Construct, id: string, m: K8sManifest, opts: K8sResourceOptions = {}): TerraformResource {
  const provider = kubernetesProviderOf(scope);
  const dependsOn = opts.dependsOn?.length ? [...opts.dependsOn] : undefined;
  const options = { provider, dependsOn };
  let resource: TerraformResource;
  switch (m.kind) {
    case 'CronJob':
      resource = new KubernetesResource(scope, id, 'kubernetes_cron_job_v1', cronJobConfig(m), options);
      break;
    case 'PersistentVolume':
      resource = new KubernetesResource(scope, id, 'kubernetes_persistent_volume_v1', persistentVolumeConfig(m), options);
      break;
    case 'PersistentVolumeClaim':
      resource = new KubernetesResource(scope, id, 'kubernetes_persistent_volume_claim_v1', { waitUntilBound: opts.waitUntilBound, ...persistentVolumeClaimConfig(m) }, options);
      break;
    case 'Deployment':
      resource = new KubernetesResource(scope, id, 'kubernetes_deployment_v1', deploymentConfig(m), options);
      break;
    case 'Service':
      resource = new KubernetesResource(scope, id, 'kubernetes_service_v1', serviceConfig(m), options);
      break;
  }
  siteModelOf(scope).addK8sObject({
    apiVersion: m.apiVersion,
    kind: m.kind,
    name: m.metadata.name,
    namespace: m.metadata.namespace,
    content: renderManifest(m, scope.node.path),
    constructPath: scope.node.path,
  });
  return resource;
}
