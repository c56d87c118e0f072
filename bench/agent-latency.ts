// How long after Docker's event a container start or stop is enforced: `bulkhead agent` as a daemon on a real Docker
// daemon, N containers started and stopped one by one, the agent's own "enforced X ms after Docker's event" lines.
//
// npm run bench:agent -- --docker-socket PATH [--containers 20] [--background 0] [--shape interleaved|projects]
//                        [--agent-log FILE]   (the agent's whole output, to see where the time went)
// Needs root (nft, conntrack) and a Docker daemon the run may create containers on; everything it creates carries
// the prefix bhbench-<pid>- and is removed at the end, the nft table too.

import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  INTERLEAVED_NAMESPACE,
  INTERLEAVED_POLICIES,
  PER_PROJECT,
  REPLICAS,
  SERVICES,
  projectPolicies,
} from './agent-hosts.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function option(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const socket = option('--docker-socket', process.env['BULKHEAD_TEST_DOCKER_SOCKET']);
const containers = Number(option('--containers', '20'));
const background = Number(option('--background', '0'));
// interleaved: clients and servers alternating by address on one network (the worst case for address merging);
// projects: Compose projects of replicated services with their own policies (bench/agent-hosts.ts).
const shape = option('--shape', 'interleaved');
if (shape !== 'interleaved' && shape !== 'projects') {
  process.stderr.write('--shape is interleaved or projects\n');
  process.exit(2);
}
if (socket === undefined || socket === '' || process.getuid?.() !== 0) {
  process.stderr.write('bench:agent needs root and --docker-socket PATH (or BULKHEAD_TEST_DOCKER_SOCKET)\n');
  process.exit(2);
}

const prefix = `bhbench-${process.pid}-`;
const table = `bhbench_${process.pid}`;
const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
const docker = async (...args: string[]): Promise<string> =>
  (await run('docker', args, { env })).stdout.trim();

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const image = `${prefix}img:1`;
  const network = `${prefix}net`;
  const names: string[] = [];
  let agentLog = '';
  const agent = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'test/e2e/docker/bulkhead-main.ts'),
      'agent',
      '--policies',
      join(work, 'policies'),
      '--table',
      table,
      '--state-dir',
      join(work, 'state'),
      '--docker-socket',
      socket!,
      '--resync',
      '3600',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  agent.stderr.on('data', (chunk: Buffer) => (agentLog += chunk.toString('utf8')));
  const waitFor = async (pattern: RegExp, from: number, timeoutMs = 10_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(agentLog.slice(from));
      if (match !== null) return match;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}:\n${agentLog.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    const root = join(work, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    symlinkSync('busybox', join(root, 'bin', 'sleep'));
    await run('tar', ['-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
    await docker('import', join(work, 'rootfs.tar'), image);
    await docker('network', 'create', network);
    mkdirSync(join(work, 'policies'));
    // A policy per container pair pattern: every container isolated, app=client may reach app=server on 80.
    const projects = Math.ceil(background / PER_PROJECT);
    if (shape === 'projects')
      writeFileSync(
        join(work, 'policies', 'p.yaml'),
        Array.from({ length: Math.max(1, projects) }, (_, p) => projectPolicies(`proj${p}`)).join(''),
      );
    else writeFileSync(join(work, 'policies', 'p.yaml'), INTERLEAVED_POLICIES);
    const runContainer = async (name: string, labels: readonly string[]): Promise<void> => {
      names.push(name);
      await docker(
        'run',
        '-d',
        '--name',
        name,
        '--network',
        network,
        ...labels.flatMap((label) => ['--label', label]),
        image,
        'sleep',
        '3600',
      );
    };
    const member = (project: number, service: string): string[] => [
      `com.docker.compose.project=proj${project}`,
      `com.docker.compose.service=${service}`,
    ];
    const app = (value: string): string[] => [
      `bulkhead.io/namespace=${INTERLEAVED_NAMESPACE}`,
      `app=${value}`,
    ];
    // The container started and stopped: a server (interleaved), or one more api replica of the first project.
    const start = (name: string): Promise<void> =>
      runContainer(name, shape === 'projects' ? member(0, 'api') : app('server'));
    if (shape === 'projects') {
      let started = 0;
      for (let p = 0; p < projects; p++)
        for (const service of SERVICES)
          for (let r = 1; r <= REPLICAS[service] && started < background; r++, started++)
            await runContainer(`${prefix}proj${p}-${service}-${r}`, member(p, service));
    } else {
      // Two clients, so that every server started below gets elements (ingress from them); then the background.
      await runContainer(`${prefix}client0`, app('client'));
      await runContainer(`${prefix}client1`, app('client'));
      for (let i = 0; i < background; i++)
        await runContainer(`${prefix}bg${i}`, app(i % 2 === 0 ? 'client' : 'server'));
    }
    await waitFor(/following Docker events/, 0, 60_000);
    const startLatencies: number[] = [];
    const stopLatencies: number[] = [];
    // The agent's own account of each reconcile: "... (88.2 ms: read 5.7, compile 50.9, apply 22.8, model updated)".
    const stages = { start: [] as Record<string, number>[], stop: [] as Record<string, number>[] };
    const stagesOf = (text: string): Record<string, number> => {
      const found = /\(([\d.]+) ms: ([^)]*)\)\n[^\n]*enforced/.exec(text);
      if (found === null) return {};
      // Stage timings only ("model updated" may follow them).
      return Object.fromEntries(
        found[2]!
          .split(', ')
          .map((part) => part.split(' '))
          .filter(([, ms]) => ms !== undefined && Number.isFinite(Number(ms)))
          .map(([name, ms]) => [name!, Number(ms)]),
      );
    };
    for (let i = 0; i < containers; i++) {
      const name = `${prefix}c${i}`;
      let from = agentLog.length;
      await start(name);
      startLatencies.push(Number((await waitFor(/enforced ([\d.]+) ms after Docker's event/, from))[1]));
      stages.start.push(stagesOf(agentLog.slice(from)));
      await new Promise((r) => setTimeout(r, 200));
      from = agentLog.length;
      await docker('rm', '-f', name);
      names.splice(names.indexOf(name), 1);
      stopLatencies.push(Number((await waitFor(/enforced ([\d.]+) ms after Docker's event/, from))[1]));
      stages.stop.push(stagesOf(agentLog.slice(from)));
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, kernel: release(), node: process.version },
      containers,
      background,
      shape,
      startMs: {
        median: percentile(startLatencies, 50),
        p95: percentile(startLatencies, 95),
        max: Math.max(...startLatencies),
      },
      stopMs: {
        median: percentile(stopLatencies, 50),
        p95: percentile(stopLatencies, 95),
        max: Math.max(...stopLatencies),
      },
      startLatenciesMs: startLatencies,
      stopLatenciesMs: stopLatencies,
      // Median per stage of the reconciles that enforced the starts and the stops.
      startStagesMedianMs: medianStages(stages.start),
      stopStagesMedianMs: medianStages(stages.stop),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    // The agent's last reconciles, with their own durations, to see where the time goes.
    process.stdout.write(`${agentLog.trimEnd().split('\n').slice(-8).join('\n')}\n`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(
        ROOT,
        'bench',
        'results',
        `agent-latency-${result.date.slice(0, 10)}-${shape}-bg${background}.json`,
      ),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    const log = option('--agent-log');
    if (log !== undefined) writeFileSync(log, agentLog);
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    if (names.length > 0) await docker('rm', '-f', ...names).catch(() => undefined);
    await docker('network', 'rm', network).catch(() => undefined);
    await docker('image', 'rm', '-f', image).catch(() => undefined);
    await run('nft', ['delete', 'table', 'inet', table]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

function medianStages(runs: readonly Record<string, number>[]): Record<string, number> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)));
  return Object.fromEntries(
    [...names].map((name) => [
      name,
      percentile(
        runs.map((r) => r[name] ?? 0),
        50,
      ),
    ]),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:agent failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
