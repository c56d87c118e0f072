// What the enforcement end-to-end tests share: the test daemon, a busybox image with the bhprobe traffic tool,
// containers as "pods", real connection attempts, and the expectations `bulkhead reach` gives for the same input.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { runCli } from '../../run-cli.js';

const run = promisify(execFile);

export const socket = process.env['BULKHEAD_TEST_DOCKER_SOCKET'];

/**
 * Whether the enforcement tests can run: a test Docker daemon, root (nft, conntrack), gcc for the probe. Under CI
 * everything must be there: a missing piece fails instead of skipping.
 */
export function enforcementAvailable(): boolean {
  const missing: string[] = [];
  if (socket === undefined || socket === '')
    missing.push('BULKHEAD_TEST_DOCKER_SOCKET (a Docker daemon socket)');
  if (process.getuid?.() !== 0) missing.push('root (nftables and conntrack)');
  for (const tool of ['nft', 'conntrack', 'gcc', 'ip'])
    if (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool]).status !== 0) missing.push(tool);
  if (missing.length === 0) return true;
  if (process.env['CI'] === 'true') throw new Error(`enforcement e2e tests need: ${missing.join(', ')}`);
  console.warn(`skipping the enforcement e2e tests: missing ${missing.join(', ')}`);
  return false;
}

/** The docker CLI against the test daemon; arguments only, never a shell string. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** Builds bhprobe statically and imports an image of busybox + bhprobe (no registry is reachable). */
export async function buildImage(work: string, image: string): Promise<void> {
  const root = join(work, 'rootfs');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  for (const tool of ['sh', 'sleep']) symlinkSync('busybox', join(root, 'bin', tool));
  const source = new URL('./bhprobe.c', import.meta.url).pathname;
  await run('gcc', ['-O2', '-static', '-o', join(root, 'bin', 'bhprobe'), source]);
  await run('tar', ['-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
  await docker('import', join(work, 'rootfs.tar'), image);
}

export interface Pod {
  /** Container name. */
  readonly name: string;
  readonly namespace: string;
  /** The id `bulkhead reach` prints. */
  readonly id: string;
  /** Address per Docker network name. */
  readonly ips: Record<string, string>;
}

/** Starts a container serving TCP and UDP on `ports`, labelled as a pod of `namespace`. */
export async function startPod(options: {
  name: string;
  namespace: string;
  image: string;
  networks: readonly string[];
  labels: Readonly<Record<string, string>>;
  ports?: readonly number[];
  publish?: readonly string[];
  /** Namespace by Compose project label instead of bulkhead.io/namespace. */
  compose?: boolean;
  /** The address on the first network (which must have a subnet given at its creation). */
  ip?: string;
}): Promise<Pod> {
  const args = ['run', '-d', '--name', options.name, '--network', options.networks[0]!];
  if (options.ip !== undefined) args.push('--ip', options.ip);
  args.push(
    '--label',
    options.compose === true
      ? `com.docker.compose.project=${options.namespace}`
      : `bulkhead.io/namespace=${options.namespace}`,
  );
  for (const [key, value] of Object.entries(options.labels)) args.push('--label', `${key}=${value}`);
  for (const p of options.publish ?? []) args.push('-p', p);
  const ports = options.ports ?? [80, 81];
  args.push(options.image, '/bin/bhprobe', 'serve', ...ports.map(String));
  await docker(...args);
  for (const network of options.networks.slice(1)) await docker('network', 'connect', network, options.name);
  return inspectPod(options.name, options.namespace);
}

export async function inspectPod(name: string, namespace: string): Promise<Pod> {
  const text = await docker('inspect', '--format', '{{json .NetworkSettings.Networks}}', name);
  const networks = JSON.parse(text) as Record<string, { IPAddress: string }>;
  const ips = Object.fromEntries(Object.entries(networks).map(([net, v]) => [net, v.IPAddress]));
  return { name, namespace, id: `${namespace}/${name}[Container]`, ips };
}

/** A connection attempt: SCTP goes as raw packets (bhprobe.c), IPv4 only. */
export type Probe = `${'tcp' | 'udp' | 'sctp'}/${number}`;

/** The address of `dst` to use from `src`: on a network they share, else any (Docker will not route it). */
export function addressFrom(src: Pod, dst: Pod): string {
  const shared = Object.keys(dst.ips).find((net) => src.ips[net] !== undefined);
  return dst.ips[shared ?? Object.keys(dst.ips)[0]!]!;
}

/** One cell per (src, dst, probe): true when the connection really opened. Sources probe in parallel. */
export async function probeMatrix(
  pods: readonly Pod[],
  probes: readonly Probe[],
  timeoutMs = 1500,
): Promise<Map<string, boolean>> {
  const cells = new Map<string, boolean>();
  await Promise.all(
    pods.map(async (src) => {
      const targets: string[] = [];
      const keys = new Map<string, string>();
      for (const dst of pods) {
        if (dst === src) continue;
        for (const probe of probes) {
          const [protocol, port] = probe.split('/');
          const target = `${protocol}:${addressFrom(src, dst)}:${port}`;
          targets.push(target);
          keys.set(target, cellKey(src, dst, probe));
        }
      }
      const output = await docker('exec', src.name, 'bhprobe', 'probe', String(timeoutMs), ...targets);
      for (const line of output.split('\n')) {
        const [target, verdict] = line.trim().split(' ');
        const key = keys.get(target ?? '');
        if (key !== undefined) cells.set(key, verdict === 'open');
      }
    }),
  );
  return cells;
}

export function cellKey(src: Pod, dst: Pod, probe: Probe): string {
  return `${src.id} => ${dst.id} ${probe}`;
}

/** What `bulkhead reach --docker` says for the same policies, per cell. */
export async function reachMatrix(
  policies: string,
  pods: readonly Pod[],
  probes: readonly Probe[],
): Promise<Map<string, boolean>> {
  const result = await runCli(['reach', '--docker', '--docker-socket', socket!, policies, '-f', 'json']);
  if (result.code !== 0) throw new Error(`reach failed (${result.code}): ${result.stderr}`);
  const json = JSON.parse(result.stdout) as { connections: { src: string; dst: string; conn: string }[] };
  const byPair = new Map(json.connections.map((c) => [`${c.src} => ${c.dst}`, c.conn]));
  const cells = new Map<string, boolean>();
  for (const src of pods)
    for (const dst of pods) {
      if (dst === src) continue;
      const conn = byPair.get(`${src.id} => ${dst.id}`);
      for (const probe of probes)
        cells.set(cellKey(src, dst, probe), conn !== undefined && connAllows(conn, probe));
    }
  return cells;
}

/** Reads reach's connection grammar: `All Connections`, or `TCP 80-81,UDP 53`, ranges comma-separated. */
export function connAllows(conn: string, probe: Probe): boolean {
  if (conn === 'All Connections') return true;
  const [protocol, portText] = probe.split('/');
  const port = Number(portText);
  let current = '';
  for (const item of conn.split(',')) {
    const match = /^(TCP|UDP|SCTP) (.*)$/.exec(item);
    const range = match !== null ? match[2]! : item;
    if (match !== null) current = match[1]!;
    if (current !== protocol!.toUpperCase()) continue;
    const [first, last] = range.split('-').map(Number);
    if (port >= first! && port <= (last ?? first!)) return true;
  }
  return false;
}

/** The cells where the real traffic and the prediction differ, for a readable failure. */
/**
 * Probes every cell between `pods` for real and expects each to be what `bulkhead reach` predicts for the same
 * policies and the running containers; returns the prediction.
 */
export async function expectTrafficEqualsReach(
  policies: string,
  pods: readonly Pod[],
  probes: readonly Probe[],
): Promise<Map<string, boolean>> {
  const [actual, expected] = await Promise.all([
    probeMatrix(pods, probes),
    reachMatrix(policies, pods, probes),
  ]);
  expect(disagreements(actual, expected)).toEqual([]);
  return expected;
}

export function disagreements(actual: Map<string, boolean>, expected: Map<string, boolean>): string[] {
  const out: string[] = [];
  for (const [key, predicted] of expected) {
    const real = actual.get(key);
    if (real !== predicted)
      out.push(
        `${key}: reach ${predicted ? 'allows' : 'denies'}, traffic ${real === undefined ? 'not probed' : real ? 'opened' : 'blocked'}`,
      );
  }
  return out;
}

/** A long-running process whose output the test reads as it comes. */
export interface Streamed {
  output(): string;
  /** Resolves when the output from offset `from` on matches, rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code when the process ends by itself. */
  exited(): Promise<number | null>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function stream(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Streamed {
  const child = spawn(program, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => text,
    exited: () => exited,
    waitFor: (pattern, timeoutMs = 10_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(text.slice(from));
          if (match === null) return false;
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(match);
          return true;
        };
        const listener = (): void => void check();
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`timed out waiting for ${pattern} in:\n${text.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(listener);
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `bulkhead ARGS...` as a process of its own, from the sources. */
export function bulkheadProcess(args: readonly string[]): Streamed {
  const main = new URL('./bulkhead-main.ts', import.meta.url).pathname;
  return stream(process.execPath, ['--import', 'tsx', main, ...args]);
}

/** `docker exec CONTAINER ARGS...`, streamed. */
export function dockerExecStream(container: string, args: readonly string[]): Streamed {
  return stream('docker', ['exec', container, ...args], { ...process.env, DOCKER_HOST: `unix://${socket}` });
}

/** One probe from `src` to `dst` (true: it opened). */
export async function probeOnce(src: Pod, dst: Pod, probe: Probe, timeoutMs = 1500): Promise<boolean> {
  const [protocol, port] = probe.split('/');
  const [opened] = await probeOnceMany(src, `${protocol}:${addressFrom(src, dst)}:${port}`, 1, timeoutMs);
  return opened === true;
}

/** `count` connection attempts at once from `src` to one target; per attempt, whether it opened. */
export async function probeOnceMany(
  src: Pod,
  target: string,
  count: number,
  timeoutMs: number,
): Promise<boolean[]> {
  const output = await docker(
    'exec',
    src.name,
    'bhprobe',
    'probe',
    String(timeoutMs),
    ...Array<string>(count).fill(target),
  );
  return output.split('\n').map((line) => line.trim().endsWith(' open'));
}
