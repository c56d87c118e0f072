// Test support for audit checks (private to the tests): object records built from plain values, a context with a
// fake locator, and running one check of a catalog.

import type { Cluster } from '../model/cluster.js';
import {
  DEFAULT_SETTINGS,
  type AuditContext,
  type AuditSettings,
  type Check,
  type Finding,
  type ObjectRecord,
} from './types.js';

export type Json = Record<string, unknown>;

/** Kinds without a namespace: their records have namespace '' and no metadata.namespace. */
const CLUSTER_SCOPED_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding']);

function apiVersionOf(kind: string): string {
  if (kind.includes('Role')) return 'rbac.authorization.k8s.io/v1';
  return kind === 'Deployment' ? 'apps/v1' : 'v1';
}

/** A record of `kind`/`name` whose value is `value` with apiVersion, kind and metadata filled in. */
export function record(kind: string, name: string, value: Json = {}, namespace = 'default'): ObjectRecord {
  const metadata = (value['metadata'] ?? {}) as Json;
  const ns = CLUSTER_SCOPED_KINDS.has(kind) ? '' : namespace;
  const apiVersion = apiVersionOf(kind);
  return {
    kind,
    apiVersion,
    namespace: ns,
    name,
    value: { apiVersion, kind, ...value, metadata: { name, ...(ns ? { namespace: ns } : {}), ...metadata } },
    annotations: (metadata['annotations'] ?? {}) as Record<string, string>,
    source: { file: 'f.yaml' },
  };
}

/** A Pod with one container `app`; `container` and `spec` are merged in. */
export function pod(container: Json = {}, spec: Json = {}, name = 'p'): ObjectRecord {
  return record('Pod', name, {
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec },
  });
}

/** A context over `objects` whose locator returns the path; checks that need the model are not run with it. */
export function auditContext(
  objects: readonly ObjectRecord[],
  settings: AuditSettings = DEFAULT_SETTINGS,
): AuditContext {
  return {
    cluster: {} as Cluster,
    objects,
    locate: (_object, path) => ({ file: 'f.yaml', path: path.join('.') }),
    model: () => {
      throw new Error('not used');
    },
    options: { ipBlockPods: 'match' },
    settings,
  };
}

/** The findings of check `id` of `checks` on `objects`. */
export function runCheck(
  checks: readonly Check[],
  id: string,
  objects: readonly ObjectRecord[],
  settings: AuditSettings = DEFAULT_SETTINGS,
): Finding[] {
  const check = checks.find((c) => c.info.id === id);
  if (check === undefined) throw new Error(`no check ${id}`);
  return [...check.run(auditContext(objects, settings))];
}
