/**
 * FlowRows for baseline tests: what the pipeline hands the baselines after enrichment. Defaults are
 * an answered HTTPS flow from a device to a US CDN; tests override only what matters to them.
 */
import type { FlowRow } from '../../src/store/store.js';

export const DAY = 86400;
export const HOUR = 3600;
/** Monday 2024-01-01 00:00 UTC. */
export const T0 = Date.UTC(2024, 0, 1) / 1000;

let uid = 0;

export function outFlow(device: string, ts: number, o: Partial<FlowRow> = {}): FlowRow {
  return {
    ts,
    uid: `C${uid++}`,
    communityId: '',
    proto: 'tcp',
    service: 'ssl',
    origH: '192.168.1.10',
    origP: 50000,
    respH: o.remoteIp ?? '93.184.216.34',
    respP: 443,
    origMac: device,
    respMac: '02:00:00:00:00:01',
    duration: 1,
    origBytes: 1000,
    respBytes: 5000,
    origPkts: 10,
    respPkts: 10,
    connState: 'SF',
    history: 'ShADadFf',
    device,
    direction: 'out',
    remoteIp: '93.184.216.34',
    remoteCountry: 'US',
    remoteAsn: 15133,
    remoteAsOrg: 'EDGECAST',
    remoteName: 'www.example.com',
    remoteDomain: 'example.com',
    ...o,
  };
}

/** Internet -> device (a port forward), accepted by default. */
export function inFlow(device: string, ts: number, o: Partial<FlowRow> = {}): FlowRow {
  return outFlow(device, ts, {
    service: '',
    origH: '203.0.113.9',
    origP: 40000,
    respH: '192.168.1.10',
    respP: 23,
    origMac: '02:00:00:00:00:01',
    respMac: device,
    direction: 'in',
    remoteIp: '203.0.113.9',
    remoteCountry: 'CN',
    remoteAsn: 4134,
    remoteAsOrg: 'CHINANET',
    remoteName: null,
    remoteDomain: null,
    ...o,
  });
}

/** LAN device `device` -> LAN device `responder`, accepted by default. */
export function localFlow(device: string, responder: string, ts: number, o: Partial<FlowRow> = {}): FlowRow {
  return outFlow(device, ts, {
    service: '',
    respH: '192.168.1.20',
    respP: 8009,
    respMac: responder,
    direction: 'local',
    remoteIp: '192.168.1.20',
    remoteCountry: null,
    remoteAsn: null,
    remoteAsOrg: null,
    remoteName: null,
    remoteDomain: null,
    ...o,
  });
}

/** A named-counter bag for the `counters` option. */
export function counterBag(): { counters: (name: string, n?: number) => void; get: (name: string) => number } {
  const m = new Map<string, number>();
  return {
    counters: (name, n = 1) => m.set(name, (m.get(name) ?? 0) + n),
    get: (name) => m.get(name) ?? 0,
  };
}
