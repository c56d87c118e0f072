// An in-memory DockerInventorySource for tests: fixed containers and networks, or a fixed error.

import type {
  DockerContainer,
  DockerError,
  DockerInventorySource,
  DockerNetwork,
  DockerResult,
} from './engine-client.js';

export class FakeDockerSource implements DockerInventorySource {
  readonly where = 'fake';

  constructor(
    private readonly containers: readonly DockerContainer[],
    private readonly networks: readonly DockerNetwork[] = [],
    /** When set, every call fails with it. */
    private readonly error?: DockerError,
  ) {}

  async listContainers(): Promise<DockerResult<DockerContainer[]>> {
    if (this.error !== undefined) return { ok: false, error: this.error };
    return { ok: true, value: this.containers.filter((c) => c.state === 'running') };
  }

  async inspectContainer(idOrName: string): Promise<DockerResult<DockerContainer>> {
    if (this.error !== undefined) return { ok: false, error: this.error };
    const found = this.containers.find((c) => c.id === idOrName || c.name === idOrName.replace(/^\//, ''));
    return found !== undefined
      ? { ok: true, value: found }
      : {
          ok: false,
          error: { code: 'DOCKER_NOT_FOUND', message: `No such container: ${idOrName}`, status: 404 },
        };
  }

  async listNetworks(): Promise<DockerResult<DockerNetwork[]>> {
    if (this.error !== undefined) return { ok: false, error: this.error };
    return { ok: true, value: [...this.networks] };
  }
}
