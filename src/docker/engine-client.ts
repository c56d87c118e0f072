// A minimal Docker Engine API client over the daemon's unix socket (node:http): running containers and networks,
// validated into plain data; every failure is a DockerError with a stable code, never an exception.

import { request } from 'node:http';

/** The Engine API version every request names (Docker 20.10 speaks 1.41; later daemons still accept it). */
export const DOCKER_API_VERSION = 'v1.41';
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export type DockerErrorCode =
  | 'DOCKER_SOCKET_MISSING'
  | 'DOCKER_PERMISSION_DENIED'
  | 'DOCKER_UNREACHABLE'
  | 'DOCKER_TIMEOUT'
  | 'DOCKER_NOT_FOUND'
  | 'DOCKER_DAEMON_ERROR'
  | 'DOCKER_BAD_RESPONSE'
  | 'DOCKER_UNSUPPORTED_HOST';

/** Why the daemon could not be asked or what it answered instead: data, printed as a message by the CLI. */
export interface DockerError {
  readonly code: DockerErrorCode;
  readonly message: string;
  readonly hint?: string;
  /** The HTTP status, when the daemon answered. */
  readonly status?: number;
}

export type DockerResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DockerError };

/** A container's endpoint on one network; addresses absent when Docker assigned none (IPv6 off, host mode). */
export interface DockerEndpoint {
  readonly network: string;
  readonly networkId: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/** A container port; `publicPort` when it is published on the host. */
export interface DockerPort {
  readonly privatePort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly publicPort?: number;
  readonly hostIp?: string;
}

export interface DockerContainer {
  readonly id: string;
  /** Without Docker's leading `/`. */
  readonly name: string;
  readonly image: string;
  /** `running`, `exited`, ... */
  readonly state: string;
  readonly labels: Readonly<Record<string, string>>;
  /** HostConfig.NetworkMode: `default`, `bridge`, `host`, `none`, `container:<id>`, or a network name. */
  readonly networkMode: string;
  readonly networks: readonly DockerEndpoint[];
  readonly ports: readonly DockerPort[];
}

export interface DockerNetwork {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  /** `internal: true` networks have no route out of the host. */
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** The address ranges Docker allocates from (IPAM.Config[].Subnet), as the daemon wrote them. */
  readonly subnets: readonly string[];
}

/** One event of the daemon's stream (`GET /events`), reduced to what the agent reacts to. */
export interface DockerEvent {
  /** `container`, `network`, ... */
  readonly type: string;
  /** `start`, `die`, `connect`, `disconnect`, ... */
  readonly action: string;
  /** The container or network id. */
  readonly actor: string;
  /** For network connect and disconnect: the container's id (`Actor.Attributes.container`). */
  readonly container?: string;
  /** When the daemon emitted it, in nanoseconds since the epoch (0 when absent). */
  readonly timeNano: bigint;
}

/** A running subscription to the event stream; `close()` ends it. */
export interface DockerEventSubscription {
  close(): void;
}

/** Where events come from: the Engine API, or a fake in tests. */
export interface DockerEventSource {
  /**
   * Follows the daemon's events of the given types. `onEnd` is called once, with the reason, when the stream ends
   * for any reason other than `close()`.
   */
  subscribe(
    types: readonly string[],
    onEvent: (event: DockerEvent) => void,
    onEnd: (error: DockerError) => void,
  ): DockerEventSubscription;
}

/** Where the live inventory comes from: the Engine API, or an in-memory fake in tests. */
export interface DockerInventorySource {
  /** A description for messages, e.g. the socket path. */
  readonly where: string;
  /** The running containers (`GET /containers/json`). */
  listContainers(): Promise<DockerResult<DockerContainer[]>>;
  /** One container by id or name, running or not (`GET /containers/{id}/json`). */
  inspectContainer(idOrName: string): Promise<DockerResult<DockerContainer>>;
  listNetworks(): Promise<DockerResult<DockerNetwork[]>>;
}

/**
 * The socket to use: `--docker-socket`, else `DOCKER_HOST` when it is `unix://PATH`, else /var/run/docker.sock.
 * Other DOCKER_HOST schemes (tcp://, ssh://) are not supported: an error.
 */
export function resolveDockerSocket(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): DockerResult<string> {
  if (option !== undefined && option !== '') return { ok: true, value: option };
  const host = env['DOCKER_HOST'];
  if (host === undefined || host === '') return { ok: true, value: DEFAULT_DOCKER_SOCKET };
  if (host.startsWith('unix://') && host.length > 'unix://'.length)
    return { ok: true, value: host.slice('unix://'.length) };
  return {
    ok: false,
    error: {
      code: 'DOCKER_UNSUPPORTED_HOST',
      message: `DOCKER_HOST=${host} is not a unix socket; Bulkhead talks to the daemon over its unix socket only`,
      hint: 'Set DOCKER_HOST=unix:///PATH, or pass --docker-socket PATH.',
    },
  };
}

export interface EngineClientOptions {
  readonly socketPath: string;
  /** Per request; default 10 s. */
  readonly timeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_EVENT_BYTES = 1024 * 1024;

/** An event line, or undefined when it is not an event of the documented shape (ignored, not fatal). */
function readEvent(line: string): DockerEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const actor = isRecord(json['Actor']) ? json['Actor']['ID'] : undefined;
  const type = json['Type'];
  const action = json['Action'];
  if (typeof type !== 'string' || typeof action !== 'string' || typeof actor !== 'string') return undefined;
  const nano = json['timeNano'];
  const attributes = isRecord(json['Actor']) ? json['Actor']['Attributes'] : undefined;
  const container = isRecord(attributes) ? attributes['container'] : undefined;
  return {
    type,
    action,
    actor,
    ...(typeof container === 'string' ? { container } : {}),
    timeNano: typeof nano === 'number' ? BigInt(nano) : 0n,
  };
}

/** The real Engine API client. */
export class DockerEngineClient implements DockerInventorySource, DockerEventSource {
  readonly where: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: EngineClientOptions) {
    this.where = options.socketPath;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async listContainers(): Promise<DockerResult<DockerContainer[]>> {
    const body = await this.get('/containers/json');
    if (!body.ok) return body;
    return validate(body.value, '/containers/json', (v) => list(v, '', readSummary));
  }

  async inspectContainer(idOrName: string): Promise<DockerResult<DockerContainer>> {
    const path = `/containers/${encodeURIComponent(idOrName)}/json`;
    const body = await this.get(path);
    if (!body.ok) return body;
    return validate(body.value, path, readInspect);
  }

  async listNetworks(): Promise<DockerResult<DockerNetwork[]>> {
    const body = await this.get('/networks');
    if (!body.ok) return body;
    return validate(body.value, '/networks', (v) => list(v, '', readNetwork));
  }

  subscribe(
    types: readonly string[],
    onEvent: (event: DockerEvent) => void,
    onEnd: (error: DockerError) => void,
  ): DockerEventSubscription {
    const socketPath = this.options.socketPath;
    const filters = encodeURIComponent(JSON.stringify({ type: types }));
    const path = `/events?filters=${filters}`;
    let closed = false;
    const end = (error: DockerError): void => {
      if (closed) return;
      closed = true;
      onEnd(error);
    };
    const req = request(
      { socketPath, path: `/${DOCKER_API_VERSION}${path}`, method: 'GET', headers: { host: 'docker' } },
      (res) => {
        if ((res.statusCode ?? 0) !== 200) {
          end({
            code: 'DOCKER_DAEMON_ERROR',
            message: `the Docker daemon answered ${res.statusCode ?? 0} to GET /events`,
          });
          res.resume();
          return;
        }
        // The stream is one JSON object per line; a line may arrive in pieces.
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          if (pending.length > MAX_EVENT_BYTES) {
            req.destroy();
            end({ code: 'DOCKER_BAD_RESPONSE', message: 'an event of the Docker daemon exceeds 1 MiB' });
            return;
          }
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line !== '') {
              const event = readEvent(line);
              if (event !== undefined) onEvent(event);
            }
            newline = pending.indexOf('\n');
          }
        });
        res.on('end', () =>
          end({
            code: 'DOCKER_UNREACHABLE',
            message: `the Docker daemon at ${socketPath} ended the event stream`,
          }),
        );
        res.on('error', (error) => end(connectionFailure(error, socketPath).error));
      },
    );
    req.on('error', (error) => end(connectionFailure(error, socketPath).error));
    req.end();
    return {
      close: () => {
        closed = true;
        req.destroy();
      },
    };
  }

  /** GET /v1.41{path}: the parsed JSON body, or why there is none. */
  private get(path: string): Promise<DockerResult<unknown>> {
    const socketPath = this.options.socketPath;
    return new Promise((resolve) => {
      const req = request(
        { socketPath, path: `/${DOCKER_API_VERSION}${path}`, method: 'GET', headers: { host: 'docker' } },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy();
              resolve(failure('DOCKER_BAD_RESPONSE', `the daemon's answer to ${path} exceeds 64 MiB`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (error) => resolve(connectionFailure(error, socketPath)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            if (status >= 200 && status < 300) {
              if (json === undefined)
                resolve(failure('DOCKER_BAD_RESPONSE', `the daemon's answer to ${path} is not JSON`));
              else resolve({ ok: true, value: json });
              return;
            }
            const message =
              isRecord(json) && typeof json['message'] === 'string' ? json['message'] : text.trim();
            resolve({
              ok: false,
              error: {
                code: status === 404 ? 'DOCKER_NOT_FOUND' : 'DOCKER_DAEMON_ERROR',
                message: `the Docker daemon answered ${status} to GET ${path}: ${message || 'no message'}`,
                status,
              },
            });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy();
        resolve(
          failure(
            'DOCKER_TIMEOUT',
            `the Docker daemon at ${socketPath} did not answer GET ${path} within ${this.timeoutMs / 1000} s`,
          ),
        );
      });
      req.on('error', (error) => resolve(connectionFailure(error, socketPath)));
      req.end();
    });
  }
}

function failure(code: DockerErrorCode, message: string, hint?: string): { ok: false; error: DockerError } {
  return { ok: false, error: { code, message, ...(hint !== undefined ? { hint } : {}) } };
}

function connectionFailure(error: Error, socketPath: string): { ok: false; error: DockerError } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return failure(
      'DOCKER_SOCKET_MISSING',
      `no Docker socket at ${socketPath}`,
      'Is the Docker daemon running? Pass --docker-socket PATH or set DOCKER_HOST=unix:///PATH.',
    );
  if (code === 'EACCES' || code === 'EPERM')
    return failure(
      'DOCKER_PERMISSION_DENIED',
      `permission denied on the Docker socket ${socketPath}`,
      'Run as root or as a member of the docker group.',
    );
  if (code === 'ECONNREFUSED' || code === 'ENOTSOCK')
    return failure(
      'DOCKER_UNREACHABLE',
      `nothing answers on ${socketPath} (${code})`,
      'The socket exists but no Docker daemon listens on it: start dockerd, or point --docker-socket elsewhere.',
    );
  return failure('DOCKER_UNREACHABLE', `cannot talk to the Docker daemon at ${socketPath}: ${error.message}`);
}

// ---- validation -------------------------------------------------------------------------------------------------

/** A malformed answer: where in the JSON, and what was expected. */
class ShapeError extends Error {}

function validate<T>(value: unknown, path: string, read: (v: unknown) => T): DockerResult<T> {
  try {
    return { ok: true, value: read(value) };
  } catch (error) {
    if (error instanceof ShapeError)
      return failure('DOCKER_BAD_RESPONSE', `unexpected answer to GET ${path}: ${error.message}`);
    throw error;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, at: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ShapeError(`${at || 'the body'} is not an object`);
  return value;
}

function list<T>(value: unknown, at: string, read: (v: unknown, at: string) => T): T[] {
  if (!Array.isArray(value)) throw new ShapeError(`${at || 'the body'} is not a list`);
  return value.map((item, i) => read(item, `${at}[${i}]`));
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${at} is not a string`);
  return value;
}

function optionalString(value: unknown, at: string): string | undefined {
  return value === undefined || value === null ? undefined : string(value, at);
}

/** Labels: an object of strings; null or absent is none. */
function stringMap(value: unknown, at: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(record(value, at))) out[key] = string(v, `${at}.${key}`);
  return out;
}

function port(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535)
    throw new ShapeError(`${at} is not a port number`);
  return value;
}

function protocolOf(value: unknown, at: string): DockerPort['protocol'] {
  const text = string(value, at).toLowerCase();
  if (text !== 'tcp' && text !== 'udp' && text !== 'sctp')
    throw new ShapeError(`${at} is not tcp, udp or sctp`);
  return text;
}

/** NetworkSettings.Networks: endpoints by network name. */
function endpoints(value: unknown, at: string): DockerEndpoint[] {
  if (value === undefined || value === null) return [];
  return Object.entries(record(value, at)).map(([network, raw]) => {
    const e = record(raw, `${at}.${network}`);
    const ipv4 = optionalString(e['IPAddress'], `${at}.${network}.IPAddress`);
    const ipv6 = optionalString(e['GlobalIPv6Address'], `${at}.${network}.GlobalIPv6Address`);
    return {
      network,
      networkId: optionalString(e['NetworkID'], `${at}.${network}.NetworkID`) ?? '',
      ...(ipv4 ? { ipv4 } : {}),
      ...(ipv6 ? { ipv6 } : {}),
    };
  });
}

function networkModeOf(value: unknown, at: string): string {
  if (value === undefined || value === null) return 'default';
  return optionalString(record(value, at)['NetworkMode'], `${at}.NetworkMode`) ?? 'default';
}

/** One item of GET /containers/json. */
function readSummary(value: unknown, at: string): DockerContainer {
  const c = record(value, at);
  const names = list(c['Names'] ?? [], `${at}.Names`, string);
  const settings =
    c['NetworkSettings'] === null ? {} : record(c['NetworkSettings'] ?? {}, `${at}.NetworkSettings`);
  const ports = list(c['Ports'] ?? [], `${at}.Ports`, (p, pAt) => {
    const r = record(p, pAt);
    const publicPort = r['PublicPort'] === undefined ? undefined : port(r['PublicPort'], `${pAt}.PublicPort`);
    const hostIp = optionalString(r['IP'], `${pAt}.IP`);
    return {
      privatePort: port(r['PrivatePort'], `${pAt}.PrivatePort`),
      protocol: protocolOf(r['Type'] ?? 'tcp', `${pAt}.Type`),
      ...(publicPort !== undefined ? { publicPort } : {}),
      ...(hostIp ? { hostIp } : {}),
    };
  });
  return {
    id: string(c['Id'], `${at}.Id`),
    name: (names[0] ?? '').replace(/^\//, ''),
    image: optionalString(c['Image'], `${at}.Image`) ?? '',
    state: optionalString(c['State'], `${at}.State`) ?? '',
    labels: stringMap(c['Labels'], `${at}.Labels`),
    networkMode: networkModeOf(c['HostConfig'], `${at}.HostConfig`),
    networks: endpoints(settings['Networks'], `${at}.NetworkSettings.Networks`),
    ports: dedupePorts(ports),
  };
}

/** GET /containers/{id}/json. */
function readInspect(value: unknown): DockerContainer {
  const c = record(value, '');
  const config = c['Config'] === null ? {} : record(c['Config'] ?? {}, 'Config');
  const state = c['State'] === null ? {} : record(c['State'] ?? {}, 'State');
  const settings = c['NetworkSettings'] === null ? {} : record(c['NetworkSettings'] ?? {}, 'NetworkSettings');
  const ports: DockerPort[] = [];
  const rawPorts = settings['Ports'];
  if (rawPorts !== undefined && rawPorts !== null)
    for (const [key, bindings] of Object.entries(record(rawPorts, 'NetworkSettings.Ports'))) {
      const match = /^(\d+)\/(tcp|udp|sctp)$/.exec(key);
      if (match === null)
        throw new ShapeError(`NetworkSettings.Ports has a key "${key}" that is not PORT/PROTOCOL`);
      const privatePort = port(Number(match[1]), `NetworkSettings.Ports.${key}`);
      const protocol = match[2] as DockerPort['protocol'];
      const published =
        bindings === null || bindings === undefined
          ? []
          : list(bindings, `NetworkSettings.Ports.${key}`, record);
      if (published.length === 0) ports.push({ privatePort, protocol });
      for (const b of published) {
        const hostPort = optionalString(b['HostPort'], `NetworkSettings.Ports.${key}.HostPort`);
        const hostIp = optionalString(b['HostIp'], `NetworkSettings.Ports.${key}.HostIp`);
        ports.push({
          privatePort,
          protocol,
          ...(hostPort
            ? { publicPort: port(Number(hostPort), `NetworkSettings.Ports.${key}.HostPort`) }
            : {}),
          ...(hostIp ? { hostIp } : {}),
        });
      }
    }
  return {
    id: string(c['Id'], 'Id'),
    name: (optionalString(c['Name'], 'Name') ?? '').replace(/^\//, ''),
    image: optionalString(config['Image'], 'Config.Image') ?? '',
    state: optionalString(state['Status'], 'State.Status') ?? '',
    labels: stringMap(config['Labels'], 'Config.Labels'),
    networkMode: networkModeOf(c['HostConfig'], 'HostConfig'),
    networks: endpoints(settings['Networks'], 'NetworkSettings.Networks'),
    ports: dedupePorts(ports),
  };
}

function readNetwork(value: unknown, at: string): DockerNetwork {
  const n = record(value, at);
  return {
    id: string(n['Id'], `${at}.Id`),
    name: string(n['Name'], `${at}.Name`),
    driver: optionalString(n['Driver'], `${at}.Driver`) ?? '',
    internal: n['Internal'] === true,
    labels: stringMap(n['Labels'], `${at}.Labels`),
    subnets: subnetsOf(n['IPAM'], `${at}.IPAM`),
  };
}

function subnetsOf(value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  const config = record(value, at)['Config'];
  if (config === undefined || config === null) return [];
  return list(config, `${at}.Config`, (item, itemAt) =>
    optionalString(record(item, itemAt)['Subnet'], `${itemAt}.Subnet`),
  ).filter((subnet): subnet is string => subnet !== undefined && subnet !== '');
}

/** Docker lists a port once per host address family it is published on (0.0.0.0 and ::): keep one of each. */
function dedupePorts(ports: readonly DockerPort[]): DockerPort[] {
  const seen = new Map<string, DockerPort>();
  for (const p of ports) {
    const key = `${p.privatePort}/${p.protocol}/${p.publicPort ?? ''}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()].sort(
    (a, b) =>
      a.privatePort - b.privatePort || (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0),
  );
}
