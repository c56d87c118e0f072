// The data of `bulkhead lint`: severities, the catalog entry of a check, and the findings checks return.

import type { SourceRef } from '../diagnostics.js';
import type { ConnectivityOptions } from '../engine/connectivity.js';

import { SEVERITIES, type Severity } from '../severity.js';

export { atOrAbove } from '../severity.js';
/** The severities of DESIGN.md's audit contract, lowest first (shared with audit). */
export const LINT_SEVERITIES = SEVERITIES;
export type LintSeverity = Severity;

/** One entry of the catalog: a stable id and the texts shown with every finding of the check. */
export interface LintCheckInfo {
  /** `BH-LINT-NNN`, never reused. */
  readonly id: string;
  readonly title: string;
  /** The usual severity; a check may lower or raise it for one finding, as its description says. */
  readonly severity: LintSeverity;
  /** Why it matters, with the Kubernetes API text the check relies on. */
  readonly rationale: string;
  /** The generic fix; findings carry a specific one. */
  readonly fix: string;
}

/** The object a finding is about. Cluster-scoped objects (admin policies) have namespace `''`. */
export interface LintResource {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** The rule a finding is about: direction, position in the policy's list, and the rule's name (admin only). */
export interface LintRuleRef {
  readonly direction: 'ingress' | 'egress';
  readonly index: number;
  readonly name: string;
}

export interface LintFinding {
  readonly check: string;
  readonly severity: LintSeverity;
  readonly title: string;
  readonly message: string;
  readonly resource: LintResource;
  /** Where to look: the policy's or rule's source; line and column are computed when rendering. */
  readonly location?: SourceRef;
  readonly rule?: LintRuleRef;
  readonly fix: string;
}

/** The model options of reach, so that lint sees pods and ipBlocks the same way. */
export type LintOptions = ConnectivityOptions;

/** A check that did not run, and why (e.g. the input has no workloads). */
export interface SkippedCheck {
  readonly id: string;
  readonly reason: string;
}

export interface LintResult {
  readonly findings: readonly LintFinding[];
  /** The checks that ran. */
  readonly checks: readonly LintCheckInfo[];
  readonly skipped: readonly SkippedCheck[];
}
