/**
 * ARP spoofing and other LAN-level man-in-the-middle tricks, from the `arp` and `ndp` records (who
 * claims which address from which MAC), the DHCP router option, and the MAC that LAN devices'
 * internet flows go to (the next hop: the router, or whoever poisoned the way to it).
 *
 * - `mitm.arp_spoof` (high): a MAC that holds an address of its own also claims another one it has
 *   no right to: it asks the network who really owns it (a poisoner must, to forward), or it took it
 *   from the router, or the real owner keeps claiming it back. Raised after a short settle time so
 *   the evidence names the impersonated MAC and the traffic that went through the attacker.
 * - `mitm.gateway_mac_changed` (medium; low for VRRP/HSRP virtual MACs): the router's address or
 *   the next hop of internet traffic moved to another MAC, without the signs of a poisoner.
 * - `mitm.arp_many_ips` (medium): one MAC claims `ipsPerMac` addresses (routers exempt).
 * - `mitm.arp_storm` (medium): `gratuitousPerMinute` gratuitous ARPs from one MAC in a minute.
 * - `mitm.rogue_ra` (high; low without a default-router lifetime): an IPv6 router advertisement
 *   from a MAC that is not the router.
 *
 * ARP and ND are rare next to flows, so records may allocate; `conn()` runs for every flow and
 * only compares two strings unless the next hop is new.
 */
import type { ConnInfo, LogFields } from '../decode/app/analyzer.js';
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import type { Severity } from '../alert/alert.js';
import { isUnicastMac } from '../device/oui.js';
import { type DetectContext, type Detector, type DetectorFactory, EVIDENCE_LIST_MAX, plural, pushCapped } from './detector.js';
import { BoundedMap } from './state.js';

/** A claim older than this no longer counts as an address the MAC holds now (DHCP leases move). */
const LIVE_SECONDS = 3600;
/** Evidence gathering time between spotting a poisoner and raising (diverted flows end meanwhile). */
const SETTLE_SECONDS = 60;
/** Same incident: re-raised at most once per this while it goes on. */
const REPEAT_SECONDS = 600;
/** Addresses remembered per MAC (past `ipsPerMac` they are only counted). */
const MAX_IPS = 64;
/** Requests, takeovers and claim targets remembered per MAC. */
const MAX_NOTES = 32;
/** Next-hop MACs and IPv6 routers remembered (a home has one or two). */
const MAX_HOPS = 16;
/** Flows through a next hop before it counts as the established router. */
const ESTABLISHED_FLOWS = 10;
/** Flows through a new next hop before a change is reported. */
const NEW_HOP_FLOWS = 3;

/** VRRP (RFC 5798), HSRP v1/v2 and GLBP virtual router MACs: failover moves them on purpose. */
function isVirtualRouterMac(mac: string): boolean {
  return mac.startsWith('00:00:5e:00:01:') || mac.startsWith('00:00:5e:00:02:') || mac.startsWith('00:00:0c:07:ac:')
    || mac.startsWith('00:00:0c:9f:f') || mac.startsWith('00:07:b4:00:01:');
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.toLowerCase() : '';
}

/** `list` holds `a + sep + b` (compared in place: a note is built only when it is new). */
function hasNote(list: readonly string[], a: string, sep: string, b: string): boolean {
  const len = a.length + 1 + b.length;
  for (const n of list) {
    if (n.length === len && n.charCodeAt(a.length) === sep.charCodeAt(0) && n.startsWith(a) && n.endsWith(b)) return true;
  }
  return false;
}

/** Who holds an IPv4 address now, and who held it before. */
interface Binding {
  mac: string;
  since: number;
  last: number;
  /** The MAC that held it before the last change ('' if none). */
  prev: string;
}

/** Everything one MAC said in ARP. */
interface MacState {
  readonly mac: string;
  first: number;
  last: number;
  /** ARP messages it sent. */
  msgs: number;
  /** Addresses it claimed as ARP sender, with the time of the last claim (parallel arrays). */
  readonly ips: string[];
  readonly ipLast: number[];
  /** Distinct addresses claimed beyond MAX_IPS (counted only). */
  ipsOver: number;
  /** Addresses it took over from another MAC, and from whom (parallel). */
  readonly taken: string[];
  readonly takenFrom: string[];
  /** Taken addresses whose previous owner claimed them back afterwards (a tug of war). */
  readonly contested: string[];
  /** ARP requests it sent, "target<from" (it asked who has target, saying it is from). */
  readonly asked: string[];
  /** Whom it told each claim: "claimed>target". */
  readonly told: string[];
  /** Gratuitous ARP counting: window start and count. */
  gratStart: number;
  gratCount: number;
  gratPeak: number;
  stormAt: number;
  manyAt: number;
  /** Poisoner: when spotted (-1 = not), when last raised (-1 = never), evidence signature then. */
  spoofSeen: number;
  spoofRaised: number;
  spoofSig: string;
  /** Dropped from the state map (swept or capped). */
  gone: boolean;
}

interface Hop {
  readonly mac: string;
  flows: number;
  first: number;
  last: number;
  readonly uids: string[];
  /** Reported as a new next hop already. */
  judged: boolean;
}

interface RaRouter {
  readonly mac: string;
  adopted: boolean;
  count: number;
  first: number;
  last: number;
  raisedAt: number;
  readonly prefixes: string[];
}

class ArpSpoofDetector implements Detector {
  readonly name = 'arp-spoof';
  readonly paths = ['arp', 'ndp', 'dhcp'] as const;
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #ipsPerMac: number;
  readonly #gratPerMinute: number;
  readonly #ips: BoundedMap<string, Binding>;
  readonly #macs: BoundedMap<string, MacState>;
  /** MACs spotted as poisoners and not yet raised (few). */
  readonly #pending = new Set<string>();
  /**
   * MACs raised as poisoners (for re-raise and the final evidence update), with their state: the
   * per-second re-raise check reads it without a lookup (`gone` says it was dropped meanwhile).
   */
  readonly #raised = new Map<string, MacState>();
  readonly #hops: Hop[] = [];
  /** The hop of the last outbound flow: the common case is one compare. */
  #hopMac = '';
  #hop: Hop | null = null;
  #hopsChanged = false;
  /** Router addresses from DHCP option 3. */
  readonly #routers: string[] = [];
  readonly #ra: RaRouter[] = [];
  #now = 0;
  #nextSweep = 0;
  /**
   * No binding or MAC state was claimed before this packet time: a sweep finds nothing to forget
   * until `now` is 4 LIVE_SECONDS past it (most runs never get there, so the maps are not walked).
   */
  #oldestClaim = Infinity;
  /**
   * No raised poisoner can be due for its repeat before this packet time: a repeat needs both
   * REPEAT_SECONDS since its raise and ARP from it since (#arp brings the time forward then).
   */
  #repeatDue = Infinity;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#ipsPerMac = config.arpSpoof.ipsPerMac;
    this.#gratPerMinute = config.arpSpoof.gratuitousPerMinute;
    this.#ips = new BoundedMap(config.maxTracked, () => ctx.count('detect.arp-spoof.ips_dropped'));
    this.#macs = new BoundedMap(config.maxTracked, (_mac, s) => {
      s.gone = true;
      ctx.count('detect.arp-spoof.macs_dropped');
    });
  }

  // ---- next hop of internet flows -----------------------------------------------------------

  conn(r: ConnRecord): void {
    if (!r.localOrig || r.localResp) return;
    const m = r.respL2;
    if (m === '') return; // not Ethernet: no next hop to learn
    if (m === this.#hopMac && this.#hop !== null) {
      const h = this.#hop;
      h.flows++;
      if (r.ts > h.last) h.last = r.ts;
      if (r.ts < h.first) h.first = r.ts;
      if (h.uids.length < EVIDENCE_LIST_MAX) h.uids.push(r.uid);
      return;
    }
    this.#newHop(r);
  }

  #newHop(r: ConnRecord): void {
    const m = r.respL2;
    // IPv6 may leave through another router than IPv4 (ISP box for v6, own router for v4): not a change.
    if (!isUnicastMac(m) || r.respH.indexOf(':') >= 0) return;
    let h = this.#hopOf(m);
    if (h === null) {
      if (this.#hops.length >= MAX_HOPS) return;
      h = { mac: m, flows: 0, first: r.ts, last: r.ts, uids: [], judged: false };
      this.#hops.push(h);
    }
    this.#hopMac = m;
    this.#hop = h;
    this.#hopsChanged = true;
    h.flows++;
    if (r.ts > h.last) h.last = r.ts;
    if (r.ts < h.first) h.first = r.ts;
    if (h.uids.length < EVIDENCE_LIST_MAX) h.uids.push(r.uid);
  }

  #hopOf(mac: string): Hop | null {
    for (const h of this.#hops) if (h.mac === mac) return h;
    return null;
  }

  /** A MAC that routes internet traffic: a next hop of outbound flows, or what the pipeline learned. */
  #isRouterMac(mac: string): boolean {
    return this.#hopOf(mac) !== null || this.#ctx.isGateway(mac);
  }

  // ---- records ----------------------------------------------------------------------------

  record(path: string, ts: number, _conn: ConnInfo | null, f: LogFields): void {
    if (ts > this.#now) this.#now = ts;
    if (path === 'arp') this.#arp(ts, f);
    else if (path === 'ndp') this.#ndp(ts, f);
    else if (path === 'dhcp') this.#dhcp(f);
  }

  #dhcp(f: LogFields): void {
    if (!Array.isArray(f.routers)) return;
    for (const r of f.routers) {
      if (typeof r === 'string' && this.#routers.length < MAX_HOPS && !this.#routers.includes(r)) this.#routers.push(r);
    }
  }

  #arp(ts: number, f: LogFields): void {
    const mac = str(f.orig_mac);
    const ip = str(f.orig_h);
    // ARP probes (sender 0.0.0.0) claim nothing; odd or zero MACs name no device.
    if (!isUnicastMac(mac) || ip === '' || ip === '0.0.0.0') return;
    const target = str(f.resp_h);
    const reply = f.operation === 'reply';
    const gratuitous = f.gratuitous === true || ip === target;
    // Every binding and state this record touches is stamped with `ts`.
    if (ts < this.#oldestClaim) this.#oldestClaim = ts;
    let s = this.#macs.get(mac);
    if (s === undefined) {
      s = {
        mac, first: ts, last: ts, msgs: 0, ips: [], ipLast: [], ipsOver: 0, taken: [], takenFrom: [], contested: [], asked: [],
        told: [], gratStart: ts, gratCount: 0, gratPeak: 0, stormAt: -Infinity, manyAt: -Infinity,
        spoofSeen: -1, spoofRaised: -1, spoofSig: '', gone: false,
      };
      this.#macs.set(mac, s);
    }
    s.last = ts;
    s.msgs++;
    if (s.spoofRaised >= 0 && s.spoofRaised + REPEAT_SECONDS < this.#repeatDue) this.#repeatDue = s.spoofRaised + REPEAT_SECONDS;
    this.#claim(s, ip, ts);
    if (!reply && !gratuitous && target !== '' && target !== '0.0.0.0') {
      if (s.asked.length < MAX_NOTES && !hasNote(s.asked, target, '<', ip)) s.asked.push(target + '<' + ip);
    }
    if (!gratuitous && target !== '' && target !== '0.0.0.0') {
      if (s.told.length < MAX_NOTES && !hasNote(s.told, ip, '>', target)) s.told.push(ip + '>' + target);
    }
    if (gratuitous || (reply && str(f.dst_mac) === 'ff:ff:ff:ff:ff:ff')) this.#gratuitous(s, ts, ip);
    this.#judge(s, ts, ip);
  }

  /** `s` says it holds `ip`: update the binding, note takeovers and tugs of war. */
  #claim(s: MacState, ip: string, ts: number): void {
    const i = s.ips.indexOf(ip);
    if (i >= 0) s.ipLast[i] = ts;
    else if (s.ips.length < MAX_IPS) {
      s.ips.push(ip);
      s.ipLast.push(ts);
    } else s.ipsOver++;
    const b = this.#ips.get(ip);
    if (b === undefined) {
      this.#ips.set(ip, { mac: s.mac, since: ts, last: ts, prev: '' });
      return;
    }
    if (b.mac === s.mac) {
      b.last = ts;
      return;
    }
    // The address changed hands. An old claim (lease long gone) is a new owner, not a takeover.
    const holder = this.#macs.get(b.mac);
    const reclaim = b.prev === s.mac;
    if (reclaim && holder !== undefined && ts - b.since < LIVE_SECONDS) {
      // The previous owner claims it back from the one that took it: a tug of war.
      if (holder.taken.includes(ip) && !holder.contested.includes(ip) && holder.contested.length < MAX_NOTES) holder.contested.push(ip);
      if (holder.spoofSeen < 0) this.#judge(holder, ts, '');
    }
    if (ts - b.last < LIVE_SECONDS && !reclaim) {
      if (!s.taken.includes(ip) && s.taken.length < MAX_NOTES) {
        s.taken.push(ip);
        s.takenFrom.push(b.mac);
      }
      this.#ctx.count('detect.arp-spoof.ip_moved');
    }
    const old = b.mac;
    b.prev = old;
    b.mac = s.mac;
    b.since = ts;
    b.last = ts;
    // The rightful owner taking its address back from a poisoner is not a router change.
    const poisoner = holder !== undefined && holder.spoofSeen >= 0;
    if (!reclaim && !poisoner && this.#isGatewayIp(ip, old)) this.#gatewayMoved(s, ip, old, ts);
  }

  /** An address is the router's when DHCP says so or its holder routes internet traffic. */
  #isGatewayIp(ip: string, holder: string): boolean {
    return this.#routers.includes(ip) || (holder !== '' && this.#isRouterMac(holder));
  }

  #liveIps(s: MacState, ts: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < s.ips.length; i++) if (ts - s.ipLast[i] < LIVE_SECONDS) out.push(s.ips[i]);
    return out;
  }

  /**
   * The addresses `s` claims without right, given the addresses it holds now (empty: not a
   * poisoner). A poisoner keeps an address of its own and claims another that it asked the
   * network about, took from the router, or fights its real owner for.
   */
  #spoofed(s: MacState, live: readonly string[]): string[] {
    if (live.length < 2 || isVirtualRouterMac(s.mac)) return [];
    const out: string[] = [];
    for (const x of live) {
      let bad = false;
      for (const n of s.asked) {
        const lt = n.indexOf('<');
        if (n.slice(0, lt) === x && live.includes(n.slice(lt + 1))) bad = true;
      }
      const t = s.taken.indexOf(x);
      if (t >= 0 && (s.contested.includes(x) || this.#isGatewayIp(x, s.takenFrom[t]))) bad = true;
      if (bad) out.push(x);
    }
    // It must keep at least one address as its own: a device that only moved is not a poisoner.
    return out.length < live.length ? out : [];
  }

  #judge(s: MacState, ts: number, ip: string): void {
    const live = this.#liveIps(s, ts);
    if (s.spoofSeen < 0 && this.#spoofed(s, live).length > 0) {
      s.spoofSeen = ts;
      this.#pending.add(s.mac);
      this.#ctx.count('detect.arp-spoof.poisoners');
    }
    if (ip !== '' && live.length + s.ipsOver >= this.#ipsPerMac && ts - s.manyAt >= REPEAT_SECONDS && !this.#isRouterMac(s.mac)) {
      s.manyAt = ts;
      const n = live.length + s.ipsOver;
      this.#ctx.raise({
        ts,
        code: 'mitm.arp_many_ips',
        severity: 'medium',
        device: s.mac,
        summary: `${this.#name(s.mac, ip)} claims ${plural(n, 'network address', 'network addresses')} at once: a device pretending to be many others is how man-in-the-middle attacks start (a Wi-Fi range extender can look like this too). If it is not an extender or router, unplug it and check it.`,
        evidence: { count: n, ips: live.slice(0, EVIDENCE_LIST_MAX), first: s.first, last: ts, threshold: this.#ipsPerMac },
        key: `mitm.arp_many_ips|${s.mac}`,
      });
    }
  }

  #gratuitous(s: MacState, ts: number, ip: string): void {
    if (ts - s.gratStart >= 60) {
      s.gratStart = ts;
      s.gratCount = 0;
    }
    s.gratCount++;
    if (s.gratCount > s.gratPeak) s.gratPeak = s.gratCount;
    if (s.gratCount < this.#gratPerMinute || ts - s.stormAt < REPEAT_SECONDS) return;
    s.stormAt = ts;
    this.#ctx.raise({
      ts,
      code: 'mitm.arp_storm',
      severity: 'medium',
      device: s.mac,
      summary: `${this.#name(s.mac, ip)} sent ${plural(s.gratCount, 'unrequested address announcement')} (gratuitous ARP) within a minute: devices announce themselves once when they join, so a stream like this is usually an attempt to redirect traffic (ARP poisoning) or a faulty device. Unplug it and check it.`,
      evidence: { count: s.gratCount, ips: this.#liveIps(s, ts).slice(0, EVIDENCE_LIST_MAX), first: s.gratStart, last: ts, threshold: this.#gratPerMinute },
      key: `mitm.arp_storm|${s.mac}`,
    });
  }

  /** The router's address now answers from another MAC (and that MAC is not a poisoner). */
  #gatewayMoved(s: MacState, ip: string, old: string, ts: number): void {
    if (this.#spoofed(s, this.#liveIps(s, ts)).length > 0) return; // reported as mitm.arp_spoof
    const virtual = isVirtualRouterMac(old) || isVirtualRouterMac(s.mac);
    this.#raiseGatewayChange(s.mac, ip, old, ts, virtual ? 'low' : 'medium', [], 'ARP');
  }

  #raiseGatewayChange(mac: string, ip: string, old: string, ts: number, severity: Severity, uids: readonly string[], via: string): void {
    const who = this.#name(mac, ip);
    const what = ip !== '' ? `now answers for the router's address ${ip}` : 'now carries your internet traffic';
    this.#ctx.raise({
      ts,
      code: 'mitm.gateway_mac_changed',
      severity,
      device: mac,
      summary: severity === 'low'
        ? `${who} ${what} instead of ${old}: both are redundant-router (VRRP/HSRP) addresses, so this is most likely a normal router failover.`
        : `${who} ${what} instead of the router ${old}: if you did not replace or add a router, someone may be intercepting your traffic. Check which device this is and restart your router.`,
      evidence: { router_ip: ip, old_mac: old, new_mac: mac, via, uids: [...uids], count: 1, first: ts, last: ts },
      key: `mitm.gateway_mac_changed|${old}|${mac}`,
    });
  }

  #ndp(ts: number, f: LogFields): void {
    if (f.msg !== 'router_advert') return;
    const mac = str(f.src_mac) || str(f.src_lladdr);
    if (!isUnicastMac(mac)) return;
    const lifetime = typeof f.router_lifetime === 'number' ? f.router_lifetime : 0;
    let r = this.#ra.find((x) => x.mac === mac);
    if (r === undefined) {
      if (this.#ra.length >= MAX_HOPS) return;
      // The first router that offers itself as default router is the router (as with DHCP), and so is
      // the IPv4 router's MAC.
      const adopt = lifetime > 0 && (!this.#ra.some((x) => x.adopted) || this.#isRouterMac(mac));
      r = { mac, adopted: adopt, count: 0, first: ts, last: ts, raisedAt: -Infinity, prefixes: [] };
      this.#ra.push(r);
    }
    r.count++;
    r.last = ts;
    if (Array.isArray(f.prefixes)) for (const p of f.prefixes) if (typeof p === 'string') pushCapped(r.prefixes, p);
    if (r.adopted || ts - r.raisedAt < REPEAT_SECONDS) return;
    if (lifetime > 0 && this.#isRouterMac(mac)) {
      r.adopted = true;
      return;
    }
    r.raisedAt = ts;
    const src = str(f.src);
    const routers = this.#ra.filter((x) => x.adopted).map((x) => x.mac);
    const who = this.#name(mac, src);
    this.#ctx.raise({
      ts,
      code: 'mitm.rogue_ra',
      severity: lifetime > 0 ? 'high' : 'low',
      device: mac,
      summary: lifetime > 0
        ? `${who} announced itself as the network's IPv6 router although ${routers.length ? routers.join(', ') : 'another device'} is the router: devices may send their IPv6 traffic through it (a rogue router advertisement, a man-in-the-middle trick). Unplug it and check it.`
        : `${who} announced IPv6 routes without offering itself as default router (smart-home hubs with Thread do this); nothing to do unless you do not know the device.`,
      evidence: { router_lifetime: lifetime, prefixes: [...r.prefixes], routers, src_ip: src, count: r.count, first: r.first, last: ts },
      key: `mitm.rogue_ra|${mac}`,
    });
  }

  // ---- time -------------------------------------------------------------------------------

  tick(now: number): void {
    if (now > this.#now) this.#now = now;
    if (this.#pending.size > 0) {
      for (const mac of [...this.#pending]) {
        const s = this.#macs.get(mac);
        if (s === undefined) this.#pending.delete(mac);
        else if (now - s.spoofSeen >= SETTLE_SECONDS) this.#raiseSpoof(s, now, 'first');
      }
    }
    if (now >= this.#repeatDue) {
      let due = Infinity;
      for (const s of this.#raised.values()) {
        if (s.gone) this.#raised.delete(s.mac);
        else if (now - s.spoofRaised >= REPEAT_SECONDS && s.last > s.spoofRaised) this.#raiseSpoof(s, now, 'continues');
        else if (s.last > s.spoofRaised && s.spoofRaised + REPEAT_SECONDS < due) due = s.spoofRaised + REPEAT_SECONDS;
      }
      this.#repeatDue = due;
    }
    if (this.#hopsChanged) this.#judgeHops(now);
    // Forget what went quiet long ago (the bindings keep the last claim for LIVE_SECONDS).
    if (now >= this.#nextSweep) {
      this.#nextSweep = now + 60;
      if (now - this.#oldestClaim > 4 * LIVE_SECONDS) this.#sweep(now);
    }
  }

  /** Drops bindings and MAC states quiet for 4 LIVE_SECONDS; notes the oldest claim that stays. */
  #sweep(now: number): void {
    let oldest = Infinity;
    this.#ips.sweep((b) => {
      if (now - b.last > 4 * LIVE_SECONDS) return true;
      if (b.last < oldest) oldest = b.last;
      return false;
    });
    this.#macs.sweep((s) => {
      if (now - s.last > 4 * LIVE_SECONDS && !this.#pending.has(s.mac)) {
        s.gone = true;
        return true;
      }
      if (s.last < oldest) oldest = s.last;
      return false;
    });
    this.#oldestClaim = oldest;
  }

  finish(now: number): void {
    this.tick(now);
    for (const mac of this.#pending) {
      const s = this.#macs.get(mac);
      if (s !== undefined) this.#raiseSpoof(s, now, 'first');
    }
    // The last word on a raised poisoner carries what was learnt since (diverted flows end late).
    for (const s of this.#raised.values()) {
      if (!s.gone && s.spoofRaised >= 0) this.#raiseSpoof(s, now, 'final');
    }
    this.#judgeHops(now);
  }

  /** A new next hop for internet flows, after an established one, that no poisoner explains. */
  #judgeHops(now: number): void {
    this.#hopsChanged = false;
    if (this.#hops.length < 2) return;
    for (const b of this.#hops) {
      if (b.judged || b.flows < NEW_HOP_FLOWS) continue;
      const a = this.#hops.find((x) => x !== b && x.flows >= ESTABLISHED_FLOWS && x.first < b.first);
      if (a === undefined) continue;
      b.judged = true;
      const s = this.#macs.get(b.mac);
      if (s !== undefined && s.spoofSeen >= 0) continue; // the poisoner's alert names it
      const virtual = isVirtualRouterMac(a.mac) || isVirtualRouterMac(b.mac);
      this.#raiseGatewayChange(b.mac, '', a.mac, Math.max(b.first, Math.min(now, b.last)), virtual ? 'low' : 'medium', b.uids, 'flows');
    }
  }

  /**
   * `first`: spotted and settled (or input ended); `continues`: still at it a window later;
   * `final`: end of input, raised again only when the evidence grew since.
   */
  #raiseSpoof(s: MacState, now: number, why: 'first' | 'continues' | 'final'): void {
    const live = this.#liveIps(s, s.last);
    let spoofed = this.#spoofed(s, live);
    // Its claims may have gone stale since it was spotted: report what made it a poisoner then.
    if (spoofed.length === 0) spoofed = this.#spoofed(s, this.#liveIps(s, s.spoofSeen));
    this.#pending.delete(s.mac);
    if (spoofed.length === 0) return;
    const own = s.ips.filter((x) => !spoofed.includes(x)).slice(0, EVIDENCE_LIST_MAX);
    const victims: string[] = [];
    for (const n of s.told) {
      const gt = n.indexOf('>');
      const claimed = n.slice(0, gt);
      const target = n.slice(gt + 1);
      if (spoofed.includes(claimed) && !s.ips.includes(target)) pushCapped(victims, target);
    }
    const impersonated: string[] = [];
    let gateway = false;
    for (const x of spoofed) {
      const t = s.taken.indexOf(x);
      if (t >= 0) pushCapped(impersonated, s.takenFrom[t]);
      const b = this.#ips.get(x);
      if (b !== undefined && b.mac !== s.mac) pushCapped(impersonated, b.mac);
      if (this.#routers.includes(x) || (t >= 0 && this.#isRouterMac(s.takenFrom[t]))) gateway = true;
    }
    // Internet traffic that went to the poisoner instead of the router: it posed as the router,
    // and the router it stood in for is the next hop that carried that traffic before.
    const hop = this.#hopOf(s.mac);
    const uids: string[] = [];
    if (hop !== null) {
      gateway = true;
      for (const u of hop.uids) pushCapped(uids, u);
      for (const h of this.#hops) if (h !== hop && h.first <= hop.first) pushCapped(impersonated, h.mac);
    }
    const sig = [spoofed.join(','), victims.join(','), impersonated.join(','), hop?.flows ?? 0, s.msgs].join('|');
    if (why === 'final' && sig === s.spoofSig) return;
    s.spoofRaised = now;
    s.spoofSig = sig;
    // Due again once it sends ARP after this raise (#arp brings #repeatDue forward then).
    this.#raised.set(s.mac, s);
    const who = this.#name(s.mac, own[0] ?? '');
    const role = gateway ? `the router (${spoofed.join(', ')})` : spoofed.join(', ');
    const toWhom = victims.length > 0 ? ` to ${plural(victims.length, 'device')} (${victims.join(', ')})` : '';
    const diverted = hop !== null ? `; ${plural(hop.flows, 'internet connection')} already went through it` : '';
    this.#ctx.raise({
      ts: why === 'first' ? s.spoofSeen : why === 'continues' ? now : Math.max(s.spoofSeen, s.last),
      code: 'mitm.arp_spoof',
      severity: 'high',
      device: s.mac,
      summary: `${who} is pretending to be ${role}${toWhom}${diverted}: this is ARP spoofing, a man-in-the-middle attack that can read and change that traffic. Unplug the device, find out who controls it, then restart your router.`,
      evidence: {
        impersonated_ips: spoofed,
        impersonated_macs: impersonated,
        victim_ips: victims,
        own_ips: own,
        gateway,
        diverted_flows: hop?.flows ?? 0,
        uids,
        count: s.msgs,
        first: s.first,
        last: s.last,
      },
      key: `mitm.arp_spoof|${s.mac}`,
    });
  }

  /** "Hikvision camera (aa:…)" or "the device at 192.168.1.20 (aa:…)", capitalised. */
  #name(mac: string, ip: string): string {
    let d = this.#ctx.describe(mac, ip);
    // describe() falls back to the bare MAC for a MAC the inventory does not know.
    if (d === mac) d = ip !== '' ? `The device at ${ip} (${mac})` : `The device ${mac}`;
    return d.charAt(0).toUpperCase() + d.slice(1);
  }
}

export const arpSpoof: DetectorFactory = {
  name: 'arp-spoof',
  about: 'ARP spoofing and LAN man-in-the-middle: stolen addresses, the router\'s MAC changing, one MAC claiming many addresses, gratuitous-ARP storms, rogue IPv6 router advertisements.',
  create: (config, ctx) => new ArpSpoofDetector(config, ctx),
};
