// The official SARIF 2.1.0 JSON schema (draft-04), compiled once with ajv, for tests of the SARIF output.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import AjvFormats from 'ajv-formats';

const require = createRequire(import.meta.url);

/** The 2.1.0 schema as published (rtm.5), shipped in the npm package @microsoft/jest-sarif. */
export const SARIF_SCHEMA_FILE = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

// The schema's `language` pattern (`...[a-zA-Z]{2}]?$`) is only valid as a non-unicode regular expression.
// CommonJS modules: their classes and functions are the `default` export.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
AjvFormats.default(ajv);

export const validateSarif = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as object);

/** The schema's complaints about `log`, empty when it is valid. */
export function sarifErrors(log: unknown): string[] {
  return validateSarif(log)
    ? []
    : (validateSarif.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
