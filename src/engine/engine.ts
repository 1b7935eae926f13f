/**
 * The engine: one path for data (DESIGN.md). Each packet is decoded into the reused PacketView,
 * found in the flow table, counted, and its payload handed to the flow's application analyzers.
 * Flows end by close, idle timeout, eviction or end of input, and become conn records.
 *
 * The per-packet path allocates nothing: counters live in typed arrays indexed by flow id; only
 * flows that have analyzers get a JS object (FlowApps), and only events allocate records.
 */
import type { PacketSink } from '../capture/packet-sink.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_ALT,
} from '../capture/frame-parser.js';
import { PacketView, ETH_ARP, ETH_IPV4, ETH_IPV6, IP_ICMP, IP_ICMPV6, IP_TCP, IP_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet.js';
import { decodeEthernet } from '../decode/link/ethernet.js';
import { decodeSll, decodeSll2 } from '../decode/link/sll.js';
import { decodeNull, decodeRaw } from '../decode/link/null.js';
import { decodeIpv4, decodeIpv6, ipEnd } from '../decode/net/ip.js';
import { Reassembler } from '../decode/net/reassembly.js';
import { checkArp, ARP_REQUEST } from '../decode/net/arp.js';
import { parseNdp } from '../decode/net/ndp.js';
import { decodeIcmp, decodeTcp, decodeUdp } from '../decode/transport/transport.js';
import type { WeirdReporter } from '../decode/weirds.js';
import type { AppAnalyzer, AppAnalyzerFactory, AppSink, ConnInfo, LogFields } from '../decode/app/analyzer.js';
import { FlowTable, KEY_WORDS, TimeoutClass, CLASS_COUNT, type FlowTimeouts, DEFAULT_TIMEOUTS } from '../flow/table.js';
import { icmpCounterpart, icmpPorts, communityIdWords } from '../flow/community-id.js';
import { ConnRecord } from '../flow/conn-record.js';
import { UidGenerator } from '../flow/uid.js';
import { connState, EP_CLOSED, EP_ESTABLISHED, EP_INACTIVE, EP_PARTIAL, EP_RESET, EP_SYN_ACK_SENT, EP_SYN_SENT } from '../flow/conn-state.js';
import { FlowApps } from '../flow/stream.js';
import { ipString, isMulticastOrBroadcast, isPrivate } from '../util/addr.js';
import { macString } from '../util/text.js';
import type { RecordSink } from '../logs/record-sink.js';
import { Counters } from '../stats/counters.js';

export interface EngineOptions {
  maxFlows: number;
  timeouts: FlowTimeouts;
  /** Seed for uids and the flow hash; fixed in tests for exact output. */
  seed: number;
  /** Community ID seed (formats.md §1.10). */
  communityIdSeed: number;
  /** weird.log lines per weird name before only counting (Zeek-style sampling). */
  weirdLogLimit: number;
  /** Expire at most this many flows per tick of packet time (incremental sweeps, rule 5). */
  expirePerTick: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  maxFlows: 262144,
  timeouts: DEFAULT_TIMEOUTS,
  seed: 0x5eed,
  communityIdSeed: 0,
  weirdLogLimit: 1000,
  expirePerTick: 1024,
};

// Flow flag bits (per flow, Uint16).
const F_FLIPPED = 1;
const F_ORIG_MAC = 2;
const F_RESP_MAC = 4;
const F_APPS_DECIDED = 8;
const F_SNIFF_ORIG = 16;
const F_SNIFF_RESP = 128;
const F_ORIG_SEQ = 32;
const F_RESP_SEQ = 64;

// History letter bits: index = letter slot, per direction (orig in low 16 bits, resp in high).
const H_S = 0, H_H = 1, H_A = 2, H_D = 3, H_F = 4, H_R = 5, H_Q = 6, H_T = 7, H_I = 8, H_G = 9, H_W = 10;
const H_LETTERS = 'shadfrqtigw';
const H_CODES = Uint8Array.from(H_LETTERS, (c) => c.charCodeAt(0));
const HIST_MAX = 24;
const MAX_ETHERTYPE_KEYS = 64;
/** Flows expired per packet while a sweep is behind: keeps any one packet's latency bounded. */
const EXPIRE_PER_PACKET = 32;

export class Engine implements PacketSink, WeirdReporter {
  readonly view = new PacketView();
  readonly counters = new Counters();
  readonly weirdCounts = new Map<string, number>();
  readonly linktypeCounts = new Map<number, number>();
  readonly unsupportedLinktypes = new Map<number, number>();
  readonly nonIpEthertypes = new Map<number, number>();
  readonly ipProtoCounts = new Map<number, number>();
  readonly serviceCounts = new Map<string, number>();
  readonly frags = new Reassembler();
  readonly table: FlowTable;
  readonly opts: EngineOptions;

  // Per-flow columns.
  readonly #tsFirst: Float64Array;
  readonly #tsLast: Float64Array;
  readonly #pkts: Float64Array; // [orig, resp] per flow
  readonly #bytes: Float64Array; // payload bytes (UDP/ICMP) per direction
  readonly #ipBytes: Float64Array;
  readonly #isn: Uint32Array; // first sequence number of payload per direction
  readonly #seqEnd: Uint32Array; // highest sequence end seen per direction
  readonly #missed: Float64Array;
  readonly #ep: Uint8Array; // TCP/UDP endpoint state per direction
  readonly #hist: Uint32Array; // letters seen
  /** History letters in order, up to HIST_MAX per flow (Zeek's strings are short too). */
  readonly #histChars: Uint8Array;
  readonly #histLen: Uint8Array;
  readonly #connRec = new ConnRecord();
  readonly #flags: Uint16Array;
  readonly #macs: Uint8Array; // 12 bytes per flow
  readonly #vlans: Uint16Array;
  readonly #apps: (FlowApps | null)[];
  readonly #uids: (string | null)[];

  readonly #uidGen: UidGenerator;
  readonly #sink: RecordSink;
  readonly #tcpPorts: (AppAnalyzerFactory[] | null)[] = new Array(65536).fill(null);
  readonly #udpPorts: (AppAnalyzerFactory[] | null)[] = new Array(65536).fill(null);
  readonly #tcpSniffers: AppAnalyzerFactory[] = [];
  readonly #udpSniffers: AppAnalyzerFactory[] = [];
  readonly #factories: AppAnalyzerFactory[];
  readonly #serverPorts = new Uint8Array(65536);
  readonly #appSink: AppSink;
  readonly #timeouts: Float64Array;
  #nextTick = 0;
  /** Set when a sweep ran out of budget: the rest is expired a little per packet. */
  #behind = false;
  #now = 0;
  #weirdConn: ConnInfo | null = null;

  // Scratch for keys in originator orientation.
  readonly #oSrc = new Uint32Array(4);
  readonly #oDst = new Uint32Array(4);

  constructor(factories: AppAnalyzerFactory[], sink: RecordSink, opts: Partial<EngineOptions> = {}) {
    this.opts = { ...DEFAULT_ENGINE_OPTIONS, ...opts };
    const n = this.opts.maxFlows;
    this.table = new FlowTable(n, this.opts.seed * 0x9e3779b1);
    this.#tsFirst = new Float64Array(n);
    this.#tsLast = new Float64Array(n);
    this.#pkts = new Float64Array(n * 2);
    this.#bytes = new Float64Array(n * 2);
    this.#ipBytes = new Float64Array(n * 2);
    this.#isn = new Uint32Array(n * 2);
    this.#seqEnd = new Uint32Array(n * 2);
    this.#missed = new Float64Array(n * 2);
    this.#ep = new Uint8Array(n * 2);
    this.#hist = new Uint32Array(n);
    this.#histChars = new Uint8Array(n * HIST_MAX);
    this.#histLen = new Uint8Array(n);
    this.#flags = new Uint16Array(n);
    this.#macs = new Uint8Array(n * 12);
    this.#vlans = new Uint16Array(n * 2);
    this.#apps = new Array<FlowApps | null>(n).fill(null);
    this.#uids = new Array<string | null>(n).fill(null);
    this.#uidGen = new UidGenerator(this.opts.seed);
    this.#sink = sink;
    this.#factories = factories;
    const t = this.opts.timeouts;
    this.#timeouts = new Float64Array(CLASS_COUNT);
    this.#timeouts[TimeoutClass.Closed] = t.closed;
    this.#timeouts[TimeoutClass.Attempt] = t.attempt;
    this.#timeouts[TimeoutClass.Datagram] = t.datagram;
    this.#timeouts[TimeoutClass.Established] = t.established;
    for (const f of factories) {
      for (const p of f.ports) {
        if (p < 0 || p > 65535) continue;
        this.#serverPorts[p] = 1;
        if (f.tcp) (this.#tcpPorts[p] ??= []).push(f);
        if (f.udp) (this.#udpPorts[p] ??= []).push(f);
      }
      if (f.sniff) {
        if (f.tcp) this.#tcpSniffers.push(f);
        if (f.udp) this.#udpSniffers.push(f);
      }
    }
    for (const f of factories) for (const p of f.clientPorts ?? []) if (p >= 0 && p <= 65535) this.#serverPorts[p] = 0;
    const engine = this;
    this.#appSink = {
      log(path: string, ts: number, conn: ConnInfo | null, fields: LogFields): void {
        engine.#sink.record(path, ts, conn, fields);
      },
      weird(name: string, ts: number, conn: ConnInfo | null, addl?: string): void {
        engine.#weirdAt(name, ts, conn, addl);
      },
      count(name: string, n = 1): void {
        engine.counters.add(name, n);
      },
    };
  }

  // ---- weird reporting -------------------------------------------------------------------

  /** Decoder-level weird for the current packet (WeirdReporter). */
  weird(name: string, addl?: string): void {
    this.#weirdAt(name, this.view.ts, this.#weirdConn, addl);
  }

  #weirdAt(name: string, ts: number, conn: ConnInfo | null, addl?: string): void {
    const n = (this.weirdCounts.get(name) ?? 0) + 1;
    this.weirdCounts.set(name, n);
    if (n <= this.opts.weirdLogLimit && this.#sink.wants('weird')) {
      const f: LogFields = { name, addl, notice: false, peer: 'vigil', source: conn ? conn.proto.toUpperCase() : 'IP' };
      this.#sink.record('weird', ts, conn, f);
    }
  }

  // ---- per packet --------------------------------------------------------------------------

  packet(linktype: number, buf: Buffer, off: number, caplen: number, _wirelen: number, ts: number): void {
    const v = this.view;
    const c = this.counters;
    c.packets++;
    c.bytes += caplen;
    v.reset();
    v.buf = buf;
    v.ts = ts;
    v.linktype = linktype;
    v.caplen = caplen;
    v.wirelen = _wirelen;
    if (ts > this.#now) this.#now = ts;
    if (ts >= this.#nextTick) this.#tick(ts);
    else if (this.#behind) this.#expire(this.#now, EXPIRE_PER_PACKET);
    const end = off + caplen;
    let p: number;
    switch (linktype) {
      case LINKTYPE_ETHERNET:
        p = decodeEthernet(v, off, end, this);
        break;
      case LINKTYPE_LINUX_SLL:
        p = decodeSll(v, off, end, this);
        break;
      case LINKTYPE_LINUX_SLL2:
        p = decodeSll2(v, off, end, this);
        break;
      case LINKTYPE_RAW:
      case LINKTYPE_RAW_ALT:
      case LINKTYPE_IPV4:
      case LINKTYPE_IPV6:
        p = decodeRaw(v, off, end, this);
        break;
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP:
        p = decodeNull(v, off, end, this);
        break;
      default:
        this.unsupportedLinktypes.set(linktype, (this.unsupportedLinktypes.get(linktype) ?? 0) + 1);
        return;
    }
    if (p < 0) return;
    const et = v.ethertype;
    if (et === ETH_IPV4) {
      c.ipv4++;
      p = decodeIpv4(v, p, end, this, this.frags);
    } else if (et === ETH_IPV6) {
      c.ipv6++;
      p = decodeIpv6(v, p, end, this, this.frags);
    } else if (et === ETH_ARP) {
      c.arp++;
      this.#arp(p, end);
      return;
    } else {
      // Values up to 1500 are 802.3 lengths (LLC/SNAP: STP, CDP, NetBIOS over LLC): one bucket, 0.
      const key = et <= 1500 ? 0 : et;
      const n = this.nonIpEthertypes.get(key);
      // Bounded (rule 4): garbage frames could otherwise fill the map with 65,536 keys.
      if (n !== undefined) this.nonIpEthertypes.set(key, n + 1);
      else if (this.nonIpEthertypes.size < MAX_ETHERTYPE_KEYS) this.nonIpEthertypes.set(key, 1);
      else this.counters.add('decoder.non_ip_other');
      return;
    }
    if (p < 0) return;
    // After reassembly the view's buffer is the reassembled payload and ends at its length.
    const dEnd = v.reassembled ? v.buf.length : ipEnd(v, end);
    const wireEnd = v.reassembled ? v.buf.length : v.l3 + v.ipLen;
    const proto = v.proto;
    if (proto === IP_TCP) {
      c.tcp++;
      decodeTcp(v, p, dEnd, wireEnd, this);
    } else if (proto === IP_UDP) {
      c.udp++;
      decodeUdp(v, p, dEnd, wireEnd, this);
    } else if (proto === IP_ICMP || proto === IP_ICMPV6) {
      c.icmp++;
      decodeIcmp(v, p, dEnd, wireEnd, this);
    } else {
      c.otherIp++;
      this.ipProtoCounts.set(proto, (this.ipProtoCounts.get(proto) ?? 0) + 1);
      v.l4 = p;
      v.payloadOff = p;
      v.payloadLen = dEnd > p ? dEnd - p : 0;
      v.payloadWire = wireEnd > p ? wireEnd - p : 0;
    }
    if (v.l4 < 0) return;
    if (proto === IP_ICMPV6 && v.icmpType >= 133 && v.icmpType <= 137) this.#ndp(dEnd);
    this.#flow(v);
  }

  #ndp(end: number): void {
    if (!this.#sink.wants('ndp')) return;
    const v = this.view;
    const f = parseNdp(v.buf, v.l4, end, this);
    if (!f) return;
    f.src = ipString(v.src, 0, true);
    f.dst = ipString(v.dst, 0, true);
    f.src_mac = v.macOff >= 0 ? macString(v.buf, v.macOff + 6) : undefined;
    f.vlan = v.vlan || undefined;
    this.#sink.record('ndp', v.ts, null, f);
  }

  #flow(v: PacketView): void {
    const t = this.table;
    const proto = v.proto;
    const v6 = v.ipVersion === 6;
    let sport = v.sport;
    let dport = v.dport;
    let meta = proto | (v.ipVersion << 8);
    const isIcmp = proto === IP_ICMP || proto === IP_ICMPV6;
    if (isIcmp) {
      const pair = icmpCounterpart(v6, v.icmpType);
      sport = v.icmpType;
      dport = pair < 0 ? v.icmpCode : pair;
      meta |= v.icmpId << 16;
    }
    meta >>>= 0;
    const ports = ((sport << 16) | dport) >>> 0;
    const h = t.hashOf(v.src, v.dst, sport, dport, meta);
    let f = t.find(h, v.src, v.dst, ports, meta);
    let isOrig: number;
    if (f < 0) {
      f = this.#newFlow(v, h, sport, dport, meta, isIcmp);
      isOrig = t.isOrig;
    } else {
      isOrig = t.isOrig;
    }
    const d = f * 2 + (isOrig ? 0 : 1);
    const ts = v.ts;
    // Like Zeek, packets after both TCP endpoints closed (FIN or RST) do not extend the flow: the
    // last ACK after the FINs is not part of the duration (TCPSessionAdapter: SetLastTime only
    // while ! orig->did_close || ! resp->did_close).
    if (proto !== IP_TCP || !(this.#ep[f * 2] >= EP_CLOSED && this.#ep[f * 2 + 1] >= EP_CLOSED)) this.#tsLast[f] = ts;
    this.#pkts[d]++;
    this.#ipBytes[d] += v.ipLen;
    const flags = this.#flags[f];
    if (!(flags & (isOrig ? F_ORIG_MAC : F_RESP_MAC))) this.#saveMac(f, isOrig, flags);
    let klass: TimeoutClass;
    if (proto === IP_TCP) {
      klass = this.#tcp(v, f, d, isOrig);
    } else {
      if (v.payloadWire > 0) {
        this.#bytes[d] += v.payloadWire;
        this.#letter(f, isOrig, H_D);
      }
      this.#ep[d] = EP_ESTABLISHED; // "active" for UDP/other
      klass = TimeoutClass.Datagram;
      if (proto === IP_UDP && v.payloadLen > 0) this.#udpApps(v, f, isOrig);
    }
    if (klass === TimeoutClass.Closed) {
      // Keep the closed flow around for the close delay (late ACKs, retransmitted FINs).
      t.touch(f, klass);
    } else {
      t.touch(f, klass);
    }
  }

  #newFlow(v: PacketView, h: number, sport: number, dport: number, meta: number, isIcmp: boolean): number {
    const t = this.table;
    if (t.full) this.#evict();
    // Originator: the SYN sender; else the first packet's sender, unless it looks like a reply
    // from a server port (Zeek's likely-server-port flip). ICMP is never flipped: the sender of the
    // first message is the originator, as in Zeek (ICMPAnalyzer::InitConnKey: an unanswered router
    // advertisement is orig_p=134 from its sender) and Arkime.
    let flip = false;
    const v6 = v.ipVersion === 6;
    if (v.proto === IP_TCP) {
      const syn = v.tcpFlags & TCP_SYN;
      const ack = v.tcpFlags & TCP_ACK;
      if (syn && ack) flip = true;
      else if (!syn) flip = this.#serverPorts[sport] === 1 && this.#serverPorts[dport] === 0;
    } else if (v.proto === IP_UDP) {
      flip = this.#serverPorts[sport] === 1 && this.#serverPorts[dport] === 0 && !isMulticastOrBroadcast(v.dst, 0, v6);
    }
    const oS = this.#oSrc;
    const oD = this.#oDst;
    let ports: number;
    if (flip) {
      oS.set(v.dst);
      oD.set(v.src);
      ports = ((dport << 16) | sport) >>> 0;
    } else {
      oS.set(v.src);
      oD.set(v.dst);
      ports = ((sport << 16) | dport) >>> 0;
    }
    const klass = v.proto === IP_TCP ? TimeoutClass.Attempt : TimeoutClass.Datagram;
    const f = t.insert(h, oS, oD, ports, meta, klass);
    t.isOrig = flip ? 0 : 1;
    this.#tsFirst[f] = v.ts;
    this.#tsLast[f] = v.ts;
    const d = f * 2;
    this.#pkts[d] = this.#pkts[d + 1] = 0;
    this.#bytes[d] = this.#bytes[d + 1] = 0;
    this.#ipBytes[d] = this.#ipBytes[d + 1] = 0;
    this.#missed[d] = this.#missed[d + 1] = 0;
    this.#ep[d] = this.#ep[d + 1] = EP_INACTIVE;
    this.#isn[d] = this.#isn[d + 1] = 0;
    this.#seqEnd[d] = this.#seqEnd[d + 1] = 0;
    this.#hist[f] = 0;
    if (flip) {
      this.#histChars[f * HIST_MAX] = 0x5e; // '^': direction flipped by heuristic
      this.#histLen[f] = 1;
    } else {
      this.#histLen[f] = 0;
    }
    this.#flags[f] = flip ? F_FLIPPED : 0;
    this.#vlans[d] = v.vlan;
    this.#vlans[d + 1] = v.innerVlan;
    this.#apps[f] = null;
    this.#uids[f] = null;
    return f;
  }

  #saveMac(f: number, isOrig: number, flags: number): void {
    const v = this.view;
    const mo = v.macOff >= 0 ? v.macOff + 6 : v.sllAddrOff;
    if (mo < 0 || mo + 6 > v.buf.length) return;
    const b = v.buf;
    const m = this.#macs;
    const o = f * 12 + (isOrig ? 0 : 6);
    m[o] = b[mo]; m[o + 1] = b[mo + 1]; m[o + 2] = b[mo + 2];
    m[o + 3] = b[mo + 3]; m[o + 4] = b[mo + 4]; m[o + 5] = b[mo + 5];
    this.#flags[f] = flags | (isOrig ? F_ORIG_MAC : F_RESP_MAC);
  }

  #letter(f: number, isOrig: number, slot: number): void {
    const bit = 1 << (slot + (isOrig ? 0 : 16));
    const h = this.#hist[f];
    if (h & bit) return;
    this.#hist[f] = h | bit;
    const len = this.#histLen[f];
    if (len < HIST_MAX) {
      this.#histChars[f * HIST_MAX + len] = isOrig ? H_CODES[slot] - 32 : H_CODES[slot];
      this.#histLen[f] = len + 1;
    }
  }

  #tcp(v: PacketView, f: number, d: number, isOrig: number): TimeoutClass {
    const fl = v.tcpFlags;
    const ep = this.#ep;
    const o = d ^ 1; // the other direction's index
    const syn = fl & TCP_SYN;
    const ackf = fl & TCP_ACK;
    const fin = fl & TCP_FIN;
    const rst = fl & TCP_RST;
    const len = v.payloadWire;
    if (syn) {
      if (fin || rst) this.#letter(f, isOrig, H_Q);
      this.#letter(f, isOrig, ackf ? H_H : H_S);
      const s = ep[d];
      if (ackf) {
        if (s === EP_INACTIVE || s === EP_SYN_SENT) ep[d] = EP_SYN_ACK_SENT;
      } else if (s === EP_INACTIVE) {
        ep[d] = EP_SYN_SENT;
      }
      // Sequence space starts after the SYN.
      this.#isn[d] = (v.seq + 1) >>> 0;
      this.#seqEnd[d] = (v.seq + 1) >>> 0;
      this.#flags[f] |= isOrig ? F_ORIG_SEQ : F_RESP_SEQ;
    }
    if (fin && rst) this.#letter(f, isOrig, H_I);
    if (len > 0) {
      this.#letter(f, isOrig, H_D);
      const seqBit = isOrig ? F_ORIG_SEQ : F_RESP_SEQ;
      if (!(this.#flags[f] & seqBit)) {
        this.#flags[f] |= seqBit;
        this.#isn[d] = v.seq;
        this.#seqEnd[d] = v.seq;
      }
      const start = v.seq;
      const segEnd = (start + len) >>> 0;
      const ahead = (start - this.#seqEnd[d]) | 0;
      if (ahead > 0) {
        // Content gap: bytes never seen (loss upstream of the sensor, or capture drops).
        this.#missed[d] += ahead;
        this.#letter(f, isOrig, H_G);
      } else if (((segEnd - this.#seqEnd[d]) | 0) <= 0) {
        this.#letter(f, isOrig, H_T);
      }
      if (((segEnd - this.#seqEnd[d]) | 0) > 0) this.#seqEnd[d] = segEnd;
    } else if (ackf && !syn && !fin && !rst) {
      this.#letter(f, isOrig, H_A);
    }
    if (v.win === 0 && !rst && !syn) this.#letter(f, isOrig, H_W);
    if (fin) {
      this.#letter(f, isOrig, H_F);
      ep[d] = EP_CLOSED;
    }
    if (rst) {
      this.#letter(f, isOrig, H_R);
      ep[d] = EP_RESET;
    } else if (!syn && !fin) {
      // ACK or data: completes a handshake, or marks a mid-stream endpoint as partial.
      const s = ep[d];
      if (s === EP_INACTIVE) ep[d] = EP_PARTIAL;
      else if ((s === EP_SYN_SENT || s === EP_SYN_ACK_SENT) && ackf) {
        const peer = ep[o];
        if (peer === EP_SYN_ACK_SENT || peer === EP_SYN_SENT || peer === EP_ESTABLISHED) {
          ep[d] = EP_ESTABLISHED;
          ep[o] = EP_ESTABLISHED;
        }
      }
    }
    // Analyzers attach at the first payload: SYN-only flows (scans) never cost an object.
    if (v.payloadLen > 0) this.#tcpApps(v, f, isOrig);
    const a = ep[d];
    const b = ep[o];
    if (a === EP_RESET || b === EP_RESET || (a === EP_CLOSED && b === EP_CLOSED)) return TimeoutClass.Closed;
    if (b === EP_INACTIVE && (a === EP_SYN_SENT || a === EP_SYN_ACK_SENT)) return TimeoutClass.Attempt;
    if (a === EP_INACTIVE && (b === EP_SYN_SENT || b === EP_SYN_ACK_SENT)) return TimeoutClass.Attempt;
    return TimeoutClass.Established;
  }

  // ---- application analyzers ---------------------------------------------------------------

  /**
   * First payload of a flow: port analyzers attach, and content sniffers run too (Zeek's dynamic
   * protocol detection: TLS on the Modbus port is still TLS). Each direction's first payload is
   * sniffed once.
   */
  #attach(f: number, list: AppAnalyzerFactory[] | null, sniffers: AppAnalyzerFactory[], v: PacketView, isOrig: number): FlowApps | null {
    let apps: FlowApps | null = null;
    if (list) {
      apps = this.#newApps(f);
      for (const fac of list) apps.add(fac.create(apps.conn, this.#appSink), fac.service);
    }
    apps = this.#sniff(f, apps, list, sniffers, v, isOrig);
    if (!apps) {
      if ((this.#flags[f] & (F_SNIFF_ORIG | F_SNIFF_RESP)) === (F_SNIFF_ORIG | F_SNIFF_RESP)) this.#flags[f] |= F_APPS_DECIDED;
      return null;
    }
    this.#flags[f] |= F_APPS_DECIDED;
    this.#apps[f] = apps;
    return apps;
  }

  #sniff(f: number, apps: FlowApps | null, list: AppAnalyzerFactory[] | null, sniffers: AppAnalyzerFactory[], v: PacketView, isOrig: number): FlowApps | null {
    const bit = isOrig ? F_SNIFF_ORIG : F_SNIFF_RESP;
    if (this.#flags[f] & bit || v.payloadLen === 0) return apps;
    this.#flags[f] |= bit;
    for (const fac of sniffers) {
      if ((list && list.includes(fac)) || (apps && apps.has(fac.service))) continue;
      if (fac.sniff!(isOrig === 1, v.buf, v.payloadOff, v.payloadLen)) {
        apps ??= this.#newApps(f);
        apps.add(fac.create(apps.conn, this.#appSink), fac.service, true);
      }
    }
    return apps;
  }

  #newApps(f: number): FlowApps {
    const apps = new FlowApps(this.#connInfo(f), this);
    // Streams start where the handshake said, not at the first payload seen: a first data
    // segment that arrives out of order must be held, not taken as the stream's start.
    const h = this.#hist[f];
    if (h & ((1 << H_S) | (1 << H_H))) apps.startAt(true, this.#isn[f * 2]);
    if (h & ((1 << (H_S + 16)) | (1 << (H_H + 16)))) apps.startAt(false, this.#isn[f * 2 + 1]);
    return apps;
  }

  #udpApps(v: PacketView, f: number, isOrig: number): void {
    let apps = this.#apps[f];
    if (!apps) {
      if (this.#flags[f] & F_APPS_DECIDED) return;
      const k = f * KEY_WORDS;
      const ports = this.table.key[k + 8];
      const rp = ports & 0xffff;
      const op = ports >>> 16;
      const list = this.#udpPorts[rp] ?? this.#udpPorts[op];
      apps = this.#attach(f, list, this.#udpSniffers, v, isOrig);
      if (!apps) return;
    } else if (!(this.#flags[f] & (isOrig ? F_SNIFF_ORIG : F_SNIFF_RESP))) {
      this.#sniff(f, apps, null, this.#udpSniffers, v, isOrig);
    }
    apps.datagram(isOrig === 1, v.buf, v.payloadOff, v.payloadLen, v.ts);
  }

  #tcpApps(v: PacketView, f: number, isOrig: number): void {
    let apps = this.#apps[f];
    if (!apps) {
      if (this.#flags[f] & F_APPS_DECIDED) return;
      const k = f * KEY_WORDS;
      const rp = this.table.key[k + 8] & 0xffff;
      const list = this.#tcpPorts[rp];
      apps = this.#attach(f, list, this.#tcpSniffers, v, isOrig);
      if (!apps) return;
    } else if (!(this.#flags[f] & (isOrig ? F_SNIFF_ORIG : F_SNIFF_RESP))) {
      this.#sniff(f, apps, null, this.#tcpSniffers, v, isOrig);
    }
    apps.segment(isOrig === 1, v.tcpFlags, v.seq, v.buf, v.payloadOff, v.payloadLen, v.ts);
  }

  /** Builds the ConnInfo of a flow (on first analyzer attach or conn logging). */
  #connInfo(f: number): ConnInfo {
    const k = f * KEY_WORDS;
    const key = this.table.key;
    const v6 = ((key[k + 9] >>> 8) & 0xff) === 6;
    const proto = key[k + 9] & 0xff;
    let uid = this.#uids[f];
    if (!uid) {
      uid = this.#uidGen.next('C');
      this.#uids[f] = uid;
    }
    const fl = this.#flags[f];
    return {
      uid,
      origH: ipString(key, k, v6),
      origP: key[k + 8] >>> 16,
      respH: ipString(key, k + 4, v6),
      respP: key[k + 8] & 0xffff,
      proto: proto === IP_TCP ? 'tcp' : 'udp',
      origMac: fl & F_ORIG_MAC ? macString(this.#macs, f * 12) : '',
      respMac: fl & F_RESP_MAC ? macString(this.#macs, f * 12 + 6) : '',
    };
  }

  // ---- ARP ---------------------------------------------------------------------------------

  #arp(off: number, end: number): void {
    const v = this.view;
    const b = v.buf;
    const op = checkArp(b, off, end, this);
    if (op === 0 || !this.#sink.wants('arp')) return;
    const spa = b.readUInt32BE(off + 14);
    const tpa = b.readUInt32BE(off + 24);
    const fields: LogFields = {
      operation: op === ARP_REQUEST ? 'request' : 'reply',
      src_mac: v.macOff >= 0 ? macString(b, v.macOff + 6) : v.sllAddrOff >= 0 ? macString(b, v.sllAddrOff) : undefined,
      dst_mac: v.macOff >= 0 ? macString(b, v.macOff) : undefined,
      orig_h: ipString([spa], 0, false),
      orig_mac: macString(b, off + 8),
      resp_h: ipString([tpa], 0, false),
      resp_mac: macString(b, off + 18),
      gratuitous: spa === tpa ? true : undefined,
      vlan: v.vlan || undefined,
    };
    this.#sink.record('arp', v.ts, null, fields);
  }

  // ---- time and expiry ---------------------------------------------------------------------

  #tick(ts: number): void {
    this.#nextTick = Math.floor(ts) + 1;
    this.#expire(ts, this.opts.expirePerTick);
    this.frags.expire(ts);
    for (const fac of this.#factories) if (fac.tick) fac.tick(ts);
  }

  #expire(now: number, budget: number): void {
    const t = this.table;
    for (let c = 0; c < CLASS_COUNT; c++) {
      const limit = now - this.#timeouts[c];
      for (;;) {
        const f = t.head(c as TimeoutClass);
        if (f < 0 || this.#tsLast[f] > limit) break;
        if (budget <= 0) {
          this.#behind = true;
          return;
        }
        this.#end(f, this.#tsLast[f], 'expired');
        budget--;
      }
    }
    this.#behind = false;
  }

  /** Makes room for one flow: the stalest flow of the cheapest class goes. */
  #evict(): void {
    const t = this.table;
    for (let c = 0; c < CLASS_COUNT; c++) {
      const f = t.head(c as TimeoutClass);
      if (f >= 0) {
        this.counters.flowsEvicted++;
        this.#end(f, this.#tsLast[f], 'evicted');
        return;
      }
    }
  }

  /** Newest packet time seen (seconds): the pipeline's only clock. */
  get now(): number {
    return this.#now;
  }

  /** End of input: every live flow becomes a conn record; analyzers flush. */
  finish(): void {
    const t = this.table;
    for (let c = 0; c < CLASS_COUNT; c++) {
      for (let f = t.head(c as TimeoutClass); f >= 0; f = t.head(c as TimeoutClass)) this.#end(f, this.#tsLast[f], 'shutdown');
    }
    for (const fac of this.#factories) if (fac.flush) fac.flush(this.#now);
  }

  #end(f: number, ts: number, reason: 'expired' | 'evicted' | 'shutdown'): void {
    const apps = this.#apps[f];
    if (apps) {
      apps.finish(ts);
      for (const s of apps.confirmedServices()) this.serviceCounts.set(s, (this.serviceCounts.get(s) ?? 0) + 1);
    }
    if (reason === 'expired') this.counters.flowsExpired++;
    if (this.#sink.wants('conn')) this.#connRecord(f, apps);
    this.#apps[f] = null;
    this.#uids[f] = null;
    this.table.remove(f);
    this.counters.flowsEnded++;
  }

  #historyString(f: number): string {
    const len = this.#histLen[f];
    let h = '';
    for (let i = 0, o = f * HIST_MAX; i < len; i++) h += String.fromCharCode(this.#histChars[o + i]);
    return h;
  }

  #connRecord(f: number, apps: FlowApps | null): void {
    const key = this.table.key;
    const k = f * KEY_WORDS;
    const meta = key[k + 9];
    const proto = meta & 0xff;
    const v6 = ((meta >>> 8) & 0xff) === 6;
    const d = f * 2;
    const r = this.#connRec;
    const origP = key[k + 8] >>> 16;
    const respP = key[k + 8] & 0xffff;
    const isTcp = proto === IP_TCP;
    const isIcmp = proto === IP_ICMP || proto === IP_ICMPV6;
    r.info = apps ? apps.conn : null;
    r.ts = this.#tsFirst[f];
    r.uid = this.#uids[f] ?? this.#uidGen.next('C');
    r.origH = apps ? apps.conn.origH : ipString(key, k, v6);
    r.origP = origP;
    r.respH = apps ? apps.conn.respH : ipString(key, k + 4, v6);
    r.respP = respP;
    r.proto = isTcp ? 'tcp' : proto === IP_UDP ? 'udp' : isIcmp ? 'icmp' : 'unknown_transport';
    if (isTcp) {
      r.origBytes = (this.#seqEnd[d] - this.#isn[d]) >>> 0;
      r.respBytes = (this.#seqEnd[d + 1] - this.#isn[d + 1]) >>> 0;
    } else {
      r.origBytes = this.#bytes[d];
      r.respBytes = this.#bytes[d + 1];
    }
    const duration = this.#tsLast[f] - this.#tsFirst[f];
    r.duration = duration > 0 ? Math.round(duration * 1e6) / 1e6 : -1;
    const svc = apps ? apps.confirmedServices() : null;
    r.service = svc && svc.length > 0 ? svc.join(',') : '';
    const history = this.#historyString(f);
    r.history = history === '^' ? '' : history;
    r.connState = connState(proto, this.#ep[d], this.#ep[d + 1], r.origBytes, r.respBytes, history);
    r.localOrig = isPrivate(key, k, v6);
    r.localResp = isPrivate(key, k + 4, v6);
    r.missedBytes = this.#missed[d] + this.#missed[d + 1];
    r.origPkts = this.#pkts[d];
    r.origIpBytes = this.#ipBytes[d];
    r.respPkts = this.#pkts[d + 1];
    r.respIpBytes = this.#ipBytes[d + 1];
    r.ipProto = proto;
    if (isIcmp) {
      const m = icmpPorts(v6, origP, respP);
      r.communityId = communityIdWords(this.opts.communityIdSeed, proto, key, k, k + 4, v6, m[0], m[1], m[2]);
    } else {
      r.communityId = communityIdWords(this.opts.communityIdSeed, proto, key, k, k + 4, v6, origP, respP);
    }
    const fl = this.#flags[f];
    r.origL2 = fl & F_ORIG_MAC ? macString(this.#macs, f * 12) : '';
    r.respL2 = fl & F_RESP_MAC ? macString(this.#macs, f * 12 + 6) : '';
    r.vlan = this.#vlans[d];
    r.innerVlan = this.#vlans[d + 1];
    this.#sink.conn(r);
  }

  /** Gap in the stream of an analyzed flow: counted here, reported to analyzers by FlowApps. */
  noteGap(): void {
    this.counters.streamGaps++;
  }
}


export { EP_SYN_SENT };
