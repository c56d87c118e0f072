// The agent's state on disk, for `bulkhead status`: one JSON file per table, replaced atomically (write + rename)
// so that a reader never sees half of it. The kernel's table stays the truth; this says since when and why.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentState } from './agent.js';

export const DEFAULT_STATE_DIR = '/run/bulkhead';

export interface StoredState extends AgentState {
  readonly pid: number;
  readonly policies: string;
  readonly startedAt: string;
}

export function stateFilePath(dir: string, table: string): string {
  return join(dir, `${table}.json`);
}

export function writeState(dir: string, state: StoredState): void {
  // Only root reads what is enforced: the directory is private.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = stateFilePath(dir, state.table);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The stored state, undefined when there is none; a file that is not ours is reported as unreadable. */
export function readState(
  dir: string,
  table: string,
): { ok: true; value: StoredState | undefined } | { ok: false; message: string } {
  let text: string;
  try {
    text = readFileSync(stateFilePath(dir, table), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: undefined };
    return { ok: false, message: `cannot read ${stateFilePath(dir, table)}: ${(error as Error).message}` };
  }
  try {
    const value = JSON.parse(text) as StoredState;
    if (typeof value !== 'object' || value === null || value.table !== table)
      throw new Error('not a state file');
    return { ok: true, value };
  } catch {
    return { ok: false, message: `${stateFilePath(dir, table)} is not a Bulkhead state file` };
  }
}

export function removeState(dir: string, table: string): void {
  rmSync(stateFilePath(dir, table), { force: true });
}

/** Whether a process with this pid runs (signal 0 checks without sending anything). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
