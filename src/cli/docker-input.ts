// The input of an analysing command run with --docker: workloads from the live Docker inventory, policies (and
// Namespace objects) from the paths; workload objects and Compose files in the paths are noted and left out.

import type { Diagnostic } from '../core/diagnostics.js';
import { combineLoads } from '../compose/combine.js';
import { isComposeFile } from '../compose/load-compose.js';
import {
  DockerEngineClient,
  resolveDockerSocket,
  type DockerError,
  type DockerInventorySource,
} from '../docker/engine-client.js';
import { loadDockerInventory } from '../docker/inventory.js';
import { loadCluster, type LoadResult } from '../k8s/load-cluster.js';
import { readSources, type ReadSourcesResult } from '../k8s/read-sources.js';
import { InputReport } from './analysis-input.js';
import type { CliIo } from './io.js';

export interface DockerInputOptions {
  readonly verbose: boolean;
  /** --docker-socket; else DOCKER_HOST=unix://PATH; else /var/run/docker.sock. */
  readonly dockerSocket?: string;
}

export type DockerInput =
  | { readonly ok: true; readonly loaded: LoadResult; readonly input: InputReport }
  | { readonly ok: false; readonly error: DockerError };

/** Reads the policy paths (none is fine: Docker's segmentation alone) and the live inventory. */
export async function loadDockerInput(
  paths: readonly string[],
  io: CliIo,
  options: DockerInputOptions,
  source?: DockerInventorySource,
): Promise<DockerInput> {
  let inventorySource = source;
  if (inventorySource === undefined) {
    const socket = resolveDockerSocket(options.dockerSocket, io.env ?? process.env);
    if (!socket.ok) return socket;
    inventorySource = new DockerEngineClient({ socketPath: socket.value });
  }
  const inventory = await loadDockerInventory(inventorySource);
  if (!inventory.ok) return inventory;
  return { ok: true, ...combineDockerInput(await readDockerPolicies(paths, io), inventory.value, options) };
}

/** The policies (and Namespace objects) of the paths, read and loaded, with the workloads in them left out. */
export interface DockerPolicies {
  readonly read: ReadSourcesResult;
  readonly policies: LoadResult;
}

export async function readDockerPolicies(paths: readonly string[], io: CliIo): Promise<DockerPolicies> {
  const read: ReadSourcesResult =
    paths.length > 0 ? await readSources(paths, io.readStdin) : { files: [], diagnostics: [] };
  const notes: Diagnostic[] = [];
  const manifests = read.files.filter((file) => {
    if (!isComposeFile(file)) return true;
    notes.push({
      code: 'DOCKER_COMPOSE_FILE_IGNORED',
      severity: 'info',
      message: 'Compose file not read with --docker: the running containers are the workloads',
      file: file.name,
    });
    return false;
  });
  const policies = loadCluster(manifests);
  // Policies only from the paths: their workload objects would describe containers Docker already reports.
  const ignored = new Map<string, number>();
  for (const workload of policies.cluster.workloads) {
    const file = workload.source?.file ?? '-';
    ignored.set(file, (ignored.get(file) ?? 0) + 1);
  }
  for (const [file, count] of ignored)
    notes.push({
      code: 'DOCKER_WORKLOADS_IGNORED',
      severity: 'info',
      message: `${count} workload object(s) left out with --docker: the running containers are the workloads`,
      file,
    });
  return {
    read,
    policies: {
      ...policies,
      cluster: { ...policies.cluster, workloads: [] },
      diagnostics: [...policies.diagnostics, ...notes],
    },
  };
}

/** The policies with the containers Docker reports as the workloads. */
export function combineDockerInput(
  { read, policies }: DockerPolicies,
  inventory: LoadResult,
  options: Pick<DockerInputOptions, 'verbose'>,
): { readonly loaded: LoadResult; readonly input: InputReport } {
  const loaded = combineLoads([policies, inventory]);
  return { loaded, input: new InputReport([read], [loaded], options.verbose) };
}

/** A Docker failure for stderr: message, code and hint. */
export function renderDockerError(error: DockerError): string {
  const hint = error.hint !== undefined ? `\n  hint: ${error.hint}` : '';
  return `bulkhead: ${error.message} (${error.code})${hint}\n`;
}
