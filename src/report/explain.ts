// Renders explanations (`bulkhead explain`): text for people, JSON for tools, with `file:line` of every rule.

import type { SourceRef } from '../core/diagnostics.js';
import type { Cluster } from '../core/model/cluster.js';
import { ConnSet, PROTOCOLS, PortSet, type Protocol } from '../core/model/port-set.js';
import {
  decisionKey,
  type DeniedDestination,
  type Decision,
  type DirectionExplanation,
  type PairExplanation,
  type PolicyRef,
  type RuleRef,
} from '../core/engine/explain.js';
import { endpointLabel } from '../core/engine/resolve-endpoint.js';
import type { PositionLookup } from './diagnostics.js';

export const EXPLAIN_FORMATS = ['txt', 'json'] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];

export interface ExplainContext {
  readonly cluster: Cluster;
  /** The files read, to turn source ranges into line numbers. */
  readonly sources: ReadonlyMap<string, PositionLookup>;
}

/** One pair, for people. */
export function renderPairText(ctx: ExplainContext, pair: PairExplanation): string {
  const src = endpointLabel(ctx.cluster, pair.source);
  const dst = endpointLabel(ctx.cluster, pair.destination);
  const lines = [`${src} => ${dst}`, `  allowed: ${connText(pair.allowed, pair.scope)}`];
  lines.push(...directionText(ctx, 'egress', src, pair.egress, pair.scope));
  lines.push(...directionText(ctx, 'ingress', dst, pair.ingress, pair.scope));
  return `${lines.join('\n')}\n`;
}

/** `explain --all-denied SRC`, for people: every destination with denied connections and what stops them. */
export function renderAllDeniedText(
  ctx: ExplainContext,
  source: string,
  denied: readonly DeniedDestination[],
): string {
  if (denied.length === 0) return `${source} can reach every destination on every connection asked about\n`;
  const out = [`${source} can not reach:`];
  for (const d of denied) {
    const dst = endpointLabel(ctx.cluster, d.destination);
    const scope = d.explanation.scope;
    out.push(`  ${dst} : ${connText(d.denied, scope)} denied`);
    for (const [side, label, explanation] of [
      ['egress', source, d.explanation.egress],
      ['ingress', dst, d.explanation.ingress],
    ] as const) {
      if (explanation === undefined) continue;
      for (const group of groupDecisions(explanation)) {
        if (group.decision.verdict !== 'denied') continue;
        out.push(
          `    ${side} of ${label}: ${connText(group.conns, scope)} ${decisionText(ctx, group.decision, side, label)}`,
        );
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** The full structure of one pair, for tools. */
export function pairJson(ctx: ExplainContext, pair: PairExplanation): object {
  return {
    source: endpointLabel(ctx.cluster, pair.source),
    destination: endpointLabel(ctx.cluster, pair.destination),
    allowed: pair.allowed.toString(),
    egress: pair.egress === undefined ? null : directionJson(ctx, pair.egress),
    ingress: pair.ingress === undefined ? null : directionJson(ctx, pair.ingress),
  };
}

export function allDeniedJson(
  ctx: ExplainContext,
  source: string,
  denied: readonly DeniedDestination[],
): object {
  return {
    source,
    destinations: denied.map((d) => ({
      destination: endpointLabel(ctx.cluster, d.destination),
      denied: d.denied.toString(),
      explanation: pairJson(ctx, d.explanation),
    })),
  };
}

function directionJson(ctx: ExplainContext, d: DirectionExplanation): object {
  return {
    direction: d.direction,
    subject: ctx.cluster.workloads[d.subject]!.id,
    allowed: d.allowed.toString(),
    segments: d.segments.map((s) => {
      const first = s.decision.rules[0];
      const policy = first?.policy ?? s.decision.isolatedBy[0];
      return {
        protocol: s.protocol,
        ports: s.ports.toString(),
        verdict: s.decision.verdict,
        tier: s.decision.tier,
        policy: policy === undefined ? null : policyJson(ctx, policy),
        rule: first === undefined ? null : ruleJson(ctx, first),
        rules: s.decision.rules.map((r) => ({ policy: policyJson(ctx, r.policy), rule: ruleJson(ctx, r) })),
        passedBy:
          s.decision.passedBy === undefined
            ? null
            : {
                policy: policyJson(ctx, s.decision.passedBy.policy),
                rule: ruleJson(ctx, s.decision.passedBy),
              },
        isolatedBy: s.decision.isolatedBy.map((p) => policyJson(ctx, p)),
        peerMatched: s.decision.peerMatched.map((r) => ({
          policy: policyJson(ctx, r.policy),
          rule: ruleJson(ctx, r),
        })),
      };
    }),
  };
}

function policyJson(ctx: ExplainContext, p: PolicyRef): object {
  return {
    kind: p.kind,
    namespace: p.namespace ?? null,
    name: p.name,
    ...locationJson(ctx, p.source),
  };
}

function ruleJson(ctx: ExplainContext, r: RuleRef): object {
  return { index: r.index, name: r.name ?? null, action: r.action, ...locationJson(ctx, r.source) };
}

function locationJson(ctx: ExplainContext, source: SourceRef | undefined): object {
  if (source === undefined) return { file: null, line: null };
  const lookup = ctx.sources.get(source.file);
  const line =
    source.range !== undefined && lookup !== undefined ? lookup.position(source.range[0]).line : null;
  return { file: source.file, line, ...(source.path !== undefined ? { path: source.path } : {}) };
}

/** `file:line`, or the file and the path inside it when positions are unknown (JSON input). */
function location(ctx: ExplainContext, source: SourceRef | undefined): string {
  if (source === undefined) return '';
  const lookup = ctx.sources.get(source.file);
  if (source.range !== undefined && lookup !== undefined)
    return ` (${source.file}:${lookup.position(source.range[0]).line})`;
  return source.path !== undefined && source.path !== ''
    ? ` (${source.file}, ${source.path})`
    : ` (${source.file})`;
}

function policyName(p: PolicyRef): string {
  return `${p.kind} ${p.namespace !== undefined ? `${p.namespace}/` : ''}${p.name}`;
}

function ruleText(ctx: ExplainContext, r: RuleRef): string {
  const name = r.name !== undefined ? ` "${r.name}"` : '';
  return `${policyName(r.policy)} ${r.direction} rule ${r.index}${name}${location(ctx, r.source)}`;
}

/** Connections in the connlist grammar; the whole scope reads `All Connections` (or `all asked`). */
function connText(conns: ConnSet, scope: ConnSet): string {
  if (conns.isEmpty()) return 'No Connections';
  if (conns.equals(scope) && !scope.isAll()) return `${conns.toString()} (all asked about)`;
  return conns.toString();
}

interface DecisionGroup {
  readonly conns: ConnSet;
  readonly decision: Decision;
}

/** Segments with the same decision merged across protocols, specific ones first, the largest last. */
function groupDecisions(d: DirectionExplanation): DecisionGroup[] {
  const groups = new Map<string, { ports: Record<Protocol, PortSet>; decision: Decision; order: number }>();
  d.segments.forEach((s, order) => {
    const key = decisionKey(s.decision);
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        ports: { TCP: PortSet.EMPTY, UDP: PortSet.EMPTY, SCTP: PortSet.EMPTY },
        decision: s.decision,
        order,
      };
      groups.set(key, g);
    }
    g.ports[s.protocol] = g.ports[s.protocol].union(s.ports);
  });
  const list = [...groups.values()].map((g) => ({
    conns: ConnSet.of(g.ports),
    decision: g.decision,
    order: g.order,
  }));
  const size = (c: ConnSet): number =>
    PROTOCOLS.reduce((n, p) => n + c.get(p).intervals.reduce((m, i) => m + i.last - i.first + 1, 0), 0);
  const largest = list.reduce<(typeof list)[number] | undefined>(
    (best, g) => (best === undefined || size(g.conns) > size(best.conns) ? g : best),
    undefined,
  );
  return [
    ...list.filter((g) => g !== largest).sort((a, b) => a.order - b.order),
    ...(largest ? [largest] : []),
  ];
}

function directionText(
  ctx: ExplainContext,
  direction: 'egress' | 'ingress',
  label: string,
  d: DirectionExplanation | undefined,
  scope: ConnSet,
): string[] {
  if (d === undefined)
    return [`  ${direction} of ${label}: outside the cluster, selected by no policy (allowed)`];
  const groups = groupDecisions(d);
  const rows = groups.map((g, i) => ({
    ports:
      groups.length > 1 && i === groups.length - 1
        ? 'everything else'
        : g.conns.equals(scope)
          ? scope.isAll()
            ? 'All Connections'
            : g.conns.toString()
          : g.conns.toString(),
    text: decisionText(ctx, g.decision, direction, label),
  }));
  const width = Math.max(...rows.map((r) => r.ports.length));
  return [
    `  ${direction} of ${label}:`,
    ...rows.map((r) => `    ${r.ports.padEnd(Math.min(width, 24))}  ${r.text}`),
  ];
}

/** One decision in words: the passing rule, then the tier's answer. */
function decisionText(
  ctx: ExplainContext,
  d: Decision,
  direction: 'egress' | 'ingress',
  subject: string,
): string {
  const passed = d.passedBy !== undefined ? `passed by ${ruleText(ctx, d.passedBy)}, then ` : '';
  switch (d.tier) {
    case 'segmentation':
      return `${d.verdict} by Docker's network isolation: ${ruleText(ctx, d.rules[0]!)}`;
    case 'admin':
    case 'baseline': {
      const rule = d.rules[0]!;
      const lead = d.tier === 'baseline' ? `no NetworkPolicy selects ${subject} for ${direction}; ` : '';
      return `${lead}${d.verdict} by ${ruleText(ctx, rule)}`;
    }
    case 'networkpolicy': {
      if (d.verdict === 'allowed') {
        return `${passed}allowed by ${d.rules.map((r) => ruleText(ctx, r)).join(' and ')}`;
      }
      const policies =
        (d.isolatedBy.length === 1 ? 'NetworkPolicy ' : 'NetworkPolicies ') +
        d.isolatedBy
          .map(
            (p) => `${p.namespace !== undefined ? `${p.namespace}/` : ''}${p.name}${location(ctx, p.source)}`,
          )
          .join(', ');
      const near =
        d.peerMatched.length > 0
          ? `; ${d.peerMatched.map((r) => `${r.direction} rule ${r.index} of ${policyName(r.policy)}`).join(', ')} ${d.peerMatched.length === 1 ? 'matches' : 'match'} the peer but not these ports`
          : '';
      return `${passed}denied: ${subject} is isolated for ${direction} by ${policies} and no rule allows it${near}`;
    }
    case 'default': {
      if (d.rules.length > 0)
        return `${passed}${d.rules.map((r) => `passed by ${ruleText(ctx, r)}`).join(', ')}; allowed by default`;
      return d.passedBy !== undefined
        ? `${passed}no NetworkPolicy or baseline rule applies: allowed by default`
        : `allowed by default: no NetworkPolicy selects ${subject} for ${direction} and no admin or baseline rule matches`;
    }
  }
}
