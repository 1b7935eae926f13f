/**
 * Network interfaces as Linux shows them in /sys/class/net and /proc/net: which exist, which is
 * the default route's, whether a link is up or promiscuous, and the kernel's per-interface
 * counters. Plain file reads (no netlink, no native code), so an unprivileged Vigil can do them.
 *
 * Both trees are per network namespace of the reader (sysfs as mounted, /proc/net as the process
 * sees it), which is what the tests rely on when they run Vigil inside a namespace.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SYS_NET = '/sys/class/net';

/** Interface flags (linux/if.h) as /sys/class/net/IF/flags shows them. */
export const IFF_UP = 0x1;
export const IFF_LOOPBACK = 0x8;
export const IFF_PROMISC = 0x100;

export interface InterfaceInfo {
  readonly name: string;
  /** Hardware address as aa:bb:cc:dd:ee:ff, or null for interfaces without one. */
  readonly mac: string | null;
  readonly flags: number;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Carrier present / operstate up: frames can actually arrive. */
  readonly linkUp: boolean;
  readonly promisc: boolean;
  readonly loopback: boolean;
  /** The kernel's operstate: up, down, dormant, unknown (loopback, tun) … */
  readonly operstate: string;
}

/** Per-interface receive counters from /sys/class/net/IF/statistics. */
export interface InterfaceCounters {
  readonly rxPackets: number;
  readonly rxDropped: number;
}

/**
 * Whether `name` can be an interface name (the kernel's dev_valid_name: at most 15 bytes, no
 * slash, colon or space, not . or ..).
 * Names end up in /sys paths and on the helper's command line, so this guard comes first.
 */
export function isValidInterfaceName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && name !== '.' && name !== '..' && !/[/\s:\0]/.test(name);
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function readNumber(path: string): number | null {
  const t = readText(path);
  if (t === null || t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** Names of the interfaces in this network namespace, sorted. */
export function interfaceNames(): string[] {
  try {
    return readdirSync(SYS_NET).filter(isValidInterfaceName).sort();
  } catch {
    return [];
  }
}

export function interfaceExists(name: string): boolean {
  return isValidInterfaceName(name) && existsSync(join(SYS_NET, name));
}

/** What the kernel says about one interface, or null when it does not exist. */
export function interfaceInfo(name: string): InterfaceInfo | null {
  if (!isValidInterfaceName(name)) return null;
  const dir = join(SYS_NET, name);
  const flagsText = readText(join(dir, 'flags'));
  if (flagsText === null) return null;
  const flags = Number.parseInt(flagsText, 16) || 0;
  const operstate = readText(join(dir, 'operstate')) ?? 'unknown';
  // `carrier` is unreadable (EINVAL) while the interface is down: treat that as no carrier.
  const carrier = readNumber(join(dir, 'carrier'));
  const mac = readText(join(dir, 'address'));
  const up = (flags & IFF_UP) !== 0;
  return {
    name,
    mac: mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) ? mac : null,
    flags,
    up,
    // Loopback and tun report operstate "unknown" while they work; carrier says it for them.
    linkUp: up && (operstate === 'up' || (operstate === 'unknown' && carrier === 1)),
    promisc: (flags & IFF_PROMISC) !== 0,
    loopback: (flags & IFF_LOOPBACK) !== 0,
    operstate,
  };
}

export function listInterfaces(): InterfaceInfo[] {
  const out: InterfaceInfo[] = [];
  for (const n of interfaceNames()) {
    const i = interfaceInfo(n);
    if (i) out.push(i);
  }
  return out;
}

/** Receive counters of one interface, or null when it is gone. */
export function interfaceCounters(name: string): InterfaceCounters | null {
  if (!isValidInterfaceName(name)) return null;
  const dir = join(SYS_NET, name, 'statistics');
  const rxPackets = readNumber(join(dir, 'rx_packets'));
  const rxDropped = readNumber(join(dir, 'rx_dropped'));
  if (rxPackets === null || rxDropped === null) return null;
  return { rxPackets, rxDropped };
}

/**
 * The interface of the IPv4 default route in a /proc/net/route table (lowest metric wins), or
 * null. Exported with the table as text so the choice is testable without touching routes.
 */
export function defaultRouteFromTable(table: string): string | null {
  let best: string | null = null;
  let bestMetric = Infinity;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, , flags, , , metric, mask] = f;
    // RTF_UP (0x1) and destination/mask 0.0.0.0/0.
    if (dest !== '00000000' || mask !== '00000000' || (Number.parseInt(flags, 16) & 1) === 0) continue;
    const m = Number(metric);
    if (m < bestMetric) {
      best = iface;
      bestMetric = m;
    }
  }
  return best;
}

/** The interface of the IPv6 default route in a /proc/net/ipv6_route table, or null. */
export function defaultRouteFromIpv6Table(table: string): string | null {
  let best: string | null = null;
  let bestMetric = Infinity;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest, plen, , , , metricHex, , , flagsHex, iface] = f;
    if (dest !== '0'.repeat(32) || plen !== '00' || iface === 'lo') continue;
    // RTF_UP set, RTF_REJECT (0x200, an "unreachable" route) not.
    const flags = Number.parseInt(flagsHex, 16);
    if ((flags & 1) === 0 || (flags & 0x200) !== 0) continue;
    const m = Number.parseInt(metricHex, 16);
    if (m < bestMetric) {
      best = iface;
      bestMetric = m;
    }
  }
  return best;
}

/**
 * The interface Vigil captures on when none is given: the default route's (IPv4, then IPv6),
 * else the first interface that is up and not loopback, else null.
 */
export function defaultInterface(): string | null {
  const v4 = readText('/proc/net/route');
  const r4 = v4 ? defaultRouteFromTable(v4) : null;
  if (r4 && interfaceExists(r4)) return r4;
  const v6 = readText('/proc/net/ipv6_route');
  const r6 = v6 ? defaultRouteFromIpv6Table(v6) : null;
  if (r6 && interfaceExists(r6)) return r6;
  for (const i of listInterfaces()) if (i.up && !i.loopback) return i.name;
  return null;
}
