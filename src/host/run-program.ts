// Runs a host program with an argument array (never a shell string), optional stdin, and a time limit.

import { spawn } from 'node:child_process';

export interface ProgramResult {
  /** Exit code; -1 when the program could not be started or was killed. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be started (ENOENT: not installed). */
  readonly spawnError?: string;
}

export type ProgramRunner = (
  program: string,
  args: readonly string[],
  options?: {
    readonly input?: string;
    readonly timeoutMs?: number;
    /** Called with the child's pid once it runs (to tell our own nft transactions from others'). */
    readonly onSpawn?: (pid: number) => void;
  },
) => Promise<ProgramResult>;

export const runProgram: ProgramRunner = (program, args, options = {}) =>
  new Promise((resolve) => {
    const child = spawn(program, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;
    const finish = (result: ProgramResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish({ code: -1, stdout: '', stderr: '', spawnError: error.code ?? error.message }),
    );
    child.on('close', (code) =>
      finish({
        code: code ?? -1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    // A program that exits before reading its input closes the pipe: that is its answer, not ours to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
