// Loads the storefront example as the audit command does, for renderer tests that need a real model and sources.

import { join } from 'node:path';
import { loadInput } from '../../src/cli/analysis-input.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import type { AuditReport } from '../../src/report/audit.js';
import { PROJECT_ROOT } from '../shared.js';

export const STOREFRONT_DIR = join(PROJECT_ROOT, 'examples', 'storefront');

/** The storefront's cluster and an empty report over its sources (no findings, no checks). */
export async function loadStorefront(): Promise<{ cluster: Cluster; report: AuditReport }> {
  const io = { stdout: () => undefined, stderr: () => undefined, readStdin: async () => '' };
  const { loaded, input } = await loadInput([STOREFRONT_DIR], io, { verbose: false });
  return {
    cluster: loaded.cluster,
    report: {
      result: { findings: [], suppressed: [], checks: [], notes: [] },
      diagnostics: [],
      sources: input.sources,
      color: false,
      baseDir: PROJECT_ROOT,
    },
  };
}
