/**
 * The sensor's pipeline (DESIGN: "one path for data"): the packet engine's records fan out to the
 * device inventory, DNS-name memory, enrichment, baselines, the store and (optionally) Zeek-style
 * logs. `vigil run` feeds it from the live helper, `vigil analyze --db` from files; nothing here
 * knows which. Packet time is the only clock: persistence and baseline hours advance with it.
 */
import { Engine, type EngineOptions } from '../engine/engine.js';
import { createAnalyzers } from '../decode/app/registry.js';
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import { RecordBus, type RecordSink } from '../logs/record-sink.js';
import type { Alert } from '../alert/alert.js';
import { AlertManager } from '../alert/manager.js';
import { DeviceInventory } from '../device/inventory.js';
import { displayName } from '../device/device.js';
import { DnsNames } from '../enrich/dns-names.js';
import { Enricher } from '../enrich/enricher.js';
import { Baselines } from '../baseline/baselines.js';
import type { Direction, FlowRow, Store } from '../store/store.js';
import type { VigilConfig } from '../config/schema.js';
import { IntelMatcher } from '../intel/matcher.js';
import type { AllowList } from '../intel/allow.js';
import type { IntelLookup } from '../intel/types.js';
import { DetectorHub } from '../detect/hub.js';
import { createDetectors } from '../detect/registry.js';
import type { DetectContext } from '../detect/detector.js';
import { AddrKind, addrKind } from '../device/ip.js';

export interface PipelineOptions {
  readonly config: VigilConfig;
  /** Null for a run that keeps nothing (plain `vigil analyze`). */
  readonly store: Store | null;
  /** Extra record consumers, e.g. a LogDirectory for Zeek-style logs. */
  readonly sinks?: readonly RecordSink[];
  readonly alerts?: AlertManager;
  readonly engine?: Partial<EngineOptions>;
  /** Problems worth one log line (missing geo data, store trouble …). */
  readonly log?: (line: string) => void;
  /** Threat intelligence: the current indicator set (swapped on updates) and the allow-list. */
  readonly intel?: { readonly lookup: () => IntelLookup; readonly allow: AllowList } | null;
  /**
   * Learn baselines (default true). Plain `vigil analyze` keeps no database, so it turns them off
   * and skips the per-flow enrichment they need: devices and detectors only.
   */
  readonly baselines?: boolean;
}

/** Seconds of packet time between persisting what the inventory and baselines changed. */
const PERSIST_EVERY = 1;
/** Seconds of packet time between retention passes. */
const RETAIN_EVERY = 3600;

export class Pipeline implements RecordSink {
  readonly engine: Engine;
  readonly inventory: DeviceInventory;
  readonly dnsNames: DnsNames;
  readonly enricher: Enricher;
  readonly baselines: Baselines;
  readonly intel: IntelMatcher | null;
  readonly alerts: AlertManager;
  readonly detect: DetectorHub;
  readonly store: Store | null;
  readonly #bus = new RecordBus();
  readonly #counters = new Map<string, number>();
  readonly #log: (line: string) => void;
  /** MACs that forward internet traffic (seen sending public IPv4 sources): routers, not devices. */
  readonly #gateways = new Set<string>();
  #nextPersist = 0;
  #nextRetain = 0;
  /** Whether flows become FlowRows (enriched; for the store and the baselines). */
  readonly #rows: boolean;
  flowsSeen = 0;

  constructor(opts: PipelineOptions) {
    const c = opts.config;
    this.store = opts.store;
    this.#rows = opts.store !== null || opts.baselines !== false;
    this.#log = opts.log ?? (() => {});
    const count = (name: string, n = 1) => this.count(name, n);
    this.alerts = opts.alerts ?? new AlertManager({ counters: count });
    if (this.store) {
      const store = this.store;
      this.alerts.toStore((a: Alert) => store.addAlert(a));
    }
    const known = this.store?.devices() ?? [];
    const startedAt = known.reduce((m, d) => Math.min(m, d.firstSeen), Infinity);
    this.inventory = new DeviceInventory(this.alerts, {
      maxDevices: c.devices.max,
      newDeviceGraceSeconds: c.devices.newDeviceGraceSeconds,
      maxAddressesPerDevice: c.devices.maxAddresses,
      maxNamesPerDevice: c.devices.maxNames,
      ...(Number.isFinite(startedAt) ? { startedAt } : {}),
      counters: count,
    });
    this.inventory.load(known);
    this.dnsNames = new DnsNames({ maxEntries: c.enrich.dnsNamesMax, counters: count });
    this.enricher = new Enricher({
      ...(c.enrich.geoDb ? { geoPath: c.enrich.geoDb } : {}),
      ...(c.enrich.asnDb ? { asnPath: c.enrich.asnDb } : {}),
      dnsNames: this.dnsNames,
      onProblem: (m: string) => this.#log(m),
    });
    const inv = this.inventory;
    this.baselines = new Baselines(this.alerts, {
      learningDays: c.baseline.learningDays,
      maxDevices: c.devices.max,
      maxItemsPerDevice: c.baseline.maxItemsPerDevice,
      maxItemsTotal: c.baseline.maxItems,
      describe: (mac: string) => describe(mac),
      counters: count,
    });
    if (this.store) this.baselines.load(this.store.baselineItems(), this.store.baselineProfiles());
    const describe = (mac: string) => {
      const d = inv.get(mac);
      return d ? `${displayName(d)}${d.label || d.names.length ? ` (${mac})` : ''}` : mac;
    };
    this.intel = opts.intel
      ? new IntelMatcher(this.alerts, {
          lookup: opts.intel.lookup,
          allow: opts.intel.allow,
          deviceOf: (ip: string, mac: string) => inv.macForIp(ip) ?? (mac && !this.#gateways.has(mac) && inv.has(mac) ? mac : null),
          describe,
          counters: count,
        })
      : null;
    const intelLookup = opts.intel?.lookup ?? null;
    const ctx: DetectContext = {
      raise: (a: Alert) => this.alerts.raise(a),
      deviceOf: (ip: string, mac: string) => this.#deviceOf(ip, mac, addrKind(ip) === AddrKind.Local),
      describe: (mac: string | null, ip: string) => (mac !== null ? describe(mac) : `the device at ${ip}`),
      isGateway: (mac: string) => this.#gateways.has(mac),
      intel: () => (intelLookup ? intelLookup() : null),
      baselines: this.baselines,
      learning: (mac: string, ts: number) => {
        if (this.#rows) return this.baselines.isLearning(mac, ts);
        // Without baselines (plain analyze) a device learns from its first sighting, as it would.
        const d = inv.get(mac);
        return d === null || ts < d.firstSeen + c.baseline.learningDays * 86400;
      },
      count,
    };
    this.detect = new DetectorHub(createDetectors(c.detect, ctx));
    this.#bus.add(this.inventory);
    // DNS names only enrich flow rows: a run that makes none (plain analyze) needs no DNS memory.
    if (this.#rows) this.#bus.add(this.dnsNames);
    if (this.intel) this.#bus.add(this.intel);
    for (const s of opts.sinks ?? []) this.#bus.add(s);
    this.#bus.add(this);
    // After the pipeline's own subscription: a flow's gateway MAC is known before detectors see it.
    if (this.detect.detectors.length > 0) this.#bus.add(this.detect);
    this.engine = new Engine(createAnalyzers(), this.#bus, { maxFlows: c.engine.maxFlows, ...opts.engine });
  }

  count(name: string, n = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + n);
  }

  // -- RecordSink: the pipeline's own subscription (after inventory and DNS names saw the record) --

  wants(path: string): boolean {
    return path === 'conn' || (path === 'dns' && this.store !== null);
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    // mDNS and LLMNR are local chatter the inventory already digests; the DNS history is what
    // devices asked their resolver (as Pi-hole's query log).
    if (path !== 'dns' || !this.store || !conn || conn.respP === 5353 || conn.respP === 5355) return;
    const query = typeof f.query === 'string' ? f.query : '';
    if (!query) return;
    const answers = Array.isArray(f.answers) ? (f.answers as unknown[]).map(String) : [];
    this.store.addDns({
      ts,
      uid: conn.uid,
      client: conn.origH,
      server: conn.respH,
      device: this.inventory.macForIp(conn.origH),
      query,
      qtype: typeof f.qtype_name === 'string' ? f.qtype_name : String(f.qtype ?? ''),
      rcode: typeof f.rcode_name === 'string' ? f.rcode_name : String(f.rcode ?? ''),
      answers,
    });
  }

  conn(r: ConnRecord): void {
    this.flowsSeen++;
    if (this.#rows) {
      const row = this.#flowRow(r);
      if (row.device !== null) this.baselines.observeFlow(row);
      this.store?.addFlow(row);
    } else {
      this.#noteGateways(r);
    }
    if (r.ts >= this.#nextPersist) this.maintain(r.ts);
  }

  /** Which local device a flow belongs to, and which way it went (see FlowRow.direction). */
  #flowRow(r: ConnRecord): FlowRow {
    this.#noteGateways(r);
    let device: string | null = null;
    let direction: Direction = 'external';
    let remote = r.respH;
    const origDev = this.#deviceOf(r.origH, r.origL2, r.localOrig);
    const respDev = this.#deviceOf(r.respH, r.respL2, r.localResp);
    const respGroup = isGroupAddress(r.respH);
    if (origDev !== null && (respDev !== null || respGroup || r.localResp)) {
      device = origDev;
      direction = 'local';
    } else if (origDev !== null) {
      device = origDev;
      direction = 'out';
    } else if (respDev !== null) {
      device = respDev;
      direction = 'in';
      remote = r.origH;
    }
    const remoteInfo = direction === 'out' || direction === 'in'
      ? this.enricher.remote(direction === 'out' ? r.origH : r.respH, remote, r.ts)
      : null;
    return {
      ts: r.ts,
      uid: r.uid,
      communityId: r.communityId,
      proto: r.proto,
      service: r.service,
      origH: r.origH,
      origP: r.origP,
      respH: r.respH,
      respP: r.respP,
      origMac: r.origL2,
      respMac: r.respL2,
      duration: r.duration > 0 ? r.duration : 0,
      origBytes: r.origBytes,
      respBytes: r.respBytes,
      origPkts: r.origPkts,
      respPkts: r.respPkts,
      connState: r.connState,
      history: r.history,
      device,
      direction,
      remoteIp: remote,
      remoteCountry: remoteInfo?.country ?? null,
      remoteAsn: remoteInfo?.asn ?? null,
      remoteAsOrg: remoteInfo?.asOrg ?? null,
      remoteName: remoteInfo?.name ?? null,
      remoteDomain: remoteInfo?.domain ?? null,
    };
  }

  #noteGateways(r: ConnRecord): void {
    if (r.origH.indexOf(':') >= 0) return;
    // A MAC that sends public IPv4 sources is forwarding (NAT never lets a LAN device do that).
    if (!r.localOrig && r.origL2) this.#noteGateway(r.origL2);
    if (!r.localResp && r.respL2 && r.respPkts > 0) this.#noteGateway(r.respL2);
  }

  #noteGateway(mac: string): void {
    if (this.#gateways.size < 64 && !this.#gateways.has(mac)) this.#gateways.add(mac);
  }

  /**
   * The device an endpoint belongs to: its own MAC when the frame came from a known device that is
   * not a gateway, else whoever holds the (private) address now.
   */
  #deviceOf(ip: string, mac: string, local: boolean): string | null {
    if (mac && !this.#gateways.has(mac) && this.inventory.has(mac)) {
      // Global IPv6 addresses are not "private", but a LAN device's own frames still say who it is.
      if (local || ip.indexOf(':') >= 0) return mac;
    }
    if (!local) return null;
    return this.inventory.macForIp(ip);
  }

  /** Persists what changed and advances packet-time housekeeping. Cheap when nothing changed. */
  maintain(now: number = this.engine.now, all = false): void {
    this.#nextPersist = now + PERSIST_EVERY;
    this.baselines.tick(now);
    this.detect.tick(now);
    const store = this.store;
    if (!store) {
      // Nothing persists the changed devices: skip their snapshots (types are guessed lazily when
      // a device is asked for, so names in alerts do not change).
      this.baselines.drainDirty();
      return;
    }
    for (const d of this.inventory.drainDirty()) store.putDevice(d);
    // Last-seen times and profiles are written every few minutes of packet time, all at the end.
    const b = this.baselines.drainDirty({ all });
    for (const i of b.items) store.putBaselineItem(i);
    for (const p of b.profiles) store.putBaselineProfile(p);
    if (now >= this.#nextRetain) {
      if (this.#nextRetain !== 0) {
        const n = store.retain(now);
        if (n > 0) this.count('store.retired', n);
      }
      this.#nextRetain = now + RETAIN_EVERY;
    }
  }

  /** End of input: flush flows, persist everything, commit. */
  finish(): void {
    this.engine.finish();
    this.detect.finish(this.engine.now);
    // New devices wait a little for their names before their alert; at end of input, no more come.
    this.inventory.flush();
    this.maintain(this.engine.now, true);
    this.store?.flush();
  }

  /** Every counter: engine, pipeline, store. */
  stats(): Record<string, number> {
    const out: Record<string, number> = { ...this.engine.counters.snapshot() };
    for (const [k, v] of this.#counters) out[k] = v;
    out['device.count'] = this.inventory.size;
    out['alert.raised'] = this.alerts.raised;
    return out;
  }
}

/** Multicast or broadcast destination (mDNS, SSDP, DHCP …): local traffic, not a remote party. */
export function isGroupAddress(ip: string): boolean {
  if (ip.indexOf(':') >= 0) return ip.startsWith('ff');
  const first = Number(ip.slice(0, ip.indexOf('.')));
  return (first >= 224 && first <= 239) || ip === '255.255.255.255' || ip.endsWith('.255');
}
