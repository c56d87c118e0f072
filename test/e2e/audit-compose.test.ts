// End-to-end: `bulkhead audit DIR --format json` on a Compose project, with exact line:column locations.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

interface AuditJson {
  findings: {
    check: string;
    severity: string;
    resource: { kind: string; namespace: string; name: string };
    location: { file: string; line: number; column: number };
  }[];
  checks: { id: string; mappings: Record<string, string[]> }[];
}

const COMPOSE = [
  'name: shop', // 1
  'services:', // 2
  '  web:', // 3
  '    image: nginx:1.27@sha256:0123', // 4
  '    ports:', // 5
  '      - "8080:80"', // 6
  '    cap_drop: [ALL]', // 7
  '    security_opt: ["no-new-privileges:true"]', // 8
  '    networks: [front]', // 9
  '  admin:', // 10
  '    image: portainer/portainer-ce', // 11
  '    network_mode: host', // 12
  '    privileged: true', // 13
  '    volumes:', // 14
  '      - /var/run/docker.sock:/var/run/docker.sock', // 15
  'networks:', // 16
  '  front:', // 17
  '',
].join('\n');

/** The project directories this file made, removed at the end. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bh-audit-compose-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('audit on a Compose project', () => {
  it('reports the compose checks at the offending values', async () => {
    const dir = project({ 'shop/compose.yaml': COMPOSE });
    const result = await runCli(['audit', dir, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as AuditJson;
    const compose = json.findings
      .filter((f) => f.check.startsWith('BH-CMP-'))
      .map(
        (f) =>
          `${f.check} ${f.severity} ${f.resource.kind} ${f.resource.namespace}/${f.resource.name} ${f.location.line}:${f.location.column}`,
      )
      .sort();
    expect(compose).toEqual([
      'BH-CMP-001 medium ComposeService shop/web 6:9',
      'BH-CMP-002 high ComposeService shop/admin 12:19',
      'BH-CMP-003 critical ComposeService shop/admin 13:17',
      'BH-CMP-006 critical ComposeService shop/admin 15:9',
      'BH-CMP-008 low ComposeService shop/admin 10:3',
      'BH-CMP-009 medium ComposeService shop/admin 11:12',
    ]);
    expect(
      json.findings.every((f) => f.location.file.endsWith('compose.yaml') || f.check.startsWith('BH-')),
    ).toBe(true);
    const catalog = json.checks.find((c) => c.id === 'BH-CMP-001')!;
    expect(catalog.mappings['kics']).toEqual(['451d79dc-0588-476a-ad03-3c7f0320abb3']);
  });

  it('locates merged values in the file that wrote them and fails on --fail-on', async () => {
    const dir = project({
      'app/compose.yaml':
        'services:\n  db:\n    image: postgres:16@sha256:1\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n',
      'app/compose.override.yaml': 'services:\n  db:\n    ports:\n      - 5432:5432\n',
    });
    const result = await runCli(['audit', dir, '--format', 'json', '--fail-on', 'high']);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as AuditJson;
    const port = json.findings.find((f) => f.check === 'BH-CMP-001')!;
    expect(port.severity).toBe('high');
    expect(port.location.file.endsWith('compose.override.yaml')).toBe(true);
    expect(`${port.location.line}:${port.location.column}`).toBe('4:9');
  });

  it('exits 2 with file:line:column on malformed Compose input', async () => {
    const dir = project({ 'bad/compose.yaml': 'services:\n  web:\n    ports:\n      - "80:80/icmp"\n' });
    const result = await runCli(['audit', dir, '--format', 'json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/compose\.yaml:4:9: error COMPOSE_INVALID_PORT/);
  });
});
