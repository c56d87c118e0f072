// Which Docker events make the daemon reconcile, and that reconciles never overlap.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DockerEvent } from '../docker/engine-client.js';
import type { Agent, ReconcileOutcome } from './agent.js';
import { Follower } from './follow.js';

interface Harness {
  follower: Follower;
  emit: (event: Partial<DockerEvent> & { type: string; action: string }) => void;
  reasons: string[];
  running: Set<string>;
  told: string[];
  settle: () => Promise<void>;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function harness(): Promise<Harness> {
  const reasons: string[] = [];
  const told: string[] = [];
  const running = new Set<string>(['c-running']);
  let onEvent: ((event: DockerEvent) => void) | undefined;
  let active = 0;
  const agent = {
    reconcile: async (reason: string): Promise<ReconcileOutcome> => {
      active++;
      // Reconciles are serialized: never two at once.
      expect(active).toBe(1);
      reasons.push(reason);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return { status: 'unchanged', message: '', durationMs: 5 };
    },
    isRunning: (id: string) => running.has(id),
    containerDied: (id: string) => running.delete(id),
    containerStarted: (id: string) => running.add(id),
    invalidate: () => undefined,
  } as unknown as Agent;
  const dir = mkdtempSync(join(tmpdir(), 'bhtest-follow-'));
  dirs.push(dir);
  const follower = new Follower({
    agent,
    events: {
      subscribe: (_types, handler) => {
        onEvent = handler;
        return { close: () => undefined };
      },
    },
    policiesDir: dir,
    monitor: () => ({ close: () => undefined }),
    ownChange: () => false,
    touchesOurTable: () => false,
    onReconciled: () => undefined,
    log: () => undefined,
    resyncSeconds: 3600,
    inventory: {
      changed: (event) => told.push(`${event.type} ${event.action} ${event.actor}`),
      forget: () => told.push('forget'),
    },
  });
  void follower.run();
  // The reconcile it runs as it starts following, so that each test sees only what its events cause.
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(reasons.splice(0)).toEqual(['following events']);
  return {
    follower,
    emit: (event) => onEvent!({ actor: 'x', timeNano: 0n, ...event }),
    reasons,
    running,
    told,
    settle: () => new Promise((resolve) => setTimeout(resolve, 50)),
  };
}

describe('Follower', () => {
  it('reconciles on start and die, not on the events that only come with them', async () => {
    const h = await harness();
    h.emit({ type: 'network', action: 'connect', container: 'c-new' });
    h.emit({ type: 'container', action: 'kill' });
    h.emit({ type: 'container', action: 'destroy' });
    await h.settle();
    expect(h.reasons).toEqual([]);
    h.emit({ type: 'container', action: 'start', actor: 'c-new-0123456789' });
    await h.settle();
    expect(h.reasons).toEqual(['docker container start c-new-012345']);
    await h.follower.stop();
  });

  it('reconciles when a running container joins or leaves a network, and when networks come and go', async () => {
    const h = await harness();
    h.emit({ type: 'network', action: 'connect', actor: 'net-1', container: 'c-running' });
    await h.settle();
    h.emit({ type: 'network', action: 'create', actor: 'net-2' });
    await h.settle();
    expect(h.reasons).toEqual(['docker network connect net-1', 'docker network create net-2']);
    await h.follower.stop();
  });

  it('tells the agent which containers died and started, so that their network events are judged by that', async () => {
    const h = await harness();
    h.emit({ type: 'container', action: 'die', actor: 'c-running' });
    await h.settle();
    // Docker disconnects a dead container after its die: nothing more to reconcile for.
    h.emit({ type: 'network', action: 'disconnect', actor: 'net-1', container: 'c-running' });
    await h.settle();
    expect(h.reasons).toEqual(['docker container die c-running']);
    expect(h.running.has('c-running')).toBe(false);
    h.emit({ type: 'container', action: 'start', actor: 'c-running' });
    expect(h.running.has('c-running')).toBe(true);
    await h.follower.stop();
  });

  it('tells the inventory every event, also those that start no reconcile', async () => {
    const h = await harness();
    h.emit({ type: 'container', action: 'exec_start', actor: 'c1' });
    h.emit({ type: 'network', action: 'connect', actor: 'net-1', container: 'c-new' });
    await h.settle();
    expect(h.told).toEqual(['container exec_start c1', 'network connect net-1']);
    expect(h.reasons).toEqual([]);
    await h.follower.stop();
  });

  it('runs one more reconcile for everything that arrived during one', async () => {
    const h = await harness();
    h.emit({ type: 'container', action: 'start', actor: 'a' });
    h.emit({ type: 'container', action: 'die', actor: 'b' });
    h.emit({ type: 'container', action: 'start', actor: 'c' });
    await h.settle();
    expect(h.reasons).toEqual(['docker container start a', 'docker container die b']);
    await h.follower.stop();
  });
});
