// The event-driven inventory: what it asks Docker for after each kind of event, and that it is never staler than
// the events it was told about.

import { describe, expect, it } from 'vitest';
import type {
  DockerContainer,
  DockerError,
  DockerInventorySource,
  DockerNetwork,
  DockerResult,
} from './engine-client.js';
import { InventoryCache } from './inventory-cache.js';

function container(id: string, state = 'running'): DockerContainer {
  return {
    id,
    name: id,
    image: 'img',
    state,
    labels: {},
    networkMode: 'net',
    networks: [{ network: 'net', networkId: 'n', ipv4: '10.1.0.2' }],
    ports: [],
  };
}

/** A daemon whose containers and networks the test changes, counting the requests. */
class Daemon implements DockerInventorySource {
  readonly where = 'test';
  containers = new Map<string, DockerContainer>();
  networks: DockerNetwork[] = [];
  calls: string[] = [];
  failure: DockerError | undefined;

  async listContainers(): Promise<DockerResult<DockerContainer[]>> {
    this.calls.push('list');
    return { ok: true, value: [...this.containers.values()].filter((c) => c.state === 'running') };
  }

  async inspectContainer(id: string): Promise<DockerResult<DockerContainer>> {
    this.calls.push(`inspect ${id}`);
    if (this.failure !== undefined) return { ok: false, error: this.failure };
    const found = this.containers.get(id);
    return found !== undefined
      ? { ok: true, value: found }
      : { ok: false, error: { code: 'DOCKER_NOT_FOUND', message: `No such container: ${id}`, status: 404 } };
  }

  async listNetworks(): Promise<DockerResult<DockerNetwork[]>> {
    this.calls.push('networks');
    return { ok: true, value: this.networks };
  }
}

const ids = async (cache: InventoryCache): Promise<string[]> => {
  const listed = await cache.listContainers();
  if (!listed.ok) throw new Error(listed.error.message);
  return listed.value.map((c) => c.id).sort();
};

const event = (type: string, action: string, actor: string, extra: { container?: string } = {}) => ({
  type,
  action,
  actor,
  timeNano: 0n,
  ...extra,
});

describe('InventoryCache', () => {
  it('lists once, then inspects only the containers events name', async () => {
    const daemon = new Daemon();
    daemon.containers.set('a', container('a'));
    const cache = new InventoryCache(daemon);
    expect(await ids(cache)).toEqual(['a']);
    expect(await ids(cache)).toEqual(['a']);
    expect(daemon.calls).toEqual(['list']);

    daemon.containers.set('b', container('b'));
    cache.changed(event('container', 'start', 'b'));
    expect(await ids(cache)).toEqual(['a', 'b']);
    expect(daemon.calls).toEqual(['list', 'inspect b']);

    // Paused and renamed: read again. Events that change nothing here (exec, health) cost nothing.
    daemon.containers.set('a', container('a', 'exited'));
    cache.changed(event('container', 'pause', 'a'));
    cache.changed(event('container', 'exec_start', 'b'));
    cache.changed(event('container', 'health_status: healthy', 'b'));
    expect(await ids(cache)).toEqual(['b']);
    expect(daemon.calls).toEqual(['list', 'inspect b', 'inspect a']);
    // Removed: dropped without asking Docker (an inspect would wait for the removal).
    cache.changed(event('container', 'destroy', 'b'));
    expect(await ids(cache)).toEqual([]);
    expect(daemon.calls).toEqual(['list', 'inspect b', 'inspect a']);
  });

  it('drops a container at its die event without asking Docker, which still says running then', async () => {
    const daemon = new Daemon();
    daemon.containers.set('a', container('a'));
    const cache = new InventoryCache(daemon);
    await ids(cache);
    cache.changed(event('container', 'die', 'a'));
    expect(await ids(cache)).toEqual([]);
    expect(daemon.calls).toEqual(['list']);
    cache.changed(event('container', 'start', 'a'));
    expect(await ids(cache)).toEqual(['a']);
  });

  it('reads the networks again after a network event, and the container a connect names', async () => {
    const daemon = new Daemon();
    daemon.containers.set('a', container('a'));
    const cache = new InventoryCache(daemon);
    await ids(cache);
    await cache.listNetworks();
    await cache.listNetworks();
    expect(daemon.calls).toEqual(['list', 'networks']);
    cache.changed(event('network', 'connect', 'net-2', { container: 'a' }));
    // A container that does not run (connected before its start) is read at its start, not now.
    cache.changed(event('network', 'connect', 'net-2', { container: 'not-started' }));
    await ids(cache);
    await cache.listNetworks();
    expect(daemon.calls).toEqual(['list', 'networks', 'inspect a', 'networks']);
  });

  it('lists everything again after forget() and after a failed inspect', async () => {
    const daemon = new Daemon();
    daemon.containers.set('a', container('a'));
    const cache = new InventoryCache(daemon);
    await ids(cache);
    cache.forget();
    await ids(cache);
    expect(daemon.calls).toEqual(['list', 'list']);
    daemon.failure = { code: 'DOCKER_DAEMON_ERROR', message: 'daemon busy' };
    cache.changed(event('container', 'start', 'a'));
    const failed = await cache.listContainers();
    expect(failed.ok).toBe(false);
    daemon.failure = undefined;
    await ids(cache);
    expect(daemon.calls).toEqual(['list', 'list', 'inspect a', 'list']);
  });

  it('keeps an event that arrives while its container is being read for the next read', async () => {
    const daemon = new Daemon();
    daemon.containers.set('a', container('a'));
    const cache = new InventoryCache(daemon);
    await ids(cache);
    cache.changed(event('container', 'start', 'a'));
    const inspect = daemon.inspectContainer.bind(daemon);
    daemon.inspectContainer = async (id) => {
      const answer = await inspect(id);
      // The container is paused while Docker answers with the state from before.
      daemon.containers.set('a', container('a', 'exited'));
      cache.changed(event('container', 'pause', 'a'));
      return answer;
    };
    expect(await ids(cache)).toEqual(['a']);
    daemon.inspectContainer = inspect;
    expect(await ids(cache)).toEqual([]);
  });
});
