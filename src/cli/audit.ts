// `bulkhead audit PATH...`: posture findings, with the CI gate and the noise controls.

import { readFile, writeFile } from 'node:fs/promises';
import { AUDIT_CHECKS } from '../core/audit/catalog.js';
import { buildReachGraph } from '../core/audit/graph.js';
import { fingerprint, runAudit, type AuditResult, type RunOptions } from '../core/audit/run.js';
import type { AuditSettings, Check } from '../core/audit/types.js';
import { Connectivity, type ConnectivityOptions } from '../core/engine/connectivity.js';
import type { LoadResult } from '../k8s/load-cluster.js';
import { atOrAbove, type Severity } from '../core/severity.js';
import { CONFIG_FILE, loadConfig } from '../config/load-config.js';
import {
  AUDIT_FORMATS,
  GRAPH_FORMATS,
  renderAudit,
  renderCatalog,
  type AuditFormat,
} from '../report/audit.js';
import { renderDiagnostics } from '../report/diagnostics.js';
import { analysisOptions, loadInput, type AnalysisCliOptions } from './analysis-input.js';
import { EXIT_FOUND, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export { AUDIT_FORMATS };

export interface AuditCliOptions extends AnalysisCliOptions {
  readonly format: AuditFormat;
  readonly failOn?: Severity;
  readonly config?: string;
  readonly baseline?: string;
  readonly writeBaseline?: string;
  readonly listChecks: boolean;
  readonly strict: boolean;
  /** Colour in the table (a TTY without NO_COLOR); decided by the edge, passed in. */
  readonly color?: boolean;
  /** Bulkhead's version, for SARIF's tool.driver.version. */
  readonly version?: string;
}

/**
 * Exit codes: 2 when the input or the configuration has errors (after auditing the valid objects, unless --strict);
 * else 1 when a finding is at or above --fail-on; else 0.
 */
export async function audit(
  paths: readonly string[],
  options: AuditCliOptions,
  io: CliIo,
  today: string,
): Promise<number> {
  if (options.listChecks) {
    io.stdout(
      renderCatalog(
        AUDIT_CHECKS.map((c) => c.info),
        options.format,
      ),
    );
    return EXIT_OK;
  }
  if (paths.length === 0) throw new UsageError('audit needs at least one PATH (file, directory or -)');
  const engineOptions = analysisOptions(options);
  const configuration = await loadConfig(options.config ?? CONFIG_FILE, options.config !== undefined);
  if (configuration.diagnostics.some((d) => d.severity === 'error')) {
    io.stderr(
      renderDiagnostics(
        configuration.diagnostics,
        new Map(configuration.source ? [[configuration.source.file.name, configuration.source]] : []),
      ),
    );
    io.stderr('bulkhead: the configuration has errors; nothing audited\n');
    return EXIT_USAGE;
  }
  const baseline = options.baseline === undefined ? undefined : await readBaseline(options.baseline);
  const { loaded, input } = await loadInput(paths, io, options);
  if (input.failed && options.strict) {
    input.print(io, 'nothing audited (--strict)');
    return EXIT_USAGE;
  }
  let model: Connectivity | undefined;
  const modelOf = (): Connectivity => (model ??= Connectivity.build(loaded.cluster, engineOptions));
  const result = auditLoaded(loaded, modelOf, engineOptions, configuration.settings, {
    config: configuration.config,
    today,
    ...(baseline !== undefined ? { baseline } : {}),
  });
  const sources = new Map(input.sources);
  if (configuration.source) sources.set(configuration.source.file.name, configuration.source);
  // The HTML report draws the reachability graph, from the model the checks built (or build it now).
  const graph = GRAPH_FORMATS.includes(options.format)
    ? buildReachGraph(modelOf(), result.findings, result.checks)
    : undefined;
  io.stdout(
    renderAudit(
      {
        result,
        diagnostics: [...configuration.diagnostics, ...input.diagnostics],
        sources,
        color: options.color ?? false,
        baseDir: process.cwd(),
        ...(graph !== undefined ? { graph } : {}),
        ...(options.version !== undefined ? { toolVersion: options.version } : {}),
      },
      options.format,
    ),
  );
  if (options.writeBaseline !== undefined) {
    const entries = result.findings.map((f) => ({
      fingerprint: fingerprint(f),
      check: f.check,
      resource: f.resource,
      message: f.message,
    }));
    await writeFile(options.writeBaseline, `${JSON.stringify({ version: 1, findings: entries }, null, 2)}\n`);
    io.stderr(`bulkhead: wrote ${entries.length} finding(s) to the baseline ${options.writeBaseline}\n`);
  }
  input.print(io, 'objects with errors were left out of the audit');
  if (input.failed) return EXIT_USAGE;
  const threshold = options.failOn;
  if (threshold !== undefined && result.findings.some((f) => atOrAbove(f.severity, threshold)))
    return EXIT_FOUND;
  return EXIT_OK;
}

/** Audits loaded input: the catalog's checks over the objects, the cluster and its model (`model` builds it once). */
export function auditLoaded(
  loaded: Pick<LoadResult, 'cluster' | 'objects' | 'locate'>,
  model: () => Connectivity,
  engineOptions: ConnectivityOptions,
  settings: AuditSettings,
  runOptions: RunOptions,
  checks: readonly Check[] = AUDIT_CHECKS,
): AuditResult {
  return runAudit(
    checks,
    {
      cluster: loaded.cluster,
      objects: loaded.objects,
      locate: loaded.locate,
      model,
      options: engineOptions,
      settings,
    },
    runOptions,
  );
}

/** A baseline file written by --write-baseline: the fingerprints of accepted findings. */
async function readBaseline(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read the baseline ${path}; create it with --write-baseline ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`the baseline ${path} is not JSON; write it again with --write-baseline ${path}`);
  }
  const findings = (parsed as { findings?: unknown }).findings;
  if (
    !Array.isArray(findings) ||
    !findings.every((f) => typeof (f as { fingerprint?: unknown }).fingerprint === 'string')
  )
    throw new UsageError(
      `the baseline ${path} has no findings list with fingerprints; write it again with --write-baseline ${path}`,
    );
  return new Set(findings.map((f) => (f as { fingerprint: string }).fingerprint));
}
