import { Construct } from 'constructs';
import { TerraformResource } from 'cdktf';
// The provider's generated classes are large; they load only when a site uses Kubernetes, so
// host-only sites synthesize without paying for them.
/* eslint-disable @typescript-eslint/no-require-imports */
const CronJobV1 = () => (require('@cdktf/provider-kubernetes/lib/cron-job-v1') as typeof import('@cdktf/provider-kubernetes/lib/cron-job-v1')).CronJobV1;
const DeploymentV1 = () => (require('@cdktf/provider-kubernetes/lib/deployment-v1') as typeof import('@cdktf/provider-kubernetes/lib/deployment-v1')).DeploymentV1;
const PersistentVolumeClaimV1 = () =>
  (require('@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1') as typeof import('@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1')).PersistentVolumeClaimV1;
const PersistentVolumeV1 = () => (require('@cdktf/provider-kubernetes/lib/persistent-volume-v1') as typeof import('@cdktf/provider-kubernetes/lib/persistent-volume-v1')).PersistentVolumeV1;
const ServiceV1 = () => (require('@cdktf/provider-kubernetes/lib/service-v1') as typeof import('@cdktf/provider-kubernetes/lib/service-v1')).ServiceV1;
import { K8sManifest, renderManifest } from '../../lib/k8s/manifest';
import { cronJobConfig, deploymentConfig, persistentVolumeClaimConfig, persistentVolumeConfig, serviceConfig } from '../../lib/k8s/terraform';
import { kubernetesProviderOf } from './kubernetes';
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
  let resource: TerraformResource;
  switch (m.kind) {
    case 'CronJob':
      resource = new (CronJobV1())(scope, id, { provider, dependsOn, ...cronJobConfig(m) });
      break;
    case 'PersistentVolume':
      resource = new (PersistentVolumeV1())(scope, id, { provider, dependsOn, ...persistentVolumeConfig(m) });
      break;
    case 'PersistentVolumeClaim':
      resource = new (PersistentVolumeClaimV1())(scope, id, { provider, dependsOn, waitUntilBound: opts.waitUntilBound, ...persistentVolumeClaimConfig(m) });
      break;
    case 'Deployment':
      resource = new (DeploymentV1())(scope, id, { provider, dependsOn, ...deploymentConfig(m) });
      break;
    case 'Service':
      resource = new (ServiceV1())(scope, id, { provider, dependsOn, ...serviceConfig(m) });
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
