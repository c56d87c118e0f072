// Conformance of `bulkhead diff` against np-guard netpol-analyzer's diff goldens (test_outputs/diff): txt, csv, md.
//
// INDEX.json has no diff entries: a golden `diff_between_<new>_and_<old>.<fmt>` compares tests/<old> (ref1) with
// tests/<new> (ref2); the split is the one at which both names are test directories. The
// `TsetOutputWithArgNamesOption_` goldens use the names old/new, the others np-guard's default ref1/ref2.
// netpol-analyzer's goldens are inconsistent about the final newline (its test compares without it), so a golden is
// compared with exactly one final newline (an empty golden, no diff, stays empty); everything else byte for byte. dot goldens are not compared (no dot diff).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const ROOT = sharedPath('conformance', 'netpol-analyzer');
const available = sharedAvailable();
const GOLDENS = join(ROOT, 'test_outputs', 'diff');
const FORMATS = ['txt', 'csv', 'md'];
const ARG_NAMES_PREFIX = 'TsetOutputWithArgNamesOption_';
/**
 * Inputs with OVN-Kubernetes user-defined networks, which segment pods in ways outside the policy model (as
 * netpol-analyzer's multi-network mode does): their results are listed, not required.
 */
const NOT_PLAIN = /^\s*"?kind"?\s*:\s*"?(UserDefinedNetwork|ClusterUserDefinedNetwork)\b/m;

interface Case {
  readonly golden: string;
  readonly format: string;
  readonly oldDir: string;
  readonly newDir: string;
  readonly names: readonly [string, string];
  readonly plain: boolean;
}

function isTestDir(name: string): boolean {
  const dir = join(ROOT, 'tests', name);
  return existsSync(dir) && statSync(dir).isDirectory();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function isPlain(dir: string): boolean {
  return !filesUnder(join(ROOT, 'tests', dir)).some(
    (f) => /\.(ya?ml|json)$/.test(f) && NOT_PLAIN.test(readFileSync(f, 'utf8')),
  );
}

function findCases(): Case[] {
  const cases: Case[] = [];
  for (const golden of readdirSync(GOLDENS).sort()) {
    const dot = golden.lastIndexOf('.');
    const format = golden.slice(dot + 1);
    if (!FORMATS.includes(format)) continue;
    const argNames = golden.startsWith(ARG_NAMES_PREFIX);
    const rest = golden.slice(argNames ? ARG_NAMES_PREFIX.length : 0, dot).replace(/^diff_between_/, '');
    let split: [string, string] | undefined;
    for (let at = rest.indexOf('_and_'); at >= 0; at = rest.indexOf('_and_', at + 1)) {
      const [newDir, oldDir] = [rest.slice(0, at), rest.slice(at + '_and_'.length)];
      if (isTestDir(newDir) && isTestDir(oldDir)) split = [oldDir, newDir];
    }
    if (split === undefined) throw new Error(`cannot tell which test directories ${golden} compares`);
    cases.push({
      golden,
      format,
      oldDir: split[0],
      newDir: split[1],
      names: argNames ? ['old', 'new'] : ['ref1', 'ref2'],
      plain: isPlain(split[0]) && isPlain(split[1]),
    });
  }
  return cases;
}

const cases = available ? findCases() : [];
const results = new Map<string, boolean>();

describe.skipIf(!available)('netpol-analyzer diff goldens', () => {
  afterAll(() => {
    const count = (format: string, plain?: boolean): [number, number] => {
      const of = cases.filter((c) => c.format === format && (plain === undefined || c.plain === plain));
      return [of.filter((c) => results.get(c.golden) === true).length, of.length];
    };
    const [txtPassed, txtTotal] = count('txt');
    const [plainPassed, plainTotal] = count('txt', true);
    const [csvPassed, csvTotal] = count('csv');
    const [mdPassed, mdTotal] = count('md');
    const failed = cases
      .filter((c) => results.get(c.golden) !== true)
      .map((c) => c.golden + (c.plain ? '' : ' (user-defined networks, not modelled)'));
    console.log(
      `netpol-analyzer diff conformance: ${txtPassed}/${txtTotal} goldens passed ` +
        `(without user-defined networks ${plainPassed}/${plainTotal}; csv ${csvPassed}/${csvTotal}, md ${mdPassed}/${mdTotal})` +
        (failed.length > 0 ? `\n  not matching:\n    ${failed.join('\n    ')}` : ''),
    );
  });

  it('finds the 47 txt goldens', () => {
    expect(cases.filter((c) => c.format === 'txt').length).toBe(47);
  });

  for (const c of cases) {
    // Inputs with user-defined networks are reported in the count line, not failed; all others must match.
    it(c.golden, async () => {
      const result = await runCli([
        'diff',
        join(ROOT, 'tests', c.oldDir),
        join(ROOT, 'tests', c.newDir),
        '--ipblock-pods',
        'ignore',
        '--format',
        c.format,
        '--old-name',
        c.names[0],
        '--new-name',
        c.names[1],
      ]);
      const golden = readFileSync(join(GOLDENS, c.golden), 'utf8');
      const wanted = golden === '' || golden.endsWith('\n') ? golden : `${golden}\n`;
      const passed = result.code === 0 && result.stdout === wanted;
      results.set(c.golden, passed);
      if (c.plain) {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe(wanted);
      }
    });
  }
});
