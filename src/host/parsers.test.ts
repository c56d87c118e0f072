// What the host adapters read from conntrack and nft monitor.

import { describe, expect, it } from 'vitest';
import { formatAddress } from '../core/model/address-set.js';
import { parseConntrackLine } from './conntrack.js';
import { touchesTable } from './nft-monitor.js';

describe('parseConntrackLine', () => {
  it('reads the original and reply tuples of TCP and UDP entries', () => {
    const tcp = parseConntrackLine(
      'tcp      6 431999 ESTABLISHED src=192.0.2.9 dst=198.51.100.1 sport=40000 dport=8080 src=10.1.0.3 dst=192.0.2.9 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    )!;
    expect(formatAddress(tcp.src)).toBe('192.0.2.9');
    expect(formatAddress(tcp.dst)).toBe('198.51.100.1');
    expect(formatAddress(tcp.replySrc)).toBe('10.1.0.3');
    expect(tcp).toMatchObject({ protocol: 6, sport: 40000, dport: 8080, replySport: 80 });
    const udp = parseConntrackLine(
      'udp      17 29 src=fd00::2 dst=fd00::3 sport=5353 dport=53 [UNREPLIED] src=fd00::3 dst=fd00::2 sport=53 dport=5353 mark=0 use=1',
    )!;
    expect(udp).toMatchObject({ protocol: 17, dport: 53, replySport: 53 });
    expect(formatAddress(udp.replySrc)).toBe('fd00::3');
  });

  it('reads ICMP without ports and skips what is not an entry', () => {
    const icmp = parseConntrackLine(
      'icmp     1 29 src=10.1.0.2 dst=10.1.0.3 type=8 code=0 id=7 src=10.1.0.3 dst=10.1.0.2 type=0 code=0 id=7 mark=0 use=1',
    )!;
    expect(icmp.protocol).toBe(1);
    expect(icmp.dport).toBeUndefined();
    expect(
      parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.'),
    ).toBeUndefined();
    expect(parseConntrackLine('')).toBeUndefined();
    expect(
      parseConntrackLine(
        'tcp 6 10 ESTABLISHED src=1.1.1.300 dst=1.1.1.1 sport=1 dport=2 src=1.1.1.1 dst=1.1.1.300',
      ),
    ).toBeUndefined();
  });
});

describe('touchesTable', () => {
  it('matches our table by whole name only', () => {
    const change = (line: string) => ({ lines: [line], pid: 1, process: 'nft' });
    expect(touchesTable(change('delete rule inet bulkhead forward handle 4'), 'bulkhead')).toBe(true);
    expect(touchesTable(change('delete table inet bulkhead'), 'bulkhead')).toBe(true);
    expect(touchesTable(change('add rule inet bulkhead2 forward drop'), 'bulkhead')).toBe(false);
    expect(touchesTable(change('add rule ip filter FORWARD counter'), 'bulkhead')).toBe(false);
  });
});
