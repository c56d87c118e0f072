// Helpers for checks that read object fields: pod specs of every workload kind, typed field access, findings.

import { isRecord } from './values.js';
import type { AuditContext, CheckInfo, Finding, ObjectRecord, ValuePath } from './types.js';

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, ValuePath>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** A pod spec inside a workload object, with its path (for locations). */
export interface PodSpecRef {
  readonly object: ObjectRecord;
  readonly path: ValuePath;
  readonly spec: Readonly<Record<string, unknown>>;
}

/** A container (or init/ephemeral container) of a pod spec, with its path. */
export interface ContainerRef {
  readonly pod: PodSpecRef;
  readonly path: ValuePath;
  readonly container: Readonly<Record<string, unknown>>;
  readonly name: string;
  readonly init: boolean;
}

export function valueAt(value: unknown, path: ValuePath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Every pod spec of the input's workload objects. Pods owned by a controller in the input are included too. */
export function podSpecs(objects: readonly ObjectRecord[]): PodSpecRef[] {
  const out: PodSpecRef[] = [];
  for (const object of objects) {
    const path = Object.hasOwn(POD_SPEC_PATHS, object.kind) ? POD_SPEC_PATHS[object.kind]! : undefined;
    if (path === undefined) continue;
    const spec = valueAt(object.value, path);
    if (isRecord(spec)) out.push({ object, path, spec });
  }
  return out;
}

/** Containers, init containers and ephemeral containers of a pod spec. */
export function containersOf(pod: PodSpecRef): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const list = pod.spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((container: unknown, i) => {
      if (!isRecord(container)) return;
      const name = typeof container['name'] === 'string' ? container['name'] : `#${i}`;
      out.push({ pod, path: [...pod.path, field, i], container, name, init: field !== 'containers' });
    });
  }
  return out;
}

/** A finding about `object`, located at `path` inside it. */
export function finding(
  context: AuditContext,
  info: CheckInfo,
  object: ObjectRecord,
  path: ValuePath,
  message: string,
  severity = info.severity,
): Finding {
  return {
    check: info.id,
    severity,
    title: info.title,
    message,
    resource: { kind: object.kind, namespace: object.namespace, name: object.name },
    location: context.locate(object, path),
  };
}

const indexes = new WeakMap<readonly ObjectRecord[], Map<string, ObjectRecord>>();

/** The record of an object by kind, namespace and name (indexed once per input). */
export function recordOf(
  context: AuditContext,
  kind: string,
  namespace: string,
  name: string,
): ObjectRecord | undefined {
  let index = indexes.get(context.objects);
  if (index === undefined) {
    index = new Map(context.objects.map((o) => [`${o.kind}\u0000${o.namespace}\u0000${o.name}`, o]));
    indexes.set(context.objects, index);
  }
  return index.get(`${kind}\u0000${namespace}\u0000${name}`);
}
