// `bulkhead reach PATH...`: who can talk to whom, on which ports.

import { performance } from 'node:perf_hooks';
import { AddressSet, parseCidr } from '../core/model/address-set.js';
import { hasErrors, type Diagnostic } from '../core/diagnostics.js';
import {
  Connectivity,
  type ConnectivityStats,
  type HostNetworkPods,
  type IpBlockPods,
} from '../core/engine/connectivity.js';
import { listConnections } from '../core/engine/connection-list.js';
import { loadCluster } from '../k8s/load-cluster.js';
import { readSources } from '../k8s/read-sources.js';
import { renderConnections, type ConnectionFormat } from '../report/connections.js';
import { renderDiagnostics } from '../report/diagnostics.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export interface ReachOptions {
  readonly format: ConnectionFormat;
  readonly ipblockPods: IpBlockPods;
  readonly hostNetwork?: HostNetworkPods;
  readonly podCidr: readonly string[];
  readonly stats: boolean;
  readonly strict: boolean;
  readonly verbose: boolean;
}

export async function reach(paths: readonly string[], options: ReachOptions, io: CliIo): Promise<number> {
  const podCidrs = parsePodCidrs(options.podCidr);
  const started = performance.now();
  const read = await readSources(paths, io.readStdin);
  const loaded = loadCluster(read.files);
  const diagnostics: Diagnostic[] = [...read.diagnostics, ...loaded.diagnostics];
  const loadedAt = performance.now();
  const failed = hasErrors(diagnostics);
  const report = (): void => {
    const shown = options.verbose ? diagnostics : diagnostics.filter((d) => d.severity !== 'info');
    if (shown.length > 0) io.stderr(renderDiagnostics(shown, loaded.sources));
    if (failed) {
      const count = diagnostics.filter((d) => d.severity === 'error').length;
      io.stderr(
        options.strict
          ? `bulkhead: ${count} error(s) in the input; nothing analysed (--strict)\n`
          : `bulkhead: ${count} error(s) in the input; objects with errors were left out of the analysis\n`,
      );
    }
  };
  if (failed && options.strict) {
    report();
    return EXIT_USAGE;
  }
  const model = Connectivity.build(loaded.cluster, {
    ipBlockPods: options.ipblockPods,
    ...(options.hostNetwork !== undefined ? { hostNetworkPods: options.hostNetwork } : {}),
    ...(podCidrs !== undefined ? { podCidrs } : {}),
  });
  if (options.stats) {
    const stats = model.stats();
    const finished = performance.now();
    const timing = {
      loadSeconds: (loadedAt - started) / 1000,
      modelSeconds: (finished - loadedAt) / 1000,
      totalSeconds: (finished - started) / 1000,
    };
    io.stdout(
      options.format === 'json'
        ? `${JSON.stringify({ ...stats, ...timing }, null, 2)}\n`
        : renderStats(stats, timing),
    );
  } else {
    const rows = listConnections(model);
    io.stdout(renderConnections({ workloads: loaded.cluster.workloads, rows, diagnostics }, options.format));
  }
  report();
  return failed ? EXIT_USAGE : EXIT_OK;
}

/** Parses the repeatable --pod-cidr option; throws UsageError on a malformed CIDR. */
export function parsePodCidrs(texts: readonly string[]): AddressSet | undefined {
  if (texts.length === 0) return undefined;
  let set = AddressSet.EMPTY;
  for (const text of texts) {
    const parsed = parseCidr(text);
    if (parsed === undefined)
      throw new UsageError(
        `--pod-cidr "${text}" is not a valid CIDR (e.g. 10.244.0.0/16 or fd00:10:244::/56)`,
      );
    set = set.union(parsed.set);
  }
  return set;
}

function renderStats(
  stats: ConnectivityStats,
  timing: { loadSeconds: number; modelSeconds: number; totalSeconds: number },
): string {
  const p = stats.allowedPairsByProtocol;
  return [
    `workloads:                  ${stats.workloads}`,
    `equivalence classes:        ${stats.classes}`,
    `external ranges:            ${stats.externalRanges}`,
    `isolated for ingress:       ${stats.ingressIsolated}`,
    `isolated for egress:        ${stats.egressIsolated}`,
    `isolated both ways:         ${stats.isolatedBothWays}`,
    `allowed workload pairs:     ${stats.allowedPairs} (TCP ${p.TCP}, UDP ${p.UDP}, SCTP ${p.SCTP}; all ports ${stats.fullyOpenPairs})`,
    `external → workload pairs:  ${stats.externalIngressPairs}`,
    `workload → external pairs:  ${stats.externalEgressPairs}`,
    `time:                       ${timing.totalSeconds.toFixed(3)} s (load ${timing.loadSeconds.toFixed(3)} s, model ${timing.modelSeconds.toFixed(3)} s)`,
    '',
  ].join('\n');
}
