// Combines the Kubernetes and the Compose load results of one input into one LoadResult (a directory may hold both).

import type { Locate, ObjectRecord } from '../core/audit/types.js';
import type { Cluster, Namespace } from '../core/model/cluster.js';
import type { LoadResult } from '../k8s/load-cluster.js';

/** One cluster, object list and locator from several loads; a Namespace object's labels win over implied ones. */
export function combineLoads(loads: readonly LoadResult[]): LoadResult {
  if (loads.length === 1) return loads[0]!;
  const namespaces = new Map<string, Namespace>();
  for (const load of loads)
    for (const [name, namespace] of load.cluster.namespaces) {
      const previous = namespaces.get(name);
      if (previous === undefined || (previous.source === undefined && namespace.source !== undefined))
        namespaces.set(name, namespace);
    }
  const cluster: Cluster = {
    namespaces,
    workloads: loads
      .flatMap((l) => l.cluster.workloads)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    services: loads.flatMap((l) => l.cluster.services),
    networkPolicies: loads.flatMap((l) => l.cluster.networkPolicies),
    adminPolicies: loads.flatMap((l) => l.cluster.adminPolicies),
    ingresses: loads.flatMap((l) => l.cluster.ingresses),
  };
  const owner = new Map<ObjectRecord, Locate>();
  for (const load of loads) for (const object of load.objects) owner.set(object, load.locate);
  const locate: Locate = (record, path) => (owner.get(record) ?? (() => record.source))(record, path);
  return {
    cluster,
    diagnostics: loads.flatMap((l) => l.diagnostics),
    sources: new Map(loads.flatMap((l) => [...l.sources])),
    objects: loads.flatMap((l) => l.objects),
    locate,
  };
}
