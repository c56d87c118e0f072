// How the agent's reconcile scales with the number of containers on one host, in process: a synthetic Docker
// inventory (Compose projects with replicated services) mapped the way `bulkhead agent` maps Docker's answers, the
// agent's own reconcile with nft and conntrack replaced by recorders, and one container start and stop measured at
// each size. What it measures is everything the agent computes between Docker's event and the nft transaction
// (mapping, model, plan, delta); the transaction itself (about 20 ms for a start, BENCHMARKS.md (g)) and reading
// Docker (about 6 ms, (h)) come on top. No root, no Docker.
//
// npm run bench:agent-scale -- [--sizes 500,2000,5000] [--repeat 7] [--shape projects|interleaved]
// projects: Compose projects of five services with replicas and their own policies (a host with thousands of
// containers); interleaved: one network, clients and servers alternating by address (bench:agent's worst case).

import { writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Agent, type DesiredInput } from '../src/agent/agent.js';
import { combineLoads } from '../src/compose/combine.js';
import type { DockerContainer, DockerNetwork } from '../src/docker/engine-client.js';
import { DockerInventoryMapping } from '../src/docker/inventory.js';
import { loadCluster } from '../src/k8s/load-cluster.js';
import { AddressSet, formatAddress, parseCidr } from '../src/core/model/address-set.js';
import {
  INTERLEAVED_NAMESPACE,
  INTERLEAVED_POLICIES,
  PER_PROJECT,
  REPLICAS,
  SERVICES,
  projectPolicies,
} from './agent-hosts.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const sizes = option('--sizes', '500,2000,5000').split(',').map(Number);
const repeat = Number(option('--repeat', '7'));
const shape = option('--shape', 'projects');
if (shape !== 'projects' && shape !== 'interleaved') {
  process.stderr.write('--shape is projects or interleaved\n');
  process.exit(2);
}

interface Host {
  readonly containers: DockerContainer[];
  readonly networks: DockerNetwork[];
  readonly policies: string;
}

/**
 * bench:agent's worst case for address merging, in process: one network, clients and servers alternating by address
 * (every server reachable from every client on 80), so that nothing merges and a server's start touches one element
 * per client.
 */
function interleaved(count: number): Host {
  const containers: DockerContainer[] = [];
  for (let i = 0; i < count; i++)
    containers.push(interleavedContainer(`bg${i}`, i % 2 === 0 ? 'client' : 'server', i));
  return {
    containers,
    networks: [
      {
        id: 'net',
        name: INTERLEAVED_NETWORK,
        driver: 'bridge',
        internal: false,
        labels: {},
        subnets: ['10.64.0.0/16'],
      },
    ],
    policies: INTERLEAVED_POLICIES,
  };
}

const INTERLEAVED_NETWORK = 'bench_net';

/** The n-th container of the interleaved network, at 10.64.0.2 + n. */
function interleavedContainer(name: string, app: 'client' | 'server', n: number): DockerContainer {
  return {
    ...container(
      name,
      INTERLEAVED_NAMESPACE,
      app,
      INTERLEAVED_NETWORK,
      `10.64.${(n + 2) >> 8}.${(n + 2) & 255}`,
    ),
    labels: { 'bulkhead.io/namespace': INTERLEAVED_NAMESPACE, app },
  };
}

/** `projects` Compose projects, each on its own network 10.<64+p/256>.<p%256>.0/24. */
function host(projects: number): Host {
  const containers: DockerContainer[] = [];
  const networks: DockerNetwork[] = [];
  let policies = '';
  for (let p = 0; p < projects; p++) {
    const project = `proj${p}`;
    const network = `${project}_default`;
    const base = (10n << 24n) | (BigInt(64 + (p >> 8)) << 16n) | (BigInt(p & 255) << 8n);
    networks.push({
      id: `net${p}`,
      name: network,
      driver: 'bridge',
      internal: false,
      labels: {},
      subnets: [`${formatAddress(base)}/24`],
    });
    let host = 2n;
    for (const service of SERVICES)
      for (let r = 1; r <= REPLICAS[service]; r++)
        containers.push(
          container(`${project}-${service}-${r}`, project, service, network, formatAddress(base + host++)),
        );
    policies += projectPolicies(project);
  }
  return { containers, networks, policies };
}

function container(
  name: string,
  project: string,
  service: string,
  network: string,
  ipv4: string,
): DockerContainer {
  return {
    id: `${name}-id`,
    name,
    image: 'app:1',
    state: 'running',
    labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service },
    networkMode: network,
    networks: [{ network, networkId: `${network}-id`, ipv4 }],
    ports: [],
  };
}

interface Measured {
  readonly containers: number;
  readonly projects: number;
  readonly elements: number;
  readonly firstMs: number;
  readonly startMs: number[];
  readonly stopMs: number[];
}

async function measure(size: number): Promise<Measured> {
  const projects = Math.max(1, Math.round(size / PER_PROJECT));
  const world = shape === 'projects' ? host(projects) : interleaved(size);
  const policies = loadCluster([{ name: 'policies.yaml', text: world.policies }]);
  if (policies.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`bench policies do not load: ${JSON.stringify(policies.diagnostics[0])}`);
  let managed = AddressSet.EMPTY;
  for (const n of world.networks) managed = managed.union(parseCidr(n.subnets[0]!)!.set);
  // The container that starts and stops: one more api replica of project 0, at the next free address.
  const extra =
    shape === 'projects'
      ? container('proj0-api-99', 'proj0', 'api', 'proj0_default', '10.64.0.250')
      : interleavedContainer('server-new', 'server', size);
  let withExtra = false;
  // As the agent reads Docker: the inventory cache keeps unchanged containers' objects, the mapping remembers them.
  const mapping = new DockerInventoryMapping();
  const readDesired = async (): Promise<DesiredInput> => {
    const inventory = mapping.map(
      withExtra ? [...world.containers, extra] : world.containers,
      world.networks,
    );
    return { ok: true, cluster: combineLoads([policies, inventory]).cluster, managed };
  };
  let applied = 0;
  const agent = new Agent(
    {
      readDesired,
      nft: {
        check: async () => ({ ok: true, value: undefined }),
        apply: async () => {
          applied++;
          return { ok: true, value: undefined };
        },
        hasTable: async () => ({ ok: true, value: true }),
      },
      conntrack: {
        list: async () => ({ ok: true, value: [] }),
        delete: async () => ({ ok: true, value: undefined }),
      },
      log: () => {},
      now: () => new Date(),
    },
    { table: 'bench', failMode: 'closed' },
  );
  const timed = async (reason: string): Promise<number> => {
    const before = applied;
    const started = performance.now();
    const outcome = await agent.reconcile(reason);
    const ms = performance.now() - started;
    if (outcome.status !== 'applied' || applied !== before + 1)
      throw new Error(`${reason}: expected one transaction, got ${outcome.status}: ${outcome.message}`);
    return ms;
  };
  const firstMs = await timed('first');
  const startMs: number[] = [];
  const stopMs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    withExtra = true;
    startMs.push(await timed('start'));
    withExtra = false;
    stopMs.push(await timed('stop'));
  }
  const state = agent.state();
  return {
    containers: world.containers.length,
    projects: shape === 'projects' ? projects : 1,
    elements: Object.values(state.elements ?? {}).reduce((a, b) => a + b, 0),
    firstMs,
    startMs,
    stopMs,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function main(): Promise<void> {
  const results: Measured[] = [];
  for (const size of sizes) {
    const m = await measure(size);
    results.push(m);
    process.stdout.write(
      `${m.containers} containers (${m.projects} projects), ${m.elements} elements: first ${m.firstMs.toFixed(0)} ms, ` +
        `start ${median(m.startMs).toFixed(1)} ms (max ${Math.max(...m.startMs).toFixed(1)}), ` +
        `stop ${median(m.stopMs).toFixed(1)} ms (max ${Math.max(...m.stopMs).toFixed(1)})\n`,
    );
  }
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, kernel: release(), node: process.version },
    repeat,
    shape,
    results,
  };
  const file = `${ROOT}bench/results/agent-scale-${out.date.slice(0, 10)}-${shape}.json`;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
}

await main();
