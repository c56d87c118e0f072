// How busy the machine is: benchmarks wait for a quiet machine and record the busy fraction next to each number.

import { existsSync, readFileSync } from 'node:fs';

/** Busy fraction of all CPUs over `ms`, from /proc/stat (undefined where there is none). */
export async function cpuBusy(ms: number): Promise<number | undefined> {
  const read = (): { idle: number; total: number } | undefined => {
    if (!existsSync('/proc/stat')) return undefined;
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total };
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  if (before === undefined || after === undefined || after.total === before.total) return undefined;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}
