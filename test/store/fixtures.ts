/**
 * Row builders shared by the store tests and the crash child: realistic values, every field set.
 */
import type { Alert } from '../../src/alert/alert.js';
import type { Device } from '../../src/device/device.js';
import type { BaselineItem, DnsRow, FlowRow } from '../../src/store/store.js';

/** A packet time in 2024, on an hour boundary (rollup hours are easy to read). */
export const T0 = 1_717_200_000;
export const DAY = 86_400;

export function flowRow(over: Partial<FlowRow> = {}): FlowRow {
  return {
    ts: T0, uid: 'CAbcdEfghIjklMnop1', communityId: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', proto: 'tcp', service: 'ssl',
    origH: '192.168.1.20', origP: 51000, respH: '142.250.74.46', respP: 443,
    origMac: 'aa:bb:cc:00:00:01', respMac: '00:11:22:33:44:55', duration: 1.25, origBytes: 1200,
    respBytes: 48_000, origPkts: 14, respPkts: 40, connState: 'SF', history: 'ShADadFf',
    device: 'aa:bb:cc:00:00:01', direction: 'out', remoteIp: '142.250.74.46', remoteCountry: 'US',
    remoteAsn: 15169, remoteAsOrg: 'GOOGLE', remoteName: 'www.youtube.com', remoteDomain: 'youtube.com',
    ...over,
  };
}

export function dnsRow(over: Partial<DnsRow> = {}): DnsRow {
  return {
    ts: T0, uid: 'CDns0000000000001', client: '192.168.1.20', server: '192.168.1.1', device: 'aa:bb:cc:00:00:01',
    query: 'www.example.com', qtype: 'A', rcode: 'NOERROR', answers: ['93.184.216.34'], ...over,
  };
}

export function device(over: Partial<Device> = {}): Device {
  return {
    mac: 'aa:bb:cc:00:00:01', firstSeen: T0, lastSeen: T0 + 60, vendor: 'Google, Inc.', randomized: false,
    addresses: [
      { ip: '192.168.1.20', firstSeen: T0, lastSeen: T0 + 60 },
      { ip: 'fe80::1234:5678:9abc:def0', firstSeen: T0 + 5, lastSeen: T0 + 50 },
    ],
    names: [
      { source: 'dhcp', name: 'living-room-tv', ts: T0 },
      { source: 'mdns', name: 'Living Room TV._googlecast._tcp.local', ts: T0 + 3 },
    ],
    dhcp: { hostname: 'living-room-tv', fqdn: 'living-room-tv.lan', vendorClass: 'android-dhcp-13', clientId: '01aabbcc000001', paramList: '1,3,6,15,26,28,51,58,59,43' },
    mdnsServices: ['_googlecast._tcp.local'], ssdpServers: ['Linux/5.4 UPnP/1.0 Cast/1.0'],
    type: 'tv', typeEvidence: ['vendor Google', 'mDNS _googlecast'], label: null, sameAs: null,
    ...over,
  };
}

export function alert(over: Partial<Alert> = {}): Alert {
  return {
    ts: T0, code: 'baseline.new_country', severity: 'medium', device: 'aa:bb:cc:00:00:01',
    summary: 'Living-room TV talked to Russia for the first time.',
    evidence: { country: 'RU', bytes: 1234, first: true, ips: ['95.213.1.1', '95.213.1.2'], note: null },
    key: 'baseline.new_country|aa:bb:cc:00:00:01|RU', ...over,
  };
}

export function item(over: Partial<BaselineItem> = {}): BaselineItem {
  return { device: 'aa:bb:cc:00:00:01', kind: 'country', value: 'US', firstSeen: T0, lastSeen: T0 + 10, count: 3, state: 'learned', ...over };
}

/** Flow n of the crash test has ts = CRASH_BASE_TS + n (crash-child.ts). */
export const CRASH_BASE_TS = 1_700_000_000;
