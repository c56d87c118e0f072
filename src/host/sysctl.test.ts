// The br_netfilter check reads /proc/sys; here a directory of the test's own stands in for it.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeFilterStatus } from './sysctl.js';

const dirs: string[] = [];
function procSys(values?: { v4: string; v6: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bhtest-sysctl-'));
  dirs.push(dir);
  if (values !== undefined) {
    mkdirSync(join(dir, 'net', 'bridge'), { recursive: true });
    writeFileSync(join(dir, 'net', 'bridge', 'bridge-nf-call-iptables'), `${values.v4}\n`);
    writeFileSync(join(dir, 'net', 'bridge', 'bridge-nf-call-ip6tables'), `${values.v6}\n`);
  }
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bridgeFilterStatus', () => {
  it('tells on, off and not loaded apart', async () => {
    expect(await bridgeFilterStatus(procSys({ v4: '1', v6: '1' }))).toEqual({
      ipv4: true,
      ipv6: true,
      loaded: true,
    });
    expect(await bridgeFilterStatus(procSys({ v4: '0', v6: '1' }))).toEqual({
      ipv4: false,
      ipv6: true,
      loaded: true,
    });
    expect(await bridgeFilterStatus(procSys())).toEqual({ ipv4: false, ipv6: false, loaded: false });
  });
});
