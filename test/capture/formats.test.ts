/**
 * Capture readers on real data. Every variant is generated at test time in a temporary directory
 * from corpus captures (pcap micro/nano, big-endian pcap, pcapng in both byte orders with two
 * interfaces, SPB/PB/unknown blocks, gzip, standard input, Linux cooked v1/v2, raw IP, BSD NULL/LOOP,
 * an unsupported link type) and must give the same packets, flows and timestamps as the original:
 * conn.log records are compared field by field (uids included: same flows in the same order).
 * Bad input through the CLI: not a capture, empty, missing, cut off.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { analyzeFile, pcap, REPO, type AnalyzeResult } from '../helpers/analyze.js';
import type { LogFields } from '../../src/decode/app/analyzer.js';
import { readCaptureSeeds, type Seed } from '../fuzz/mutate.js';

const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

// ---- packets and writers ------------------------------------------------------------------------

interface Pkt {
  linktype: number;
  data: Buffer;
  wirelen: number;
  sec: number;
  usec: number;
  /** Offset of the IP/ARP header in `data` (-1 for other frames). */
  l3: number;
  ipVersion: number;
}

function packetsOf(rel: string): Pkt[] {
  return readCaptureSeeds(pcap(rel), rel, 0).map((s: Seed) => {
    const sec = Math.floor(s.ts);
    const usec = Math.round((s.ts - sec) * 1e6);
    return { linktype: s.linktype, data: s.data, wirelen: s.wirelen, sec, usec, l3: s.l3, ipVersion: s.ipVersion };
  });
}

interface PcapOpts {
  linktype: number;
  nanos?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

function writePcap(pkts: readonly Pkt[], o: PcapOpts): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, at: number) => (o.bigEndian ? b.writeUInt32BE(v >>> 0, at) : b.writeUInt32LE(v >>> 0, at));
  const w16 = (b: Buffer, v: number, at: number) => (o.bigEndian ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at));
  w32(h, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, 2, 4);
  w16(h, 4, 6);
  w32(h, o.snaplen ?? 262144, 16);
  w32(h, o.linktype, 20);
  parts.push(h);
  for (const p of pkts) {
    const r = Buffer.alloc(16);
    w32(r, p.sec, 0);
    w32(r, o.nanos ? p.usec * 1000 : p.usec, 4);
    w32(r, p.data.length, 8);
    w32(r, p.wirelen, 12);
    parts.push(r, p.data);
  }
  return Buffer.concat(parts);
}

/** A pcapng writer: blocks in one byte order, options padded to 32 bits. */
class Pcapng {
  readonly parts: Buffer[] = [];
  constructor(readonly bigEndian: boolean) {}
  #u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.bigEndian) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  }
  #u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.bigEndian) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  }
  #pad(b: Buffer): Buffer {
    const n = (4 - (b.length % 4)) % 4;
    return n ? Buffer.concat([b, Buffer.alloc(n)]) : b;
  }
  #option(code: number, value: Buffer): Buffer {
    return Buffer.concat([this.#u16(code), this.#u16(value.length), this.#pad(value)]);
  }
  block(type: number, body: Buffer): this {
    const b = this.#pad(body);
    const len = 12 + b.length;
    this.parts.push(this.#u32(type), this.#u32(len), b, this.#u32(len));
    return this;
  }
  shb(): this {
    const opts = Buffer.concat([this.#option(4, Buffer.from('vigil formats test')), this.#option(0, Buffer.alloc(0))]);
    // Byte-order magic 0x1A2B3C4D in the writer's order; section length -1 (unknown).
    return this.block(0x0a0d0d0a, Buffer.concat([this.#u32(0x1a2b3c4d), this.#u16(1), this.#u16(0), Buffer.alloc(8, 0xff), opts]));
  }
  idb(linktype: number, tsresol: number): this {
    const opts = Buffer.concat([this.#option(2, Buffer.from('if' + linktype)), this.#option(9, Buffer.from([tsresol])), this.#option(0, Buffer.alloc(0))]);
    return this.block(1, Buffer.concat([this.#u16(linktype), this.#u16(0), this.#u32(0), opts]));
  }
  #ts(p: Pkt, tsresol: number): [number, number] {
    const units = tsresol === 9 ? BigInt(p.sec) * 1_000_000_000n + BigInt(p.usec) * 1000n : BigInt(p.sec) * 1_000_000n + BigInt(p.usec);
    return [Number(units >> 32n), Number(units & 0xffffffffn)];
  }
  epb(iface: number, tsresol: number, p: Pkt, data: Buffer = p.data): this {
    const [hi, lo] = this.#ts(p, tsresol);
    const opts = Buffer.concat([this.#option(1, Buffer.from('epb comment')), this.#option(0, Buffer.alloc(0))]);
    return this.block(6, Buffer.concat([this.#u32(iface), this.#u32(hi), this.#u32(lo), this.#u32(data.length), this.#u32(p.wirelen - p.data.length + data.length), this.#pad(data), opts]));
  }
  /** Obsolete Packet Block: 16-bit interface id and drops count. */
  pb(iface: number, tsresol: number, p: Pkt, data: Buffer = p.data): this {
    const [hi, lo] = this.#ts(p, tsresol);
    return this.block(2, Buffer.concat([this.#u16(iface), this.#u16(0), this.#u32(hi), this.#u32(lo), this.#u32(data.length), this.#u32(p.wirelen - p.data.length + data.length), this.#pad(data)]));
  }
  /** Simple Packet Block: interface 0, no timestamp, captured length implied by the block. */
  spb(p: Pkt): this {
    return this.block(3, Buffer.concat([this.#u32(p.wirelen), this.#pad(p.data)]));
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// ---- link-layer rewrites ---------------------------------------------------------------------

function ethertype(p: Pkt): number {
  return p.data.readUInt16BE(12);
}

/** Ethernet → raw IP (IP packets only). */
function toRaw(pkts: readonly Pkt[], linktype: number): Pkt[] {
  return pkts
    .filter((p) => p.ipVersion === 4 || p.ipVersion === 6)
    .map((p) => ({ ...p, linktype, data: p.data.subarray(p.l3), wirelen: p.wirelen - p.l3 }));
}

/** Ethernet → BSD loopback: a 4-byte address family in the given byte order (LOOP: always BE). */
function toNull(pkts: readonly Pkt[], linktype: number, bigEndian: boolean, af6: number): Pkt[] {
  return toRaw(pkts, linktype).map((p) => {
    const h = Buffer.alloc(4);
    const af = p.data[0] >> 4 === 6 ? af6 : 2;
    if (bigEndian) h.writeUInt32BE(af);
    else h.writeUInt32LE(af);
    return { ...p, data: Buffer.concat([h, p.data]), wirelen: p.wirelen + 4 };
  });
}

/** Ethernet → Linux cooked v1 (16 bytes) or v2 (20 bytes), keeping the source MAC. */
function toSll(pkts: readonly Pkt[], v2: boolean): Pkt[] {
  return pkts.map((p, i) => {
    const et = ethertype(p);
    const proto = et <= 1500 ? 0x0004 : et; // 802.2 LLC frames
    const h = Buffer.alloc(v2 ? 20 : 16);
    const pkttype = i % 2 === 0 ? 0 : 4;
    if (v2) {
      h.writeUInt16BE(proto, 0);
      h.writeUInt32BE(2, 4);
      h.writeUInt16BE(1, 8);
      h[10] = pkttype;
      h[11] = 6;
      p.data.copy(h, 12, 6, 12);
    } else {
      h.writeUInt16BE(pkttype, 0);
      h.writeUInt16BE(1, 2);
      h.writeUInt16BE(6, 4);
      p.data.copy(h, 6, 6, 12);
      h.writeUInt16BE(proto, 14);
    }
    return { ...p, linktype: v2 ? 276 : 113, data: Buffer.concat([h, p.data.subarray(14)]), wirelen: p.wirelen - 14 + h.length };
  });
}

/** Linux cooked v1/v2 → Ethernet (source MAC from the cooked header, broadcast destination). */
function sllToEthernet(pkts: readonly Pkt[]): Pkt[] {
  return pkts.map((p) => {
    const v2 = p.linktype === 276;
    const hl = v2 ? 20 : 16;
    const proto = v2 ? p.data.readUInt16BE(0) : p.data.readUInt16BE(14);
    const src = v2 ? p.data.subarray(12, 18) : p.data.subarray(6, 12);
    const eth = Buffer.alloc(14, 0xff);
    src.copy(eth, 6);
    eth.writeUInt16BE(proto, 12);
    return { ...p, linktype: 1, data: Buffer.concat([eth, p.data.subarray(hl)]), wirelen: p.wirelen - hl + 14 };
  });
}

// ---- comparing results -------------------------------------------------------------------------

const L2_FIELDS = ['orig_l2_addr', 'resp_l2_addr', 'vlan', 'inner_vlan'];

function without(recs: readonly LogFields[], fields: readonly string[]): LogFields[] {
  return recs.map((r) => {
    const c = { ...r };
    for (const f of fields) delete c[f];
    return c;
  });
}

function sameConn(actual: AnalyzeResult | LogFields[], expected: AnalyzeResult, what: string, drop: readonly string[] = []): void {
  const a = Array.isArray(actual) ? actual : actual.of('conn');
  const e = expected.of('conn');
  assert.ok(e.length > 0, 'the baseline has conn records');
  assert.equal(a.length, e.length, `${what}: ${a.length} conn records, expected ${e.length}`);
  assert.deepEqual(without(a, drop), without(e, drop), `${what}: conn records differ`);
}

/**
 * dns.log with rtt at microsecond precision: rtt is a difference of packet times, and a time read
 * as sec + usec * 1e-6 (pcap) and as units / 1e6 (pcapng) may differ in the last bit of a double.
 */
function dnsOf(r: AnalyzeResult | LogFields[]): LogFields[] {
  const recs = Array.isArray(r) ? r : r.of('dns');
  return recs.map((x) => (typeof x.rtt === 'number' ? { ...x, rtt: Math.round(x.rtt * 1e6) / 1e6 } : x));
}

function readLog(dir: string, name: string): LogFields[] {
  const f = join(dir, `${name}.log`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogFields);
}

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: Buffer): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

function stderrLines(r: CliRun): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

// ---- the tests -----------------------------------------------------------------------------------

/** IPv4 (TCP, UDP/DNS, NBNS, ARP, STP) then IPv6 (TCP/HTTP, ICMPv6, mDNS, hop-by-hop). */
const BASE_FILES = ['zeek/wikipedia.pcap', 'arkime/v6-http.pcap'];

let dir = '';
let v4: Pkt[] = [];
let v6: Pkt[] = [];
let all: Pkt[] = [];
let base: AnalyzeResult;

function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-formats-'));
  v4 = packetsOf(BASE_FILES[0]);
  v6 = packetsOf(BASE_FILES[1]);
  all = [...v4, ...v6];
  base = await analyzeFile(BASE_FILES.map(pcap));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pcap and pcapng variants give the same packets, flows and timestamps', () => {
  test('the baseline: both corpus captures through one engine', () => {
    assert.equal(base.summary.packets, v4.length + v6.length);
    assert.ok(v4.length > 100 && v6.length > 50);
    assert.ok(base.of('conn').length >= 20);
    assert.ok(base.of('conn').some((r) => r['id.orig_h'] === 'fe80::2d0:9ff:fee3:e8de' || String(r['id.orig_h']).includes(':')), 'IPv6 flows present');
  });

  test('pcap, microseconds, little-endian (rewritten in JS)', async () => {
    const r = await analyzeFile(file('micro-le.pcap', writePcap(all, { linktype: 1 })));
    assert.equal(r.summary.packets, all.length);
    assert.equal(r.summary.files[0].format, 'pcap');
    sameConn(r, base, 'micro LE');
    assert.deepEqual(r.of('arp'), base.of('arp'));
    assert.deepEqual(dnsOf(r), dnsOf(base));
  });

  test('pcap, nanoseconds, little- and big-endian', async () => {
    for (const bigEndian of [false, true]) {
      const r = await analyzeFile(file(`nano-${bigEndian ? 'be' : 'le'}.pcap`, writePcap(all, { linktype: 1, nanos: true, bigEndian })));
      assert.equal(r.summary.packets, all.length);
      sameConn(r, base, `nano ${bigEndian ? 'BE' : 'LE'}`);
      assert.deepEqual(dnsOf(r), dnsOf(base));
    }
  });

  test('pcap, microseconds, big-endian (headers byte-swapped)', async () => {
    const r = await analyzeFile(file('micro-be.pcap', writePcap(all, { linktype: 1, bigEndian: true })));
    assert.equal(r.summary.packets, all.length);
    sameConn(r, base, 'micro BE');
    assert.deepEqual(r.of('arp'), base.of('arp'));
  });

  test('editcap-written nsecpcap and pcapng (an independent writer) match', { skip: !existsSync('/usr/bin/editcap') && 'editcap not installed' }, async () => {
    const src = file('for-editcap.pcap', writePcap(all, { linktype: 1 }));
    for (const fmt of ['nsecpcap', 'pcapng']) {
      const out = join(dir, `editcap.${fmt}`);
      const e = spawnSync('editcap', ['-F', fmt, src, out], { encoding: 'utf8' });
      assert.equal(e.status, 0, e.stderr);
      const r = await analyzeFile(out);
      assert.equal(r.summary.packets, all.length);
      sameConn(r, base, `editcap -F ${fmt}`);
    }
  });

  for (const bigEndian of [false, true]) {
    test(`pcapng ${bigEndian ? 'big' : 'little'}-endian: two interfaces (Ethernet µs, Linux cooked ns), EPB, PB, SPB, unknown blocks`, async () => {
      const ng = new Pcapng(bigEndian).shb().idb(1, 6).idb(113, 9);
      ng.block(0x00000bad, Buffer.from('an unknown block type: skipped')); // unknown
      ng.block(0x40000bad, Buffer.from('a custom block: skipped too'));
      const sll = toSll(all, false);
      let spbs = 0;
      let pbs = 0;
      all.forEach((p, i) => {
        const isIp = p.ipVersion === 4 || p.ipVersion === 6;
        if (!isIp) {
          // ARP and STP go in Simple Packet Blocks (interface 0, no timestamp: they make no flows).
          ng.spb(p);
          spbs++;
        } else if (p.ipVersion === 6) {
          ng.epb(1, 9, p, sll[i].data);
        } else if (i % 5 === 0) {
          ng.pb(0, 6, p);
          pbs++;
        } else {
          ng.epb(0, 6, p);
        }
        if (i === 40) ng.block(5, Buffer.alloc(16)); // an Interface Statistics Block mid-stream
      });
      const r = await analyzeFile(file(`two-ifaces-${bigEndian ? 'be' : 'le'}.pcapng`, ng.bytes()));
      assert.ok(spbs > 0 && pbs > 0);
      assert.equal(r.summary.files[0].format, 'pcapng');
      assert.equal(r.summary.files[0].problem, null);
      assert.deepEqual([...r.summary.files[0].linktypes].sort((a, b) => a - b), [1, 113]);
      assert.equal(r.summary.packets, all.length);
      assert.deepEqual(r.summary.unsupportedLinktypes, {});
      // The cooked header keeps the source MAC, so even the l2 addresses match.
      sameConn(r, base, `pcapng ${bigEndian ? 'BE' : 'LE'}`);
      assert.deepEqual(dnsOf(r), dnsOf(base));
    });
  }

  test('gzip-compressed pcap and pcapng are detected from their bytes', async () => {
    const r = await analyzeFile(file('micro.pcap.gz', gzipSync(writePcap(all, { linktype: 1 }))));
    assert.equal(r.summary.files[0].compressed, true);
    sameConn(r, base, 'gzip pcap');
    const ng = new Pcapng(false).shb().idb(1, 6);
    for (const p of all) ng.epb(0, 6, p);
    const r2 = await analyzeFile(file('plain-name.pcapng', gzipSync(ng.bytes())));
    assert.equal(r2.summary.files[0].compressed, true);
    sameConn(r2, base, 'gzip pcapng');
  });

  test('standard input through the CLI (plain and gzip): the same conn.log', () => {
    const bytes = writePcap(all, { linktype: 1, nanos: true });
    for (const [name, input] of [['stdin', bytes], ['stdin-gz', gzipSync(bytes)]] as const) {
      const out = join(dir, name);
      const r = cli(['analyze', '-', '-o', out, '--quiet'], input);
      assert.equal(r.status, 0, r.stderr);
      sameConn(readLog(out, 'conn'), base, name);
      assert.deepEqual(dnsOf(readLog(out, 'dns')), dnsOf(base));
    }
  });
});

describe('link types: the same IP packets make the same flows', () => {
  test('Linux cooked v1 and v2 written from the Ethernet original', async () => {
    for (const v2 of [false, true]) {
      const r = await analyzeFile(file(`sll${v2 ? 2 : 1}.pcap`, writePcap(toSll(all, v2), { linktype: v2 ? 276 : 113 })));
      assert.equal(r.summary.packets, all.length);
      sameConn(r, base, `SLL v${v2 ? 2 : 1}`);
      assert.equal(r.of('arp').length, base.of('arp').length);
    }
  });

  test('corpus Linux cooked captures (zeek/linuxsll-arp.pcap v1, zeek/linux_dlt_sll2.pcap v2) match their Ethernet rewrites', async () => {
    for (const rel of ['zeek/linuxsll-arp.pcap', 'zeek/linux_dlt_sll2.pcap']) {
      const orig = await analyzeFile(pcap(rel));
      const eth = await analyzeFile(file(rel.replace(/\W/g, '_') + '-eth.pcap', writePcap(sllToEthernet(packetsOf(rel)), { linktype: 1 })));
      assert.equal(orig.summary.unsupportedLinktypes && Object.keys(orig.summary.unsupportedLinktypes).length, 0);
      assert.deepEqual(orig.summary.weirds, {}, `${rel}: no weirds`);
      // Loopback packets (ARPHRD 772) carry no MAC in the cooked header; the rewrite invents one.
      assert.deepEqual(without(orig.of('conn'), L2_FIELDS), without(eth.of('conn'), L2_FIELDS), `${rel}: conn records`);
      // ARP: everything but the frame's destination MAC, which a cooked header does not carry.
      const arp = orig.of('arp');
      assert.ok(arp.length > 0, `${rel}: ARP decoded`);
      assert.deepEqual(without(arp, ['dst_mac']), without(eth.of('arp'), ['dst_mac']), `${rel}: arp records`);
    }
    const sll2 = await analyzeFile(pcap('zeek/linux_dlt_sll2.pcap'));
    const protos = sll2.of('conn').map((r) => `${r.proto}/${String(r['id.orig_h']).includes(':') ? 6 : 4}`).sort();
    assert.deepEqual(protos, ['icmp/4', 'icmp/6'], 'SLL2: one ICMP and one ICMPv6 flow');
    assert.equal(sll2.of('arp').length, 1, 'SLL2: one ARP request');
    assert.deepEqual(sll2.summary.nonIpEthertypes, { '0x8035': 1 }, 'SLL2: the RARP request is counted as non-IP');
  });

  test('raw IP, DLT 101 and DLT 12, and LINKTYPE_IPV4/IPV6 (228/229) in pcapng', async () => {
    for (const lt of [101, 12]) {
      const pk = toRaw(all, lt);
      const r = await analyzeFile(file(`raw-${lt}.pcap`, writePcap(pk, { linktype: lt })));
      assert.equal(r.summary.packets, pk.length);
      assert.deepEqual(r.summary.unsupportedLinktypes, {});
      sameConn(r, base, `raw IP DLT ${lt}`, L2_FIELDS);
      assert.ok(r.of('conn').every((c) => c.orig_l2_addr === undefined), 'raw IP has no MAC addresses');
    }
    const ng = new Pcapng(false).shb().idb(228, 6).idb(229, 9);
    for (const p of toRaw(all, 0)) {
      if (p.data[0] >> 4 === 4) ng.epb(0, 6, p);
      else ng.epb(1, 9, p);
    }
    const r = await analyzeFile(file('raw-228-229.pcapng', ng.bytes()));
    sameConn(r, base, 'LINKTYPE_IPV4/IPV6', L2_FIELDS);
  });

  test('BSD NULL (DLT 0) with the address family in either byte order, and DLT_LOOP (108)', async () => {
    for (const [lt, be, af6] of [[0, false, 30], [0, true, 24], [0, false, 28], [0, true, 10], [108, true, 30]] as const) {
      const pk = toNull(all, lt, be, af6);
      const r = await analyzeFile(file(`null-${lt}-${be ? 'be' : 'le'}-${af6}.pcap`, writePcap(pk, { linktype: lt, bigEndian: be })));
      assert.equal(r.summary.packets, pk.length);
      assert.deepEqual(r.summary.nonIpEthertypes, {}, `DLT ${lt} ${be ? 'BE' : 'LE'} AF_INET6=${af6}: every packet is IP`);
      sameConn(r, base, `DLT ${lt} ${be ? 'BE' : 'LE'} AF_INET6=${af6}`, L2_FIELDS);
    }
  });

  test('an unsupported link type (105, 802.11) is counted and named in the summary, alone or beside Ethernet', async () => {
    const only = await analyzeFile(file('dlt105.pcap', writePcap(v4.map((p) => ({ ...p, linktype: 105 })), { linktype: 105 })));
    assert.deepEqual(only.summary.unsupportedLinktypes, { '105': v4.length });
    assert.equal(only.summary.packets, v4.length);
    assert.equal(only.summary.flows, 0);
    assert.equal(only.of('conn').length, 0);

    const ng = new Pcapng(false).shb().idb(1, 6).idb(105, 6);
    for (const p of v4) ng.epb(0, 6, p);
    for (const p of v6) ng.epb(1, 6, p);
    const mixed = join(dir, 'eth-and-105.pcapng');
    writeFileSync(mixed, ng.bytes());
    const r = await analyzeFile(mixed);
    assert.deepEqual(r.summary.unsupportedLinktypes, { '105': v6.length });
    const ipv4Only = await analyzeFile(pcap(BASE_FILES[0]));
    sameConn(r, ipv4Only, 'Ethernet interface beside an 802.11 one');

    const json = cli(['analyze', mixed, '--no-logs', '--json']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout) as { unsupportedLinktypes: Record<string, number> }).unsupportedLinktypes, { '105': v6.length });
    const text = cli(['analyze', mixed, '--no-logs']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /unsupported link types?.*\b105\b/);
  });
});

describe('bad input through the CLI', () => {
  function oneError(r: CliRun, name: string): void {
    assert.equal(r.status, 1, `exit status (stderr: ${r.stderr})`);
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, `exactly one error line, got:\n${r.stderr}`);
    assert.ok(lines[0].includes(name), `the error names ${name}: ${lines[0]}`);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace');
  }

  test('a file that is not a capture (the README): exit 1, one error line naming it', () => {
    const readme = join(REPO, 'README.md');
    oneError(cli(['analyze', readme, '-o', join(dir, 'out-readme')]), readme);
  });

  test('an empty file: exit 1', () => {
    const empty = file('empty.pcap', Buffer.alloc(0));
    oneError(cli(['analyze', empty, '-o', join(dir, 'out-empty')]), empty);
  });

  test('a missing file: exit 1', () => {
    const missing = join(dir, 'no-such-file.pcap');
    oneError(cli(['analyze', missing, '-o', join(dir, 'out-missing')]), missing);
  });

  test('a capture cut off mid-record (melsoft_129_clean.pcap): exit 0, a warning, all 2041 records before the cut', () => {
    const f = pcap('ics-security-tools/melsoft_129_clean.pcap');
    const r = cli(['analyze', f, '--no-logs', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { packets: number; files: { records: number; problem: string | null }[] };
    assert.equal(s.packets, 2041);
    assert.equal(s.files[0].records, 2041);
    assert.ok(s.files[0].problem);
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /warning/);
    assert.ok(lines[0].includes(f));
  });

  test('a capture with a garbage record header after 6 packets (tls_DER-incomplete-header.pcap): exit 0, a warning, 6 packets', () => {
    const f = pcap('suricata-verify/tls_DER-incomplete-header.pcap');
    const r = cli(['analyze', f, '--no-logs', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { packets: number; files: { problem: string | null }[] };
    assert.equal(s.packets, 6);
    assert.ok(s.files[0].problem);
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /warning/);
  });

  test('a gzip stream cut short: exit 0, a warning, the packets before the cut', () => {
    const gz = gzipSync(writePcap(all, { linktype: 1 }));
    const f = file('cut.pcap.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const r = cli(['analyze', f, '--no-logs', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { packets: number; files: { problem: string | null; compressed: boolean }[] };
    assert.ok(s.packets > 0 && s.packets < all.length, `${s.packets} packets`);
    assert.ok(s.files[0].problem && s.files[0].compressed);
    assert.equal(stderrLines(r).length, 1, r.stderr);
    assert.match(r.stderr, /warning/);
  });

  test('a cut-off capture on standard input behaves the same', () => {
    const bytes = readFileSync(pcap('ics-security-tools/melsoft_129_clean.pcap'));
    const r = cli(['analyze', '-', '--no-logs', '--json'], bytes);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { packets: number }).packets, 2041);
    assert.match(r.stderr, /warning/);
  });
});
