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

export class Nft {
  /** Pids of the nft processes this object started lately: `nft monitor` names the process of each change. */
  private readonly ownPids: number[] = [];

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
    const result = await this.run(this.program, args, {
      input: ruleset,
      timeoutMs: 120_000,
      onSpawn: (pid) => {
        this.ownPids.push(pid);
        if (this.ownPids.length > 256) this.ownPids.shift();
      },
    });
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
    return this.ownPids.includes(pid);
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
