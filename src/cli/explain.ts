// `bulkhead explain SRC DST PATH...` and `bulkhead explain --all-denied SRC PATH...`: why a connection is allowed
// or denied, per direction, tier, policy and rule.

import { explainAllDenied, explainPair, type Endpoint, type ExplainOptions } from '../core/engine/explain.js';
import { endpointLabel, resolveEndpoint } from '../core/engine/resolve-endpoint.js';
import { ConnSet, PROTOCOLS, PortSet, type Protocol } from '../core/model/port-set.js';
import type { Cluster } from '../core/model/cluster.js';
import {
  allDeniedJson,
  pairJson,
  renderAllDeniedText,
  renderPairText,
  type ExplainFormat,
} from '../report/explain.js';
import { analysisOptions, loadInput, type AnalysisCliOptions } from './analysis-input.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export interface ExplainCliOptions extends AnalysisCliOptions {
  readonly format: ExplainFormat;
  readonly port?: string;
  readonly protocol?: string;
  readonly allDenied?: string;
}

/**
 * `args` is `SRC DST PATH...`, or `PATH...` with `--all-denied SRC`. Endpoints: `ns/name[Kind]`, `ns/name`,
 * `name` (namespace `default`), or an IP address.
 */
export async function explain(
  args: readonly string[],
  options: ExplainCliOptions,
  io: CliIo,
): Promise<number> {
  const pairMode = options.allDenied === undefined;
  if (pairMode && args.length < 3)
    throw new UsageError('explain needs SRC DST PATH... (or --all-denied SRC PATH...)');
  const paths = pairMode ? args.slice(2) : args;
  const scope = parseScope(options.port, options.protocol);
  const explainOptions: ExplainOptions = { ...analysisOptions(options), scope };
  const { loaded, input } = await loadInput(paths, io, options);
  // Diagnostics first: an unknown endpoint may well be an object the input could not load.
  input.print(io, 'objects with errors were left out of the analysis');
  const cluster = loaded.cluster;
  const ctx = { cluster, sources: loaded.sources };
  if (pairMode) {
    const source = endpoint(cluster, args[0]!, 'SRC');
    const destination = endpoint(cluster, args[1]!, 'DST');
    const pair = explainPair(cluster, source, destination, explainOptions);
    io.stdout(
      options.format === 'json'
        ? `${JSON.stringify(pairJson(ctx, pair), null, 2)}\n`
        : renderPairText(ctx, pair),
    );
  } else {
    const source = endpoint(cluster, options.allDenied!, '--all-denied');
    const label = endpointLabel(cluster, source);
    const denied = explainAllDenied(cluster, source, explainOptions);
    io.stdout(
      options.format === 'json'
        ? `${JSON.stringify(allDeniedJson(ctx, label, denied), null, 2)}\n`
        : renderAllDeniedText(ctx, label, denied),
    );
  }
  return input.failed ? EXIT_USAGE : EXIT_OK;
}

function endpoint(cluster: Cluster, text: string, what: string): Endpoint {
  const resolved = resolveEndpoint(cluster, text);
  if (resolved.ok) return resolved.endpoint;
  const hint =
    resolved.suggestions.length > 0
      ? `; did you mean ${resolved.suggestions.join(', ')}?`
      : cluster.workloads.length === 0
        ? '; the input has no workloads'
        : '';
  throw new UsageError(`${what}: ${resolved.message}${hint}`);
}

/** `--port N` or `N-M`, `--protocol TCP|UDP|SCTP`: the connections to explain. */
function parseScope(port: string | undefined, protocol: string | undefined): ConnSet {
  let ports = PortSet.ALL;
  if (port !== undefined) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(port.trim());
    const first = match ? Number(match[1]) : NaN;
    const last = match?.[2] !== undefined ? Number(match[2]) : first;
    if (!(first >= 1 && last <= 65535 && first <= last))
      throw new UsageError(`--port "${port}" is not a port (1-65535) or a range like 8000-8080`);
    ports = PortSet.range(first, last);
  }
  let protocols: readonly Protocol[] = PROTOCOLS;
  if (protocol !== undefined) {
    const upper = protocol.toUpperCase();
    if (!(PROTOCOLS as readonly string[]).includes(upper))
      throw new UsageError(`--protocol "${protocol}" is not one of TCP, UDP, SCTP`);
    protocols = [upper as Protocol];
  }
  return ConnSet.of(Object.fromEntries(protocols.map((p) => [p, ports])));
}
