// `lint`: runs every check of the catalog over a cluster and returns the findings in a stable order. Pure.

import type { Connectivity } from '../engine/connectivity.js';
import type { Cluster } from '../model/cluster.js';
import {
  ALLOW_ALL_RULE,
  DNS_BLOCKED,
  DNS_TCP_BLOCKED,
  IPBLOCKS_OVERLAP,
  IPBLOCK_OVERLAPS_PODS,
  LINT_CHECKS,
  NAMED_PORT_UNRESOLVED,
  NAMESPACE_MISSING,
  PEER_MATCHES_NOTHING,
  PRIORITY_COLLISION,
  REDUNDANT_RULE,
  SELECTS_NOTHING,
  SHADOWED_ADMIN_RULE,
} from './catalog.js';
import { LintContext } from './context.js';
import { checkDnsBlocked } from './dns.js';
import { checkIpBlockRedundancy, checkIpBlocksOverlapPods } from './ip-blocks.js';
import { checkNamedPorts } from './named-ports.js';
import { checkRedundantRules } from './redundancy.js';
import { checkAllowAll, checkPriorityCollisions } from './rules.js';
import { checkNamespaceMissing, checkPeersMatchNothing, checkSelectsNothing } from './selection.js';
import { checkShadowedAdminRules } from './shadowing.js';
import type { LintFinding, LintOptions, LintResult, SkippedCheck } from './types.js';

export { LINT_CHECKS } from './catalog.js';
export * from './types.js';

/** Checks that need workloads in the input to say anything: skipped (with a note) when it has none. */
const NEED_WORKLOADS = new Set([
  SELECTS_NOTHING.id,
  PEER_MATCHES_NOTHING.id,
  REDUNDANT_RULE.id,
  SHADOWED_ADMIN_RULE.id,
  DNS_BLOCKED.id,
  DNS_TCP_BLOCKED.id,
  NAMED_PORT_UNRESOLVED.id,
]);

export interface LintRunOptions {
  /** A model already built from the same cluster and options (saves building it again for the DNS check). */
  readonly model?: Connectivity;
}

/** Runs every lint check. Findings are sorted by file, position and check id (stable). */
export function lintCluster(cluster: Cluster, options: LintOptions, run: LintRunOptions = {}): LintResult {
  const ctx = new LintContext(cluster, options);
  const skipped: SkippedCheck[] = [];
  const noWorkloads = cluster.workloads.length === 0;
  if (noWorkloads) {
    for (const id of NEED_WORKLOADS)
      skipped.push({
        id,
        reason: 'the input has no workloads (Pods or controllers) to check policies against',
      });
  }
  const findings: LintFinding[] = [];
  const runs: [string, () => LintFinding[]][] = [
    [SELECTS_NOTHING.id, () => checkSelectsNothing(ctx)],
    [PEER_MATCHES_NOTHING.id, () => checkPeersMatchNothing(ctx)],
    [REDUNDANT_RULE.id, () => checkRedundantRules(ctx)],
    [SHADOWED_ADMIN_RULE.id, () => checkShadowedAdminRules(ctx)],
    [ALLOW_ALL_RULE.id, () => checkAllowAll(ctx)],
    [DNS_BLOCKED.id, () => checkDnsBlocked(ctx, run.model)],
    [IPBLOCK_OVERLAPS_PODS.id, () => checkIpBlocksOverlapPods(ctx)],
    [IPBLOCKS_OVERLAP.id, () => checkIpBlockRedundancy(ctx)],
    [NAMED_PORT_UNRESOLVED.id, () => checkNamedPorts(ctx)],
    [PRIORITY_COLLISION.id, () => checkPriorityCollisions(ctx)],
    [NAMESPACE_MISSING.id, () => checkNamespaceMissing(ctx)],
  ];
  for (const [id, check] of runs) {
    if (noWorkloads && NEED_WORKLOADS.has(id)) continue;
    findings.push(...check());
  }
  findings.sort(compareFindings);
  const skippedIds = new Set(skipped.map((s) => s.id));
  return { findings, checks: LINT_CHECKS.filter((c) => !skippedIds.has(c.id)), skipped };
}

/** By file, then position in it; findings at the same place (or without positions) by check, in check order. */
function compareFindings(a: LintFinding, b: LintFinding): number {
  const fa = a.location?.file ?? '';
  const fb = b.location?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  const ra = a.location?.range?.[0];
  const rb = b.location?.range?.[0];
  if (ra !== undefined && rb !== undefined && ra !== rb) return ra - rb;
  return a.check < b.check ? -1 : a.check > b.check ? 1 : 0;
}
