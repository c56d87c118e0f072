// `bulkhead lint PATH...`: findings about the policies themselves (selectors that select nothing, redundant and
// shadowed rules, DNS blocked by egress isolation, ...), with --fail-on for CI.

import { hasErrors, type Diagnostic } from '../core/diagnostics.js';
import type { HostNetworkPods, IpBlockPods } from '../core/engine/connectivity.js';
import { LINT_CHECKS, lintCluster } from '../core/lint/index.js';
import { atOrAbove, type LintSeverity } from '../core/lint/types.js';
import { loadCluster } from '../k8s/load-cluster.js';
import { readSources } from '../k8s/read-sources.js';
import { renderDiagnostics } from '../report/diagnostics.js';
import { renderCatalog, renderLint, type LintFormat } from '../report/lint.js';
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';
import { parsePodCidrs } from './reach.js';

export interface LintCliOptions {
  readonly format: LintFormat;
  readonly failOn?: LintSeverity;
  readonly ipblockPods: IpBlockPods;
  readonly hostNetwork?: HostNetworkPods;
  readonly podCidr: readonly string[];
  readonly listChecks: boolean;
  readonly strict: boolean;
  readonly verbose: boolean;
}

/**
 * Exit codes: 2 when the input has errors (after linting the valid objects, unless --strict); else 1 when a
 * finding is at or above --fail-on; else 0.
 */
export async function lint(paths: readonly string[], options: LintCliOptions, io: CliIo): Promise<number> {
  if (options.listChecks) {
    io.stdout(renderCatalog(LINT_CHECKS, options.format));
    return EXIT_OK;
  }
  if (paths.length === 0) throw new UsageError('lint needs at least one PATH (file, directory or -)');
  const podCidrs = parsePodCidrs(options.podCidr);
  const read = await readSources(paths, io.readStdin);
  const loaded = loadCluster(read.files);
  const diagnostics: Diagnostic[] = [...read.diagnostics, ...loaded.diagnostics];
  const failed = hasErrors(diagnostics);
  const report = (): void => {
    const shown = options.verbose ? diagnostics : diagnostics.filter((d) => d.severity !== 'info');
    if (shown.length > 0) io.stderr(renderDiagnostics(shown, loaded.sources));
    if (failed) {
      const count = diagnostics.filter((d) => d.severity === 'error').length;
      io.stderr(
        options.strict
          ? `bulkhead: ${count} error(s) in the input; nothing linted (--strict)\n`
          : `bulkhead: ${count} error(s) in the input; objects with errors were left out of the lint\n`,
      );
    }
  };
  if (failed && options.strict) {
    report();
    return EXIT_USAGE;
  }
  const result = lintCluster(loaded.cluster, {
    ipBlockPods: options.ipblockPods,
    ...(options.hostNetwork !== undefined ? { hostNetworkPods: options.hostNetwork } : {}),
    ...(podCidrs !== undefined ? { podCidrs } : {}),
  });
  io.stdout(renderLint({ result, diagnostics, sources: loaded.sources }, options.format));
  report();
  if (failed) return EXIT_USAGE;
  const threshold = options.failOn;
  if (threshold !== undefined && result.findings.some((f) => atOrAbove(f.severity, threshold)))
    return EXIT_FOUND;
  return EXIT_OK;
}
