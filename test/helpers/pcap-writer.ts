/**
 * Writes classic pcap files for tests, so replay tests can be built from real corpus captures:
 * read a capture's frames, lay them out in time ("day 1 … day 9"), move addresses, add crafted
 * TCP/UDP conversations ("a new country", "a new port", "an upload burst"), write the result to a
 * temp dir and run it through the real engine. Never write into the repository or the corpus.
 *
 * Frames are plain objects `{ ts, data, linktype }`; transforms return new frames and copy `data`
 * only when they change it, so laying out a capture nine times costs nine small arrays.
 * Checksums: crafted packets get correct ones; rewrites adjust the existing ones incrementally
 * (RFC 1624), so a capture whose checksums were right stays right and one captured with checksum
 * offload (wrong on purpose) stays wrong by the same amount, as tools expect.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { FrameParser, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_RAW, LINKTYPE_RAW_ALT } from '../../src/capture/frame-parser.js';

export interface Frame {
  /** Packet time, seconds since the epoch (microsecond precision is what classic pcap keeps). */
  readonly ts: number;
  /** Captured bytes, starting with the link header. */
  readonly data: Buffer;
  /** LINKTYPE_* (1 = Ethernet). */
  readonly linktype: number;
  /** Bytes on the wire when the capture cut the frame short; default data.length. */
  readonly wirelen?: number;
}

export interface Endpoint {
  /** `aa:bb:cc:dd:ee:ff` */
  readonly mac: string;
  /** IPv4 dotted quad. */
  readonly ip: string;
  readonly port: number;
}

// ---- reading and writing ------------------------------------------------------------------------

/** Every frame of a pcap or pcapng file (not gzip: corpus captures are plain), copied out of the reader. */
export function readCapture(path: string): Frame[] {
  const frames: Frame[] = [];
  const parser = new FrameParser({
    packet(linktype, buf, off, caplen, wirelen, ts) {
      frames.push({ ts, data: Buffer.from(buf.subarray(off, off + caplen)), linktype, ...(wirelen !== caplen ? { wirelen } : {}) });
    },
  });
  parser.push(readFileSync(path));
  parser.finish();
  if (parser.notCapture) throw new Error(`${path}: ${parser.notCapture}`);
  if (parser.problem) throw new Error(`${path}: ${parser.problem}`);
  return frames;
}

/** The name the brief uses. */
export const readPcap = readCapture;

/**
 * Writes a microsecond pcap (little-endian, the format tcpdump writes). All frames must share one
 * link type (classic pcap has one per file). Frames are written in the order given: use `merge`
 * to interleave by time.
 */
export function writePcap(path: string, frames: readonly Frame[], snaplen = 262144): void {
  const linktype = frames.length > 0 ? frames[0].linktype : LINKTYPE_ETHERNET;
  const fd = openSync(path, 'w');
  try {
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0xa1b2c3d4, 0);
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
    head.writeUInt32LE(snaplen, 16);
    head.writeUInt32LE(linktype, 20);
    writeSync(fd, head);
    // Records are batched into ~1 MB writes: crafted bursts can be tens of thousands of frames.
    const chunk = Buffer.allocUnsafe(1 << 20);
    let used = 0;
    const flush = () => {
      if (used > 0) writeSync(fd, chunk, 0, used);
      used = 0;
    };
    for (const f of frames) {
      if (f.linktype !== linktype) throw new Error(`writePcap: frame link type ${f.linktype} differs from the file's ${linktype}`);
      let sec = Math.floor(f.ts);
      let usec = Math.round((f.ts - sec) * 1e6);
      if (usec >= 1e6) {
        sec++;
        usec -= 1e6;
      }
      const rec = Buffer.allocUnsafe(16);
      rec.writeUInt32LE(sec >>> 0, 0);
      rec.writeUInt32LE(usec, 4);
      rec.writeUInt32LE(f.data.length, 8);
      rec.writeUInt32LE(f.wirelen ?? f.data.length, 12);
      if (used + 16 + f.data.length > chunk.length) flush();
      if (16 + f.data.length > chunk.length) {
        writeSync(fd, rec);
        writeSync(fd, f.data);
        continue;
      }
      rec.copy(chunk, used);
      f.data.copy(chunk, used + 16);
      used += 16 + f.data.length;
    }
    flush();
  } finally {
    closeSync(fd);
  }
}

// ---- time ---------------------------------------------------------------------------------------

/** The same frames `seconds` later. */
export function shift(frames: readonly Frame[], seconds: number): Frame[] {
  return frames.map((f) => ({ ...f, ts: f.ts + seconds }));
}

/** The same frames moved so that the earliest is at `ts`. */
export function startAt(frames: readonly Frame[], ts: number): Frame[] {
  if (frames.length === 0) return [];
  let min = Infinity;
  for (const f of frames) if (f.ts < min) min = f.ts;
  return shift(frames, ts - min);
}

/** `times` copies of a capture, the k-th starting at `start + k * every` (e.g. one per day). */
export function repeat(frames: readonly Frame[], times: number, every: number, start: number): Frame[] {
  const out: Frame[] = [];
  for (let k = 0; k < times; k++) out.push(...startAt(frames, start + k * every));
  return out;
}

/** All frames of all lists in time order (stable: equal times keep list order). */
export function merge(...lists: (readonly Frame[])[]): Frame[] {
  const all = lists.flat();
  return all
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.ts - b.f.ts || a.i - b.i)
    .map((x) => x.f);
}

// ---- addresses ----------------------------------------------------------------------------------

export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(parts);
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/).map((h) => parseInt(h, 16));
  if (parts.length !== 6 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not a MAC address: ${mac}`);
  return Buffer.from(parts);
}

interface Layout {
  /** Offset of the Ethernet header, or -1 for raw IP. */
  eth: number;
  /** Offset of the network header and its ethertype. */
  l3: number;
  ethertype: number;
}

const VLAN_TYPES = new Set([0x8100, 0x88a8, 0x9100]);

function layout(f: Frame): Layout | null {
  const d = f.data;
  if (f.linktype === LINKTYPE_ETHERNET) {
    if (d.length < 14) return null;
    let off = 12;
    let type = d.readUInt16BE(off);
    while (VLAN_TYPES.has(type) && off + 6 <= d.length) {
      off += 4;
      type = d.readUInt16BE(off);
    }
    return { eth: 0, l3: off + 2, ethertype: type };
  }
  if (f.linktype === LINKTYPE_RAW || f.linktype === LINKTYPE_RAW_ALT || f.linktype === LINKTYPE_IPV4) {
    if (d.length < 1) return null;
    return { eth: -1, l3: 0, ethertype: d[0] >> 4 === 4 ? 0x0800 : d[0] >> 4 === 6 ? 0x86dd : 0 };
  }
  return null;
}

/** Ones'-complement sum of bytes [from, to), each weighted as if `base` started a 16-bit word. */
function sum16(b: Uint8Array, from: number, to: number, base: number): number {
  let s = 0;
  let i = from;
  if (((i - base) & 1) !== 0 && i < to) s += b[i++];
  for (; i + 1 < to; i += 2) s += (b[i] << 8) | b[i + 1];
  if (i < to) s += b[i] << 8;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** RFC 1624 eq. 3: the checksum after a region whose sum was `oldSum` now sums to `newSum`. */
function adjust(csum: number, oldSum: number, newSum: number): number {
  let x = (~csum & 0xffff) + (~oldSum & 0xffff) + newSum;
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return ~x & 0xffff;
}

/** Full Internet checksum of bytes [from, to) plus an initial sum. */
export function checksum(b: Buffer, from: number, to: number, initial = 0): number {
  let s = initial + sum16(b, from, to, from);
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

interface Patch {
  at: number;
  bytes: Buffer;
}

/**
 * Replaces bytes in an IPv4 packet and fixes the IP header checksum (when a patch touches the
 * header) and the TCP/UDP checksum (pseudo-header addresses and payload).
 */
function patchIpv4(d: Buffer, l3: number, patches: Patch[]): void {
  const ihl = (d[l3] & 0x0f) * 4;
  const proto = d[l3 + 9];
  const firstFragment = (d.readUInt16BE(l3 + 6) & 0x1fff) === 0;
  const l4 = l3 + ihl;
  const l4csum = !firstFragment ? -1 : proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : -1;
  for (const p of patches) {
    const end = p.at + p.bytes.length;
    const inHeader = p.at < l4;
    if (inHeader) {
      const oldSum = sum16(d, p.at, end, l3);
      const newSum = sum16(p.bytes, 0, p.bytes.length, (p.at - l3) % 2 === 0 ? 0 : 1);
      d.writeUInt16BE(adjust(d.readUInt16BE(l3 + 10), oldSum, newSum), l3 + 10);
    }
    // Addresses (l3+12..l3+20) are in the TCP/UDP pseudo-header; payload bytes are in the segment.
    const inL4Sum = p.at >= l4 || (p.at >= l3 + 12 && end <= l3 + 20);
    if (inL4Sum && l4csum >= 0 && l4csum + 2 <= d.length) {
      const cur = d.readUInt16BE(l4csum);
      if (!(proto === 17 && cur === 0)) {
        // Parity relative to the L4 header (even-aligned, as the pseudo-header addresses are).
        const base = p.at >= l4 ? l4 : l3;
        const oldSum = sum16(d, p.at, end, base);
        const newSum = sum16(p.bytes, 0, p.bytes.length, (p.at - base) % 2 === 0 ? 0 : 1);
        let c = adjust(cur, oldSum, newSum);
        if (proto === 17 && c === 0) c = 0xffff;
        d.writeUInt16BE(c, l4csum);
      }
    }
    p.bytes.copy(d, p.at);
  }
}

function indexesOf(d: Buffer, needle: Buffer, from: number, to: number): number[] {
  const out: number[] = [];
  let i = d.indexOf(needle, from);
  while (i >= 0 && i + needle.length <= to) {
    out.push(i);
    i = d.indexOf(needle, i + 1);
  }
  return out;
}

export interface RewriteOptions {
  /**
   * Also replace the address inside UDP payloads (DNS A answers, DHCP chaddr/yiaddr), so a moved
   * server keeps its name and a moved device its DHCP identity.
   */
  readonly payload?: boolean;
}

/** Replaces one IPv4 address everywhere in IPv4 and ARP headers (and optionally UDP payloads). */
export function rewriteIPv4(frames: readonly Frame[], from: string, to: string, opts: RewriteOptions = {}): Frame[] {
  const a = ipv4Bytes(from);
  const b = ipv4Bytes(to);
  return frames.map((f) => {
    const l = layout(f);
    if (!l) return f;
    const d = f.data;
    if (l.ethertype === 0x0806 && l.l3 + 28 <= d.length) {
      const hits = [l.l3 + 14, l.l3 + 24].filter((o) => d.subarray(o, o + 4).equals(a));
      if (hits.length === 0) return f;
      const c = Buffer.from(d);
      for (const o of hits) b.copy(c, o);
      return { ...f, data: c };
    }
    if (l.ethertype !== 0x0800 || l.l3 + 20 > d.length) return f;
    const patches: Patch[] = [];
    for (const o of [l.l3 + 12, l.l3 + 16]) if (d.subarray(o, o + 4).equals(a)) patches.push({ at: o, bytes: b });
    if (opts.payload && d[l.l3 + 9] === 17) {
      const l4 = l.l3 + (d[l.l3] & 0x0f) * 4;
      const end = Math.min(d.length, l.l3 + d.readUInt16BE(l.l3 + 2));
      for (const o of indexesOf(d, a, l4 + 8, end)) patches.push({ at: o, bytes: b });
    }
    if (patches.length === 0) return f;
    const c = Buffer.from(d);
    patchIpv4(c, l.l3, patches);
    return { ...f, data: c };
  });
}

/** Replaces one MAC in Ethernet and ARP headers (and optionally UDP payloads: DHCP chaddr). */
export function rewriteMac(frames: readonly Frame[], from: string, to: string, opts: RewriteOptions = {}): Frame[] {
  const a = macBytes(from);
  const b = macBytes(to);
  return frames.map((f) => {
    const l = layout(f);
    if (!l || l.eth < 0) return f;
    const d = f.data;
    const plain = [0, 6].filter((o) => d.subarray(o, o + 6).equals(a));
    if (l.ethertype === 0x0806 && l.l3 + 28 <= d.length) plain.push(...[l.l3 + 8, l.l3 + 18].filter((o) => d.subarray(o, o + 6).equals(a)));
    const patches: Patch[] = [];
    if (opts.payload && l.ethertype === 0x0800 && l.l3 + 20 <= d.length && d[l.l3 + 9] === 17) {
      const l4 = l.l3 + (d[l.l3] & 0x0f) * 4;
      const end = Math.min(d.length, l.l3 + d.readUInt16BE(l.l3 + 2));
      for (const o of indexesOf(d, a, l4 + 8, end)) patches.push({ at: o, bytes: b });
    }
    if (plain.length === 0 && patches.length === 0) return f;
    const c = Buffer.from(d);
    for (const o of plain) b.copy(c, o);
    if (patches.length > 0) patchIpv4(c, l.l3, patches);
    return { ...f, data: c };
  });
}

// ---- crafting -----------------------------------------------------------------------------------

let ipId = 1;

/** One Ethernet/IPv4 frame around a TCP or UDP header + payload (`l4`, checksum field zero); checksums filled in. */
function ipv4Frame(src: Endpoint, dst: Endpoint, proto: 6 | 17, l4: Buffer, ts: number): Frame {
  const total = 20 + l4.length;
  if (total > 65535) throw new Error(`IPv4 packet of ${total} bytes: use a smaller segment`);
  const d = Buffer.alloc(14 + total);
  macBytes(dst.mac).copy(d, 0);
  macBytes(src.mac).copy(d, 6);
  d.writeUInt16BE(0x0800, 12);
  const ip = 14;
  d[ip] = 0x45;
  d.writeUInt16BE(total, ip + 2);
  d.writeUInt16BE(ipId++ & 0xffff, ip + 4);
  d.writeUInt16BE(0x4000, ip + 6); // don't fragment
  d[ip + 8] = 64;
  d[ip + 9] = proto;
  ipv4Bytes(src.ip).copy(d, ip + 12);
  ipv4Bytes(dst.ip).copy(d, ip + 16);
  d.writeUInt16BE(checksum(d, ip, ip + 20), ip + 10);
  l4.copy(d, ip + 20);
  // Pseudo-header: addresses, protocol, L4 length.
  const pseudo = sum16(d, ip + 12, ip + 20, ip + 12) + proto + l4.length;
  const at = ip + 20 + (proto === 6 ? 16 : 6);
  let c = checksum(d, ip + 20, d.length, pseudo);
  if (proto === 17 && c === 0) c = 0xffff;
  d.writeUInt16BE(c, at);
  return { ts, data: d, linktype: LINKTYPE_ETHERNET };
}

const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10;

function tcpSegment(src: Endpoint, dst: Endpoint, seq: number, ack: number, flags: number, payload: Buffer, ts: number): Frame {
  const h = Buffer.alloc(20 + payload.length);
  h.writeUInt16BE(src.port, 0);
  h.writeUInt16BE(dst.port, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  payload.copy(h, 20);
  return ipv4Frame(src, dst, 6, h, ts);
}

export interface TcpSessionSpec {
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Time of the SYN. */
  readonly start: number;
  /** Payload bytes client -> server (a count: zero-filled; or the bytes themselves). Default 0. */
  readonly toServer?: number | Buffer;
  /** Payload bytes server -> client. Default 0. */
  readonly toClient?: number | Buffer;
  /**
   * Largest payload per segment, default 1448. Up to 65495 (a full IPv4 packet, as captures with
   * segmentation offload show) moves hundreds of MB in a few thousand frames.
   */
  readonly segment?: number;
  /** Seconds from the SYN to the last ACK; default 0.001 per packet. */
  readonly duration?: number;
}

/**
 * A complete TCP conversation: handshake, the client's data (each segment ACKed), the server's
 * data (each ACKed), FIN from each side, last ACK. Zeek calls it SF with history ShADadFf.
 */
export function tcpSession(spec: TcpSessionSpec): Frame[] {
  const { client: c, server: s } = spec;
  const seg = spec.segment ?? 1448;
  const up = typeof spec.toServer === 'number' ? Buffer.alloc(spec.toServer) : spec.toServer ?? Buffer.alloc(0);
  const down = typeof spec.toClient === 'number' ? Buffer.alloc(spec.toClient) : spec.toClient ?? Buffer.alloc(0);
  const nUp = Math.ceil(up.length / seg);
  const nDown = Math.ceil(down.length / seg);
  const packets = 3 + 2 * nUp + 2 * nDown + 3;
  const step = spec.duration !== undefined ? spec.duration / (packets - 1) : 0.001;
  let i = 0;
  const next = () => spec.start + step * i++;
  let cs = 0x1000_0000; // client's next sequence number
  let ss = 0x2000_0000;
  const out: Frame[] = [];
  const empty = Buffer.alloc(0);
  out.push(tcpSegment(c, s, cs, 0, TCP_SYN, empty, next()));
  cs++;
  out.push(tcpSegment(s, c, ss, cs, TCP_SYN | TCP_ACK, empty, next()));
  ss++;
  out.push(tcpSegment(c, s, cs, ss, TCP_ACK, empty, next()));
  for (let off = 0; off < up.length; off += seg) {
    const p = up.subarray(off, Math.min(up.length, off + seg));
    out.push(tcpSegment(c, s, cs, ss, TCP_ACK | TCP_PSH, p, next()));
    cs += p.length;
    out.push(tcpSegment(s, c, ss, cs, TCP_ACK, empty, next()));
  }
  for (let off = 0; off < down.length; off += seg) {
    const p = down.subarray(off, Math.min(down.length, off + seg));
    out.push(tcpSegment(s, c, ss, cs, TCP_ACK | TCP_PSH, p, next()));
    ss += p.length;
    out.push(tcpSegment(c, s, cs, ss, TCP_ACK, empty, next()));
  }
  out.push(tcpSegment(c, s, cs, ss, TCP_FIN | TCP_ACK, empty, next()));
  cs++;
  out.push(tcpSegment(s, c, ss, cs, TCP_FIN | TCP_ACK, empty, next()));
  ss++;
  out.push(tcpSegment(c, s, cs, ss, TCP_ACK, empty, next()));
  return out;
}

export interface UdpSpec {
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly start: number;
  /** Datagrams in order; a number is a zero-filled payload of that size. */
  readonly datagrams: readonly { readonly from: 'client' | 'server'; readonly payload: number | Buffer }[];
  /** Seconds between datagrams, default 0.001. */
  readonly gap?: number;
}

/** A UDP conversation (request/answer, or one-way when the server never speaks). */
export function udpExchange(spec: UdpSpec): Frame[] {
  const gap = spec.gap ?? 0.001;
  return spec.datagrams.map((g, i) => {
    const payload = typeof g.payload === 'number' ? Buffer.alloc(g.payload) : g.payload;
    const [src, dst] = g.from === 'client' ? [spec.client, spec.server] : [spec.server, spec.client];
    const h = Buffer.alloc(8 + payload.length);
    h.writeUInt16BE(src.port, 0);
    h.writeUInt16BE(dst.port, 2);
    h.writeUInt16BE(8 + payload.length, 4);
    payload.copy(h, 8);
    return ipv4Frame(src, dst, 17, h, spec.start + i * gap);
  });
}

/**
 * True when the frame's IPv4 header checksum and TCP/UDP checksum verify (for tests of rewrites;
 * needs the whole packet captured).
 */
export function checksumsValid(f: Frame): boolean {
  const l = layout(f);
  if (!l || l.ethertype !== 0x0800) return false;
  const d = f.data;
  const ip = l.l3;
  const ihl = (d[ip] & 0x0f) * 4;
  if (checksum(d, ip, ip + ihl) !== 0) return false;
  const proto = d[ip + 9];
  const total = d.readUInt16BE(ip + 2);
  if ((proto !== 6 && proto !== 17) || ip + total > d.length) return true;
  if (proto === 17 && d.readUInt16BE(ip + ihl + 6) === 0) return true;
  const pseudo = sum16(d, ip + 12, ip + 20, ip + 12) + proto + (total - ihl);
  return checksum(d, ip + ihl, ip + total, pseudo) === 0;
}
