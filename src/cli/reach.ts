// `bulkhead reach PATH...`: who can talk to whom, on which ports.

import { performance } from 'node:perf_hooks';
import { Connectivity, type ConnectivityStats } from '../core/engine/connectivity.js';
import { listConnections } from '../core/engine/connection-list.js';
import { renderConnections, type ConnectionFormat } from '../report/connections.js';
import { analysisOptions, loadInput, type AnalysisCliOptions } from './analysis-input.js';
import { loadDockerInput, renderDockerError } from './docker-input.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export interface ReachOptions extends AnalysisCliOptions {
  readonly format: ConnectionFormat;
  readonly stats: boolean;
  readonly strict: boolean;
  /** Workloads from the live Docker inventory; the paths give policies only. */
  readonly docker?: boolean;
  readonly dockerSocket?: string;
}

export async function reach(paths: readonly string[], options: ReachOptions, io: CliIo): Promise<number> {
  const engineOptions = analysisOptions(options);
  const started = performance.now();
  if (options.dockerSocket !== undefined && options.docker !== true)
    throw new UsageError('--docker-socket is only used with --docker');
  if (paths.length === 0 && options.docker !== true)
    throw new UsageError("missing required argument 'paths' (or --docker for the containers of this host)");
  const read =
    options.docker === true ? await loadDockerInput(paths, io, options) : await loadInput(paths, io, options);
  if ('error' in read) {
    io.stderr(renderDockerError(read.error));
    return EXIT_USAGE;
  }
  const { loaded, input } = read;
  const loadedAt = performance.now();
  if (input.failed && options.strict) {
    input.print(io, 'nothing analysed (--strict)');
    return EXIT_USAGE;
  }
  const model = Connectivity.build(loaded.cluster, engineOptions);
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
    io.stdout(
      renderConnections(
        { workloads: loaded.cluster.workloads, rows, diagnostics: input.diagnostics, sources: input.sources },
        options.format,
      ),
    );
  }
  input.print(io, 'objects with errors were left out of the analysis');
  return input.failed ? EXIT_USAGE : EXIT_OK;
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
