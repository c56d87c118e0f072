// The enforcement agent: keeps Bulkhead's nftables table equal to what the policies allow for the containers that
// run now. One reconcile = read (policies + inventory) → model → plan → apply (whole table the first time, element
// changes after) → revoke tracked connections the change no longer allows. Everything it runs is injected, so the
// loop is tested with fakes; the CLI wires the real Docker client, nft and conntrack.

import type { Cluster } from '../core/model/cluster.js';
import { AddressSet } from '../core/model/address-set.js';
import { Connectivity } from '../core/engine/connectivity.js';
import { compilePlan, type EnforcementPlan } from '../core/nft/plan.js';
import { PlanLookup } from '../core/nft/plan-lookup.js';
import { stablePlan } from '../core/nft/stable-plan.js';
import {
  planElements,
  planShape,
  diffElements,
  renderDiff,
  renderTable,
  renderUninstall,
  type PlanElements,
} from '../core/nft/ruleset.js';
import type { Conntrack, TrackedConnection } from '../host/conntrack.js';
import type { Nft } from '../host/nft.js';

export type FailMode = 'open' | 'closed';

/** What one read of the world gave: the cluster to enforce, or why there is none. */
export type DesiredInput =
  | {
      readonly ok: true;
      readonly cluster: Cluster;
      /** Docker network subnets: managed even where no container has an address yet. */
      readonly managed: AddressSet;
      /**
       * The ids of the containers Docker lists as running (to tell which Docker events can change anything, and when
       * a container reported dead is gone from the listing).
       */
      readonly running?: ReadonlySet<string>;
      /** Rendered warnings to log (never blocking). */
      readonly warnings?: string;
    }
  /** The policies have errors (rendered with file:line:column): the last good ruleset stays. */
  | { readonly ok: false; readonly kind: 'policy'; readonly message: string }
  /** The Docker inventory could not be read: --fail-mode decides. */
  | { readonly ok: false; readonly kind: 'inventory'; readonly message: string };

export interface AgentDeps {
  /**
   * The inventory and the policies. The daemon reads the inventory from Docker's events (src/docker/inventory-
   * cache.ts), which leave a container out from its `die` event on.
   */
  readonly readDesired: () => Promise<DesiredInput>;
  readonly nft: Pick<Nft, 'check' | 'apply' | 'hasTable'>;
  readonly conntrack: Pick<Conntrack, 'list' | 'delete'>;
  readonly log: (line: string) => void;
  readonly now: () => Date;
}

export interface AgentOptions {
  readonly table: string;
  readonly failMode: FailMode;
}

/** The result of one reconcile, also what `bulkhead status` shows. */
export interface ReconcileOutcome {
  readonly status: 'applied' | 'unchanged' | 'kept' | 'closed' | 'opened' | 'failed';
  readonly message: string;
  /** Set when the kernel's table changed. */
  readonly transaction?: 'full' | 'delta';
  readonly revoked?: number;
  readonly workloads?: number;
  readonly elements?: number;
  readonly durationMs: number;
  /** When the kernel started enforcing the result (ms since the epoch), before connections were revoked. */
  readonly enforcedAtMs?: number;
  /** Where the time went (ms): reading the inventory and policies, compiling, nft, conntrack. */
  readonly stagesMs?: Readonly<Partial<Record<ReconcileStage, number>>>;
  /**
   * How the model was made: `updated` when only containers of kinds the last model knew changed (its rows reused,
   * Connectivity.withWorkloads), `built` from scratch otherwise.
   */
  readonly model?: 'built' | 'updated';
}

export type ReconcileStage = 'read' | 'compile' | 'apply' | 'revoke';

export interface AgentState {
  readonly table: string;
  readonly failMode: FailMode;
  /** When this agent first enforced a ruleset. */
  readonly enforcingSince?: string;
  /** When the ruleset now in the kernel was applied. */
  readonly appliedAt?: string;
  readonly workloads?: number;
  readonly elements?: Readonly<Record<string, number>>;
  readonly last: ReconcileOutcome & { readonly at: string; readonly reason: string };
}

export class Agent {
  /** What the kernel holds, as far as this agent applied it; undefined until the first apply. */
  private current: PlanElements | undefined;
  /** The shape (flood limits) of what the kernel holds: a different one needs the whole table replaced. */
  private currentShape = '';
  private currentPlan: EnforcementPlan | undefined;
  /** What the kernel holds: the desired plan, or one that decides the same with fewer deletes (stable-plan.ts). */
  private kernelPlan: EnforcementPlan | undefined;
  /** The model of the last input compiled, updated in place of a new build when only containers changed. */
  private model: Connectivity | undefined;
  private enforcingSince: string | undefined;
  private appliedAt: string | undefined;
  private workloads: number | undefined;
  private lastOutcome: (ReconcileOutcome & { at: string; reason: string }) | undefined;
  private replaceWhole = false;
  private running: ReadonlySet<string> = new Set();
  /** Containers Docker reported dead since the last read that listed them (see isRunning). */
  private readonly died = new Set<string>();

  constructor(
    private readonly deps: AgentDeps,
    private readonly options: AgentOptions,
  ) {}

  state(): AgentState {
    return {
      table: this.options.table,
      failMode: this.options.failMode,
      ...(this.enforcingSince !== undefined ? { enforcingSince: this.enforcingSince } : {}),
      ...(this.appliedAt !== undefined ? { appliedAt: this.appliedAt } : {}),
      ...(this.workloads !== undefined ? { workloads: this.workloads } : {}),
      ...(this.current !== undefined
        ? { elements: Object.fromEntries([...this.current].map(([name, set]) => [name, set.size])) }
        : {}),
      last: this.lastOutcome ?? {
        status: 'unchanged',
        message: 'not reconciled yet',
        durationMs: 0,
        at: this.deps.now().toISOString(),
        reason: 'start',
      },
    };
  }

  /**
   * Makes the next reconcile replace the whole table (after edits by others). A flag rather than forgetting at once:
   * a reconcile already running would otherwise record its result and the next one would find nothing to change.
   */
  invalidate(): void {
    this.replaceWhole = true;
  }

  /** The ruleset the current input compiles to, without applying it (`--dry-run`). */
  async preview(): Promise<
    { ok: true; ruleset: string; plan: EnforcementPlan } | { ok: false; message: string }
  > {
    const desired = await this.deps.readDesired();
    if (!desired.ok) return { ok: false, message: desired.message };
    const { plan } = this.compile(desired.cluster, desired.managed);
    return { ok: true, ruleset: renderTable(this.options.table, planElements(plan), plan.limits), plan };
  }

  async reconcile(reason: string): Promise<ReconcileOutcome> {
    const started = performance.now();
    const outcome = await this.reconcileOnce(started);
    this.lastOutcome = { ...outcome, at: this.deps.now().toISOString(), reason };
    const stages = Object.entries(outcome.stagesMs ?? {})
      .map(([stage, ms]) => `${stage} ${ms.toFixed(1)}`)
      .join(', ');
    const model = outcome.model === 'updated' ? ', model updated' : '';
    this.deps.log(
      `${reason}: ${outcome.message} (${outcome.durationMs.toFixed(1)} ms${stages !== '' ? `: ${stages}` : ''}${model})`,
    );
    return outcome;
  }

  private async reconcileOnce(started: number): Promise<ReconcileOutcome> {
    const elapsed = (): number => performance.now() - started;
    if (this.replaceWhole) {
      this.replaceWhole = false;
      this.current = undefined;
    }
    const stagesMs: Partial<Record<ReconcileStage, number>> = {};
    let mark = started;
    const stage = (name: ReconcileStage): void => {
      const now = performance.now();
      stagesMs[name] = (stagesMs[name] ?? 0) + (now - mark);
      mark = now;
    };
    const desired = await this.deps.readDesired();
    stage('read');
    if (!desired.ok && desired.kind === 'policy')
      return {
        status: 'kept',
        message: `the policies have errors; the last good ruleset stays enforced\n${desired.message}`,
        durationMs: elapsed(),
      };
    if (!desired.ok) return this.inventoryUnreadable(desired.message, elapsed);
    if (desired.warnings !== undefined && desired.warnings !== '') this.deps.log(desired.warnings.trimEnd());

    if (desired.running !== undefined) {
      this.running = desired.running;
      // Once the listing no longer shows a dead container, it needs no excluding.
      for (const id of this.died) if (!desired.running.has(id)) this.died.delete(id);
    }
    const { plan, model: modelKind } = this.compile(desired.cluster, desired.managed);
    const workloads = desired.cluster.workloads.length;
    const shape = planShape(plan);
    const current = this.current;
    const held = this.kernelPlan;
    const newShape = current === undefined || held === undefined || shape !== this.currentShape;
    // Container starts and stops next to others keep the ranges the kernel holds (adds only, see stable-plan.ts);
    // a whole replacement writes the desired plan as it is.
    let target = newShape ? plan : stablePlan(held, plan);
    let elements = planElements(target);
    const diff = current === undefined || newShape ? undefined : diffElements(current, elements);
    let transaction: 'full' | 'delta' =
      diff === undefined || replacingIsCheaper(diff.intervalDeletes, size(elements)) ? 'full' : 'delta';
    stage('compile');
    let removedSomething = true;
    let refused = false;
    if (transaction === 'delta' && diff !== undefined) {
      const delta = renderDiff(this.options.table, diff);
      stage('compile');
      if (delta === undefined) {
        this.currentPlan = plan;
        this.kernelPlan = target;
        this.workloads = workloads;
        return {
          status: 'unchanged',
          message: 'nothing to change',
          workloads,
          elements: size(elements),
          durationMs: elapsed(),
          enforcedAtMs: Date.now(),
          stagesMs,
          model: modelKind,
        };
      }
      const applied = await this.deps.nft.apply(delta);
      stage('apply');
      if (applied.ok) removedSomething = diff.takesAway;
      else {
        // The table is not what we believe (edited or removed by someone): replace it whole, with this same plan.
        this.deps.log(`element update refused (${applied.error.message}); replacing the whole table`);
        transaction = 'full';
        refused = true;
      }
    }
    if (transaction === 'full') {
      // The first apply of this process replaces the whole table in one transaction: a restarted agent never
      // opens a window, and whatever the table held before (an older ruleset, edits by others) is gone. A new
      // shape, or a table that refused an update, is checked with `nft -c` first; a replacement of the same shape
      // only differs in elements, and the kernel takes a transaction whole or not at all, so it is not checked twice.
      if (target !== plan) {
        target = plan;
        elements = planElements(plan);
      }
      const ruleset = renderTable(this.options.table, elements, plan.limits);
      stage('compile');
      if (newShape || refused) {
        const checked = await this.deps.nft.check(ruleset);
        if (!checked.ok) return { status: 'failed', message: checked.error.message, durationMs: elapsed() };
      }
      const applied = await this.deps.nft.apply(ruleset);
      stage('apply');
      if (!applied.ok) return { status: 'failed', message: applied.error.message, durationMs: elapsed() };
    }
    const enforcedAtMs = Date.now();
    const now = this.deps.now().toISOString();
    this.current = elements;
    this.currentShape = shape;
    this.currentPlan = plan;
    this.kernelPlan = target;
    this.workloads = workloads;
    this.appliedAt = now;
    this.enforcingSince ??= now;
    // The kernel enforces the change from here on; cutting the tracked connections it no longer allows comes after.
    const revoked = removedSomething ? await this.revoke(target) : 0;
    if (removedSomething) stage('revoke');
    const count = size(elements);
    return {
      status: 'applied',
      message: `${transaction === 'full' ? 'table applied' : 'elements updated'}: ${workloads} workloads, ${count} elements${revoked > 0 ? `, ${revoked} connection(s) revoked` : ''}`,
      transaction,
      revoked,
      workloads,
      elements: count,
      durationMs: elapsed(),
      enforcedAtMs,
      stagesMs,
      model: modelKind,
    };
  }

  private compile(
    cluster: Cluster,
    managed: AddressSet,
  ): { plan: EnforcementPlan; model: NonNullable<ReconcileOutcome['model']> } {
    // A container that starts or stops next to others of its kind changes no policy and no class: the last model is
    // updated (its rows reused) instead of built again. On a host the kernel matches addresses: an ipBlock that
    // contains a container's address matches it.
    const updated = this.model?.withWorkloads(cluster);
    const model = updated ?? Connectivity.build(cluster, { ipBlockPods: 'match' });
    this.model = model;
    const plan = compilePlan(model, { managed, policies: cluster.networkPolicies });
    for (const d of plan.diagnostics) this.deps.log(`warning: ${d.message} (${d.code})`);
    return { plan, model: updated !== undefined ? 'updated' : 'built' };
  }

  /**
   * --fail-mode: closed keeps the table as it is (a new container's address is managed and has no elements, so it
   * is denied) — also one a previous agent left in the kernel — and, when there is no table at all, installs one
   * that denies every forwarded new connection; open
   * removes the table, leaving Docker's own rules alone in charge until the inventory can be read again.
   */
  private async inventoryUnreadable(message: string, elapsed: () => number): Promise<ReconcileOutcome> {
    if (this.options.failMode === 'open') {
      const removed = await this.deps.nft.apply(renderUninstall(this.options.table));
      this.current = undefined;
      return removed.ok
        ? { status: 'opened', message: `${message}; --fail-mode open: table removed`, durationMs: elapsed() }
        : {
            status: 'failed',
            message: `${message}; removing the table failed: ${removed.error.message}`,
            durationMs: elapsed(),
          };
    }
    // A table this process applied, or one a previous agent left in the kernel: the last good ruleset stays.
    let inKernel = this.current !== undefined;
    if (!inKernel) {
      const listed = await this.deps.nft.hasTable(this.options.table);
      inKernel = listed.ok && listed.value;
    }
    if (inKernel)
      return {
        status: 'kept',
        message: `${message}; --fail-mode closed: the last ruleset stays`,
        durationMs: elapsed(),
      };
    const closed = planElements({
      managed: AddressSet.ALL,
      owned: AddressSet.EMPTY,
      egress: { open: [], any: [], ports: [] },
      ingress: { open: [], any: [], ports: [] },
      diagnostics: [],
    });
    const applied = await this.deps.nft.apply(renderTable(this.options.table, closed));
    if (!applied.ok)
      return {
        status: 'failed',
        message: `${message}; closing failed: ${applied.error.message}`,
        durationMs: elapsed(),
      };
    this.current = closed;
    this.currentShape = '';
    return {
      status: 'closed',
      message: `${message}; --fail-mode closed: every new forwarded connection is denied until the inventory can be read`,
      transaction: 'full',
      durationMs: elapsed(),
    };
  }

  /**
   * Deletes the tracked connections the plan no longer allows, so that they are cut instead of living on through
   * `ct state established`. A connection is judged by its real ends: the client as it sent, the server from the
   * reply direction (after Docker's DNAT of a published port).
   */
  private async revoke(plan: EnforcementPlan): Promise<number> {
    const listed = await this.deps.conntrack.list();
    if (!listed.ok) {
      this.deps.log(`warning: cannot revoke connections: ${listed.error.message}`);
      return 0;
    }
    const lookup = new PlanLookup(plan);
    const cut = listed.value.filter(
      (entry) =>
        (plan.managed.has(entry.src) || plan.managed.has(entry.replySrc)) &&
        !lookup.allows(entry.src, entry.replySrc, entry.protocol, portOf(entry)),
    );
    const deleted = await this.deps.conntrack.delete(cut);
    if (!deleted.ok) {
      this.deps.log(`warning: cannot revoke connections: ${deleted.error.message}`);
      return 0;
    }
    const revoked = cut.length;
    if (revoked > 0) this.deps.log(`revoked ${revoked} connection(s) no longer allowed`);
    return revoked;
  }

  /** Docker reported the container dead: it does not run from now on, whatever the last listing said. */
  containerDied(containerId: string): void {
    this.died.add(containerId);
  }

  /** Docker reported the container started (again). */
  containerStarted(containerId: string): void {
    this.died.delete(containerId);
  }

  /** Whether the container runs, as far as the last read and Docker's events since tell (an id or a prefix of one). */
  isRunning(containerId: string): boolean {
    const alive = (id: string): boolean => !this.died.has(id);
    if (this.running.has(containerId)) return alive(containerId);
    for (const id of this.running) if (id.startsWith(containerId)) return alive(id);
    return false;
  }

  /** The plan now enforced (for status and tests). */
  get enforcedPlan(): EnforcementPlan | undefined {
    return this.currentPlan;
  }
}

/**
 * Measured on nft 1.0.6 / kernel 6.18 (BENCHMARKS.md (g), (h)): deleting elements from a concatenated interval set
 * (pipapo) costs 20–60 ms per element whatever the set's size (a 10,202-element set: 101 deletes 2.5 s; a 77,706-
 * element set: 62 ms for one), while building a whole table costs about 11 µs per element (10,202 elements 94 ms,
 * 79,095 elements 1.2 s). A change with more deletes than a whole replacement costs is applied as one.
 */
const DELETE_MS = 25;
const REPLACE_BASE_MS = 30;
const REPLACE_PER_ELEMENT_MS = 0.015;

function size(elements: PlanElements): number {
  let total = 0;
  for (const set of elements.values()) total += set.size;
  return total;
}

export function replacingIsCheaper(deletes: number, elements: number): boolean {
  return deletes * DELETE_MS > REPLACE_BASE_MS + elements * REPLACE_PER_ELEMENT_MS;
}

/** The real destination port: the reply's source port (after DNAT); only TCP, UDP and SCTP have ports. */
function portOf(entry: TrackedConnection): number | undefined {
  if (entry.protocol !== 6 && entry.protocol !== 17 && entry.protocol !== 132) return undefined;
  return entry.replySport ?? entry.dport;
}
