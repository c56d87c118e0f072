// Connection tracking through the `conntrack` program: list tracked connections, delete the ones a policy change
// no longer allows. A rule change alone does not cut an established connection: its packets are accepted by
// `ct state established` until the entry is gone; after `conntrack -D` the next packet is tracked as new and meets
// the policy again.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, parseAddress } from '../core/model/address-set.js';
import { runProgram, type ProgramRunner } from './run-program.js';

export interface TrackedConnection {
  /** IANA protocol number. */
  readonly protocol: number;
  /** The original direction as the client sent it (before Docker's DNAT of a published port). */
  readonly src: bigint;
  readonly dst: bigint;
  readonly sport?: number;
  readonly dport?: number;
  /** The reply direction: its source is the real destination after DNAT, its source port the real port. */
  readonly replySrc: bigint;
  readonly replySport?: number;
}

export type ConntrackResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: { readonly message: string; readonly hint?: string } };

export class Conntrack {
  constructor(
    private readonly run: ProgramRunner = runProgram,
    private readonly program = 'conntrack',
  ) {}

  /** Every tracked connection of both families. */
  async list(): Promise<ConntrackResult<TrackedConnection[]>> {
    const out: TrackedConnection[] = [];
    for (const family of ['ipv4', 'ipv6']) {
      const result = await this.run(this.program, ['-L', '-f', family], { timeoutMs: 60_000 });
      if (result.spawnError !== undefined)
        return {
          ok: false,
          error: {
            message: `cannot run conntrack (${result.spawnError})`,
            hint: 'Install conntrack (Debian: apt-get install conntrack).',
          },
        };
      if (result.code !== 0)
        return { ok: false, error: { message: `conntrack -L failed: ${result.stderr.trim()}` } };
      for (const line of result.stdout.split('\n')) {
        const entry = parseConntrackLine(line);
        if (entry !== undefined) out.push(entry);
      }
    }
    return { ok: true, value: out };
  }

  /**
   * Deletes the entries with these original tuples in one `conntrack --load-file -` batch (one process, not one per
   * entry: a process start costs about 16 ms). An entry already gone is not an error.
   */
  async delete(entries: readonly TrackedConnection[]): Promise<ConntrackResult<void>> {
    if (entries.length === 0) return { ok: true, value: undefined };
    const lines = entries.map((entry) => {
      const args = [
        '-D',
        '-f',
        entry.src >= 1n << 32n ? 'ipv6' : 'ipv4',
        '-p',
        String(entry.protocol),
        '-s',
        formatAddress(entry.src),
        '-d',
        formatAddress(entry.dst),
      ];
      if (entry.sport !== undefined && entry.dport !== undefined)
        args.push('--sport', String(entry.sport), '--dport', String(entry.dport));
      return args.join(' ');
    });
    // conntrack opens the file it loads by name; Node's stdin for a child is a socket, which /dev/stdin cannot
    // reopen, so the batch goes through a private temporary file.
    const dir = await mkdtemp(join(tmpdir(), 'bulkhead-conntrack-'));
    let result;
    try {
      const file = join(dir, 'delete');
      await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      result = await this.run(this.program, ['--load-file', file], { timeoutMs: 60_000 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (result.spawnError !== undefined)
      return { ok: false, error: { message: `cannot run conntrack (${result.spawnError})` } };
    if (result.code !== 0)
      return { ok: false, error: { message: `conntrack --load-file failed: ${result.stderr.trim()}` } };
    return { ok: true, value: undefined };
  }
}

const PROTOCOL_NAMES: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

/**
 * One line of `conntrack -L`: `tcp 6 431999 ESTABLISHED src=A dst=B sport=P dport=Q [flags] src=B dst=A sport=Q
 * dport=P [ASSURED] mark=0 use=1`. The first src/dst/sport/dport are the original direction, the second the reply.
 */
export function parseConntrackLine(line: string): TrackedConnection | undefined {
  const fields = line.trim().split(/\s+/);
  const protocol = Number(fields[1]) || PROTOCOL_NAMES[fields[0] ?? ''];
  if (protocol === undefined || !Number.isInteger(protocol)) return undefined;
  const values: Record<string, string[]> = {};
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq <= 0) continue;
    (values[field.slice(0, eq)] ??= []).push(field.slice(eq + 1));
  }
  const address = (key: string, index: number): bigint | undefined => {
    const text = values[key]?.[index];
    return text === undefined ? undefined : parseAddress(text);
  };
  const port = (key: string, index: number): number | undefined => {
    const n = Number(values[key]?.[index]);
    return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
  };
  const src = address('src', 0);
  const dst = address('dst', 0);
  const replySrc = address('src', 1);
  if (src === undefined || dst === undefined || replySrc === undefined) return undefined;
  const sport = port('sport', 0);
  const dport = port('dport', 0);
  const replySport = port('sport', 1);
  return {
    protocol,
    src,
    dst,
    replySrc,
    ...(sport !== undefined ? { sport } : {}),
    ...(dport !== undefined ? { dport } : {}),
    ...(replySport !== undefined ? { replySport } : {}),
  };
}
