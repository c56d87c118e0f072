// The Docker inventory kept up to date from the daemon's events, for `bulkhead agent`: the first read lists every
// running container and network; after that a container event costs one inspect of that container, and a network
// event one list of the networks, instead of listing every container again (tens of milliseconds at 200
// containers, on the path from a container start to its enforcement). `forget()` makes the next read list
// everything again: the agent calls it at every periodic resync and when the event stream reconnects, so that a
// lost event is repaired within one resync period.

import type {
  DockerContainer,
  DockerEvent,
  DockerInventorySource,
  DockerNetwork,
  DockerResult,
} from './engine-client.js';

/** Container events after which it may run with other names, labels' effects or endpoints: inspected again. */
const REREAD = new Set(['start', 'restart', 'unpause', 'pause', 'rename', 'update']);
/** Container events after which it does not run: dropped without asking Docker. */
const GONE = new Set(['die', 'destroy']);

export class InventoryCache implements DockerInventorySource {
  /** The running containers by id; undefined: list them all at the next read. */
  private containers: Map<string, DockerContainer> | undefined;
  private networks: DockerNetwork[] | undefined;
  /** Counts network events, so that a list answered while one arrived is not kept. */
  private networkEvents = 0;
  /** Containers an event named since they were last read. */
  private readonly stale = new Set<string>();

  constructor(private readonly docker: DockerInventorySource) {}

  get where(): string {
    return this.docker.where;
  }

  /**
   * Marks what a Docker event may have changed, to be read again at the next read. Only the events after which a
   * running container's name, state or endpoints may differ cost an inspect: an inspect of a container Docker is
   * stopping or removing waits for Docker to finish (seconds on a loaded host), so those are dropped at once.
   */
  changed(event: DockerEvent): void {
    if (event.type === 'container' && GONE.has(event.action)) {
      // Docker 20.10 sends `die` while its container list still says "running". A later start marks it again.
      this.containers?.delete(event.actor);
      this.stale.delete(event.actor);
    } else if (event.type === 'container' && REREAD.has(event.action)) this.stale.add(event.actor);
    else if (event.type === 'network') {
      this.networks = undefined;
      this.networkEvents++;
      // connect and disconnect name the container whose endpoints changed; one that does not run has no endpoints
      // here until its start, and one that is being removed would make the inspect wait.
      if (event.container !== undefined && this.containers?.has(event.container) === true)
        this.stale.add(event.container);
    }
  }

  /** The next read lists every container and network again. */
  forget(): void {
    this.containers = undefined;
    this.networks = undefined;
    this.networkEvents++;
    this.stale.clear();
  }

  async listContainers(): Promise<DockerResult<DockerContainer[]>> {
    if (this.containers === undefined) {
      // Events that arrive while the list is in flight stay marked and are read again next time.
      this.stale.clear();
      const listed = await this.docker.listContainers();
      if (!listed.ok) return listed;
      this.containers = new Map(listed.value.map((c) => [c.id, c]));
      return { ok: true, value: listed.value };
    }
    const containers = this.containers;
    // Unmarked before the requests: an event during them marks the container again.
    const ids = [...this.stale];
    this.stale.clear();
    const answers = await Promise.all(ids.map((id) => this.docker.inspectContainer(id)));
    for (const [i, inspected] of answers.entries()) {
      const id = ids[i]!;
      if (inspected.ok) {
        if (isRunning(inspected.value)) containers.set(inspected.value.id, inspected.value);
        else containers.delete(inspected.value.id);
      } else if (inspected.error.code === 'DOCKER_NOT_FOUND') containers.delete(id);
      else {
        this.forget();
        return inspected;
      }
    }
    return { ok: true, value: [...containers.values()] };
  }

  inspectContainer(idOrName: string): Promise<DockerResult<DockerContainer>> {
    return this.docker.inspectContainer(idOrName);
  }

  async listNetworks(): Promise<DockerResult<DockerNetwork[]>> {
    if (this.networks !== undefined) return { ok: true, value: this.networks };
    const before = this.networkEvents;
    const listed = await this.docker.listNetworks();
    if (listed.ok && before === this.networkEvents) this.networks = listed.value;
    return listed;
  }
}

/** As the container list reports them: running (and paused) containers; `created` and `exited` ones are not. */
function isRunning(container: DockerContainer): boolean {
  return container.state === 'running' || container.state === 'paused' || container.state === 'restarting';
}
