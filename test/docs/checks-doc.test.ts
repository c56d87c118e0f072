// docs/checks.md is generated from the catalog and the documented disagreements; it must be current.
// `npm run docs:checks` rewrites it.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AUDIT_CHECKS } from '../../src/core/audit/catalog.js';
import { renderChecksDoc, type DocumentedDisagreement } from '../../src/report/checks-doc.js';
import { PROJECT_ROOT } from '../shared.js';

it('docs/checks.md lists every check as the catalog has it', () => {
  const disagreements = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'test', 'conformance', 'audit-disagreements.json'), 'utf8'),
  ) as DocumentedDisagreement[];
  const expected = renderChecksDoc(
    AUDIT_CHECKS.map((c) => c.info),
    disagreements,
  );
  const path = join(PROJECT_ROOT, 'docs', 'checks.md');
  if (process.env['BULKHEAD_UPDATE_DOCS'] === '1') writeFileSync(path, expected);
  expect(readFileSync(path, 'utf8'), 'docs/checks.md is stale: run npm run docs:checks').toBe(expected);
});
