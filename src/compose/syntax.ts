// Compose short syntaxes (ports, volumes, list-form mappings) turned into their long forms, and the named-ports label.

import type { ContainerPort } from '../core/model/cluster.js';
import type { Protocol } from '../core/model/port-set.js';

/** A port in the long syntax, as `docker compose config` prints it (ranges kept as `first-last` strings). */
export interface LongPort {
  target: number | string;
  published?: string;
  host_ip?: string;
  protocol?: string;
  mode?: string;
  name?: string;
  app_protocol?: string;
}

export type PortParse = { readonly port: LongPort; readonly warning?: string } | { readonly error: string };

const PORT_OR_RANGE = /^\d+(-\d+)?$/;

/** A port number or range `a-b` within 1..65535 (0 allowed for published: "any"), else undefined. */
export function parsePortRange(text: string): { first: number; last: number } | undefined {
  if (!PORT_OR_RANGE.test(text)) return undefined;
  const [a, b] = text.split('-');
  const first = Number(a);
  const last = b === undefined ? first : Number(b);
  if (first > 65535 || last > 65535 || last < first) return undefined;
  return { first, last };
}

/**
 * Compose spec, ports short syntax: "[HOST:]CONTAINER[/PROTOCOL] where HOST is [IP:](port | range) (optional),
 * CONTAINER is port | range, PROTOCOL restricts the port to a specified protocol, either tcp, udp, or sctp."
 * IPv6 host addresses are written in brackets (`[::1]:80:80`); an unbracketed IPv6 address is read as everything
 * before the last two colons, as Docker does.
 */
export function parseShortPort(text: string): PortParse {
  let rest = text.trim();
  let protocol: string | undefined;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(protocol))
      return { error: `unknown protocol "${protocol}" (tcp, udp or sctp)` };
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0 || rest[end + 1] !== ':') return { error: `malformed IPv6 host address in "${text}"` };
    hostIp = rest.slice(1, end);
    rest = rest.slice(end + 2);
  }
  const parts = rest.split(':');
  let published: string | undefined;
  let target: string;
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2 && hostIp !== undefined) [published, target] = parts as [string, string];
  else if (parts.length === 2) [published, target] = parts as [string, string];
  else {
    if (hostIp !== undefined) return { error: `malformed port "${text}"` };
    target = parts[parts.length - 1]!;
    published = parts[parts.length - 2]!;
    hostIp = parts.slice(0, -2).join(':');
  }
  const targetRange = parsePortRange(target);
  if (targetRange === undefined || targetRange.first === 0)
    return { error: `"${target}" is not a container port or range (1-65535)` };
  if (published !== undefined && published !== '' && parsePortRange(published) === undefined)
    return { error: `"${published}" is not a published port or range` };
  const port: LongPort = { target: rangeValue(target) };
  if (published !== undefined && published !== '') port.published = published;
  if (hostIp !== undefined && hostIp !== '') port.host_ip = hostIp;
  port.protocol = protocol ?? 'tcp';
  port.mode = 'ingress';
  return { port };
}

function rangeValue(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/**
 * Compose spec, ports long syntax: "target: The container port; published: The publicly exposed port. It is
 * defined as a string and can be set as a range using syntax start-end; host_ip: The Host IP mapping, unspecified
 * means all network interfaces (0.0.0.0); protocol: The port protocol (tcp or udp), unspecified means any protocol;
 * mode: host ... or ingress". A `published` that starts with an address (`127.0.0.1:8080`, seen in the wild) is
 * not valid Compose; it is read as host_ip plus port, with a warning.
 */
export function parseLongPort(value: Readonly<Record<string, unknown>>): PortParse {
  const target = value['target'];
  const targetText = typeof target === 'number' ? String(target) : typeof target === 'string' ? target : '';
  const range = parsePortRange(targetText);
  if (range === undefined || range.first === 0)
    return { error: 'a long-syntax port needs "target": a container port (1-65535)' };
  const port: LongPort = { target: rangeValue(targetText) };
  let warning: string | undefined;
  const published = value['published'];
  if (typeof published === 'number') port.published = String(published);
  else if (typeof published === 'string' && published !== '') {
    if (parsePortRange(published) !== undefined) port.published = published;
    else {
      const split = /^(.+):(\d+(?:-\d+)?)$/.exec(published);
      const host = split !== null && looksLikeAddress(split[1]!) ? split[1]! : published;
      if (!looksLikeAddress(host)) return { error: `"published: ${published}" is not a port or range` };
      port.host_ip = host.replace(/^\[|\]$/g, '');
      if (split !== null && host === split[1]) port.published = split[2]!;
      warning = `"published: ${published}" holds a host address; Compose expects it in "host_ip"`;
    }
  }
  if (typeof value['host_ip'] === 'string' && value['host_ip'] !== '') port.host_ip = value['host_ip'];
  port.protocol = typeof value['protocol'] === 'string' ? value['protocol'].toLowerCase() : 'tcp';
  port.mode = typeof value['mode'] === 'string' ? value['mode'] : 'ingress';
  if (typeof value['name'] === 'string') port.name = value['name'];
  if (typeof value['app_protocol'] === 'string') port.app_protocol = value['app_protocol'];
  return warning === undefined ? { port } : { port, warning };
}

function looksLikeAddress(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) || /^\[?[0-9a-fA-F:]+\]?$/.test(text);
}

/** True when a host address means every interface: absent, `0.0.0.0` or `::`. */
export function isAllInterfaces(hostIp: string | undefined): boolean {
  return (
    hostIp === undefined || hostIp === '' || hostIp === '0.0.0.0' || hostIp === '::' || hostIp === '[::]'
  );
}

/** A volume in the long syntax. */
export interface LongVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
}

/**
 * Compose spec, volumes short syntax: "VOLUME:CONTAINER_PATH:ACCESS_MODE. VOLUME: Can be either a host path on the
 * platform hosting containers (bind mount) or a volume name. CONTAINER_PATH: The path in the container where the
 * volume is mounted. ACCESS_MODE: A comma-separated , list of options: rw ... ro ...". A lone path is an
 * anonymous volume; a source starting with `.`, `/` or `~` is a bind mount.
 */
export function parseShortVolume(text: string): LongVolume | undefined {
  // Windows drive letters (`C:\data:/data`) keep their colon.
  const parts = text.split(':');
  if (parts.length > 1 && /^[A-Za-z]$/.test(parts[0]!) && /^[\\/]/.test(parts[1]!))
    parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === '')) return undefined;
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, mode] = parts as [string, string, string | undefined];
  const bind = /^[./~]/.test(source) || /^[A-Za-z]:[\\/]/.test(source);
  const volume: LongVolume = { type: bind ? 'bind' : 'volume', source, target };
  if (mode !== undefined && mode.split(',').includes('ro')) volume.read_only = true;
  return volume;
}

/**
 * A list-form mapping (`labels`, `environment`, ...: "- KEY=VALUE") as a map. Compose spec: "Labels ... can use
 * either an array or a map." A list item without `=` has no value: `null` in `environment`, `''` in `labels`.
 */
export function listToMap(items: readonly unknown[], valueless: null | ''): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number') continue;
    const text = String(item);
    const eq = text.indexOf('=');
    if (eq < 0) map[text] = valueless;
    else map[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return map;
}

/**
 * The named-ports label of the Docker mapping: `bulkhead.io/ports: serve-80-tcp=80/tcp,dns=53/udp`. Returns the
 * ports and the items that could not be read.
 */
export function parsePortsLabel(text: string): { ports: ContainerPort[]; invalid: string[] } {
  const ports: ContainerPort[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(item);
    const port = match === null ? NaN : Number(match[3]);
    if (match === null || port < 1 || port > 65535) {
      invalid.push(item);
      continue;
    }
    ports.push({ name: match[1]!, port, protocol: (match[4] ?? 'tcp').toUpperCase() as Protocol });
  }
  return { ports, invalid };
}
