// Locates ../shared (conformance suites, real-world manifests): tests that need it skip with a clear message
// when it is absent, and fail when it is absent under CI=true.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED_DIR = resolve(PROJECT_ROOT, '..', 'shared');

export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** True when ../shared is there; throws under CI, where its absence is a broken setup, not a reason to skip. */
export function sharedAvailable(): boolean {
  if (existsSync(SHARED_DIR)) return true;
  if (process.env['CI'] === 'true')
    throw new Error(`../shared is missing at ${SHARED_DIR}; CI needs it beside the project`);
  console.warn(`skipping: ../shared not found at ${SHARED_DIR} (the conformance suites live there)`);
  return false;
}
