// Conformance of `explain` against np-guard netpol-analyzer's explain goldens (`*_explain_output.txt`), matched in
// substance: per src-dst pair, the same allowed and denied ports, and per direction the same verdict and the same
// deciding policies and rules. Exposure and multi-network (UDN/NAD) cases are out of scope; admin-tier cases run
// too but only NetworkPolicy-only cases must pass (the admin tiers are being added to the loader).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/core/model/address-set.js';
import type { Cluster } from '../../src/core/model/cluster.js';
import { ConnSet, PortSet, type Protocol } from '../../src/core/model/port-set.js';
import {
  Explainer,
  type Decision,
  type DirectionExplanation,
  type Endpoint,
} from '../../src/core/engine/explain.js';
import { loadCluster } from '../../src/k8s/load-cluster.js';
import { readSources } from '../../src/k8s/read-sources.js';
import { sharedAvailable, sharedPath } from '../shared.js';

interface IndexEntry {
  readonly testDirName: string;
  readonly kind: string;
  readonly expectedFiles: string[];
  readonly exposure?: boolean;
  readonly multipleNetworksEnabled?: boolean;
  readonly focusConn?: string;
}

const ROOT = sharedPath('conformance', 'netpol-analyzer');
const available = sharedAvailable();
const ADMIN_KIND =
  /^\s*"?kind"?\s*:\s*"?(AdminNetworkPolicy|BaselineAdminNetworkPolicy|ClusterNetworkPolicy)\b/m;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const entries: IndexEntry[] = available
  ? (JSON.parse(readFileSync(join(ROOT, 'INDEX.json'), 'utf8')) as IndexEntry[])
  : [];
const explainEntries = entries.filter((e) => e.kind === 'explain');
const inScope = explainEntries.filter((e) => e.exposure !== true && e.multipleNetworksEnabled !== true);

// ---- the golden grammar ----

/** One entry of a direction's explanation, normalized so ours can be written the same way. */
type Entry = string;

interface GoldenDirection {
  readonly verdict: 'allowed' | 'denied';
  /** `due to the system default (Allow all)`. */
  readonly systemDefault: boolean;
  readonly entries: readonly Entry[];
}

interface GoldenBlock {
  readonly verdict: 'allowed' | 'denied';
  readonly conns: ConnSet;
  readonly egress?: GoldenDirection;
  readonly ingress?: GoldenDirection;
}

interface GoldenPair {
  readonly src: string;
  readonly dst: string;
  /** Empty for a pair of the `All Connections due to the system default` section. */
  readonly blocks: GoldenBlock[];
  readonly systemDefault: boolean;
}

/** `TCP, UDP, SCTP`, `TCP:[1-79,81-65535], UDP, SCTP`, `UDP:[53]`. */
function parseConns(text: string, scope: ConnSet): ConnSet {
  const ports: Partial<Record<Protocol, PortSet>> = {};
  for (const item of text.split(/, (?=[A-Z])/)) {
    const m = /^(TCP|UDP|SCTP)(?::\[([\d,-]+)\])?$/.exec(item.trim());
    if (m === null) throw new Error(`unexpected connections "${text}"`);
    const protocol = m[1] as Protocol;
    ports[protocol] =
      m[2] === undefined
        ? scope.get(protocol)
        : PortSet.of(
            m[2].split(',').map((r) => {
              const [a, b] = r.split('-');
              return { first: Number(a), last: Number(b ?? a) };
            }),
          );
  }
  return ConnSet.of(ports);
}

function parseEntry(line: string): Entry | undefined {
  const text = line.replace(/^\s*-\s*/, '').trim();
  let m =
    /^(AdminNetworkPolicy|BaselineAdminNetworkPolicy|ClusterNetworkPolicy|NetworkPolicy) '([^']+)' (allows|denies|passes) connections by (?:Egress|Ingress) rule (.+)$/.exec(
      text,
    );
  if (m !== null) return `${m[3]} ${m[1]} ${m[2]} rule ${m[4]}`;
  m =
    /^NetworkPolicy '([^']+)' selects .*, (?:but .* is not allowed by any|and (?:Egress|Ingress) rule #\d+ selects .*, but (?:the protocols and ports do not match|named ports of the rule have no match))/.exec(
      text,
    );
  if (m !== null) return `isolates NetworkPolicy ${m[1]}`;
  if (text === 'NetworkPolicy list:') return undefined;
  // After a Pass that no later tier decides.
  if (text === 'the system default (Allow all)') return 'then the system default';
  return `unknown ${text}`;
}

function parseGolden(text: string, scope: ConnSet): GoldenPair[] {
  const pairs: GoldenPair[] = [];
  let section: 'specific' | 'default' | 'other' = 'other';
  let pair: GoldenPair | undefined;
  let block:
    | { verdict: 'allowed' | 'denied'; conns: ConnSet; egress?: GoldenDirection; ingress?: GoldenDirection }
    | undefined;
  let direction:
    | { name: 'egress' | 'ingress'; verdict: 'allowed' | 'denied'; systemDefault: boolean; entries: Entry[] }
    | undefined;
  const closeDirection = (): void => {
    if (direction !== undefined && block !== undefined)
      block[direction.name] = {
        verdict: direction.verdict,
        systemDefault: direction.systemDefault,
        entries: [...new Set(direction.entries)].sort(),
      };
    direction = undefined;
  };
  const closeBlock = (): void => {
    closeDirection();
    if (block !== undefined && pair !== undefined) pair.blocks.push(block);
    block = undefined;
  };
  for (const line of text.split('\n')) {
    if (/^# All Connections due to the system default/.test(line)) {
      closeBlock();
      section = 'default';
      continue;
    }
    if (/^# Specific connections/.test(line)) {
      closeBlock();
      section = 'specific';
      continue;
    }
    if (line.startsWith('#') || line.startsWith('---')) {
      closeBlock();
      continue;
    }
    let m = /^Connections between (.+) => (.+):$/.exec(line);
    if (m !== null && section === 'specific') {
      closeBlock();
      pair = { src: m[1]!, dst: m[2]!, blocks: [], systemDefault: false };
      pairs.push(pair);
      continue;
    }
    m = /^(\S+) => (\S+)$/.exec(line);
    if (m !== null && section === 'default') {
      pairs.push({ src: m[1]!, dst: m[2]!, blocks: [], systemDefault: true });
      continue;
    }
    m = /^\t(Allowed|Denied) (.+) due to the following policies and rules:$/.exec(line);
    if (m !== null) {
      closeBlock();
      block = { verdict: m[1] === 'Allowed' ? 'allowed' : 'denied', conns: parseConns(m[2]!, scope) };
      continue;
    }
    m = /^\t(Allowed|Denied) (.+) due to the system default \(Allow all\)$/.exec(line);
    if (m !== null) {
      // Both directions open by default for these ports.
      closeBlock();
      const open: GoldenDirection = { verdict: 'allowed', systemDefault: true, entries: [] };
      block = {
        verdict: m[1] === 'Allowed' ? 'allowed' : 'denied',
        conns: parseConns(m[2]!, scope),
        egress: open,
        ingress: open,
      };
      continue;
    }
    m = /^\t\t(Egress|Ingress) \((Allowed|Denied)\)( due to the system default \(Allow all\))?$/.exec(line);
    if (m !== null) {
      closeDirection();
      direction = {
        name: m[1] === 'Egress' ? 'egress' : 'ingress',
        verdict: m[2] === 'Allowed' ? 'allowed' : 'denied',
        systemDefault: m[3] !== undefined,
        entries: [],
      };
      continue;
    }
    if (/^\t\t\t/.test(line) && direction !== undefined) {
      const entry = parseEntry(line);
      if (entry !== undefined) direction.entries.push(entry);
    }
  }
  closeBlock();
  return pairs;
}

// ---- our side, written as the golden's entries ----

function ourEntries(d: Decision): { systemDefault: boolean; entries: Entry[] } {
  const name = (kind: string, namespace: string | undefined, n: string): string =>
    `${kind} ${namespace !== undefined ? `${namespace}/` : ''}${n}`;
  const entries: Entry[] = [];
  const verb = { allow: 'allows', deny: 'denies', pass: 'passes' } as const;
  const rule = (r: Decision['rules'][number]): string =>
    r.policy.kind === 'NetworkPolicy' ? `#${r.index + 1}` : (r.name ?? `#${r.index + 1}`);
  if (d.passedBy !== undefined)
    entries.push(
      `passes ${name(d.passedBy.policy.kind, d.passedBy.policy.namespace, d.passedBy.policy.name)} rule ${rule(d.passedBy)}`,
    );
  // We list every allowing rule; netpol-analyzer names the first allowing rule of each policy.
  const seen = new Set<string>();
  for (const r of d.rules) {
    const policy = name(r.policy.kind, r.policy.namespace, r.policy.name);
    if (r.policy.kind === 'NetworkPolicy' && seen.has(policy)) continue;
    seen.add(policy);
    entries.push(
      `${verb[r.action]} ${name(r.policy.kind, r.policy.namespace, r.policy.name)} rule ${rule(r)}`,
    );
  }
  if (d.tier === 'networkpolicy' && d.verdict === 'denied')
    for (const p of d.isolatedBy) entries.push(`isolates ${name(p.kind, p.namespace, p.name)}`);
  if (d.tier === 'default' && entries.length > 0) entries.push('then the system default');
  return {
    systemDefault: d.tier === 'default' && entries.length === 0,
    entries: [...new Set(entries)].sort(),
  };
}

function resolveGoldenEndpoint(cluster: Cluster, text: string): Endpoint | 'skip' | undefined {
  if (text === '{ingress-controller}') return 'skip';
  const ext = /^(.+)-(.+)\[External\]$/.exec(text);
  if (ext !== null) {
    const first = parseAddress(ext[1]!);
    const last = parseAddress(ext[2]!);
    return first === undefined || last === undefined ? undefined : { kind: 'external', first, last };
  }
  const index = cluster.workloads.findIndex((w) => w.id === text);
  return index < 0 ? undefined : { kind: 'workload', index };
}

/** Compares one direction of one block; returns the mismatch, or undefined. */
function compareDirection(
  golden: GoldenDirection | undefined,
  ours: DirectionExplanation | undefined,
  conns: ConnSet,
): string | undefined {
  if (golden === undefined) return 'golden has no explanation for this direction';
  if (ours === undefined) {
    return golden.verdict === 'allowed' && golden.systemDefault
      ? undefined
      : `golden ${golden.verdict} (${golden.entries.join('; ')}), ours: outside the cluster (allowed)`;
  }
  for (const s of ours.segments) {
    const overlap = s.ports.intersect(conns.get(s.protocol));
    if (overlap.isEmpty()) continue;
    const mine = ourEntries(s.decision);
    const verdictOk = s.decision.verdict === golden.verdict;
    const reasonOk = golden.systemDefault
      ? mine.systemDefault
      : mine.entries.join('; ') === golden.entries.join('; ');
    if (!verdictOk || !reasonOk)
      return `${s.protocol} ${overlap.toString()}: golden ${golden.verdict}${golden.systemDefault ? ' by default' : ''} [${golden.entries.join('; ')}], ours ${s.decision.verdict}${mine.systemDefault ? ' by default' : ''} [${mine.entries.join('; ')}]`;
  }
  return undefined;
}

function focusScope(focusConn: string | undefined): ConnSet {
  if (focusConn === undefined) return ConnSet.ALL;
  const [protocol, port] = focusConn.split('-');
  return ConnSet.ports(protocol!.toUpperCase() as Protocol, PortSet.range(Number(port), Number(port)));
}

const tally = {
  cases: 0,
  matched: 0,
  adminCases: 0,
  adminMatched: 0,
  pairs: 0,
  pairsMatched: 0,
  skippedPairs: 0,
};

describe.skipIf(!available)('netpol-analyzer explain goldens (in substance)', () => {
  afterAll(() => {
    console.log(
      `netpol-analyzer explain conformance: ${tally.matched}/${tally.cases} cases matched in substance ` +
        `(NetworkPolicy-only ${tally.matched - tally.adminMatched}/${tally.cases - tally.adminCases}, ` +
        `admin tiers ${tally.adminMatched}/${tally.adminCases}; pairs ${tally.pairsMatched}/${tally.pairs}, ` +
        `${tally.skippedPairs} ingress-controller pairs skipped; ` +
        `${explainEntries.length - inScope.length} exposure or multi-network cases out of scope)`,
    );
  });

  it('finds the cases', () => {
    expect(explainEntries.length).toBe(78);
    expect(inScope.length).toBe(30);
  });

  for (const entry of inScope) {
    const golden = entry.expectedFiles[0]!;
    const dir = join(ROOT, 'tests', entry.testDirName);
    const admin = filesUnder(dir).some(
      (f) => /\.(ya?ml|json)$/.test(f) && ADMIN_KIND.test(readFileSync(f, 'utf8')),
    );
    it(`${golden.slice(golden.lastIndexOf('/') + 1)}${admin ? ' (admin tiers)' : ''}`, async () => {
      tally.cases++;
      if (admin) tally.adminCases++;
      const read = await readSources([dir], async () => '');
      const { cluster } = loadCluster(read.files);
      const scope = focusScope(entry.focusConn);
      const explainer = new Explainer(cluster, { ipBlockPods: 'ignore', scope });
      const pairs = parseGolden(readFileSync(join(ROOT, golden), 'utf8'), scope);
      const problems: string[] = [];
      for (const pair of pairs) {
        const src = resolveGoldenEndpoint(cluster, pair.src);
        const dst = resolveGoldenEndpoint(cluster, pair.dst);
        if (src === 'skip' || dst === 'skip') {
          tally.skippedPairs++;
          continue;
        }
        tally.pairs++;
        const where = `${pair.src} => ${pair.dst}`;
        if (src === undefined || dst === undefined) {
          problems.push(`${where}: endpoint unknown to us`);
          continue;
        }
        const ours = explainer.pair(src, dst);
        const before = problems.length;
        if (pair.systemDefault) {
          for (const d of [ours.egress, ours.ingress]) {
            if (d === undefined) continue;
            for (const s of d.segments)
              if (!ourEntries(s.decision).systemDefault || s.decision.verdict !== 'allowed')
                problems.push(
                  `${where}: golden says all by system default, ours ${s.protocol} ${s.ports.toString()} ${s.decision.verdict} [${ourEntries(s.decision).entries.join('; ')}]`,
                );
          }
        } else {
          let goldenAllowed = ConnSet.NONE;
          for (const block of pair.blocks) {
            if (block.verdict === 'allowed') goldenAllowed = goldenAllowed.union(block.conns);
            for (const name of ['egress', 'ingress'] as const) {
              const problem = compareDirection(block[name], ours[name], block.conns);
              if (problem !== undefined)
                problems.push(`${where} ${block.verdict} block, ${name}: ${problem}`);
            }
          }
          if (!goldenAllowed.equals(ours.allowed))
            problems.push(
              `${where}: golden allows ${goldenAllowed.toString()}, ours ${ours.allowed.toString()}`,
            );
        }
        if (problems.length === before) tally.pairsMatched++;
      }
      if (problems.length === 0) {
        tally.matched++;
        if (admin) tally.adminMatched++;
      }
      expect(problems.slice(0, 10), golden).toEqual([]);
    });
  }
});
