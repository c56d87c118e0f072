// `bulkhead diff OLD NEW`: connections added, removed and changed between two versions of one cluster.

import { hasErrors, type Diagnostic } from '../core/diagnostics.js';
import { Connectivity, type HostNetworkPods, type IpBlockPods } from '../core/engine/connectivity.js';
import { diffModels, opensConnections } from '../core/engine/diff.js';
import { GIT_PREFIX, parseGitSpec, readGitSources } from '../k8s/git-source.js';
import { loadCluster, type LoadResult } from '../k8s/load-cluster.js';
import { readSources, type ReadSourcesResult } from '../k8s/read-sources.js';
import { renderDiagnostics, type PositionLookup } from '../report/diagnostics.js';
import { renderDiff, type DiffFormat } from '../report/diff.js';
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';
import { parsePodCidrs } from './reach.js';

export interface DiffOptions {
  readonly format: DiffFormat;
  readonly ipblockPods: IpBlockPods;
  readonly hostNetwork?: HostNetworkPods;
  readonly podCidr: readonly string[];
  readonly failOnNew: boolean;
  readonly oldName: string;
  readonly newName: string;
  readonly strict: boolean;
  readonly verbose: boolean;
}

/**
 * OLD and NEW are each a file or directory, `-` (stdin, one side at most), or `git:REF[:PATH]`: PATH as it is at
 * revision REF; without PATH, the other argument's path (or `.` when that one is git:REF too).
 * Exit: 0 done; 1 with --fail-on-new when NEW allows a connection OLD did not; 2 usage or input error.
 */
export async function diff(oldArg: string, newArg: string, options: DiffOptions, io: CliIo): Promise<number> {
  const podCidrs = parsePodCidrs(options.podCidr);
  if (oldArg === '-' && newArg === '-') throw new UsageError('only one of OLD and NEW can be - (stdin)');
  const oldRead = await readSide(oldArg, newArg, io);
  const newRead = await readSide(newArg, oldArg, io);
  const oldLoaded = loadCluster(oldRead.files);
  const newLoaded = loadCluster(newRead.files);
  const diagnostics: Diagnostic[] = [
    ...oldRead.diagnostics,
    ...oldLoaded.diagnostics,
    ...newRead.diagnostics,
    ...newLoaded.diagnostics,
  ];
  const sources = new Map<string, PositionLookup>([...oldLoaded.sources, ...newLoaded.sources]);
  const failed = hasErrors(diagnostics);
  // A side that could not be read at all would show every connection of the other side as added or removed.
  const unreadable = hasErrors(oldRead.diagnostics) || hasErrors(newRead.diagnostics);
  const report = (analysed: boolean): void => {
    const shown = options.verbose ? diagnostics : diagnostics.filter((d) => d.severity !== 'info');
    if (shown.length > 0) io.stderr(renderDiagnostics(shown, sources));
    if (failed) {
      const count = diagnostics.filter((d) => d.severity === 'error').length;
      io.stderr(
        analysed
          ? `bulkhead: ${count} error(s) in the input; objects with errors were left out of the analysis\n`
          : `bulkhead: ${count} error(s) in the input; nothing compared\n`,
      );
    }
  };
  if (failed && (options.strict || unreadable)) {
    report(false);
    return EXIT_USAGE;
  }
  const build = (loaded: LoadResult): Connectivity =>
    Connectivity.build(loaded.cluster, {
      ipBlockPods: options.ipblockPods,
      ...(options.hostNetwork !== undefined ? { hostNetworkPods: options.hostNetwork } : {}),
      ...(podCidrs !== undefined ? { podCidrs } : {}),
    });
  const result = diffModels(build(oldLoaded), build(newLoaded));
  io.stdout(
    renderDiff(
      { diff: result, oldName: options.oldName, newName: options.newName, diagnostics },
      options.format,
    ),
  );
  report(true);
  if (failed) return EXIT_USAGE;
  return options.failOnNew && opensConnections(result) ? EXIT_FOUND : EXIT_OK;
}

async function readSide(arg: string, other: string, io: CliIo): Promise<ReadSourcesResult> {
  if (!arg.startsWith(GIT_PREFIX)) return readSources([arg], io.readStdin);
  const spec = parseGitSpec(arg);
  if ('error' in spec) throw new UsageError(spec.error);
  return readGitSources(spec.ref, spec.path ?? pathOf(other, arg));
}

/** The path a bare `git:REF` reads: the other argument's. */
function pathOf(other: string, arg: string): string {
  if (!other.startsWith(GIT_PREFIX)) {
    if (other === '-')
      throw new UsageError(`"${arg}" needs a path when the other side is stdin: ${arg}:PATH`);
    return other;
  }
  const spec = parseGitSpec(other);
  return 'error' in spec || spec.path === undefined ? '.' : spec.path;
}
