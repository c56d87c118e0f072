// Fuzzes the manifest loader and `reach -` with random and mutated input: never throw, never hang, exit 0 or 2.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../../src/k8s/load-cluster.js';
import { runCli } from '../run-cli.js';
import { PROJECT_ROOT } from '../shared.js';

const VALID = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        tier: "on"
    spec:
      containers:
      - name: c
        image: nginx
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-policy
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: team, operator: In, values: [a, b]}
      podSelector:
        matchLabels: {role: client}
    - ipBlock:
        cidr: 10.0.0.0/8
        except: [10.1.0.0/16]
    ports:
    - port: http
    - protocol: UDP
      port: 53
      endPort: 60
  egress:
  - to:
    - ipBlock: {cidr: "2001:db8::/32"}
  - {}
`;

/** Per-case bound: one load or one CLI run on a small input must be fast. */
const CASE_MS = 2_000;
const SEVERITIES = new Set(['error', 'warning', 'info']);

/** Loads `text` as `name`; asserts it neither throws nor takes long, and that diagnostics are well-formed data. */
function checkLoad(text: string, name = 'f.yaml'): void {
  const started = performance.now();
  const result = loadCluster([{ name, text }]);
  expect(performance.now() - started).toBeLessThan(CASE_MS);
  for (const d of result.diagnostics) {
    expect(d.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(SEVERITIES.has(d.severity)).toBe(true);
    expect(d.file).toBe(name);
    expect(typeof d.message).toBe('string');
    if (d.range !== undefined) {
      expect(d.range[0]).toBeGreaterThanOrEqual(0);
      expect(d.range[0]).toBeLessThanOrEqual(text.length);
      expect(d.range[1]).toBeGreaterThanOrEqual(d.range[0]);
      // Rendering computes the position: that must work for every range.
      const position = result.sources.get(name)!.position(d.range[0]);
      expect(position.line).toBeGreaterThanOrEqual(1);
      expect(position.column).toBeGreaterThanOrEqual(1);
    }
  }
}

/** Runs `reach -` on `text`; asserts exit 0 or 2, a bounded time, and no stack trace. */
async function checkCli(text: string, extra: readonly string[] = []): Promise<void> {
  const started = performance.now();
  const result = await runCli(['reach', ...extra, '-'], text);
  expect(performance.now() - started).toBeLessThan(CASE_MS);
  expect([0, 2]).toContain(result.code);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  if (result.code === 2) expect(result.stderr).toMatch(/ error [A-Z_]+:/);
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations of a valid manifest.

type Mutation =
  | { readonly op: 'deleteChar' | 'duplicateChar'; readonly at: number }
  | { readonly op: 'replaceChar'; readonly at: number; readonly char: string }
  | { readonly op: 'deleteLine' | 'duplicateLine'; readonly at: number }
  | { readonly op: 'swapLines'; readonly at: number; readonly other: number }
  | { readonly op: 'replaceValue'; readonly at: number; readonly value: string }
  | { readonly op: 'indent' | 'dedent'; readonly at: number };

/** Characters that matter to YAML, and a few that do not. */
const YAML_CHARS = [
  ...':-[]{},&*!|>#\'"%@`? \t\n',
  'a',
  '0',
  '.',
  '/',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\u0000',
];
/** Values of other types than expected, and YAML features: aliases, tags, block scalars, nulls. */
const VALUES = [
  '[]',
  '{}',
  'null',
  '~',
  '',
  '0',
  '-1',
  '65536',
  '1e309',
  '0x10',
  '0777',
  'true',
  'on',
  'no',
  '"x"',
  "'80'",
  '[1, 2]',
  '{a: b}',
  '&anchor x',
  '*anchor',
  '*missing',
  '!!binary aGk=',
  '!!str 5',
  '!!map {}',
  '!custom x',
  '|\n  block',
  '>-\n  folded',
  '? complex',
  '"\\u0000"',
  '1.1.1.300/32',
  '::/0',
  '10.0.0.0/33',
  'TCP',
  'tcp',
  'Ingress',
  '__proto__',
  'constructor',
  "'" + 'x'.repeat(300) + "'",
  '2001-12-14',
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('deleteChar' as const, 'duplicateChar' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replaceChar' as const), at: fc.nat(), char: fc.constantFrom(...YAML_CHARS) }),
  fc.record({ op: fc.constantFrom('deleteLine' as const, 'duplicateLine' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swapLines' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ op: fc.constant('replaceValue' as const), at: fc.nat(), value: fc.constantFrom(...VALUES) }),
  fc.record({ op: fc.constantFrom('indent' as const, 'dedent' as const), at: fc.nat() }),
);

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const line = m.at % Math.max(lines.length, 1);
  const char = m.at % Math.max(text.length, 1);
  switch (m.op) {
    case 'deleteChar':
      return text.slice(0, char) + text.slice(char + 1);
    case 'duplicateChar':
      return text.slice(0, char + 1) + text.slice(char);
    case 'replaceChar':
      return text.slice(0, char) + m.char + text.slice(char + 1);
    case 'deleteLine':
      return lines.filter((_, i) => i !== line).join('\n');
    case 'duplicateLine':
      return [...lines.slice(0, line + 1), ...lines.slice(line)].join('\n');
    case 'swapLines': {
      const other = m.other % Math.max(lines.length, 1);
      const out = [...lines];
      [out[line], out[other]] = [out[other]!, out[line]!];
      return out.join('\n');
    }
    case 'replaceValue': {
      // Swap a type: replace what follows `key:` (or `- `) on a line with another kind of value.
      const current = lines[line] ?? '';
      const match = /^(\s*(?:- )?[^:#]*:\s?|\s*- )(.*)$/.exec(current);
      const out = [...lines];
      out[line] = match === null ? m.value : `${match[1]}${m.value}`;
      return out.join('\n');
    }
    case 'indent':
    case 'dedent': {
      const out = [...lines];
      out[line] = m.op === 'indent' ? `  ${out[line] ?? ''}` : (out[line] ?? '').replace(/^ {1,2}/, '');
      return out.join('\n');
    }
  }
}

const mutatedArb = fc
  .array(mutationArb, { minLength: 1, maxLength: 6 })
  .map((ms) => ms.reduce(mutate, VALID));

/** Token soup: YAML structure without a plan. */
const TOKENS = [
  '- ',
  ': ',
  '\n',
  '  ',
  '    ',
  '{',
  '}',
  '[',
  ']',
  ', ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!!str ',
  '!!int ',
  '---\n',
  '...\n',
  '? ',
  '|\n',
  '>\n',
  '# c\n',
  '"',
  "'",
  'kind: NetworkPolicy\n',
  'kind: Pod\n',
  'kind: List\n',
  'kind: PodList\n',
  'apiVersion: v1\n',
  'metadata:\n',
  'name: x\n',
  'spec:\n',
  'items:\n',
  'ingress:\n',
  'from:\n',
  'ipBlock:\n',
  'cidr: 10.0.0.0/8\n',
  'ports:\n',
  'port: 80\n',
  'podSelector: {}\n',
  'labels:\n',
  'a: b\n',
  'on',
  'null',
  '0',
  '%YAML 1.1\n',
  '%TAG ! tag:x,2000:\n',
  '<<: *a\n',
];
const soupArb = fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }).map((tokens) => tokens.join(''));

describe('loader fuzz', () => {
  it('random strings never throw', { timeout: 20_000 }, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        checkLoad(text);
        checkLoad(text, 'f.json');
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes decoded as UTF-8 never throw', { timeout: 20_000 }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        checkLoad(Buffer.from(bytes).toString('utf8'));
      }),
      { numRuns: 200 },
    );
  });

  it('YAML token soup never throws', { timeout: 20_000 }, () => {
    fc.assert(
      fc.property(soupArb, (text) => {
        checkLoad(text);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated valid manifests never throw', { timeout: 20_000 }, () => {
    fc.assert(
      fc.property(mutatedArb, (text) => {
        checkLoad(text);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated valid manifests as JSON never throw', { timeout: 20_000 }, () => {
    const json = JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [] }, null, 1);
    const policy = JSON.stringify(
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'p' },
        spec: {
          podSelector: {},
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 80 }] }],
        },
      },
      null,
      1,
    );
    const base = json.replace('[]', `[${policy}]`);
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (ms) => {
        checkLoad(ms.reduce(mutate, base), 'f.json');
      }),
      { numRuns: 300 },
    );
  });

  it('the valid manifest itself loads cleanly (so that the mutations start from something meaningful)', async () => {
    const result = loadCluster([{ name: 'f.yaml', text: VALID }]);
    expect(result.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(result.cluster.networkPolicies).toHaveLength(1);
    const cli = await runCli(['reach', '-'], VALID);
    expect(cli.code).toBe(0);
  });
});

describe('regressions found by fuzzing', () => {
  // Kinds named like Object.prototype members must not be looked up as pod controllers.
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'constructorList'])(
    'kind: %s loads without throwing',
    async (kind) => {
      const text = `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: x\n${kind.endsWith('List') ? 'items:\n- metadata:\n    name: y\n' : ''}`;
      expect(() => loadCluster([{ name: 'f.yaml', text }])).not.toThrow();
      await checkCli(text);
    },
  );
});

describe('reach - fuzz (through run())', () => {
  it('mutated manifests: exit 0 or 2, never a stack trace', { timeout: 20_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedArb,
        fc.constantFrom<readonly string[]>(
          [],
          ['--strict'],
          ['--format', 'json'],
          ['--ipblock-pods', 'ignore'],
        ),
        async (text, extra) => {
          await checkCli(text, extra);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('random strings and token soup: exit 0 or 2', { timeout: 20_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), soupArb), async (text) => {
        await checkCli(text);
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Resource exhaustion.

/** Billion laughs: `levels` levels of `width` aliases each to the level before. */
function billionLaughs(levels: number, width: number, indent = ''): string {
  const lines = [`${indent}l0: &l0 "lol"`];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `${indent}l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('YAML bombs', () => {
  it.each([
    ['a bare billion laughs document', billionLaughs(9, 9)],
    [
      'a billion laughs inside a Pod',
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n${billionLaughs(9, 9, '    ')}`,
    ],
    [
      'a billion laughs in labels',
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n${billionLaughs(12, 10, '    ')}`,
    ],
    ['a wide bomb (few levels, many aliases)', billionLaughs(3, 600)],
    [
      'merge-key bomb',
      `a: &a {x: 1, y: 2}\n${Array.from(
        { length: 12 },
        (_, i) =>
          `b${i}: &b${i}\n  <<: [${
            i === 0
              ? '*a'
              : Array(8)
                  .fill(`*b${i - 1}`)
                  .join(', ')
          }]`,
      ).join('\n')}\n`,
    ],
  ])('%s: refused quickly with a diagnostic', { timeout: 10_000 }, async (_name, text) => {
    const started = performance.now();
    const result = loadCluster([{ name: 'bomb.yaml', text }]);
    expect(performance.now() - started).toBeLessThan(CASE_MS);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    const cli = await runCli(['reach', '-'], text);
    expect(performance.now() - started).toBeLessThan(2 * CASE_MS);
    expect([0, 2]).toContain(cli.code);
    expect(cli.stderr).not.toMatch(/^\s+at /m);
  });

  it('the classic billion laughs is an error (YAML_SYNTAX), not silently dropped', async () => {
    const cli = await runCli(['reach', '-'], billionLaughs(9, 9));
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^-:\d+:\d+: error YAML_SYNTAX:/m);
  });

  it('a long flat input is linear, not quadratic', { timeout: 20_000 }, () => {
    const pods = Array.from(
      { length: 2000 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\n  labels: {app: a${i % 7}, tier: "on"}\n`,
    ).join('---\n');
    const started = performance.now();
    const result = loadCluster([{ name: 'many.yaml', text: pods }]);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.cluster.workloads).toHaveLength(2000);
  });
});

describe('very deep nesting', () => {
  // Deep inputs run in a child process: a stack overflow inside V8's regexp compiler aborts the whole process
  // ("FATAL ERROR: RegExpCompiler Allocation failed"), which would take the test worker down with it.
  const CHILD = `
import { loadCluster } from ${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'src/k8s/load-cluster.ts')).href)};
import { run } from ${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'src/cli/run.ts')).href)};
const n = Number(process.argv[2]);
const inputs = [
  ['flow.yaml', '['.repeat(n) + ']'.repeat(n)],
  // The same shape again: the second deep parse in a process is the one that used to abort it.
  ['flow-again.yaml', '['.repeat(n) + ']'.repeat(n)],
  ['map.yaml', '{a: '.repeat(n) + '1' + '}'.repeat(n)],
  ['block.yaml', Array.from({ length: n }, (_, i) => ' '.repeat(i) + 'a:').join('\\n') + ' x\\n'],
  ['seq.yaml', Array.from({ length: n }, (_, i) => ' '.repeat(i * 2) + '- ').join('\\n') + 'x\\n'],
  ['deep.json', '{"apiVersion":"v1","kind":"NetworkPolicy","metadata":{"name":"x"},"spec":{"podSelector":{},"ingress":"bad"},"deep":' + '['.repeat(n) + ']'.repeat(n) + '}'],
];
const out = [];
for (const [name, text] of inputs) {
  const started = performance.now();
  const result = loadCluster([{ name, text }]);
  out.push({ name, ms: performance.now() - started, codes: result.diagnostics.map((d) => d.code) });
}
let stderr = '';
const code = await run(['reach', '-'], { stdout: () => {}, stderr: (t) => { stderr += t; }, readStdin: async () => inputs[0][1] });
console.log(JSON.stringify({ out, code, stderr }));
`;

  it.each([200, 1000, 5000])(
    'depth %i: every shape ends with a diagnostic, in one process, quickly',
    { timeout: 30_000 },
    (depth) => {
      const dir = mkdtempSync(join(tmpdir(), 'bulkhead-fuzz-'));
      try {
        const script = join(dir, 'deep.mts');
        writeFileSync(script, CHILD);
        const child = spawnSync(process.execPath, ['--import', 'tsx', script, String(depth)], {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
          timeout: 25_000,
        });
        const fatal = /FATAL ERROR[^\n]*/.exec(child.stderr)?.[0] ?? child.stderr.slice(0, 300);
        expect(child.signal, `the child was killed (${String(child.signal)}): ${fatal}`).toBeNull();
        expect(child.stderr).not.toContain('FATAL ERROR');
        expect(child.status, child.stderr.slice(0, 300)).toBe(0);
        const report = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
          out: { name: string; ms: number; codes: string[] }[];
          code: number;
          stderr: string;
        };
        for (const entry of report.out) {
          expect(entry.ms, entry.name).toBeLessThan(5_000);
          expect(entry.codes.length, entry.name).toBeGreaterThan(0);
        }
        expect([0, 2]).toContain(report.code);
        expect(report.stderr).not.toMatch(/^\s+at /m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
