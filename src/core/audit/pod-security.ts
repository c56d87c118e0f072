// Audit checks of the pod-security area: privileges, host namespaces and paths, users, seccomp, service account tokens.

import { containersOf, finding, podSpecs, valueAt, type ContainerRef, type PodSpecRef } from './objects.js';
import type { AuditContext, Check, CheckInfo, Finding, ObjectRecord, Severity, ValuePath } from './types.js';
import { isRecord } from './values.js';

const NSA_POD_SECURITY = 'NSA/CISA Kubernetes Hardening Guide: Kubernetes Pod security';

const POD_PRIVILEGED: CheckInfo = {
  id: 'BH-POD-001',
  area: 'pod-security',
  title: 'Privileged container',
  severity: 'critical',
  rationale:
    'A privileged container (securityContext.privileged: true) gets every capability, every host device and no ' +
    'seccomp/AppArmor confinement: root in it is root on the node, and escaping takes one mount command. A Windows ' +
    'HostProcess container (windowsOptions.hostProcess: true) is the Windows equivalent and is reported here too. ' +
    'Critical because it turns any compromise of the container into a compromise of the node and its other pods.',
  remediation:
    'Remove `privileged: true` (and `windowsOptions.hostProcess: true`); grant only the specific capabilities the ' +
    'workload needs, or move node-level tooling to a dedicated, separately governed namespace.',
  references: ['CIS 5.2.2', 'CIS 5.2.11', NSA_POD_SECURITY, 'MITRE ATT&CK T1611'],
  mappings: {
    kubescape: ['C-0057', 'C-0193', 'C-0213', 'C-0202'],
    polaris: ['runAsPrivileged', 'hostProcess'],
    'kube-linter': ['privileged-container'],
    'kube-score': ['Container Security Context Privileged'],
    checkov: ['CKV_K8S_16'],
    trivy: ['KSV-0017'],
    cis: ['5.2.2', '5.2.11'],
  },
};

const POD_PRIVILEGE_ESCALATION: CheckInfo = {
  id: 'BH-POD-002',
  area: 'pod-security',
  title: 'Privilege escalation allowed',
  severity: 'medium',
  rationale:
    'Unless allowPrivilegeEscalation is false, the kernel lets a process gain more privileges than its parent ' +
    '(no_new_privs is not set): setuid binaries and file capabilities in the image work. The API defaults it to true, ' +
    'and it is always true for a privileged container or one with CAP_SYS_ADMIN, whatever the field says. Medium: ' +
    'it needs a second weakness (a setuid binary, a root-owned exploitable tool) to matter. Linux only; Windows ' +
    'pods (spec.os.name: windows) are skipped.',
  remediation:
    'Set `securityContext.allowPrivilegeEscalation: false` on every container (and init container).',
  references: ['CIS 5.2.6', NSA_POD_SECURITY, 'MITRE ATT&CK T1068', 'MITRE ATT&CK T1548'],
  mappings: {
    kubescape: ['C-0016', 'C-0197', 'C-0217'],
    polaris: ['privilegeEscalationAllowed'],
    'kube-linter': ['privilege-escalation-container'],
    checkov: ['CKV_K8S_20'],
    trivy: ['KSV-0001'],
    cis: ['5.2.6'],
  },
};

const POD_DANGEROUS_CAPABILITY: CheckInfo = {
  id: 'BH-POD-003',
  area: 'pod-security',
  title: 'Dangerous capability added',
  severity: 'high',
  rationale:
    'Capabilities added to a container widen what root in it can do to the node and to the network: SYS_ADMIN is ' +
    'nearly privileged (mounts, namespaces, BPF), ALL is every capability, NET_ADMIN reconfigures interfaces, routes ' +
    'and firewall rules (of the host too, with hostNetwork), SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH, BPF ' +
    'and the like help escapes. These are high (ALL and SYS_ADMIN critical). NET_RAW (raw sockets: ARP and DNS ' +
    'spoofing of neighbouring pods, sniffing) is medium. Capability names are compared case-insensitively, with or ' +
    'without the CAP_ prefix. Linux only.',
  remediation:
    'Drop the capability from `securityContext.capabilities.add`; start from `drop: [ALL]` and add back only what ' +
    'the process needs (NET_BIND_SERVICE for ports below 1024 is usually the only one).',
  references: [
    'CIS 5.2.8',
    'CIS 5.2.9',
    NSA_POD_SECURITY,
    'MITRE ATT&CK T1611',
    'MITRE ATT&CK T1557',
    'MITRE ATT&CK T1040',
  ],
  mappings: {
    kubescape: ['C-0046', 'C-0200', 'C-0219'],
    polaris: ['dangerousCapabilities'],
    'kube-linter': ['drop-net-raw-capability'],
    checkov: ['CKV_K8S_25', 'CKV_K8S_39'],
    trivy: ['KSV-0022', 'KSV-0005'],
    cis: ['5.2.8', '5.2.9'],
  },
};

const POD_CAPABILITIES_NOT_DROPPED: CheckInfo = {
  id: 'BH-POD-004',
  area: 'pod-security',
  title: 'Default capabilities not dropped',
  severity: 'low',
  rationale:
    'Container runtimes grant a default set of capabilities, including NET_RAW (raw sockets, used for ARP and DNS ' +
    'spoofing within the pod network). A container that drops neither ALL nor NET_RAW keeps them. Low: the defaults ' +
    'are limited, and this is hardening rather than an open hole. Linux only.',
  remediation:
    'Add `securityContext.capabilities.drop: [ALL]` (or at least NET_RAW) and add back only what the process needs.',
  references: ['CIS 5.2.8', 'CIS 5.2.10', NSA_POD_SECURITY, 'MITRE ATT&CK T1557'],
  mappings: {
    kubescape: ['C-0055', 'C-0199', 'C-0201', 'C-0220'],
    polaris: ['insecureCapabilities'],
    checkov: ['CKV_K8S_28', 'CKV_K8S_37'],
    trivy: ['KSV-0003'],
    cis: ['5.2.8', '5.2.10'],
  },
};

const POD_HOST_PID: CheckInfo = {
  id: 'BH-POD-005',
  area: 'pod-security',
  title: 'Host PID namespace shared',
  severity: 'high',
  rationale:
    'With hostPID: true the pod sees every process of the node, can read their environment and /proc entries ' +
    '(secrets of other pods included) and, as root, signal or ptrace them.',
  remediation:
    'Remove `hostPID: true`; node monitoring agents belong in a dedicated, tightly governed namespace.',
  references: ['CIS 5.2.3', NSA_POD_SECURITY, 'MITRE ATT&CK T1611', 'MITRE ATT&CK T1613'],
  mappings: {
    kubescape: ['C-0038', 'C-0194', 'C-0214', 'C-0275'],
    polaris: ['hostPIDSet'],
    'kube-linter': ['host-pid'],
    checkov: ['CKV_K8S_17'],
    trivy: ['KSV-0010'],
    cis: ['5.2.3'],
  },
};

const POD_HOST_IPC: CheckInfo = {
  id: 'BH-POD-006',
  area: 'pod-security',
  title: 'Host IPC namespace shared',
  severity: 'high',
  rationale:
    'With hostIPC: true the pod shares System V IPC and POSIX shared memory with every process of the node: it can ' +
    'read and tamper with other workloads\u2019 shared memory segments.',
  remediation: 'Remove `hostIPC: true`.',
  references: ['CIS 5.2.4', NSA_POD_SECURITY, 'MITRE ATT&CK T1611'],
  mappings: {
    kubescape: ['C-0038', 'C-0195', 'C-0215', 'C-0276'],
    polaris: ['hostIPCSet'],
    'kube-linter': ['host-ipc'],
    checkov: ['CKV_K8S_18'],
    trivy: ['KSV-0008'],
    cis: ['5.2.4'],
  },
};

const POD_HOST_NETWORK: CheckInfo = {
  id: 'BH-POD-007',
  area: 'pod-security',
  title: 'Host network namespace shared',
  severity: 'high',
  rationale:
    'With hostNetwork: true the pod uses the node\u2019s interfaces: it can bind and sniff node ports, reach ' +
    'services listening on the node\u2019s loopback (kubelet, node-local agents), and NetworkPolicy does not select ' +
    'it, so segmentation cannot contain it. This check is the pod-security side; what the pod exposes is reported ' +
    'by the exposure checks.',
  remediation: 'Remove `hostNetwork: true`; publish ports through a Service instead.',
  references: ['CIS 5.2.5', NSA_POD_SECURITY, 'MITRE ATT&CK T1040', 'MITRE ATT&CK T1611'],
  mappings: {
    kubescape: ['C-0041', 'C-0196', 'C-0216'],
    polaris: ['hostNetworkSet'],
    'kube-linter': ['host-network'],
    checkov: ['CKV_K8S_19'],
    trivy: ['KSV-0009'],
    cis: ['5.2.5'],
  },
};

const POD_RUNTIME_SOCKET: CheckInfo = {
  id: 'BH-POD-008',
  area: 'pod-security',
  title: 'Container runtime socket mounted',
  severity: 'critical',
  rationale:
    'A hostPath volume of the Docker, containerd or CRI-O socket (or of the directory holding it) hands the pod the ' +
    'container runtime\u2019s API: it can start a privileged container with the host\u2019s root file system, which ' +
    'is root on the node. Critical for that reason, whether the mount is read-only or not (a read-only mount of a ' +
    'socket still allows connecting to it).',
  remediation:
    'Remove the volume. Build images with a rootless builder (BuildKit rootless, kaniko) and read runtime data ' +
    'through the Kubernetes API instead.',
  references: ['CIS 5.2.12', NSA_POD_SECURITY, 'MITRE ATT&CK T1611', 'MITRE ATT&CK T1610'],
  mappings: {
    kubescape: ['C-0074'],
    'kube-linter': ['docker-sock'],
    checkov: ['CKV_K8S_27'],
    trivy: ['KSV-0006'],
    cis: ['5.2.12'],
  },
};

const POD_HOST_PATH: CheckInfo = {
  id: 'BH-POD-009',
  area: 'pod-security',
  title: 'hostPath volume',
  severity: 'medium',
  rationale:
    'A hostPath volume exposes a directory of the node to the pod; a writable one lets it plant files the node ' +
    'executes or reads. High for sensitive paths (/, /home, /etc, /root, /proc, /sys, /dev, /boot, ' +
    '/var/lib/kubelet, /var/lib/etcd and what is below them, and /var, /var/lib, /var/lib/docker, /var/lib/containerd, ' +
    '/var/run, /run, /var/log, /usr, /lib, /bin, /sbin themselves); medium for any other path. ' +
    'Runtime sockets are reported by BH-POD-008 instead.',
  remediation:
    'Use an emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim; when host access is unavoidable, mount the ' +
    'narrowest path read-only.',
  references: ['CIS 5.2.12', NSA_POD_SECURITY, 'MITRE ATT&CK T1611'],
  mappings: {
    kubescape: ['C-0048', 'C-0045', 'C-0203'],
    polaris: ['hostPathSet'],
    'kube-linter': ['sensitive-host-mounts', 'writable-host-mount'],
    trivy: ['KSV-0023'],
    cis: ['5.2.12'],
  },
};

const POD_RUN_AS_ROOT: CheckInfo = {
  id: 'BH-POD-010',
  area: 'pod-security',
  title: 'Container may run as root',
  severity: 'medium',
  rationale:
    'A container runs as root unless runAsNonRoot: true or a non-zero runAsUser is in effect (the container\u2019s ' +
    'securityContext overrides the pod\u2019s, field by field); otherwise the image\u2019s USER decides, and most ' +
    'images run as root. Root in a container is one kernel bug or misconfiguration away from root on the node. ' +
    'High when runAsUser: 0 is set explicitly; medium when nothing forbids root.',
  remediation:
    'Set `securityContext.runAsNonRoot: true` (pod level covers every container) and a non-zero `runAsUser`, and ' +
    'build the image with a numeric non-root USER.',
  references: ['CIS 5.2.7', NSA_POD_SECURITY, 'MITRE ATT&CK T1611', 'MITRE ATT&CK T1068'],
  mappings: {
    kubescape: ['C-0013', 'C-0198', 'C-0218'],
    polaris: ['runAsRootAllowed'],
    'kube-linter': ['run-as-non-root'],
    checkov: ['CKV_K8S_23'],
    trivy: ['KSV-0012'],
    cis: ['5.2.7'],
  },
};

const POD_WRITABLE_ROOT_FS: CheckInfo = {
  id: 'BH-POD-011',
  area: 'pod-security',
  title: 'Root file system writable',
  severity: 'low',
  rationale:
    'Unless readOnlyRootFilesystem is true, an intruder can write tools and persistence into the container\u2019s ' +
    'file system and modify the application\u2019s binaries and configuration. Low: it hardens against follow-up ' +
    'steps rather than preventing a compromise. Linux only (the field cannot be set on Windows pods).',
  remediation:
    'Set `securityContext.readOnlyRootFilesystem: true` and mount emptyDir volumes where the application must write ' +
    '(/tmp, caches).',
  references: [
    'CIS 5.7.3',
    'NSA/CISA Kubernetes Hardening Guide: Immutable container file systems',
    'MITRE ATT&CK T1525',
  ],
  mappings: {
    kubescape: ['C-0017'],
    polaris: ['notReadOnlyRootFilesystem'],
    'kube-linter': ['no-read-only-root-fs'],
    'kube-score': ['Container Security Context ReadOnlyRootFilesystem'],
    checkov: ['CKV_K8S_22'],
    trivy: ['KSV-0014'],
  },
};

const POD_SECCOMP: CheckInfo = {
  id: 'BH-POD-012',
  area: 'pod-security',
  title: 'Seccomp profile unset or Unconfined',
  severity: 'medium',
  rationale:
    'Without a seccomp profile every system call is open to the container, including the rarely needed ones most ' +
    'kernel exploits use. Kubernetes runs containers Unconfined unless seccompProfile is set (the kubelet\u2019s ' +
    'SeccompDefault is off by default), so unset and Unconfined are reported alike, and so is a type other than ' +
    'RuntimeDefault, Localhost or Unconfined (the API rejects it). The container\u2019s ' +
    'seccompProfile overrides the pod\u2019s. The seccomp annotations removed in Kubernetes 1.27 are not read. ' +
    'Linux only.',
  remediation:
    'Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level (or Localhost with a tailored profile).',
  references: ['CIS 5.7.2', NSA_POD_SECURITY, 'MITRE ATT&CK T1611'],
  mappings: {
    kubescape: ['C-0210', 'C-0055'],
    'kube-score': ['Container Seccomp Profile'],
    checkov: ['CKV_K8S_31'],
    trivy: ['KSV-0030'],
    cis: ['5.7.2'],
  },
};

const POD_DEFAULT_SERVICE_ACCOUNT: CheckInfo = {
  id: 'BH-POD-013',
  area: 'pod-security',
  title: 'Default service account token mounted',
  severity: 'medium',
  rationale:
    'The pod runs as its namespace\u2019s default service account (serviceAccountName absent or `default`) with its ' +
    'API token mounted: every pod of the namespace shares that identity, so a role bound to it for one workload ' +
    'is granted to all, and a stolen token cannot be traced to a workload. The token is automounted unless the pod ' +
    'sets automountServiceAccountToken: false, or the pod leaves it unset and the ServiceAccount object in the input ' +
    'sets it to false. A pod with the default account but no token is not reported.',
  remediation:
    'Give the workload its own ServiceAccount, and set `automountServiceAccountToken: false` on the pod (or on the ' +
    'namespace\u2019s default ServiceAccount) when it does not call the Kubernetes API.',
  references: [
    'CIS 5.1.5',
    'CIS 5.1.6',
    'NSA/CISA Kubernetes Hardening Guide: Protecting Pod service account tokens',
    'MITRE ATT&CK T1528',
    'MITRE ATT&CK T1552.007',
  ],
  mappings: {
    kubescape: ['C-0189', 'C-0034', 'C-0190'],
    polaris: ['automountServiceAccountToken'],
    'kube-linter': ['default-service-account'],
    checkov: ['CKV_K8S_38'],
    cis: ['5.1.5', '5.1.6'],
  },
};

const POD_TOKEN_AUTOMOUNT: CheckInfo = {
  id: 'BH-POD-014',
  area: 'pod-security',
  title: 'Service account token automounted',
  severity: 'low',
  rationale:
    'The pod has its own service account, but its API token is mounted into every container although most ' +
    'applications never call the Kubernetes API; an intruder gets whatever that account is allowed. The token is ' +
    'automounted unless the pod sets automountServiceAccountToken: false, or leaves it unset and the ServiceAccount ' +
    'object in the input sets it to false. Low: a dedicated account usually has few rights (see the RBAC checks). ' +
    'Pods running as the default account are reported by BH-POD-013 instead.',
  remediation:
    'Set `automountServiceAccountToken: false` on the pod or its ServiceAccount unless the workload uses the API; ' +
    'if it does, mount a projected token with a short expiry and an audience.',
  references: [
    'CIS 5.1.6',
    'NSA/CISA Kubernetes Hardening Guide: Protecting Pod service account tokens',
    'MITRE ATT&CK T1528',
    'MITRE ATT&CK T1552.007',
  ],
  mappings: {
    kubescape: ['C-0034', 'C-0190', 'C-0261'],
    polaris: ['automountServiceAccountToken'],
    checkov: ['CKV_K8S_38'],
    cis: ['5.1.6'],
  },
};

/** `spec.os.name: windows`: Linux-only fields cannot be set and Linux-only checks do not apply. */
export function isWindowsPod(pod: PodSpecRef): boolean {
  return valueAt(pod.spec, ['os', 'name']) === 'windows';
}

/** A container field of its securityContext, else the pod's (for the fields where the container overrides the pod). */
interface Effective {
  readonly value: unknown;
  readonly path: ValuePath;
}

function effective(c: ContainerRef, field: ValuePath): Effective | undefined {
  const own = valueAt(c.container, ['securityContext', ...field]);
  if (own !== undefined && own !== null)
    return { value: own, path: [...c.path, 'securityContext', ...field] };
  const pod = valueAt(c.pod.spec, ['securityContext', ...field]);
  if (pod !== undefined && pod !== null)
    return { value: pod, path: [...c.pod.path, 'securityContext', ...field] };
  return undefined;
}

function containerKind(c: ContainerRef): string {
  const field = c.path[c.path.length - 2];
  return field === 'initContainers'
    ? 'init container'
    : field === 'ephemeralContainers'
      ? 'ephemeral container'
      : 'container';
}

/** `container "web"`, `init container "setup"`. */
export function describeContainer(c: ContainerRef): string {
  return `${containerKind(c)} "${c.name}"`;
}

/** Capability names as the kernel knows them: upper case, without the CAP_ prefix. */
function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/** Severity of an added capability; absent when it is one of the harmless defaults. */
const CAPABILITY_SEVERITY: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['ALL', 'critical'],
  ['SYS_ADMIN', 'critical'],
  ['NET_ADMIN', 'high'],
  ['SYS_MODULE', 'high'],
  ['SYS_PTRACE', 'high'],
  ['SYS_RAWIO', 'high'],
  ['SYS_BOOT', 'high'],
  ['SYS_TIME', 'high'],
  ['DAC_READ_SEARCH', 'high'],
  ['BPF', 'high'],
  ['PERFMON', 'high'],
  ['MAC_ADMIN', 'high'],
  ['MAC_OVERRIDE', 'high'],
  ['SYSLOG', 'high'],
  ['NET_RAW', 'medium'],
]);

function stringList(value: unknown): { name: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  const out: { name: string; index: number }[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item === 'string') out.push({ name: item, index });
  });
  return out;
}

function eachContainer(
  context: AuditContext,
  linuxOnly: boolean,
  visit: (c: ContainerRef) => Finding | Finding[] | undefined,
): Finding[] {
  const out: Finding[] = [];
  for (const pod of podSpecs(context.objects)) {
    if (linuxOnly && isWindowsPod(pod)) continue;
    for (const c of containersOf(pod)) {
      const result = visit(c);
      if (result === undefined) continue;
      if (Array.isArray(result)) out.push(...result);
      else out.push(result);
    }
  }
  return out;
}

function checkPrivileged(context: AuditContext): Finding[] {
  const out = eachContainer(context, false, (c) => {
    const found: Finding[] = [];
    const path = [...c.path, 'securityContext', 'privileged'];
    if (valueAt(c.container, ['securityContext', 'privileged']) === true)
      found.push(
        finding(
          context,
          POD_PRIVILEGED,
          c.pod.object,
          path,
          `${describeContainer(c)} runs privileged (privileged: true)`,
        ),
      );
    const hostProcess = effective(c, ['windowsOptions', 'hostProcess']);
    if (hostProcess?.value === true)
      found.push(
        finding(
          context,
          POD_PRIVILEGED,
          c.pod.object,
          hostProcess.path,
          `${describeContainer(c)} is a Windows HostProcess container (windowsOptions.hostProcess: true)`,
        ),
      );
    return found;
  });
  return out;
}

function checkPrivilegeEscalation(context: AuditContext): Finding[] {
  return eachContainer(context, true, (c) => {
    const field = [...c.path, 'securityContext', 'allowPrivilegeEscalation'];
    const value = valueAt(c.container, ['securityContext', 'allowPrivilegeEscalation']);
    if (valueAt(c.container, ['securityContext', 'privileged']) === true)
      return finding(
        context,
        POD_PRIVILEGE_ESCALATION,
        c.pod.object,
        [...c.path, 'securityContext', 'privileged'],
        `${describeContainer(c)} is privileged, which always allows privilege escalation`,
      );
    const sysAdmin = stringList(valueAt(c.container, ['securityContext', 'capabilities', 'add'])).find(
      (cap) => ['SYS_ADMIN', 'ALL'].includes(normalizeCapability(cap.name)),
    );
    if (sysAdmin !== undefined)
      return finding(
        context,
        POD_PRIVILEGE_ESCALATION,
        c.pod.object,
        [...c.path, 'securityContext', 'capabilities', 'add', sysAdmin.index],
        `${describeContainer(c)} adds ${sysAdmin.name}, which always allows privilege escalation`,
      );
    if (value === false) return undefined;
    return finding(
      context,
      POD_PRIVILEGE_ESCALATION,
      c.pod.object,
      field,
      value === true
        ? `${describeContainer(c)} sets allowPrivilegeEscalation: true`
        : `${describeContainer(c)} does not set allowPrivilegeEscalation: false (the default is true)`,
    );
  });
}

function checkDangerousCapabilities(context: AuditContext): Finding[] {
  return eachContainer(context, true, (c) =>
    stringList(valueAt(c.container, ['securityContext', 'capabilities', 'add'])).flatMap((cap) => {
      const severity = CAPABILITY_SEVERITY.get(normalizeCapability(cap.name));
      if (severity === undefined) return [];
      return [
        finding(
          context,
          POD_DANGEROUS_CAPABILITY,
          c.pod.object,
          [...c.path, 'securityContext', 'capabilities', 'add', cap.index],
          `${describeContainer(c)} adds capability ${cap.name}`,
          severity,
        ),
      ];
    }),
  );
}

function checkCapabilitiesDropped(context: AuditContext): Finding[] {
  return eachContainer(context, true, (c) => {
    const drop = stringList(valueAt(c.container, ['securityContext', 'capabilities', 'drop'])).map((cap) =>
      normalizeCapability(cap.name),
    );
    if (drop.includes('ALL') || drop.includes('NET_RAW')) return undefined;
    return finding(
      context,
      POD_CAPABILITIES_NOT_DROPPED,
      c.pod.object,
      [...c.path, 'securityContext', 'capabilities', 'drop'],
      drop.length === 0
        ? `${describeContainer(c)} drops no capabilities (neither ALL nor NET_RAW)`
        : `${describeContainer(c)} drops ${drop.join(', ')} but neither ALL nor NET_RAW`,
    );
  });
}

function checkHostNamespace(info: CheckInfo, field: 'hostPID' | 'hostIPC' | 'hostNetwork', what: string) {
  return (context: AuditContext): Finding[] =>
    podSpecs(context.objects)
      .filter((pod) => pod.spec[field] === true)
      .map((pod) =>
        finding(
          context,
          info,
          pod.object,
          [...pod.path, field],
          `the pod shares the node's ${what} (${field}: true)`,
        ),
      );
}

/** Runtime API sockets, and the directories that hold them (mounting the directory exposes the socket). */
const RUNTIME_SOCKET = new RegExp(
  '^(?:/var)?/run/(?:docker\\.sock|dockershim\\.sock|containerd/containerd\\.sock|containerd|crio/crio\\.sock|crio|' +
    'cri-dockerd\\.sock|podman/podman\\.sock|k3s/containerd/containerd\\.sock)$|' +
    '(?:^|/)(?:docker|containerd|crio|dockershim|cri-dockerd|podman)\\.sock$',
);

/** Host paths whose exposure is high whatever is below them, and paths that are sensitive themselves. */
const SENSITIVE_HOST_TREES = [
  '/etc',
  '/root',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/var/lib/kubelet',
  '/var/lib/etcd',
];
const SENSITIVE_HOST_PATHS = [
  '/',
  '/home',
  '/usr',
  '/lib',
  '/bin',
  '/sbin',
  '/var',
  '/var/lib',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/run',
  '/run',
  '/var/log',
];

function normalizeHostPath(path: string): string {
  const collapsed = path.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

function isSensitiveHostPath(path: string): boolean {
  return (
    SENSITIVE_HOST_PATHS.includes(path) ||
    SENSITIVE_HOST_TREES.some((tree) => path === tree || path.startsWith(`${tree}/`))
  );
}

interface HostPathVolume {
  readonly pod: PodSpecRef;
  readonly name: string;
  readonly hostPath: string;
  readonly path: ValuePath;
}

function hostPathVolumes(context: AuditContext): HostPathVolume[] {
  const out: HostPathVolume[] = [];
  for (const pod of podSpecs(context.objects)) {
    const volumes = pod.spec['volumes'];
    if (!Array.isArray(volumes)) continue;
    volumes.forEach((volume: unknown, i) => {
      if (!isRecord(volume)) return;
      const hostPath = valueAt(volume, ['hostPath', 'path']);
      if (typeof hostPath !== 'string') return;
      const name = typeof volume['name'] === 'string' ? volume['name'] : `#${i}`;
      out.push({ pod, name, hostPath, path: [...pod.path, 'volumes', i, 'hostPath', 'path'] });
    });
  }
  return out;
}

/** The containers that mount a volume, for messages. */
function mountedBy(pod: PodSpecRef, volume: string): { names: string[]; writable: boolean } {
  const names: string[] = [];
  let writable = false;
  for (const c of containersOf(pod)) {
    const mounts = c.container['volumeMounts'];
    if (!Array.isArray(mounts)) continue;
    for (const mount of mounts) {
      if (!isRecord(mount) || mount['name'] !== volume) continue;
      names.push(c.name);
      if (mount['readOnly'] !== true) writable = true;
    }
  }
  return { names, writable };
}

function mountText(pod: PodSpecRef, volume: string): string {
  const { names, writable } = mountedBy(pod, volume);
  if (names.length === 0) return 'not mounted by any container';
  return `mounted ${writable ? 'writable' : 'read-only'} by ${names.map((n) => `"${n}"`).join(', ')}`;
}

function checkRuntimeSocket(context: AuditContext): Finding[] {
  return hostPathVolumes(context)
    .filter((v) => RUNTIME_SOCKET.test(normalizeHostPath(v.hostPath)))
    .map((v) =>
      finding(
        context,
        POD_RUNTIME_SOCKET,
        v.pod.object,
        v.path,
        `volume "${v.name}" mounts the container runtime socket ${v.hostPath} from the host (${mountText(v.pod, v.name)})`,
      ),
    );
}

function checkHostPath(context: AuditContext): Finding[] {
  return hostPathVolumes(context)
    .filter((v) => !RUNTIME_SOCKET.test(normalizeHostPath(v.hostPath)))
    .map((v) => {
      const sensitive = isSensitiveHostPath(normalizeHostPath(v.hostPath));
      return finding(
        context,
        POD_HOST_PATH,
        v.pod.object,
        v.path,
        `volume "${v.name}" mounts ${sensitive ? 'the sensitive host path' : 'host path'} ${v.hostPath} (${mountText(v.pod, v.name)})`,
        sensitive ? 'high' : 'medium',
      );
    });
}

function checkRunAsRoot(context: AuditContext): Finding[] {
  return eachContainer(context, false, (c) => {
    const user = effective(c, ['runAsUser']);
    if (user?.value === 0)
      return finding(
        context,
        POD_RUN_AS_ROOT,
        c.pod.object,
        user.path,
        `${describeContainer(c)} runs as root (runAsUser: 0)`,
        'high',
      );
    if (typeof user?.value === 'number' && user.value > 0) return undefined;
    const nonRoot = effective(c, ['runAsNonRoot']);
    if (nonRoot?.value === true) return undefined;
    return finding(
      context,
      POD_RUN_AS_ROOT,
      c.pod.object,
      nonRoot?.path ?? [...c.path, 'securityContext', 'runAsNonRoot'],
      nonRoot?.value === false
        ? `${describeContainer(c)} sets runAsNonRoot: false and no non-zero runAsUser; it runs as the image's user, often root`
        : `${describeContainer(c)} sets neither runAsNonRoot: true nor a non-zero runAsUser; it runs as the image's user, often root`,
    );
  });
}

function checkReadOnlyRoot(context: AuditContext): Finding[] {
  return eachContainer(context, true, (c) => {
    const value = valueAt(c.container, ['securityContext', 'readOnlyRootFilesystem']);
    if (value === true) return undefined;
    return finding(
      context,
      POD_WRITABLE_ROOT_FS,
      c.pod.object,
      [...c.path, 'securityContext', 'readOnlyRootFilesystem'],
      value === false
        ? `${describeContainer(c)} sets readOnlyRootFilesystem: false`
        : `${describeContainer(c)} does not set readOnlyRootFilesystem: true`,
    );
  });
}

function checkSeccomp(context: AuditContext): Finding[] {
  return eachContainer(context, true, (c) => {
    const type = effective(c, ['seccompProfile', 'type']);
    if (type === undefined)
      return finding(
        context,
        POD_SECCOMP,
        c.pod.object,
        [...c.path, 'securityContext', 'seccompProfile'],
        `${describeContainer(c)} has no seccomp profile (neither it nor the pod sets seccompProfile): it runs Unconfined`,
      );
    if (type.value === 'Unconfined')
      return finding(
        context,
        POD_SECCOMP,
        c.pod.object,
        type.path,
        `${describeContainer(c)} runs with seccomp profile Unconfined`,
      );
    // SeccompProfile.type is an enum: "RuntimeDefault", "Localhost" or "Unconfined" (case-sensitive); any other value
    // is rejected by API validation, so it confines nothing.
    if (type.value !== 'RuntimeDefault' && type.value !== 'Localhost')
      return finding(
        context,
        POD_SECCOMP,
        c.pod.object,
        type.path,
        `${describeContainer(c)} sets seccomp profile type ${JSON.stringify(type.value)}, which is not a valid type (RuntimeDefault, Localhost or Unconfined): no profile is in effect`,
      );
    return undefined;
  });
}

/** The ServiceAccount objects of the input, by `namespace/name`. */
function serviceAccounts(objects: readonly ObjectRecord[]): Map<string, ObjectRecord> {
  return new Map(
    objects.filter((o) => o.kind === 'ServiceAccount').map((o) => [`${o.namespace}/${o.name}`, o] as const),
  );
}

interface TokenMount {
  readonly pod: PodSpecRef;
  readonly account: string;
  readonly isDefault: boolean;
  /** The value that enables the mount (`automountServiceAccountToken: true`), if one is written. */
  readonly enabledAt: ValuePath | undefined;
}

/**
 * Pods whose token is automounted. "automountServiceAccountToken indicates whether a service account token should be
 * automatically mounted" (PodSpec); the pod's field takes precedence over the ServiceAccount's.
 */
function tokenMounts(context: AuditContext): TokenMount[] {
  const accounts = serviceAccounts(context.objects);
  const out: TokenMount[] = [];
  for (const pod of podSpecs(context.objects)) {
    const named = pod.spec['serviceAccountName'] ?? pod.spec['serviceAccount'];
    const account = typeof named === 'string' && named !== '' ? named : 'default';
    const podSetting = pod.spec['automountServiceAccountToken'];
    if (podSetting === false) continue;
    let enabledAt: ValuePath | undefined;
    if (podSetting === true) enabledAt = [...pod.path, 'automountServiceAccountToken'];
    else {
      const sa = accounts.get(`${pod.object.namespace}/${account}`);
      if (sa?.value['automountServiceAccountToken'] === false) continue;
    }
    out.push({ pod, account, isDefault: account === 'default', enabledAt });
  }
  return out;
}

function checkDefaultServiceAccount(context: AuditContext): Finding[] {
  return tokenMounts(context)
    .filter((t) => t.isDefault)
    .map((t) =>
      finding(
        context,
        POD_DEFAULT_SERVICE_ACCOUNT,
        t.pod.object,
        t.enabledAt ?? [...t.pod.path, 'serviceAccountName'],
        `the pod runs as the default service account with its API token mounted${t.enabledAt ? ' (automountServiceAccountToken: true)' : ''}`,
      ),
    );
}

function checkTokenAutomount(context: AuditContext): Finding[] {
  return tokenMounts(context)
    .filter((t) => !t.isDefault)
    .map((t) =>
      finding(
        context,
        POD_TOKEN_AUTOMOUNT,
        t.pod.object,
        t.enabledAt ?? [...t.pod.path, 'automountServiceAccountToken'],
        `the API token of service account "${t.account}" is mounted into the pod${t.enabledAt ? ' (automountServiceAccountToken: true)' : ' (automountServiceAccountToken is not false on the pod or the ServiceAccount)'}`,
      ),
    );
}

export const podSecurityChecks: readonly Check[] = [
  { info: POD_PRIVILEGED, run: checkPrivileged },
  { info: POD_PRIVILEGE_ESCALATION, run: checkPrivilegeEscalation },
  { info: POD_DANGEROUS_CAPABILITY, run: checkDangerousCapabilities },
  { info: POD_CAPABILITIES_NOT_DROPPED, run: checkCapabilitiesDropped },
  { info: POD_HOST_PID, run: checkHostNamespace(POD_HOST_PID, 'hostPID', 'process ID namespace') },
  { info: POD_HOST_IPC, run: checkHostNamespace(POD_HOST_IPC, 'hostIPC', 'IPC namespace') },
  { info: POD_HOST_NETWORK, run: checkHostNamespace(POD_HOST_NETWORK, 'hostNetwork', 'network namespace') },
  { info: POD_RUNTIME_SOCKET, run: checkRuntimeSocket },
  { info: POD_HOST_PATH, run: checkHostPath },
  { info: POD_RUN_AS_ROOT, run: checkRunAsRoot },
  { info: POD_WRITABLE_ROOT_FS, run: checkReadOnlyRoot },
  { info: POD_SECCOMP, run: checkSeccomp },
  { info: POD_DEFAULT_SERVICE_ACCOUNT, run: checkDefaultServiceAccount },
  { info: POD_TOKEN_AUTOMOUNT, run: checkTokenAutomount },
];
