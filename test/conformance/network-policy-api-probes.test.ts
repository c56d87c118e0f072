// Replays the probe expectations of upstream network-policy-api conformance tests (conformance/tests/*.go) against our engine.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import type { Protocol } from '../../src/core/model/port-set.js';
import { loadCluster } from '../../src/k8s/load-cluster.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const ROOT = sharedPath('conformance', 'network-policy-api');
/** `s.HostNetworkPorts` of upstream's suite, as v0.1.7's manifests spell them out. */
const HOST_NETWORK_PORTS = [36363, 36364, 34345, 34358, 34346, 34357, 9003, 9005];

type Version = 'v0.1.7' | 'HEAD';
const VERSION_DIR: Record<Version, string> = { 'v0.1.7': 'conformance-v0.1.7', HEAD: 'conformance-HEAD' };
const TIER_DIR: Record<Version, Record<'admin' | 'baseline' | 'integration', string>> = {
  'v0.1.7': {
    admin: 'admin_network_policy',
    baseline: 'baseline_admin_network_policy',
    integration: 'api_integration',
  },
  HEAD: { admin: 'admin_tier', baseline: 'baseline_tier', integration: 'api_integration' },
};

/** Upstream's pods: StatefulSet replicas, `-0` and `-1`; replicas of one StatefulSet are one workload here. */
const PODS = {
  H0: ['gryffindor', 'harry-potter'],
  H1: ['gryffindor', 'harry-potter'],
  L0: ['ravenclaw', 'luna-lovegood'],
  L1: ['ravenclaw', 'luna-lovegood'],
  C0: ['hufflepuff', 'cedric-diggory'],
  C1: ['hufflepuff', 'cedric-diggory'],
  D0: ['slytherin', 'draco-malfoy'],
  D1: ['slytherin', 'draco-malfoy'],
} as const;
type Pod = keyof typeof PODS;
type Proto = 'tcp' | 'udp' | 'sctp';
/** One `kubernetes.PokeServer` call: client pod, server pod, protocol, port, whether it must connect. */
type Probe = readonly [src: Pod, dst: Pod, proto: Proto, port: number, allowed: boolean];

type Doc = Record<string, unknown>;
interface Ctx {
  readonly version: Version;
  readonly docs: Doc[];
}
type Mutation = (ctx: Ctx) => void;

interface State {
  /** The upstream subtest(s) whose probes run in this state. */
  readonly subtests: string;
  /** Applied on top of the previous state's policies (upstream patches accumulate within a test). */
  readonly mutate?: Mutation;
  readonly probes: readonly Probe[];
  /** Probes only HEAD's version of the test makes. */
  readonly headProbes?: readonly Probe[];
  /** Probes of this state that cannot be checked offline, and why. */
  readonly uncheckable?: { readonly count: number; readonly reason: string };
}

interface Scenario {
  /** Upstream ShortName (v1alpha1 name; HEAD's is the CNP* counterpart). */
  readonly test: string;
  readonly tier: 'admin' | 'baseline' | 'integration';
  readonly file: string;
  readonly states: readonly State[];
}

// ---- policy patches, as the Go tests make them ----

const ADMIN_KINDS = new Set(['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy']);

function spec(ctx: Ctx, name: string): Record<string, unknown> {
  const doc = ctx.docs.find(
    (d) => ADMIN_KINDS.has(String(d['kind'])) && (d['metadata'] as Doc | undefined)?.['name'] === name,
  );
  if (!doc) throw new Error(`no admin policy ${name}`);
  return doc['spec'] as Record<string, unknown>;
}

function rules(ctx: Ctx, name: string, dir: 'ingress' | 'egress'): Doc[] {
  const list = spec(ctx, name)[dir];
  if (!Array.isArray(list)) throw new Error(`${name} has no ${dir} rules`);
  return list as Doc[];
}

/** Swaps rules i and j, in each direction given. */
function swap(name: string, dirs: readonly ('ingress' | 'egress')[], i: number, j: number): Mutation {
  return (ctx) => {
    for (const dir of dirs) {
      const list = rules(ctx, name, dir);
      const a = list[i];
      const b = list[j];
      if (!a || !b) throw new Error(`${name} ${dir} has no rule ${i} or ${j}`);
      list[i] = b;
      list[j] = a;
    }
  };
}

function setAction(name: string, dir: 'ingress' | 'egress', i: number, action: string): Mutation {
  return (ctx) => {
    const rule = rules(ctx, name, dir)[i];
    if (!rule) throw new Error(`${name} ${dir} has no rule ${i}`);
    rule['action'] = action;
  };
}

function setPriority(name: string, priority: number): Mutation {
  return (ctx) => {
    spec(ctx, name)['priority'] = priority;
  };
}

/** Replaces a rule's ports with a single named port (v1alpha1 `ports.namedPort`, v1alpha2 `destinationNamedPort`). */
function namedPort(name: string, dir: 'ingress' | 'egress', i: number, port: string): Mutation {
  return (ctx) => {
    const rule = rules(ctx, name, dir)[i];
    if (!rule) throw new Error(`${name} ${dir} has no rule ${i}`);
    delete rule['ports'];
    delete rule['protocols'];
    if (ctx.version === 'v0.1.7') rule['ports'] = [{ namedPort: port }];
    else rule['protocols'] = [{ destinationNamedPort: port }];
  };
}

function deleteNetworkPolicy(namespace: string, name: string): Mutation {
  return (ctx) => {
    const at = ctx.docs.findIndex((d) => {
      const meta = d['metadata'] as Doc | undefined;
      return d['kind'] === 'NetworkPolicy' && meta?.['name'] === name && meta['namespace'] === namespace;
    });
    if (at < 0) throw new Error(`no NetworkPolicy ${namespace}/${name}`);
    ctx.docs.splice(at, 1);
  };
}

// ---- the probes ----

const T = true;
const F = false;

const NODE_PEER_REASON =
  'the server is centaur-1, a hostNetwork pod probed on host-network ports: the rules match it through `nodes` peers ' +
  '(node addresses), and manifests carry no nodes or node IPs';
const POD_IP_REASON =
  "the patched rule allows `networks` [luna-lovegood-0's IP/32, cedric-diggory-0's IP/32]: manifests carry no pod IPs, " +
  'and the -0 and -1 replicas the probes tell apart are one workload offline';

/** Egress/ingress-tcp|udp|sctp admin tests: allow/deny ordering, then swaps (0,1), (0,2), (3,4). */
const GRESS_S0: readonly Probe[] = [
  ['H0', 'L0', 'tcp', 80, T],
  ['H1', 'L0', 'udp', 53, T],
  ['H0', 'L0', 'sctp', 9003, T],
  ['L0', 'H0', 'tcp', 80, T],
  ['L1', 'H0', 'udp', 53, T],
  ['L1', 'H0', 'sctp', 9003, T],
  ['H0', 'C1', 'tcp', 8080, T],
  ['H1', 'C1', 'tcp', 80, F],
  ['H0', 'C1', 'udp', 5353, T],
  ['H1', 'C1', 'udp', 53, F],
  ['H0', 'C1', 'sctp', 9003, T],
  ['H1', 'C1', 'sctp', 9005, F],
  ['C0', 'H1', 'tcp', 80, T],
  ['C1', 'H1', 'tcp', 8080, F],
  ['C0', 'H1', 'udp', 5353, T],
  ['C1', 'H1', 'udp', 53, F],
  ['C0', 'H1', 'sctp', 9003, T],
  ['C1', 'H1', 'sctp', 9005, F],
];
const GRESS_S1: readonly Probe[] = [
  ['H0', 'L1', 'tcp', 80, F],
  ['H1', 'L1', 'udp', 53, F],
  ['H0', 'L1', 'sctp', 9003, F],
  ['L0', 'H1', 'tcp', 80, F],
  ['L1', 'H1', 'udp', 53, F],
  ['L1', 'H1', 'sctp', 9003, F],
  ['H0', 'D0', 'tcp', 80, F],
  ['H1', 'D0', 'tcp', 8080, T],
  ['H0', 'D0', 'udp', 53, F],
  ['H1', 'D0', 'udp', 5353, T],
  ['H0', 'D0', 'sctp', 9003, F],
  ['H1', 'D0', 'sctp', 9005, T],
  ['D0', 'H0', 'tcp', 80, F],
  ['D1', 'H0', 'tcp', 8080, T],
  ['D0', 'H0', 'udp', 53, F],
  ['D1', 'H0', 'udp', 5353, T],
  ['D0', 'H0', 'sctp', 9003, F],
  ['D1', 'H0', 'sctp', 9005, T],
];
const INLINE_CIDR_DENY: readonly Probe[] = (['L0', 'C0', 'D0'] as const).flatMap((dst) =>
  (
    [
      ['tcp', 80],
      ['udp', 53],
      ['sctp', 9003],
    ] as const
  ).map(([proto, port]): Probe => ['H1', dst, proto, port, dst === 'D0']),
);
const BOTH = ['ingress', 'egress'] as const;

// Each upstream ConformanceTest applies base/manifests.yaml plus one policy file, then pokes servers from client
// pods, patching the policy between subtests; patches accumulate, so every state between two patches is a case
// here, built from the manifest with all earlier patches applied. The probe lists were read from the upstream Go
// sources as stored (v1alpha1 versions for v0.1.7 where the store has them, v1alpha2 otherwise); the two suites
// probe the same pairs, HEAD adds "should not affect the other direction" steps to the ingress-tcp and
// baseline egress-tcp tests. Probes that need node addresses or pod IPs, which manifests lack, are listed as not
// checkable, with the reason, and counted in the summary line.
const SCENARIOS: readonly Scenario[] = [
  {
    test: 'AdminNetworkPolicyEgressTCP',
    tier: 'admin',
    file: 'standard-egress-tcp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress ordering; allow-egress at port',
        probes: [
          ['H0', 'L0', 'tcp', 80, T],
          ['H1', 'L0', 'tcp', 8080, T],
          ['H0', 'C1', 'tcp', 8080, T],
          ['H1', 'C1', 'tcp', 80, F],
        ],
      },
      {
        subtests: 'deny-egress ordering (swap 0,1); deny-egress at port',
        mutate: swap('egress-tcp', ['egress'], 0, 1),
        probes: [
          ['H0', 'L1', 'tcp', 80, F],
          ['H1', 'L1', 'tcp', 8080, F],
          ['H0', 'D0', 'tcp', 80, F],
          ['H1', 'D0', 'tcp', 8080, T],
        ],
      },
      {
        subtests: 'pass-egress ordering (swap 0,2)',
        mutate: swap('egress-tcp', ['egress'], 0, 2),
        probes: [
          ['H0', 'L0', 'tcp', 80, T],
          ['H1', 'L0', 'tcp', 8080, T],
        ],
      },
      {
        subtests: 'pass-egress at port (swap 3,4)',
        mutate: swap('egress-tcp', ['egress'], 3, 4),
        probes: [
          ['H0', 'D0', 'tcp', 80, T],
          ['H1', 'D0', 'tcp', 8080, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyEgressNamedPort',
    tier: 'admin',
    file: 'standard-egress-tcp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress for named port (egress[5] -> web)',
        mutate: namedPort('egress-tcp', 'egress', 5, 'web'),
        probes: [
          ['H0', 'C1', 'tcp', 80, T],
          ['H1', 'C1', 'tcp', 8080, F],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyEgressUDP',
    tier: 'admin',
    file: 'standard-egress-udp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress ordering; allow-egress at port',
        probes: [
          ['C0', 'L0', 'udp', 53, T],
          ['C1', 'L0', 'udp', 5353, T],
          ['C0', 'H1', 'udp', 53, T],
          ['C1', 'H1', 'udp', 5353, F],
        ],
      },
      {
        subtests: 'deny-egress ordering (swap 0,1); deny-egress at port',
        mutate: swap('egress-udp', ['egress'], 0, 1),
        probes: [
          ['C0', 'L1', 'udp', 53, F],
          ['C1', 'L1', 'udp', 5353, F],
          ['C0', 'D0', 'udp', 5353, F],
          ['C1', 'D0', 'udp', 53, T],
        ],
      },
      {
        subtests: 'pass-egress ordering (swap 0,2)',
        mutate: swap('egress-udp', ['egress'], 0, 2),
        probes: [
          ['C0', 'L1', 'udp', 5353, T],
          ['C1', 'L1', 'udp', 53, T],
        ],
      },
      {
        subtests: 'pass-egress at port (swap 3,4)',
        mutate: swap('egress-udp', ['egress'], 3, 4),
        probes: [
          ['C0', 'D0', 'udp', 5353, T],
          ['C1', 'D0', 'udp', 53, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyEgressSCTP',
    tier: 'admin',
    file: 'standard-egress-sctp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress ordering; allow-egress at port',
        probes: [
          ['L0', 'H0', 'sctp', 9003, T],
          ['L1', 'H0', 'sctp', 9005, T],
          ['L0', 'C1', 'sctp', 9003, T],
          ['L1', 'C1', 'sctp', 9005, F],
        ],
      },
      {
        subtests: 'deny-egress ordering (swap 0,1); deny-egress at port',
        mutate: swap('egress-sctp', ['egress'], 0, 1),
        probes: [
          ['L0', 'H1', 'sctp', 9003, F],
          ['L1', 'H1', 'sctp', 9005, F],
          ['L0', 'D0', 'sctp', 9003, F],
          ['L1', 'D0', 'sctp', 9005, T],
        ],
      },
      {
        subtests: 'pass-egress ordering (swap 0,2)',
        mutate: swap('egress-sctp', ['egress'], 0, 2),
        probes: [
          ['L0', 'H1', 'sctp', 9003, T],
          ['L1', 'H1', 'sctp', 9005, T],
        ],
      },
      {
        subtests: 'pass-egress at port (swap 3,4)',
        mutate: swap('egress-sctp', ['egress'], 3, 4),
        probes: [
          ['L0', 'D0', 'sctp', 9003, T],
          ['L1', 'D0', 'sctp', 9005, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyIngressTCP',
    tier: 'admin',
    file: 'standard-ingress-tcp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress ordering; allow-ingress at port; (HEAD) egress unaffected',
        probes: [
          ['L0', 'H0', 'tcp', 80, T],
          ['L1', 'H0', 'tcp', 8080, T],
          ['C0', 'H1', 'tcp', 80, T],
          ['C1', 'H1', 'tcp', 8080, F],
        ],
        headProbes: [
          ['H0', 'L0', 'tcp', 80, T],
          ['H1', 'D0', 'tcp', 80, T],
        ],
      },
      {
        subtests: 'deny-ingress ordering (swap 0,1); deny-ingress at port',
        mutate: swap('ingress-tcp', ['ingress'], 0, 1),
        probes: [
          ['L0', 'H1', 'tcp', 80, F],
          ['L1', 'H1', 'tcp', 8080, F],
          ['D0', 'H0', 'tcp', 80, F],
          ['D1', 'H0', 'tcp', 8080, T],
        ],
      },
      {
        subtests: 'pass-ingress ordering (swap 0,2)',
        mutate: swap('ingress-tcp', ['ingress'], 0, 2),
        probes: [
          ['L0', 'H0', 'tcp', 80, T],
          ['L1', 'H0', 'tcp', 8080, T],
        ],
      },
      {
        subtests: 'pass-ingress at port (swap 3,4)',
        mutate: swap('ingress-tcp', ['ingress'], 3, 4),
        probes: [
          ['D0', 'H0', 'tcp', 80, T],
          ['D1', 'H0', 'tcp', 8080, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyIngressUDP',
    tier: 'admin',
    file: 'standard-ingress-udp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress ordering; allow-ingress at port',
        probes: [
          ['L0', 'C0', 'udp', 53, T],
          ['L1', 'C0', 'udp', 5353, T],
          ['H0', 'C1', 'udp', 53, T],
          ['H1', 'C1', 'udp', 5353, F],
        ],
      },
      {
        subtests: 'deny-ingress ordering (swap 0,1); deny-ingress at port',
        mutate: swap('ingress-udp', ['ingress'], 0, 1),
        probes: [
          ['L0', 'C1', 'udp', 53, F],
          ['L1', 'C1', 'udp', 5353, F],
          ['D0', 'C0', 'udp', 5353, F],
          ['D1', 'C0', 'udp', 53, T],
        ],
      },
      {
        subtests: 'pass-ingress ordering (swap 0,2)',
        mutate: swap('ingress-udp', ['ingress'], 0, 2),
        probes: [
          ['L0', 'C1', 'udp', 5353, T],
          ['L1', 'C1', 'udp', 53, T],
        ],
      },
      {
        subtests: 'pass-ingress at port (swap 3,4)',
        mutate: swap('ingress-udp', ['ingress'], 3, 4),
        probes: [
          ['D0', 'C0', 'udp', 5353, T],
          ['D1', 'C0', 'udp', 53, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyIngressNamedPort',
    tier: 'admin',
    file: 'standard-ingress-udp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress for named port (ingress[5] -> dns)',
        mutate: namedPort('ingress-udp', 'ingress', 5, 'dns'),
        probes: [
          ['H0', 'C1', 'udp', 53, T],
          ['H1', 'C1', 'udp', 5353, F],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyIngressSCTP',
    tier: 'admin',
    file: 'standard-ingress-sctp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress ordering; allow-ingress at port',
        probes: [
          ['H0', 'L0', 'sctp', 9003, T],
          ['H1', 'L0', 'sctp', 9005, T],
          ['C0', 'L1', 'sctp', 9003, T],
          ['C1', 'L1', 'sctp', 9005, F],
        ],
      },
      {
        subtests: 'deny-ingress ordering (swap 0,1); deny-ingress at port',
        mutate: swap('ingress-sctp', ['ingress'], 0, 1),
        probes: [
          ['H0', 'L1', 'sctp', 9003, F],
          ['H1', 'L1', 'sctp', 9005, F],
          ['D0', 'L0', 'sctp', 9003, F],
          ['D1', 'L0', 'sctp', 9005, T],
        ],
      },
      {
        subtests: 'pass-ingress ordering (swap 0,2)',
        mutate: swap('ingress-sctp', ['ingress'], 0, 2),
        probes: [
          ['H0', 'L1', 'sctp', 9003, T],
          ['H1', 'L1', 'sctp', 9005, T],
        ],
      },
      {
        subtests: 'pass-ingress at port (swap 3,4)',
        mutate: swap('ingress-sctp', ['ingress'], 3, 4),
        probes: [
          ['D0', 'L0', 'sctp', 9003, T],
          ['D1', 'L0', 'sctp', 9005, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyGress',
    tier: 'admin',
    file: 'standard-gress-rules-combined.yaml',
    states: [
      { subtests: 'allow-gress across protocols; allow-gress at ports', probes: GRESS_S0 },
      {
        subtests: 'deny-gress across protocols (swap 0,1 both ways); deny-gress at ports',
        mutate: swap('gress-rules', BOTH, 0, 1),
        probes: GRESS_S1,
      },
      {
        subtests: 'pass-gress across protocols (swap 0,2 both ways)',
        mutate: swap('gress-rules', BOTH, 0, 2),
        probes: [
          ['H0', 'L0', 'tcp', 80, T],
          ['H0', 'L0', 'udp', 5353, T],
          ['H0', 'L0', 'sctp', 9003, T],
          ['L0', 'H0', 'tcp', 80, T],
          ['L1', 'H0', 'udp', 53, T],
          ['L1', 'H0', 'sctp', 9003, T],
        ],
      },
      {
        subtests: 'pass-gress at ports (swap 3,4 both ways)',
        mutate: swap('gress-rules', BOTH, 3, 4),
        probes: [
          ['H0', 'D0', 'tcp', 80, T],
          ['H1', 'D0', 'tcp', 8080, T],
          ['H0', 'D0', 'udp', 53, T],
          ['H1', 'D0', 'udp', 5353, T],
          ['H0', 'D0', 'sctp', 9003, T],
          ['H1', 'D0', 'sctp', 9005, T],
          ['D0', 'H0', 'tcp', 80, T],
          ['D1', 'H0', 'tcp', 8080, T],
          ['D0', 'H0', 'udp', 53, T],
          ['D1', 'H0', 'udp', 5353, T],
          ['D0', 'H0', 'sctp', 9003, T],
          ['D1', 'H0', 'sctp', 9005, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyEgressInlineCIDRPeers',
    tier: 'admin',
    file: 'standard-egress-inline-cidr-rules.yaml',
    states: [
      // The deny rule's networks are 0.0.0.0/0 and ::/0: they cover every address, pod addresses included, so
      // pods without a known IP are matched too.
      { subtests: 'deny-egress for egress-cidr-peer', probes: INLINE_CIDR_DENY },
      {
        subtests: 'allow-egress for egress-cidr-peer (rule inserted at 0 with two pod IPs)',
        probes: [],
        uncheckable: { count: 12, reason: POD_IP_REASON },
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyPriorityField',
    tier: 'admin',
    file: 'standard-priority-field.yaml',
    states: [
      {
        subtests: 'deny from slytherin; deny to slytherin (priority 50 beats 60)',
        probes: [
          ['D0', 'H0', 'tcp', 80, F],
          ['D1', 'H0', 'tcp', 8080, F],
          ['H0', 'D0', 'tcp', 80, F],
          ['H1', 'D0', 'tcp', 8080, F],
        ],
      },
      {
        subtests: 'priority 60 -> 40: Pass to the baseline, which allows',
        mutate: setPriority('old-priority-60-new-priority-40-example', 40),
        probes: [
          ['D0', 'H0', 'tcp', 80, T],
          ['D1', 'H0', 'tcp', 8080, T],
          ['H0', 'D0', 'tcp', 80, T],
          ['H1', 'D0', 'tcp', 8080, T],
        ],
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyEgressNodePeers',
    tier: 'admin',
    file: 'experimental-egress-selector-rules.yaml',
    states: [
      {
        subtests: 'allow/pass/deny-egress for egress-node-peer',
        probes: [],
        uncheckable: { count: 5, reason: NODE_PEER_REASON },
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyEgressTCP',
    tier: 'baseline',
    file: 'standard-egress-tcp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress ordering; allow-egress at port; (HEAD) ingress unaffected',
        probes: [
          ['H0', 'L0', 'tcp', 80, T],
          ['H1', 'L0', 'tcp', 8080, T],
          ['H0', 'C1', 'tcp', 8080, T],
          ['H1', 'C1', 'tcp', 80, F],
        ],
        headProbes: [
          ['L0', 'H0', 'tcp', 80, T],
          ['D0', 'H1', 'tcp', 80, T],
        ],
      },
      {
        subtests: 'deny-egress ordering (swap 0,1); deny-egress at port',
        mutate: swap('default', ['egress'], 0, 1),
        probes: [
          ['H0', 'L1', 'tcp', 80, F],
          ['H1', 'L1', 'tcp', 8080, F],
          ['H0', 'D0', 'tcp', 80, F],
          ['H1', 'D0', 'tcp', 8080, T],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyEgressUDP',
    tier: 'baseline',
    file: 'standard-egress-udp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress ordering; allow-egress at port',
        probes: [
          ['C0', 'L0', 'udp', 53, T],
          ['C1', 'L0', 'udp', 5353, T],
          ['C0', 'H1', 'udp', 53, T],
          ['C1', 'H1', 'udp', 5353, F],
        ],
      },
      {
        subtests: 'deny-egress ordering (swap 0,1); deny-egress at port',
        mutate: swap('default', ['egress'], 0, 1),
        probes: [
          ['C0', 'L1', 'udp', 53, F],
          ['C1', 'L1', 'udp', 5353, F],
          ['C0', 'D0', 'udp', 5353, F],
          ['C1', 'D0', 'udp', 53, T],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyEgressNamedPort',
    tier: 'baseline',
    file: 'standard-egress-udp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress for named port (egress[3] -> dns)',
        mutate: namedPort('default', 'egress', 3, 'dns'),
        probes: [
          ['C0', 'H1', 'udp', 53, T],
          ['C1', 'H1', 'udp', 5353, F],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyEgressSCTP',
    tier: 'baseline',
    file: 'standard-egress-sctp-rules.yaml',
    states: [
      {
        subtests: 'allow-egress ordering; allow-egress at port',
        probes: [
          ['L0', 'H0', 'sctp', 9003, T],
          ['L1', 'H0', 'sctp', 9005, T],
          ['L0', 'C1', 'sctp', 9003, T],
          ['L1', 'C1', 'sctp', 9005, F],
        ],
      },
      {
        subtests: 'deny-egress ordering (swap 0,1); deny-egress at port',
        mutate: swap('default', ['egress'], 0, 1),
        probes: [
          ['L0', 'H1', 'sctp', 9003, F],
          ['L1', 'H1', 'sctp', 9005, F],
          ['L0', 'D0', 'sctp', 9003, F],
          ['L1', 'D0', 'sctp', 9005, T],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyIngressTCP',
    tier: 'baseline',
    file: 'standard-ingress-tcp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress ordering; allow-ingress at port; (HEAD) egress unaffected',
        probes: [
          ['L0', 'H0', 'tcp', 80, T],
          ['L1', 'H0', 'tcp', 8080, T],
          ['C0', 'H1', 'tcp', 80, T],
          ['C1', 'H1', 'tcp', 8080, F],
        ],
        headProbes: [
          ['H0', 'L0', 'tcp', 80, T],
          ['H1', 'D0', 'tcp', 80, T],
        ],
      },
      {
        subtests: 'deny-ingress ordering (swap 0,1); deny-ingress at port',
        mutate: swap('default', ['ingress'], 0, 1),
        probes: [
          ['L0', 'H1', 'tcp', 80, F],
          ['L1', 'H1', 'tcp', 8080, F],
          ['D0', 'H0', 'tcp', 80, F],
          ['D1', 'H0', 'tcp', 8080, T],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyIngressNamedPort',
    tier: 'baseline',
    file: 'standard-ingress-tcp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress for named port (ingress[3] -> web)',
        mutate: namedPort('default', 'ingress', 3, 'web'),
        probes: [
          ['C0', 'H1', 'tcp', 80, T],
          ['C1', 'H1', 'tcp', 8080, F],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyIngressUDP',
    tier: 'baseline',
    file: 'standard-ingress-udp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress ordering; allow-ingress at port',
        probes: [
          ['L0', 'C0', 'udp', 53, T],
          ['L1', 'C0', 'udp', 5353, T],
          ['H0', 'C1', 'udp', 53, T],
          ['H1', 'C1', 'udp', 5353, F],
        ],
      },
      {
        subtests: 'deny-ingress ordering (swap 0,1); deny-ingress at port',
        mutate: swap('default', ['ingress'], 0, 1),
        probes: [
          ['L0', 'C1', 'udp', 53, F],
          ['L1', 'C1', 'udp', 5353, F],
          ['D0', 'C0', 'udp', 5353, F],
          ['D1', 'C0', 'udp', 53, T],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyIngressSCTP',
    tier: 'baseline',
    file: 'standard-ingress-sctp-rules.yaml',
    states: [
      {
        subtests: 'allow-ingress ordering; allow-ingress at port',
        probes: [
          ['H0', 'L0', 'sctp', 9003, T],
          ['H1', 'L0', 'sctp', 9005, T],
          ['C0', 'L1', 'sctp', 9003, T],
          ['C1', 'L1', 'sctp', 9005, F],
        ],
      },
      {
        subtests: 'deny-ingress ordering (swap 0,1); deny-ingress at port',
        mutate: swap('default', ['ingress'], 0, 1),
        probes: [
          ['H0', 'L1', 'sctp', 9003, F],
          ['H1', 'L1', 'sctp', 9005, F],
          ['D0', 'L0', 'sctp', 9003, F],
          ['D1', 'L0', 'sctp', 9005, T],
        ],
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyGress',
    tier: 'baseline',
    file: 'standard-gress-rules-combined.yaml',
    states: [
      { subtests: 'allow-gress across protocols; allow-gress at ports', probes: GRESS_S0 },
      {
        subtests: 'deny-gress across protocols (swap 0,1 both ways); deny-gress at ports',
        mutate: swap('default', BOTH, 0, 1),
        probes: GRESS_S1,
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyEgressInlineCIDRPeers',
    tier: 'baseline',
    file: 'standard-egress-inline-cidr-rules.yaml',
    states: [
      { subtests: 'deny-egress for egress-cidr-peer', probes: INLINE_CIDR_DENY },
      {
        subtests: 'allow-egress for egress-cidr-peer (rule inserted at 0 with two pod IPs)',
        probes: [],
        uncheckable: { count: 12, reason: POD_IP_REASON },
      },
    ],
  },
  {
    test: 'BaselineAdminNetworkPolicyEgressNodePeers',
    tier: 'baseline',
    file: 'experimental-egress-selector-rules.yaml',
    states: [
      {
        subtests: 'allow/deny-egress for egress-node-peer',
        probes: [],
        uncheckable: { count: 4, reason: NODE_PEER_REASON },
      },
    ],
  },
  {
    test: 'AdminNetworkPolicyIntegration',
    tier: 'integration',
    file: 'standard-anp-np-banp.yaml',
    states: [
      {
        subtests: 'deny from slytherin; deny to slytherin (admin Deny beats the NetworkPolicy)',
        probes: [
          ['D0', 'H0', 'tcp', 80, F],
          ['D1', 'H0', 'tcp', 8080, F],
          ['H0', 'D0', 'tcp', 80, F],
          ['H1', 'D0', 'tcp', 8080, F],
        ],
      },
      {
        subtests: 'pass-ingress to the NetworkPolicy (ingress[0] Deny -> Pass)',
        mutate: setAction('pass-example', 'ingress', 0, 'Pass'),
        probes: [
          ['D0', 'H0', 'tcp', 80, T],
          ['D1', 'H0', 'tcp', 8080, T],
        ],
      },
      {
        subtests: 'pass-egress to the NetworkPolicy (egress[0] Deny -> Pass)',
        mutate: setAction('pass-example', 'egress', 0, 'Pass'),
        probes: [
          ['H0', 'D0', 'tcp', 80, T],
          ['H1', 'D0', 'tcp', 8080, T],
        ],
      },
      {
        subtests: 'pass-ingress/egress to the baseline (NetworkPolicy deleted)',
        mutate: deleteNetworkPolicy(
          'network-policy-conformance-gryffindor',
          'allow-gress-from-to-slytherin-to-gryffindor',
        ),
        probes: [
          ['D0', 'H0', 'tcp', 80, F],
          ['D1', 'H0', 'tcp', 8080, F],
          ['H0', 'D0', 'tcp', 80, F],
          ['H1', 'D0', 'tcp', 8080, F],
        ],
      },
    ],
  },
];

// ---- running them ----

function render(text: string): string {
  return text.replace(/\{\{\s*index \.HostNetworkPorts (\d+)\s*\}\}/g, (_, i: string) => {
    const port = HOST_NETWORK_PORTS[Number(i)];
    if (port === undefined) throw new Error(`no host network port ${i}`);
    return String(port);
  });
}

function workloadId(pod: Pod): string {
  const [house, name] = PODS[pod];
  return `network-policy-conformance-${house}/${name}[StatefulSet]`;
}

function protocol(proto: Proto): Protocol {
  return proto.toUpperCase() as Protocol;
}

const tally = { matched: 0, total: 0, scenarios: 0, uncheckable: new Map<string, number>() };

const available = sharedAvailable();

describe.skipIf(!available)('network-policy-api conformance probes', () => {
  afterAll(() => {
    const skipped = [...tally.uncheckable.values()].reduce((a, b) => a + b, 0);
    const reasons = [...tally.uncheckable].map(([reason, n]) => `${n}: ${reason}`).join('; ');
    console.log(
      `network-policy-api probes: ${tally.matched}/${tally.total} probe expectations matched ` +
        `(${tally.scenarios} scenarios; ${skipped} probes not checkable offline: ${reasons})`,
    );
  });

  for (const version of ['v0.1.7', 'HEAD'] as const) {
    const base = join(ROOT, VERSION_DIR[version], 'conformance', 'base');
    for (const scenario of SCENARIOS) {
      const rel = join(TIER_DIR[version][scenario.tier], scenario.file);
      describe(`${version} ${scenario.test} (${rel})`, () => {
        // One context per scenario: states run in order and patches accumulate, as upstream's subtests do.
        let ctx: Ctx | undefined;
        let counted = false;
        const baseText = available ? render(readFileSync(join(base, 'manifests.yaml'), 'utf8')) : '';

        scenario.states.forEach((state, index) => {
          it(`state ${index}: ${state.subtests}`, () => {
            if (!counted) {
              tally.scenarios++;
              counted = true;
            }
            if (state.uncheckable) {
              const { count, reason } = state.uncheckable;
              tally.uncheckable.set(reason, (tally.uncheckable.get(reason) ?? 0) + count);
            }
            const policyText = render(readFileSync(join(base, rel), 'utf8'));
            ctx ??= {
              version,
              docs: parseAllDocuments(policyText)
                .map((d) => d.toJS() as Doc | null)
                .filter((d): d is Doc => d !== null),
            };
            state.mutate?.(ctx);
            const probes = [...state.probes, ...(version === 'HEAD' ? (state.headProbes ?? []) : [])];
            if (probes.length === 0) return;

            const text = ctx.docs.map((d) => stringify(d)).join('---\n');
            const { cluster, diagnostics } = loadCluster([
              { name: 'manifests.yaml', text: baseText },
              { name: rel, text },
            ]);
            expect(diagnostics).toEqual([]);
            const model = Connectivity.build(cluster, { ipBlockPods: 'match' });
            const index = new Map(cluster.workloads.map((w, i) => [w.id, i]));
            const at = (pod: Pod): number => {
              const i = index.get(workloadId(pod));
              if (i === undefined) throw new Error(`no workload ${workloadId(pod)}`);
              return i;
            };

            const mismatches: string[] = [];
            for (const [src, dst, proto, port, allowed] of probes) {
              const ours = model.between(at(src), at(dst)).allows(protocol(proto), port);
              tally.total++;
              if (ours === allowed) tally.matched++;
              else
                mismatches.push(
                  `${src} -> ${dst} ${proto}/${port}: upstream expects ${allowed ? 'allowed' : 'denied'}, ours ${ours ? 'allowed' : 'denied'}`,
                );
            }
            expect(mismatches).toEqual([]);
          });
        });
      });
    }
  }
});
