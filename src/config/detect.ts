/**
 * The `detect.*` settings: one block per detector under `src/detect/`, each with its defaults and
 * the rule that checks it. Kept apart from schema.ts (which spreads these in) so each detector's
 * thresholds sit together; every key is documented in docs/CONFIG.md and vigil.example.yaml.
 */
import type { Rule } from './schema.js';

export interface DetectConfig {
  /** All detectors on or off. */
  enabled: boolean;
  /** Detectors turned off, by name (`portscan`, `bruteforce`, … see `vigil analyze --help`). */
  disabled: string[];
  /** Tracked keys (sources, pairs, devices) per detector; the oldest go first beyond it (counted). */
  maxTracked: number;
  portscan: {
    /** Distinct ports of one host probed by one source (vertical scan). */
    ports: number;
    /** Distinct hosts probed on one port by one source (horizontal scan). */
    hosts: number;
    windowSeconds: number;
  };
  bruteforce: {
    /** Failed logins (or short sessions) from one source to one service. */
    failures: number;
    windowSeconds: number;
  };
  propagation: {
    /** Distinct addresses a LAN device connects to on telnet/IoT exploit ports. */
    hosts: number;
    windowSeconds: number;
  };
  flood: {
    /** Packets a device sends to one victim within the window. */
    packets: number;
    /** Connection attempts (SYN/UDP/ICMP flows) a device opens to one victim within the window. */
    flows: number;
    windowSeconds: number;
  };
  beacon: {
    /** Connections from a device to one destination before it is scored. */
    minConnections: number;
    /** Time the connections must span. */
    minSpanSeconds: number;
    /** Score (0-1, RITA's model) at which a beacon is reported. */
    score: number;
  };
  dnsTunnel: {
    /** A query label at least this long and random-looking counts as encoded data. */
    labelLength: number;
    /** Distinct subdomains under one parent domain from one device within the window. */
    subdomains: number;
    /** NXDOMAIN answers to one device within the window (DGA). */
    nxdomains: number;
    windowSeconds: number;
  };
  exfil: {
    /** Bytes uploaded by a device to one outside address within the window, whatever it learned. */
    bytes: number;
    /** Upload above this many times the device's learned hourly upload. */
    factor: number;
    windowSeconds: number;
  };
  arpSpoof: {
    /** Addresses one MAC may claim before it looks like a poisoner (routers are exempt). */
    ipsPerMac: number;
    /** Gratuitous ARP replies from one MAC per minute (storm). */
    gratuitousPerMinute: number;
  };
  rogueDhcp: {
    /** DHCP servers allowed (MAC or IP); empty = the first server seen is the known one. */
    servers: string[];
  };
}

export const DETECT_DEFAULTS: DetectConfig = {
  enabled: true,
  disabled: [],
  maxTracked: 16_384,
  portscan: { ports: 20, hosts: 25, windowSeconds: 300 },
  bruteforce: { failures: 10, windowSeconds: 600 },
  propagation: { hosts: 20, windowSeconds: 300 },
  flood: { packets: 10_000, flows: 1_000, windowSeconds: 60 },
  beacon: { minConnections: 20, minSpanSeconds: 3600, score: 0.85 },
  dnsTunnel: { labelLength: 40, subdomains: 100, nxdomains: 50, windowSeconds: 600 },
  exfil: { bytes: 500_000_000, factor: 20, windowSeconds: 3600 },
  arpSpoof: { ipsPerMac: 8, gratuitousPerMinute: 30 },
  rogueDhcp: { servers: [] },
};

const seconds: Rule = { kind: 'number', min: 1, max: 7 * 86400 };
const count: Rule = { kind: 'number', min: 1, max: 100_000_000, integer: true };

export const DETECT_RULES: Record<string, Rule> = {
  'detect.enabled': { kind: 'boolean' },
  'detect.disabled': { kind: 'list', max: 100 },
  'detect.maxTracked': { kind: 'number', min: 16, max: 10_000_000, integer: true },
  'detect.portscan.ports': count,
  'detect.portscan.hosts': count,
  'detect.portscan.windowSeconds': seconds,
  'detect.bruteforce.failures': count,
  'detect.bruteforce.windowSeconds': seconds,
  'detect.propagation.hosts': count,
  'detect.propagation.windowSeconds': seconds,
  'detect.flood.packets': count,
  'detect.flood.flows': count,
  'detect.flood.windowSeconds': seconds,
  'detect.beacon.minConnections': { kind: 'number', min: 4, max: 1_000_000, integer: true },
  'detect.beacon.minSpanSeconds': seconds,
  'detect.beacon.score': { kind: 'number', min: 0, max: 1 },
  'detect.dnsTunnel.labelLength': { kind: 'number', min: 8, max: 63, integer: true },
  'detect.dnsTunnel.subdomains': count,
  'detect.dnsTunnel.nxdomains': count,
  'detect.dnsTunnel.windowSeconds': seconds,
  'detect.exfil.bytes': { kind: 'number', min: 1024, max: 1e13 },
  'detect.exfil.factor': { kind: 'number', min: 1, max: 1_000_000 },
  'detect.exfil.windowSeconds': seconds,
  'detect.arpSpoof.ipsPerMac': count,
  'detect.arpSpoof.gratuitousPerMinute': count,
  'detect.rogueDhcp.servers': { kind: 'list', max: 64 },
};
