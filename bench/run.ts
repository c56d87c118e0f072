// `npm run bench`: seeded synthetic clusters → the reach CLI's wall time and peak RSS, the engine against the naive
// reference evaluator, and a scaling table; prints markdown tables and writes bench/results/latest.json.
//
// Options: --quick (small sizes, a smoke test), --seed N (default 20261122), --runs N (headline repetitions,
// default 3), --sample N (naive-evaluator pairs, default 1500), --only headline,compare,scaling,explain,diff,audit,
// --no-build.
//
// Peak RSS of a child: `/usr/bin/time -v` (Debian package `time`) reports the child's ru_maxrss as "Maximum resident
// set size"; without it, node is started with `--import` of a one-line hook that prints
// `process.resourceUsage().maxRSS` at exit (the same kernel counter, read by the process itself). Wall time is
// measured here, from spawn to exit, so it includes node's start-up and reading the file.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cpuBusy } from './cpu-busy.js';
import { generateCluster, Random, writeCluster, type ClusterSpec } from './generate-cluster.js';
import { loadCluster } from '../src/k8s/load-cluster.js';
import { Connectivity, type ConnectivityStats } from '../src/core/engine/connectivity.js';
import type { Cluster } from '../src/core/model/cluster.js';
import { ConnSet, PROTOCOLS, type Protocol } from '../src/core/model/port-set.js';
import { explainPair, type Endpoint } from '../src/core/engine/explain.js';
import { allowed, workload } from '../test/reference/naive-evaluator.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const TIME = '/usr/bin/time';
const CHILD_TIMEOUT_MS = 300_000;

// ---- options --------------------------------------------------------------------------------------------------

interface Options {
  readonly quick: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly sample: number;
  readonly only: ReadonlySet<string>;
  readonly build: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    quick,
    seed: Number(value('--seed') ?? 20261122),
    runs: Number(value('--runs') ?? (quick ? 1 : 3)),
    sample: Number(value('--sample') ?? (quick ? 200 : 1500)),
    only: new Set((value('--only') ?? 'headline,compare,scaling,explain,diff,audit').split(',')),
    build: !argv.includes('--no-build'),
  };
}

// ---- machine --------------------------------------------------------------------------------------------------

interface Machine {
  readonly nproc: number;
  readonly freeG: string;
  readonly cpuModel: string;
  readonly node: string;
  readonly kernel: string;
  readonly rssMethod: string;
}

function describeMachine(): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const free = spawnSync('free', ['-g'], { encoding: 'utf8' });
  return {
    nproc: availableParallelism(),
    freeG: free.status === 0 ? free.stdout.trimEnd() : '(free not available)',
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    node: process.version,
    kernel: release(),
    rssMethod: existsSync(TIME)
      ? `${TIME} -v (Maximum resident set size)`
      : 'node --import hook printing process.resourceUsage().maxRSS',
  };
}

// ---- build ----------------------------------------------------------------------------------------------------

/** True when some src/*.ts (not a test) is newer than its compiled dist/src/*.js, or has none. */
function distIsStale(): boolean {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
    );
  for (const file of walk(join(ROOT, 'src'))) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const compiled = join(ROOT, 'dist', relative(ROOT, file)).replace(/\.ts$/, '.js');
    if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(file).mtimeMs) return true;
  }
  return false;
}

function buildIfStale(): void {
  if (!distIsStale()) {
    log('dist is up to date; not rebuilding');
    return;
  }
  log('dist is stale: npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(
      'npm run build failed; fix the build, or run with --no-build to measure the existing dist',
    );
}

// ---- a quiet machine ------------------------------------------------------------------------------------------

/**
 * Waits (at most `maxSeconds`) until other processes use less than a quarter of the CPUs, so that a measurement is
 * not mostly someone else's test run; returns the busy fraction seen last, recorded next to the measurement.
 */
async function waitForQuiet(maxSeconds = 60): Promise<number | undefined> {
  const started = performance.now();
  for (;;) {
    const busy = await cpuBusy(1000);
    const waited = performance.now() - started;
    if (busy === undefined || busy < 0.25) {
      quietBudgetMs -= waited;
      return busy;
    }
    if (waited > maxSeconds * 1000 || quietBudgetMs - waited <= 0) {
      quietBudgetMs -= waited;
      log(
        `machine still ${(busy * 100).toFixed(0)}% busy after ${(waited / 1000).toFixed(0)} s of waiting; measuring anyway`,
      );
      return busy;
    }
  }
}

/** All waits of one bench together stay under this, so that `npm run bench` stays well under ten minutes. */
let quietBudgetMs = 240_000;

// ---- child measurement ----------------------------------------------------------------------------------------

interface CliStats extends ConnectivityStats {
  readonly loadSeconds: number;
  readonly modelSeconds: number;
  readonly totalSeconds: number;
}

interface CliRun {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly wallSeconds: number;
  readonly peakRssMiB: number | undefined;
  readonly stats?: CliStats;
  readonly error?: string;
  /** CPU busy fraction (all CPUs) in the second before the run: other load on the machine. */
  readonly busyBefore?: number;
}

const RSS_HOOK =
  'data:text/javascript,process.on("exit",()=>{process.stderr.write("\\nBULKHEAD_BENCH_MAXRSS_KB="+process.resourceUsage().maxRSS+"\\n")})';

/** Runs `node bin/bulkhead.js reach FILE --stats --format json` in a child; wall time, peak RSS, the stats. */
async function runCli(file: string): Promise<CliRun> {
  const busyBefore = await waitForQuiet();
  const run = await spawnCli(['reach', file, '--stats', '--format', 'json']);
  return busyBefore === undefined ? run : { ...run, busyBefore };
}

/** Runs `node bin/bulkhead.js ARGS...` in a child; with `stats`, its stdout is reach's `--stats` JSON. */
function spawnCli(cliArgs: readonly string[], parseStats = true): Promise<CliRun> {
  const cli = [join(ROOT, 'bin', 'bulkhead.js'), ...cliArgs];
  const useTime = existsSync(TIME);
  const timeOut = join(tmpdir(), `bulkhead-bench-time-${process.pid}.txt`);
  const [command, args] = useTime
    ? [TIME, ['-v', '-o', timeOut, process.execPath, ...cli]]
    : [process.execPath, ['--import', RSS_HOOK, ...cli]];
  return new Promise((resolve) => {
    const started = performance.now();
    // Own process group, so that a timeout kills the measured node process too, not only /usr/bin/time.
    const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - started) / 1000;
      let rssKb: number | undefined;
      if (useTime) {
        const text = existsSync(timeOut) ? readFileSync(timeOut, 'utf8') : '';
        rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1] ?? NaN);
        rmSync(timeOut, { force: true });
      } else {
        rssKb = Number(/BULKHEAD_BENCH_MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      }
      const peakRssMiB = Number.isFinite(rssKb) ? rssKb / 1024 : undefined;
      if (timedOut) {
        resolve({
          ok: false,
          exitCode: code,
          wallSeconds,
          peakRssMiB,
          error: `timed out after ${CHILD_TIMEOUT_MS / 1000} s`,
        });
        return;
      }
      if (!parseStats) {
        resolve({
          ok: code === 0,
          exitCode: code,
          wallSeconds,
          peakRssMiB,
          ...(code === 0 ? {} : { error: firstLines(stderr) }),
        });
        return;
      }
      try {
        const parsed = JSON.parse(stdout) as CliStats;
        resolve({
          ok: code === 0,
          exitCode: code,
          wallSeconds,
          peakRssMiB,
          stats: parsed,
          ...(code === 0 ? {} : { error: firstLines(stderr) }),
        });
      } catch {
        resolve({
          ok: false,
          exitCode: code,
          wallSeconds,
          peakRssMiB,
          error: firstLines(stderr) || 'no JSON on stdout',
        });
      }
    });
  });
}

function firstLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('BULKHEAD_BENCH_MAXRSS_KB='))
    .slice(0, 3)
    .join(' | ');
}

// ---- cluster files --------------------------------------------------------------------------------------------

interface Size {
  readonly workloads: number;
  readonly namespaces: number;
  readonly policies: number;
}

/** Files written by this run: each is generated afresh once per run, so a changed generator never reads stale files. */
const generated = new Set<string>();

function clusterFile(dir: string, size: Size, seed: number): string {
  const file = join(dir, `cluster-w${size.workloads}-n${size.namespaces}-p${size.policies}-s${seed}.json`);
  if (!generated.has(file)) {
    generated.add(file);
    const started = performance.now();
    writeCluster(file, generateCluster({ ...size, seed }));
    log(
      `generated ${file} (${(statSync(file).size / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
  }
  return file;
}

/** Loads a generated cluster in-process and insists on zero error diagnostics. */
function loadGenerated(spec: ClusterSpec): Cluster {
  const text = JSON.stringify(generateCluster(spec));
  const loaded = loadCluster([{ name: `generated-${spec.workloads}.json`, text }]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(
      `the generated cluster has ${errors.length} error diagnostic(s), first: ${errors[0]!.code} ${errors[0]!.message}`,
    );
  const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length > 0)
    log(
      `note: the generated cluster has ${warnings.length} warning(s), first: ${warnings[0]!.code} ${warnings[0]!.message}`,
    );
  return loaded.cluster;
}

// ---- (a) headline ---------------------------------------------------------------------------------------------

interface Headline {
  readonly size: Size;
  readonly runs: CliRun[];
  readonly medianWallSeconds: number;
  readonly maxPeakRssMiB: number | undefined;
  readonly targetWallSeconds: number;
  readonly targetRssMiB: number;
}

async function headline(dir: string, options: Options): Promise<Headline> {
  const size = options.quick
    ? { workloads: 2000, namespaces: 200, policies: 1000 }
    : { workloads: 10_000, namespaces: 1000, policies: 5000 };
  const file = clusterFile(dir, size, options.seed);
  const runs: CliRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const run = await runCli(file);
    log(`headline run ${i + 1}/${options.runs}: ${describeRun(run)}`);
    runs.push(run);
  }
  const rss = runs.map((r) => r.peakRssMiB).filter((v): v is number => v !== undefined);
  return {
    size,
    runs,
    medianWallSeconds: median(runs.map((r) => r.wallSeconds)),
    maxPeakRssMiB: rss.length > 0 ? Math.max(...rss) : undefined,
    targetWallSeconds: 5,
    targetRssMiB: 1536,
  };
}

function describeRun(run: CliRun): string {
  const s = run.stats;
  const detail = s
    ? `load ${s.loadSeconds.toFixed(2)} s, model ${s.modelSeconds.toFixed(2)} s, classes ${s.classes}, allowed pairs ${s.allowedPairs}`
    : '';
  const busy = run.busyBefore === undefined ? '' : ` [CPU ${(run.busyBefore * 100).toFixed(0)}% busy before]`;
  return `${run.ok ? 'ok' : `FAILED (${run.error ?? `exit ${run.exitCode}`})`}${busy} wall ${run.wallSeconds.toFixed(2)} s, peak RSS ${fmtMiB(run.peakRssMiB)}${detail ? `, ${detail}` : ''}`;
}

// ---- (b) engine vs naive --------------------------------------------------------------------------------------

interface Compare {
  readonly size: Size;
  readonly engineBuildSeconds: number[];
  readonly engineMedianSeconds: number;
  readonly engineStats: ConnectivityStats;
  readonly sampledPairs: number;
  readonly queriesPerPair: number;
  readonly boundariesByProtocol: Record<Protocol, number>;
  readonly naiveSampleSeconds: number;
  readonly naivePerPairMs: number;
  readonly allPairs: number;
  readonly naiveExtrapolatedSeconds: number;
  readonly speedup: number;
  readonly mismatches: number;
  readonly mismatchExamples: string[];
  readonly target: number;
  /** CPU busy fraction just after the naive sample (the engine side and the naive side each waited for quiet). */
  readonly busyAfter?: number;
}

/**
 * Where any policy port range or any container port (what a named port resolves to) starts or ends: the ports at
 * which the answer can change. One query per interval between boundaries covers every port of a protocol.
 */
function portBoundaries(cluster: Cluster): Record<Protocol, number[]> {
  const starts: Record<Protocol, Set<number>> = { TCP: new Set([1]), UDP: new Set([1]), SCTP: new Set([1]) };
  const add = (protocol: Protocol, first: number, last: number): void => {
    starts[protocol].add(first);
    if (last + 1 <= 65535) starts[protocol].add(last + 1);
  };
  for (const policy of cluster.networkPolicies) {
    for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])]) {
      if (rule.ports === 'any') continue;
      for (const port of rule.ports) if (port.kind === 'number') add(port.protocol, port.first, port.last);
    }
  }
  for (const w of cluster.workloads) for (const cp of w.ports) add(cp.protocol, cp.port, cp.port);
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { TCP: sorted(starts.TCP), UDP: sorted(starts.UDP), SCTP: sorted(starts.SCTP) };
}

async function compare(options: Options): Promise<Compare> {
  const size = options.quick
    ? { workloads: 500, namespaces: 50, policies: 250 }
    : { workloads: 2000, namespaces: 200, policies: 1000 };
  const cluster = loadGenerated({ ...size, seed: options.seed });
  const n = cluster.workloads.length;
  await waitForQuiet();
  // Engine: the full model (every class pair and external range, every port), then counts over all pairs.
  const engineBuildSeconds: number[] = [];
  let model: Connectivity | undefined;
  let engineStats: ConnectivityStats | undefined;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    model = Connectivity.build(cluster, { ipBlockPods: 'match' });
    engineStats = model.stats();
    engineBuildSeconds.push((performance.now() - started) / 1000);
  }
  log(`engine build + stats at ${n} workloads: ${engineBuildSeconds.map((s) => s.toFixed(3)).join(', ')} s`);
  // Naive: a seeded random sample of ordered pairs, every protocol, one port per interval between boundaries.
  const boundaries = portBoundaries(cluster);
  const queriesPerPair = PROTOCOLS.reduce((sum, p) => sum + boundaries[p].length, 0);
  const random = new Random(options.seed ^ 0x5eed);
  const pairs: [number, number][] = [];
  while (pairs.length < options.sample) {
    const src = random.int(n);
    const dst = random.int(n);
    if (src !== dst) pairs.push([src, dst]);
  }
  const referenceOptions = { ipBlockPods: 'match' } as const;
  await waitForQuiet();
  const answers = new Uint8Array(pairs.length * queriesPerPair);
  const started = performance.now();
  let k = 0;
  for (const [src, dst] of pairs) {
    for (const protocol of PROTOCOLS) {
      for (const port of boundaries[protocol])
        answers[k++] = allowed(cluster, workload(src), workload(dst), protocol, port, referenceOptions)
          ? 1
          : 0;
    }
  }
  const naiveSampleSeconds = (performance.now() - started) / 1000;
  const busyAfter = await cpuBusy(500);
  // Not timed: the engine's answers for the same queries, to check both agree.
  let mismatches = 0;
  const mismatchExamples: string[] = [];
  k = 0;
  for (const [src, dst] of pairs) {
    const conns = model!.between(src, dst);
    for (const protocol of PROTOCOLS) {
      for (const port of boundaries[protocol]) {
        const engine = conns.allows(protocol, port);
        if (engine !== (answers[k++] === 1)) {
          mismatches++;
          if (mismatchExamples.length < 5) {
            mismatchExamples.push(
              `${cluster.workloads[src]!.id} -> ${cluster.workloads[dst]!.id} ${protocol}/${port}: engine ${engine ? 'allows' : 'denies'}, naive ${engine ? 'denies' : 'allows'}`,
            );
          }
        }
      }
    }
  }
  const allPairs = n * (n - 1);
  const naivePerPairMs = (naiveSampleSeconds * 1000) / pairs.length;
  const naiveExtrapolatedSeconds = (naivePerPairMs / 1000) * allPairs;
  const engineMedianSeconds = median(engineBuildSeconds);
  log(
    `naive: ${pairs.length} pairs x ${queriesPerPair} queries in ${naiveSampleSeconds.toFixed(2)} s; ${mismatches} mismatch(es) with the engine`,
  );
  return {
    size,
    engineBuildSeconds,
    engineMedianSeconds,
    engineStats: engineStats!,
    sampledPairs: pairs.length,
    queriesPerPair,
    boundariesByProtocol: {
      TCP: boundaries.TCP.length,
      UDP: boundaries.UDP.length,
      SCTP: boundaries.SCTP.length,
    },
    naiveSampleSeconds,
    naivePerPairMs,
    allPairs,
    naiveExtrapolatedSeconds,
    speedup: naiveExtrapolatedSeconds / engineMedianSeconds,
    mismatches,
    mismatchExamples,
    target: 100,
    ...(busyAfter !== undefined ? { busyAfter } : {}),
  };
}

// ---- (c) scaling ----------------------------------------------------------------------------------------------

interface ScalingRow {
  readonly size: Size;
  readonly run: CliRun;
}

async function scaling(dir: string, options: Options): Promise<ScalingRow[]> {
  const counts = options.quick ? [1000, 2000] : [1000, 2000, 5000, 10_000, 20_000];
  const rows: ScalingRow[] = [];
  for (const workloads of counts) {
    const size = { workloads, namespaces: workloads / 10, policies: workloads / 2 };
    const run = await runCli(clusterFile(dir, size, options.seed));
    log(`scaling ${workloads}: ${describeRun(run)}`);
    rows.push({ size, run });
  }
  return rows;
}

// ---- (d) explain and (e) diff ----------------------------------------------------------------------------------

interface ExplainBench {
  readonly size: Size;
  readonly pairs: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly targetMs: number;
}

/**
 * One `explain` after the cluster is loaded: `explainPair` on random ordered pairs of workloads and external
 * ranges (the first call included, JIT warm-up and all), in this process, load time excluded.
 */
async function explainBench(options: Options): Promise<ExplainBench> {
  const size = options.quick
    ? { workloads: 2000, namespaces: 200, policies: 1000 }
    : { workloads: 10_000, namespaces: 1000, policies: 5000 };
  const cluster = loadGenerated({ ...size, seed: options.seed });
  await waitForQuiet();
  const random = new Random(options.seed + 2);
  const n = cluster.workloads.length;
  const explainOptions = { ipBlockPods: 'match' as const, scope: ConnSet.ALL };
  const endpoint = (): Endpoint =>
    random.chance(0.1)
      ? { kind: 'external', first: 0x08080808n, last: 0x08080808n }
      : { kind: 'workload', index: random.int(n) };
  const times: number[] = [];
  const pairs = options.quick ? 50 : 200;
  for (let i = 0; i < pairs; i++) {
    const source = endpoint();
    const destination = endpoint();
    const started = performance.now();
    explainPair(cluster, source, destination, explainOptions);
    times.push(performance.now() - started);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result = {
    size,
    pairs,
    medianMs: median(times),
    p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    targetMs: 50,
  };
  log(
    `explain: ${pairs} pairs, median ${result.medianMs.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms`,
  );
  return result;
}

interface DiffBench {
  readonly size: Size;
  readonly newPolicies: number;
  readonly diffRuns: CliRun[];
  readonly reachRuns: CliRun[];
  readonly medianDiffSeconds: number;
  readonly medianReachSeconds: number;
  readonly ratio: number;
  readonly targetRatio: number;
}

/**
 * `diff OLD NEW` of two versions of the headline cluster (NEW: the same workloads, 1 % more policies), against
 * `reach --stats` of one version, both as child processes, alternated.
 */
async function diffBench(dir: string, options: Options): Promise<DiffBench> {
  const size = options.quick
    ? { workloads: 2000, namespaces: 200, policies: 1000 }
    : { workloads: 10_000, namespaces: 1000, policies: 5000 };
  const newPolicies = Math.round(size.policies * 1.01);
  const oldFile = clusterFile(dir, size, options.seed);
  const newFile = clusterFile(dir, { ...size, policies: newPolicies }, options.seed);
  const diffRuns: CliRun[] = [];
  const reachRuns: CliRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    await waitForQuiet();
    const d = await spawnCli(['diff', oldFile, newFile, '--format', 'json'], false);
    log(`diff run ${i + 1}/${options.runs}: ${describeRun(d)}`);
    diffRuns.push(d);
    const r = await runCli(oldFile);
    log(`reach --stats run ${i + 1}/${options.runs}: ${describeRun(r)}`);
    reachRuns.push(r);
  }
  const medianDiffSeconds = median(diffRuns.map((r) => r.wallSeconds));
  const medianReachSeconds = median(reachRuns.map((r) => r.wallSeconds));
  return {
    size,
    newPolicies,
    diffRuns,
    reachRuns,
    medianDiffSeconds,
    medianReachSeconds,
    ratio: medianDiffSeconds / medianReachSeconds,
    targetRatio: 2,
  };
}

// ---- (f) audit ------------------------------------------------------------------------------------------------

interface AuditBench {
  readonly size: Size;
  readonly resources: number;
  readonly runs: CliRun[];
  readonly medianWallSeconds: number;
  readonly findings: number;
  readonly targetSeconds: number;
}

/** `audit FILE --format json` with every check on 10,000 generated resources (JSON, as `kubectl get -o json`). */
async function auditBench(dir: string, options: Options): Promise<AuditBench> {
  const size = options.quick
    ? { workloads: 1250, namespaces: 125, policies: 625 }
    : { workloads: 6250, namespaces: 625, policies: 3125 };
  const file = clusterFile(dir, size, options.seed);
  const runs: CliRun[] = [];
  let findings = 0;
  for (let i = 0; i < options.runs; i++) {
    await waitForQuiet();
    const run = await spawnCli(['audit', file, '--format', 'json'], false);
    log(`audit run ${i + 1}/${options.runs}: ${describeRun(run)}`);
    runs.push(run);
  }
  // Count findings once, in process, from the same command's output.
  const counted = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'bulkhead.js'), 'audit', file, '--format', 'json'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  findings = (JSON.parse(counted.stdout) as { findings: unknown[] }).findings.length;
  return {
    size,
    resources: size.workloads + size.namespaces + size.policies,
    runs,
    medianWallSeconds: median(runs.map((r) => r.wallSeconds)),
    findings,
    targetSeconds: 3,
  };
}

// ---- reporting ------------------------------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fmtMiB(mib: number | undefined): string {
  return mib === undefined ? 'n/a' : `${mib.toFixed(0)} MiB`;
}

function fmtSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return 'n/a';
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return seconds >= 100 ? `${seconds.toFixed(0)} s` : `${seconds.toFixed(2)} s`;
}

function verdict(measured: number | undefined, target: number, lowerIsBetter: boolean): string {
  if (measured === undefined) return 'not measured';
  const met = lowerIsBetter ? measured <= target : measured >= target;
  if (met) return 'met';
  const factor = lowerIsBetter ? measured / target : target / measured;
  return `missed (${factor.toFixed(2)}×)`;
}

function headlineTable(h: Headline): string {
  const s = h.runs.find((r) => r.stats)?.stats;
  const loads = h.runs.flatMap((r) => (r.stats ? [r.stats.loadSeconds] : []));
  const models = h.runs.flatMap((r) => (r.stats ? [r.stats.modelSeconds] : []));
  return [
    `Headline: ${h.size.workloads} workloads, ${h.size.namespaces} namespaces, ${h.size.policies} policies (median of ${h.runs.length} runs)`,
    '',
    '| measure | measured | target | verdict |',
    '|---|---|---|---|',
    `| wall time (\`reach --stats\`, child process) | ${fmtSeconds(h.medianWallSeconds)} (runs: ${h.runs.map((r) => r.wallSeconds.toFixed(2)).join(', ')}) | < 5 s | ${verdict(h.medianWallSeconds, h.targetWallSeconds, true)} |`,
    `| peak RSS (max of runs) | ${fmtMiB(h.maxPeakRssMiB)} | < 1.5 GiB (1536 MiB) | ${verdict(h.maxPeakRssMiB, h.targetRssMiB, true)} |`,
    `| of which load (read + parse + normalize) | ${loads.length ? fmtSeconds(median(loads)) : 'n/a'} | | |`,
    `| of which model (build + stats) | ${models.length ? fmtSeconds(median(models)) : 'n/a'} | | |`,
    `| classes / allowed pairs | ${s ? `${s.classes} / ${s.allowedPairs}` : 'n/a'} | | |`,
    '',
  ].join('\n');
}

function compareTable(c: Compare): string {
  return [
    `Engine vs naive reference: ${c.size.workloads} workloads, ${c.size.namespaces} namespaces, ${c.size.policies} policies (load excluded on both sides)`,
    '',
    '| side | work | time |',
    '|---|---|---|',
    `| engine: \`Connectivity.build\` + \`stats()\` | all ${c.allPairs} ordered pairs + external ranges, all ports, ${c.engineStats.classes} classes | ${fmtSeconds(c.engineMedianSeconds)} (median of ${c.engineBuildSeconds.length}; first ${fmtSeconds(c.engineBuildSeconds[0])}) |`,
    `| naive: \`allowed()\`, measured | ${c.sampledPairs} random ordered pairs × ${c.queriesPerPair} queries (TCP ${c.boundariesByProtocol.TCP} + UDP ${c.boundariesByProtocol.UDP} + SCTP ${c.boundariesByProtocol.SCTP} port intervals) | ${fmtSeconds(c.naiveSampleSeconds)} (${c.naivePerPairMs.toFixed(2)} ms per pair) |`,
    `| naive, extrapolated to all ${c.allPairs} pairs | per-pair time × pairs | ${fmtSeconds(c.naiveExtrapolatedSeconds)} |`,
    `| **speedup** | target ≥ ${c.target}× | **${c.speedup.toFixed(0)}×** — ${verdict(c.speedup, c.target, false)} |`,
    '',
    `Agreement on the sampled queries: ${c.mismatches === 0 ? 'all agree' : `${c.mismatches} mismatch(es), e.g. ${c.mismatchExamples.join('; ')}`}.`,
    '',
  ].join('\n');
}

function explainTable(e: ExplainBench): string {
  return [
    `Explain: one pair after loading ${e.size.workloads} workloads, ${e.size.policies} policies (${e.pairs} random pairs, in process)`,
    '',
    '| measure | measured | target | verdict |',
    '|---|---|---|---|',
    `| median | ${e.medianMs.toFixed(2)} ms | < ${e.targetMs} ms | ${verdict(e.medianMs, e.targetMs, true)} |`,
    `| p99 / max (max includes JIT warm-up) | ${e.p99Ms.toFixed(2)} ms / ${e.maxMs.toFixed(2)} ms | < ${e.targetMs} ms | ${verdict(e.maxMs, e.targetMs, true)} |`,
    '',
  ].join('\n');
}

function diffTable(d: DiffBench): string {
  const rss = (runs: CliRun[]): number | undefined =>
    Math.max(...runs.map((r) => r.peakRssMiB ?? Number.NaN)) || undefined;
  return [
    `Diff: ${d.size.workloads} workloads, ${d.size.policies} vs ${d.newPolicies} policies (median of ${d.diffRuns.length} child runs each)`,
    '',
    '| command | wall | peak RSS |',
    '|---|---|---|',
    `| \`diff OLD NEW --format json\` | ${fmtSeconds(d.medianDiffSeconds)} (runs: ${d.diffRuns.map((r) => r.wallSeconds.toFixed(2)).join(', ')}) | ${fmtMiB(rss(d.diffRuns))} |`,
    `| \`reach OLD --stats\` | ${fmtSeconds(d.medianReachSeconds)} (runs: ${d.reachRuns.map((r) => r.wallSeconds.toFixed(2)).join(', ')}) | ${fmtMiB(rss(d.reachRuns))} |`,
    `| **ratio** | **${d.ratio.toFixed(2)}×** (target < ${d.targetRatio}×) | ${verdict(d.ratio, d.targetRatio, true)} |`,
    '',
  ].join('\n');
}

function auditTable(a: AuditBench): string {
  const rss = Math.max(...a.runs.map((r) => r.peakRssMiB ?? Number.NaN)) || undefined;
  return [
    `Audit: ${a.resources} resources (${a.size.workloads} workloads, ${a.size.namespaces} namespaces, ${a.size.policies} policies), every check (median of ${a.runs.length} child runs)`,
    '',
    '| measure | measured | target | verdict |',
    '|---|---|---|---|',
    `| wall time (\`audit --format json\`) | ${fmtSeconds(a.medianWallSeconds)} (runs: ${a.runs.map((r) => r.wallSeconds.toFixed(2)).join(', ')}) | < ${a.targetSeconds} s | ${verdict(a.medianWallSeconds, a.targetSeconds, true)} |`,
    `| peak RSS | ${fmtMiB(rss)} | | |`,
    `| findings | ${a.findings} | | |`,
    '',
  ].join('\n');
}

function scalingTable(rows: readonly ScalingRow[]): string {
  const lines = [
    'Scaling (namespaces = workloads/10, policies = workloads/2; one child process per row)',
    '',
    '| workloads | namespaces | policies | load | model | total (in CLI) | wall (process) | peak RSS | classes | allowed pairs |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { size, run } of rows) {
    const s = run.stats;
    lines.push(
      `| ${size.workloads} | ${size.namespaces} | ${size.policies} | ${fmtSeconds(s?.loadSeconds)} | ${fmtSeconds(s?.modelSeconds)} | ${fmtSeconds(s?.totalSeconds)} | ${fmtSeconds(run.wallSeconds)}${run.ok ? '' : ` (${run.error ?? 'failed'})`} | ${fmtMiB(run.peakRssMiB)} | ${s?.classes ?? 'n/a'} | ${s?.allowedPairs ?? 'n/a'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ---- main -----------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const machine = describeMachine();
  const git = spawnSync('git', ['describe', '--always', '--dirty'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  log(`commit ${git || 'unknown'}`);
  log(
    `machine: ${machine.nproc} CPUs, ${machine.cpuModel}, node ${machine.node}; peak RSS via ${machine.rssMethod}`,
  );
  const needsCli = ['headline', 'scaling', 'diff', 'audit'].some((part) => options.only.has(part));
  if (needsCli && options.build) buildIfStale();
  const dir = join(tmpdir(), 'bulkhead-bench');
  mkdirSync(dir, { recursive: true });
  // In-process part first, while this process's heap is still small.
  const compared = options.only.has('compare') ? await compare(options) : undefined;
  const head = options.only.has('headline') ? await headline(dir, options) : undefined;
  const scaled = options.only.has('scaling') ? await scaling(dir, options) : undefined;
  const explained = options.only.has('explain') ? await explainBench(options) : undefined;
  const diffed = options.only.has('diff') ? await diffBench(dir, options) : undefined;
  const audited = options.only.has('audit') ? await auditBench(dir, options) : undefined;

  const markdown = [
    head ? headlineTable(head) : '',
    compared ? compareTable(compared) : '',
    scaled ? scalingTable(scaled) : '',
    explained ? explainTable(explained) : '',
    diffed ? diffTable(diffed) : '',
    audited ? auditTable(audited) : '',
  ]
    .filter(Boolean)
    .join('\n');
  process.stdout.write(`\n${markdown}`);
  mkdirSync(RESULTS, { recursive: true });
  const result = {
    date: new Date().toISOString(),
    commit: git,
    machine,
    options: { ...options, only: [...options.only] },
    headline: head,
    compare: compared,
    scaling: scaled,
    explain: explained,
    diff: diffed,
    audit: audited,
    benchSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), markdown);
  log(
    `wrote ${relative(ROOT, join(RESULTS, 'latest.json'))} and latest.md; whole bench ${fmtSeconds(result.benchSeconds)}`,
  );
  const failed = [
    ...(head?.runs ?? []),
    ...(scaled ?? []).map((r) => r.run),
    ...(diffed?.diffRuns ?? []),
    ...(diffed?.reachRuns ?? []),
    ...(audited?.runs ?? []),
  ].some((r) => !r.ok);
  if (failed) process.exitCode = 1;
}

await main();
