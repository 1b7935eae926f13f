/**
 * Every configuration key Vigil reads, with its default, in one place (DESIGN: "one schema with
 * every default; validated once at start, fail fast"). The config file is YAML; every key is
 * optional. A key that is not listed here is an error (a typo must not silently fall back to a
 * default), and so is a value of the wrong type or out of range.
 */
import { DETECT_DEFAULTS, DETECT_RULES, type DetectConfig } from './detect.js';

export interface CaptureConfig {
  /** Interface to capture on; `auto` = the interface of the default route. */
  interface: string;
  /** BPF filter for the helper, '' for none. */
  bpf: string;
  snaplen: number;
  helper: 'tcpdump' | 'dumpcap';
  /** Path of the helper binary; '' = the privileged copy from scripts/install-capture.sh, else PATH. */
  helperPath: string;
}

export interface StoreConfig {
  flowsDays: number;
  dnsDays: number;
  alertsDays: number;
  /** Size cap of the database file in MB: the oldest flows and DNS rows go first. */
  maxMB: number;
  /** Individual flow rows kept per second (token bucket); flows over it still count in hourly rollups. */
  flowRowsPerSecond: number;
  flowRowsBurst: number;
  /** DNS rows kept per second (token bucket); identical queries within a minute are kept once. */
  dnsRowsPerSecond: number;
  dnsRowsBurst: number;
  /**
   * Seconds between database commits. Each commit rewrites the index pages it touched, so on an
   * SD card fewer, larger commits are cheaper (Pi-hole's FTL writes once a minute); a power cut
   * loses at most this much of the newest rows.
   */
  commitSeconds: number;
}

export interface VigilConfig {
  /** Where the database and state live: `./data` in a checkout, `/var/lib/vigil` when installed. */
  dataDir: string;
  /** Database file; '' = `<dataDir>/vigil.db`. */
  db: string;
  capture: CaptureConfig;
  engine: { maxFlows: number };
  devices: { max: number; newDeviceGraceSeconds: number; maxAddresses: number; maxNames: number };
  baseline: { learningDays: number; maxItemsPerDevice: number; maxItems: number };
  store: StoreConfig;
  enrich: {
    /** Your own MMDB for countries (GeoLite2-Country/City); '' = the bundled DB-IP/whois data. */
    geoDb: string;
    /** Your own ASN MMDB (GeoLite2-ASN); '' = the bundled ip-location-db ASN data. */
    asnDb: string;
    /** Names remembered from DNS answers (address → the name each device resolved). */
    dnsNamesMax: number;
  };
  intel: {
    /** Threat-intel matching on or off. */
    enabled: boolean;
    /** Let `vigil run` download feed updates on their cadence (off: only `vigil intel update` and local files). */
    update: boolean;
    /** Where feeds, their last good copies and state live; '' = `<dataDir>/intel`. */
    dir: string;
    /** Catalogue feeds turned off, by id (see `vigil intel list`). */
    disabled: string[];
    /** Optional catalogue feeds turned on, by id. */
    enable: string[];
    /** abuse.ch Auth-Key (free account): unlocks URLhaus, ThreatFox, SSLBL. Never logged. */
    abuseChKey: string;
    /** Addresses, networks and domains never alerted on (also closes stored alerts about them). */
    allow: string[];
    /** Indicators kept over all feeds; the rest are counted as dropped. */
    maxIndicators: number;
    /** Largest feed download accepted (MB); a bigger body is cut off and the last good copy kept. */
    maxFeedMB: number;
    /** Seconds a feed download may take. */
    timeoutSeconds: number;
  };
  detect: DetectConfig;
  logs: {
    /** Also write Zeek-style logs to this directory; '' = none. */
    dir: string;
    format: 'zeek' | 'ecs';
  };
}

export const DEFAULTS: VigilConfig = {
  dataDir: './data',
  db: '',
  capture: { interface: 'auto', bpf: '', snaplen: 262144, helper: 'tcpdump', helperPath: '' },
  // Half the engine's own default (which `vigil analyze` without --db keeps): as ntopng's default
  // flow cap, far above a home network's concurrent connections, and 30-40 MB less on a Pi.
  engine: { maxFlows: 131072 },
  devices: { max: 2048, newDeviceGraceSeconds: 3600, maxAddresses: 16, maxNames: 16 },
  baseline: { learningDays: 7, maxItemsPerDevice: 256, maxItems: 100_000 },
  store: {
    flowsDays: 30,
    dnsDays: 30,
    alertsDays: 180,
    maxMB: 2048,
    flowRowsPerSecond: 8,
    flowRowsBurst: 1200,
    dnsRowsPerSecond: 4,
    dnsRowsBurst: 600,
    commitSeconds: 10,
  },
  enrich: { geoDb: '', asnDb: '', dnsNamesMax: 32768 },
  intel: { enabled: true, update: true, dir: '', disabled: [], enable: [], abuseChKey: '', allow: [], maxIndicators: 4_000_000, maxFeedMB: 64, timeoutSeconds: 60 },
  detect: DETECT_DEFAULTS,
  logs: { dir: '', format: 'zeek' },
};

/** How each leaf is checked: a type and, for numbers, a range; for strings, optional choices. */
export type Rule =
  | { kind: 'number'; min: number; max: number; integer?: boolean }
  | { kind: 'string'; choices?: readonly string[] }
  | { kind: 'boolean' }
  | { kind: 'list'; max: number };

export const RULES: Record<string, Rule> = {
  dataDir: { kind: 'string' },
  db: { kind: 'string' },
  'capture.interface': { kind: 'string' },
  'capture.bpf': { kind: 'string' },
  'capture.snaplen': { kind: 'number', min: 64, max: 262144, integer: true },
  'capture.helper': { kind: 'string', choices: ['tcpdump', 'dumpcap'] },
  'capture.helperPath': { kind: 'string' },
  'engine.maxFlows': { kind: 'number', min: 1024, max: 16_777_216, integer: true },
  'devices.max': { kind: 'number', min: 1, max: 1_000_000, integer: true },
  'devices.newDeviceGraceSeconds': { kind: 'number', min: 0, max: 365 * 86400 },
  'devices.maxAddresses': { kind: 'number', min: 1, max: 1024, integer: true },
  'devices.maxNames': { kind: 'number', min: 1, max: 1024, integer: true },
  'baseline.learningDays': { kind: 'number', min: 0, max: 365 },
  'baseline.maxItemsPerDevice': { kind: 'number', min: 1, max: 100_000, integer: true },
  'baseline.maxItems': { kind: 'number', min: 1, max: 10_000_000, integer: true },
  'store.flowsDays': { kind: 'number', min: 0, max: 3650 },
  'store.dnsDays': { kind: 'number', min: 0, max: 3650 },
  'store.alertsDays': { kind: 'number', min: 1, max: 3650 },
  'store.maxMB': { kind: 'number', min: 16, max: 10_000_000 },
  'store.flowRowsPerSecond': { kind: 'number', min: 0, max: 1_000_000 },
  'store.flowRowsBurst': { kind: 'number', min: 0, max: 100_000_000 },
  'store.dnsRowsPerSecond': { kind: 'number', min: 0, max: 1_000_000 },
  'store.dnsRowsBurst': { kind: 'number', min: 0, max: 100_000_000 },
  'store.commitSeconds': { kind: 'number', min: 0.05, max: 300 },
  'enrich.geoDb': { kind: 'string' },
  'enrich.asnDb': { kind: 'string' },
  'enrich.dnsNamesMax': { kind: 'number', min: 16, max: 10_000_000, integer: true },
  'intel.enabled': { kind: 'boolean' },
  'intel.update': { kind: 'boolean' },
  'intel.dir': { kind: 'string' },
  'intel.disabled': { kind: 'list', max: 1000 },
  'intel.enable': { kind: 'list', max: 1000 },
  'intel.abuseChKey': { kind: 'string' },
  'intel.allow': { kind: 'list', max: 100_000 },
  'intel.maxIndicators': { kind: 'number', min: 1, max: 50_000_000, integer: true },
  'intel.maxFeedMB': { kind: 'number', min: 1, max: 4096 },
  'intel.timeoutSeconds': { kind: 'number', min: 1, max: 3600 },
  ...DETECT_RULES,
  'logs.dir': { kind: 'string' },
  'logs.format': { kind: 'string', choices: ['zeek', 'ecs'] },
};
