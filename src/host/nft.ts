// nftables through the `nft` program: check a ruleset, apply it as one transaction, read our table's state.
// The ruleset text comes from src/core/nft (validated literals only) and goes in on stdin.

import { runProgram, type ProgramRunner } from './run-program.js';

export interface NftError {
  readonly code: 'NFT_NOT_FOUND' | 'NFT_REJECTED' | 'NFT_FAILED';
  readonly message: string;
  readonly hint?: string;
}

export type NftResult<T = void> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: NftError };

/** How long after its nft process ended a change reported with that pid still counts as ours. */
const OWN_PID_GRACE_MS = 5000;

export class Nft {
  /**
   * The nft processes this object started lately, by pid, with when each ended (undefined while it runs): `nft
   * monitor` names the process of each change. Pids are reused (pid_max is 32768 here), so a pid counts as ours only
   * while its process runs and for OWN_PID_GRACE_MS after, long enough for the monitor to report its change.
   */
  private readonly ownPids = new Map<number, number | undefined>();

  constructor(
    private readonly run: ProgramRunner = runProgram,
    private readonly program = 'nft',
  ) {}

  /** `nft -c -f`: the kernel checks the whole transaction without committing it. */
  check(ruleset: string): Promise<NftResult> {
    return this.load(ruleset, true);
  }

  /** `nft -f`: one transaction; the kernel applies all of it or nothing. */
  apply(ruleset: string): Promise<NftResult> {
    return this.load(ruleset, false);
  }

  private async load(ruleset: string, checkOnly: boolean): Promise<NftResult> {
    const args = checkOnly ? ['-c', '-f', '/dev/stdin'] : ['-f', '/dev/stdin'];
    let spawned: number | undefined;
    const result = await this.run(this.program, args, {
      input: ruleset,
      timeoutMs: 120_000,
      onSpawn: (pid) => {
        spawned = pid;
        this.ownPids.set(pid, undefined);
      },
    });
    const now = Date.now();
    if (spawned !== undefined) this.ownPids.set(spawned, now);
    for (const [pid, ended] of this.ownPids)
      if (ended !== undefined && now - ended > OWN_PID_GRACE_MS) this.ownPids.delete(pid);
    if (result.spawnError !== undefined) return notFound(result.spawnError);
    if (result.code !== 0)
      return {
        ok: false,
        error: {
          code: 'NFT_REJECTED',
          message: `nft ${checkOnly ? 'check' : 'apply'} failed: ${firstLines(result.stderr)}`,
          hint: result.stderr.includes('Operation not permitted')
            ? 'Run the agent as root (it needs CAP_NET_ADMIN).'
            : 'This is a bug in Bulkhead if the policies loaded without errors; please report it with --dry-run output.',
        },
      };
    return { ok: true, value: undefined };
  }

  /** Whether a change `nft monitor` reports came from a transaction this object ran. */
  startedBy(pid: number): boolean {
    if (!this.ownPids.has(pid)) return false;
    const ended = this.ownPids.get(pid);
    return ended === undefined || Date.now() - ended <= OWN_PID_GRACE_MS;
  }

  /** Whether `inet <table>` exists. */
  async hasTable(table: string): Promise<NftResult<boolean>> {
    const listed = await this.list(['tables', 'inet']);
    if (!listed.ok) return listed;
    return {
      ok: true,
      value: listed.value.split('\n').some((line) => line.trim() === `table inet ${table}`),
    };
  }

  /** The rules of our chain with their counters (`nft list chain`: sets by name, without their elements). */
  listChain(table: string, chain: string): Promise<NftResult<string>> {
    return this.list(['chain', 'inet', table, chain]);
  }

  /** `nft list ARGS...`: its output, or why there is none. */
  private async list(args: readonly string[]): Promise<NftResult<string>> {
    const result = await this.run(this.program, ['list', ...args]);
    if (result.spawnError !== undefined) return notFound(result.spawnError);
    if (result.code !== 0)
      return {
        ok: false,
        error: { code: 'NFT_FAILED', message: `nft list ${args[0]}: ${firstLines(result.stderr)}` },
      };
    return { ok: true, value: result.stdout };
  }
}

function notFound(reason: string): { ok: false; error: NftError } {
  return {
    ok: false,
    error: {
      code: 'NFT_NOT_FOUND',
      message: `cannot run nft (${reason})`,
      hint: 'Install nftables (Debian: apt-get install nftables).',
    },
  };
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 6).join('\n');
}
