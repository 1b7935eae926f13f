/**
 * Converts between the Store's row types and SQLite columns. Every conversion is lossless: a
 * value the compact encodings do not cover is stored as it came (SQLite columns without a type
 * keep text or integers alike).
 */
import type { Device, DeviceAddress, DeviceName } from '../../device/device.js';
import type { EvidenceValue, Severity } from '../../alert/alert.js';
import { SEVERITIES } from '../../alert/alert.js';
import type { BaselineItem, Direction, DnsRow, FlowRow, StoredAlert } from '../store.js';

// ---- MAC addresses -------------------------------------------------------------------------

const HEX = '0123456789abcdef';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** `aa:bb:cc:dd:ee:ff` (lower case) as a 48-bit integer; anything else unchanged (null stays null). */
export function macToDb(mac: string | null): string | number | null {
  if (mac === null || mac.length !== 17) return mac;
  let v = 0;
  for (let i = 0; i < 17; i += 3) {
    const hi = hexVal(mac.charCodeAt(i));
    const lo = hexVal(mac.charCodeAt(i + 1));
    if (hi < 0 || lo < 0 || (i < 15 && mac.charCodeAt(i + 2) !== 58)) return mac;
    v = v * 256 + hi * 16 + lo;
  }
  return v;
}

export function macFromDb(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  let n = Number(v);
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const b = n % 256;
    n = (n - b) / 256;
    s = HEX[b >> 4] + HEX[b & 15] + (i < 5 ? ':' : '') + s;
  }
  return s;
}

// ---- flows -----------------------------------------------------------------------------------

const DIRECTIONS: readonly Direction[] = ['out', 'in', 'local', 'external'];

function usualRemote(direction: Direction, origH: string, respH: string): string {
  return direction === 'in' ? origH : respH;
}

/** Column order of the flows insert statement after `id` (sqlite-store.ts). */
export const FLOW_COLUMNS =
  'ts, uid, community_id, proto, service, orig_h, orig_p, resp_h, resp_p, orig_mac, resp_mac, duration, ' +
  'orig_bytes, resp_bytes, orig_pkts, resp_pkts, conn_state, history, device, direction, remote_ip, ' +
  'remote_country, remote_asn, remote_as_org, remote_name, remote_domain';

export type SqlValue = string | number | null;

export function flowParams(id: number, r: FlowRow): SqlValue[] {
  return [
    id, r.ts, r.uid, r.communityId, r.proto, r.service, r.origH, r.origP, r.respH, r.respP,
    macToDb(r.origMac), macToDb(r.respMac), r.duration, r.origBytes, r.respBytes, r.origPkts, r.respPkts,
    r.connState, r.history, macToDb(r.device), DIRECTIONS.indexOf(r.direction),
    r.remoteIp === usualRemote(r.direction, r.origH, r.respH) ? null : r.remoteIp,
    r.remoteCountry, r.remoteAsn, r.remoteAsOrg, r.remoteName, r.remoteDomain,
  ];
}

export interface FlowDbRow {
  ts: number; uid: string; community_id: string; proto: string; service: string; orig_h: string;
  orig_p: number; resp_h: string; resp_p: number; orig_mac: unknown; resp_mac: unknown;
  duration: number; orig_bytes: number; resp_bytes: number; orig_pkts: number; resp_pkts: number;
  conn_state: string; history: string; device: unknown; direction: number; remote_ip: string | null;
  remote_country: string | null; remote_asn: number | null; remote_as_org: string | null;
  remote_name: string | null; remote_domain: string | null;
}

export function flowFromDb(d: FlowDbRow): FlowRow {
  const direction = DIRECTIONS[d.direction] ?? 'external';
  return {
    ts: d.ts, uid: d.uid, communityId: d.community_id, proto: d.proto, service: d.service,
    origH: d.orig_h, origP: d.orig_p, respH: d.resp_h, respP: d.resp_p,
    origMac: macFromDb(d.orig_mac) ?? '', respMac: macFromDb(d.resp_mac) ?? '',
    duration: d.duration, origBytes: d.orig_bytes, respBytes: d.resp_bytes,
    origPkts: d.orig_pkts, respPkts: d.resp_pkts, connState: d.conn_state, history: d.history,
    device: macFromDb(d.device), direction,
    remoteIp: d.remote_ip ?? usualRemote(direction, d.orig_h, d.resp_h),
    remoteCountry: d.remote_country, remoteAsn: d.remote_asn, remoteAsOrg: d.remote_as_org,
    remoteName: d.remote_name, remoteDomain: d.remote_domain,
  };
}

// ---- dns -------------------------------------------------------------------------------------

export const DNS_COLUMNS = 'ts, uid, client, server, device, query, qtype, rcode, answers';

export function dnsParams(id: number, r: DnsRow): SqlValue[] {
  return [id, r.ts, r.uid, r.client, r.server, macToDb(r.device), r.query, r.qtype, r.rcode, JSON.stringify(r.answers)];
}

export interface DnsDbRow {
  ts: number; uid: string; client: string; server: string; device: unknown; query: string;
  qtype: string; rcode: string; answers: string;
}

export function dnsFromDb(d: DnsDbRow): DnsRow {
  return {
    ts: d.ts, uid: d.uid, client: d.client, server: d.server, device: macFromDb(d.device),
    query: d.query, qtype: d.qtype, rcode: d.rcode, answers: parseJson<string[]>(d.answers, []),
  };
}

// ---- devices ---------------------------------------------------------------------------------

export const DEVICE_COLUMNS =
  'mac, first_seen, last_seen, vendor, randomized, addresses, names, dhcp_hostname, dhcp_fqdn, ' +
  'dhcp_vendor_class, dhcp_client_id, dhcp_param_list, mdns_services, ssdp_servers, type, ' +
  'type_evidence, label, same_as';

export function deviceParams(d: Device): SqlValue[] {
  return [
    d.mac, d.firstSeen, d.lastSeen, d.vendor, d.randomized ? 1 : 0, JSON.stringify(d.addresses),
    JSON.stringify(d.names), d.dhcp.hostname, d.dhcp.fqdn, d.dhcp.vendorClass, d.dhcp.clientId,
    d.dhcp.paramList, JSON.stringify(d.mdnsServices), JSON.stringify(d.ssdpServers), d.type,
    JSON.stringify(d.typeEvidence), d.label, d.sameAs,
  ];
}

export interface DeviceDbRow {
  mac: string; first_seen: number; last_seen: number; vendor: string | null; randomized: number;
  addresses: string; names: string; dhcp_hostname: string | null; dhcp_fqdn: string | null;
  dhcp_vendor_class: string | null; dhcp_client_id: string | null; dhcp_param_list: string | null;
  mdns_services: string; ssdp_servers: string; type: string | null; type_evidence: string;
  label: string | null; same_as: string | null;
}

export function deviceFromDb(d: DeviceDbRow): Device {
  return {
    mac: d.mac, firstSeen: d.first_seen, lastSeen: d.last_seen, vendor: d.vendor,
    randomized: d.randomized !== 0,
    addresses: parseJson<DeviceAddress[]>(d.addresses, []),
    names: parseJson<DeviceName[]>(d.names, []),
    dhcp: {
      hostname: d.dhcp_hostname, fqdn: d.dhcp_fqdn, vendorClass: d.dhcp_vendor_class,
      clientId: d.dhcp_client_id, paramList: d.dhcp_param_list,
    },
    mdnsServices: parseJson<string[]>(d.mdns_services, []),
    ssdpServers: parseJson<string[]>(d.ssdp_servers, []),
    type: d.type, typeEvidence: parseJson<string[]>(d.type_evidence, []), label: d.label, sameAs: d.same_as,
  };
}

// ---- alerts ----------------------------------------------------------------------------------

export function severityRank(s: Severity): number {
  const i = SEVERITIES.indexOf(s);
  return i < 0 ? 0 : i;
}

export interface AlertDbRow {
  id: number; key: string; code: string; severity: number; device: string | null; summary: string;
  evidence: string; status: string; count: number; first_ts: number; last_ts: number;
  closed_ts: number | null; closed_reason: string | null;
}

export function alertFromDb(d: AlertDbRow): StoredAlert {
  return {
    id: d.id, ts: d.first_ts, code: d.code, severity: SEVERITIES[d.severity] ?? 'info', device: d.device,
    summary: d.summary, evidence: parseJson<Record<string, EvidenceValue>>(d.evidence, {}), key: d.key,
    status: d.status === 'closed' ? 'closed' : 'open', count: d.count, firstTs: d.first_ts,
    lastTs: d.last_ts, closedTs: d.closed_ts, closedReason: d.closed_reason,
  };
}

// ---- baseline --------------------------------------------------------------------------------

export interface BaselineItemDbRow {
  device: string; kind: string; value: string; first_seen: number; last_seen: number; count: number; state: string;
}

export function baselineItemFromDb(d: BaselineItemDbRow): BaselineItem {
  return {
    device: d.device, kind: d.kind as BaselineItem['kind'], value: d.value, firstSeen: d.first_seen,
    lastSeen: d.last_seen, count: d.count, state: d.state as BaselineItem['state'],
  };
}

/** A damaged JSON column must not make a whole read fail; it reads as empty. */
function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
