/**
 * Framing for pcap and pcapng, as one push parser over a reusable window.
 *
 * Bytes arrive in chunks (a file read into the window directly, or stream chunks copied in); the
 * parser hands each complete record to the sink as a view `(buf, off, caplen)` into the window, so
 * nothing is allocated per packet. A record that straddles two chunks is finished after the next
 * fill: the unparsed tail is moved to the front of the window first. Memory is bounded by the
 * window (grown only to hold one maximal record).
 *
 * Damage is reported, not thrown: the parser stops at the first record it cannot trust and says
 * why in `problem`; everything before it has been delivered.
 */
import type { PacketSink } from './packet-sink.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_RAW_ALT = 12; // DLT_RAW on OpenBSD-derived systems, as libpcap maps it
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** A record claiming more than this is damage, not a packet (libpcap's MAXIMUM_SNAPLEN). */
export const MAX_RECORD = 262144;
const MAX_PCAPNG_BLOCK = 16 * 1024 * 1024;

export type CaptureFormat = 'pcap' | 'pcapng';

const enum State {
  Magic,
  Pcap,
  Pcapng,
  Stopped,
}

interface PcapngIface {
  linktype: number;
  snaplen: number;
  /** Multiplier from timestamp units to seconds. */
  tsScale: number;
  /** For power-of-ten resolutions, units per second as an integer: exact integer math. */
  unitsPerSec: number;
}

export class FrameParser {
  /** The window. Records are views into it; valid only during the sink call. */
  buf: Buffer;
  /** Unparsed bytes are buf[start, end). */
  start = 0;
  end = 0;
  /** Absolute offset in the input of buf[0] (for messages). */
  base = 0;
  format: CaptureFormat | null = null;
  /** Set when the input is damaged; parsing has stopped. */
  problem: string | null = null;
  /** Set when the input is not a capture at all. */
  notCapture: string | null = null;
  records = 0;
  /** Records whose captured length is below the wire length (snaplen cut). */
  truncatedRecords = 0;
  /** Link types seen, by interface for pcapng. */
  readonly linktypes = new Set<number>();

  #state = State.Magic;
  #sink: PacketSink;
  // pcap
  #swapped = false;
  #nanos = false;
  #linktype = 0;
  #snaplen = 0;
  // pcapng
  #ngLittle = true;
  #ifaces: PcapngIface[] = [];

  constructor(sink: PacketSink, windowSize = 4 * 1024 * 1024) {
    this.#sink = sink;
    this.buf = Buffer.allocUnsafe(Math.max(windowSize, MAX_RECORD * 2));
  }

  get stopped(): boolean {
    return this.#state === State.Stopped;
  }

  /**
   * Makes room at the end of the window and returns how many bytes may be written at `end`.
   * Moves the unparsed tail to the front (cheap: at most one partial record).
   */
  prepareFill(): number {
    if (this.start > 0) {
      if (this.end > this.start) this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    return this.buf.length - this.end;
  }

  /** Copies a stream chunk in, parsing as it goes. */
  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length && this.#state !== State.Stopped) {
      let room = this.prepareFill();
      if (room === 0) {
        // A single block larger than the window (pcapng allows up to MAX_PCAPNG_BLOCK): grow.
        this.#grow(this.buf.length * 2);
        room = this.buf.length - this.end;
      }
      const n = Math.min(room, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + n), this.end);
      this.end += n;
      off += n;
      this.parse();
    }
  }

  #grow(size: number): void {
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.end);
    this.end -= this.start;
    this.base += this.start;
    this.start = 0;
    this.buf = next;
  }

  /** Parses every complete record in the window. Call after bytes were appended at `end`. */
  parse(): void {
    for (;;) {
      switch (this.#state) {
        case State.Magic:
          if (!this.#readMagic()) return;
          break;
        case State.Pcap:
          this.#parsePcap();
          return;
        case State.Pcapng:
          this.#parsePcapng();
          return;
        case State.Stopped:
          return;
      }
    }
  }

  /** End of input: anything left over is a cut-off record. */
  finish(): void {
    if (this.#state === State.Stopped) return;
    const left = this.end - this.start;
    if (this.#state === State.Magic) {
      this.notCapture = left === 0 ? 'the file is empty' : `only ${left} bytes, too short for a capture header`;
      this.#state = State.Stopped;
      return;
    }
    if (left > 0) {
      this.problem = `the capture ends in the middle of a record (${left} bytes after record ${this.records} are cut off)`;
    }
    this.#state = State.Stopped;
  }

  #stop(problem: string): void {
    this.problem = problem;
    this.#state = State.Stopped;
  }

  #readMagic(): boolean {
    if (this.end - this.start < 4) return false;
    const b = this.buf;
    const s = this.start;
    const m = b.readUInt32LE(s);
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) {
      if (this.end - s < 24) return false;
      this.#swapped = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
      this.#nanos = m === 0xa1b23c4d || m === 0x4d3cb2a1;
      const rd = (o: number) => (this.#swapped ? b.readUInt32BE(s + o) : b.readUInt32LE(s + o));
      this.#snaplen = rd(16);
      // The upper bits of the link-type field carry FCS length flags (pcap format spec); mask them.
      this.#linktype = rd(20) & 0x0fffffff;
      this.linktypes.add(this.#linktype);
      this.format = 'pcap';
      this.start = s + 24;
      this.#state = State.Pcap;
      return true;
    }
    if (m === 0x0a0d0d0a) {
      this.format = 'pcapng';
      this.#state = State.Pcapng;
      return true;
    }
    if (b[s] === 0x1f && b[s + 1] === 0x8b) {
      this.notCapture = 'gzip data where a capture was expected (was it compressed twice?)';
    } else {
      this.notCapture = `not a pcap or pcapng file (starts with bytes ${b.subarray(s, s + 4).toString('hex')})`;
    }
    this.#state = State.Stopped;
    return false;
  }

  #parsePcap(): void {
    const b = this.buf;
    const sink = this.#sink;
    const lt = this.#linktype;
    const swapped = this.#swapped;
    const scale = this.#nanos ? 1e-9 : 1e-6;
    let p = this.start;
    const end = this.end;
    while (end - p >= 16) {
      // Manual little/big-endian reads: Buffer.readUInt32LE validates its arguments on every call.
      let sec: number, frac: number, caplen: number, wirelen: number;
      if (swapped) {
        sec = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
        frac = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
        caplen = ((b[p + 8] << 24) | (b[p + 9] << 16) | (b[p + 10] << 8) | b[p + 11]) >>> 0;
        wirelen = ((b[p + 12] << 24) | (b[p + 13] << 16) | (b[p + 14] << 8) | b[p + 15]) >>> 0;
      } else {
        sec = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        frac = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
        caplen = (b[p + 8] | (b[p + 9] << 8) | (b[p + 10] << 16) | (b[p + 11] << 24)) >>> 0;
        wirelen = (b[p + 12] | (b[p + 13] << 8) | (b[p + 14] << 16) | (b[p + 15] << 24)) >>> 0;
      }
      if (caplen > MAX_RECORD || (this.#snaplen >= 64 && caplen > this.#snaplen + 65536)) {
        this.start = p;
        this.#stop(`record ${this.records + 1} at byte ${this.base + p} claims ${caplen} bytes; the file is damaged from there on`);
        return;
      }
      if (end - p - 16 < caplen) break;
      this.records++;
      if (caplen < wirelen) this.truncatedRecords++;
      sink.packet(lt, b, p + 16, caplen, wirelen, sec + frac * scale);
      p += 16 + caplen;
    }
    this.start = p;
  }

  #ng32(o: number): number {
    return this.#ngLittle ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o);
  }

  #ng16(o: number): number {
    return this.#ngLittle ? this.buf.readUInt16LE(o) : this.buf.readUInt16BE(o);
  }

  #parsePcapng(): void {
    const b = this.buf;
    let p = this.start;
    const end = this.end;
    while (end - p >= 12) {
      let type = b.readUInt32LE(p);
      if (type === 0x0a0d0d0a) {
        // Section header: its byte-order magic decides how everything in the section is read.
        const bom = b.readUInt32LE(p + 8);
        if (bom === 0x1a2b3c4d) this.#ngLittle = true;
        else if (bom === 0x4d3c2b1a) this.#ngLittle = false;
        else {
          this.start = p;
          this.#stop(`pcapng section header at byte ${this.base + p} has a bad byte-order magic`);
          return;
        }
        this.#ifaces = [];
      } else if (!this.#ngLittle) {
        type = b.readUInt32BE(p);
      }
      const blen = this.#ng32(p + 4);
      if (blen < 12 || blen % 4 !== 0 || blen > MAX_PCAPNG_BLOCK) {
        this.start = p;
        this.#stop(`pcapng block at byte ${this.base + p} has an impossible length ${blen}; the file is damaged from there on`);
        return;
      }
      if (end - p < blen) {
        if (blen > this.buf.length - 16) {
          this.start = p;
          this.#grow(blen * 2);
        } else {
          this.start = p;
        }
        return;
      }
      const body = p + 8;
      const bodyEnd = p + blen - 4;
      switch (type) {
        case 0x00000001:
          this.#readIdb(body, bodyEnd);
          break;
        case 0x00000006: // EPB
          if (bodyEnd - body >= 20) {
            const ifid = this.#ng32(body);
            const caplen = this.#ng32(body + 12);
            const wirelen = this.#ng32(body + 16);
            this.#deliverNg(ifid, this.#ng32(body + 4), this.#ng32(body + 8), body + 20, caplen, wirelen, bodyEnd);
          }
          break;
        case 0x00000003: {
          // SPB: no timestamp, no interface id (always interface 0), captured length implied.
          if (bodyEnd - body >= 4) {
            const wirelen = this.#ng32(body);
            const iface = this.#ifaces[0];
            let caplen = Math.min(wirelen, bodyEnd - body - 4);
            if (iface && iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
            this.#deliverNg(0, 0, 0, body + 4, caplen, wirelen, bodyEnd);
          }
          break;
        }
        case 0x00000002: // obsolete Packet Block
          if (bodyEnd - body >= 20) {
            const ifid = this.#ng16(body);
            const caplen = this.#ng32(body + 12);
            const wirelen = this.#ng32(body + 16);
            this.#deliverNg(ifid, this.#ng32(body + 4), this.#ng32(body + 8), body + 20, caplen, wirelen, bodyEnd);
          }
          break;
        default:
          // SHB handled above; NRB, ISB, DSB, custom and unknown blocks carry no packets.
          break;
      }
      if (this.#state === State.Stopped) return;
      p += blen;
    }
    this.start = p;
  }

  #readIdb(body: number, bodyEnd: number): void {
    if (bodyEnd - body < 8) return;
    const linktype = this.#ng16(body);
    const snaplen = this.#ng32(body + 4);
    let tsScale = 1e-6;
    let unitsPerSec = 1e6;
    // Options: code(2) len(2) value padded to 4.
    let o = body + 8;
    while (bodyEnd - o >= 4) {
      const code = this.#ng16(o);
      const len = this.#ng16(o + 2);
      if (code === 0) break;
      if (o + 4 + len > bodyEnd) break;
      if (code === 9 && len >= 1) {
        const r = this.buf[o + 4];
        const exp = r & 0x7f;
        if (r & 0x80) {
          tsScale = Math.pow(2, -exp);
          unitsPerSec = 0;
        } else if (exp <= 15) {
          tsScale = Math.pow(10, -exp);
          unitsPerSec = Math.pow(10, exp);
        }
      }
      o += 4 + ((len + 3) & ~3);
    }
    this.linktypes.add(linktype);
    this.#ifaces.push({ linktype, snaplen, tsScale, unitsPerSec });
  }

  #deliverNg(ifid: number, hi: number, lo: number, data: number, caplen: number, wirelen: number, bodyEnd: number): void {
    const iface = this.#ifaces[ifid];
    if (!iface) {
      this.#stop(`packet block refers to interface ${ifid}, which no interface description block defined`);
      return;
    }
    if (caplen > bodyEnd - data || caplen > MAX_RECORD) {
      this.#stop(`packet block at byte ${this.base + data} claims ${caplen} captured bytes but holds fewer; the file is damaged`);
      return;
    }
    // hi * 2^32 + lo is exact up to 2^53; beyond (nanosecond stamps) the error stays below 1 µs.
    const units = hi * 4294967296 + lo;
    const ts = iface.unitsPerSec > 0 ? units / iface.unitsPerSec : units * iface.tsScale;
    this.records++;
    if (caplen < wirelen) this.truncatedRecords++;
    this.#sink.packet(iface.linktype, this.buf, data, caplen, wirelen, ts);
  }
}
