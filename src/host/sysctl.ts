// Kernel settings the agent depends on, read from /proc/sys.

import { readFile } from 'node:fs/promises';

export interface BridgeFilterStatus {
  /** net.bridge.bridge-nf-call-iptables: bridged IPv4 packets pass the inet/ip forward hook. */
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  /** Absent when the br_netfilter module is not loaded (the files do not exist). */
  readonly loaded: boolean;
}

/**
 * Whether traffic between containers on the same Docker bridge reaches our forward hook. Without br_netfilter
 * (or with bridge-nf-call-iptables=0) such packets are switched by the bridge and never filtered by any table.
 */
export async function bridgeFilterStatus(procSys = '/proc/sys'): Promise<BridgeFilterStatus> {
  const read = async (name: string): Promise<boolean | undefined> => {
    try {
      return (await readFile(`${procSys}/net/bridge/${name}`, 'utf8')).trim() === '1';
    } catch {
      return undefined;
    }
  };
  const ipv4 = await read('bridge-nf-call-iptables');
  const ipv6 = await read('bridge-nf-call-ip6tables');
  return { ipv4: ipv4 === true, ipv6: ipv6 === true, loaded: ipv4 !== undefined };
}

export const BRIDGE_FILTER_HINT =
  'Traffic between containers on the same Docker network is not filtered. Run: modprobe br_netfilter && ' +
  'sysctl -w net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 ' +
  '(and add both to /etc/sysctl.d/ and br_netfilter to /etc/modules-load.d/ to keep them after a reboot).';
