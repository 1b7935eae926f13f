/**
 * Service names for ports: a built-in table weighted toward what a home/IoT/ICS network runs
 * (MQTT, CoAP, RTSP, Tuya, TP-Link, Cast, Modbus, DNP3, BACnet …), then `/etc/services` for the
 * rest (read once, on the first port the table does not know). Built-in names win: they are the
 * names alerts use (`dns`, not IANA's `domain`; `smb`, not `microsoft-ds`).
 */
import { readFileSync } from 'node:fs';

export type PortProto = 'tcp' | 'udp';

/** [port, name, protocols]: 'b' both, 't' TCP only, 'u' UDP only. */
const BUILTIN: ReadonlyArray<readonly [number, string, 'b' | 't' | 'u']> = [
  [7, 'echo', 'b'],
  [19, 'chargen', 'b'],
  [20, 'ftp-data', 't'],
  [21, 'ftp', 't'],
  [22, 'ssh', 't'],
  [23, 'telnet', 't'],
  [25, 'smtp', 't'],
  [53, 'dns', 'b'],
  [67, 'dhcp', 'u'],
  [68, 'dhcp-client', 'u'],
  [69, 'tftp', 'u'],
  [80, 'http', 't'],
  [88, 'kerberos', 'b'],
  [102, 's7comm', 't'],
  [110, 'pop3', 't'],
  [111, 'sunrpc', 'b'],
  [123, 'ntp', 'u'],
  [135, 'msrpc', 't'],
  [137, 'netbios-ns', 'u'],
  [138, 'netbios-dgm', 'u'],
  [139, 'netbios-ssn', 't'],
  [143, 'imap', 't'],
  [161, 'snmp', 'u'],
  [162, 'snmp-trap', 'u'],
  [179, 'bgp', 't'],
  [389, 'ldap', 'b'],
  [443, 'https', 't'],
  [443, 'quic', 'u'],
  [445, 'smb', 't'],
  [465, 'smtps', 't'],
  [500, 'isakmp', 'u'],
  [502, 'modbus', 't'],
  [514, 'syslog', 'u'],
  [515, 'lpd', 't'],
  [520, 'rip', 'u'],
  [546, 'dhcpv6-client', 'u'],
  [547, 'dhcpv6', 'u'],
  [548, 'afp', 't'],
  [554, 'rtsp', 'b'],
  [587, 'submission', 't'],
  [631, 'ipp', 't'],
  [636, 'ldaps', 't'],
  [853, 'dns-over-tls', 'b'],
  [873, 'rsync', 't'],
  [993, 'imaps', 't'],
  [995, 'pop3s', 't'],
  [1080, 'socks', 't'],
  [1194, 'openvpn', 'b'],
  [1400, 'sonos', 't'],
  [1433, 'mssql', 't'],
  [1701, 'l2tp', 'u'],
  [1723, 'pptp', 't'],
  [1812, 'radius', 'u'],
  [1813, 'radius-acct', 'u'],
  [1883, 'mqtt', 't'],
  [1900, 'ssdp', 'u'],
  [1911, 'niagara-fox', 't'],
  [2049, 'nfs', 'b'],
  [2222, 'ethernet-ip-io', 'u'],
  [2323, 'telnet', 't'],
  [2375, 'docker', 't'],
  [2376, 'docker-tls', 't'],
  [2404, 'iec-104', 't'],
  [3128, 'http-proxy', 't'],
  [3306, 'mysql', 't'],
  [3389, 'rdp', 'b'],
  [3478, 'stun', 'b'],
  [3689, 'daap', 't'],
  [3702, 'ws-discovery', 'u'],
  [4070, 'spotify-connect', 't'],
  [4500, 'ipsec-nat-t', 'u'],
  [4789, 'vxlan', 'u'],
  [4840, 'opc-ua', 't'],
  [5060, 'sip', 'b'],
  [5061, 'sips', 't'],
  [5222, 'xmpp', 't'],
  [5228, 'google-fcm', 't'],
  [5351, 'nat-pmp', 'u'],
  [5353, 'mdns', 'u'],
  [5355, 'llmnr', 'u'],
  [5432, 'postgresql', 't'],
  [5555, 'adb', 't'],
  [5683, 'coap', 'u'],
  [5684, 'coaps', 'u'],
  [5900, 'vnc', 't'],
  [5938, 'teamviewer', 'b'],
  [6053, 'esphome', 't'],
  [6379, 'redis', 't'],
  [6666, 'tuya-discovery', 'u'],
  [6667, 'tuya-discovery', 'u'],
  [6668, 'tuya', 't'],
  [6881, 'bittorrent', 'b'],
  [7000, 'airplay', 't'],
  [7547, 'tr-069', 't'],
  [8008, 'http-alt', 't'],
  [8009, 'googlecast', 't'],
  [8080, 'http-alt', 't'],
  [8123, 'home-assistant', 't'],
  [8291, 'winbox', 't'],
  [8443, 'https-alt', 't'],
  [8554, 'rtsp-alt', 't'],
  [8728, 'mikrotik-api', 't'],
  [8883, 'mqtts', 't'],
  [8888, 'http-alt', 't'],
  [9001, 'tor', 't'],
  [9050, 'tor-socks', 't'],
  [9100, 'jetdirect', 't'],
  [9200, 'elasticsearch', 't'],
  [9600, 'omron-fins', 'u'],
  [9999, 'tplink-shp', 'b'],
  [10001, 'ubiquiti-discovery', 'u'],
  [11211, 'memcached', 'b'],
  [18245, 'ge-srtp', 't'],
  [20000, 'dnp3', 'b'],
  [27017, 'mongodb', 't'],
  [32400, 'plex', 't'],
  [34567, 'xmeye-dvr', 't'],
  [37777, 'dahua-dvr', 't'],
  [44818, 'ethernet-ip', 'b'],
  [47808, 'bacnet', 'u'],
  [51820, 'wireguard', 'u'],
  [56700, 'lifx', 'u'],
  [62078, 'iphone-sync', 't'],
];

export interface ServiceTable {
  readonly tcp: Map<number, string>;
  readonly udp: Map<number, string>;
}

function builtinTable(): ServiceTable {
  const t: ServiceTable = { tcp: new Map(), udp: new Map() };
  for (const [port, name, p] of BUILTIN) {
    if (p !== 'u') t.tcp.set(port, name);
    if (p !== 't') t.udp.set(port, name);
  }
  return t;
}

const builtin = builtinTable();

/** Number of built-in (proto, port) names, for tests and docs. */
export const BUILTIN_SERVICE_COUNT = builtin.tcp.size + builtin.udp.size;

/**
 * Parses `/etc/services` text: `name port/proto [aliases] [# comment]`. The first name given for
 * a (proto, port) wins, as getservbyport does. Malformed lines are skipped.
 */
export function parseServices(text: string): ServiceTable {
  const t: ServiceTable = { tcp: new Map(), udp: new Map() };
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') continue;
    const m = /^(\S+)\s+(\d{1,5})\/(tcp|udp)\b/.exec(line);
    if (m === null) continue;
    const port = Number(m[2]);
    if (port > 65535) continue;
    const map = m[3] === 'tcp' ? t.tcp : t.udp;
    if (!map.has(port)) map.set(port, m[1]);
  }
  return t;
}

let system: ServiceTable | null = null;
let systemPath = '/etc/services';

function systemTable(): ServiceTable {
  if (system === null) {
    try {
      system = parseServices(readFileSync(systemPath, 'latin1'));
    } catch {
      // No /etc/services (minimal containers): the built-in table is all we have.
      system = { tcp: new Map(), udp: new Map() };
    }
  }
  return system;
}

/** Uses another services file (tests; systems that keep it elsewhere). Re-read lazily. */
export function useServicesFile(path: string): void {
  systemPath = path;
  system = null;
}

/** Name of the service on `port`, or null. */
export function serviceName(proto: PortProto, port: number): string | null {
  const b = (proto === 'tcp' ? builtin.tcp : builtin.udp).get(port);
  if (b !== undefined) return b;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  const s = systemTable();
  return (proto === 'tcp' ? s.tcp : s.udp).get(port) ?? null;
}
