// `bulkhead diff OLD NEW`: connections added, removed and changed between two versions of one cluster.

import { hasErrors } from '../core/diagnostics.js';
import { Connectivity } from '../core/engine/connectivity.js';
import { diffModels, opensConnections } from '../core/engine/diff.js';
import { GIT_PREFIX, parseGitSpec, readGitSources } from '../k8s/git-source.js';
import { loadCluster } from '../k8s/load-cluster.js';
import { readSources, type ReadSourcesResult } from '../k8s/read-sources.js';
import { renderDiff, type DiffFormat } from '../report/diff.js';
import { analysisOptions, InputReport, type AnalysisCliOptions } from './analysis-input.js';
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export interface DiffOptions extends AnalysisCliOptions {
  readonly format: DiffFormat;
  readonly failOnNew: boolean;
  readonly oldName: string;
  readonly newName: string;
  readonly strict: boolean;
}

/**
 * OLD and NEW are each a file or directory, `-` (stdin, one side at most), or `git:REF[:PATH]`: PATH as it is at
 * revision REF; without PATH, the other argument's path (or `.` when that one is git:REF too).
 * Exit: 0 done; 1 with --fail-on-new when NEW allows a connection OLD did not; 2 usage or input error.
 */
export async function diff(oldArg: string, newArg: string, options: DiffOptions, io: CliIo): Promise<number> {
  const engineOptions = analysisOptions(options);
  if (oldArg === '-' && newArg === '-') throw new UsageError('only one of OLD and NEW can be - (stdin)');
  const oldRead = await readSide(oldArg, newArg, io);
  const newRead = await readSide(newArg, oldArg, io);
  const oldLoaded = loadCluster(oldRead.files);
  const newLoaded = loadCluster(newRead.files);
  const input = new InputReport([oldRead, newRead], [oldLoaded, newLoaded], options.verbose);
  // A side that could not be read at all would show every connection of the other side as added or removed.
  const unreadable = hasErrors(oldRead.diagnostics) || hasErrors(newRead.diagnostics);
  if (input.failed && (options.strict || unreadable)) {
    input.print(io, 'nothing compared');
    return EXIT_USAGE;
  }
  const result = diffModels(
    Connectivity.build(oldLoaded.cluster, engineOptions),
    Connectivity.build(newLoaded.cluster, engineOptions),
  );
  io.stdout(
    renderDiff(
      {
        diff: result,
        oldName: options.oldName,
        newName: options.newName,
        diagnostics: input.diagnostics,
        sources: input.sources,
      },
      options.format,
    ),
  );
  input.print(io, 'objects with errors were left out of the analysis');
  if (input.failed) return EXIT_USAGE;
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
