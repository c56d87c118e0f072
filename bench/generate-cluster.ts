// Seeded generator of realistic synthetic Kubernetes clusters (namespaces, workloads, NetworkPolicies) for benchmarks.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ClusterSpec {
  /** Workloads in total, including the few system ones (CoreDNS, Prometheus, the ingress controller...). */
  readonly workloads: number;
  /** Namespaces in total, including kube-system, monitoring and ingress-nginx. */
  readonly namespaces: number;
  /** NetworkPolicies in total. */
  readonly policies: number;
  readonly seed: number;
}

/** A Kubernetes object as plain data. */
export type Manifest = Record<string, unknown>;

export interface ManifestList {
  readonly apiVersion: 'v1';
  readonly kind: 'List';
  readonly items: Manifest[];
}

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed always gives the same sequence. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one seeded stream. */
export class Random {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }

  /** An index picked in proportion to weights given as running totals (`cumulative[i]` = sum of weights 0..i). */
  indexByCumulative(cumulative: readonly number[]): number {
    const r = this.next() * cumulative[cumulative.length - 1]!;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** A standard normal sample (Box-Muller). */
  gauss(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `k` distinct items (fewer if the list is shorter), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    while (out.length < k && copy.length > 0) out.push(copy.splice(this.int(copy.length), 1)[0]!);
    return out;
  }
}

type Tier = 'frontend' | 'backend' | 'db' | 'cache';
type Env = 'prod' | 'staging' | 'dev';
type Protocol = 'TCP' | 'UDP' | 'SCTP';

interface ContainerPortSpec {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: Protocol;
}

interface NamespaceInfo {
  readonly name: string;
  readonly team: string;
  readonly env: Env;
  readonly labels: Record<string, string>;
  readonly workloads: WorkloadInfo[];
  /** Set once a default-deny of that direction exists, so that it is not generated twice. */
  denyIngress: boolean;
  denyEgress: boolean;
  policyCount: number;
}

interface WorkloadInfo {
  readonly namespace: NamespaceInfo;
  readonly app: string;
  readonly tier: Tier;
  readonly labels: Record<string, string>;
  readonly ports: readonly ContainerPortSpec[];
}

const TEAMS = [
  'payments',
  'checkout',
  'search',
  'identity',
  'catalog',
  'shipping',
  'ads',
  'ml',
  'data',
  'growth',
  'billing',
  'risk',
  'fraud',
  'support',
  'mobile',
  'web',
  'platform',
  'infra',
  'security',
  'analytics',
  'messaging',
  'media',
  'maps',
  'pricing',
  'loyalty',
  'partners',
  'logistics',
  'warehouse',
  'crm',
  'marketing',
  'finance',
  'hr',
  'legal',
  'sre',
  'devex',
  'realtime',
  'storage',
  'compliance',
  'voice',
  'iot',
];
const COMPONENTS = [
  'api',
  'core',
  'svc',
  'edge',
  'jobs',
  'stream',
  'store',
  'portal',
  'gw',
  'internal',
  'public',
  'batch',
];
const NAMESPACE_TIERS = ['edge', 'services', 'data'] as const;

const APPS: Record<Tier, readonly string[]> = {
  frontend: [
    'web',
    'storefront',
    'admin-ui',
    'portal',
    'landing',
    'dashboard',
    'docs',
    'console',
    'checkout-ui',
    'bff',
  ],
  backend: [
    'api',
    'orders',
    'cart',
    'checkout',
    'payments',
    'inventory',
    'search',
    'auth',
    'users',
    'notifications',
    'billing',
    'catalog',
    'pricing',
    'recommendations',
    'shipping',
    'reviews',
    'gateway',
    'worker',
    'scheduler',
    'reporting',
    'ledger',
    'fraud-scoring',
    'emailer',
    'webhooks',
    'exporter',
    'indexer',
    'session',
    'quotes',
  ],
  db: ['postgres', 'mysql', 'mongodb', 'cassandra', 'elasticsearch'],
  cache: ['redis', 'memcached', 'redis-session', 'redis-queue'],
};

/** The main port of each datastore: name, number. */
const DB_PORTS: Record<string, readonly ContainerPortSpec[]> = {
  postgres: [{ name: 'postgres', containerPort: 5432 }],
  mysql: [{ name: 'mysql', containerPort: 3306 }],
  mongodb: [{ name: 'mongodb', containerPort: 27017 }],
  cassandra: [
    { name: 'cql', containerPort: 9042 },
    { name: 'intra-node', containerPort: 7000 },
  ],
  elasticsearch: [
    { name: 'http', containerPort: 9200 },
    { name: 'transport', containerPort: 9300 },
  ],
  redis: [{ name: 'redis', containerPort: 6379 }],
  'redis-session': [{ name: 'redis', containerPort: 6379 }],
  'redis-queue': [{ name: 'redis', containerPort: 6379 }],
  memcached: [{ name: 'memcached', containerPort: 11211 }],
};

const NAMED_DB_PORTS = ['postgres', 'mysql', 'mongodb', 'cql', 'redis', 'memcached'];

/** Public-looking IPv4 partner and office ranges, with host bits and excepts as people write them. */
function makeIpv4Blocks(random: Random): { cidr: string; except?: string[] }[] {
  const blocks: { cidr: string; except?: string[] }[] = [
    { cidr: '203.0.113.0/24' },
    { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] },
    { cidr: '192.0.2.0/24' },
    { cidr: '10.96.0.1/32' }, // the kube-apiserver Service address
    { cidr: '10.0.0.0/16' }, // the node network
    { cidr: '10.244.0.0/16' }, // the pod network (part of it)
    { cidr: '169.254.169.254/32' }, // cloud metadata
  ];
  for (let i = 0; i < 40; i++) {
    const prefix = random.weighted<number>([
      [16, 1],
      [20, 2],
      [24, 5],
      [28, 2],
      [32, 2],
    ]);
    const a = 11 + random.int(180);
    const address = [a, random.int(256), random.int(256), random.int(256)];
    const cidr = `${address.join('.')}/${prefix}`; // host bits are allowed and ignored
    if (prefix <= 24 && random.chance(0.3)) {
      // An except inside the block: the same network, a longer prefix.
      const mask = prefix === 16 ? [a, address[1], random.int(256), 0] : [a, address[1], address[2], 128];
      const exceptPrefix = prefix === 16 ? 24 : 25;
      blocks.push({
        cidr: `${a}.${address[1]}.${prefix === 16 ? 0 : address[2]}.0/${prefix}`,
        except: [`${mask.join('.')}/${exceptPrefix}`],
      });
    } else blocks.push({ cidr });
  }
  return blocks;
}

const IPV6_BLOCKS: readonly { cidr: string; except?: string[] }[] = [
  { cidr: '2001:db8::/32', except: ['2001:db8:dead::/48'] },
  { cidr: '2001:db8:beef::/48' },
  { cidr: 'fd00:10:244::/56' },
  { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] },
];

const PRIVATE_EXCEPT = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** Generates one cluster as a `List`. The same spec always gives byte-identical output. */
export function generateCluster(spec: ClusterSpec): ManifestList {
  if (spec.namespaces < 4)
    throw new Error('generateCluster: at least 4 namespaces (3 are system namespaces)');
  if (spec.workloads < 4) throw new Error('generateCluster: at least 4 workloads (3 are system workloads)');
  return new Generator(spec).run();
}

class Generator {
  private readonly random: Random;
  private readonly items: Manifest[] = [];
  private readonly namespaces: NamespaceInfo[] = [];
  private readonly teamNamespaces: NamespaceInfo[] = [];
  private readonly allWorkloads: WorkloadInfo[] = [];
  private readonly policyItems: Manifest[] = [];
  private readonly ipv4Blocks: { cidr: string; except?: string[] }[];
  private podAddress = 0;

  constructor(private readonly spec: ClusterSpec) {
    this.random = new Random(spec.seed);
    this.ipv4Blocks = makeIpv4Blocks(this.random);
  }

  run(): ManifestList {
    this.makeNamespaces();
    this.makeSystemWorkloads();
    this.makeTeamWorkloads();
    this.makePolicies();
    return { apiVersion: 'v1', kind: 'List', items: [...this.items, ...this.policyItems] };
  }

  // ---- namespaces ---------------------------------------------------------------------------------------------

  private makeNamespaces(): void {
    const system: [string, Record<string, string>][] = [
      ['kube-system', {}],
      ['monitoring', { team: 'sre', env: 'prod', tier: 'services' }],
      ['ingress-nginx', { team: 'platform', env: 'prod', tier: 'edge' }],
    ];
    for (const [name, labels] of system) this.addNamespace(name, labels.team ?? 'platform', 'prod', labels);
    const used = new Set(this.namespaces.map((n) => n.name));
    for (let i = this.namespaces.length; i < this.spec.namespaces; i++) {
      const team = this.random.pick(TEAMS);
      const env = this.random.weighted<Env>([
        ['prod', 5],
        ['staging', 3],
        ['dev', 2],
      ]);
      let name = `${team}-${this.random.pick(COMPONENTS)}-${env}`;
      for (let n = 2; used.has(name); n++) name = `${team}-${this.random.pick(COMPONENTS)}-${env}-${n}`;
      used.add(name);
      const labels: Record<string, string> = { team, env, tier: this.random.pick(NAMESPACE_TIERS) };
      if (this.random.chance(0.3)) labels['istio-injection'] = 'enabled';
      if ((team === 'payments' || team === 'billing' || team === 'finance') && this.random.chance(0.7))
        labels['pci'] = 'true';
      if (this.random.chance(0.02)) labels['quarantine'] = 'true';
      this.teamNamespaces.push(this.addNamespace(name, team, env, labels));
    }
  }

  private addNamespace(name: string, team: string, env: Env, labels: Record<string, string>): NamespaceInfo {
    const info: NamespaceInfo = {
      name,
      team,
      env,
      labels,
      workloads: [],
      denyIngress: false,
      denyEgress: false,
      policyCount: 0,
    };
    this.namespaces.push(info);
    this.items.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
    });
    return info;
  }

  // ---- workloads ----------------------------------------------------------------------------------------------

  private makeSystemWorkloads(): void {
    const [kubeSystem, monitoring, ingress] = this.namespaces as [
      NamespaceInfo,
      NamespaceInfo,
      NamespaceInfo,
    ];
    this.addWorkload(kubeSystem, 'Deployment', 'coredns', 'backend', { 'k8s-app': 'kube-dns' }, [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9153 },
    ]);
    this.addWorkload(monitoring, 'StatefulSet', 'prometheus', 'backend', { app: 'prometheus' }, [
      { name: 'web', containerPort: 9090 },
    ]);
    this.addWorkload(
      ingress,
      'Deployment',
      'ingress-nginx-controller',
      'frontend',
      { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
      [
        { name: 'http', containerPort: 80 },
        { name: 'https', containerPort: 443 },
        { name: 'metrics', containerPort: 10254 },
      ],
    );
  }

  private makeTeamWorkloads(): void {
    const count = this.spec.workloads - this.allWorkloads.length;
    // Namespace sizes are skewed (log-normal weights): a few big namespaces, many small ones, some empty.
    const weights = this.teamNamespaces.map(() => Math.exp(this.random.gauss() * 0.9));
    const cumulative: number[] = [];
    let total = 0;
    for (const w of weights) cumulative.push((total += w));
    const extra = { monitoring: this.namespaces[1]!, kubeSystem: this.namespaces[0]! };
    for (let i = 0; i < count; i++) {
      // About 1% are cluster add-ons in the system namespaces (exporters, agents).
      if (this.random.chance(0.01)) {
        this.addSystemAddon(this.random.chance(0.5) ? extra.monitoring : extra.kubeSystem);
        continue;
      }
      this.addTeamWorkload(this.teamNamespaces[this.random.indexByCumulative(cumulative)]!);
    }
  }

  private addSystemAddon(ns: NamespaceInfo): void {
    const base = this.random.pick([
      'node-exporter',
      'fluent-bit',
      'kube-proxy',
      'csi-node',
      'cilium-agent',
      'kube-state-metrics',
    ]);
    const hostNetwork = base === 'node-exporter' || base === 'kube-proxy' || base === 'cilium-agent';
    const kind = base === 'kube-state-metrics' ? 'Deployment' : 'DaemonSet';
    this.addWorkload(
      ns,
      kind,
      base,
      'backend',
      { app: base },
      [{ name: 'metrics', containerPort: 9100 + this.random.int(10) }],
      hostNetwork,
    );
  }

  private addTeamWorkload(ns: NamespaceInfo): void {
    const tier = this.random.weighted<Tier>([
      ['frontend', 25],
      ['backend', 45],
      ['db', 15],
      ['cache', 15],
    ]);
    const kind =
      tier === 'db'
        ? this.random.weighted([
            ['StatefulSet', 85],
            ['Deployment', 15],
          ])
        : tier === 'cache'
          ? this.random.weighted([
              ['StatefulSet', 50],
              ['Deployment', 50],
            ])
          : this.random.weighted([
              ['Deployment', 86],
              ['StatefulSet', 4],
              ['DaemonSet', 3],
              ['Pod', 5],
              ['CronJob', 2],
            ]);
    const labels: Record<string, string> = { version: this.random.chance(0.7) ? 'v1' : 'v2' };
    if (this.random.chance(0.5)) labels['app.kubernetes.io/part-of'] = ns.team;
    if (this.random.chance(0.03)) labels['track'] = 'canary';
    const ports: ContainerPortSpec[] = [];
    const named = (p: ContainerPortSpec): ContainerPortSpec =>
      this.random.chance(0.1)
        ? { containerPort: p.containerPort, ...(p.protocol ? { protocol: p.protocol } : {}) }
        : p;
    const base = this.random.pick(APPS[tier]);
    if (tier === 'frontend') {
      ports.push(named({ name: 'http', containerPort: 8080 }));
      if (this.random.chance(0.3)) ports.push(named({ name: 'https', containerPort: 8443 }));
      if (this.random.chance(0.8)) ports.push(named({ name: 'metrics', containerPort: 9090 }));
    } else if (tier === 'backend') {
      const grpc = this.random.chance(0.4);
      if (!grpc || this.random.chance(0.3)) ports.push(named({ name: 'http', containerPort: 8080 }));
      if (grpc) ports.push(named({ name: 'grpc', containerPort: 50051 }));
      if (this.random.chance(0.8)) ports.push(named({ name: 'metrics', containerPort: 9090 }));
      if (this.random.chance(0.02)) ports.push({ name: 'sctp-sig', containerPort: 36412, protocol: 'SCTP' });
      if (this.random.chance(0.01))
        ports.push(
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
        );
      if (this.random.chance(0.05)) ports.push({ containerPort: 8000 + this.random.int(1000) });
    } else {
      for (const p of DB_PORTS[base] ?? []) ports.push(named(p));
      if (this.random.chance(0.6))
        ports.push(named({ name: 'metrics', containerPort: tier === 'db' ? 9187 : 9121 }));
    }
    const sidecar: ContainerPortSpec[] =
      ns.labels['istio-injection'] === 'enabled' ? [{ name: 'http-envoy-prom', containerPort: 15090 }] : [];
    this.addWorkload(
      ns,
      kind,
      base,
      tier,
      labels,
      ports,
      kind === 'DaemonSet' && this.random.chance(0.3),
      sidecar,
    );
  }

  /** Adds one workload; `app` is made unique within the namespace (`-2`, `-3`... on repeats). */
  private addWorkload(
    ns: NamespaceInfo,
    kind: string,
    base: string,
    tier: Tier,
    extraLabels: Record<string, string>,
    ports: readonly ContainerPortSpec[],
    hostNetwork = false,
    sidecarPorts: readonly ContainerPortSpec[] = [],
  ): void {
    let app = base;
    for (let n = 2; ns.workloads.some((w) => w.app === app); n++) app = `${base}-${n}`;
    const labels: Record<string, string> = { app, tier, ...extraLabels };
    if (extraLabels['k8s-app'] !== undefined || extraLabels['app.kubernetes.io/name'] !== undefined)
      delete labels['app'];
    const info: WorkloadInfo = { namespace: ns, app, tier, labels, ports };
    ns.workloads.push(info);
    this.allWorkloads.push(info);
    const containers: Manifest[] = [
      {
        name: base,
        image: `registry.example.com/${ns.team}/${base}:${labels['version'] ?? '1.0'}`,
        ...(ports.length > 0 ? { ports: ports.map((p) => ({ ...p })) } : {}),
      },
    ];
    if (sidecarPorts.length > 0)
      containers.push({
        name: 'istio-proxy',
        image: 'docker.io/istio/proxyv2:1.22.0',
        ports: sidecarPorts.map((p) => ({ ...p })),
      });
    const podSpec: Manifest = { containers, ...(hostNetwork ? { hostNetwork: true } : {}) };
    const metadata = { name: app, namespace: ns.name };
    if (kind === 'Pod') {
      const ip = this.nextPodIp();
      this.items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...metadata, labels },
        spec: podSpec,
        status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      });
      return;
    }
    const template = { metadata: { labels }, spec: podSpec };
    const selector = { matchLabels: { ...(labels['app'] !== undefined ? { app } : extraLabels) } };
    if (kind === 'CronJob') {
      this.items.push({
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: {
          schedule: '*/15 * * * *',
          jobTemplate: {
            spec: { template: { ...template, spec: { ...podSpec, restartPolicy: 'OnFailure' } } },
          },
        },
      });
      return;
    }
    const spec: Manifest = { selector, template };
    if (kind === 'Deployment' || kind === 'StatefulSet') spec['replicas'] = 1 + this.random.int(5);
    if (kind === 'StatefulSet') spec['serviceName'] = app;
    this.items.push({ apiVersion: 'apps/v1', kind, metadata, spec });
  }

  /** Pod addresses from 10.244.0.0/14, in order. */
  private nextPodIp(): string {
    const n = this.podAddress++;
    return `10.${244 + ((n >> 16) & 3)}.${(n >> 8) & 255}.${n & 255}`;
  }

  // ---- policies -----------------------------------------------------------------------------------------------

  private makePolicies(): void {
    // First the per-namespace baseline most teams start from; then the specific allowances, spread over namespaces
    // in proportion to their size.
    const baseline: (() => void)[] = [];
    for (const ns of this.teamNamespaces) {
      if (this.random.chance(0.85)) baseline.push(() => this.defaultDeny(ns, 'Ingress'));
      if (this.random.chance(0.4)) {
        baseline.push(() => this.defaultDeny(ns, 'Egress'));
        baseline.push(() => this.allowDnsEgress(ns));
      }
    }
    baseline.push(() => this.allowDnsIngressKubeSystem());
    baseline.push(() => this.defaultDeny(this.namespaces[1]!, 'Ingress'));
    for (const add of baseline) {
      if (this.policyItems.length >= this.spec.policies) return;
      add();
    }
    const populated = this.teamNamespaces.filter((ns) => ns.workloads.length > 0);
    const cumulative: number[] = [];
    let total = 0;
    for (const ns of populated) cumulative.push((total += ns.workloads.length + 1));
    const pickNamespace = (): NamespaceInfo => {
      if (populated.length === 0) return this.random.pick(this.teamNamespaces);
      return populated[this.random.indexByCumulative(cumulative)]!;
    };
    type Shape = (ns: NamespaceInfo) => void;
    const shapes: (readonly [Shape, number])[] = [
      [(ns) => this.allowSameNamespaceTier(ns), 18],
      [(ns) => this.allowFromTeamNamespaces(ns), 16],
      [(ns) => this.allowPrometheusScrape(ns), 7],
      [(ns) => this.allowIngressController(ns), 6],
      [(ns) => this.matchExpressionsPolicy(ns), 8],
      [(ns) => this.egressInternet(ns), 6],
      [(ns) => this.ingressFromCidrs(ns), 6],
      [(ns) => this.ipv6Policy(ns), 1],
      [(ns) => this.endPortRanges(ns), 5],
      [(ns) => this.allowAllIngress(ns), 3],
      [(ns) => this.allowAllEgress(ns), 2],
      [(ns) => this.egressToDatastores(ns), 12],
      [(ns) => this.sctpPolicy(ns), 1],
      [(ns) => this.egressApiServer(ns), 3],
      [(ns) => this.canaryPolicy(ns), 3],
      [(ns) => this.defaultDeny(ns, this.random.chance(0.6) ? 'Ingress' : 'Egress'), 3],
    ];
    while (this.policyItems.length < this.spec.policies) this.random.weighted(shapes)(pickNamespace());
  }

  private addPolicy(ns: NamespaceInfo, shape: string, spec: Manifest): void {
    ns.policyCount++;
    this.policyItems.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${shape}-${ns.policyCount}`, namespace: ns.name },
      spec,
    });
  }

  /** A workload of the namespace, preferring `tiers`; undefined in an empty namespace. */
  private workloadIn(ns: NamespaceInfo, tiers?: readonly Tier[]): WorkloadInfo | undefined {
    const preferred = tiers === undefined ? ns.workloads : ns.workloads.filter((w) => tiers.includes(w.tier));
    if (preferred.length > 0) return this.random.pick(preferred);
    return ns.workloads.length > 0 ? this.random.pick(ns.workloads) : undefined;
  }

  /** A selector for a workload: by app (most often), by tier, or everything in an empty namespace. */
  private subjectFor(w: WorkloadInfo | undefined, byTier = 0.2): Manifest {
    if (w === undefined) return {};
    if (this.random.chance(byTier)) return { matchLabels: { tier: w.tier } };
    return { matchLabels: appLabels(w) };
  }

  /** The ports of a rule that reaches `w`: its named ports (mostly), or their numbers. */
  private portsFor(w: WorkloadInfo | undefined, numeric = 0.3): Manifest[] | undefined {
    if (w === undefined || w.ports.length === 0)
      return this.random.chance(0.5) ? undefined : [{ protocol: 'TCP', port: 8080 }];
    const main = w.ports.filter((p) => p.name !== 'metrics');
    const chosen = main.length > 0 ? main : w.ports;
    return chosen.map((p) => {
      const protocol = p.protocol ?? 'TCP';
      const port = p.name !== undefined && !this.random.chance(numeric) ? p.name : p.containerPort;
      return this.random.chance(0.3) && protocol === 'TCP' ? { port } : { protocol, port };
    });
  }

  private defaultDeny(ns: NamespaceInfo, type: 'Ingress' | 'Egress'): void {
    if (type === 'Ingress' ? ns.denyIngress : ns.denyEgress) {
      // Already there: a second, narrower deny on one tier (teams do write these).
      const w = this.workloadIn(ns);
      this.addPolicy(ns, `deny-${type.toLowerCase()}-tier`, {
        podSelector: w ? { matchLabels: { tier: w.tier } } : {},
        policyTypes: [type],
      });
      return;
    }
    if (type === 'Ingress') ns.denyIngress = true;
    else ns.denyEgress = true;
    // Written either way: with policyTypes, or (ingress only) with `ingress: []` and policyTypes left out.
    const spec: Manifest =
      type === 'Ingress' && this.random.chance(0.3)
        ? { podSelector: {}, ingress: [] }
        : { podSelector: {}, policyTypes: [type] };
    this.addPolicy(ns, `default-deny-${type.toLowerCase()}`, spec);
  }

  private allowDnsEgress(ns: NamespaceInfo): void {
    const named = this.random.chance(0.3);
    this.addPolicy(ns, 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: named
            ? [
                { protocol: 'UDP', port: 'dns' },
                { protocol: 'TCP', port: 'dns-tcp' },
              ]
            : [
                { protocol: 'UDP', port: 53 },
                { protocol: 'TCP', port: 53 },
              ],
        },
      ],
    });
  }

  private allowDnsIngressKubeSystem(): void {
    const kubeSystem = this.namespaces[0]!;
    this.addPolicy(kubeSystem, 'allow-dns-ingress', {
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: {} }],
          ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }, { port: 'metrics' }],
        },
      ],
    });
  }

  /** backend ← frontend, db/cache ← backend, within the namespace. */
  private allowSameNamespaceTier(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend', 'db', 'cache']);
    const fromTier: Tier = target?.tier === 'backend' ? 'frontend' : 'backend';
    const byTier = this.random.chance(0.5);
    const source = byTier ? undefined : this.workloadIn(ns, [fromTier]);
    this.addPolicy(ns, `allow-${fromTier}-to-${target?.tier ?? 'all'}`, {
      podSelector: this.subjectFor(target, 0.4),
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              podSelector: source ? { matchLabels: appLabels(source) } : { matchLabels: { tier: fromTier } },
            },
          ],
          ...optional('ports', this.portsFor(target)),
        },
      ],
    });
  }

  /** A peer in other namespaces: namespaceSelector (team and/or env) AND podSelector. */
  private allowFromTeamNamespaces(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend', 'frontend']);
    const peers: Manifest[] = [];
    for (let i = 1 + (this.random.chance(0.3) ? 1 : 0); i > 0; i--) {
      const other = this.random.pick(this.allWorkloads);
      const nsLabels: Record<string, string> = this.random.chance(0.5)
        ? { team: other.namespace.team, env: other.namespace.env }
        : this.random.chance(0.5)
          ? { team: other.namespace.team }
          : { 'kubernetes.io/metadata.name': other.namespace.name };
      const podSelector = this.random.chance(0.7)
        ? { matchLabels: appLabels(other) }
        : { matchLabels: { tier: other.tier } };
      peers.push({ namespaceSelector: { matchLabels: nsLabels }, podSelector });
    }
    this.addPolicy(ns, 'allow-from-partners', {
      podSelector: this.subjectFor(target),
      policyTypes: ['Ingress'],
      ingress: [{ from: peers, ...optional('ports', this.portsFor(target)) }],
    });
  }

  /** `namespaceSelector: {}` with a podSelector: Prometheus in any namespace may scrape metrics. */
  private allowPrometheusScrape(ns: NamespaceInfo): void {
    const byNumber = this.random.chance(0.3);
    this.addPolicy(ns, 'allow-prometheus', {
      podSelector: this.random.chance(0.6)
        ? {}
        : { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'prometheus' } } }],
          ports: byNumber
            ? [
                { protocol: 'TCP', port: 9090 },
                { protocol: 'TCP', port: 15090 },
              ]
            : [{ port: 'metrics' }, { port: 'http-envoy-prom' }],
        },
      ],
    });
  }

  /** A namespace-only peer: the ingress controller's namespace to the frontends. */
  private allowIngressController(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['frontend']);
    this.addPolicy(ns, 'allow-ingress-nginx', {
      podSelector: this.random.chance(0.5) ? { matchLabels: { tier: 'frontend' } } : this.subjectFor(target),
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
          ports: [{ protocol: 'TCP', port: this.random.chance(0.5) ? 'http' : 8080 }],
        },
      ],
    });
  }

  /** In / NotIn / Exists / DoesNotExist in subject, namespace and pod selectors. */
  private matchExpressionsPolicy(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend', 'cache']);
    const tiers = this.random.sample<Tier>(['frontend', 'backend', 'db', 'cache'], 1 + this.random.int(2));
    const nsExpressions: Manifest[] = [
      { key: 'env', operator: 'NotIn', values: this.random.chance(0.5) ? ['dev'] : ['dev', 'staging'] },
    ];
    if (this.random.chance(0.5)) nsExpressions.push({ key: 'team', operator: 'Exists' });
    if (this.random.chance(0.4)) nsExpressions.push({ key: 'quarantine', operator: 'DoesNotExist' });
    if (this.random.chance(0.3))
      nsExpressions.push({
        key: 'team',
        operator: 'In',
        values: this.random.sample(TEAMS, 2 + this.random.int(3)),
      });
    const podExpressions: Manifest[] = [{ key: 'tier', operator: 'In', values: tiers }];
    if (this.random.chance(0.4)) podExpressions.push({ key: 'version', operator: 'NotIn', values: ['v2'] });
    if (this.random.chance(0.3)) podExpressions.push({ key: 'track', operator: 'DoesNotExist' });
    this.addPolicy(ns, 'allow-selected-tiers', {
      podSelector:
        target === undefined || this.random.chance(0.4)
          ? { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend', 'cache'] }] }
          : { matchLabels: appLabels(target), matchExpressions: [{ key: 'version', operator: 'Exists' }] },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: nsExpressions },
              podSelector: { matchExpressions: podExpressions },
            },
          ],
          ...optional('ports', this.portsFor(target, 0.5)),
        },
      ],
    });
  }

  private ipBlock(block: { cidr: string; except?: string[] }): Manifest {
    return { ipBlock: { cidr: block.cidr, ...(block.except !== undefined ? { except: block.except } : {}) } };
  }

  /** Egress to the internet but not to private ranges. */
  private egressInternet(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend', 'frontend']);
    const except = this.random.chance(0.7) ? PRIVATE_EXCEPT : ['10.0.0.0/8'];
    this.addPolicy(ns, 'allow-internet-egress', {
      podSelector: this.subjectFor(target, 0.3),
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ipBlock: { cidr: '0.0.0.0/0', except } }],
          ports: [
            { protocol: 'TCP', port: 443 },
            ...(this.random.chance(0.3) ? [{ protocol: 'TCP', port: 80 }] : []),
          ],
        },
      ],
    });
  }

  /** Ingress from partner and office ranges (IPv4), some with excepts. */
  private ingressFromCidrs(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['frontend', 'backend']);
    const blocks = this.random.sample(this.ipv4Blocks, 1 + this.random.int(3));
    const egress = this.random.chance(0.3);
    const rule = {
      [egress ? 'to' : 'from']: blocks.map((b) => this.ipBlock(b)),
      ...optional('ports', egress ? [{ protocol: 'TCP', port: 443 }] : this.portsFor(target)),
    };
    this.addPolicy(ns, egress ? 'allow-partner-egress' : 'allow-partner-ingress', {
      podSelector: this.subjectFor(target),
      policyTypes: [egress ? 'Egress' : 'Ingress'],
      [egress ? 'egress' : 'ingress']: [rule],
    });
  }

  private ipv6Policy(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['frontend', 'backend']);
    const block = this.random.pick(IPV6_BLOCKS);
    const egress = this.random.chance(0.5);
    this.addPolicy(ns, egress ? 'allow-v6-egress' : 'allow-v6-ingress', {
      podSelector: this.subjectFor(target),
      policyTypes: [egress ? 'Egress' : 'Ingress'],
      [egress ? 'egress' : 'ingress']: [
        { [egress ? 'to' : 'from']: [this.ipBlock(block)], ports: [{ protocol: 'TCP', port: 443 }] },
      ],
    });
  }

  /** Port ranges: NodePorts from the node network, an ephemeral range egress to another team. */
  private endPortRanges(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns);
    if (this.random.chance(0.5)) {
      this.addPolicy(ns, 'allow-nodeports', {
        podSelector: this.subjectFor(target),
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ ipBlock: { cidr: '10.0.0.0/16' } }],
            ports: [{ protocol: 'TCP', port: 30000, endPort: 32767 }],
          },
        ],
      });
      return;
    }
    const other = this.random.pick(this.allWorkloads);
    const first = 8000 + 100 * this.random.int(10);
    this.addPolicy(ns, 'allow-port-range-egress', {
      podSelector: this.subjectFor(target),
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { team: other.namespace.team } } }],
          ports: [
            { protocol: 'TCP', port: first, endPort: first + 99 },
            ...(this.random.chance(0.3) ? [{ protocol: 'UDP', port: 5000, endPort: 5100 }] : []),
          ],
        },
      ],
    });
  }

  /** A rule `{}`: allow all ingress to the public frontends. */
  private allowAllIngress(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['frontend']);
    this.addPolicy(ns, 'allow-all-ingress', {
      podSelector: this.subjectFor(target, 0.5),
      policyTypes: ['Ingress'],
      ingress: [{}],
    });
  }

  private allowAllEgress(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns);
    this.addPolicy(ns, 'allow-all-egress', {
      podSelector: this.subjectFor(target),
      policyTypes: ['Egress'],
      egress: [{}],
    });
  }

  /** backend → db/cache in the namespace, by named port (resolved at the destination). */
  private egressToDatastores(ns: NamespaceInfo): void {
    const source = this.workloadIn(ns, ['backend']);
    const store = this.workloadIn(ns, ['db', 'cache']);
    const to: Manifest[] = [
      {
        podSelector:
          store && this.random.chance(0.6)
            ? { matchLabels: appLabels(store) }
            : { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }] },
      },
    ];
    const ports = this.random.chance(0.6)
      ? this.random.sample(NAMED_DB_PORTS, 1 + this.random.int(3)).map((port) => ({ protocol: 'TCP', port }))
      : [
          { protocol: 'TCP', port: 5432 },
          { protocol: 'TCP', port: 6379 },
        ];
    // Written as an egress policy, or (as often) with both types in one.
    const both = this.random.chance(0.3);
    this.addPolicy(ns, 'allow-backend-to-datastores', {
      podSelector: this.subjectFor(source, 0.5),
      policyTypes: both ? ['Ingress', 'Egress'] : ['Egress'],
      ...(both
        ? {
            ingress: [
              {
                from: [{ podSelector: { matchLabels: { tier: 'frontend' } } }],
                ports: [{ port: 'http' }, { port: 'grpc' }],
              },
            ],
          }
        : {}),
      egress: [{ to, ports }],
    });
  }

  private sctpPolicy(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend']);
    const other = this.random.pick(this.allWorkloads);
    this.addPolicy(ns, 'allow-sctp-signalling', {
      podSelector: this.subjectFor(target, 0),
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { env: other.namespace.env } },
              podSelector: { matchLabels: { tier: 'backend' } },
            },
          ],
          ports: [{ protocol: 'SCTP', port: this.random.chance(0.5) ? 36412 : 'sctp-sig' }],
        },
      ],
    });
  }

  /** Egress to the API server address (a /32) and the cloud metadata endpoint, with policyTypes left out. */
  private egressApiServer(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend']);
    this.addPolicy(ns, 'allow-apiserver', {
      podSelector: this.subjectFor(target),
      egress: [
        {
          to: [{ ipBlock: { cidr: '10.96.0.1/32' } }, { ipBlock: { cidr: '10.0.0.0/16' } }],
          ports: [
            { protocol: 'TCP', port: 443 },
            { protocol: 'TCP', port: 6443 },
          ],
        },
        ...(this.random.chance(0.2)
          ? [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ port: 80 }] }]
          : []),
      ],
    });
  }

  /** Canary pods (version v2) reachable only from the gateway. */
  private canaryPolicy(ns: NamespaceInfo): void {
    const target = this.workloadIn(ns, ['backend', 'frontend']);
    this.addPolicy(ns, 'allow-canary', {
      podSelector: target
        ? { matchLabels: { ...appLabels(target), version: 'v2' } }
        : { matchLabels: { version: 'v2' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { app: 'gateway' } } },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          ],
          ...optional('ports', this.portsFor(target)),
        },
      ],
    });
  }
}

/** The labels that identify a workload's app: `app`, or the system labels of CoreDNS and the ingress controller. */
function appLabels(w: WorkloadInfo): Record<string, string> {
  if (w.labels['app'] !== undefined) return { app: w.labels['app'] };
  if (w.labels['k8s-app'] !== undefined) return { 'k8s-app': w.labels['k8s-app'] };
  return { 'app.kubernetes.io/name': w.labels['app.kubernetes.io/name'] ?? w.app };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** Writes a cluster as compact JSON (the fastest form to load), creating the directory. */
export function writeCluster(path: string, cluster: ManifestList): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(cluster));
}
