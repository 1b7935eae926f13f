/**
 * Flood participation (`flood.syn`, `flood.udp`, `flood.icmp`, `flood.dns_amplification`): a LAN
 * device sending a denial-of-service flood to one victim, as Mirai-type bots do on command.
 * Thresholds per (device, victim) within `detect.flood.windowSeconds`: `flows` connection attempts
 * (floods randomise source ports, so each packet or few is a flow of its own) or `packets` packets.
 *
 * - SYN: TCP attempts with no payload (S0, REJ, half-open). Many attempts over MANY ports is a port
 *   scan, not a flood: a flood needs few distinct ports (≤ 64) unless it is ten times the threshold.
 * - UDP: datagrams the victim (nearly) never answers (< 1 reply per 100 sent). Many such flows, or
 *   the packet threshold at that average rate towards an internet victim. A one-way stream inside the
 *   LAN (camera to recorder) is normal, so LAN victims need ten times the packets. Multicast and
 *   broadcast streams never count.
 * - ICMP: echo/timestamp requests (not errors: a host answering a flood with "unreachable" is the
 *   victim, not the attacker).
 * - DNS amplification: (a) a LAN device sending unanswered DNS queries to many distinct internet
 *   resolvers (with a forged sender address the answers go to the victim), or (b) a LAN resolver
 *   answering a flood of queries from one internet address (an open resolver abused as reflector).
 *
 * A flow's packets are counted when the flow ends, so a long flood on one 5-tuple arrives as one
 * record: its packets are normalised by the flow's own duration (a rate, not a lifetime total).
 * Spoofed floods: a LAN frame carrying a public source towards a public victim is keyed by the
 * sender's MAC, so random forged sources still add up to one incident.
 */
import type { ConnRecord } from '../flow/conn-record.js';
import type { DetectConfig } from '../config/detect.js';
import { pushCapped, plural, span, type DetectContext, type Detector, type DetectorFactory } from './detector.js';
import { BoundedMap, CappedSet } from './state.js';
import { LATE_SLACK, capitalise, isGroup, portLabel } from './portscan.js';

type Kind = 'syn' | 'udp' | 'icmp' | 'dns_amplification';

const SWEEP_EVERY = 10;
/** Distinct destination ports above which SYN attempts are a scan rather than a flood. */
const FLOOD_PORTS = 64;
/** Distinct resolvers for DNS amplification case (a): a tenth of `flows` (100 by default). */
const RESOLVER_SHARE = 10;

interface Flood {
  readonly kind: Kind;
  readonly actor: string;
  readonly victim: string;
  readonly device: string | null;
  ports: CappedSet<number>;
  /** Case (a) of DNS amplification: distinct resolvers. */
  readonly resolvers: CappedSet<string> | null;
  first: number;
  /** End of the latest flow (start + duration). */
  end: number;
  last: number;
  flows: number;
  packets: number;
  bytes: number;
  replies: number;
  /** Packets the victim could have sent back (replies' bytes, for amplification). */
  replyBytes: number;
  readonly uids: string[];
  raisedAt: number;
  fresh: number;
  /** The source address was not the device's own (public source from a LAN frame). */
  spoofed: boolean;
  /** The victim is inside the LAN. */
  readonly lanVictim: boolean;
  /** Swept (expired): the one-entry cache must not hand it out. */
  dead: boolean;
}

class FloodDetector implements Detector {
  readonly name = 'flood';
  readonly paths: readonly string[] = [];
  readonly wantsConn = true;
  readonly #ctx: DetectContext;
  readonly #packets: number;
  readonly #flows: number;
  readonly #window: number;
  readonly #floods: BoundedMap<string, Flood>;
  #recent: Flood | null = null;
  #nextSweep = 0;

  constructor(config: DetectConfig, ctx: DetectContext) {
    this.#ctx = ctx;
    this.#packets = config.flood.packets;
    this.#flows = config.flood.flows;
    this.#window = config.flood.windowSeconds;
    this.#floods = new BoundedMap(config.maxTracked, () => ctx.count('detect.flood.dropped'));
  }

  conn(r: ConnRecord): void {
    const p = r.ipProto;
    if (p === 6) {
      // Attempts only: any payload means a real connection (reject the common case first).
      if (r.origBytes !== 0 || r.respBytes !== 0 || r.history.charCodeAt(0) !== 83) return;
      this.#outbound(r, 'syn');
    } else if (p === 17) {
      // DNS is both a reflection vector and a common UDP flood target port (hping3 -2 -p 53).
      if (r.respP === 53) this.#dns(r);
      // Answered datagrams (DNS, NTP, QUIC, games, calls) are the common case.
      if (r.respPkts * 100 > r.origPkts || isGroup(r.respH)) return;
      this.#outbound(r, 'udp');
    } else if (p === 1 || p === 58) {
      const t = r.origP;
      if (p === 1 ? t !== 8 && t !== 13 : t !== 128) return;
      this.#outbound(r, 'icmp');
    }
  }

  tick(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY;
    const horizon = now - this.#window - LATE_SLACK;
    this.#floods.sweep((f) => {
      if (f.last >= horizon) return false;
      if (f.raisedAt >= 0 && f.fresh > 0) this.#raise(f, f.last);
      f.dead = true;
      return true;
    });
  }

  finish(): void {
    for (const f of this.#floods.values()) if (f.raisedAt >= 0 && f.fresh > 0) this.#raise(f, f.last);
    this.#floods.clear();
    this.#recent = null;
  }

  /** SYN/UDP/ICMP from a LAN sender to one victim. */
  #outbound(r: ConnRecord, kind: Kind): void {
    if (isGroup(r.respH)) return;
    // A LAN sender: its own private (or IPv6) address, or a forged public source in a LAN frame
    // aimed at a public victim. Public-to-private is inbound traffic through the router: not ours.
    const spoofed = !r.localOrig && r.origH.indexOf(':') < 0;
    if (spoofed && (r.localResp || r.origL2 === '')) return;
    const actor = spoofed ? r.origL2 : r.origH;
    const f = this.#entry(kind, actor, r.respH, r, spoofed, null);
    if (!f) return;
    this.#add(f, r);
    if (kind === 'syn') {
      f.ports.add(r.respP);
      // Attempts spread over many ports are a port scan (portscan reports it) unless enormous.
      if (f.ports.size > FLOOD_PORTS && f.flows < 10 * this.#flows) return;
    }
    this.#check(f, r.ts);
  }

  /** DNS: case (a) queries to many resolvers, case (b) a LAN resolver answering a flood. */
  #dns(r: ConnRecord): void {
    if (r.localResp && !r.localOrig && r.origH.indexOf(':') < 0) {
      // (b) An internet address querying a LAN resolver: the address is the (forged) victim.
      const f = this.#entry('dns_amplification', r.respH, r.origH, r, false, null, true);
      if (!f) return;
      this.#add(f, r);
      this.#check(f, r.ts);
      return;
    }
    // (a) Unanswered queries from a LAN sender to internet resolvers.
    if (r.respPkts !== 0 || r.localResp || isGroup(r.respH)) return;
    const spoofed = !r.localOrig && r.origH.indexOf(':') < 0;
    if (spoofed && r.origL2 === '') return;
    const actor = spoofed ? r.origL2 : r.origH;
    const f = this.#entry('dns_amplification', actor, spoofed ? r.origH : '', r, spoofed, new CappedSet<string>(4096));
    if (!f || !f.resolvers) return;
    this.#add(f, r);
    f.resolvers.add(r.respH);
    if (f.resolvers.size >= Math.max(2, Math.ceil(this.#flows / RESOLVER_SHARE))) this.#raiseOnce(f, r.ts);
  }

  #entry(kind: Kind, actor: string, victim: string, r: ConnRecord, spoofed: boolean, resolvers: CappedSet<string> | null, reflector = false): Flood | null {
    // Consecutive attempts of a flood hit the same incident: skip building and hashing its key.
    const c = this.#recent;
    if (c !== null && !c.dead && c.victim === victim && c.actor === actor && c.kind === kind) return c;
    const key = `${kind}|${actor}|${victim}`;
    let f = this.#floods.get(key);
    if (f) {
      this.#recent = f;
      return f;
    }
    const ctx = this.#ctx;
    let device: string | null;
    if (reflector) device = ctx.deviceOf(r.respH, r.respL2) ?? (r.respL2 || null);
    else device = spoofed ? r.origL2 : ctx.deviceOf(r.origH, r.origL2) ?? (r.localOrig ? r.origL2 || null : null);
    if (device === null && !r.localOrig && !reflector && !spoofed) return null;
    f = {
      kind, actor, victim, device, ports: new CappedSet(FLOOD_PORTS + 1), resolvers,
      first: r.ts, end: r.ts, last: r.ts, flows: 0, packets: 0, bytes: 0, replies: 0, replyBytes: 0,
      uids: [], raisedAt: -1, fresh: 0, spoofed, lanVictim: reflector ? false : r.localResp, dead: false,
    };
    this.#floods.set(key, f);
    this.#recent = f;
    return f;
  }

  #add(f: Flood, r: ConnRecord): void {
    const ts = r.ts;
    if (f.raisedAt < 0 && ts - f.first > this.#window) this.#restart(f, ts);
    if (ts < f.first) f.first = ts;
    if (ts > f.last) f.last = ts;
    const end = ts + (r.duration > 0 ? r.duration : 0);
    if (end > f.end) f.end = end;
    f.flows++;
    f.fresh++;
    f.packets += r.origPkts;
    f.bytes += r.origIpBytes;
    f.replies += r.respPkts;
    f.replyBytes += r.respIpBytes;
    pushCapped(f.uids, r.uid);
  }

  #restart(f: Flood, ts: number): void {
    f.first = ts;
    f.end = ts;
    f.last = ts;
    f.flows = 0;
    f.packets = 0;
    f.bytes = 0;
    f.replies = 0;
    f.replyBytes = 0;
    f.fresh = 0;
    f.uids.length = 0;
    f.ports = new CappedSet(FLOOD_PORTS + 1);
  }

  /** Packets scaled to the window: a long single flow counts by its rate, not its lifetime total. */
  #rate(f: Flood): number {
    const took = Math.max(this.#window, f.end - f.first);
    return (f.packets * this.#window) / took;
  }

  #check(f: Flood, ts: number): void {
    let over = f.flows >= this.#flows;
    if (!over) {
      const need = f.kind === 'udp' && f.lanVictim ? 10 * this.#packets : this.#packets;
      over = f.packets >= need && this.#rate(f) >= need;
    }
    if (over) this.#raiseOnce(f, ts);
  }

  #raiseOnce(f: Flood, ts: number): void {
    if (f.raisedAt < 0 || ts - f.raisedAt >= this.#window) this.#raise(f, ts);
  }

  #raise(f: Flood, ts: number): void {
    const ctx = this.#ctx;
    f.raisedAt = ts;
    f.fresh = 0;
    const took = span(Math.max(1, f.end - f.first));
    const pk = plural(f.packets, 'packet');
    let summary: string;
    const victimName = f.lanVictim ? ctx.describe(ctx.deviceOf(f.victim, ''), f.victim) : f.victim;
    if (f.kind === 'dns_amplification' && f.resolvers) {
      const who = capitalise(ctx.describe(f.device, f.spoofed ? '' : f.actor));
      summary = `${who} sent DNS queries to ${plural(f.resolvers.size, 'different DNS server')} on the internet in ${took} and got no answers` +
        (f.spoofed ? `, with a forged sender address (${f.victim}) so that the answers flood that address` : '') +
        ': it is probably infected and taking part in a DNS amplification attack. Unplug it and reset it to factory settings.';
    } else if (f.kind === 'dns_amplification') {
      const who = capitalise(ctx.describe(f.device, f.actor));
      summary = `${who} answered ${plural(f.flows, 'DNS query', 'DNS queries')} from ${f.victim} on the internet in ${took} (${plural(f.replyBytes, 'byte')} sent back): ` +
        'it is an open DNS resolver being abused to flood that address (the queries carry the victim\'s forged address). ' +
        'Stop forwarding port 53 from the internet to it, or make it answer only your own network.';
    } else {
      const who = capitalise(ctx.describe(f.device, f.spoofed ? '' : f.actor));
      const what = f.kind === 'syn'
        ? `${plural(f.flows, 'connection attempt')} (${pk}) to ${victimName}${f.ports.size === 1 ? ` on ${portLabel([...f.ports.values()][0])}` : ''}`
        : f.kind === 'udp'
          ? `${pk} of UDP (${plural(f.flows, 'flow')}, almost never answered) to ${victimName}`
          : `${plural(f.packets, 'ping')} to ${victimName}`;
      const flood = f.kind === 'syn' ? 'a SYN flood' : f.kind === 'udp' ? 'a UDP flood' : 'a ping (ICMP) flood';
      summary = `${who} sent ${what} in ${took}${f.spoofed ? ' with forged sender addresses' : ''}: this is ${flood}, so it is probably infected and attacking others on a botnet's command. ` +
        'Unplug it and reset it to factory settings.';
    }
    ctx.raise({
      ts,
      code: `flood.${f.kind}`,
      // An abused open resolver is misconfigured, not infected: medium.
      severity: f.kind === 'dns_amplification' && !f.resolvers ? 'medium' : 'high',
      device: f.device,
      summary,
      evidence: {
        victim: f.victim,
        sender: f.actor,
        flows: f.flows,
        packets: f.packets,
        bytes: f.bytes,
        replies: f.replies,
        ...(f.kind === 'syn' ? { ports: f.ports.size } : {}),
        ...(f.resolvers ? { resolvers: f.resolvers.size } : {}),
        ...(f.kind === 'dns_amplification' && !f.resolvers ? { reply_bytes: f.replyBytes } : {}),
        spoofed: f.spoofed,
        count: f.flows,
        uids: f.uids,
        first: f.first,
        last: f.last,
      },
      key: `flood.${f.kind}|${f.device ?? f.actor}|${f.victim}`,
    });
  }
}

export const flood: DetectorFactory = {
  name: 'flood',
  about: 'Flood participation: a device sending a SYN, UDP, ICMP or DNS-amplification flood to one victim.',
  create: (config, ctx) => new FloodDetector(config, ctx),
};
