// The benchmark's network: three namespaces of its own (client, router, server) joined by veth pairs, the router
// forwarding with proxy ARP, and the background servers in the server namespace. Names carry a per-run prefix;
// `destroy` removes every namespace (and so every veth and table in them) and stops every process started here.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { runProgram, type ProgramResult, type ProgramRunner } from '../../src/host/run-program.js';
import { formatAddress } from '../../src/core/model/address-set.js';

export type Role = 'cli' | 'rtr' | 'srv';

/** The router's own address on both links: outside the workload range, used only as the source of its ARP. */
const ROUTER_ADDRESS = '10.100.255.254';

export class Lab {
  readonly names: Readonly<Record<Role, string>>;
  private readonly created: string[] = [];
  private readonly children: ChildProcess[] = [];
  private destroyed = false;

  constructor(
    prefix: string,
    readonly client: bigint,
    readonly server: bigint,
  ) {
    this.names = { cli: `${prefix}-cli`, rtr: `${prefix}-rtr`, srv: `${prefix}-srv` };
  }

  get clientAddress(): string {
    return formatAddress(this.client);
  }

  get serverAddress(): string {
    return formatAddress(this.server);
  }

  /** Runs a program inside one namespace (argument array, never a shell string). */
  exec(
    role: Role,
    program: string,
    args: readonly string[],
    options: Parameters<ProgramRunner>[2] = {},
  ): Promise<ProgramResult> {
    return runProgram('ip', ['netns', 'exec', this.names[role], program, ...args], {
      timeoutMs: 60_000,
      ...options,
    });
  }

  /** A ProgramRunner that runs in `role`'s namespace: hands Bulkhead's `Nft` adapter the router. */
  runner(role: Role): ProgramRunner {
    return (program, args, options) => this.exec(role, program, args, options);
  }

  /** Like exec, but fails with the program's stderr when it exits non-zero. */
  async must(role: Role, program: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
    const result = await this.exec(role, program, args, { timeoutMs });
    if (result.code !== 0)
      throw new Error(
        `${program} ${args.join(' ')} in ${this.names[role]} failed (${result.spawnError ?? `exit ${result.code}`}): ${result.stderr.trim()}`,
      );
    return result.stdout;
  }

  /** Creates the namespaces, links and routes. Nothing is created in the host's own namespace. */
  async create(): Promise<void> {
    for (const role of ['cli', 'rtr', 'srv'] as const) {
      const name = this.names[role];
      const result = await runProgram('ip', ['netns', 'add', name]);
      if (result.code !== 0) throw new Error(`ip netns add ${name} failed: ${result.stderr.trim()}`);
      this.created.push(name);
      await this.must(role, 'ip', ['link', 'set', 'lo', 'up']);
    }
    const { rtr } = this.names;
    // Each pair is made inside the end namespace with its peer placed straight into the router's.
    await this.must('cli', 'ip', [
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      'vcli',
      'netns',
      rtr,
    ]);
    await this.must('srv', 'ip', [
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      'vsrv',
      'netns',
      rtr,
    ]);
    // The ends see one /16 on the link; the router answers ARP for the other end (proxy ARP) and routes /32s.
    await this.must('cli', 'ip', ['addr', 'add', `${this.clientAddress}/16`, 'dev', 'eth0']);
    await this.must('srv', 'ip', ['addr', 'add', `${this.serverAddress}/16`, 'dev', 'eth0']);
    for (const role of ['cli', 'srv'] as const) await this.must(role, 'ip', ['link', 'set', 'eth0', 'up']);
    await this.must('rtr', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await this.must('rtr', 'sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=0']);
    for (const [dev, address] of [
      ['vcli', this.clientAddress],
      ['vsrv', this.serverAddress],
    ] as const) {
      await this.must('rtr', 'sysctl', ['-qw', `net.ipv4.conf.${dev}.proxy_arp=1`]);
      // Proxy ARP answers after a random delay of up to 0.8 s by default: the first connect would pay it.
      await this.must('rtr', 'sysctl', ['-qw', `net.ipv4.neigh.${dev}.proxy_delay=0`]);
      await this.must('rtr', 'sysctl', ['-qw', `net.ipv4.conf.${dev}.rp_filter=0`]);
      await this.must('rtr', 'ip', ['addr', 'add', `${ROUTER_ADDRESS}/32`, 'dev', dev]);
      await this.must('rtr', 'ip', ['link', 'set', dev, 'up']);
      await this.must('rtr', 'ip', ['route', 'add', `${address}/32`, 'dev', dev]);
    }
  }

  /**
   * Starts a long-running program in a namespace. `ip netns exec` replaces itself with the program, so the child's
   * pid is the program's. With `readyLine`, waits until the program prints a line containing it.
   */
  async background(
    role: Role,
    program: string,
    args: readonly string[],
    readyLine?: string,
  ): Promise<ChildProcess> {
    const child = spawn('ip', ['netns', 'exec', this.names[role], program, ...args], {
      stdio: ['ignore', readyLine === undefined ? 'ignore' : 'pipe', 'pipe'],
    });
    this.children.push(child);
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    const exited = once(child, 'exit').then(() => {
      throw new Error(`${program} exited early in ${this.names[role]}: ${stderr.join('').trim()}`);
    });
    exited.catch(() => undefined);
    if (readyLine !== undefined && child.stdout !== null) {
      const lines = createInterface({ input: child.stdout });
      const ready = new Promise<void>((resolve) =>
        lines.on('line', (line) => {
          if (line.includes(readyLine)) resolve();
        }),
      );
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${program} did not start in 10 s`)), 10_000).unref(),
      );
      await Promise.race([ready, exited, timeout]);
    }
    return child;
  }

  /** Stops every process started here and deletes the namespaces. Synchronous: also runs from signal handlers. */
  destroy(): string[] {
    if (this.destroyed) return [];
    this.destroyed = true;
    const problems: string[] = [];
    for (const child of this.children)
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    // Deleting a namespace removes its veth ends and its nftables tables with it.
    for (const name of this.created.reverse()) {
      const result = spawnSync('ip', ['netns', 'delete', name], { encoding: 'utf8' });
      if (result.status !== 0) problems.push(`ip netns delete ${name}: ${result.stderr.trim()}`);
    }
    return problems;
  }
}
