/**
 * Port scans: one source probing many ports of one host (vertical, `scan.vertical`) or one port on
 * many hosts (horizontal, `scan.horizontal`) within `detect.portscan.windowSeconds`.
 *
 * Only FAILED or EMPTY probes count, as Zeek's scan.zeek counts failed connections: a TCP flow the
 * source opened with a SYN that carried no payload either way (S0, REJ, RSTOS0, "ShR" half-open
 * probes, and connect scans that complete the handshake and hang up), and a UDP flow that got no
 * UDP answer (closed ports answer with ICMP unreachable, which is a separate flow). Busy clients
 * exchange data, so they never look like scanners however many hosts or ports they use.
 *
 * Severity: a LAN device scanning is `medium` (vertical) or `high` (horizontal: worm-like, it may
 * be infected); an outside source scanning in is `low` (internet background noise) unless it
 * reaches LAN devices en masse (many ports of a LAN device, or many LAN devices: a port forward,
 * DMZ or open IPv6 firewall lets it in), then `medium`.
 *
 * Horizontal probes from a LAN device to the internet on telnet/IoT exploit ports are left to the
 * propagation detector (critical `infected.propagation`) while it is enabled, so the same flows are
 * not reported twice at two severities; vertical scans still count every port.
 */
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import type { Severity } from '../alert/alert.js';
import { pushCapped, plural, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';
import { BoundedMap, CappedSet } from './state.js';

// ---- shared helpers (also used by propagation.ts and flood.ts) ----------------------------------

export const enum ProbeKind {
  None = 0,
  /** TCP SYN with no completed handshake (S0, REJ, half-open "ShR"). */
  Syn = 1,
  /** TCP handshake completed, no payload either way (connect scan). */
  Connect = 2,
  /** UDP with no UDP answer. */
  Udp = 3,
}

const CH_S = 83; // 'S'

/**
 * How a finished connection looks as a probe. Called for every flow: the common case (a flow that
 * carried data, an answered datagram) is rejected with two or three number compares.
 */
export function probeKind(r: ConnRecord): ProbeKind {
  const p = r.ipProto;
  if (p === 6) {
    if (r.origBytes !== 0 || r.respBytes !== 0) return ProbeKind.None;
    const h = r.history;
    // The originator's SYN opened the flow; flows picked up mid-stream or flipped ('^') are not probes.
    if (h.charCodeAt(0) !== CH_S) return ProbeKind.None;
    return h.indexOf('h') > 0 && h.indexOf('A') > 0 ? ProbeKind.Connect : ProbeKind.Syn;
  }
  if (p === 17) {
    if (r.respPkts !== 0 || isGroup(r.respH) || chattyUdpPort(r.respP) || chattyUdpPort(r.origP)) return ProbeKind.None;
    return ProbeKind.Udp;
  }
  return ProbeKind.None;
}

/**
 * Local discovery protocols answer by unicast datagrams that never get a reply (mDNS QU answers,
 * NetBIOS, LLMNR, SSDP, WS-Discovery, DHCP): a busy home would look like a UDP scan on them.
 */
function chattyUdpPort(port: number): boolean {
  return port === 5353 || port === 5355 || port === 137 || port === 138 || port === 1900 || port === 3702 ||
    port === 67 || port === 68 || port === 546 || port === 547;
}

/** Multicast or broadcast destination (IPv4 224-239, 255.255.255.255, x.x.x.255; IPv6 ff…). No allocation. */
export function isGroup(ip: string): boolean {
  const c0 = ip.charCodeAt(0);
  if (ip.indexOf(':') >= 0) return c0 === 102 && ip.charCodeAt(1) === 102; // "ff"
  const dot = ip.indexOf('.');
  if (dot === 3 && c0 === 50) {
    const b = (ip.charCodeAt(1) - 48) * 10 + (ip.charCodeAt(2) - 48) + 200;
    if (b >= 224 && b <= 239) return true;
  }
  const n = ip.length;
  return n >= 4 && ip.charCodeAt(n - 4) === 46 && ip.charCodeAt(n - 3) === 50 && ip.charCodeAt(n - 2) === 53 && ip.charCodeAt(n - 1) === 53;
}

/** Ports Mirai and its descendants scan for (telnet, SSH, web admin, TR-069, ADB, Huawei/Realtek UPnP exploits). */
export function iotExploitPort(port: number): boolean {
  return port === 23 || port === 2323 || port === 22 || port === 80 || port === 8080 || port === 7547 ||
    port === 5555 || port === 37215 || port === 52869;
}

const PORT_NAMES: Readonly<Record<number, string>> = {
  21: 'FTP', 22: 'SSH', 23: 'telnet', 25: 'mail', 53: 'DNS', 80: 'web', 123: 'NTP', 443: 'web (HTTPS)', 445: 'Windows file sharing',
  554: 'RTSP camera streaming', 1883: 'MQTT', 2323: 'telnet', 3389: 'remote desktop', 5555: 'Android debugging (ADB)',
  7547: 'router management (TR-069)', 8080: 'web admin', 8443: 'web admin', 37215: 'Huawei router exploit', 52869: 'Realtek UPnP exploit',
};

/** "port 23 (telnet)" / "UDP port 161". */
export function portLabel(port: number, udp = false): string {
  const name = PORT_NAMES[port];
  return `${udp ? 'UDP ' : ''}port ${port}${name && !udp ? ` (${name})` : ''}`;
}

export function capitalise(s: string): string {
  return s.length > 0 ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

/** Flows reach detectors when they end: unanswered attempts 30 s, datagrams 60 s after their start. */
export const LATE_SLACK = 90;

/** Distinct ports/hosts kept exactly per incident (nmap's default scan is 1,000 ports). */
const DISTINCT_CAP = 1024;

/** Sweep expired state every this many seconds of packet time (a sweep walks every key). */
const SWEEP_EVERY = 10;

// ---- the detector -------------------------------------------------------------------------------

/** One (source, target) incident: a window of probes, and whether (and when) it was reported. */
interface Scan {
  /** Distinct ports (vertical; UDP ports + 65536) or hosts (horizontal). */
  seen: CappedSet<number | string>;
  readonly vertical: boolean;
  first: number;
  last: number;
  probes: number;
  syn: number;
  connect: number;
  udp: number;
  readonly uids: string[];
  /** Sample of what was probed (ports or hosts), for the evidence. */
  readonly sample: string[];
  /** Packet time of the last raise; -1 while below the threshold. */
  raisedAt: number;
  /** Probes counted since the last raise (a final update is raised when the scan stops). */
  fresh: number;
  /** Inside actor: the scanning LAN device (MAC) or null; else the first LAN target's device. */
  device: string | null;
  readonly inside: boolean;
  readonly src: string;
  /** Vertical: the victim address; horizontal: the port (and proto). */
  readonly dst: string;
  readonly port: number;
  readonly udpPort: boolean;
  /** LAN devices reached (outside actors): many means the LAN is exposed. */
  lanTargets: number;
  /** Swept (expired): a source's cached reference to it must not be used. */
  dead: boolean;
}

/** What one source probed so far: enough to know whether it can be scanning at all. */
interface Source {
  /** First host and port (UDP ports + 65536) it probed. */
  readonly host: string;
  readonly port: number;
  multiHost: boolean;
  multiPort: boolean;
  last: number;
  /** The incidents its latest probe went to (consecutive probes usually hit the same ones). */
  v: Scan | null;
  h: Scan | null;
  readonly addr: string;
  /** Swept or dropped: the one-entry cache must not hand it out. */
  gone: boolean;
}

class PortScan implements Detector {
  readonly name = 'portscan';
  readonly paths: readonly string[] = [];
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #ports: number;
  readonly #hosts: number;
  readonly #window: number;
  readonly #leavePropagation: boolean;
  readonly #vertical: BoundedMap<string, Scan>;
  readonly #horizontal: BoundedMap<string, Scan>;
  readonly #sources: BoundedMap<string, Source>;
  /** The source of the last probe: a scan's probes come in a row, so most need no lookup. */
  #lastSource: Source | null = null;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#ports = config.portscan.ports;
    this.#hosts = config.portscan.hosts;
    this.#window = config.portscan.windowSeconds;
    this.#leavePropagation = !config.disabled.includes('propagation');
    const drop = () => ctx.count('detect.portscan.dropped');
    this.#vertical = new BoundedMap(config.maxTracked, drop);
    this.#horizontal = new BoundedMap(config.maxTracked, drop);
    this.#sources = new BoundedMap(config.maxTracked, (_k, src) => {
      src.gone = true;
      drop();
    });
  }

  conn(r: ConnRecord): void {
    const kind = probeKind(r);
    if (kind === ProbeKind.None) return;
    const udp = kind === ProbeKind.Udp;
    const port = udp ? r.respP + 65536 : r.respP;
    const host = r.respH;
    // Per source first (keyed by its address string, no allocation): a source that only ever
    // probed one port cannot be scanning vertically, one that only probed one host not
    // horizontally, so the (source, host) and (source, port) incidents are opened only once it
    // used a second port or host. A 1,000-port scan of one host thus keeps one incident, not 1,001.
    const cached = this.#lastSource;
    let src = cached !== null && !cached.gone && cached.addr === r.origH ? cached : this.#sources.get(r.origH);
    if (!src) {
      src = { host, port, multiHost: false, multiPort: false, last: r.ts, v: null, h: null, addr: r.origH, gone: false };
      this.#sources.set(r.origH, src);
      this.#lastSource = src;
      return;
    }
    this.#lastSource = src;
    if (r.ts > src.last) src.last = r.ts;
    const wasMultiHost = src.multiHost;
    const wasMultiPort = src.multiPort;
    if (!wasMultiPort && port !== src.port) src.multiPort = true;
    if (!wasMultiHost && host !== src.host) src.multiHost = true;

    if (src.multiPort) {
      let v = src.v;
      if (v === null || v.dead || v.dst !== host) {
        const key = `${r.origH}|${host}`;
        v = this.#vertical.get(key) ?? null;
        if (v === null) {
          v = this.#open(r, true, host, 0, udp);
          this.#vertical.set(key, v);
          // Probes before this incident opened: the source's very first one, and while it used one
          // port only, those the (source, first port) incident saw.
          if (host === src.host || (!wasMultiPort && wasMultiHost && this.#horizontalOf(r.origH, src.port)?.seen.has(host) === true)) {
            this.#seed(v, src.port, src.port & 0xffff);
          }
        }
        src.v = v;
      }
      this.#count(v, r, kind, port, r.respP, this.#ports, true);
    }

    // Mirai-style sweeps of exploit ports by a LAN device are propagation's (one report, critical).
    if (!src.multiHost || (this.#leavePropagation && !udp && isPropagationProbe(r))) return;
    let h = src.h;
    if (h === null || h.dead || h.port !== r.respP || h.udpPort !== udp) {
      const key = `${r.origH}|${udp ? 'udp' : 'tcp'}|${r.respP}`;
      h = this.#horizontal.get(key) ?? null;
      if (h === null) {
        h = this.#open(r, false, '', r.respP, udp);
        this.#horizontal.set(key, h);
        // Probes before it opened: the source's very first one, and while it probed one host only,
        // those the (source, first host) incident saw.
        if (port === src.port || (!wasMultiHost && wasMultiPort && this.#vertical.get(`${r.origH}|${src.host}`)?.seen.has(port) === true)) {
          this.#seed(h, src.host, src.host);
        }
      }
      src.h = h;
    }
    this.#count(h, r, kind, host, host, this.#hosts, false);
  }

  #horizontalOf(src: string, port: number): Scan | undefined {
    return this.#horizontal.get(`${src}|${port > 0xffff ? 'udp' : 'tcp'}|${port & 0xffff}`);
  }

  /** Adds what a source probed before its incident was opened (no probe count: it was counted as nothing). */
  #seed(s: Scan, item: number | string, label: number | string): void {
    if (s.seen.add(item)) pushCapped(s.sample, String(label));
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    const horizon = now - this.#window - LATE_SLACK;
    const stale = (s: Scan) => {
      if (s.last >= horizon) return false;
      this.#final(s);
      s.dead = true;
      return true;
    };
    this.#vertical.sweep(stale);
    this.#horizontal.sweep(stale);
    this.#sources.sweep((src) => {
      if (src.last >= horizon) return false;
      src.gone = true;
      return true;
    });
  }

  finish(): void {
    for (const s of this.#vertical.values()) this.#final(s);
    for (const s of this.#horizontal.values()) this.#final(s);
    this.#vertical.clear();
    this.#horizontal.clear();
    this.#sources.clear();
    this.#lastSource = null;
  }

  #open(r: ConnRecord, vertical: boolean, dst: string, port: number, udp: boolean): Scan {
    const ctx = this.#ctx;
    const srcDev = ctx.deviceOf(r.origH, r.origL2);
    const inside = srcDev !== null || r.localOrig;
    return {
      seen: new CappedSet(DISTINCT_CAP), vertical, first: r.ts, last: r.ts, probes: 0, syn: 0, connect: 0, udp: 0,
      uids: [], sample: [], raisedAt: -1, fresh: 0, device: inside ? srcDev : null, inside,
      src: r.origH, dst, port, udpPort: udp, lanTargets: 0, dead: false,
    };
  }

  /** `label`: what the evidence sample shows (a port is made text only when it is new). */
  #count(s: Scan, r: ConnRecord, kind: ProbeKind, item: number | string, label: number | string, threshold: number, vertical: boolean): void {
    const ts = r.ts;
    // A window that ended below the threshold starts over (Zeek's sumstats epochs do the same).
    if (s.raisedAt < 0 && ts - s.first > this.#window) this.#restart(s, ts);
    if (ts < s.first) s.first = ts;
    if (ts > s.last) s.last = ts;
    s.probes++;
    s.fresh++;
    if (kind === ProbeKind.Syn) s.syn++;
    else if (kind === ProbeKind.Connect) s.connect++;
    else s.udp++;
    pushCapped(s.uids, r.uid);
    if (s.seen.add(item)) {
      pushCapped(s.sample, typeof label === 'number' ? String(label) : label);
      if (!s.inside && (r.localResp || r.respH.indexOf(':') >= 0)) this.#lanTarget(s, r, vertical);
    }
    if (s.seen.size < threshold) return;
    if (s.raisedAt < 0 || ts - s.raisedAt >= this.#window) this.#raise(s, vertical, ts);
  }

  /** An outside source reached a LAN device: the alert names it (the first one). */
  #lanTarget(s: Scan, r: ConnRecord, vertical: boolean): void {
    if (vertical) {
      // One victim: look it up once; every port probed on it reached the LAN.
      if (s.device === null) s.device = this.#ctx.deviceOf(r.respH, r.respL2);
      s.lanTargets = s.device !== null ? s.seen.size : 0;
      return;
    }
    const d = this.#ctx.deviceOf(r.respH, r.respL2);
    if (d === null) return;
    s.lanTargets++;
    if (s.device === null) s.device = d;
  }

  #restart(s: Scan, ts: number): void {
    s.seen = new CappedSet(DISTINCT_CAP);
    s.first = ts;
    s.last = ts;
    s.probes = 0;
    s.syn = 0;
    s.connect = 0;
    s.udp = 0;
    s.uids.length = 0;
    s.sample.length = 0;
    s.fresh = 0;
    s.lanTargets = 0;
    if (!s.inside) s.device = null;
  }

  /** The scan stopped (or input ended): one last update when probes came since the last raise. */
  #final(s: Scan): void {
    if (s.raisedAt >= 0 && s.fresh > 0) this.#raise(s, s.vertical, s.last);
  }

  #raise(s: Scan, vertical: boolean, ts: number): void {
    const ctx = this.#ctx;
    s.raisedAt = ts;
    s.fresh = 0;
    const n = s.seen.size;
    const about = s.seen.overflow > 0 ? 'about ' : '';
    const kind = s.udp >= s.syn + s.connect ? 'udp' : s.connect > s.syn ? 'connect' : 'syn';
    const how = kind === 'udp' ? 'a UDP port scan' : kind === 'connect' ? 'a TCP connect scan' : 'a SYN port scan';
    const took = span(Math.max(1, s.last - s.first));
    const threshold = vertical ? this.#ports : this.#hosts;
    let severity: Severity;
    let summary: string;
    if (s.inside) {
      const who = capitalise(ctx.describe(s.device, s.src));
      severity = vertical ? 'medium' : 'high';
      const what = vertical
        ? `probed ${about}${plural(n, 'port')} of ${s.dst} in ${took} (${how})`
        : `probed ${portLabel(s.port, s.udpPort)} on ${about}${plural(n, 'other address', 'other addresses')} in ${took} (${how})`;
      summary = `${who} ${what}: a device that scans others may be infected or misused. If nobody ran a network scan from it on purpose, unplug it and reset it to factory settings.`;
    } else {
      const exposed = s.lanTargets >= threshold;
      severity = exposed ? 'medium' : 'low';
      const noise = 'Scans from the internet are common background noise';
      if (s.device === null) {
        const what = vertical
          ? `probed ${about}${plural(n, 'port')} of ${s.dst} in ${took} (${how})`
          : `probed ${portLabel(s.port, s.udpPort)} on ${about}${plural(n, 'address', 'addresses')} in ${took} (${how})`;
        summary = `${s.src} on the internet ${what}. ${noise}; nothing to do unless your router forwards ports to your devices.`;
      } else if (vertical) {
        summary = `${capitalise(ctx.describe(s.device, s.dst))} was port-scanned from the internet: ${s.src} probed ${about}${plural(n, 'port')} of it in ${took} (${how}) and the probes reached it, so your router lets the internet in to it (port forwarding, UPnP or DMZ). Close the forwards you do not need and keep it updated.`;
      } else {
        const others = n - 1;
        summary = `${capitalise(ctx.describe(s.device, ''))} and ${plural(others, 'other address', 'other addresses')} were probed on ${portLabel(s.port, s.udpPort)} from the internet by ${s.src} in ${took} (${how})${exposed ? `, and the probes reached ${plural(s.lanTargets, 'device')} of yours: your router lets the internet in (port forwarding, UPnP or DMZ). Close the forwards you do not need.` : `. ${noise}; check that your router forwards only the ports you need.`}`;
      }
    }
    ctx.raise({
      ts,
      code: vertical ? 'scan.vertical' : 'scan.horizontal',
      severity,
      device: s.device,
      summary,
      evidence: {
        kind,
        src: s.src,
        ...(vertical ? { victim: s.dst, ports: n, sample_ports: s.sample } : { port: s.port, proto: s.udpPort ? 'udp' : 'tcp', hosts: n, sample_hosts: s.sample }),
        probes: s.probes,
        count: s.probes,
        uids: s.uids,
        first: s.first,
        last: s.last,
      },
      key: vertical ? `scan.vertical|${s.src}|${s.dst}` : `scan.horizontal|${s.src}|${s.udpPort ? 'udp' : 'tcp'}/${s.port}`,
    });
  }
}

/**
 * True for a flow the propagation detector counts (so portscan leaves its horizontal part alone):
 * a TCP attempt from a LAN address on a telnet/IoT exploit port to an internet address (telnet also
 * to LAN addresses). Cheap: called only for failed probes here, and for exploit ports there.
 */
export function isPropagationProbe(r: ConnRecord): boolean {
  if (r.ipProto !== 6 || !iotExploitPort(r.respP) || r.history.charCodeAt(0) !== CH_S) return false;
  if (!r.localOrig && r.origH.indexOf(':') < 0) return false;
  if (r.respP === 23 || r.respP === 2323) return true;
  return !r.localResp;
}

export const portscan: DetectorFactory = {
  name: 'portscan',
  about: 'Port scans: one source probing many ports of a host or one port on many hosts (failed or empty probes only).',
  create: (config, ctx) => new PortScan(config, ctx),
};
