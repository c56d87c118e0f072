// What every analysing command does with its input: read and load the manifests, turn the shared options into
// engine options, and report the input's diagnostics once, saying what became of the analysis.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { combineLoads } from '../compose/combine.js';
import { isComposeFile, loadCompose } from '../compose/load-compose.js';
import { hasErrors, type Diagnostic } from '../core/diagnostics.js';
import type { ConnectivityOptions, HostNetworkPods, IpBlockPods } from '../core/engine/connectivity.js';
import { AddressSet, parseCidr } from '../core/model/address-set.js';
import { loadCluster, type LoadResult } from '../k8s/load-cluster.js';
import { readSources, type ReadSourcesResult } from '../k8s/read-sources.js';
import { renderDiagnostics, type PositionLookup } from '../report/diagnostics.js';
import { UsageError, type CliIo } from './io.js';

/** The options declared by `withAnalysisOptions` in run.ts. */
export interface AnalysisCliOptions {
  readonly ipblockPods: IpBlockPods;
  readonly hostNetwork?: HostNetworkPods;
  readonly podCidr: readonly string[];
  readonly verbose: boolean;
  /**
   * Compose profiles to enable (`--profile`, repeatable): services without profiles plus those of these profiles
   * are analysed, as `docker compose --profile` runs them. None given: every service, profiles or not.
   */
  readonly profile?: readonly string[];
}

/** Engine options from the command line; a malformed --pod-cidr is a usage error. */
export function analysisOptions(options: AnalysisCliOptions): ConnectivityOptions {
  const podCidrs = parsePodCidrs(options.podCidr);
  return {
    ipBlockPods: options.ipblockPods,
    ...(options.hostNetwork !== undefined ? { hostNetworkPods: options.hostNetwork } : {}),
    ...(podCidrs !== undefined ? { podCidrs } : {}),
  };
}

function parsePodCidrs(texts: readonly string[]): AddressSet | undefined {
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

/** The diagnostics of one command's input (one or more reads and loads), printed once. */
export class InputReport {
  readonly diagnostics: readonly Diagnostic[];
  /** The files read, by name, to locate diagnostics. */
  readonly sources: ReadonlyMap<string, PositionLookup>;

  constructor(
    reads: readonly ReadSourcesResult[],
    loads: readonly LoadResult[],
    private readonly verbose: boolean,
  ) {
    this.diagnostics = [...reads.flatMap((r) => r.diagnostics), ...loads.flatMap((l) => l.diagnostics)];
    this.sources = new Map(loads.flatMap((l) => [...l.sources]));
  }

  /** True when the input has errors: exit code 2, after whatever analysis of the valid rest was asked for. */
  get failed(): boolean {
    return hasErrors(this.diagnostics);
  }

  /**
   * Prints the diagnostics (info notes only with --verbose) and, when there are errors, `outcome`: what became of
   * the analysis ("objects with errors were left out of the analysis", "nothing analysed (--strict)").
   */
  print(io: CliIo, outcome: string): void {
    const shown = this.verbose ? this.diagnostics : this.diagnostics.filter((d) => d.severity !== 'info');
    if (shown.length > 0) io.stderr(renderDiagnostics(shown, this.sources));
    if (this.failed) {
      const count = this.diagnostics.filter((d) => d.severity === 'error').length;
      io.stderr(`bulkhead: ${count} error(s) in the input; ${outcome}\n`);
    }
  }
}

/** Reads and loads `paths` (files, directories, - for stdin). */
export async function loadInput(
  paths: readonly string[],
  io: CliIo,
  options: Pick<AnalysisCliOptions, 'verbose' | 'profile'>,
): Promise<{ readonly loaded: LoadResult; readonly input: InputReport }> {
  const read = await readSources(paths, io.readStdin);
  // Compose files (by name, or a top-level `services:` without `kind:`) go to the Compose loader, the rest to
  // the Kubernetes one; a directory may hold both. Compose variables come from no environment (see load-compose).
  const compose = read.files.filter(isComposeFile);
  const manifests = read.files.filter((f) => !compose.includes(f));
  const loads = [loadCluster(manifests)];
  if (compose.length > 0)
    loads.push(
      loadCompose(compose, {
        readFile: readOptionalFile,
        stdinDirectory: basename(process.cwd()),
        ...(options.profile !== undefined && options.profile.length > 0 ? { profiles: options.profile } : {}),
      }),
    );
  const loaded = combineLoads(loads);
  return { loaded, input: new InputReport([read], [loaded], options.verbose) };
}

/** A file named by a Compose `extends.file` outside the given paths; undefined when it cannot be read. */
function readOptionalFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
