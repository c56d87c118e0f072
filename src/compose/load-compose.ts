// Compose files → ComposeService/ComposeNetwork objects for audit, and the cluster model per the Docker mapping.

import { basename, dirname, join } from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import type { Locate, ObjectRecord } from '../core/audit/types.js';
import type { Diagnostic, DiagnosticSeverity, SourceRef } from '../core/diagnostics.js';
import type { Cluster, ContainerPort, Namespace, Workload } from '../core/model/cluster.js';
import type { Protocol } from '../core/model/port-set.js';
import type { AdminPolicy } from '../core/policy/admin-policy.js';
import { MAX_NESTING, nestingDepth, renderPath, SourceDocument } from '../k8s/documents.js';
import type { LoadResult } from '../k8s/load-cluster.js';
import type { SourceFile } from '../k8s/read-sources.js';
import { interpolate } from './interpolate.js';
import { dockerNetworkPolicies, networkLabel, type ServiceNetworking } from './networks.js';
import {
  listToMap,
  parseLongPort,
  parsePortRange,
  parsePortsLabel,
  parseShortPort,
  parseShortVolume,
  type LongPort,
} from './syntax.js';
import { derived, fromJs, mergeNodes, nodeAt, toJs, type LNode, type MapNode, type Origin } from './tree.js';

export const COMPOSE_SERVICE_KIND = 'ComposeService';
export const COMPOSE_NETWORK_KIND = 'ComposeNetwork';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface ComposeOptions {
  /**
   * Variables for interpolation. Never the process environment implicitly: an analysis must not depend on who runs
   * it. Unset variables become '' with an info diagnostic, as Compose warns "defaulting to a blank string".
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Enabled profiles; absent: every service is active (profiles are recorded on the objects). */
  readonly profiles?: readonly string[];
  /** Reads a file named by `extends.file` that is not among the inputs; undefined when it cannot be read. */
  readonly readFile?: (path: string) => string | undefined;
  /** The project directory name for stdin input (Compose uses the working directory). */
  readonly stdinDirectory?: string;
}

/**
 * Compose spec: "The default path for a Compose file is compose.yaml (preferred) or compose.yml that is placed in
 * the working directory. Compose also supports docker-compose.yaml and docker-compose.yml for backwards
 * compatibility." Override files are `<name>.override.y(a)ml`. Other names (`docker-compose.prod.yml`,
 * `app.compose.yaml`) are Compose files by convention too.
 */
const DEFAULT_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const COMPOSE_NAME = /^((docker-)?compose([.-][\w.-]+)?|[\w.-]+[.-](docker-)?compose)\.ya?ml$/i;

/**
 * True for Compose files: by name, or (any other `.yaml`/`.yml`) by content — a top-level `services:` mapping and
 * neither `kind:` nor `apiVersion:` at the top level, which no Kubernetes manifest has.
 */
export function isComposeFile(file: SourceFile): boolean {
  const name = basename(file.name);
  if (COMPOSE_NAME.test(name)) return true;
  if (!/\.ya?ml$/i.test(name) && file.name !== '-') return false;
  return /^services:/m.test(file.text) && !/^(kind|apiVersion):/m.test(file.text);
}

/** A Compose file read as YAML 1.2 with merge keys, as Compose (go-yaml v3) reads it: `8080:80` stays a string. */
class ComposeSource extends SourceDocument {
  private docs: Document.Parsed[] | undefined;

  override yamlDocuments(): Document.Parsed[] {
    if (this.docs === undefined) {
      if (nestingDepth(this.file.text) > MAX_NESTING) {
        this.parseFailure = `nesting deeper than ${MAX_NESTING} levels`;
        this.docs = [];
      } else {
        try {
          this.docs = parseAllDocuments(this.file.text, {
            version: '1.2',
            merge: true,
            prettyErrors: false,
          }) as Document.Parsed[];
        } catch (error) {
          this.docs = [];
          this.parseFailure = error instanceof RangeError ? 'nesting too deep' : String(error).split('\n')[0];
        }
      }
    }
    return this.docs;
  }
}

interface ReadFile {
  readonly source: ComposeSource;
  /** The file's top level, interpolated and normalized; undefined when it could not be read. */
  readonly root: MapNode | undefined;
}

/** Loads Compose files (grouped into projects by directory) into a LoadResult. Never throws on bad input. */
export function loadCompose(files: readonly SourceFile[], options: ComposeOptions = {}): LoadResult {
  return new ComposeLoader(options).load(files);
}

interface ServiceState {
  readonly name: string;
  node: MapNode;
}

interface Project {
  readonly name: string;
  readonly files: ReadFile[];
  readonly root: MapNode;
}

class ComposeLoader {
  readonly diagnostics: Diagnostic[] = [];
  private readonly sources = new Map<string, SourceDocument>();
  private readonly trees = new Map<ObjectRecord, LNode>();
  private readonly extraFiles = new Map<string, ReadFile>();
  private readonly namespaces = new Map<string, Namespace>();
  private readonly workloads: Workload[] = [];
  private readonly adminPolicies: AdminPolicy[] = [];
  private readonly records: ObjectRecord[] = [];
  private readonly environment: Readonly<Record<string, string>>;

  constructor(private readonly options: ComposeOptions) {
    this.environment = options.environment ?? {};
  }

  load(files: readonly SourceFile[]): LoadResult {
    const read = files.map((file) => this.readFile(file));
    const projectNames = new Set<string>();
    for (const group of groupProjects(read)) {
      const project = this.mergeProject(group, projectNames);
      if (project !== undefined) this.buildProject(project);
    }
    const locate: Locate = (record, path) => {
      const tree = this.trees.get(record);
      if (tree === undefined) return record.source;
      return refOf(nodeAt(tree, path).node);
    };
    const cluster: Cluster = {
      namespaces: this.namespaces,
      workloads: [...this.workloads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      services: [],
      networkPolicies: [],
      adminPolicies: this.adminPolicies,
      ingresses: [],
    };
    return { cluster, diagnostics: this.diagnostics, sources: this.sources, objects: this.records, locate };
  }

  // ---- reading one file -------------------------------------------------------------------------------------

  private report(
    code: string,
    severity: DiagnosticSeverity,
    origin: Origin,
    message: string,
    hint: string,
    atKey = false,
  ): void {
    const range = origin.source.rangeOf(0, origin.path, atKey);
    this.diagnostics.push({
      code,
      severity,
      message,
      file: origin.source.file.name,
      ...(range ? { range } : {}),
      path: renderPath(origin.path),
      hint,
    });
  }

  private readFile(file: SourceFile): ReadFile {
    const source = new ComposeSource(file);
    this.sources.set(file.name, source);
    const documents = source.yamlDocuments();
    const fail = (message: string, hint: string, range?: readonly [number, number]): ReadFile => {
      this.diagnostics.push({
        code: 'YAML_SYNTAX',
        severity: 'error',
        message,
        file: file.name,
        ...(range ? { range } : {}),
        hint,
      });
      return { source, root: undefined };
    };
    if (source.parseFailure !== undefined)
      return fail(`cannot parse: ${source.parseFailure}`, 'Fix the YAML syntax; the file is skipped.');
    const document = documents[0];
    if (document === undefined) return { source, root: undefined };
    if (document.errors.length > 0) {
      for (const error of document.errors.slice(1))
        this.diagnostics.push({
          code: 'YAML_SYNTAX',
          severity: 'error',
          message: `malformed YAML: ${error.message.split('\n')[0]!.trim()}`,
          file: file.name,
          range: [error.pos[0], error.pos[1]],
          hint: 'Fix the YAML syntax; the file is skipped.',
        });
      const first = document.errors[0]!;
      return fail(
        `malformed YAML: ${first.message.split('\n')[0]!.trim()}`,
        'Fix the YAML syntax; the file is skipped.',
        [first.pos[0], first.pos[1]],
      );
    }
    if (documents.length > 1)
      this.report(
        'COMPOSE_MULTIPLE_DOCUMENTS',
        'warning',
        { source, path: [] },
        'a Compose file holds one YAML document; only the first is read',
        'Split the documents into separate Compose files.',
      );
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      return fail(
        `cannot read document: ${error instanceof RangeError ? 'nesting too deep' : String(error).split('\n')[0]}`,
        'Fix the YAML (aliases that expand too much are refused).',
      );
    }
    if (value === null || value === undefined) return { source, root: undefined };
    const origin: Origin = { source, path: [] };
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.report(
        'COMPOSE_NOT_A_MAPPING',
        'error',
        origin,
        'a Compose file must be a mapping (services:, networks:, ...)',
        'See the Compose specification.',
      );
      return { source, root: undefined };
    }
    const root = fromJs(this.interpolateValue(value, origin), origin) as MapNode;
    this.normalizeRoot(root);
    return { source, root };
  }

  /**
   * Compose spec: "Values in a Compose file can be set by variables and interpolated at runtime." Interpolation
   * applies to values (not keys), per file, before files are merged; `x-` extension fields included.
   */
  private interpolateValue(value: unknown, origin: Origin): unknown {
    if (typeof value === 'string') {
      if (!value.includes('$')) return value;
      const result = interpolate(value, this.environment);
      for (const name of result.unset)
        this.report(
          'COMPOSE_VARIABLE_NOT_SET',
          'info',
          origin,
          `variable ${name} is not set; it is read as a blank string`,
          'Variables are taken only from what Bulkhead is given, never from its own environment.',
        );
      for (const { name, message } of result.required)
        this.report(
          'COMPOSE_VARIABLE_REQUIRED',
          'warning',
          origin,
          `variable ${name} is required${message === '' ? '' : ` (${message})`} and not set; read as a blank string`,
          'Compose refuses to start without it; the analysis goes on with an empty value.',
        );
      for (const error of result.errors)
        this.report(
          'COMPOSE_INTERPOLATION',
          'error',
          origin,
          error,
          'Write ${NAME}, ${NAME:-default} or $$.',
        );
      return result.value;
    }
    if (Array.isArray(value))
      return value.map((item, i) => this.interpolateValue(item, { ...origin, path: [...origin.path, i] }));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value))
        out[key] = this.interpolateValue(child, { ...origin, path: [...origin.path, key] });
      return out;
    }
    return value;
  }

  /** Long forms for every service, so that files merge by the spec's keys and checks read one shape. */
  private normalizeRoot(root: MapNode): void {
    for (const section of ['services', 'networks', 'volumes', 'secrets', 'configs']) {
      const node = root.entries.get(section);
      if (node === undefined || (node.kind === 'scalar' && node.value === null)) {
        root.entries.delete(section);
        continue;
      }
      if (node.kind !== 'map') {
        this.report(
          'COMPOSE_INVALID_TYPE',
          'error',
          node.origin,
          `"${section}" must be a mapping`,
          `Write ${section}: as a mapping of names to definitions.`,
        );
        root.entries.delete(section);
      }
    }
    const services = root.entries.get('services');
    if (services?.kind !== 'map') return;
    for (const [name, service] of [...services.entries]) {
      if (service.kind === 'scalar' && service.value === null) {
        services.entries.set(name, { kind: 'map', entries: new Map(), origin: service.origin });
        continue;
      }
      if (service.kind !== 'map') {
        this.report(
          'COMPOSE_INVALID_TYPE',
          'error',
          service.origin,
          `service "${name}" must be a mapping`,
          'A service is a mapping of attributes (image:, ports:, ...).',
        );
        services.entries.delete(name);
        continue;
      }
      this.normalizeService(service);
    }
  }

  private normalizeService(service: MapNode): void {
    const e = service.entries;
    for (const [field, valueless] of [
      ['labels', ''],
      ['environment', null],
      ['annotations', ''],
      ['sysctls', ''],
    ] as const) {
      const node = e.get(field);
      if (node?.kind === 'seq') {
        const map = listToMap(toJs(node) as unknown[], valueless);
        const entries = new Map<string, LNode>();
        // Each key keeps the origin of the list item it came from.
        node.items.forEach((item) => {
          const text = item.kind === 'scalar' ? String(item.value) : '';
          const key = text.includes('=') ? text.slice(0, text.indexOf('=')) : text;
          if (Object.hasOwn(map, key)) entries.set(key, derived(map[key], item.origin));
        });
        e.set(field, { kind: 'map', entries, origin: node.origin });
      }
    }
    const labels = e.get('labels');
    if (labels?.kind === 'map')
      for (const [key, value] of labels.entries)
        if (value.kind === 'scalar' && value.value !== null && typeof value.value !== 'string')
          labels.entries.set(key, { ...value, value: String(value.value) });
    // "networks: [a, b]" and "networks: {a: {aliases: [...]}}" both mean attachment to a and b.
    for (const field of ['networks', 'depends_on']) {
      const node = e.get(field);
      if (node?.kind === 'seq') {
        const entries = new Map<string, LNode>();
        for (const item of node.items)
          if (item.kind === 'scalar' && item.value !== null)
            entries.set(
              String(item.value),
              field === 'depends_on'
                ? derived({ condition: 'service_started' }, item.origin)
                : { kind: 'scalar', value: null, origin: item.origin },
            );
        e.set(field, { kind: 'map', entries, origin: node.origin });
      }
    }
    const ports = e.get('ports');
    if (ports !== undefined) e.set('ports', this.normalizePorts(ports));
    const volumes = e.get('volumes');
    if (volumes?.kind === 'seq')
      volumes.items.forEach((item, i) => {
        if (item.kind !== 'scalar' || typeof item.value !== 'string') return;
        const long = parseShortVolume(item.value);
        if (long === undefined) {
          this.report(
            'COMPOSE_INVALID_VOLUME',
            this.writtenWithVariable(item.origin) ? 'warning' : 'error',
            item.origin,
            `"${item.value}" is not a volume (SOURCE:TARGET[:MODE] or TARGET)`,
            'Write [SOURCE:]CONTAINER_PATH[:ro|rw], or use the long syntax.',
          );
          return;
        }
        volumes.items[i] = derived(long, item.origin);
      });
    for (const field of ['expose', 'cap_add', 'cap_drop', 'dns', 'security_opt']) {
      const node = e.get(field);
      if (node?.kind === 'scalar' && node.value !== null) e.set(field, derived([node.value], node.origin));
    }
  }

  /**
   * True when the value was written with a variable: then it may be malformed only because the variable is unset
   * here (Bulkhead never reads its own environment), so the problem is a warning, not an input error.
   */
  private writtenWithVariable(origin: Origin): boolean {
    const range = origin.source.rangeOf(0, origin.path);
    return range !== undefined && origin.source.file.text.slice(range[0], range[1]).includes('$');
  }

  private normalizePorts(node: LNode): LNode {
    if (node.kind !== 'seq') {
      this.report(
        'COMPOSE_INVALID_TYPE',
        'error',
        node.origin,
        '"ports" must be a list',
        'Write ports: as a list of "HOST:CONTAINER" strings or long-syntax mappings.',
      );
      return { kind: 'seq', items: [], origin: node.origin };
    }
    const items: LNode[] = [];
    for (const item of node.items) {
      const value = toJs(item);
      const parsed =
        typeof value === 'string' || typeof value === 'number'
          ? parseShortPort(String(value))
          : value !== null && typeof value === 'object' && !Array.isArray(value)
            ? parseLongPort(value as Record<string, unknown>)
            : { error: 'a port is a string or a mapping' };
      if ('error' in parsed) {
        this.report(
          'COMPOSE_INVALID_PORT',
          this.writtenWithVariable(item.origin) ? 'warning' : 'error',
          item.origin,
          parsed.error,
          'Write [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL], e.g. "127.0.0.1:8080:80/tcp", or the long syntax.',
        );
        continue;
      }
      if (parsed.warning !== undefined)
        this.report(
          'COMPOSE_PORT_SYNTAX',
          'warning',
          item.origin,
          parsed.warning,
          'Write host_ip: and published: separately.',
        );
      // Long syntax keeps each field's own position; short syntax points every field at the string.
      const long = derived(parsed.port, item.origin) as MapNode;
      if (item.kind === 'map')
        for (const [key, child] of item.entries)
          if (long.entries.has(key))
            long.entries.set(key, { ...long.entries.get(key)!, origin: child.origin });
      items.push(long);
    }
    return { kind: 'seq', items, origin: node.origin };
  }

  // ---- projects ---------------------------------------------------------------------------------------------

  /**
   * Merges a project's files in order. Compose spec, Merge: "Compose lets you define a Compose application model
   * through multiple Compose files ... Subsequent files may merge, override, or add to their predecessors."
   */
  private mergeProject(group: readonly ReadFile[], taken: Set<string>): Project | undefined {
    const usable = group.filter((f) => f.root !== undefined);
    const first = usable[0];
    if (first === undefined) return undefined;
    let root: MapNode = first.root!;
    const services = (r: MapNode): MapNode | undefined => {
      const node = r.entries.get('services');
      return node?.kind === 'map' ? node : undefined;
    };
    for (const file of usable.slice(1)) {
      // Services merge one by one with the service-level rules; other sections as plain mappings.
      const baseServices = services(root);
      const overServices = services(file.root!);
      const merged = mergeNodes(
        { ...root, entries: new Map([...root.entries].filter(([k]) => k !== 'services')) },
        { ...file.root!, entries: new Map([...file.root!.entries].filter(([k]) => k !== 'services')) },
      ) as MapNode;
      if (baseServices !== undefined || overServices !== undefined) {
        const entries = new Map(baseServices?.entries ?? []);
        for (const [name, service] of overServices?.entries ?? []) {
          const previous = entries.get(name);
          entries.set(name, previous === undefined ? service : mergeNodes(previous, service));
        }
        merged.entries.set('services', {
          kind: 'map',
          entries,
          origin: (baseServices ?? overServices)!.origin,
        });
      }
      root = merged;
    }
    const name = this.projectName(root, first, taken);
    taken.add(name);
    return { name, files: usable, root };
  }

  /**
   * Compose spec, name: "If the top-level name element is not set, Compose uses ... the basename of the project
   * directory" and "Project names must contain only lowercase letters, decimal digits, dashes, and underscores, and
   * must begin with a lowercase letter or decimal digit." Directory names are normalized as Compose does.
   */
  private projectName(root: MapNode, first: ReadFile, taken: ReadonlySet<string>): string {
    const nameNode = root.entries.get('name');
    let name: string;
    if (nameNode?.kind === 'scalar' && nameNode.value !== null && String(nameNode.value) !== '') {
      name = String(nameNode.value);
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
        const normalized = normalizeProjectName(name);
        this.report(
          'COMPOSE_INVALID_NAME',
          'warning',
          nameNode.origin,
          `project name "${name}" is not valid; read as "${normalized}"`,
          'Project names are lowercase letters, digits, "-" and "_", starting with a letter or digit.',
        );
        name = normalized;
      }
    } else {
      const file = first.source.file.name;
      const directory = file === '-' ? (this.options.stdinDirectory ?? 'stdin') : basename(dirname(file));
      name = normalizeProjectName(directory === '.' || directory === '' ? 'default' : directory);
    }
    if (name === '') name = 'default';
    if (taken.has(name)) {
      const stem = basename(first.source.file.name).replace(/\.ya?ml$/i, '');
      const unique = normalizeProjectName(`${name}-${stem}`);
      this.report(
        'COMPOSE_PROJECT_NAME_CLASH',
        'info',
        { source: first.source, path: [] },
        `another project is already named "${name}"; this file is project "${unique}"`,
        'Give each Compose project its own top-level name:.',
      );
      name = taken.has(unique) ? `${unique}-${taken.size}` : unique;
    }
    return name;
  }

  private buildProject(project: Project): void {
    const servicesNode = project.root.entries.get('services');
    const states: ServiceState[] = [];
    if (servicesNode?.kind === 'map')
      for (const [name, node] of servicesNode.entries) states.push({ name, node: node as MapNode });
    const byName = new Map(states.map((s) => [s.name, s]));
    // Compose spec, extends: "extends lets you share common configurations among different files, or even
    // different projects entirely." The extending service's own attributes are merged onto the base's.
    const resolved = new Map<string, MapNode>();
    const resolving = new Set<string>();
    for (const state of states)
      state.node = this.resolveExtends(state.node, state.name, byName, resolved, resolving, '');
    const networks = this.readNetworks(project);
    const active = states.filter((s) => this.isActive(s.node));
    for (const state of active) this.addServiceRecord(project, state);
    for (const [name, network] of networks.declared) {
      const record: ObjectRecord = {
        kind: COMPOSE_NETWORK_KIND,
        apiVersion: 'compose',
        namespace: project.name,
        name,
        value: toJs(network.node) as Record<string, unknown>,
        annotations: {},
        source: refOf(network.node, true),
      };
      this.records.push(record);
      this.trees.set(record, network.node);
    }
    const networking = new Map<string, ServiceNetworking>();
    for (const state of active) networking.set(state.name, this.serviceNetworking(project, state, networks));
    // network_mode "service:x" shares x's network stack, so x's attachments.
    for (const [name, net] of networking) {
      let current = net;
      const seen = new Set([name]);
      while (current.mode.startsWith('service:')) {
        const target = current.mode.slice('service:'.length);
        const next = networking.get(target);
        if (next === undefined || seen.has(target)) break;
        seen.add(target);
        current = next;
      }
      if (current !== net)
        networking.set(name, { ...net, networks: current.networks, hostNetwork: current.hostNetwork });
    }
    for (const state of active) this.addWorkload(project, state, networking.get(state.name)!);
  }

  private isActive(service: MapNode): boolean {
    // Compose spec, profiles: "Services without a profiles attribute are always enabled. ... A service is
    // enabled when one of its profiles is enabled." With no profile list given, every service is analysed.
    const enabled = this.options.profiles;
    if (enabled === undefined) return true;
    const profiles = service.entries.get('profiles');
    if (profiles?.kind !== 'seq' || profiles.items.length === 0) return true;
    return profiles.items.some((p) => p.kind === 'scalar' && enabled.includes(String(p.value)));
  }

  private resolveExtends(
    service: MapNode,
    name: string,
    byName: ReadonlyMap<string, ServiceState>,
    resolved: Map<string, MapNode>,
    resolving: Set<string>,
    scope: string,
  ): MapNode {
    const key = `${scope}#${name}`;
    const done = resolved.get(key);
    if (done !== undefined) return done;
    const extendsNode = service.entries.get('extends');
    if (extendsNode === undefined) {
      resolved.set(key, service);
      return service;
    }
    const own: MapNode = {
      ...service,
      entries: new Map([...service.entries].filter(([k]) => k !== 'extends')),
    };
    let baseName: string | undefined;
    let fileName: string | undefined;
    if (extendsNode.kind === 'scalar' && typeof extendsNode.value === 'string') baseName = extendsNode.value;
    else if (extendsNode.kind === 'map') {
      const s = extendsNode.entries.get('service');
      const f = extendsNode.entries.get('file');
      if (s?.kind === 'scalar' && s.value !== null) baseName = String(s.value);
      if (f?.kind === 'scalar' && f.value !== null) fileName = String(f.value);
    }
    if (baseName === undefined) {
      this.report(
        'COMPOSE_EXTENDS',
        'error',
        extendsNode.origin,
        `service "${name}": extends needs "service"`,
        'Write extends: {service: NAME} or extends: {file: PATH, service: NAME}.',
      );
      resolved.set(key, own);
      return own;
    }
    if (resolving.has(key)) {
      this.report(
        'COMPOSE_EXTENDS',
        'error',
        extendsNode.origin,
        `service "${name}": extends forms a cycle`,
        'Break the cycle of extends.',
      );
      return own;
    }
    resolving.add(key);
    let base: MapNode | undefined;
    if (fileName === undefined) {
      const target = byName.get(baseName);
      if (target !== undefined)
        base = this.resolveExtends(target.node, baseName, byName, resolved, resolving, scope);
    } else {
      const path = join(dirname(extendsNode.origin.source.file.name), fileName);
      const file = this.otherFile(path);
      const services = file?.root?.entries.get('services');
      if (file === undefined)
        this.report(
          'COMPOSE_EXTENDS',
          'error',
          extendsNode.origin,
          `service "${name}": cannot read ${path}`,
          'extends.file is relative to the file that names it.',
        );
      else if (services?.kind === 'map') {
        const others = new Map(
          [...services.entries].map(([n, node]) => [n, { name: n, node: node as MapNode }] as const),
        );
        const target = others.get(baseName);
        if (target !== undefined)
          base = this.resolveExtends(target.node, baseName, others, resolved, resolving, path);
      }
      if (file === undefined) {
        resolving.delete(key);
        resolved.set(key, own);
        return own;
      }
    }
    resolving.delete(key);
    if (base === undefined) {
      this.report(
        'COMPOSE_EXTENDS',
        'error',
        extendsNode.origin,
        `service "${name}" extends "${baseName}", which is not defined${fileName ? ` in ${fileName}` : ''}`,
        'Name a service defined in the same project, or give extends.file.',
      );
      resolved.set(key, own);
      return own;
    }
    const merged = mergeNodes(base, own) as MapNode;
    const result: MapNode = { ...merged, origin: service.origin };
    resolved.set(key, result);
    return result;
  }

  private otherFile(path: string): ReadFile | undefined {
    const cached = this.extraFiles.get(path);
    if (cached !== undefined) return cached;
    const existing = this.sources.get(path);
    const text = existing?.file.text ?? this.options.readFile?.(path);
    if (text === undefined) return undefined;
    const file = this.readFile({ name: path, text });
    this.extraFiles.set(path, file);
    return file;
  }

  private addServiceRecord(project: Project, state: ServiceState): void {
    const labels = labelsOf(state.node);
    const record: ObjectRecord = {
      kind: COMPOSE_SERVICE_KIND,
      apiVersion: 'compose',
      namespace: project.name,
      name: state.name,
      value: toJs(state.node) as Record<string, unknown>,
      annotations: labels,
      source: refOf(state.node, true),
    };
    this.records.push(record);
    this.trees.set(record, state.node);
  }

  private readNetworks(project: Project): Networks {
    const declared = new Map<string, { node: MapNode; fullName: string; internal: boolean }>();
    const node = project.root.entries.get('networks');
    if (node?.kind === 'map')
      for (const [name, value] of node.entries) {
        const definition: MapNode =
          value.kind === 'map' ? value : { kind: 'map', entries: new Map(), origin: value.origin };
        const v = toJs(definition) as Record<string, unknown>;
        const external =
          v['external'] === true || (typeof v['external'] === 'object' && v['external'] !== null);
        // Compose spec, networks: "name sets a custom name for the network ... used as is and not scoped with
        // the project name"; otherwise a network is created as <project>_<name>. External networks are used by name.
        const fullName =
          typeof v['name'] === 'string' ? v['name'] : external ? name : `${project.name}_${name}`;
        declared.set(name, { node: definition, fullName, internal: v['internal'] === true });
      }
    return { declared };
  }

  private serviceNetworking(project: Project, state: ServiceState, networks: Networks): ServiceNetworking {
    const modeNode = state.node.entries.get('network_mode');
    const mode = modeNode?.kind === 'scalar' && modeNode.value !== null ? String(modeNode.value) : '';
    const attached: { fullName: string; internal: boolean }[] = [];
    const servicesNode = project.root.entries.get('services');
    if (mode === '') {
      const listed = state.node.entries.get('networks');
      // Compose spec: "By default Compose sets up a single network for your app" — `default`, when a service
      // names no network.
      const names = listed?.kind === 'map' ? [...listed.entries.keys()] : ['default'];
      for (const name of names) {
        const declared = networks.declared.get(name);
        if (declared !== undefined) attached.push(declared);
        else if (name === 'default') attached.push({ fullName: `${project.name}_default`, internal: false });
        else
          this.report(
            'COMPOSE_UNKNOWN_NETWORK',
            'error',
            (listed as MapNode).entries.get(name)!.origin,
            `service "${state.name}" uses network "${name}", which is not declared under the top-level networks:`,
            'Declare the network under networks:, or fix its name.',
            true,
          );
      }
    } else if (mode.startsWith('service:')) {
      const target = mode.slice('service:'.length);
      if (servicesNode?.kind !== 'map' || !servicesNode.entries.has(target))
        this.report(
          'COMPOSE_UNKNOWN_SERVICE',
          'error',
          modeNode!.origin,
          `network_mode "${mode}" names no service of this project`,
          'Name a service of the same project.',
        );
    } else if (mode === 'bridge') attached.push({ fullName: 'bridge', internal: false });
    else if (mode !== 'host' && mode !== 'none' && !mode.startsWith('container:'))
      attached.push({ fullName: mode, internal: false });
    return {
      mode,
      networks: attached,
      hostNetwork: mode === 'host',
      source: modeNode !== undefined ? refOf(modeNode) : refOf(state.node, true),
    };
  }

  private addWorkload(project: Project, state: ServiceState, net: ServiceNetworking): void {
    const serviceLabels = labelsOf(state.node);
    const namespace = serviceLabels['bulkhead.io/namespace'] || project.name;
    const labels: Record<string, string> = {
      ...serviceLabels,
      'com.docker.compose.project': project.name,
      'com.docker.compose.service': state.name,
    };
    for (const network of net.networks) labels[networkLabel(network.fullName)] = 'true';
    const id = `${namespace}/${state.name}[${COMPOSE_SERVICE_KIND}]`;
    const ports = this.containerPorts(state, serviceLabels);
    const published = publishedPorts(state.node);
    const workload: Workload = {
      id,
      kind: COMPOSE_SERVICE_KIND,
      namespace,
      name: state.name,
      labels,
      ports,
      ips: [],
      hostNetwork: net.hostNetwork,
      source: refOf(state.node, true),
    };
    this.workloads.push(workload);
    if (!this.namespaces.has(namespace))
      this.namespaces.set(namespace, { name: namespace, labels: { [NAMESPACE_NAME_LABEL]: namespace } });
    this.adminPolicies.push(...dockerNetworkPolicies(workload, net, published));
  }

  private containerPorts(state: ServiceState, labels: Readonly<Record<string, string>>): ContainerPort[] {
    const out = new Map<string, ContainerPort>();
    const add = (port: ContainerPort): void => {
      const key = `${port.port}/${port.protocol}`;
      const previous = out.get(key);
      if (previous === undefined || (previous.name === undefined && port.name !== undefined))
        out.set(key, port);
    };
    const addRange = (text: string, protocol: Protocol): void => {
      const range = parsePortRange(text);
      if (range === undefined) return;
      for (let p = Math.max(range.first, 1); p <= range.last && p - range.first < 1024; p++)
        add({ port: p, protocol });
    };
    const expose = state.node.entries.get('expose');
    if (expose?.kind === 'seq')
      for (const item of expose.items) {
        if (item.kind !== 'scalar' || item.value === null) continue;
        const [text, proto] = String(item.value).split('/');
        addRange(text ?? '', toProtocol(proto));
      }
    const ports = state.node.entries.get('ports');
    if (ports?.kind === 'seq')
      for (const item of ports.items) {
        const port = toJs(item) as LongPort;
        addRange(String(port.target), toProtocol(port.protocol));
      }
    const label = labels['bulkhead.io/ports'];
    if (label !== undefined) {
      const parsed = parsePortsLabel(label);
      for (const port of parsed.ports) add(port);
      if (parsed.invalid.length > 0) {
        const node = nodeAt(state.node, ['labels', 'bulkhead.io/ports']).node;
        this.report(
          'INVALID_PORTS_LABEL',
          'warning',
          node.origin,
          `bulkhead.io/ports: cannot read ${parsed.invalid.map((i) => `"${i}"`).join(', ')}`,
          'Write NAME=PORT[/PROTOCOL] items separated by commas, e.g. http=80/tcp,dns=53/udp.',
        );
      }
    }
    return [...out.values()].sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1));
  }
}

interface Networks {
  readonly declared: Map<string, { node: MapNode; fullName: string; internal: boolean }>;
}

function toProtocol(text: string | undefined): Protocol {
  const upper = (text ?? 'tcp').toUpperCase();
  return upper === 'UDP' || upper === 'SCTP' ? upper : 'TCP';
}

/** The container ports that `ports:` publishes on the host, by protocol. */
function publishedPorts(service: MapNode): { protocol: Protocol; first: number; last: number }[] {
  const ports = service.entries.get('ports');
  if (ports?.kind !== 'seq') return [];
  const out: { protocol: Protocol; first: number; last: number }[] = [];
  for (const item of ports.items) {
    const port = toJs(item) as LongPort;
    const range = parsePortRange(String(port.target));
    if (range !== undefined) out.push({ protocol: toProtocol(port.protocol), ...range });
  }
  return out;
}

function labelsOf(service: MapNode): Record<string, string> {
  const labels = service.entries.get('labels');
  const out: Record<string, string> = {};
  if (labels?.kind === 'map')
    for (const [key, value] of labels.entries)
      if (value.kind === 'scalar' && value.value !== null) out[key] = String(value.value);
  return out;
}

/**
 * Where a node was written. Collections under a mapping key point at the key (`ports:`, `webapp:`), which is where
 * a reader looks; scalars and sequence items at the value.
 */
function refOf(node: LNode, forceKey = false): SourceRef {
  const { source, path } = node.origin;
  const last = path[path.length - 1];
  const atKey = forceKey || (node.kind !== 'scalar' && typeof last === 'string');
  const range = source.rangeOf(0, path, atKey && path.length > 0);
  return { file: source.file.name, ...(range ? { range } : {}), path: renderPath(path) };
}

/** Compose's normalization of a directory name: lowercase, only [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/**
 * Groups files into projects. Per directory, as Compose's default lookup does: the first of compose.yaml,
 * compose.yml, docker-compose.yaml, docker-compose.yml, then its override file (`compose.override.yaml`, ...).
 * Any other Compose file is a project of its own.
 */
function groupProjects(files: readonly ReadFile[]): ReadFile[][] {
  const byDirectory = new Map<string, ReadFile[]>();
  for (const file of files) {
    const directory = file.source.file.name === '-' ? '-' : dirname(file.source.file.name);
    const list = byDirectory.get(directory) ?? [];
    list.push(file);
    byDirectory.set(directory, list);
  }
  const groups: ReadFile[][] = [];
  for (const list of byDirectory.values()) {
    const named = (n: string): ReadFile | undefined => list.find((f) => basename(f.source.file.name) === n);
    const primaryName = DEFAULT_NAMES.find((n) => named(n) !== undefined);
    const used = new Set<ReadFile>();
    if (primaryName !== undefined) {
      const primary = named(primaryName)!;
      const stem = primaryName.replace(/\.ya?ml$/, '');
      const overrides = [`${stem}.override.yaml`, `${stem}.override.yml`]
        .map(named)
        .filter((f): f is ReadFile => f !== undefined);
      groups.push([primary, ...overrides]);
      used.add(primary);
      for (const o of overrides) used.add(o);
    }
    for (const file of list) if (!used.has(file)) groups.push([file]);
  }
  return groups;
}
