// --profile: Compose services with profiles are analysed only when one of their profiles is enabled, as
// `docker compose --profile` runs them; without --profile every service is analysed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('selects Compose services by profile', async () => {
  writeFileSync(
    join(dir, 'compose.yaml'),
    'name: shop\nservices:\n  web:\n    image: nginx:1.27\n  debug:\n    image: busybox:1.36\n    profiles: [debug]\n  seed:\n    image: busybox:1.36\n    profiles: [setup]\n',
  );
  const services = async (args: string[]): Promise<string[]> => {
    const result = await runCli(['reach', dir, '--format', 'json', ...args]);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { workloads: { name: string }[] }).workloads
      .map((w) => w.name)
      .sort();
  };
  expect(await services([])).toEqual(['debug', 'seed', 'web']);
  expect(await services(['--profile', 'debug'])).toEqual(['debug', 'web']);
  expect(await services(['--profile', 'debug', '--profile', 'setup'])).toEqual(['debug', 'seed', 'web']);
  expect(await services(['--profile', 'other'])).toEqual(['web']);
});
