/**
 * Mutation fuzzing support (reliability.md §6.1 R1): a seeded PRNG, seed packets read from the
 * corpus captures, and a mutator that rewrites one seed into a work buffer with bit flips, byte
 * sets, truncation, length-field extremes, splicing, repeated chunks and TCP segment splitting.
 *
 * Everything is deterministic for a given run seed, and every mutation is logged as a short list
 * of operations so a failing packet can be described (and, with its hex, replayed).
 *
 * The length-field finder below is written independently of the engine's decoders on purpose: it
 * walks the seed (a real, unmutated packet) to learn where the IPv4/IPv6/TCP/UDP/DNS/TLS/DHCP/
 * Modbus/DNP3 length fields live, so the mutator can set exactly those to 0, 1, 0xFFFF ….
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FrameParser } from '../../src/capture/frame-parser.js';

// ---- PRNG: xoshiro128** (public domain, Blackman & Vigna) --------------------------------------

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the four state words (never all zero).
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next() | 1;
  }

  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return r;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// ---- seeds ------------------------------------------------------------------------------------

/** Kinds of length fields the mutator knows how to set. */
export const enum FieldKind {
  U8 = 1,
  U16 = 2,
  U24 = 3,
  U32 = 4,
  /** High nibble of a byte (IPv4 IHL is the low nibble: see NibLo). */
  NibHi = 5,
  NibLo = 6,
  /** ASCII decimal digits (Content-Length); `len` is the digit count. */
  Dec = 7,
}

const KIND_NAMES = ['', 'u8', 'u16', 'u24', 'u32', 'nibble_hi', 'nibble_lo', 'decimal'];

export interface Seed {
  /** `file#n` (1-based record number), for messages. */
  readonly name: string;
  readonly id: number;
  readonly linktype: number;
  readonly data: Buffer;
  readonly wirelen: number;
  /** Capture timestamp (the fuzzer uses its own clock; replays use this). */
  readonly ts: number;
  /** Offsets found by the seed walker (-1 when absent). l3 is also set for ARP (ipVersion 0). */
  readonly l3: number;
  readonly ipVersion: number;
  readonly l4: number;
  readonly proto: number;
  readonly payload: number;
  readonly payloadEnd: number;
  /** Length fields as triples: offset, FieldKind, width (bytes; digits for Dec), name index. */
  readonly fields: Int32Array;
}

export const FIELD_NAMES: string[] = [];
const fieldNameIds = new Map<string, number>();
function fieldId(name: string): number {
  let id = fieldNameIds.get(name);
  if (id === undefined) {
    id = FIELD_NAMES.length;
    FIELD_NAMES.push(name);
    fieldNameIds.set(name, id);
  }
  return id;
}

class FieldList {
  readonly v: number[] = [];
  add(off: number, kind: FieldKind, width: number, end: number, name: string): void {
    const w = kind === FieldKind.NibHi || kind === FieldKind.NibLo ? 1 : width;
    if (off < 0 || off + w > end) return;
    this.v.push(off, kind, width, fieldId(name));
  }
}

function rd16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Walks a clean seed packet and records where its length fields are. Never throws. */
export function describeSeed(linktype: number, b: Buffer): Omit<Seed, 'name' | 'id' | 'linktype' | 'data' | 'wirelen' | 'ts'> {
  const fl = new FieldList();
  const end = b.length;
  const out = { l3: -1, ipVersion: 0, l4: -1, proto: -1, payload: -1, payloadEnd: -1, fields: new Int32Array(0) };
  try {
    walk(linktype, b, end, fl, out);
  } catch {
    // A seed the walker misreads only loses its field list; the fuzzer still uses the seed.
  }
  out.fields = Int32Array.from(fl.v);
  return out;
}

interface WalkOut {
  l3: number;
  ipVersion: number;
  l4: number;
  proto: number;
  payload: number;
  payloadEnd: number;
}

function walk(linktype: number, b: Buffer, end: number, fl: FieldList, out: WalkOut): void {
  let p: number;
  let et: number;
  switch (linktype) {
    case 1: {
      if (end < 14) return;
      et = rd16(b, 12);
      p = 14;
      for (let i = 0; i < 4 && (et === 0x8100 || et === 0x88a8 || et === 0x9100) && p + 4 <= end; i++) {
        et = rd16(b, p + 2);
        p += 4;
      }
      if (et === 0x8864 && p + 8 <= end) {
        fl.add(p + 4, FieldKind.U16, 2, end, 'pppoe.length');
        const ppp = rd16(b, p + 6);
        et = ppp === 0x21 ? 0x800 : ppp === 0x57 ? 0x86dd : 0;
        p += 8;
      }
      break;
    }
    case 113:
      if (end < 16) return;
      fl.add(4, FieldKind.U16, 2, end, 'sll.addr_len');
      et = rd16(b, 14);
      p = 16;
      break;
    case 276:
      if (end < 20) return;
      fl.add(11, FieldKind.U8, 1, end, 'sll2.addr_len');
      et = rd16(b, 0);
      p = 20;
      break;
    case 0:
    case 108:
      if (end < 5) return;
      p = 4;
      et = b[4] >> 4 === 6 ? 0x86dd : 0x800;
      break;
    case 12:
    case 101:
    case 228:
    case 229:
      if (end < 1) return;
      p = 0;
      et = b[0] >> 4 === 6 ? 0x86dd : 0x800;
      break;
    default:
      return;
  }
  let l4: number;
  let proto: number;
  let dEnd: number;
  if (et === 0x800) {
    if (p + 20 > end) return;
    out.l3 = p;
    out.ipVersion = 4;
    fl.add(p, FieldKind.NibLo, 1, end, 'ipv4.ihl');
    fl.add(p + 2, FieldKind.U16, 2, end, 'ipv4.total_length');
    fl.add(p + 6, FieldKind.U16, 2, end, 'ipv4.frag_offset');
    const hl = (b[p] & 15) * 4;
    // Options: type, length bytes.
    for (let o = p + 20; o + 1 < p + hl && o + 1 < end; ) {
      const t = b[o];
      if (t === 0) break;
      if (t === 1) {
        o++;
        continue;
      }
      fl.add(o + 1, FieldKind.U8, 1, end, 'ipv4.option_length');
      o += Math.max(2, b[o + 1]);
    }
    proto = b[p + 9];
    dEnd = Math.min(end, p + rd16(b, p + 2));
    l4 = p + hl;
    if ((rd16(b, p + 6) & 0x3fff) !== 0) return; // a fragment: the transport header may be elsewhere
  } else if (et === 0x86dd) {
    if (p + 40 > end) return;
    out.l3 = p;
    out.ipVersion = 6;
    fl.add(p + 4, FieldKind.U16, 2, end, 'ipv6.payload_length');
    dEnd = Math.min(end, p + 40 + rd16(b, p + 4));
    let next = b[p + 6];
    let q = p + 40;
    for (let n = 0; n < 10; n++) {
      if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
        if (q + 8 > end) return;
        fl.add(q + 1, FieldKind.U8, 1, end, 'ipv6.ext_length');
        next = b[q];
        q += (b[q + 1] + 1) * 8;
      } else if (next === 51) {
        if (q + 8 > end) return;
        fl.add(q + 1, FieldKind.U8, 1, end, 'ipv6.ah_length');
        next = b[q];
        q += (b[q + 1] + 2) * 4;
      } else if (next === 44) {
        if (q + 8 > end) return;
        fl.add(q + 2, FieldKind.U16, 2, end, 'ipv6.frag_offset');
        if ((rd16(b, q + 2) & 0xfff9) !== 0) return;
        next = b[q];
        q += 8;
      } else {
        break;
      }
    }
    proto = next;
    l4 = q;
  } else if (et === 0x806) {
    out.l3 = p; // ARP: l3 set, ipVersion stays 0
    fl.add(p + 4, FieldKind.U8, 1, end, 'arp.hlen');
    fl.add(p + 5, FieldKind.U8, 1, end, 'arp.plen');
    return;
  } else {
    return;
  }
  out.proto = proto;
  if (l4 >= dEnd) return;
  out.l4 = l4;
  let pay: number;
  let sport = 0;
  let dport = 0;
  if (proto === 6) {
    if (l4 + 20 > dEnd) return;
    fl.add(l4 + 12, FieldKind.NibHi, 1, end, 'tcp.data_offset');
    fl.add(l4 + 18, FieldKind.U16, 2, end, 'tcp.urgent');
    const doff = (b[l4 + 12] >> 4) * 4;
    for (let o = l4 + 20; o + 1 < l4 + doff && o + 1 < end; ) {
      const k = b[o];
      if (k === 0) break;
      if (k === 1) {
        o++;
        continue;
      }
      fl.add(o + 1, FieldKind.U8, 1, end, 'tcp.option_length');
      o += Math.max(2, b[o + 1]);
    }
    sport = rd16(b, l4);
    dport = rd16(b, l4 + 2);
    pay = l4 + doff;
  } else if (proto === 17) {
    if (l4 + 8 > dEnd) return;
    fl.add(l4 + 4, FieldKind.U16, 2, end, 'udp.length');
    sport = rd16(b, l4);
    dport = rd16(b, l4 + 2);
    pay = l4 + 8;
  } else if (proto === 1 || proto === 58) {
    pay = l4 + 8;
    out.payload = pay;
    out.payloadEnd = dEnd;
    return;
  } else {
    return;
  }
  if (pay > dEnd) return;
  out.payload = pay;
  out.payloadEnd = dEnd;
  if (pay >= dEnd) return;
  const has = (port: number) => sport === port || dport === port;
  if (proto === 17) {
    if (has(53) || has(5353) || has(5355) || has(137)) dnsFields(b, pay, dEnd, fl);
    else if (has(67) || has(68)) dhcpFields(b, pay, dEnd, fl);
    else if (has(546) || has(547)) dhcpv6Fields(b, pay, dEnd, fl);
    else if (has(1900)) textFields(b, pay, dEnd, fl);
  } else {
    if (has(53)) {
      fl.add(pay, FieldKind.U16, 2, dEnd, 'dns.tcp_length');
      dnsFields(b, pay + 2, dEnd, fl);
    } else if (has(502)) {
      fl.add(pay + 4, FieldKind.U16, 2, dEnd, 'modbus.length');
    } else if (has(20000)) {
      if (b[pay] === 0x05 && b[pay + 1] === 0x64) fl.add(pay + 2, FieldKind.U8, 1, dEnd, 'dnp3.length');
    } else if (b[pay] >= 20 && b[pay] <= 24 && b[pay + 1] === 3) {
      tlsFields(b, pay, dEnd, fl);
    } else {
      textFields(b, pay, dEnd, fl);
    }
  }
}

/** DNS header counts, label lengths, compression pointers and RR data lengths. */
function dnsFields(b: Buffer, m: number, end: number, fl: FieldList): void {
  if (m + 12 > end) return;
  fl.add(m + 4, FieldKind.U16, 2, end, 'dns.qdcount');
  fl.add(m + 6, FieldKind.U16, 2, end, 'dns.ancount');
  fl.add(m + 8, FieldKind.U16, 2, end, 'dns.nscount');
  fl.add(m + 10, FieldKind.U16, 2, end, 'dns.arcount');
  const qd = rd16(b, m + 4);
  const rr = rd16(b, m + 6) + rd16(b, m + 8) + rd16(b, m + 10);
  let p = m + 12;
  const name = (): boolean => {
    for (let i = 0; i < 64 && p < end; i++) {
      const l = b[p];
      if (l === 0) {
        p++;
        return true;
      }
      if ((l & 0xc0) === 0xc0) {
        fl.add(p, FieldKind.U16, 2, end, 'dns.name_pointer');
        p += 2;
        return true;
      }
      fl.add(p, FieldKind.U8, 1, end, 'dns.label_length');
      p += l + 1;
    }
    return false;
  };
  for (let i = 0; i < qd && i < 16; i++) {
    if (!name()) return;
    p += 4;
  }
  for (let i = 0; i < rr && i < 32; i++) {
    if (!name()) return;
    if (p + 10 > end) return;
    fl.add(p + 8, FieldKind.U16, 2, end, 'dns.rdlength');
    p += 10 + rd16(b, p + 8);
  }
}

/** TLS records, handshake headers, hello vectors and extensions. */
function tlsFields(b: Buffer, p: number, end: number, fl: FieldList): void {
  for (let r = 0; r < 8 && p + 5 <= end; r++) {
    const type = b[p];
    if (type < 20 || type > 24) return;
    fl.add(p + 3, FieldKind.U16, 2, end, 'tls.record_length');
    const rlen = rd16(b, p + 3);
    const body = p + 5;
    const rEnd = Math.min(end, body + rlen);
    if (type === 22 && body + 4 <= rEnd) {
      fl.add(body + 1, FieldKind.U24, 3, end, 'tls.handshake_length');
      const hs = b[body];
      let q = body + 4;
      if ((hs === 1 || hs === 2) && q + 35 <= rEnd) {
        q += 34; // version + random
        fl.add(q, FieldKind.U8, 1, end, 'tls.session_id_length');
        q += 1 + b[q];
        if (hs === 1) {
          if (q + 2 > rEnd) return;
          fl.add(q, FieldKind.U16, 2, end, 'tls.cipher_suites_length');
          q += 2 + rd16(b, q);
          if (q + 1 > rEnd) return;
          fl.add(q, FieldKind.U8, 1, end, 'tls.compression_length');
          q += 1 + b[q];
        } else {
          q += 3;
        }
        if (q + 2 > rEnd) return;
        fl.add(q, FieldKind.U16, 2, end, 'tls.extensions_length');
        q += 2;
        for (let e = 0; e < 64 && q + 4 <= rEnd; e++) {
          const et = rd16(b, q);
          fl.add(q + 2, FieldKind.U16, 2, end, 'tls.extension_length');
          const el = rd16(b, q + 2);
          const d = q + 4;
          if (et === 0 && d + 5 <= rEnd) {
            fl.add(d, FieldKind.U16, 2, end, 'tls.sni_list_length');
            fl.add(d + 3, FieldKind.U16, 2, end, 'tls.sni_name_length');
          } else if ((et === 10 || et === 13 || et === 16 || et === 51) && d + 2 <= rEnd) {
            fl.add(d, FieldKind.U16, 2, end, 'tls.extension_vector_length');
          } else if (et === 43 && d + 1 <= rEnd && hs === 1) {
            fl.add(d, FieldKind.U8, 1, end, 'tls.versions_length');
          }
          q = d + el;
        }
      } else if (hs === 11 && q + 3 <= rEnd) {
        fl.add(q, FieldKind.U24, 3, end, 'tls.certificates_length');
        q += 3;
        for (let c = 0; c < 8 && q + 3 <= rEnd; c++) {
          fl.add(q, FieldKind.U24, 3, end, 'tls.certificate_length');
          q += 3 + ((b[q] << 16) | (b[q + 1] << 8) | b[q + 2]);
        }
      }
    }
    p = body + rlen;
  }
}

function dhcpFields(b: Buffer, m: number, end: number, fl: FieldList): void {
  fl.add(m + 2, FieldKind.U8, 1, end, 'dhcp.hlen');
  let p = m + 240;
  for (let i = 0; i < 96 && p + 2 <= end; i++) {
    const code = b[p];
    if (code === 255) return;
    if (code === 0) {
      p++;
      continue;
    }
    fl.add(p + 1, FieldKind.U8, 1, end, 'dhcp.option_length');
    p += 2 + b[p + 1];
  }
}

function dhcpv6Fields(b: Buffer, m: number, end: number, fl: FieldList): void {
  let p = m + 4;
  for (let i = 0; i < 48 && p + 4 <= end; i++) {
    fl.add(p + 2, FieldKind.U16, 2, end, 'dhcpv6.option_length');
    p += 4 + rd16(b, p + 2);
  }
}

/** ASCII protocols: the digits of Content-Length (HTTP, SSDP). */
function textFields(b: Buffer, p: number, end: number, fl: FieldList): void {
  const s = b.toString('latin1', p, Math.min(end, p + 4096));
  const re = /content-length:[ \t]*([0-9]+)/gi;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(s)) !== null && n++ < 4) {
    const digits = m[1];
    fl.add(p + m.index + m[0].length - digits.length, FieldKind.Dec, digits.length, end, 'text.content_length');
  }
}

/** Reads every packet of a pcap/pcapng (optionally gzip) file as a seed. */
export function readCaptureSeeds(path: string, name: string, firstId: number): Seed[] {
  let bytes: Buffer = readFileSync(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const seeds: Seed[] = [];
  const parser = new FrameParser({
    packet(linktype: number, buf: Buffer, off: number, caplen: number, wirelen: number, ts: number): void {
      const data = Buffer.from(buf.subarray(off, off + caplen));
      const d = describeSeed(linktype, data);
      seeds.push({ name: `${name}#${seeds.length + 1}`, id: firstId + seeds.length, linktype, data, wirelen: Math.max(wirelen, caplen), ts, ...d });
    },
  });
  parser.push(bytes);
  parser.finish();
  return seeds;
}

function listCaptures(dir: string, out: string[]): void {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) listCaptures(p, out);
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/i.test(e)) out.push(p);
  }
}

/** Every packet of every capture under `root`, in a stable order (sorted paths, record order). */
export function loadSeeds(root: string): Seed[] {
  const files: string[] = [];
  listCaptures(root, files);
  const seeds: Seed[] = [];
  for (const f of files) {
    for (const s of readCaptureSeeds(f, relative(root, f), seeds.length)) seeds.push(s);
  }
  return seeds;
}

// ---- the mutator ------------------------------------------------------------------------------

export const enum Op {
  Clean = 0,
  BitFlip = 1,
  SetZero = 2,
  SetFF = 3,
  SetInteresting = 4,
  Truncate = 5,
  LengthField = 6,
  Splice = 7,
  RepeatChunk = 8,
  DeleteChunk = 9,
  InsertRandom = 10,
  DecimalField = 11,
  TcpSplit = 12,
}

const OP_NAMES = [
  'clean', 'bit_flip', 'set_zero', 'set_ff', 'set_interesting', 'truncate', 'length_field', 'splice',
  'repeat_chunk', 'delete_chunk', 'insert_random', 'decimal_field', 'tcp_split',
];

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xc0, 0xfe, 0xff, 0x10, 0x20, 0x40];
const DECIMALS = ['0', '1', '65535', '4294967296', '9007199254740993', '99999999999999999999999', '-1', '', '1e9', '0x10'];

/** Largest packet the mutator builds (a maximal IP datagram plus link headers). */
export const MAX_PACKET = 65535 + 64;

/**
 * Builds mutated packets in `work`. Each call to `begin` starts from a seed; each mutation appends
 * its parameters to `log` so `describe()` can say exactly what was done.
 */
export class Mutator {
  /** Twice the maximal packet: room for inserts before the length cap is applied. */
  readonly work = Buffer.alloc(MAX_PACKET * 2);
  len = 0;
  seed: Seed | null = null;
  /** Flat log: op, a, b, c per entry (unused params are 0). */
  readonly log: number[] = [];
  readonly #rng: Rng;
  readonly #byLinktype = new Map<number, Seed[]>();
  readonly #withFields: Seed[] = [];

  constructor(seeds: readonly Seed[], rng: Rng) {
    this.#rng = rng;
    for (const s of seeds) {
      let l = this.#byLinktype.get(s.linktype);
      if (!l) this.#byLinktype.set(s.linktype, (l = []));
      l.push(s);
      if (s.fields.length > 0) this.#withFields.push(s);
    }
  }

  begin(seed: Seed): void {
    this.seed = seed;
    this.log.length = 0;
    seed.data.copy(this.work, 0);
    this.len = seed.data.length;
  }

  #note(op: Op, a: number, b: number, c: number): void {
    this.log.push(op, a, b, c);
  }

  /** A position biased toward the headers (most decisions are made there). */
  #pos(): number {
    const r = this.#rng;
    const s = this.seed!;
    if (this.len === 0) return 0;
    if (r.chance(0.5)) {
      const hdrEnd = Math.min(this.len, (s.payload >= 0 ? s.payload : 54) + 48);
      return r.below(hdrEnd);
    }
    return r.below(this.len);
  }

  /** Applies 1..max random mutations (weighted toward the cheap, effective ones). */
  mutate(max: number): void {
    const r = this.#rng;
    const n = 1 + r.below(max);
    for (let i = 0; i < n; i++) {
      const k = r.below(100);
      if (k < 22) this.bitFlip(1 + r.below(r.chance(0.7) ? 2 : 8));
      else if (k < 30) this.setBytes(Op.SetZero, 0x00, 1 + r.below(4));
      else if (k < 38) this.setBytes(Op.SetFF, 0xff, 1 + r.below(4));
      else if (k < 46) this.setInteresting();
      else if (k < 54) this.truncate(r.below(this.len + 1));
      else if (k < 76) this.lengthField();
      else if (k < 84) this.splice();
      else if (k < 90) this.repeatChunk();
      else if (k < 94) this.deleteChunk();
      else if (k < 97) this.insertRandom();
      else this.decimalField();
    }
  }

  bitFlip(bits: number): void {
    if (this.len === 0) return;
    for (let i = 0; i < bits; i++) {
      const p = this.#pos();
      const bit = this.#rng.below(8);
      this.work[p] ^= 1 << bit;
      this.#note(Op.BitFlip, p, bit, 0);
    }
  }

  setBytes(op: Op, value: number, n: number): void {
    if (this.len === 0) return;
    const p = this.#pos();
    const e = Math.min(this.len, p + n);
    this.work.fill(value, p, e);
    this.#note(op, p, e - p, value);
  }

  setInteresting(): void {
    if (this.len === 0) return;
    const p = this.#pos();
    const v = this.#rng.chance(0.7) ? this.#rng.pick(INTERESTING) : this.#rng.below(256);
    this.work[p] = v;
    this.#note(Op.SetInteresting, p, v, 0);
  }

  truncate(n: number): void {
    if (n >= this.len) return;
    this.#note(Op.Truncate, n, this.len, 0);
    this.len = n;
  }

  /** Sets one of the seed's length fields to an extreme or off-by-one value. */
  lengthField(): void {
    const s = this.seed!;
    const r = this.#rng;
    const nf = s.fields.length >> 2;
    if (nf === 0) {
      this.setInteresting();
      return;
    }
    const i = r.below(nf) * 4;
    const off = s.fields[i];
    const kind = s.fields[i + 1] as FieldKind;
    const width = s.fields[i + 2];
    if (kind === FieldKind.Dec) {
      this.#decimal(off, width, s.fields[i + 3]);
      return;
    }
    if (off + (kind === FieldKind.NibHi || kind === FieldKind.NibLo ? 1 : width) > this.len) return;
    const w = this.work;
    let cur: number;
    let max: number;
    switch (kind) {
      case FieldKind.U8: cur = w[off]; max = 0xff; break;
      case FieldKind.U16: cur = w.readUInt16BE(off); max = 0xffff; break;
      case FieldKind.U24: cur = w.readUIntBE(off, 3); max = 0xffffff; break;
      case FieldKind.U32: cur = w.readUInt32BE(off); max = 0xffffffff; break;
      case FieldKind.NibHi: cur = w[off] >> 4; max = 15; break;
      default: cur = w[off] & 15; max = 15; break;
    }
    let v: number;
    const c = r.below(10);
    if (c < 2) v = 0;
    else if (c < 4) v = 1;
    else if (c < 6) v = Math.min(0xffff, max);
    else if (c < 7) v = max;
    else if (c < 8) v = (cur + 1) & max;
    else if (c < 9) v = (cur - 1) & max;
    else v = r.below(max + 1);
    switch (kind) {
      case FieldKind.U8: w[off] = v; break;
      case FieldKind.U16: w.writeUInt16BE(v, off); break;
      case FieldKind.U24: w.writeUIntBE(v, off, 3); break;
      case FieldKind.U32: w.writeUInt32BE(v >>> 0, off); break;
      case FieldKind.NibHi: w[off] = (w[off] & 0x0f) | (v << 4); break;
      default: w[off] = (w[off] & 0xf0) | v; break;
    }
    this.#note(Op.LengthField, i >> 2, cur, v);
  }

  decimalField(): void {
    const s = this.seed!;
    for (let i = 0; i < s.fields.length; i += 4) {
      if (s.fields[i + 1] === FieldKind.Dec) {
        this.#decimal(s.fields[i], s.fields[i + 2], s.fields[i + 3]);
        return;
      }
    }
    this.insertRandom();
  }

  #decimal(off: number, digits: number, _name: number): void {
    if (off + digits > this.len) return;
    const k = this.#rng.below(DECIMALS.length);
    const rep = DECIMALS[k];
    this.#replace(off, digits, Buffer.from(rep, 'latin1'));
    this.#note(Op.DecimalField, off, digits, k);
  }

  #replace(off: number, n: number, bytes: Uint8Array): void {
    const w = this.work;
    const tail = this.len - (off + n);
    const newLen = Math.min(MAX_PACKET, off + bytes.length + tail);
    w.copyWithin(off + bytes.length, off + n, off + n + Math.max(0, Math.min(tail, newLen - off - bytes.length)));
    w.set(bytes.subarray(0, Math.min(bytes.length, MAX_PACKET - off)), off);
    this.len = newLen;
  }

  /** This packet's prefix, another seed's suffix (same link type when possible). */
  splice(): void {
    const r = this.#rng;
    const s = this.seed!;
    const pool = this.#byLinktype.get(s.linktype) ?? this.#withFields;
    const other = r.pick(pool);
    const a = r.below(this.len + 1);
    const bo = r.below(other.data.length + 1);
    const n = Math.min(other.data.length - bo, MAX_PACKET - a);
    other.data.copy(this.work, a, bo, bo + n);
    this.len = a + n;
    this.#note(Op.Splice, a, other.id, bo);
  }

  /** Repeats a chunk 2..64 times in place (length fields now lie, parsers loop). */
  repeatChunk(): void {
    const r = this.#rng;
    if (this.len === 0) return;
    const a = this.#pos();
    const k = 1 + r.below(Math.min(64, this.len - a));
    const times = 2 + r.below(r.chance(0.8) ? 6 : 63);
    const w = this.work;
    const chunk = Buffer.from(w.subarray(a, a + k));
    const tail = Buffer.from(w.subarray(a + k, this.len));
    let p = a;
    for (let i = 0; i < times && p + k <= MAX_PACKET; i++) {
      chunk.copy(w, p);
      p += k;
    }
    const tn = Math.min(tail.length, MAX_PACKET - p);
    tail.copy(w, p, 0, tn);
    this.len = p + tn;
    this.#note(Op.RepeatChunk, a, k, times);
  }

  deleteChunk(): void {
    if (this.len === 0) return;
    const a = this.#pos();
    const k = 1 + this.#rng.below(Math.min(32, this.len - a));
    this.work.copyWithin(a, a + k, this.len);
    this.len -= k;
    this.#note(Op.DeleteChunk, a, k, 0);
  }

  insertRandom(): void {
    const r = this.#rng;
    const a = this.#pos();
    const k = 1 + r.below(16);
    if (this.len + k > MAX_PACKET) return;
    const w = this.work;
    w.copyWithin(a + k, a, this.len);
    for (let i = 0; i < k; i++) w[a + i] = r.chance(0.5) ? r.pick(INTERESTING) : r.below(256);
    this.len += k;
    this.#note(Op.InsertRandom, a, k, 0);
  }

  /**
   * Writes into `work` a copy of the seed's TCP segment carrying only payload bytes [a, b):
   * sequence number advanced by `a`, IP lengths fixed. Returns false when the seed is not TCP
   * with payload.
   */
  tcpPiece(seed: Seed, a: number, b: number): boolean {
    if (seed.proto !== 6 || seed.payload < 0 || seed.l4 < 0) return false;
    this.seed = seed;
    this.log.length = 0;
    const d = seed.data;
    const hdr = seed.payload;
    d.copy(this.work, 0, 0, hdr);
    d.copy(this.work, hdr, hdr + a, hdr + b);
    this.len = hdr + (b - a);
    const w = this.work;
    const seq = (d.readUInt32BE(seed.l4 + 4) + a) >>> 0;
    w.writeUInt32BE(seq, seed.l4 + 4);
    if (seed.ipVersion === 4) w.writeUInt16BE(Math.min(0xffff, hdr - seed.l3 + (b - a)), seed.l3 + 2);
    else if (seed.ipVersion === 6) w.writeUInt16BE(Math.min(0xffff, hdr - seed.l3 - 40 + (b - a)), seed.l3 + 4);
    // A piece that is not the last one must not close the stream.
    if (b < seed.payloadEnd - seed.payload) w[seed.l4 + 13] &= ~0x05;
    this.#note(Op.TcpSplit, a, b, 0);
    return true;
  }

  /** Human-readable list of what was done to the current packet. */
  describe(seeds?: readonly Seed[]): string {
    const s = this.seed;
    const parts: string[] = [];
    for (let i = 0; i < this.log.length; i += 4) {
      const op = this.log[i];
      const a = this.log[i + 1];
      const b = this.log[i + 2];
      const c = this.log[i + 3];
      switch (op) {
        case Op.BitFlip: parts.push(`bit_flip(byte ${a}, bit ${b})`); break;
        case Op.SetZero:
        case Op.SetFF: parts.push(`${OP_NAMES[op]}(bytes ${a}..${a + b - 1})`); break;
        case Op.SetInteresting: parts.push(`set(byte ${a} = 0x${b.toString(16)})`); break;
        case Op.Truncate: parts.push(`truncate(${b} -> ${a} bytes)`); break;
        case Op.LengthField: {
          const off = s ? s.fields[a * 4] : -1;
          const kind = s ? s.fields[a * 4 + 1] : 0;
          const nm = s ? FIELD_NAMES[s.fields[a * 4 + 3]] : '?';
          parts.push(`length_field(${nm} ${KIND_NAMES[kind]} at ${off}: ${b} -> ${c})`);
          break;
        }
        case Op.Splice: {
          const other = seeds ? seeds[b]?.name : `seed ${b}`;
          parts.push(`splice(prefix ${a} bytes + ${other} from byte ${c})`);
          break;
        }
        case Op.RepeatChunk: parts.push(`repeat_chunk(bytes ${a}..${a + b - 1} x${c})`); break;
        case Op.DeleteChunk: parts.push(`delete_chunk(bytes ${a}..${a + b - 1})`); break;
        case Op.InsertRandom: parts.push(`insert_random(${b} bytes at ${a})`); break;
        case Op.DecimalField: parts.push(`decimal_field(${b} digits at ${a} -> '${DECIMALS[c]}')`); break;
        case Op.TcpSplit: parts.push(`tcp_piece(payload ${a}..${b})`); break;
        default: parts.push(OP_NAMES[op] ?? `op${op}`);
      }
    }
    return parts.length ? parts.join(', ') : 'clean';
  }
}

/** Hex of a packet, 32 bytes per line, for failure reports and replay. */
export function hexOf(buf: Uint8Array, off: number, len: number): string {
  const lines: string[] = [];
  for (let i = 0; i < len; i += 32) lines.push(Buffer.from(buf.subarray(off + i, off + Math.min(len, i + 32))).toString('hex'));
  return lines.join('\n');
}
