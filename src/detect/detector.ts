/**
 * The contract every detector under `src/detect/` follows. A detector watches the engine's records
 * (finished connections, and application/link records such as `dns`, `arp`, `dhcp`, `ftp_login`)
 * and raises alerts through its context. It never throws, keeps bounded state (every map it holds
 * has a cap and counts what it drops), and uses only packet time (`ts` of records, `tick(now)`).
 *
 * Detectors are created per run by the registry from the `detect.*` config; the hub feeds them.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { Alert } from '../alert/alert.js';
import type { IntelLookup } from '../intel/types.js';
import type { DetectConfig } from '../config/detect.js';
import type { Baselines } from '../baseline/baselines.js';

/** What a detector may ask of the sensor around it. */
export interface DetectContext {
  /** Raises an alert (rate-capped and aggregated by key downstream: equal keys bump one open alert). */
  raise(alert: Alert): void;
  /**
   * The LAN device (its MAC) an endpoint belongs to: the frame's own MAC when it is a known device
   * that is not a router, else whoever holds the private address now; null for outside hosts.
   */
  deviceOf(ip: string, mac: string): string | null;
  /**
   * How to name a device in a sentence: its label or best name and type ("Hikvision camera
   * (aa:bb:cc:dd:ee:ff)"), or "the device at 192.168.1.20" when the MAC is unknown.
   */
  describe(mac: string | null, ip: string): string;
  /** MACs that route internet traffic (the LAN's gateway/router), as the pipeline learned them. */
  isGateway(mac: string): boolean;
  /** Current threat-intel indicators, or null when intel is off. */
  intel(): IntelLookup | null;
  /** The per-device baselines (learned normal), or null in a run that keeps none. */
  readonly baselines: Baselines | null;
  /**
   * True while a device is still in its learning period (or the whole sensor is new): "never did
   * this before" detectors stay quiet (or low) then, as the baselines do.
   */
  learning(mac: string, ts: number): boolean;
  /** Bumps a counter `detect.<name>...` shown by `vigil run`'s stats. */
  count(name: string, n?: number): void;
}

export interface Detector {
  /** Detector name: its file name, also the name used in `detect.disabled`. */
  readonly name: string;
  /** Record paths it wants besides connections (`dns`, `arp`, `dhcp`, `ftp_login` …). */
  readonly paths: readonly string[];
  /** True when it wants finished connections. */
  readonly wantsConn: boolean;
  /** A finished connection. The record is reused after the call: copy what you keep. */
  conn?(r: ConnRecord): void;
  /** One application or link record (`path` is one of `paths`). */
  record?(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void;
  /** Packet time advanced (called about once a second of packet time): close windows, expire state. */
  tick?(now: number): void;
  /** End of input: raise what is pending. */
  finish?(now: number): void;
}

export interface DetectorFactory {
  readonly name: string;
  /** One sentence for `--help` and docs/DETECTION.md. */
  readonly about: string;
  create(config: DetectConfig, ctx: DetectContext): Detector;
}

/** Evidence lists (flow uids, names) are capped so an alert row stays small. */
export const EVIDENCE_LIST_MAX = 10;

/** Adds `v` to a capped evidence list (no duplicates). */
export function pushCapped(list: string[], v: string, max = EVIDENCE_LIST_MAX): void {
  if (list.length < max && !list.includes(v)) list.push(v);
}

/** "212 telnet logins" / "1 telnet login". */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "in 5 minutes" / "in 40 seconds" / "in 2 hours" for a span in seconds. */
export function span(seconds: number): string {
  if (seconds < 90) return plural(Math.max(1, Math.round(seconds)), 'second');
  if (seconds < 5400) return plural(Math.round(seconds / 60), 'minute');
  if (seconds < 172_800) return plural(Math.round(seconds / 3600), 'hour');
  return plural(Math.round(seconds / 86400), 'day');
}
