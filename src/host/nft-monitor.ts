// `nft monitor`: every change to the ruleset, transaction by transaction. A transaction's lines are followed by
// `# new generation N by process PID (NAME)`, so each change can be told apart by who made it.

import { spawn, type ChildProcess } from 'node:child_process';

export interface RulesetChange {
  /** The lines of one transaction, e.g. `delete rule inet bulkhead forward handle 4`. */
  readonly lines: readonly string[];
  /** The process that committed it, when nft said. */
  readonly pid?: number;
  readonly process?: string;
}

export interface NftMonitorHandle {
  close(): void;
}

/**
 * Follows `nft monitor` and calls `onChange` once per committed transaction. `onEnd` is called if nft exits on its
 * own (not installed, killed).
 */
export function monitorRuleset(
  onChange: (change: RulesetChange) => void,
  onEnd: (reason: string) => void,
  program = 'nft',
): NftMonitorHandle {
  let closed = false;
  // nft buffers its output when it goes to a pipe, so events would arrive in 4 KiB lumps, late: stdbuf (coreutils)
  // makes it write line by line.
  const child: ChildProcess = spawn('stdbuf', ['-oL', program, 'monitor'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  let lines: string[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trimEnd();
      pending = pending.slice(newline + 1);
      const generation = /^# new generation \d+ by process (\d+) \(([^)]*)\)/.exec(line);
      if (generation !== null) {
        onChange({ lines, pid: Number(generation[1]), process: generation[2]! });
        lines = [];
      } else if (line !== '') lines.push(line);
      newline = pending.indexOf('\n');
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk.slice(0, 4096)));
  child.on('error', (error) => {
    if (!closed) onEnd(`cannot run nft monitor: ${error.message}`);
    closed = true;
  });
  child.on('exit', (code) => {
    if (!closed) onEnd(`nft monitor exited (${code ?? 'signal'}): ${stderr.trim()}`);
    closed = true;
  });
  return {
    close: () => {
      closed = true;
      child.kill('SIGTERM');
    },
  };
}

/** Whether a transaction touched `inet <table>`. */
export function touchesTable(change: RulesetChange, table: string): boolean {
  const pattern = new RegExp(`\\binet ${table}\\b`);
  return change.lines.some((line) => pattern.test(line));
}
