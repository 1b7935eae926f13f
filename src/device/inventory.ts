/**
 * The device inventory: every device on the local segment, keyed by MAC, built from the records
 * the engine hands out (a RecordSink). It learns addresses from ARP, neighbour discovery and
 * flows; names and facts from DHCP, mDNS, SSDP, NetBIOS and reverse DNS; a vendor from the IEEE
 * registry and a type guess from all of that (identify.ts). It raises `new_device` once per device
 * and ties a randomised MAC to the device it replaced when DHCP gives it away.
 *
 * Costs: `conn` runs once per flow and, for a known device and address, allocates nothing
 * (a Map lookup and a short array scan per side). Everything else runs per discovery record.
 * Everything that grows has a cap and a counter (rule 4): devices (`device.capped`), addresses,
 * names, services and string lengths per device.
 *
 * Time is packet time only: the inventory's clock is the newest record time it saw.
 */
import type { Alert, AlertSink, EvidenceValue } from '../alert/alert.js';
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { RecordSink } from '../logs/record-sink.js';
import type { Device, DeviceAddress, DeviceName, NameSource } from './device.js';
import { identify, MAX_EVIDENCE, type Clues, type Guess } from './identify.js';
import { AddrKind, addrKind, canonicalIp, connSideKind, reverseNameToIp } from './ip.js';
import { mdnsFacts } from './mdns.js';
import { isRandomized, isUnicastMac, normalizeMac, vendorOf } from './oui.js';

export interface DeviceInventoryOptions {
  /** Devices kept at most (config `device.max_devices`); new MACs beyond are counted in `device.capped`. */
  maxDevices?: number;
  /**
   * No alerts about devices first seen within this many seconds of packet time after the very
   * first packet the inventory ever saw (a fresh install must not page the owner for every device
   * it already has). 0 disables. Default 3600.
   */
  newDeviceGraceSeconds?: number;
  /** Packet time of that very first packet, as persisted by the pipeline (`startedAt` getter). */
  startedAt?: number;
  /** Counter sink (`device.capped` …). */
  counters?: (name: string, n?: number) => void;
  /**
   * A new device's alert waits up to this many seconds of packet time for its address and name
   * (DHCP is logged ~10 s after the lease), unless both are known earlier. Default 30.
   */
  alertDelaySeconds?: number;
  /** Addresses kept per device, most recently seen first to stay. Default 16. */
  maxAddressesPerDevice?: number;
  /** Names kept per device, most recently seen first to stay. Default 16. */
  maxNamesPerDevice?: number;
  /** mDNS service types and SSDP strings kept per device. Default 32 and 8. */
  maxServicesPerDevice?: number;
  maxServerStringsPerDevice?: number;
  /** Longest string kept (names, DHCP facts, server strings), in characters. Default 255. */
  maxStringLength?: number;
  /**
   * A device that only got older-looking (lastSeen moved) is handed out by `drainDirty` again
   * once lastSeen moved this many seconds past what was last handed out. Default 60: spares the
   * SD card a write per device per second.
   */
  lastSeenResolutionSeconds?: number;
}

const DEFAULTS = {
  maxDevices: 2048,
  newDeviceGraceSeconds: 3600,
  alertDelaySeconds: 30,
  maxAddressesPerDevice: 16,
  maxNamesPerDevice: 16,
  maxServicesPerDevice: 32,
  maxServerStringsPerDevice: 8,
  maxStringLength: 255,
  lastSeenResolutionSeconds: 60,
};

/** Internal clues kept per device beyond the Device contract (UPnP types, TXT models, roles). */
const MAX_EXTRA = 8;
/** Distinct public IPv4 sources after which a MAC is taken for a gateway (a host on a public LAN has one). */
const GATEWAY_PUBLIC_SOURCES = 3;
/** Host names too common to tie two MACs together. */
const GENERIC_HOSTNAMES = new Set(['localhost', 'iphone', 'ipad', 'android', 'galaxy', 'unknown', 'none', 'espressif', 'esp', 'raspberrypi', 'debian', 'ubuntu', 'host', 'device', 'client', 'dhcp', 'linux']);
/** Existing loaded guesses compete with new clues at this strength (their clues may not be replayable). */
const PRIOR_STRENGTH = 2;
const PATHS = new Set(['arp', 'ndp', 'dhcp', 'dns', 'ssdp', 'netbios', 'conn']);
const DISPLAY_ORDER: readonly NameSource[] = ['dhcp', 'dhcp_fqdn', 'mdns', 'netbios', 'ssdp', 'dns_ptr'];
const NETBIOS_SERVER = 0x20;

interface Addr {
  ip: string;
  firstSeen: number;
  lastSeen: number;
}

interface Name {
  source: NameSource;
  name: string;
  ts: number;
}

/** Mutable state of one device; `snapshot()` turns it into the immutable contract type. */
class Entry {
  readonly mac: string;
  firstSeen: number;
  lastSeen: number;
  readonly vendor: string | null;
  readonly randomized: boolean;
  readonly addresses: Addr[] = [];
  readonly names: Name[] = [];
  hostname: string | null = null;
  fqdn: string | null = null;
  vendorClass: string | null = null;
  clientId: string | null = null;
  paramList: string | null = null;
  readonly mdnsServices: string[] = [];
  readonly ssdpServers: string[] = [];
  readonly mdnsTxt: string[] = [];
  readonly ssdpTypes: string[] = [];
  readonly roles: string[] = [];
  /** Distinct public IPv4 sources seen (up to GATEWAY_PUBLIC_SOURCES). */
  readonly publicSources: string[] = [];
  type: string | null = null;
  typeEvidence: readonly string[] = [];
  prior: Guess | null = null;
  label: string | null = null;
  sameAs: string | null = null;
  dhcpSeen = false;
  dirty = false;
  /** A clue changed: the type is re-guessed before the device is next handed out. */
  cluesChanged = false;
  persistedLastSeen: number;
  alertPending = false;
  alertDue = 0;
  previousOwner: string | null = null;
  previousIp: string | null = null;

  /** Creation order (the device map's order), so re-guessing runs in the order it always did. */
  readonly seq: number;

  constructor(mac: string, ts: number, vendor: string | null, randomized: boolean, seq: number) {
    this.seq = seq;
    this.mac = mac;
    this.firstSeen = ts;
    this.lastSeen = ts;
    this.persistedLastSeen = ts;
    this.vendor = vendor;
    this.randomized = randomized;
  }

  addrSeen(ip: string): number {
    for (const a of this.addresses) if (a.ip === ip) return a.lastSeen;
    return -Infinity;
  }
}

/**
 * The last flow-side sighting of a (MAC, local address) pair whose device owns the address: the
 * next flow of the same pair (the common case) is settled with two string compares instead of
 * two Map lookups and an address scan. Slots are reused objects (no garbage per flow).
 * A slot with no device holds a MAC that can never become one: the inventory was full (devices
 * are never removed, so it stays full).
 */
interface Seen {
  mac: string;
  ip: string;
  /** The device, or null for a MAC refused because the inventory is full. */
  e: Entry | null;
  a: Addr | null;
  /** `#epoch` when the ownership was checked: any owner change or dropped address moves it on. */
  epoch: number;
}

/** Slots of the sighting cache (a power of two), indexed by the MAC's last two bytes. */
const SEEN_SLOTS = 4096;

/** Index of a lower-case `aa:bb:cc:dd:ee:ff` MAC's slot, from its last two bytes (no allocation). */
function seenSlot(mac: string): number {
  return ((hexDigit(mac.charCodeAt(12)) << 12) | (hexDigit(mac.charCodeAt(13)) << 8) |
    (hexDigit(mac.charCodeAt(15)) << 4) | hexDigit(mac.charCodeAt(16))) & (SEEN_SLOTS - 1);
}

function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export class DeviceInventory implements RecordSink {
  readonly #alerts: AlertSink;
  readonly #count: (name: string, n?: number) => void;
  readonly #o: typeof DEFAULTS;
  readonly #devices = new Map<string, Entry>();
  /** Current owner (MAC) of each local address any device holds. Bounded by devices × addresses. */
  readonly #ipOwner = new Map<string, string>();
  readonly #dirty = new Set<Entry>();
  /** Devices whose clues changed since `drainDirty` last re-guessed (see Entry.cluesChanged). */
  readonly #changed = new Set<Entry>();
  /** Devices whose new_device alert waits, in due order. */
  readonly #pending: Entry[] = [];
  readonly #seen: Seen[] = Array.from({ length: SEEN_SLOTS }, () => ({ mac: '', ip: '', e: null, a: null, epoch: -1 }));
  /** Bumped whenever an address changes owner or is dropped: cached sightings are checked again. */
  #epoch = 0;
  /** The device last seen forwarding public addresses (the router): most flows name it. */
  #publicMac = '';
  #publicEntry: Entry | null = null;
  #startedAt: number | null;
  readonly #startedFixed: boolean;
  #now = -Infinity;

  constructor(alerts: AlertSink, opts: DeviceInventoryOptions = {}) {
    this.#alerts = alerts;
    this.#count = opts.counters ?? (() => {});
    const o = { ...DEFAULTS };
    for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const v = opts[k];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) o[k] = v;
    }
    for (const k of ['maxDevices', 'maxAddressesPerDevice', 'maxNamesPerDevice', 'maxServicesPerDevice', 'maxServerStringsPerDevice', 'maxStringLength'] as const) {
      o[k] = Math.max(1, Math.floor(o[k]));
    }
    this.#o = o;
    this.#startedAt = typeof opts.startedAt === 'number' && Number.isFinite(opts.startedAt) ? opts.startedAt : null;
    this.#startedFixed = this.#startedAt !== null;
  }

  // ---- public API --------------------------------------------------------------------------

  get size(): number {
    return this.#devices.size;
  }

  /** Packet time of the first packet the inventory ever saw (persist it; pass back as `startedAt`). */
  get startedAt(): number | null {
    return this.#startedAt;
  }

  /** What the store had: these devices are known, whatever happens next (they never alert as new). */
  load(devices: readonly Device[]): void {
    for (const d of devices) {
      const mac = normalizeMac(d.mac);
      if (mac === null) continue;
      let e = this.#devices.get(mac);
      if (e === undefined) {
        e = new Entry(mac, d.firstSeen, d.vendor, d.randomized, this.#devices.size);
        this.#devices.set(mac, e);
      } else {
        e.firstSeen = Math.min(e.firstSeen, d.firstSeen);
        e.alertPending = false;
      }
      e.lastSeen = Math.max(e.lastSeen, d.lastSeen);
      e.persistedLastSeen = Math.max(e.persistedLastSeen, d.lastSeen);
      for (const a of d.addresses) {
        const ip = canonicalIp(a.ip);
        if (ip === null) continue;
        this.#addAddress(e, ip, a.firstSeen, false);
        this.#addAddress(e, ip, a.lastSeen, false);
      }
      for (const n of d.names) this.#addName(e, n.source, n.name, n.ts, false);
      e.hostname ??= d.dhcp.hostname;
      e.fqdn ??= d.dhcp.fqdn;
      e.vendorClass ??= d.dhcp.vendorClass;
      e.clientId ??= d.dhcp.clientId;
      e.paramList ??= d.dhcp.paramList;
      for (const s of d.mdnsServices) this.#addTo(e, e.mdnsServices, s, this.#o.maxServicesPerDevice, 'device.services_capped');
      for (const s of d.ssdpServers) this.#addTo(e, e.ssdpServers, s, this.#o.maxServerStringsPerDevice, 'device.services_capped');
      e.label = d.label ?? e.label;
      e.sameAs = d.sameAs ?? e.sameAs;
      if (d.type !== null) {
        e.prior = { type: d.type, evidence: d.typeEvidence, strength: PRIOR_STRENGTH };
        e.type = d.type;
        e.typeEvidence = d.typeEvidence;
      }
      this.#clue(e);
    }
  }

  /** Devices changed since the last call (the pipeline persists them about once a second). */
  drainDirty(): Device[] {
    const out: Device[] = [];
    if (this.#changed.size > 0) {
      // Only devices whose clues changed (not every device every second), in the device map's order.
      const changed = [...this.#changed];
      this.#changed.clear();
      if (changed.length > 1) changed.sort((a, b) => a.seq - b.seq);
      for (const e of changed) if (e.cluesChanged) this.#identify(e);
    }
    for (const e of this.#dirty) {
      e.dirty = false;
      e.persistedLastSeen = e.lastSeen;
      out.push(this.#snapshot(e));
    }
    this.#dirty.clear();
    return out;
  }

  /** Cheap membership test for the per-flow path (`mac` as the engine writes it: lower case). */
  has(mac: string): boolean {
    return this.#devices.has(mac);
  }

  get(mac: string): Device | null {
    const m = normalizeMac(mac);
    const e = m === null ? undefined : this.#devices.get(m);
    if (e === undefined) return null;
    this.#identify(e);
    return this.#snapshot(e);
  }

  all(): Device[] {
    const out: Device[] = [];
    for (const e of this.#devices.values()) {
      this.#identify(e);
      out.push(this.#snapshot(e));
    }
    return out;
  }

  /** MAC of the device that currently holds a local address (for attributing flows and DNS). */
  macForIp(ip: string): string | null {
    return this.#ipOwner.get(ip) ?? (ip.indexOf(':') >= 0 ? this.#ipOwner.get(canonicalIp(ip) ?? '') ?? null : null);
  }

  /** The owner's name for a device (`vigil devices label`); null clears it. False when unknown. */
  setLabel(mac: string, label: string | null): boolean {
    const m = normalizeMac(mac);
    const e = m === null ? undefined : this.#devices.get(m);
    if (e === undefined) return false;
    e.label = label === null ? null : this.#clean(label);
    this.#markDirty(e);
    return true;
  }

  /**
   * End of input or shutdown: raises the new_device alerts still waiting for a name (they wait up
   * to `alertDelaySeconds` of packet time). Call it after `engine.finish()`, which hands out the
   * last DHCP records, or a replay shorter than the wait raises nothing.
   */
  flush(): void {
    for (const e of this.#pending) if (e.alertPending) this.#raise(e);
    this.#pending.length = 0;
  }

  // ---- RecordSink --------------------------------------------------------------------------

  wants(path: string): boolean {
    return PATHS.has(path);
  }

  record(path: string, ts: number, conn: ConnInfo | null, f: LogFields): void {
    this.#clock(ts);
    switch (path) {
      case 'arp': this.#arp(ts, f); break;
      case 'ndp': this.#ndp(ts, f); break;
      case 'dhcp': this.#dhcp(ts, f); break;
      case 'dns': if (conn !== null) this.#dns(ts, conn, f); break;
      case 'ssdp': if (conn !== null) this.#ssdp(ts, conn, f); break;
      case 'netbios': if (conn !== null) this.#netbios(ts, conn, f); break;
      default: break;
    }
    this.#due();
  }

  conn(r: ConnRecord): void {
    const end = r.duration > 0 ? r.ts + r.duration : r.ts;
    this.#clock(end, r.ts);
    if (r.origL2 !== '') this.#connSide(r.origL2, r.origH, r.localOrig, r.ts, end);
    if (r.respL2 !== '') this.#connSide(r.respL2, r.respH, r.localResp, r.ts, end);
    if (this.#pending.length > 0) this.#due();
  }

  // ---- per source --------------------------------------------------------------------------

  #connSide(mac: string, ip: string, local: boolean, start: number, ts: number): void {
    const c = this.#seen[seenSlot(mac)];
    if (c.mac === mac) {
      if (c.e === null) {
        // Refused for good (full inventory): what #sighting would do, i.e. count the refusal.
        if (local && connSideKind(ip, true) !== AddrKind.Ignore) this.#count('device.capped');
        return;
      }
      if (local && c.ip === ip && c.epoch === this.#epoch && c.a !== null) {
        // What #sighting does for a known device and an address it owns, without the lookups.
        const e = c.e;
        const a = c.a;
        if (start < ts) this.#touch(e, start);
        this.#touch(e, ts);
        if (start < ts) this.#bumpAddress(e, a, start);
        this.#bumpAddress(e, a, ts);
        this.#earlyAlert(e);
        return;
      }
    }
    if (!isUnicastMac(mac)) return;
    const kind = connSideKind(ip, local);
    if (kind !== AddrKind.Public) {
      const e = this.#sighting(mac, ts, ip, kind, false, start);
      if (e !== null) {
        if (kind === AddrKind.Local) this.#remember(mac, ip, e);
        this.#earlyAlert(e);
      } else if (kind !== AddrKind.Ignore) {
        this.#refused(mac);
      }
      return;
    }
    // Public source behind a local MAC: the MAC forwards (a router), or the LAN uses public space.
    let e: Entry | undefined;
    if (mac === this.#publicMac && this.#publicEntry !== null) {
      e = this.#publicEntry; // devices are never removed: the reference stays good
    } else {
      e = this.#devices.get(mac);
      if (e === undefined) {
        this.#refused(mac);
        return;
      }
      this.#publicMac = mac;
      this.#publicEntry = e;
    }
    this.#touch(e, ts);
    if (e.publicSources.length < GATEWAY_PUBLIC_SOURCES && ip.indexOf(':') < 0 && !e.publicSources.includes(ip)) {
      e.publicSources.push(ip);
      if (e.publicSources.length === GATEWAY_PUBLIC_SOURCES) this.#addRole(e, 'gateway');
    }
  }

  /** A unicast MAC is no device: cached when it never can be (the inventory is full). */
  #refused(mac: string): void {
    if (this.#devices.size < this.#o.maxDevices || this.#devices.has(mac)) return;
    const c = this.#seen[seenSlot(mac)];
    c.mac = mac;
    c.ip = '';
    c.e = null;
    c.a = null;
  }

  /** Caches a flow side's sighting when its device now owns the address (see Seen). */
  #remember(mac: string, ip: string, e: Entry): void {
    if (this.#ipOwner.get(ip) !== e.mac) return;
    let a: Addr | null = null;
    for (const x of e.addresses) if (x.ip === ip) a = x;
    if (a === null) return;
    const c = this.#seen[seenSlot(mac)];
    c.mac = mac;
    c.ip = ip;
    c.e = e;
    c.a = a;
    c.epoch = this.#epoch;
  }

  #arp(ts: number, f: LogFields): void {
    const mac = normalizeMac(str(f.orig_mac) ?? '');
    const ip = str(f.orig_h);
    if (mac === null || ip === null) return;
    const e = this.#sighting(mac, ts, ip, addrKind(ip), true);
    if (e !== null) this.#earlyAlert(e);
  }

  #ndp(ts: number, f: LogFields): void {
    const sender = normalizeMac(str(f.src_mac) ?? str(f.src_lladdr) ?? '');
    const src = str(f.src);
    if (sender !== null && src !== null) {
      // ND is link-scoped (hop limit 255): its sender is on this segment whatever its address.
      const e = this.#sighting(sender, ts, src, addrKind(src), true);
      if (e !== null) {
        if (f.msg === 'router_advert') this.#addRole(e, 'router_advert');
        this.#earlyAlert(e);
      }
    }
    const target = str(f.target);
    if (f.msg === 'neighbor_advert' && target !== null) {
      const owner = normalizeMac(str(f.target_lladdr) ?? str(f.src_mac) ?? '');
      if (owner !== null && addrKind(target) === AddrKind.Local) this.#sighting(owner, ts, target, AddrKind.Local, false);
    }
  }

  #dhcp(ts: number, f: LogFields): void {
    const mac = normalizeMac(str(f.mac) ?? '');
    if (mac === null) return;
    const end = ts + (num(f.duration) ?? 0);
    this.#clock(end);
    const types = strs(f.msg_types);
    const origs = strs(f.msg_orig);
    // The address is the client's once acknowledged (not after a NAK, DECLINE or RELEASE), or when
    // the client itself sent from it (renewals).
    let final = '';
    for (const t of types) if (t === 'ACK' || t === 'NAK' || t === 'DECLINE' || t === 'RELEASE') final = t;
    let ip = final === 'ACK' ? str(f.assigned_addr) : null;
    const clientAddr = str(f.client_addr);
    if (ip === null && clientAddr !== null && origs.includes(clientAddr)) ip = clientAddr;
    const e = this.#sighting(mac, end, ip ?? '0.0.0.0', ip === null ? AddrKind.Unspecified : addrKind(ip), true, ts);
    if (e === null) return;
    e.dhcpSeen = true;
    const host = this.#cleanOrNull(str(f.host_name));
    const fqdn = this.#cleanOrNull(str(f.client_fqdn));
    const vc = this.#cleanOrNull(str(f.client_software));
    const cid = this.#cleanOrNull(str(f.client_id));
    const pl = Array.isArray(f.param_list) ? this.#cleanOrNull(f.param_list.filter((x) => typeof x === 'number').join(',')) : null;
    if (host !== null && host !== e.hostname) { e.hostname = host; this.#clueChanged(e); }
    if (fqdn !== null && fqdn !== e.fqdn) { e.fqdn = fqdn; this.#clueChanged(e); }
    if (vc !== null && vc !== e.vendorClass) { e.vendorClass = vc; this.#clueChanged(e); }
    if (cid !== null && cid !== e.clientId) { e.clientId = cid; this.#markDirty(e); }
    if (pl !== null && pl !== e.paramList) { e.paramList = pl; this.#clueChanged(e); }
    if (host !== null) this.#addName(e, 'dhcp', host, end, true);
    if (fqdn !== null) this.#addName(e, 'dhcp_fqdn', fqdn, end, true);
    // The lease names the router (option 3); the server that handed it out often is one.
    if (ip !== null) {
      for (const r of strs(f.routers)) this.#roleOf(r, 'dhcp_router');
      const server = str(f.server_addr);
      if (server !== null) this.#roleOf(server, 'dhcp_server');
    }
    if (e.randomized && e.sameAs === null) this.#tie(e);
    this.#earlyAlert(e);
  }

  #dns(ts: number, conn: ConnInfo, f: LogFields): void {
    if (conn.respP === 5353 || conn.origP === 5353) {
      const facts = mdnsFacts(f);
      if (facts === null) return;
      // A legacy unicast query (from another port) is answered by the responder; otherwise the
      // originator is the announcer (to the group, or in its own unicast reply flow).
      const byResp = conn.respP === 5353 && conn.origP !== 5353;
      const ip = byResp ? conn.respH : conn.origH;
      const mac = (byResp ? conn.respMac : conn.origMac) || this.#ipOwner.get(ip) || '';
      const e = this.#sighting(mac, ts, ip, addrKind(ip), false);
      if (e === null) return;
      for (const h of facts.hosts) this.#addName(e, 'mdns', h, ts, true);
      for (const n of facts.instances) this.#addName(e, 'mdns', n, ts, true);
      for (const s of facts.services) {
        if (s === '_dns-sd._udp.local' || s === '_device-info._tcp.local') continue;
        if (this.#addTo(e, e.mdnsServices, s, this.#o.maxServicesPerDevice, 'device.services_capped')) this.#clueChanged(e);
      }
      for (const t of facts.txt) if (this.#addTo(e, e.mdnsTxt, t, MAX_EXTRA, 'device.services_capped')) this.#clue(e);
      this.#earlyAlert(e);
      return;
    }
    // Reverse DNS for a local address names the device that holds it.
    if (f.qtype !== 12 || f.rcode !== 0 || typeof f.query !== 'string') return;
    const ip = reverseNameToIp(f.query);
    if (ip === null || addrKind(ip) !== AddrKind.Local) return;
    const owner = this.#ipOwner.get(ip);
    const e = owner === undefined ? undefined : this.#devices.get(owner);
    if (e === undefined) return;
    for (const a of strs(f.answers)) {
      if (a.indexOf(' ') >= 0 || a.indexOf(':') >= 0 || /^[0-9.]+$/.test(a)) continue;
      this.#addName(e, 'dns_ptr', a.replace(/\.$/, ''), ts, true);
    }
  }

  #ssdp(ts: number, conn: ConnInfo, f: LogFields): void {
    const method = f.method;
    // NOTIFY and M-SEARCH go from the originator to the group (or a device's port 1900); a
    // RESPONSE comes from the device's port 1900, on whichever side of the flow the engine put it.
    let byResp = false;
    if (method === 'RESPONSE') byResp = conn.respP === 1900 && conn.origP !== 1900;
    const ip = byResp ? conn.respH : conn.origH;
    const mac = (byResp ? conn.respMac : conn.origMac) || this.#ipOwner.get(ip) || '';
    const e = this.#sighting(mac, ts, ip, addrKind(ip), false);
    if (e === null) return;
    for (const s of [str(f.server), str(f.user_agent)]) {
      if (s === null) continue;
      if (this.#addTo(e, e.ssdpServers, this.#clean(s), this.#o.maxServerStringsPerDevice, 'device.services_capped')) this.#clueChanged(e);
    }
    // What a device announces (NT) or answers for (ST of a response) is its own type; what a
    // searcher asks for (ST of an M-SEARCH) is not.
    const t = method === 'NOTIFY' ? str(f.nt) : method === 'RESPONSE' ? str(f.st) : null;
    if (t !== null && t.startsWith('urn:') && this.#addTo(e, e.ssdpTypes, this.#clean(t), MAX_EXTRA, 'device.services_capped')) this.#clue(e);
    this.#earlyAlert(e);
  }

  #netbios(ts: number, conn: ConnInfo, f: LogFields): void {
    const name = str(f.name);
    const op = f.opcode_name;
    const answers = strs(f.answers);
    // Only the <20> (file server) suffix is always a unique machine name: <00> is shared with
    // the workgroup name (WORKGROUP<00> is registered by every member).
    const registration = op === 'netbios-registration' || op === 'netbios-refresh' || op === 'netbios-multihomed-registration';
    const positiveAnswer = f.is_response === true && f.rcode === 0 && op === 'netbios-query';
    if (name !== null && f.suffix === NETBIOS_SERVER && (registration || positiveAnswer) && answers.length > 0) {
      const ip = answers[0];
      let e: Entry | null | undefined;
      if (ip === conn.origH || ip === conn.respH) {
        const mac = (ip === conn.origH ? conn.origMac : conn.respMac) || this.#ipOwner.get(ip) || '';
        e = this.#sighting(mac, ts, ip, addrKind(ip), false);
      } else {
        const m = this.#ipOwner.get(ip);
        e = m === undefined ? undefined : this.#devices.get(m);
      }
      if (e) {
        this.#addName(e, 'netbios', name.trim(), ts, true);
        this.#earlyAlert(e);
      }
    }
    // A node status answer lists the responder's names; its unit id is normally the MAC.
    const table = strs(f.nbstat_names);
    const unit = normalizeMac(str(f.mac) ?? '');
    if (f.is_response === true && table.length > 0 && unit !== null) {
      const e = this.#devices.get(unit);
      if (e === undefined) return;
      for (const t of table) {
        const m = /^(.*)<20>$/i.exec(t);
        if (m && m[1].trim() !== '') this.#addName(e, 'netbios', m[1].trim(), ts, true);
      }
    }
  }

  // ---- state -------------------------------------------------------------------------------

  /** Packet time moves to `ts`; `start` is the oldest packet behind the record (a flow's first). */
  #clock(ts: number, start: number = ts): void {
    if (!Number.isFinite(ts) || !Number.isFinite(start)) return;
    if (ts > this.#now) this.#now = ts;
    // Without a persisted start, the start is the earliest packet time seen (records of long
    // flows arrive after newer ones).
    if (!this.#startedFixed && (this.#startedAt === null || start < this.#startedAt)) this.#startedAt = start;
  }

  #inGrace(ts: number): boolean {
    const g = this.#o.newDeviceGraceSeconds;
    return g > 0 && this.#startedAt !== null && ts < this.#startedAt + g;
  }

  /**
   * A frame from `mac` with source `ip` at `ts`. Creates the device when the source makes it one
   * (local or unspecified address; any address when `anyAddress`, for ARP, ND and DHCP, which
   * only devices on the segment send); records local addresses. Returns the device, if any.
   */
  #sighting(mac: string, ts: number, ip: string, kind: AddrKind, anyAddress: boolean, start: number = ts): Entry | null {
    if (kind === AddrKind.Ignore || !isUnicastMac(mac)) return null;
    let e: Entry | null | undefined = this.#devices.get(mac);
    if (e === undefined) {
      if (kind === AddrKind.Public && !anyAddress) return null;
      e = this.#create(mac, start);
      if (e === null) return null;
    } else if (start < ts) {
      this.#touch(e, start);
    }
    this.#touch(e, ts);
    if (kind === AddrKind.Local) {
      if (start < ts) this.#addAddress(e, ip, start, true);
      this.#addAddress(e, ip, ts, true);
    }
    return e;
  }

  #create(mac: string, ts: number): Entry | null {
    if (this.#devices.size >= this.#o.maxDevices) {
      this.#count('device.capped');
      return null;
    }
    const randomized = isRandomized(mac);
    const e = new Entry(mac, ts, randomized ? null : vendorOf(mac), randomized, this.#devices.size);
    this.#devices.set(mac, e);
    this.#count('device.new');
    if (e.vendor !== null) this.#clue(e);
    this.#markDirty(e);
    if (!this.#inGrace(ts)) {
      e.alertPending = true;
      e.alertDue = Math.max(this.#now, ts) + this.#o.alertDelaySeconds;
      this.#pending.push(e);
    }
    return e;
  }

  #touch(e: Entry, ts: number): void {
    if (ts > e.lastSeen) {
      e.lastSeen = ts;
      if (!e.dirty && ts - e.persistedLastSeen >= this.#o.lastSeenResolutionSeconds) this.#markDirty(e);
    } else if (ts < e.firstSeen) {
      e.firstSeen = ts;
      this.#markDirty(e);
    }
  }

  #markDirty(e: Entry): void {
    if (e.dirty) return;
    e.dirty = true;
    this.#dirty.add(e);
  }

  #clueChanged(e: Entry): void {
    this.#clue(e);
    this.#markDirty(e);
  }

  /** A clue changed: re-guess the type before the device is next handed out. */
  #clue(e: Entry): void {
    e.cluesChanged = true;
    this.#changed.add(e);
  }

  #addAddress(e: Entry, ip: string, ts: number, live: boolean): void {
    const list = e.addresses;
    let a: Addr | undefined;
    for (let i = 0; i < list.length; i++) if (list[i].ip === ip) { a = list[i]; break; }
    if (a !== undefined) {
      this.#bumpAddress(e, a, ts);
    } else {
      if (list.length >= this.#o.maxAddressesPerDevice) {
        // Keep the most recently seen addresses: drop the stalest.
        let old = 0;
        for (let i = 1; i < list.length; i++) if (list[i].lastSeen < list[old].lastSeen) old = i;
        const gone = list.splice(old, 1)[0];
        this.#epoch++;
        if (this.#ipOwner.get(gone.ip) === e.mac) this.#ipOwner.delete(gone.ip);
        this.#count('device.addresses_capped');
      }
      list.push({ ip, firstSeen: ts, lastSeen: ts });
      if (live) this.#markDirty(e);
    }
    const owner = this.#ipOwner.get(ip);
    if (owner === e.mac) return;
    if (owner !== undefined) {
      // The newest claim wins; records arrive a little out of order (flows end late).
      const prev = this.#devices.get(owner);
      if (prev !== undefined && prev.addrSeen(ip) > ts) return;
      if (live && e.alertPending && e.previousOwner === null) {
        e.previousOwner = owner;
        e.previousIp = ip;
      }
    }
    this.#ipOwner.set(ip, e.mac);
    this.#epoch++;
  }

  /** An address of `e` seen (again) at `ts`. */
  #bumpAddress(e: Entry, a: Addr, ts: number): void {
    if (ts > a.lastSeen) a.lastSeen = ts;
    else if (ts < a.firstSeen) { a.firstSeen = ts; this.#markDirty(e); }
  }

  #addName(e: Entry, source: NameSource, raw: string, ts: number, live: boolean): void {
    const name = this.#clean(raw);
    if (name === '') return;
    const l = name.toLowerCase();
    for (const n of e.names) {
      if (n.source === source && n.name.toLowerCase() === l) {
        if (ts > n.ts) n.ts = ts;
        return;
      }
    }
    if (e.names.length >= this.#o.maxNamesPerDevice) {
      // Keep the most recently seen names: the stalest goes, which may be the one arriving now
      // (DHCP records reach us ~10 s after the lease, stamped with its start).
      let old = 0;
      for (let i = 1; i < e.names.length; i++) if (e.names[i].ts < e.names[old].ts) old = i;
      this.#count('device.names_capped');
      if (ts < e.names[old].ts) return;
      e.names.splice(old, 1);
    }
    e.names.push({ source, name, ts });
    this.#clue(e);
    if (live) this.#markDirty(e);
  }

  /** Adds a string to a capped list; true when it was new. */
  #addTo(e: Entry, list: string[], s: string, cap: number, counter: string): boolean {
    if (s === '' || list.includes(s)) return false;
    if (list.length >= cap) {
      this.#count(counter);
      return false;
    }
    list.push(s);
    this.#markDirty(e);
    return true;
  }

  /** Gives a role to the device that holds a local address, if one does. */
  #roleOf(ip: string, role: string): void {
    const m = this.#ipOwner.get(ip);
    const e = m === undefined ? undefined : this.#devices.get(m);
    if (e !== undefined) this.#addRole(e, role);
  }

  #addRole(e: Entry, role: string): void {
    if (e.roles.includes(role)) return;
    e.roles.push(role);
    this.#clue(e);
  }

  /** Strings from the network, made fit to keep: no NUL padding, single spaces, capped length. */
  #clean(s: string): string {
    let t = s.replace(/(?:\\x00|\0)+/g, ' ').replace(/\s+/g, ' ').trim();
    if (t.length > this.#o.maxStringLength) {
      t = t.slice(0, this.#o.maxStringLength);
      this.#count('device.strings_truncated');
    }
    return t;
  }

  #cleanOrNull(s: string | null): string | null {
    if (s === null) return null;
    const t = this.#clean(s);
    return t === '' ? null : t;
  }

  // ---- identification ----------------------------------------------------------------------

  #identify(e: Entry): void {
    if (!e.cluesChanged) return;
    e.cluesChanged = false;
    const names: string[] = [];
    for (const n of e.names) names.push(n.name);
    const clues: Clues = {
      vendor: e.vendor,
      names,
      vendorClass: e.vendorClass,
      paramList: e.paramList,
      mdnsServices: e.mdnsServices,
      mdnsTxt: e.mdnsTxt,
      ssdp: e.ssdpServers,
      ssdpTypes: e.ssdpTypes,
      roles: e.roles,
    };
    let g = identify(clues);
    const p = e.prior;
    if (p !== null && p.type !== null) {
      if (g.type === p.type) {
        const ev = [...g.evidence];
        for (const x of p.evidence) if (!ev.includes(x)) ev.push(x);
        g = { type: g.type, evidence: ev.slice(0, MAX_EVIDENCE), strength: Math.max(g.strength, p.strength) };
      } else if (g.strength <= p.strength) {
        g = p;
      }
    }
    if (g.type !== e.type || g.evidence.length !== e.typeEvidence.length || g.evidence.some((x, i) => x !== e.typeEvidence[i])) {
      e.type = g.type;
      e.typeEvidence = g.evidence;
      this.#markDirty(e);
    }
  }

  // ---- randomised MACs ---------------------------------------------------------------------

  /**
   * A randomised MAC that gives the same DHCP client id as a known device, or the same (not
   * generic) host name as a device that went quiet before it appeared, is that device.
   */
  #tie(e: Entry): void {
    let best: Entry | null = null;
    let how = '';
    let value = '';
    const host = e.hostname?.toLowerCase() ?? null;
    const nameUsable = host !== null && !GENERIC_HOSTNAMES.has(host);
    for (const o of this.#devices.values()) {
      if (o === e) continue;
      if (e.clientId !== null && o.clientId === e.clientId) {
        if (how !== 'dhcp_client_id' || best === null || o.lastSeen > best.lastSeen) {
          best = o;
          how = 'dhcp_client_id';
          value = e.clientId;
        }
      } else if (how !== 'dhcp_client_id' && nameUsable && o.hostname?.toLowerCase() === host && o.lastSeen <= e.firstSeen) {
        if (best === null || o.lastSeen > best.lastSeen) {
          best = o;
          how = 'dhcp_hostname';
          value = e.hostname ?? '';
        }
      }
    }
    if (best === null) return;
    e.sameAs = best.sameAs ?? best.mac;
    this.#markDirty(e);
    this.#count('device.mac_tied');
    const wasPending = e.alertPending;
    e.alertPending = false;
    if (!wasPending && this.#inGrace(e.firstSeen)) return;
    this.#alerts.raise({
      ts: e.firstSeen,
      code: 'device.mac_changed',
      severity: 'info',
      device: e.mac,
      summary: `${this.#nameOf(best) ?? best.mac} now uses a new private MAC address (${e.mac}); it is the same device, not a new one.`,
      evidence: { mac: e.mac, previous_mac: best.mac, same_as: e.sameAs, matched_by: how, value },
      key: `device.mac_changed|${e.mac}`,
    });
  }

  // ---- new_device alerts -------------------------------------------------------------------

  /** Raises a waiting alert as soon as the device has an address and a name (and, for a randomised MAC, its DHCP). */
  #earlyAlert(e: Entry): void {
    if (e.alertPending && e.addresses.length > 0 && e.names.length > 0 && (!e.randomized || e.dhcpSeen)) this.#raise(e);
  }

  #due(): void {
    const p = this.#pending;
    let n = 0;
    while (n < p.length && (!p[n].alertPending || p[n].alertDue <= this.#now)) {
      if (p[n].alertPending) this.#raise(p[n]);
      n++;
    }
    if (n > 0) p.splice(0, n);
  }

  #nameOf(e: Entry): string | null {
    if (e.label) return e.label;
    for (const src of DISPLAY_ORDER) {
      for (const n of e.names) if (n.source === src) return n.name;
    }
    return null;
  }

  #raise(e: Entry): void {
    e.alertPending = false;
    if (e.sameAs !== null) return;
    this.#identify(e);
    // Show the IPv4 address if there is one (people know those), else the newest.
    let ip: string | null = null;
    let ipSeen = -Infinity;
    for (const a of e.addresses) {
      const v4 = a.ip.indexOf(':') < 0;
      const cur = ip !== null && ip.indexOf(':') < 0;
      if (ip === null || (v4 && !cur) || (v4 === cur && a.lastSeen > ipSeen)) {
        ip = a.ip;
        ipSeen = a.lastSeen;
      }
    }
    const name = this.#nameOf(e);
    let who: string;
    if (name !== null) who = `"${name}" (${e.vendor !== null ? e.vendor + ', ' : ''}${e.mac})`;
    else if (e.vendor !== null) who = `${e.vendor} device (${e.mac})`;
    else if (e.randomized) who = `a device with a private (randomised) MAC address (${e.mac})`;
    else who = `an unknown device (${e.mac})`;
    let summary = `A new device joined the network: ${who}${ip !== null ? ' at ' + ip : ''}.`;
    const evidence: Record<string, EvidenceValue> = {
      mac: e.mac,
      vendor: e.vendor,
      ip,
      name,
      type: e.type,
      randomized: e.randomized,
    };
    if (e.previousOwner !== null && e.previousIp !== null) {
      const prev = this.#devices.get(e.previousOwner);
      const prevName = prev !== undefined ? this.#nameOf(prev) : null;
      summary += ` Its address ${e.previousIp} belonged to ${prevName !== null ? `"${prevName}" (${e.previousOwner})` : e.previousOwner} before.`;
      evidence.previous_mac = e.previousOwner;
      evidence.previous_ip = e.previousIp;
      evidence.previous_name = prevName;
    }
    const alert: Alert = {
      ts: e.firstSeen,
      code: 'new_device',
      severity: 'low',
      device: e.mac,
      summary,
      evidence,
      key: `new_device|${e.mac}`,
    };
    this.#alerts.raise(alert);
  }

  // ---- output ------------------------------------------------------------------------------

  #snapshot(e: Entry): Device {
    const addresses: DeviceAddress[] = e.addresses
      .map((a) => ({ ip: a.ip, firstSeen: a.firstSeen, lastSeen: a.lastSeen }))
      .sort((a, b) => b.lastSeen - a.lastSeen);
    const names: DeviceName[] = e.names.map((n) => ({ source: n.source, name: n.name, ts: n.ts }));
    return {
      mac: e.mac,
      firstSeen: e.firstSeen,
      lastSeen: e.lastSeen,
      vendor: e.vendor,
      randomized: e.randomized,
      addresses,
      names,
      dhcp: { hostname: e.hostname, fqdn: e.fqdn, vendorClass: e.vendorClass, clientId: e.clientId, paramList: e.paramList },
      mdnsServices: [...e.mdnsServices],
      ssdpServers: [...e.ssdpServers],
      type: e.type,
      typeEvidence: [...e.typeEvidence],
      label: e.label,
      sameAs: e.sameAs,
    };
  }
}
