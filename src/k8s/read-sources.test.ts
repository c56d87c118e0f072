// sourcesFingerprint: equal while nothing readSources would read was written, different as soon as something was.

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sourcesFingerprint } from './read-sources.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes a file and dates it an hour back, as a file written long before the read. */
function writeOld(path: string, text: string): void {
  writeFileSync(path, text);
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(path, anHourAgo, anHourAgo);
}

describe('sourcesFingerprint', () => {
  it('changes when a manifest is written, added or removed, not for files readSources skips', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bhtest-fingerprint-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'sub'));
    writeOld(join(dir, 'a.yaml'), 'kind: A\n');
    writeOld(join(dir, 'sub', 'b.yml'), 'kind: B\n');
    const first = sourcesFingerprint([dir]);
    expect(first).toContain('a.yaml');
    expect(first).toContain('b.yml');
    expect(sourcesFingerprint([dir])).toBe(first);
    writeOld(join(dir, 'notes.txt'), 'not a manifest');
    writeOld(join(dir, '.hidden.yaml'), 'kind: Hidden\n');
    const withSkipped = sourcesFingerprint([dir]);
    expect(withSkipped).toBe(first);
    writeFileSync(join(dir, 'a.yaml'), 'kind: C\n');
    const rewritten = sourcesFingerprint([dir]);
    expect(rewritten).not.toBe(withSkipped);
    // Written a moment ago: never equal, even to itself, until it is two seconds old.
    expect(sourcesFingerprint([dir])).not.toBe(rewritten);
    rmSync(join(dir, 'sub', 'b.yml'));
    expect(sourcesFingerprint([dir])).not.toContain('b.yml');
    expect(sourcesFingerprint([join(dir, 'missing')])).toContain('no such file or directory');
  });
});
