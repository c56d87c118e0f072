// Unit tests of the pod-security checks: one positive and one negative case per check, and override semantics.

import { describe, expect, it } from 'vitest';
import { auditContext, pod, record, runCheck } from './_test-support.js';
import { podSecurityChecks } from './pod-security.js';
import type { Finding, ObjectRecord } from './types.js';

function run(id: string, ...objects: ObjectRecord[]): Finding[] {
  return runCheck(podSecurityChecks, id, objects);
}

const hardened = {
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

interface Case {
  readonly id: string;
  readonly name: string;
  readonly objects: readonly ObjectRecord[];
  /** Paths of the expected findings (empty: none), with their severities. */
  readonly expected: readonly (readonly [string, string])[];
}

const cases: Case[] = [
  {
    id: 'BH-POD-001',
    name: 'privileged container',
    objects: [pod({ securityContext: { privileged: true } })],
    expected: [['spec.containers.0.securityContext.privileged', 'critical']],
  },
  {
    id: 'BH-POD-001',
    name: 'privileged: false',
    objects: [pod({ securityContext: { privileged: false } })],
    expected: [],
  },
  {
    id: 'BH-POD-001',
    name: 'Windows HostProcess at pod level',
    objects: [
      pod({}, { os: { name: 'windows' }, securityContext: { windowsOptions: { hostProcess: true } } }),
    ],
    expected: [['spec.securityContext.windowsOptions.hostProcess', 'critical']],
  },
  {
    id: 'BH-POD-002',
    name: 'allowPrivilegeEscalation unset (defaults to true)',
    objects: [pod()],
    expected: [['spec.containers.0.securityContext.allowPrivilegeEscalation', 'medium']],
  },
  {
    id: 'BH-POD-002',
    name: 'allowPrivilegeEscalation: false',
    objects: [pod(hardened)],
    expected: [],
  },
  {
    id: 'BH-POD-002',
    name: 'privileged implies escalation even with allowPrivilegeEscalation: false',
    objects: [pod({ securityContext: { privileged: true, allowPrivilegeEscalation: false } })],
    expected: [['spec.containers.0.securityContext.privileged', 'medium']],
  },
  {
    id: 'BH-POD-002',
    name: 'CAP_SYS_ADMIN implies escalation',
    objects: [
      pod({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } } }),
    ],
    expected: [['spec.containers.0.securityContext.capabilities.add.0', 'medium']],
  },
  {
    id: 'BH-POD-002',
    name: 'Windows pods are skipped',
    objects: [pod({}, { os: { name: 'windows' } })],
    expected: [],
  },
  {
    id: 'BH-POD-003',
    name: 'dangerous capabilities, each at its severity, any case',
    objects: [
      pod({
        securityContext: { capabilities: { add: ['net_admin', 'NET_RAW', 'CHOWN', 'SYS_ADMIN', 'ALL'] } },
      }),
    ],
    expected: [
      ['spec.containers.0.securityContext.capabilities.add.0', 'high'],
      ['spec.containers.0.securityContext.capabilities.add.1', 'medium'],
      ['spec.containers.0.securityContext.capabilities.add.3', 'critical'],
      ['spec.containers.0.securityContext.capabilities.add.4', 'critical'],
    ],
  },
  {
    id: 'BH-POD-003',
    name: 'only NET_BIND_SERVICE added',
    objects: [pod({ securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } })],
    expected: [],
  },
  {
    id: 'BH-POD-004',
    name: 'nothing dropped',
    objects: [pod()],
    expected: [['spec.containers.0.securityContext.capabilities.drop', 'low']],
  },
  {
    id: 'BH-POD-004',
    name: 'NET_RAW dropped (lower case, CAP_ prefix)',
    objects: [pod({ securityContext: { capabilities: { drop: ['cap_net_raw'] } } })],
    expected: [],
  },
  {
    id: 'BH-POD-005',
    name: 'hostPID',
    objects: [pod({}, { hostPID: true })],
    expected: [['spec.hostPID', 'high']],
  },
  { id: 'BH-POD-005', name: 'hostPID: false', objects: [pod({}, { hostPID: false })], expected: [] },
  {
    id: 'BH-POD-006',
    name: 'hostIPC',
    objects: [pod({}, { hostIPC: true })],
    expected: [['spec.hostIPC', 'high']],
  },
  { id: 'BH-POD-006', name: 'hostIPC absent', objects: [pod()], expected: [] },
  {
    id: 'BH-POD-007',
    name: 'hostNetwork',
    objects: [pod({}, { hostNetwork: true })],
    expected: [['spec.hostNetwork', 'high']],
  },
  { id: 'BH-POD-007', name: 'hostNetwork: false', objects: [pod({}, { hostNetwork: false })], expected: [] },
  {
    id: 'BH-POD-008',
    name: 'docker.sock and the containerd directory',
    objects: [
      pod(
        { volumeMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock', readOnly: true }] },
        {
          volumes: [
            { name: 'sock', hostPath: { path: '/var/run/docker.sock' } },
            { name: 'ctr', hostPath: { path: '/run/containerd/' } },
            { name: 'crio', hostPath: { path: '/var/run/crio/crio.sock', type: 'Socket' } },
          ],
        },
      ),
    ],
    expected: [
      ['spec.volumes.0.hostPath.path', 'critical'],
      ['spec.volumes.1.hostPath.path', 'critical'],
      ['spec.volumes.2.hostPath.path', 'critical'],
    ],
  },
  {
    id: 'BH-POD-008',
    name: 'other hostPath and emptyDir',
    objects: [
      pod(
        {},
        {
          volumes: [
            { name: 'logs', hostPath: { path: '/data/app' } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      ),
    ],
    expected: [],
  },
  {
    id: 'BH-POD-009',
    name: 'sensitive and ordinary hostPath, sockets left to BH-POD-008',
    objects: [
      pod(
        {},
        {
          volumes: [
            { name: 'etc', hostPath: { path: '/etc/ssl' } },
            { name: 'data', hostPath: { path: '/data/app' } },
            { name: 'sock', hostPath: { path: '/var/run/docker.sock' } },
            { name: 'root', hostPath: { path: '/' } },
          ],
        },
      ),
    ],
    expected: [
      ['spec.volumes.0.hostPath.path', 'high'],
      ['spec.volumes.1.hostPath.path', 'medium'],
      ['spec.volumes.3.hostPath.path', 'high'],
    ],
  },
  {
    id: 'BH-POD-009',
    name: 'no hostPath',
    objects: [pod({}, { volumes: [{ name: 'cfg', configMap: { name: 'c' } }] })],
    expected: [],
  },
  {
    id: 'BH-POD-010',
    name: 'nothing set',
    objects: [pod()],
    expected: [['spec.containers.0.securityContext.runAsNonRoot', 'medium']],
  },
  {
    id: 'BH-POD-010',
    name: 'runAsNonRoot at pod level covers the container',
    objects: [pod({}, { securityContext: { runAsNonRoot: true } })],
    expected: [],
  },
  {
    id: 'BH-POD-010',
    name: 'container runAsNonRoot: false overrides the pod',
    objects: [pod({ securityContext: { runAsNonRoot: false } }, { securityContext: { runAsNonRoot: true } })],
    expected: [['spec.containers.0.securityContext.runAsNonRoot', 'medium']],
  },
  {
    id: 'BH-POD-010',
    name: 'container runAsUser: 0 overrides a non-root pod user',
    objects: [pod({ securityContext: { runAsUser: 0 } }, { securityContext: { runAsUser: 1000 } })],
    expected: [['spec.containers.0.securityContext.runAsUser', 'high']],
  },
  {
    id: 'BH-POD-010',
    name: 'pod runAsUser: 0 is reported at the pod',
    objects: [pod({}, { securityContext: { runAsUser: 0 } })],
    expected: [['spec.securityContext.runAsUser', 'high']],
  },
  {
    id: 'BH-POD-010',
    name: 'container non-zero runAsUser overrides pod runAsUser: 0',
    objects: [pod({ securityContext: { runAsUser: 1000 } }, { securityContext: { runAsUser: 0 } })],
    expected: [],
  },
  {
    id: 'BH-POD-010',
    name: 'init and ephemeral containers count',
    objects: [
      pod(
        { securityContext: { runAsNonRoot: true } },
        {
          initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
          ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }],
        },
      ),
    ],
    expected: [
      ['spec.initContainers.0.securityContext.runAsNonRoot', 'medium'],
      ['spec.ephemeralContainers.0.securityContext.runAsNonRoot', 'medium'],
    ],
  },
  {
    id: 'BH-POD-011',
    name: 'writable root file system',
    objects: [pod({ securityContext: { readOnlyRootFilesystem: false } })],
    expected: [['spec.containers.0.securityContext.readOnlyRootFilesystem', 'low']],
  },
  { id: 'BH-POD-011', name: 'read-only root', objects: [pod(hardened)], expected: [] },
  {
    id: 'BH-POD-011',
    name: 'Windows pods are skipped',
    objects: [pod({}, { os: { name: 'windows' } })],
    expected: [],
  },
  {
    id: 'BH-POD-012',
    name: 'seccomp unset',
    objects: [pod()],
    expected: [['spec.containers.0.securityContext.seccompProfile', 'medium']],
  },
  {
    id: 'BH-POD-012',
    name: 'RuntimeDefault at pod level covers the container',
    objects: [pod({}, { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } })],
    expected: [],
  },
  {
    id: 'BH-POD-012',
    name: 'container Unconfined overrides pod RuntimeDefault',
    objects: [
      pod(
        { securityContext: { seccompProfile: { type: 'Unconfined' } } },
        { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
      ),
    ],
    expected: [['spec.containers.0.securityContext.seccompProfile.type', 'medium']],
  },
  {
    id: 'BH-POD-012',
    name: 'container Localhost overrides pod Unconfined',
    objects: [
      pod(
        { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } },
        { securityContext: { seccompProfile: { type: 'Unconfined' } } },
      ),
    ],
    expected: [],
  },
  {
    // Trivy KSV-0030's bad example: a type the API does not know confines nothing.
    id: 'BH-POD-012',
    name: 'an invalid seccomp type is no profile',
    objects: [
      pod({ securityContext: { seccompProfile: { type: 'LocalPort', localhostProfile: 'p.json' } } }),
    ],
    expected: [['spec.containers.0.securityContext.seccompProfile.type', 'medium']],
  },
  {
    id: 'BH-POD-012',
    name: 'seccomp types are case-sensitive',
    objects: [pod({}, { securityContext: { seccompProfile: { type: 'runtimedefault' } } })],
    expected: [['spec.securityContext.seccompProfile.type', 'medium']],
  },
  {
    id: 'BH-POD-013',
    name: 'default service account, token mounted',
    objects: [pod()],
    expected: [['spec.serviceAccountName', 'medium']],
  },
  {
    id: 'BH-POD-013',
    name: 'explicit default with automount: true',
    objects: [pod({}, { serviceAccountName: 'default', automountServiceAccountToken: true })],
    expected: [['spec.automountServiceAccountToken', 'medium']],
  },
  {
    id: 'BH-POD-013',
    name: 'default service account without token',
    objects: [pod({}, { automountServiceAccountToken: false })],
    expected: [],
  },
  {
    id: 'BH-POD-013',
    name: 'the default ServiceAccount of the input disables automount',
    objects: [pod(), record('ServiceAccount', 'default', { automountServiceAccountToken: false })],
    expected: [],
  },
  {
    id: 'BH-POD-013',
    name: 'a ServiceAccount of another namespace does not count',
    objects: [pod(), record('ServiceAccount', 'default', { automountServiceAccountToken: false }, 'other')],
    expected: [['spec.serviceAccountName', 'medium']],
  },
  {
    id: 'BH-POD-013',
    name: 'own service account is left to BH-POD-014',
    objects: [pod({}, { serviceAccountName: 'app' })],
    expected: [],
  },
  {
    id: 'BH-POD-014',
    name: 'own service account, token mounted',
    objects: [pod({}, { serviceAccountName: 'app' }), record('ServiceAccount', 'app', {})],
    expected: [['spec.automountServiceAccountToken', 'low']],
  },
  {
    id: 'BH-POD-014',
    name: 'ServiceAccount disables automount and the pod leaves it unset',
    objects: [
      pod({}, { serviceAccountName: 'app' }),
      record('ServiceAccount', 'app', { automountServiceAccountToken: false }),
    ],
    expected: [],
  },
  {
    id: 'BH-POD-014',
    name: 'pod automount: true overrides the ServiceAccount',
    objects: [
      pod({}, { serviceAccountName: 'app', automountServiceAccountToken: true }),
      record('ServiceAccount', 'app', { automountServiceAccountToken: false }),
    ],
    expected: [['spec.automountServiceAccountToken', 'low']],
  },
  {
    id: 'BH-POD-014',
    name: 'pod automount: false overrides the ServiceAccount',
    objects: [
      pod({}, { serviceAccountName: 'app', automountServiceAccountToken: false }),
      record('ServiceAccount', 'app', { automountServiceAccountToken: true }),
    ],
    expected: [],
  },
];

describe('pod-security checks', () => {
  it.each(cases)('$id: $name', ({ id, objects, expected }) => {
    const found = run(id, ...objects).map((f) => [f.location.path, f.severity]);
    expect(found).toEqual(expected);
  });

  it('every check has an id, references and mappings', () => {
    const ids = podSecurityChecks.map((c) => c.info.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { info } of podSecurityChecks) {
      expect(info.id).toMatch(/^BH-POD-\d{3}$/);
      expect(info.area).toBe('pod-security');
      expect(info.references.length).toBeGreaterThan(0);
      expect(Object.keys(info.mappings).length).toBeGreaterThan(0);
    }
  });

  it('finds pod specs of every workload kind and names the container in messages', () => {
    const deployment = record('Deployment', 'web', {
      spec: {
        template: {
          spec: { containers: [{ name: 'web', image: 'x:1', securityContext: { privileged: true } }] },
        },
      },
    });
    const cronJob = record('CronJob', 'job', {
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: { containers: [{ name: 'j', image: 'x:1', securityContext: { privileged: true } }] },
            },
          },
        },
      },
    });
    const found = run('BH-POD-001', deployment, cronJob);
    expect(found.map((f) => [f.resource.kind, f.location.path, f.message])).toEqual([
      [
        'Deployment',
        'spec.template.spec.containers.0.securityContext.privileged',
        'container "web" runs privileged (privileged: true)',
      ],
      [
        'CronJob',
        'spec.jobTemplate.spec.template.spec.containers.0.securityContext.privileged',
        'container "j" runs privileged (privileged: true)',
      ],
    ]);
  });

  it('a fully hardened pod with its own account and no token has no findings', () => {
    const objects = [pod(hardened, { serviceAccountName: 'app', automountServiceAccountToken: false })];
    expect(podSecurityChecks.flatMap((c) => c.run(auditContext(objects)))).toEqual([]);
  });
});
