// The reconcile loop with fakes for nft, conntrack and the input: what it applies, when it applies nothing, what it
// keeps on bad input, what the fail modes do, and which tracked connections it cuts.

import { describe, expect, it } from 'vitest';
import { mapDockerInventory } from '../docker/inventory.js';
import type { DockerContainer } from '../docker/engine-client.js';
import { loadCluster } from '../k8s/load-cluster.js';
import { combineLoads } from '../compose/combine.js';
import { parseAddress, parseCidr } from '../core/model/address-set.js';
import type { TrackedConnection } from '../host/conntrack.js';
import { planElements } from '../core/nft/ruleset.js';
import { Agent, replacingIsCheaper, type DesiredInput, type FailMode } from './agent.js';

function container(name: string, ip: string, labels: Record<string, string> = {}): DockerContainer {
  return {
    id: `${name}-id`,
    name,
    image: 'img',
    state: 'running',
    labels: { 'bulkhead.io/namespace': 'shop', ...labels },
    networkMode: 'net',
    networks: [{ network: 'net', networkId: 'n', ipv4: ip }],
    ports: [],
  };
}

const DENY_TO_B = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]
`;

function desired(containers: DockerContainer[], policies = DENY_TO_B): DesiredInput {
  const loaded = combineLoads([
    { ...loadCluster([{ name: 'p.yaml', text: policies }]) },
    mapDockerInventory(containers, [
      { id: 'n', name: 'net', driver: 'bridge', internal: false, labels: {}, subnets: ['10.1.0.0/24'] },
    ]),
  ]);
  return {
    ok: true,
    cluster: loaded.cluster,
    managed: parseCidr('10.1.0.0/24')!.set,
    running: new Set(containers.map((c) => c.id)),
  };
}

interface Harness {
  agent: Agent;
  applied: string[];
  checked: string[];
  deleted: TrackedConnection[][];
  logs: string[];
  input: { next: DesiredInput };
  tracked: { list: TrackedConnection[] };
  nftFails: { apply: boolean };
  tableInKernel: { value: boolean };
}

function harness(first: DesiredInput, failMode: FailMode = 'closed'): Harness {
  const h = {
    applied: [] as string[],
    checked: [] as string[],
    deleted: [] as TrackedConnection[][],
    logs: [] as string[],
    input: { next: first },
    tracked: { list: [] as TrackedConnection[] },
    nftFails: { apply: false },
    tableInKernel: { value: false },
  };
  const agent = new Agent(
    {
      readDesired: async () => h.input.next,
      nft: {
        check: async (ruleset) => {
          h.checked.push(ruleset);
          return { ok: true, value: undefined };
        },
        hasTable: async () => ({ ok: true, value: h.tableInKernel.value }),
        apply: async (ruleset) => {
          if (h.nftFails.apply) {
            h.nftFails.apply = false;
            return { ok: false, error: { code: 'NFT_REJECTED', message: 'No such file or directory' } };
          }
          h.applied.push(ruleset);
          return { ok: true, value: undefined };
        },
      },
      conntrack: {
        list: async () => ({ ok: true, value: h.tracked.list }),
        delete: async (entries) => {
          h.deleted.push([...entries]);
          return { ok: true, value: undefined };
        },
      },
      log: (line) => h.logs.push(line),
      now: () => new Date('2026-11-22T12:00:00Z'),
    },
    { table: 't', failMode },
  );
  return { agent, ...h };
}

const A = container('a', '10.1.0.2', { app: 'a' });
const B = container('b', '10.1.0.3', { app: 'b' });
// Far from A and B: its elements join no existing range, so starting it only adds elements.
const C = container('c', '10.1.0.200', { app: 'c' });

describe('Agent.reconcile', () => {
  it('checks, then replaces the whole table in one transaction the first time', async () => {
    const h = harness(desired([A, B]));
    const outcome = await h.agent.reconcile('start');
    expect(outcome).toMatchObject({ status: 'applied', transaction: 'full', workloads: 2 });
    expect(h.checked).toEqual(h.applied);
    expect(h.applied[0]!.startsWith('table inet t\ndelete table inet t\ntable inet t {\n')).toBe(true);
    expect(h.applied[0]).toContain('add element inet t in_point4 { 10.1.0.2 . 10.1.0.3 . 6 . 80 }');
  });

  it('changes nothing when nothing changed, and only elements when a container starts', async () => {
    const h = harness(desired([A, B]));
    await h.agent.reconcile('start');
    expect(await h.agent.reconcile('resync')).toMatchObject({ status: 'unchanged' });
    expect(h.applied).toHaveLength(1);
    h.input.next = desired([A, B, C]);
    const outcome = await h.agent.reconcile('docker container start c');
    expect(outcome).toMatchObject({ status: 'applied', transaction: 'delta', workloads: 3 });
    const delta = h.applied[1]!;
    expect(delta).not.toContain('table');
    expect(delta).toMatch(/^(delete|add) element inet t /m);
    expect(h.checked).toHaveLength(1);
  });

  it('keeps the last good ruleset when the policies have errors, and says where', async () => {
    const h = harness(desired([A, B]));
    await h.agent.reconcile('start');
    h.input.next = { ok: false, kind: 'policy', message: 'p.yaml:3:7: error INVALID_TYPE: ...' };
    const outcome = await h.agent.reconcile('policy files changed');
    expect(outcome.status).toBe('kept');
    expect(outcome.message).toContain('p.yaml:3:7');
    expect(h.applied).toHaveLength(1);
    expect(h.agent.state().last.status).toBe('kept');
  });

  it('--fail-mode closed: keeps the table, or denies every new forwarded connection when there is none', async () => {
    const h = harness({ ok: false, kind: 'inventory', message: 'no Docker socket' });
    expect(await h.agent.reconcile('start')).toMatchObject({ status: 'closed' });
    expect(h.applied[0]).toContain('add element inet t managed4 { 0.0.0.0-255.255.255.255 }');
    expect(h.applied[0]).not.toMatch(/add element inet t (eg|in)_/);
    h.input.next = desired([A, B]);
    expect(await h.agent.reconcile('resync')).toMatchObject({ status: 'applied' });
    h.input.next = { ok: false, kind: 'inventory', message: 'no Docker socket' };
    expect(await h.agent.reconcile('resync')).toMatchObject({ status: 'kept' });
    expect(h.applied).toHaveLength(2);
  });

  it('--fail-mode closed: a table a previous agent left in the kernel stays as it is', async () => {
    const h = harness({ ok: false, kind: 'inventory', message: 'no Docker socket' });
    h.tableInKernel.value = true;
    expect(await h.agent.reconcile('start')).toMatchObject({ status: 'kept' });
    expect(h.applied).toEqual([]);
  });

  it('--fail-mode open: removes the table until the inventory can be read', async () => {
    const h = harness(desired([A, B]), 'open');
    await h.agent.reconcile('start');
    h.input.next = { ok: false, kind: 'inventory', message: 'no Docker socket' };
    expect(await h.agent.reconcile('resync')).toMatchObject({ status: 'opened' });
    expect(h.applied[1]).toBe('table inet t\ndelete table inet t\n');
    h.input.next = desired([A, B]);
    expect(await h.agent.reconcile('resync')).toMatchObject({ transaction: 'full' });
  });

  it('replaces the whole table when an element update is refused, or after invalidate()', async () => {
    const h = harness(desired([A, B]));
    await h.agent.reconcile('start');
    h.input.next = desired([A, B, C]);
    h.nftFails.apply = true;
    expect(await h.agent.reconcile('docker container start c')).toMatchObject({ transaction: 'full' });
    h.agent.invalidate();
    expect(await h.agent.reconcile('table edited by someone else')).toMatchObject({ transaction: 'full' });
    expect(h.logs.some((l) => l.includes('replacing the whole table'))).toBe(true);
  });

  it('cuts the tracked connections the new plan denies, judged by their real ends', async () => {
    const h = harness(desired([A, B, C]));
    const a = parseAddress('10.1.0.2')!;
    const b = parseAddress('10.1.0.3')!;
    const c = parseAddress('10.1.0.200')!;
    const host = parseAddress('192.0.2.9')!;
    const tcp = (src: bigint, dst: bigint, port: number): TrackedConnection => ({
      protocol: 6,
      src,
      dst,
      sport: 40000,
      dport: port,
      replySrc: dst,
      replySport: port,
    });
    h.tracked.list = [
      tcp(a, b, 80), // allowed
      tcp(c, b, 80), // denied: c is not app=a
      tcp(a, b, 81), // denied: port
      tcp(c, a, 22), // allowed: a is not isolated
      // A published port: the client sent to the host; the reply comes from b on 8080.
      {
        protocol: 6,
        src: host,
        dst: parseAddress('198.51.100.1')!,
        sport: 1,
        dport: 8080,
        replySrc: b,
        replySport: 8080,
      },
    ];
    const outcome = await h.agent.reconcile('start');
    expect(outcome.revoked).toBe(3);
    expect(h.deleted[0]!.map((e) => `${e.src}>${e.replySrc}:${e.replySport}`)).toEqual([
      `${c}>${b}:80`,
      `${a}>${b}:81`,
      `${host}>${b}:8080`,
    ]);
  });

  it('replaces the whole table when that costs less than deleting elements one by one', async () => {
    expect(replacingIsCheaper(101, 10_202)).toBe(true);
    expect(replacingIsCheaper(3, 10_202)).toBe(false);
    expect(replacingIsCheaper(32, 79_095)).toBe(false);
    expect(replacingIsCheaper(100, 79_095)).toBe(true);
    const many = Array.from({ length: 12 }, (_, i) =>
      container(`m${i}`, `10.1.0.${100 + 2 * i}`, { app: 'm' }),
    );
    const h = harness(desired([A, B, ...many]));
    await h.agent.reconcile('start');
    // Isolating the 12 takes their 24 any-elements (interval sets) away.
    h.input.next = desired(
      [A, B, ...many],
      `${DENY_TO_B}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: m, namespace: shop}
spec: {podSelector: {matchLabels: {app: m}}, policyTypes: [Ingress, Egress]}
`,
    );
    expect(await h.agent.reconcile('policy files changed')).toMatchObject({ transaction: 'full' });
  });

  it('updates the model when containers of known kinds start and stop, and enforces what a fresh agent would', async () => {
    const replica = (n: number, app: string): DockerContainer =>
      container(`${app}${n}`, `10.1.0.${10 + n}`, { app });
    const steps: DockerContainer[][] = [
      [A, B, replica(1, 'b')],
      [A, B, replica(1, 'b'), replica(2, 'b'), replica(3, 'a')],
      [A, replica(2, 'b'), replica(3, 'a')],
      // A container of a new kind: the model is built again.
      [A, replica(2, 'b'), replica(3, 'a'), container('x', '10.1.0.40', { app: 'x' })],
    ];
    const h = harness(desired([A, B]));
    expect(await h.agent.reconcile('start')).toMatchObject({ model: 'built' });
    const kinds: (string | undefined)[] = [];
    for (const step of steps) {
      h.input.next = desired(step);
      kinds.push((await h.agent.reconcile('docker event')).model);
      const fresh = harness(desired(step));
      await fresh.agent.reconcile('start');
      const sets = (agent: Agent): Record<string, string[]> =>
        Object.fromEntries(
          [...planElements(agent.enforcedPlan!)].map(([name, set]) => [name, [...set].sort()]),
        );
      expect(sets(h.agent)).toEqual(sets(fresh.agent));
    }
    expect(kinds).toEqual(['updated', 'updated', 'updated', 'built']);
    expect(h.logs.some((line) => line.includes('model updated'))).toBe(true);
  });

  it('stops a container next to others of its kind by dropping its address, without deleting any element', async () => {
    const neighbours = [2, 3, 4].map((i) => container(`s${i}`, `10.1.0.${100 + i}`, { app: 'b' }));
    const h = harness(desired([A, ...neighbours]));
    await h.agent.reconcile('start');
    expect(h.applied[0]).toContain(
      'add element inet t in_port4 { 10.1.0.2 . 10.1.0.102-10.1.0.104 . 6 . 80 }',
    );
    const s4 = parseAddress('10.1.0.104')!;
    const a = parseAddress('10.1.0.2')!;
    h.tracked.list = [
      { protocol: 6, src: a, dst: s4, sport: 40000, dport: 80, replySrc: s4, replySport: 80 },
    ];
    h.input.next = desired([A, ...neighbours.slice(0, 2)]);
    const stopped = await h.agent.reconcile('docker container die s4');
    expect(stopped).toMatchObject({ status: 'applied', transaction: 'delta', revoked: 1 });
    // Its egress was open (a hash set); the ingress range stays, and its address is dropped.
    expect(h.applied[1]).toBe(
      'delete element inet t eg_open4 { 10.1.0.104 }\nadd element inet t dead4 { 10.1.0.104 }\n',
    );
    // It starts again with the same address: the range still holds it, so it is no longer dropped.
    h.input.next = desired([A, ...neighbours]);
    await h.agent.reconcile('docker container start s4');
    expect(h.applied[2]).toBe(
      'delete element inet t dead4 { 10.1.0.104 }\nadd element inet t eg_open4 { 10.1.0.104 }\n',
    );
  });

  it('takes a container Docker reported dead for stopped, until the listing no longer shows it or it starts again', async () => {
    const h = harness(desired([A, B]));
    await h.agent.reconcile('start');
    expect(h.agent.isRunning('b-id')).toBe(true);
    h.agent.containerDied('b-id');
    expect(h.agent.isRunning('b-id')).toBe(false);
    // Docker still lists b as running right after its die: a read then does not make it run again.
    await h.agent.reconcile('docker container die b');
    expect(h.agent.isRunning('b-id')).toBe(false);
    h.agent.containerStarted('b-id');
    await h.agent.reconcile('docker container start b');
    expect(h.agent.isRunning('b')).toBe(true);
    h.agent.containerDied('b-id');
    h.input.next = desired([A]);
    await h.agent.reconcile('docker container die b');
    // Gone from the listing: no longer remembered as dead, and not running either.
    h.agent.containerStarted('b-id');
    expect(h.agent.isRunning('b-id')).toBe(false);
  });

  it('previews the ruleset without applying it', async () => {
    const h = harness(desired([A, B]));
    const preview = await h.agent.preview();
    expect(preview.ok && preview.ruleset).toContain('chain forward {');
    expect(h.applied).toEqual([]);
  });
});
