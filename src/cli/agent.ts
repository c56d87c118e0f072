// `bulkhead agent --policies DIR`: enforce the policies on this Docker host with nftables (see src/agent).
// `bulkhead status`: what is enforced, and since when.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent, type DesiredInput, type FailMode, type ReconcileOutcome } from '../agent/agent.js';
import { Follower } from '../agent/follow.js';
import {
  DEFAULT_STATE_DIR,
  processRuns,
  readState,
  removeState,
  writeState,
  type StoredState,
} from '../agent/state-file.js';
import { AddressSet, parseCidr } from '../core/model/address-set.js';
import { CHECK_CHAINS, checkTableName, DEFAULT_TABLE, renderUninstall } from '../core/nft/ruleset.js';
import {
  DockerEngineClient,
  resolveDockerSocket,
  type DockerInventorySource,
} from '../docker/engine-client.js';
import { DockerInventoryMapping, isRunningContainer, loadDockerInventory } from '../docker/inventory.js';
import { InventoryCache } from '../docker/inventory-cache.js';
import { Conntrack } from '../host/conntrack.js';
import { sourcesFingerprint } from '../k8s/read-sources.js';
import { Nft } from '../host/nft.js';
import { monitorRuleset, touchesTable } from '../host/nft-monitor.js';
import { bridgeFilterStatus, BRIDGE_FILTER_HINT } from '../host/sysctl.js';
import { renderDiagnostics } from '../report/diagnostics.js';
import {
  combineDockerInput,
  readDockerPolicies,
  renderDockerError,
  type DockerPolicies,
} from './docker-input.js';
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export interface AgentCliOptions {
  readonly policies?: string;
  readonly dockerSocket?: string;
  readonly table: string;
  readonly stateDir: string;
  readonly failMode: FailMode;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly uninstall: boolean;
  readonly resync: string;
}

export async function agent(options: AgentCliOptions, io: CliIo): Promise<number> {
  const tableProblem = checkTableName(options.table);
  if (tableProblem !== undefined) throw new UsageError(`--table: ${tableProblem}`);
  const nft = new Nft();
  const log = (line: string): void => io.stderr(`${new Date().toISOString()} bulkhead agent: ${line}\n`);

  if (options.uninstall) {
    const removed = await nft.apply(renderUninstall(options.table));
    if (!removed.ok) {
      io.stderr(
        `bulkhead: ${removed.error.message}${removed.error.hint ? `\n  hint: ${removed.error.hint}` : ''}\n`,
      );
      return EXIT_USAGE;
    }
    removeState(options.stateDir, options.table);
    io.stdout(`removed table inet ${options.table} and its state; Docker's own rules are untouched\n`);
    return EXIT_OK;
  }

  if (options.policies === undefined) throw new UsageError("missing required option '--policies <dir>'");
  const policies = resolve(options.policies);
  if (!isDirectory(policies)) throw new UsageError(`--policies: ${options.policies} is not a directory`);
  const resyncSeconds = Number(options.resync);
  if (!Number.isFinite(resyncSeconds) || resyncSeconds < 1 || resyncSeconds > 86_400)
    throw new UsageError(`--resync: "${options.resync}" is not a number of seconds between 1 and 86400`);
  const socket = resolveDockerSocket(options.dockerSocket, io.env ?? process.env);
  if (!socket.ok) {
    io.stderr(renderDockerError(socket.error));
    return EXIT_USAGE;
  }
  const docker = new DockerEngineClient({ socketPath: socket.value });
  // Kept up to date from Docker's events once the daemon follows them; until then every read lists everything.
  const inventoryCache = new InventoryCache(docker);
  let inventorySource: DockerInventorySource = docker;

  let lastWarnings = '';
  // The policies are read and parsed again only when a file under the directory was written (or appeared or went).
  let loadedPolicies: { fingerprint: string; value: DockerPolicies } | undefined;
  const readPolicies = async (): Promise<DockerPolicies> => {
    const fingerprint = sourcesFingerprint([policies]);
    if (loadedPolicies?.fingerprint !== fingerprint)
      loadedPolicies = { fingerprint, value: await readDockerPolicies([policies], io) };
    return loadedPolicies.value;
  };
  // Remembers what it mapped: unchanged containers keep their workload objects from read to read.
  const mapping = new DockerInventoryMapping();
  const readDesired = async (): Promise<DesiredInput> => {
    // One read of the networks serves the mapping and the managed subnets: not a second request, and not a second
    // answer that could differ from the one the containers were mapped with.
    let networksRead: ReturnType<DockerEngineClient['listNetworks']> | undefined;
    const running = new Set<string>();
    const source: DockerInventorySource = {
      where: docker.where,
      listContainers: async () => {
        const listed = await inventorySource.listContainers();
        if (!listed.ok) return listed;
        for (const c of listed.value) if (isRunningContainer(c)) running.add(c.id);
        return listed;
      },
      inspectContainer: (id) => docker.inspectContainer(id),
      listNetworks: () => (networksRead ??= inventorySource.listNetworks()),
    };
    const inventory = await loadDockerInventory(source, mapping);
    if (!inventory.ok)
      return { ok: false, kind: 'inventory', message: renderDockerError(inventory.error).trim() };
    const read = combineDockerInput(await readPolicies(), inventory.value, { verbose: false });
    if (read.input.failed)
      return {
        ok: false,
        kind: 'policy',
        message: renderDiagnostics(
          read.input.diagnostics.filter((d) => d.severity === 'error'),
          read.input.sources,
        ).trimEnd(),
      };
    const networks = await source.listNetworks();
    if (!networks.ok)
      return { ok: false, kind: 'inventory', message: renderDockerError(networks.error).trim() };
    let managed = AddressSet.EMPTY;
    for (const network of networks.value)
      for (const subnet of network.subnets) {
        const parsed = parseCidr(subnet);
        if (parsed !== undefined) managed = managed.union(parsed.set);
      }
    // Warnings are logged when they change, not at every reconcile.
    const warnings = renderDiagnostics(
      read.input.diagnostics.filter((d) => d.severity === 'warning'),
      read.input.sources,
    );
    const fresh = warnings !== lastWarnings ? warnings : '';
    lastWarnings = warnings;
    return {
      ok: true,
      cluster: read.loaded.cluster,
      managed,
      running,
      ...(fresh !== '' ? { warnings: fresh } : {}),
    };
  };

  const engine = new Agent(
    { readDesired, nft, conntrack: new Conntrack(), log, now: () => new Date() },
    { table: options.table, failMode: options.failMode },
  );

  if (options.dryRun) {
    const preview = await engine.preview();
    if (!preview.ok) {
      io.stderr(`${preview.message}\nbulkhead: nothing printed\n`);
      return EXIT_USAGE;
    }
    io.stdout(preview.ruleset);
    return EXIT_OK;
  }

  const bridge = await bridgeFilterStatus();
  if (!bridge.ipv4)
    log(`warning: br_netfilter is ${bridge.loaded ? 'off' : 'not loaded'}. ${BRIDGE_FILTER_HINT}`);
  else if (!bridge.ipv6)
    log(
      'warning: net.bridge.bridge-nf-call-ip6tables is off: IPv6 traffic between containers on the same Docker ' +
        'network is not filtered. Run: sysctl -w net.bridge.bridge-nf-call-ip6tables=1 (and add it to ' +
        '/etc/sysctl.d/ to keep it after a reboot).',
    );

  const startedAt = new Date().toISOString();
  const saveState = (): void => {
    const state: StoredState = { ...engine.state(), pid: process.pid, policies, startedAt };
    try {
      writeState(options.stateDir, state);
    } catch (error) {
      log(`warning: cannot write the state to ${options.stateDir}: ${(error as Error).message}`);
    }
  };

  const first = await engine.reconcile('start');
  saveState();
  const firstFailed = failedOutcome(first);
  if (options.once) {
    if (firstFailed) io.stderr(`bulkhead: ${first.message}\n`);
    return firstFailed ? EXIT_USAGE : EXIT_OK;
  }
  if (first.status === 'failed') {
    io.stderr(`bulkhead: ${first.message}\n`);
    return EXIT_USAGE;
  }

  const follower = new Follower({
    agent: engine,
    events: docker,
    policiesDir: policies,
    monitor: (onChange, onEnd) => monitorRuleset(onChange, onEnd),
    ownChange: (change) => change.pid !== undefined && nft.startedBy(change.pid),
    touchesOurTable: (change) => touchesTable(change, options.table),
    onReconciled: () => saveState(),
    log,
    resyncSeconds,
    inventory: inventoryCache,
  });
  inventorySource = inventoryCache;
  const stop = (): void => {
    log('stopping; the rules stay in the kernel (bulkhead agent --uninstall removes them)');
    void follower.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log(`following Docker events and ${policies}`);
  await follower.run();
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  return EXIT_OK;
}

/** --once fails on input errors (policies, inventory) and on nft failures; an unchanged table is success. */
function failedOutcome(outcome: ReconcileOutcome): boolean {
  return (
    outcome.status === 'failed' ||
    outcome.status === 'kept' ||
    outcome.status === 'closed' ||
    outcome.status === 'opened'
  );
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface StatusCliOptions {
  readonly table: string;
  readonly stateDir: string;
  readonly format: 'txt' | 'json';
}

/** Exit 0 when the table is in the kernel, 1 when nothing is enforced. */
export async function status(options: StatusCliOptions, io: CliIo): Promise<number> {
  const tableProblem = checkTableName(options.table);
  if (tableProblem !== undefined) throw new UsageError(`--table: ${tableProblem}`);
  const nft = new Nft();
  const present = await nft.hasTable(options.table);
  if (!present.ok) {
    io.stderr(
      `bulkhead: ${present.error.message}${present.error.hint ? `\n  hint: ${present.error.hint}` : ''}\n`,
    );
    return EXIT_USAGE;
  }
  const stored = readState(options.stateDir, options.table);
  if (!stored.ok) {
    io.stderr(`bulkhead: ${stored.message}\n`);
    return EXIT_USAGE;
  }
  const state = stored.value;
  const drops = present.value ? await dropCounters(nft, options.table) : undefined;
  const agentRunning = state !== undefined && processRuns(state.pid);
  if (options.format === 'json') {
    io.stdout(
      `${JSON.stringify({ table: options.table, enforced: present.value, agentRunning, drops: drops ?? null, state: state ?? null }, null, 2)}\n`,
    );
    return present.value ? EXIT_OK : EXIT_FOUND;
  }
  const lines: string[] = [];
  if (!present.value) lines.push(`table inet ${options.table}: not in the kernel — nothing is enforced`);
  else
    lines.push(
      `table inet ${options.table}: enforced${state?.enforcingSince !== undefined ? ` since ${state.enforcingSince}` : ''}${state?.appliedAt !== undefined ? `, last change ${state.appliedAt}` : ''}`,
    );
  if (state === undefined) lines.push('agent: no state recorded (started elsewhere, or uninstalled)');
  else {
    lines.push(
      `agent: ${agentRunning ? `running (pid ${state.pid})` : `not running (last pid ${state.pid}); the rules stay in the kernel`}, policies ${state.policies}, --fail-mode ${state.failMode}`,
    );
    if (state.workloads !== undefined) lines.push(`workloads: ${state.workloads}`);
    if (state.elements !== undefined)
      lines.push(
        `elements: ${Object.entries(state.elements)
          .filter(([, n]) => n > 0)
          .map(([name, n]) => `${name} ${n}`)
          .join(', ')}`,
      );
    lines.push(
      `last reconcile: ${state.last.at} (${state.last.reason}): ${state.last.status} — ${state.last.message.split('\n')[0]}`,
    );
  }
  if (drops !== undefined)
    lines.push(`dropped: egress ${drops.egress} packets, ingress ${drops.ingress} packets`);
  io.stdout(`${lines.join('\n')}\n`);
  return present.value ? EXIT_OK : EXIT_FOUND;
}

/** Packets dropped by the egress and ingress checks, from the rule counters (the chain lists without elements). */
async function dropCounters(
  nft: Nft,
  table: string,
): Promise<{ egress: number; ingress: number } | undefined> {
  const lines: string[] = [];
  for (const chain of CHECK_CHAINS) {
    const listed = await nft.listChain(table, chain);
    if (!listed.ok) return undefined;
    lines.push(...listed.value.split('\n'));
  }
  const sum = (direction: string): number =>
    lines
      .filter((line) => line.includes(`comment "${direction} not allowed"`))
      .reduce((total, line) => total + Number(/counter packets (\d+)/.exec(line)?.[1] ?? 0), 0);
  return { egress: sum('egress'), ingress: sum('ingress') };
}

export { DEFAULT_STATE_DIR, DEFAULT_TABLE };
