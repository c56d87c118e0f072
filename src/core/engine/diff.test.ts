// Unit tests of the connectivity diff: classification, workload info, order, external range refinement and merging.

import { describe, expect, it } from 'vitest';
import { parseCidr, parseIPv4, V6_OFFSET } from '../model/address-set.js';
import { ConnSet, PortSet, type Protocol } from '../model/port-set.js';
import {
  diffConnectivity,
  opensConnections,
  type ConnectivitySnapshot,
  type DiffEndpoint,
  type SnapshotConnection,
} from './diff.js';

const tcp = (first: number, last = first): ConnSet => ConnSet.ports('TCP', PortSet.range(first, last));
const proto = (p: Protocol, port: number): ConnSet => ConnSet.ports(p, PortSet.range(port, port));
const w = (id: string): DiffEndpoint => ({ id });
/** An external range from `a.b.c.d-e.f.g.h`. */
const ext = (text: string): DiffEndpoint => {
  const [from, to] = text.split('-') as [string, string];
  return { id: `${text}[External]`, range: { first: parseIPv4(from)!, last: parseIPv4(to)! } };
};
const conn = (src: DiffEndpoint, dst: DiffEndpoint, c: ConnSet): SnapshotConnection => ({
  src,
  dst,
  conn: c,
});
const snapshot = (workloadIds: string[], connections: SnapshotConnection[]): ConnectivitySnapshot => ({
  workloadIds,
  connections,
});
const lines = (old: ConnectivitySnapshot, next: ConnectivitySnapshot): string[] =>
  diffConnectivity(old, next).entries.map(
    (e) =>
      `${e.type} ${e.src} -> ${e.dst}: ${e.old.toString()} / ${e.new.toString()}${e.info ? ` (${e.info})` : ''}`,
  );

const A = 'ns/a[Deployment]';
const B = 'ns/b[Deployment]';
const C = 'ns/c[Deployment]';

describe('diffConnectivity', () => {
  it('classifies pairs as changed, added and removed, and skips unchanged ones', () => {
    const old = snapshot(
      [A, B, C],
      [conn(w(A), w(B), tcp(7070)), conn(w(B), w(C), tcp(80)), conn(w(C), w(A), tcp(1))],
    );
    const next = snapshot(
      [A, B, C],
      [conn(w(A), w(B), tcp(8000)), conn(w(A), w(C), tcp(9555)), conn(w(C), w(A), tcp(1))],
    );
    expect(lines(old, next)).toEqual([
      'changed ns/a[Deployment] -> ns/b[Deployment]: TCP 7070 / TCP 8000',
      'added ns/a[Deployment] -> ns/c[Deployment]: No Connections / TCP 9555',
      'removed ns/b[Deployment] -> ns/c[Deployment]: TCP 80 / No Connections',
    ]);
  });

  it('compares connections as sets, whatever order the rows come in', () => {
    const rows = [
      conn(w(A), w(B), tcp(80)),
      conn(w(B), w(A), proto('UDP', 53)),
      conn(ext('0.0.0.0-255.255.255.255'), w(A), tcp(1, 65535)),
    ];
    expect(diffConnectivity(snapshot([A, B], rows), snapshot([A, B], [...rows].reverse())).entries).toEqual(
      [],
    );
  });

  it('names workloads that exist in one version only, never external ranges', () => {
    const old = snapshot([A, C], [conn(w(A), w(C), tcp(80))]);
    const next = snapshot(
      [A, B],
      [conn(w(A), w(B), tcp(80)), conn(ext('0.0.0.0-255.255.255.255'), w(B), ConnSet.ALL)],
    );
    expect(lines(old, next)).toEqual([
      'added 0.0.0.0-255.255.255.255[External] -> ns/b[Deployment]: No Connections / All Connections (workload ns/b[Deployment] added)',
      'added ns/a[Deployment] -> ns/b[Deployment]: No Connections / TCP 80 (workload ns/b[Deployment] added)',
      'removed ns/a[Deployment] -> ns/c[Deployment]: TCP 80 / No Connections (workload ns/c[Deployment] removed)',
    ]);
    const both = diffConnectivity(snapshot([], []), snapshot([A, B], [conn(w(A), w(B), tcp(80))]));
    expect(both.entries[0]?.info).toBe('workload ns/a[Deployment] and ns/b[Deployment] added');
    expect(both.addedWorkloads).toEqual([A, B]);
  });

  it('puts ingress-controller pairs after the others and never names the controller', () => {
    const old = snapshot([A, B], [conn(w(A), w(B), tcp(80))]);
    const next = snapshot(
      [A, B],
      [conn(w('{ingress-controller}'), w(A), tcp(8080)), conn(w(A), w(B), tcp(81))],
    );
    expect(lines(old, next)).toEqual([
      'changed ns/a[Deployment] -> ns/b[Deployment]: TCP 80 / TCP 81',
      'added {ingress-controller} -> ns/a[Deployment]: No Connections / TCP 8080',
    ]);
  });

  it('compares external ranges split differently per common piece', () => {
    const old = snapshot([A], [conn(ext('0.0.0.0-255.255.255.255'), w(A), tcp(80))]);
    const next = snapshot(
      [A],
      [
        conn(ext('0.0.0.0-9.255.255.255'), w(A), tcp(80)),
        conn(ext('11.0.0.0-255.255.255.255'), w(A), tcp(80)),
      ],
    );
    expect(lines(old, next)).toEqual([
      'removed 10.0.0.0-10.255.255.255[External] -> ns/a[Deployment]: TCP 80 / No Connections',
    ]);
  });

  it('merges touching pieces with the same change into one range, and keeps the others apart', () => {
    const old = snapshot(
      [A],
      [
        conn(w(A), ext('0.0.0.0-9.255.255.255'), proto('UDP', 53)),
        conn(w(A), ext('10.0.0.0-10.255.255.255'), proto('UDP', 53)),
        conn(w(A), ext('11.0.0.0-255.255.255.255'), tcp(443)),
      ],
    );
    const next = snapshot(
      [A],
      [
        conn(w(A), ext('0.0.0.0-172.20.255.255'), proto('TCP', 53)),
        conn(w(A), ext('172.21.0.0-255.255.255.255'), tcp(443)),
      ],
    );
    expect(lines(old, next)).toEqual([
      'changed ns/a[Deployment] -> 0.0.0.0-10.255.255.255[External]: UDP 53 / TCP 53',
      'changed ns/a[Deployment] -> 11.0.0.0-172.20.255.255[External]: TCP 443 / TCP 53',
    ]);
  });

  it('keeps sources and destinations of one workload apart', () => {
    const all = ext('0.0.0.0-255.255.255.255');
    const old = snapshot([A], [conn(all, w(A), tcp(80))]);
    const next = snapshot([A], [conn(w(A), all, tcp(80))]);
    expect(lines(old, next)).toEqual([
      'added ns/a[Deployment] -> 0.0.0.0-255.255.255.255[External]: No Connections / TCP 80',
      'removed 0.0.0.0-255.255.255.255[External] -> ns/a[Deployment]: TCP 80 / No Connections',
    ]);
  });

  it('never merges an IPv4 range with an IPv6 one', () => {
    const v6 = parseCidr('::/0')!.set.intervals[0]!;
    const v6End: DiffEndpoint = { id: 'v6', range: v6 };
    expect(v6.first).toBe(V6_OFFSET);
    const next = snapshot(
      [A],
      [conn(w(A), ext('0.0.0.0-255.255.255.255'), tcp(80)), conn(w(A), v6End, tcp(80))],
    );
    expect(lines(snapshot([A], []), next)).toEqual([
      'added ns/a[Deployment] -> 0.0.0.0-255.255.255.255[External]: No Connections / TCP 80',
      'added ns/a[Deployment] -> ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]: No Connections / TCP 80',
    ]);
  });
});

describe('opensConnections', () => {
  const base = snapshot([A, B], [conn(w(A), w(B), tcp(80, 81))]);
  it('is true for an added connection or a change that allows more', () => {
    expect(opensConnections(diffConnectivity(snapshot([A, B], []), base))).toBe(true);
    expect(opensConnections(diffConnectivity(base, snapshot([A, B], [conn(w(A), w(B), tcp(80, 82))])))).toBe(
      true,
    );
    expect(opensConnections(diffConnectivity(base, snapshot([A, B], [conn(w(A), w(B), tcp(82))])))).toBe(
      true,
    );
  });
  it('is false when connections are only removed or narrowed', () => {
    expect(opensConnections(diffConnectivity(base, snapshot([A, B], [])))).toBe(false);
    expect(opensConnections(diffConnectivity(base, snapshot([A, B], [conn(w(A), w(B), tcp(80))])))).toBe(
      false,
    );
    expect(opensConnections(diffConnectivity(base, base))).toBe(false);
  });
});
