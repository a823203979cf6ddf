import type { FindingRecord } from './types';
import type { SiteModel } from './site-model';

/**
 * What this site and another site of the same program both manage on one machine (a host of
 * each at the same address and port): a whole file, or a Proxmox storage or job. If it is one
 * machine, each site's apply overwrites the other's version and each site's removal deletes
 * it. A warning, not an error: two sites run from different networks may use the same private
 * address for two machines.
 */
export function sharedMachineFindings(mine: SiteModel, others: readonly SiteModel[]): FindingRecord[] {
  const findings: FindingRecord[] = [];
  const machines = (m: SiteModel) => new Map(m.hosts.map((h) => [h.name, `${h.address}:${h.port}`]));
  const myMachines = machines(mine);
  for (const other of others) {
    const theirMachines = machines(other);
    const theirs = new Map<string, string>();
    for (const f of other.hostFiles) if (f.kind === 'file') theirs.set(`${theirMachines.get(f.host)}\u0000file ${f.path}`, f.host);
    for (const s of other.pveSections) theirs.set(`${theirMachines.get(s.host)}\u0000${s.file} ${s.type}: ${s.id}`, s.host);
    const check = (host: string, what: string, constructPath: string) => {
      const where = myMachines.get(host)!;
      const theirHost = theirs.get(`${where}\u0000${what}`);
      if (theirHost === undefined) return;
      findings.push({
        severity: 'warning',
        rule: 'shared-machine',
        subject: constructPath,
        message: `${what} on ${host} (${where}) is also managed by site ${other.site} on its host ${theirHost} at the same address: if that is one machine, each site's apply overwrites the other's version and each site's removal deletes it`,
        fix: 'manage the machine from one site, or give one of them another path or id; ignore this if the two addresses reach two machines (different networks)',
      });
    };
    for (const f of mine.hostFiles) if (f.kind === 'file') check(f.host, `file ${f.path}`, f.constructPath);
    for (const s of mine.pveSections) check(s.host, `${s.file} ${s.type}: ${s.id}`, s.constructPath);
  }
  return findings;
}

/**
 * The Kubernetes objects this site and another site of the same program both manage (same
 * kind, namespace and name). Each site's `kubeconfig_path` is chosen at deploy time, so the
 * two may reach one cluster: then each apply overwrites the other's version, and destroying
 * either site deletes the object the other still counts on. A warning, as for machines.
 */
export function sharedClusterFindings(mine: SiteModel, others: readonly SiteModel[]): FindingRecord[] {
  const key = (o: { kind: string; namespace?: string; name: string }) => `${o.kind} ${o.namespace ?? '(cluster)'}/${o.name}`;
  const findings: FindingRecord[] = [];
  for (const other of others) {
    const theirs = new Set(other.k8sObjects.map(key));
    for (const o of mine.k8sObjects) {
      if (!theirs.has(key(o))) continue;
      findings.push({
        severity: 'warning',
        rule: 'shared-cluster-object',
        subject: o.constructPath,
        message: `Kubernetes ${key(o)} is also managed by site ${other.site}: if both sites deploy to one cluster, each apply overwrites the other's version and destroying either site deletes it`,
        fix: `give the object another name or namespace in one of the sites (a namespace per site), or manage it from one site; ignore this if the sites deploy to different clusters`,
      });
    }
  }
  return findings;
}
