// End-to-end input diagnostics through `bulkhead reach`: stable codes, file:line:column, hints, exit codes, no stack traces.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

/** Marks the offending value in a case's text; removed before the file is written. */
const MARK = '⟦';

const BASE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: c
        image: nginx
        ports:
        - containerPort: 80
          name: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
spec:
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: c
        image: postgres
        ports:
        - containerPort: 5432
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow-web
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    ports:
    - port: 5432
`;

/** The connection the valid base allows, which must survive errors elsewhere in the input. */
const VALID_LINE = 'default/web[Deployment] => default/db[Deployment] : TCP 5432';

/** A policy selecting no pod of the base (so a warning-only case does not change the result), with a given spec body. */
const policy = (name: string, body: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n  podSelector:\n    matchLabels:\n      app: other\n${body}`;

const ingressWith = (peer: string, ports = ''): string =>
  `  ingress:\n  - from:\n${peer}${ports === '' ? '' : `    ports:\n${ports}`}`;

interface Case {
  readonly name: string;
  /** The extra document(s) appended to the valid base; MARK is where the diagnostic must point. */
  readonly extra: string;
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly ext?: string;
  /** A JSON file replaces the base instead of being appended to it. */
  readonly standalone?: boolean;
}

const CASES: readonly Case[] = [
  {
    name: 'malformed YAML (tab indentation)',
    extra: `apiVersion: v1\nkind: Pod\nmetadata:\n${MARK}\tname: broken\n`,
    code: 'YAML_SYNTAX',
    severity: 'error',
  },
  {
    name: 'malformed YAML (unclosed flow sequence)',
    extra: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\n  labels: [a, b\n${MARK}---\n`,
    code: 'YAML_SYNTAX',
    severity: 'error',
  },
  {
    name: 'label value `on` is a boolean under YAML 1.1',
    extra: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: flag\n  labels:\n    enabled: ${MARK}on\n`,
    code: 'INVALID_TYPE',
    severity: 'error',
  },
  {
    name: 'matchLabels value `yes` is a boolean under YAML 1.1',
    extra: policy(
      'bad',
      `  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          enabled: ${MARK}yes\n`,
    ),
    code: 'INVALID_TYPE',
    severity: 'error',
  },
  {
    name: 'ingress is a mapping, not a list',
    extra: policy('bad', `  ingress:\n    ${MARK}from: []\n`),
    code: 'INVALID_TYPE',
    severity: 'error',
  },
  {
    name: 'invalid CIDR: octet 300',
    extra: policy('bad', ingressWith(`    - ipBlock:\n        cidr: ${MARK}1.1.1.300/32\n`)),
    code: 'INVALID_CIDR',
    severity: 'error',
  },
  {
    name: 'invalid CIDR: prefix 33',
    extra: policy('bad', ingressWith(`    - ipBlock:\n        cidr: ${MARK}10.0.0.0/33\n`)),
    code: 'INVALID_CIDR',
    severity: 'error',
  },
  {
    name: 'invalid CIDR in except',
    extra: policy(
      'bad',
      ingressWith(
        `    - ipBlock:\n        cidr: 10.0.0.0/8\n        except:\n        - ${MARK}10.1.0.0/99\n`,
      ),
    ),
    code: 'INVALID_CIDR',
    severity: 'error',
  },
  {
    name: 'except outside its cidr',
    extra: policy(
      'bad',
      ingressWith(
        `    - ipBlock:\n        cidr: 10.0.0.0/8\n        except:\n        - 10.1.0.0/16\n        - ${MARK}192.168.0.0/16\n`,
      ),
    ),
    code: 'EXCEPT_OUTSIDE_CIDR',
    severity: 'error',
  },
  {
    name: 'except equal to its cidr',
    extra: policy(
      'bad',
      ingressWith(`    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [${MARK}10.0.0.0/8]\n`),
    ),
    code: 'EXCEPT_OUTSIDE_CIDR',
    severity: 'error',
  },
  {
    name: 'except of the other address family',
    extra: policy(
      'bad',
      ingressWith(`    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [${MARK}"::/64"]\n`),
    ),
    code: 'EXCEPT_OUTSIDE_CIDR',
    severity: 'error',
  },
  {
    name: 'port 0',
    extra: policy('bad', ingressWith('', `    - port: ${MARK}0\n`)),
    code: 'PORT_OUT_OF_RANGE',
    severity: 'error',
  },
  {
    name: 'port 65536',
    extra: policy('bad', ingressWith('', `    - protocol: UDP\n      port: ${MARK}65536\n`)),
    code: 'PORT_OUT_OF_RANGE',
    severity: 'error',
  },
  {
    name: 'endPort 65536',
    extra: policy('bad', ingressWith('', `    - port: 80\n      endPort: ${MARK}65536\n`)),
    code: 'PORT_OUT_OF_RANGE',
    severity: 'error',
  },
  {
    name: 'endPort < port',
    extra: policy('bad', ingressWith('', `    - port: 90\n      endPort: ${MARK}80\n`)),
    code: 'END_PORT_BEFORE_PORT',
    severity: 'error',
  },
  {
    name: 'endPort with a named port',
    extra: policy('bad', ingressWith('', `    - port: http\n      endPort: ${MARK}90\n`)),
    code: 'END_PORT_WITH_NAMED_PORT',
    severity: 'error',
  },
  {
    name: 'endPort without port',
    extra: policy('bad', ingressWith('', `    - protocol: TCP\n      endPort: ${MARK}90\n`)),
    code: 'END_PORT_WITHOUT_PORT',
    severity: 'error',
  },
  {
    name: 'port number written as a string',
    extra: policy('bad', ingressWith('', `    - port: ${MARK}"80"\n`)),
    code: 'INVALID_PORT',
    severity: 'error',
  },
  {
    name: 'invalid port name',
    extra: policy('bad', ingressWith('', `    - port: ${MARK}Web_Port\n`)),
    code: 'INVALID_PORT',
    severity: 'error',
  },
  {
    name: 'protocol tcp in lowercase',
    extra: policy('bad', ingressWith('', `    - protocol: ${MARK}tcp\n      port: 80\n`)),
    code: 'INVALID_PROTOCOL',
    severity: 'error',
  },
  {
    name: 'peer with ipBlock and podSelector',
    extra: policy(
      'bad',
      ingressWith(`    - ${MARK}ipBlock:\n        cidr: 10.0.0.0/8\n      podSelector: {}\n`),
    ),
    code: 'INVALID_PEER',
    severity: 'error',
  },
  {
    name: 'peer with ipBlock and namespaceSelector',
    extra: policy(
      'bad',
      ingressWith(`    - ${MARK}namespaceSelector: {}\n      ipBlock:\n        cidr: 10.0.0.0/8\n`),
    ),
    code: 'INVALID_PEER',
    severity: 'error',
  },
  {
    name: 'empty peer {}',
    extra: policy('bad', ingressWith(`    - ${MARK}{}\n`)),
    code: 'INVALID_PEER',
    severity: 'error',
  },
  {
    // The API server rejects this key. Dropping it silently would turn the peer into "every pod in the namespace".
    name: '__proto__ as a matchLabels key',
    extra: policy(
      'bad',
      ingressWith(`    - podSelector:\n        matchLabels:\n          ${MARK}__proto__: web\n`),
    ),
    code: 'INVALID_SELECTOR',
    severity: 'error',
  },
  {
    name: 'policyTypes in lowercase',
    extra: policy('bad', `  policyTypes:\n  - ${MARK}ingress\n`),
    code: 'INVALID_POLICY_TYPE',
    severity: 'error',
  },
  {
    name: 'selector operator in lowercase',
    extra: policy(
      'bad',
      ingressWith(
        `    - podSelector:\n        matchExpressions:\n        - key: app\n          operator: ${MARK}in\n          values: [web]\n`,
      ),
    ),
    code: 'INVALID_SELECTOR',
    severity: 'error',
  },
  {
    name: 'duplicate NetworkPolicy name',
    extra: policy(`${MARK}db-allow-web`, '  ingress: []\n'),
    code: 'DUPLICATE_NAME',
    severity: 'error',
  },
  {
    name: 'missing metadata.name',
    extra: `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  ${MARK}namespace: default\nspec:\n  podSelector: {}\n`,
    code: 'MISSING_FIELD',
    severity: 'error',
  },
  {
    name: 'invalid namespace name',
    extra: policy('bad', '').replace('  name: bad\n', `  name: bad\n  namespace: ${MARK}Prod_NS\n`),
    code: 'INVALID_NAME',
    severity: 'error',
  },
  {
    name: 'unknown field spec.ingres (warning only)',
    extra: policy('typo', `  ${MARK}ingres:\n  - {}\n`),
    code: 'UNKNOWN_FIELD',
    severity: 'warning',
  },
  {
    name: 'unknown field in a peer (warning only)',
    extra: policy('typo', ingressWith(`    - podSelector: {}\n      ${MARK}namespaceSelectr: {}\n`)),
    code: 'UNKNOWN_FIELD',
    severity: 'warning',
  },
  {
    name: 'ingress rules ignored by policyTypes (warning only)',
    extra: policy('ignored', `  policyTypes: [Egress]\n  ${MARK}ingress:\n  - {}\n`),
    code: 'IGNORED_RULES',
    severity: 'warning',
  },
  {
    name: 'invalid object name (warning only: the object still means the same)',
    extra: policy('bad', '').replace('  name: bad\n', `  name: ${MARK}Bad_Name\n`),
    code: 'INVALID_NAME',
    severity: 'warning',
  },
  {
    name: 'invalid CIDR in a JSON file',
    ext: 'json',
    standalone: true,
    extra: `{\n  "apiVersion": "networking.k8s.io/v1",\n  "kind": "NetworkPolicy",\n  "metadata": {"name": "j"},\n  "spec": {\n    "podSelector": {},\n    "ingress": [{"from": [{"ipBlock": {"cidr": ${MARK}"1.1.1.300/32"}}]}]\n  }\n}\n`,
    code: 'INVALID_CIDR',
    severity: 'error',
  },
];

let dir = '';
let counter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulkhead-diag-'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Writes a case file; returns its path and the 1-based line/column where MARK was. */
function writeCase(c: Case): { file: string; line: number; column: number } {
  const text = c.standalone === true ? c.extra : `${BASE}---\n${c.extra}`;
  const at = text.indexOf(MARK);
  if (at < 0 || text.indexOf(MARK, at + 1) >= 0) throw new Error(`case ${c.name} needs exactly one marker`);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  const file = join(dir, `case-${++counter}.${c.ext ?? 'yaml'}`);
  writeFileSync(file, text.replace(MARK, ''));
  return { file, line, column };
}

function expectNoStackTrace(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b.*\n\s+at /);
}

describe('reach: one table row per input problem', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { file, line, column } = writeCase(c);
    const result = await runCli(['reach', file]);
    expectNoStackTrace(result);
    expect(result.stderr).toContain(`${file}:${line}:${column}: ${c.severity} ${c.code}:`);
    const block = result.stderr.slice(
      result.stderr.indexOf(`${file}:${line}:${column}: ${c.severity} ${c.code}:`),
    );
    expect(block.split('\n')[1]).toMatch(/^ {2}hint: \S/);
    expect(result.code).toBe(c.severity === 'error' ? 2 : 0);
    if (c.standalone !== true) {
      // The valid rest of the input is still analysed.
      expect(result.stdout.split('\n')).toContain(VALID_LINE);
    }
  });

  it.each(CASES.filter((c) => c.severity === 'error').map((c) => [c.name, c] as const))(
    '--strict: %s analyses nothing',
    async (_name, c) => {
      const { file } = writeCase(c);
      const result = await runCli(['reach', '--strict', file]);
      expectNoStackTrace(result);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(c.code);
      expect(result.stderr).toContain('--strict');
    },
  );

  it.each(CASES.filter((c) => c.severity === 'warning').map((c) => [c.name, c] as const))(
    '--strict: %s still analyses (warnings only)',
    async (_name, c) => {
      const { file } = writeCase(c);
      const result = await runCli(['reach', '--strict', file]);
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')).toContain(VALID_LINE);
    },
  );

  it('the valid base alone has no diagnostics and exits 0', async () => {
    const file = join(dir, 'base.yaml');
    writeFileSync(file, BASE);
    const result = await runCli(['reach', file]);
    expect(result).toEqual({
      code: 0,
      stdout: expect.stringContaining(VALID_LINE) as unknown as string,
      stderr: '',
    });
  });

  it('collects every problem of a file, not just the first', async () => {
    const errors = CASES.filter(
      (c) =>
        c.severity === 'error' &&
        c.code !== 'YAML_SYNTAX' &&
        c.standalone !== true &&
        c.code !== 'DUPLICATE_NAME' &&
        !c.name.includes('__proto__'),
    );
    const text = `${BASE}${errors
      .map(
        (c, i) =>
          `---\n${c.extra
            .replace(MARK, '')
            .replace(/name: bad\n/, `name: bad-${i}\n`)
            .replace(/name: flag\n/, `name: flag-${i}\n`)}`,
      )
      .join('')}`;
    const file = join(dir, 'all.yaml');
    writeFileSync(file, text);
    const result = await runCli(['reach', file]);
    expectNoStackTrace(result);
    expect(result.code).toBe(2);
    for (const c of errors) expect(result.stderr).toContain(` ${c.code}:`);
    expect(result.stdout.split('\n')).toContain(VALID_LINE);
    const count = /bulkhead: (\d+) error\(s\)/.exec(result.stderr);
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(errors.length);
  });

  it('json output carries the diagnostics as data', async () => {
    const c = CASES.find((x) => x.code === 'INVALID_CIDR')!;
    const { file } = writeCase(c);
    const result = await runCli(['reach', '--format', 'json', file]);
    expect(result.code).toBe(2);
    const parsed = JSON.parse(result.stdout) as {
      diagnostics: { code: string; severity: string; file: string }[];
    };
    expect(parsed.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'INVALID_CIDR', severity: 'error', file }),
    );
  });

  it('stdin input is located as `-`', async () => {
    const c = CASES.find((x) => x.code === 'END_PORT_BEFORE_PORT')!;
    const text = `${BASE}---\n${c.extra}`;
    const at = text.indexOf(MARK);
    const before = text.slice(0, at);
    const result = await runCli(['reach', '-'], text.replace(MARK, ''));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `-:${before.split('\n').length}:${at - before.lastIndexOf('\n')}: error END_PORT_BEFORE_PORT:`,
    );
    expect(result.stdout.split('\n')).toContain(VALID_LINE);
  });
});

describe('reach: paths', () => {
  it('a path that does not exist: exit 2, the path named, a hint, and the other paths still analysed', async () => {
    const missing = join(dir, 'no', 'such', 'file.yaml');
    const good = join(dir, 'good.yaml');
    writeFileSync(good, BASE);
    const result = await runCli(['reach', missing, good]);
    expectNoStackTrace(result);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${missing}: error PATH_NOT_FOUND:`);
    expect(result.stderr).toMatch(/\n {2}hint: \S/);
    expect(result.stdout.split('\n')).toContain(VALID_LINE);
  });

  it('a missing path with --strict: nothing analysed', async () => {
    const result = await runCli(['reach', '--strict', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('PATH_NOT_FOUND');
  });

  it('a directory is read recursively and problems point into the right file', async () => {
    const sub = join(dir, 'tree', 'nested');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(dir, 'tree', 'base.yaml'), BASE);
    writeFileSync(
      join(sub, 'bad.yml'),
      policy('bad', ingressWith('    - ipBlock:\n        cidr: 10.0.0.0/33\n')),
    );
    writeFileSync(join(sub, 'notes.txt'), 'not: [a manifest');
    const result = await runCli(['reach', join(dir, 'tree')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(sub, 'bad.yml')}:12:15: error INVALID_CIDR:`);
    expect(result.stderr).not.toContain('notes.txt');
    expect(result.stdout.split('\n')).toContain(VALID_LINE);
  });

  it('usage errors exit 2 without a stack trace', async () => {
    for (const argv of [
      ['reach'],
      ['reach', '--format', 'xml', 'x'],
      ['reach', '--pod-cidr', '10.0.0.0/33', '-'],
      ['nonsense'],
    ]) {
      const result = await runCli(argv);
      expectNoStackTrace(result);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toBe('');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// netpol-analyzer's bad-input cases (../shared). For each directory: the exit code we owe and the code we report.

interface BadDir {
  readonly dir: string;
  readonly code: 0 | 2;
  /** Expected diagnostic codes (errors for exit 2, warnings otherwise); none for a clean input. */
  readonly diagnostics: readonly string[];
  readonly why: string;
}

const BAD_DIRS: readonly BadDir[] = [
  { dir: 'bad_netpols/subdir1', code: 2, diagnostics: ['INVALID_CIDR'], why: 'ipBlock.cidr is "A"' },
  { dir: 'bad_netpols/subdir2', code: 2, diagnostics: ['INVALID_SELECTOR'], why: 'label key "app@b"' },
  {
    dir: 'bad_netpols/subdir3',
    code: 2,
    diagnostics: ['INVALID_PEER'],
    why: 'a peer with podSelector and ipBlock',
  },
  { dir: 'bad_netpols/subdir4', code: 2, diagnostics: ['INVALID_PEER'], why: 'an empty peer {}' },
  {
    dir: 'bad_netpols/subdir5',
    code: 0,
    diagnostics: [],
    // netpol-analyzer rejects `port: abc`, but "abc" is a valid IANA_SVC_NAME: the API server accepts it, and a
    // named port that no destination container declares simply matches nothing (DESIGN: named ports).
    why: 'valid for us: `port: abc` is a legal named port that matches nothing',
  },
  {
    dir: 'bad_netpols/subdir6',
    code: 0,
    diagnostics: [],
    // Same named port on an egress rule to an ipBlock: legal in the API; it resolves against the destination's
    // container ports, and an external address has none, so it matches nothing.
    why: 'valid for us: a named port towards an ipBlock is legal and matches nothing',
  },
  {
    dir: 'bad_netpols/subdir7',
    code: 2,
    diagnostics: ['INVALID_SELECTOR'],
    why: 'label value "$backendservice"',
  },
  {
    dir: 'bad_yamls',
    code: 0,
    // Not Kubernetes objects, an empty file, a non-manifest .xml, irrelevant kinds and a repeated ConfigMap:
    // nothing here changes reachability, so these are warnings, not errors.
    diagnostics: ['MISSING_KIND'],
    why: 'valid for us: only non-manifest documents and irrelevant objects, reported as warnings',
  },
  {
    dir: 'document_with_syntax_error',
    code: 2,
    diagnostics: ['YAML_SYNTAX'],
    why: 'an unquotable template string',
  },
  {
    dir: 'np_bad_path_test_1',
    code: 2,
    diagnostics: ['DUPLICATE_NAME'],
    why: 'two NetworkPolicies named backend-netpol',
  },
  {
    dir: 'np_bad_path_test_2',
    code: 2,
    diagnostics: ['END_PORT_WITH_NAMED_PORT'],
    why: 'endPort with port: http',
  },
];

const sharedHere = sharedAvailable();

describe.skipIf(!sharedHere)(
  'netpol-analyzer bad-input directories (../shared/conformance/netpol-analyzer/tests)',
  () => {
    it.each(BAD_DIRS.map((b) => [b.dir, b] as const))('%s', async (_dir, b) => {
      const path = sharedPath('conformance', 'netpol-analyzer', 'tests', b.dir);
      const result = await runCli(['reach', path]);
      expectNoStackTrace(result);
      expect(result.code, b.why).toBe(b.code);
      const located = [...result.stderr.matchAll(/^(\S+?):(\d+):(\d+): (error|warning) ([A-Z_]+):/gm)];
      for (const code of b.diagnostics) {
        const match = located.find((m) => m[5] === code);
        expect(match, `${code} located in ${result.stderr}`).toBeDefined();
        // The line exists in the file it names.
        const lines = readFileSync(match![1]!, 'utf8').split('\n').length;
        expect(Number(match![2])).toBeLessThanOrEqual(lines);
        expect(Number(match![2])).toBeGreaterThanOrEqual(1);
        expect(Number(match![3])).toBeGreaterThanOrEqual(1);
      }
      if (b.code === 2) {
        expect(located.some((m) => m[4] === 'error')).toBe(true);
        expect(result.stderr).toMatch(/\n {2}hint: \S/);
      } else {
        expect(located.filter((m) => m[4] === 'error')).toEqual([]);
        expect(result.stdout).not.toBe('');
      }
    });
  },
);
