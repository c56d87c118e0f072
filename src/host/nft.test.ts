// Which changes `nft monitor` reports count as this agent's own: by pid, and only around the time its process ran.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Nft } from './nft.js';
import type { ProgramRunner } from './run-program.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Nft.startedBy', () => {
  it('owns a pid while its nft runs and for a few seconds after, not once the pid may be reused', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-22T12:00:00Z'));
    let whileRunning: boolean | undefined;
    const box: { nft?: Nft } = {};
    const runner: ProgramRunner = async (_program, _args, options) => {
      options?.onSpawn?.(4242);
      whileRunning = box.nft?.startedBy(4242);
      return { code: 0, stdout: '', stderr: '' };
    };
    const nft = new Nft(runner);
    box.nft = nft;
    expect(nft.startedBy(4242)).toBe(false);
    expect((await nft.apply('table inet t\n')).ok).toBe(true);
    expect(whileRunning).toBe(true);
    expect(nft.startedBy(4242)).toBe(true);
    expect(nft.startedBy(4243)).toBe(false);
    // Long after: another process may have that pid now (pid_max wraps), and its change is someone else's.
    vi.setSystemTime(new Date('2026-11-22T12:00:10Z'));
    expect(nft.startedBy(4242)).toBe(false);
  });
});
