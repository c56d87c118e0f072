// Audit checks of the compose area: Compose services (published ports, host network, privileges, sockets, images).

import { finding } from './objects.js';
import type { AuditContext, Check, CheckInfo, Finding, ObjectRecord } from './types.js';
import { isRecord } from './values.js';
import { parseImage } from './images.js';
import { SENSITIVE_PORTS } from './ports.js';

const KICS_NOT_BOUND = '451d79dc-0588-476a-ad03-3c7f0320abb3'; // Container Traffic Not Bound To Host Interface
const KICS_HOST_NETWORK = '071a71ff-f868-47a4-ac0b-3c59e4ab5443'; // Shared Host Network Namespace
const KICS_CAPABILITIES = 'ce76b7d0-9e77-464d-b86f-c5c48e03e22d'; // Container Capabilities Unrestricted

/** Sockets of container runtimes: whoever can write them controls the host. */
const RUNTIME_SOCKET =
  /(^|\/)(docker|containerd|crio|podman|cri-dockerd)\.sock$|^\/(var\/)?run\/?$|^\/run\/containerd\/?$/;

/** Capabilities that amount to control of the host or its network. */
const DANGEROUS_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'DAC_READ_SEARCH',
]);

function info(
  n: string,
  title: string,
  severity: CheckInfo['severity'],
  rationale: string,
  remediation: string,
  references: string[],
  mappings: CheckInfo['mappings'],
): CheckInfo {
  return {
    id: `BH-CMP-${n}`,
    area: 'compose',
    title,
    severity,
    rationale,
    remediation,
    references,
    mappings,
  };
}

function services(context: AuditContext): ObjectRecord[] {
  return context.objects.filter((o) => o.kind === 'ComposeService');
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A Compose service check: runs `each` over every service. */
function serviceCheck(
  checkInfo: CheckInfo,
  each: (
    service: ObjectRecord,
    report: (path: (string | number)[], message: string, severity?: CheckInfo['severity']) => void,
    context: AuditContext,
  ) => void,
): Check {
  return {
    info: checkInfo,
    run: (context) => {
      const out: Finding[] = [];
      for (const service of services(context))
        each(
          service,
          (path, message, severity) =>
            out.push(finding(context, checkInfo, service, path, message, severity)),
          context,
        );
      return out;
    },
  };
}

function isAllInterfaces(hostIp: unknown): boolean {
  return (
    hostIp === undefined ||
    hostIp === null ||
    hostIp === '' ||
    hostIp === '0.0.0.0' ||
    hostIp === '::' ||
    hostIp === '[::]'
  );
}

function portRange(value: unknown): [number, number] | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(String(value ?? ''));
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2] ?? match[1])];
}

const publishedOnAllInterfaces = serviceCheck(
  info(
    '001',
    'Port published on all host interfaces',
    'medium',
    'A port in `ports:` without a host address is published on every interface of the host (0.0.0.0 and ::), ' +
      'so anything that can reach the host reaches the container, and Docker inserts its own firewall rules ahead ' +
      'of the host firewall (ufw, firewalld) to allow it. High when the port is a database, remote shell or admin ' +
      'interface.',
    'Bind the port to the interface that needs it: "127.0.0.1:8080:80" (or host_ip: 127.0.0.1 in the long syntax), ' +
      'or drop the mapping and reach the service over a Compose network.',
    ['CIS Docker 5.13', 'CIS Docker 5.8', 'MITRE ATT&CK T1133'],
    { kics: [KICS_NOT_BOUND], cis: ['5.13'] },
  ),
  (service, report) => {
    list(service.value['ports']).forEach((port, i) => {
      if (!isRecord(port) || !isAllInterfaces(port['host_ip'])) return;
      const target = portRange(port['target']);
      const published = portRange(port['published']);
      const ports = [target, published].filter((r): r is [number, number] => r !== undefined);
      let sensitive: string | undefined;
      for (const [first, last] of ports)
        for (const [number, name] of SENSITIVE_PORTS)
          if (number >= first && number <= last) sensitive ??= `${number} (${name})`;
      const shown = `${port['published'] ?? '(any)'}:${String(port['target'])}/${String(port['protocol'] ?? 'tcp')}`;
      report(
        ['ports', i],
        sensitive !== undefined
          ? `service ${service.name} publishes ${shown} on all host interfaces; port ${sensitive} should never face every network`
          : `service ${service.name} publishes ${shown} on all host interfaces`,
        sensitive !== undefined ? 'high' : 'medium',
      );
    });
  },
);

const hostNetwork = serviceCheck(
  info(
    '002',
    'Service shares the host network namespace',
    'high',
    "`network_mode: host` gives the container the host's interfaces: it can bind any host port, reach services " +
      'listening on localhost, sniff host traffic with NET_RAW, and no network policy or Docker network can isolate it.',
    'Remove network_mode: host; attach the service to a Compose network and publish only the ports it serves.',
    ['CIS Docker 5.9', 'MITRE ATT&CK T1611'],
    { kics: [KICS_HOST_NETWORK], cis: ['5.9'] },
  ),
  (service, report) => {
    if (service.value['network_mode'] === 'host')
      report(['network_mode'], `service ${service.name} uses the host's network namespace`);
  },
);

const privileged = serviceCheck(
  info(
    '003',
    'Privileged service',
    'critical',
    '`privileged: true` gives the container every capability, all host devices and no seccomp/AppArmor confinement: ' +
      'root in it is root on the host.',
    'Remove privileged: true; add only the capabilities and devices the service needs (cap_add:, devices:).',
    ['CIS Docker 5.4', 'MITRE ATT&CK T1611'],
    { cis: ['5.4'] },
  ),
  (service, report) => {
    if (service.value['privileged'] === true)
      report(['privileged'], `service ${service.name} runs privileged`);
  },
);

const capAdd = serviceCheck(
  info(
    '004',
    'Service adds Linux capabilities',
    'medium',
    'cap_add widens what root in the container may do. ALL, SYS_ADMIN and NET_ADMIN (and SYS_PTRACE, SYS_MODULE, ' +
      'DAC_READ_SEARCH) are high: they allow escaping to the host or reconfiguring its network.',
    'Remove cap_add, or keep only the capabilities the process needs, and drop the rest with cap_drop: [ALL].',
    ['CIS Docker 5.3'],
    { kics: [KICS_CAPABILITIES], cis: ['5.3'] },
  ),
  (service, report) => {
    const caps = list(service.value['cap_add']).map((c) => String(c).toUpperCase().replace(/^CAP_/, ''));
    if (caps.length === 0) return;
    const dangerous = caps.filter((c) => DANGEROUS_CAPABILITIES.has(c));
    report(
      ['cap_add'],
      `service ${service.name} adds ${caps.join(', ')}`,
      dangerous.length > 0 ? 'high' : 'medium',
    );
  },
);

const capDrop = serviceCheck(
  info(
    '005',
    'Service does not drop capabilities',
    'low',
    'Docker grants a default set of capabilities (NET_RAW, SETUID, CHOWN, ...) that most services never use; NET_RAW ' +
      'alone allows ARP and DNS spoofing on the container network.',
    'Add cap_drop: [ALL] and cap_add only what the service needs.',
    ['CIS Docker 5.3'],
    { kics: [KICS_CAPABILITIES], cis: ['5.3'] },
  ),
  (service, report) => {
    if (service.value['privileged'] === true) return; // BH-CMP-003 says more.
    if (service.value['cap_drop'] === undefined)
      report([], `service ${service.name} keeps Docker's default capabilities (no cap_drop)`);
  },
);

const runtimeSocket = serviceCheck(
  info(
    '006',
    'Container runtime socket mounted',
    'critical',
    'A service that can reach the Docker (or containerd, CRI-O, Podman) socket can start a privileged container ' +
      "with the host's root filesystem: it is root on the host, read-only mount or not.",
    'Do not mount the socket; if a tool needs the API, put a filtering proxy (e.g. a socket proxy allowing only ' +
      'read endpoints) in between, or use rootless Docker.',
    ['CIS Docker 5.31', 'MITRE ATT&CK T1610'],
    { cis: ['5.31'] },
  ),
  (service, report) => {
    list(service.value['volumes']).forEach((volume, i) => {
      if (!isRecord(volume) || volume['type'] !== 'bind') return;
      const source = String(volume['source'] ?? '');
      if (RUNTIME_SOCKET.test(source))
        report(['volumes', i], `service ${service.name} mounts the runtime socket ${source}`);
    });
  },
);

const defaultNetworkOnly = {
  info: info(
    '007',
    'Services share one flat network',
    'low',
    'Every service of this project sits on the default network only, so each can reach every port of every other ' +
      '(a compromised web front end reaches the database directly). Docker networks are the segmentation a Compose ' +
      'project has.',
    'Declare networks (e.g. frontend and backend) and attach each service only to the ones it needs; mark ' +
      'back-end networks internal: true.',
    ['CIS Docker 2.1', 'MITRE ATT&CK T1021'],
    { cis: ['2.1'] },
  ),
  run: (context: AuditContext): Finding[] => {
    const byProject = new Map<string, ObjectRecord[]>();
    for (const service of services(context)) {
      const mode = service.value['network_mode'];
      if (typeof mode === 'string' && mode !== '') continue;
      const list = byProject.get(service.namespace) ?? [];
      list.push(service);
      byProject.set(service.namespace, list);
    }
    const out: Finding[] = [];
    for (const [project, list] of byProject) {
      if (list.length < 2) continue;
      const onDefault = list.filter((s) => {
        const networks = s.value['networks'];
        return !isRecord(networks) || Object.keys(networks).every((n) => n === 'default');
      });
      if (onDefault.length !== list.length) continue;
      for (const service of onDefault)
        out.push(
          finding(
            context,
            defaultNetworkOnly.info,
            service,
            isRecord(service.value['networks']) ? ['networks'] : [],
            `service ${service.name} is on project ${project}'s default network with ${list.length - 1} other service(s) and nothing else`,
          ),
        );
    }
    return out;
  },
} satisfies Check;

const noNewPrivileges = serviceCheck(
  info(
    '008',
    'no-new-privileges not set',
    'low',
    'Without security_opt no-new-privileges:true a process in the container can gain privileges through setuid and ' +
      'setgid binaries or file capabilities.',
    'Add security_opt: ["no-new-privileges:true"] (or set it daemon-wide with "no-new-privileges": true).',
    ['CIS Docker 5.25'],
    { cis: ['5.25'] },
  ),
  (service, report) => {
    const options = list(service.value['security_opt']).map((o) =>
      String(o).replace(/\s/g, '').toLowerCase(),
    );
    if (
      options.some(
        (o) => o === 'no-new-privileges' || o === 'no-new-privileges:true' || o === 'no-new-privileges=true',
      )
    )
      return;
    report(
      service.value['security_opt'] === undefined ? [] : ['security_opt'],
      `service ${service.name} does not set no-new-privileges`,
    );
  },
);

const imageTag = serviceCheck(
  info(
    '009',
    'Image without a version tag',
    'medium',
    'An image with no tag or the tag latest changes under the project: each pull may run different, unreviewed code.',
    'Pin a version tag (postgres:16.4), better a digest (postgres:16.4@sha256:...).',
    ['CIS Docker 4.2', 'NIST SP 800-190 4.1'],
    { cis: ['4.2'] },
  ),
  (service, report) => {
    const image = service.value['image'];
    if (typeof image !== 'string' || image === '') return;
    const parsed = parseImage(image);
    if (parsed.digest !== undefined) return;
    if (parsed.tag === undefined || parsed.tag === 'latest')
      report(
        ['image'],
        `service ${service.name} uses ${image}${parsed.tag === undefined ? ' (no tag: latest)' : ''}`,
      );
  },
);

const imageDigest = serviceCheck(
  info(
    '010',
    'Image not pinned by digest',
    'low',
    'A tag can be moved to other content by whoever controls the repository; only a digest names exact bytes.',
    'Add the digest: image: postgres:16.4@sha256:... (tools like Renovate keep it current).',
    ['CIS Docker 4.2', 'NIST SP 800-190 4.1'],
    { cis: ['4.2'] },
  ),
  (service, report) => {
    const image = service.value['image'];
    if (typeof image !== 'string' || image === '') return;
    const parsed = parseImage(image);
    if (parsed.digest === undefined && parsed.tag !== undefined && parsed.tag !== 'latest')
      report(['image'], `service ${service.name} uses ${image} without a digest`);
  },
);

export const composeChecks: readonly Check[] = [
  publishedOnAllInterfaces,
  hostNetwork,
  privileged,
  capAdd,
  capDrop,
  runtimeSocket,
  defaultNetworkOnly,
  noNewPrivileges,
  imageTag,
  imageDigest,
];
