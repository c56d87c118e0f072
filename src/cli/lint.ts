// `bulkhead lint PATH...`: findings about the policies themselves (selectors that select nothing, redundant and
// shadowed rules, DNS blocked by egress isolation, ...), with --fail-on for CI.

import { LINT_CHECKS, lintCluster } from '../core/lint/index.js';
import { atOrAbove, type LintSeverity } from '../core/lint/types.js';
import { renderCatalog, renderLint, type LintFormat } from '../report/lint.js';
import { analysisOptions, loadInput, type AnalysisCliOptions } from './analysis-input.js';
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export interface LintCliOptions extends AnalysisCliOptions {
  readonly format: LintFormat;
  readonly failOn?: LintSeverity;
  readonly listChecks: boolean;
  readonly strict: boolean;
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
  const engineOptions = analysisOptions(options);
  const { loaded, input } = await loadInput(paths, io, options);
  if (input.failed && options.strict) {
    input.print(io, 'nothing linted (--strict)');
    return EXIT_USAGE;
  }
  const result = lintCluster(loaded.cluster, engineOptions);
  io.stdout(renderLint({ result, diagnostics: input.diagnostics, sources: loaded.sources }, options.format));
  input.print(io, 'objects with errors were left out of the lint');
  if (input.failed) return EXIT_USAGE;
  const threshold = options.failOn;
  if (threshold !== undefined && result.findings.some((f) => atOrAbove(f.severity, threshold)))
    return EXIT_FOUND;
  return EXIT_OK;
}
