// The worked examples in the docs are tests: every ```text block that starts with `$ bulkhead <command> ...` is
// run, and its output must be exactly the rest of the block.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { PROJECT_ROOT } from '../shared.js';

interface Example {
  readonly doc: string;
  readonly argv: string[];
  readonly expected: string;
}

function examples(): Example[] {
  const docsDir = join(PROJECT_ROOT, 'docs');
  const out: Example[] = [];
  for (const name of readdirSync(docsDir).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(docsDir, name), 'utf8');
    for (const match of text.matchAll(/```text\n\$ bulkhead ([^\n]+)\n([\s\S]*?)```/g)) {
      // Paths stay relative, as printed: the suite runs from the project root.
      const argv = match[1]!.split(/\s+/);
      out.push({ doc: name, argv, expected: match[2]! });
    }
  }
  return out;
}

const all = examples();

describe('worked examples in docs/', () => {
  it('has examples', () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
  });

  for (const example of all) {
    it(`${example.doc}: bulkhead ${example.argv.join(' ')}`, async () => {
      expect(process.cwd()).toBe(PROJECT_ROOT);
      const result = await runCli(example.argv);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(example.expected);
    });
  }
});
