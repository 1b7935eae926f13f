import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDnsFactory, MAX_PENDING, PENDING_TTL } from '../../src/decode/app/dns/index.js';
import { DnsParser, DnsStatus, MAX_NAME_BYTES, type DnsReport } from '../../src/decode/app/dns/parser.js';
import { MAX_TCP_BUFFER } from '../../src/decode/app/dns/tcp.js';
import { ipv6String } from '../../src/decode/app/dns/addr.js';
import type { AppAnalyzer, ConnInfo } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

// ---- wire-format builders (RFC 1035 §4.1) ----

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Uncompressed name: length-prefixed labels and a zero byte. */
function name(dotted: string): number[] {
  const out: number[] = [];
  if (dotted !== '') {
    for (const label of dotted.split('.')) {
      const b = Buffer.from(label, 'utf8');
      out.push(b.length, ...b);
    }
  }
  out.push(0);
  return out;
}

function ptr(offset: number): number[] {
  return [0xc0 | (offset >> 8), offset & 0xff];
}

interface Hdr {
  id?: number; qr?: boolean; opcode?: number; aa?: boolean; tc?: boolean; rd?: boolean; ra?: boolean;
  z?: number; rcode?: number; qd?: number; an?: number; ns?: number; ar?: number;
}

function header(h: Hdr): number[] {
  const flags = (h.qr ? 0x8000 : 0) | ((h.opcode ?? 0) << 11) | (h.aa ? 0x400 : 0) | (h.tc ? 0x200 : 0)
    | (h.rd ? 0x100 : 0) | (h.ra ? 0x80 : 0) | ((h.z ?? 0) << 4) | (h.rcode ?? 0);
  return [...u16(h.id ?? 0x1234), ...u16(flags), ...u16(h.qd ?? 0), ...u16(h.an ?? 0), ...u16(h.ns ?? 0), ...u16(h.ar ?? 0)];
}

function question(n: number[], qtype: number, qclass = 1): number[] {
  return [...n, ...u16(qtype), ...u16(qclass)];
}

function rr(owner: number[], type: number, ttl: number, rdata: number[], cls = 1): number[] {
  return [...owner, ...u16(type), ...u16(cls), ...u32(ttl), ...u16(rdata.length), ...rdata];
}

function txt(...strs: string[]): number[] {
  const out: number[] = [];
  for (const s of strs) {
    const b = Buffer.from(s, 'latin1');
    out.push(b.length, ...b);
  }
  return out;
}

function buf(bytes: number[]): Buffer {
  return Buffer.from(bytes);
}

/** Query for `www.Example.com A` with id 0x1234; the name starts at offset 12. */
function simpleQuery(id = 0x1234, qname = 'www.Example.com', qtype = 1): Buffer {
  return buf([...header({ id, rd: true, qd: 1 }), ...question(name(qname), qtype)]);
}

function run(conn: ConnInfo = testConn()): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  const a = createDnsFactory().create(conn, sink);
  return { a, sink };
}

function send(a: AppAnalyzer, isOrig: boolean, b: Buffer, ts: number): void {
  a.deliver(isOrig, b, 0, b.length, ts);
}

const noReport: DnsReport = { weird() {}, count() {} };

class CollectReport implements DnsReport {
  readonly weirds: string[] = [];
  readonly counts: string[] = [];
  weird(n: string): void { this.weirds.push(n); }
  count(n: string): void { this.counts.push(n); }
}

// ---- transactions ----

test('query and response pair into one Zeek-style record', () => {
  const { a, sink } = run();
  send(a, true, simpleQuery(), 100);
  assert.equal(sink.of('dns').length, 0, 'nothing logged until the response');
  const resp = buf([
    ...header({ id: 0x1234, qr: true, rd: true, ra: true, aa: true, qd: 1, an: 2 }),
    ...question(name('www.Example.com'), 1),
    ...rr(ptr(12), 5, 300, name('Edge.example.net')),
    ...rr(name('edge.example.net'), 1, 60, [93, 184, 216, 34]),
  ]);
  send(a, false, resp, 100.25);
  const logs = sink.logs.filter((l) => l.path === 'dns');
  assert.equal(logs.length, 1);
  assert.equal(logs[0].ts, 100, 'record time is the query time');
  assert.equal(logs[0].conn?.uid, testConn().uid);
  assert.deepEqual(logs[0].fields, {
    proto: 'udp', trans_id: 0x1234, rtt: 0.25, query: 'www.example.com', qclass: 1, qclass_name: 'C_INTERNET',
    qtype: 1, qtype_name: 'A', rcode: 0, rcode_name: 'NOERROR', AA: true, TC: false, RD: true, RA: true, Z: 0,
    answers: ['edge.example.net', '93.184.216.34'], TTLs: [300, 60], rejected: false, opcode: 0, opcode_name: 'query',
  });
  assert.equal(a.confirmed, true);
  a.finish(200);
  assert.equal(sink.of('dns').length, 1, 'a paired record is not written twice');
  assert.deepEqual(sink.weirds, []);
});

test('rdata is rendered as Zeek renders it', () => {
  const q = name('x.test');
  const msg = buf([
    ...header({ id: 7, qr: true, qd: 1, an: 12 }),
    ...question(q, 255),
    ...rr(ptr(12), 15, 1, [...u16(10), ...name('Mail.x.test')]),
    ...rr(ptr(12), 16, 2, txt('hello', 'abc')),
    ...rr(ptr(12), 33, 3, [...u16(0), ...u16(5), ...u16(5060), ...name('sip.x.test')]),
    ...rr(ptr(12), 28, 4, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ...rr(ptr(12), 12, 5, ptr(12)),
    ...rr(ptr(12), 2, 6, name('ns1.x.test')),
    ...rr(ptr(12), 65, 7, [0, 1, 0]),
    ...rr(ptr(12), 43, 8, [...u16(1), 8, 2, 0xaa]),
    ...rr(ptr(12), 48, 9, [...u16(257), 3, 13, 0xbb]),
    ...rr(ptr(12), 46, 10, [...u16(1), 13, 2, ...u32(0), ...u32(0), ...u32(0), ...u16(0), ...name(''), 0xcc]),
    ...rr(ptr(12), 35, 11, [...u16(100), ...u16(10), ...txt('S'), ...txt('SIP+D2U'), ...txt(''), ...name('_sip._udp.x.test')]),
    ...rr(ptr(12), 6, 12, [...name('ns1.x.test'), ...name('admin.x.test'), ...new Array(20).fill(0)]),
  ]);
  const { a, sink } = run();
  send(a, false, msg, 5);
  a.finish(6);
  const [f] = sink.of('dns');
  assert.deepEqual(f.answers, [
    'mail.x.test',
    'TXT 5 hello TXT 3 abc',
    'sip.x.test',
    '2001:db8::1',
    'x.test',
    'ns1.x.test',
    '<unknown type=65>',
    'DS 8 2',
    'DNSKEY 13',
    'RRSIG 1 <Root>',
    'NAPTR 100 10 S SIP+D2U _sip._udp.x.test',
    'ns1.x.test',
  ]);
  assert.deepEqual(f.TTLs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(sink.counters.get('decoder.dns.rr_unknown_type'), 1);
});

test('IPv6 text follows inet_ntop', () => {
  const v6 = (hex: string): string => ipv6String(Buffer.from(hex, 'hex'), 0);
  assert.equal(v6('00000000000000000000000000000001'), '::1');
  assert.equal(v6('00000000000000000000000000000000'), '::');
  assert.equal(v6('20010db8000000010000000000000001'), '2001:db8:0:1::1');
  assert.equal(v6('20010db8000000000001000000000001'), '2001:db8::1:0:0:1', 'first of equal runs');
  assert.equal(v6('20010db8000100010001000100010001'), '2001:db8:1:1:1:1:1:1');
  assert.equal(v6('2001000d0000000d000d000d000d000d'), '2001:d:0:d:d:d:d:d', 'a single zero group stays');
  assert.equal(v6('00000000000000000000ffffc0a80001'), '::ffff:192.168.0.1');
  assert.equal(v6('fe800000000000000217f2fffed7cf65'), 'fe80::217:f2ff:fed7:cf65');
});

test('unanswered query is logged at finish without response fields', () => {
  const { a, sink } = run();
  send(a, true, simpleQuery(0x4620, 'BRWC0CB383D1F42'), 4.5);
  send(a, true, simpleQuery(0x4620, 'BRWC0CB383D1F42'), 4.6);
  assert.equal(sink.of('dns').length, 0);
  a.finish(70);
  const recs = sink.of('dns');
  assert.equal(recs.length, 2, 'each retransmitted query is its own record, as in Zeek');
  assert.equal(recs[0].query, 'brwc0cb383d1f42');
  assert.equal(recs[0].rcode, undefined);
  assert.equal(recs[0].rtt, undefined);
  assert.equal(recs[0].answers, undefined);
  assert.equal(recs[0].RD, true);
});

test('mDNS response without a query still makes a record, named after its first answer', () => {
  const conn = testConn({ origH: 'fe80::217:f2ff:fed7:cf65', origP: 5353, respH: 'ff02::fb', respP: 5353 });
  const { a, sink } = run(conn);
  const owner = name('Gemini._sftp-ssh._tcp.local');
  const msg = buf([
    ...header({ id: 0, qr: true, aa: true, an: 1, ar: 2 }),
    ...rr(owner, 33, 120, [...u16(0), ...u16(0), ...u16(22), ...name('Gemini.local')], 0x8001),
    ...rr(ptr(12 + owner.length + 10 + 6), 1, 120, [141, 142, 220, 50], 0x8001),
    ...rr(name('_services._dns-sd._udp.local'), 12, 4500, name('_sftp-ssh._tcp.local')),
  ]);
  send(a, true, msg, 1);
  assert.equal(sink.of('dns').length, 0, 'waits for a late query, like Zeek');
  a.finish(2);
  const [f] = sink.of('dns');
  assert.equal(f.query, 'gemini._sftp-ssh._tcp.local');
  assert.equal(f.qtype, undefined);
  assert.equal(f.rcode_name, 'NOERROR');
  assert.equal(f.AA, true);
  assert.deepEqual(f.answers, ['gemini.local']);
  assert.deepEqual(f.TTLs, [120]);
  assert.deepEqual(f.mdns_names, ['Gemini._sftp-ssh._tcp.local', 'Gemini.local'],
    'instance and host names in original case; service types left out');
});

test('mDNS names come from PTR, SRV, TXT and A/AAAA in every section, de-duplicated', () => {
  const conn = testConn({ origP: 5353, respH: '224.0.0.251', respP: 5353 });
  const { a, sink } = run(conn);
  const inst = 'John’s iMac._companion-link._tcp.local';
  const msg = buf([
    ...header({ id: 0, qr: true, aa: true, an: 2, ns: 1, ar: 3 }),
    ...rr(name('_companion-link._tcp.local'), 12, 4500, name(inst)),
    ...rr(name('John’s iMac._device-info._tcp.local'), 16, 4500, txt('model=iMac17,1', 'osxvers=17')),
    ...rr(name('7.2.0.10.in-addr.arpa'), 12, 120, name('Johns-iMac.local')),
    ...rr(name(inst), 33, 120, [...u16(0), ...u16(0), ...u16(49152), ...name('Johns-iMac.local')]),
    ...rr(name('Johns-iMac.local'), 28, 120, new Array(16).fill(1)),
    ...rr(name(inst), 16, 120, txt('rpBA=1')),
  ]);
  send(a, true, msg, 1);
  a.finish(2);
  const [f] = sink.of('dns');
  assert.deepEqual(f.mdns_names, [inst, 'John’s iMac._device-info._tcp.local', 'Johns-iMac.local']);
  assert.equal(f.query, '_companion-link._tcp.local');
});

test('non-mDNS flows do not carry mdns_names, even from source port 5353', () => {
  const msg = buf([
    ...header({ id: 1, qr: true, an: 1 }),
    ...rr(name('host.local'), 1, 1, [1, 2, 3, 4]),
  ]);
  for (const conn of [testConn(), testConn({ origP: 5353, respP: 53 })]) {
    const { a, sink } = run(conn);
    send(a, false, msg, 1);
    a.finish(2);
    assert.equal(sink.of('dns')[0].mdns_names, undefined);
  }
  const m = run(testConn({ origP: 5353, respH: '10.0.0.9', respP: 40000 }));
  send(m.a, true, msg, 1);
  m.a.finish(2);
  assert.deepEqual(m.sink.of('dns')[0].mdns_names, ['host.local'], 'a unicast mDNS reply from 5353 is mDNS');
});

test('a response that arrives before its query is paired with it', () => {
  const { a, sink } = run();
  const resp = buf([...header({ id: 9, qr: true, ra: true, qd: 1, an: 1 }), ...question(name('a.test'), 1), ...rr(ptr(12), 1, 5, [10, 0, 0, 1])]);
  send(a, false, resp, 10);
  send(a, true, simpleQuery(9, 'a.test'), 10.5);
  const recs = sink.of('dns');
  assert.equal(recs.length, 1);
  assert.equal(recs[0].qtype_name, 'A');
  assert.deepEqual(recs[0].answers, ['10.0.0.1']);
  assert.equal(recs[0].rtt, undefined, 'Zeek measures rtt from the first message only');
});

test('rejected follows Zeek: error rcode with no question, or a question with no records', () => {
  const one = (bytes: number[]): Record<string, unknown> => {
    const { a, sink } = run();
    send(a, false, buf(bytes), 1);
    a.finish(2);
    return sink.of('dns')[0];
  };
  assert.equal(one([...header({ id: 1, qr: true, rcode: 5 })]).rejected, true);
  const r2 = one([...header({ id: 2, qr: true, rcode: 5, qd: 1 }), ...question(name('a.test'), 1)]);
  assert.equal(r2.rejected, true);
  assert.equal(r2.rcode_name, 'REFUSED');
  const r3 = one([...header({ id: 3, qr: true, rcode: 3, qd: 1, ns: 1 }), ...question(name('a.test'), 1),
    ...rr(name('test'), 6, 1, [...name('ns.test'), ...name('h.test'), ...new Array(20).fill(0)])]);
  assert.equal(r3.rejected, false, 'NXDOMAIN with an SOA is an answer, not a rejection');
  assert.equal(r3.rcode_name, 'NXDOMAIN');
  assert.equal(r3.answers, undefined, 'authority records are not answers');
});

test('the last question names the query, as in Zeek', () => {
  const { a, sink } = run();
  send(a, true, buf([...header({ id: 5, qd: 2 }), ...question(name('_ipp._tcp.local'), 12), ...question(name('_IPPS._tcp.local'), 12)]), 1);
  a.finish(2);
  assert.equal(sink.of('dns')[0].query, '_ipps._tcp.local');
});

test('opcodes other than query, notify and update are recognised but not logged', () => {
  const { a, sink } = run();
  send(a, true, buf([...header({ id: 5, opcode: 2 })]), 1);
  a.finish(2);
  assert.equal(a.confirmed, true);
  assert.equal(sink.of('dns').length, 0);
  const r = run();
  send(r.a, true, buf([...header({ id: 6, opcode: 4, qd: 1 }), ...question(name('zone.test'), 6)]), 1);
  r.a.finish(2);
  assert.equal(r.sink.of('dns')[0].opcode_name, 'notify');
});

test('pending table is capped per flow and the oldest entry is written', () => {
  const { a, sink } = run();
  for (let i = 0; i < MAX_PENDING + 6; i++) send(a, true, simpleQuery(i), 1 + i * 0.001);
  const early = sink.of('dns');
  assert.equal(early.length, 6);
  assert.deepEqual(early.map((f) => f.trans_id), [0, 1, 2, 3, 4, 5]);
  assert.equal(sink.counters.get('decoder.dns.pending_capped'), 6);
  a.finish(10);
  assert.equal(sink.of('dns').length, MAX_PENDING + 6);
});

test('unmatched entries expire after PENDING_TTL of packet time', () => {
  const { a, sink } = run();
  send(a, true, simpleQuery(1), 0);
  send(a, true, simpleQuery(2), PENDING_TTL);
  assert.equal(sink.of('dns').length, 0, 'not yet older than the TTL');
  send(a, true, simpleQuery(3), PENDING_TTL + 0.5);
  assert.deepEqual(sink.of('dns').map((f) => f.trans_id), [1]);
});

// ---- TCP ----

function tcpConn(): ConnInfo {
  return testConn({ proto: 'tcp' });
}

function framed(m: Buffer): Buffer {
  return Buffer.concat([Buffer.from(u16(m.length)), m]);
}

function tcpResponse(id: number, extraAnswers = 0): Buffer {
  const ans: number[] = [];
  for (let i = 0; i < extraAnswers; i++) ans.push(...rr(ptr(12), 1, i, [10, 0, (i >> 8) & 0xff, i & 0xff]));
  return buf([...header({ id, qr: true, qd: 1, an: 1 + extraAnswers }), ...question(name('www.example.com'), 1),
    ...rr(ptr(12), 1, 77, [192, 0, 2, 1]), ...ans]);
}

test('TCP: messages split byte by byte and joined in one segment are framed', () => {
  const { a, sink } = run(tcpConn());
  const q = framed(simpleQuery(1));
  for (let i = 0; i < q.length; i++) a.deliver(true, q, i, 1, 1);
  send(a, false, framed(tcpResponse(1)), 2);
  send(a, true, framed(simpleQuery(2)).subarray(0, 5), 2);
  const recs = sink.of('dns');
  assert.equal(recs.length, 1);
  assert.equal(recs[0].proto, 'tcp');
  assert.deepEqual(recs[0].answers, ['192.0.2.1']);
  // The rest of query 2, then two responses in one segment (a duplicate for 2 stays pending).
  const rest = framed(simpleQuery(2)).subarray(5);
  send(a, true, rest, 3);
  send(a, false, Buffer.concat([framed(tcpResponse(2)), framed(tcpResponse(2))]), 4);
  assert.equal(sink.of('dns').length, 2);
  a.finish(5);
  assert.equal(sink.of('dns').length, 3);
  assert.equal(a.confirmed, true);
  assert.deepEqual(sink.weirds, []);
});

test('TCP: a message longer than the buffer cap is parsed from its head and its tail skipped', () => {
  const { a, sink } = run(tcpConn());
  send(a, true, framed(simpleQuery(1)), 1);
  const big = framed(tcpResponse(1, 400));
  assert.ok(big.length > MAX_TCP_BUFFER + 100);
  // Split so that the message must be buffered.
  send(a, false, big.subarray(0, 100), 2);
  send(a, false, big.subarray(100), 2);
  send(a, true, framed(simpleQuery(2)), 3);
  send(a, false, framed(tcpResponse(2)), 4);
  const recs = sink.of('dns');
  assert.equal(recs.length, 2, 'framing stays in step after the skipped tail');
  const answers = recs[0].answers as string[];
  assert.ok(answers.length > 50 && answers.length <= 64, 'answers from the head, within the RR cap');
  assert.equal(sink.counters.get('decoder.dns.tcp_message_capped'), 1);
  assert.deepEqual(sink.weirds, [], 'running out of a capped message is not an anomaly');
});

test('TCP: a gap inside a message drops it and keeps framing; a gap over a boundary gives up', () => {
  const { a, sink } = run(tcpConn());
  const q1 = framed(simpleQuery(1));
  send(a, true, q1.subarray(0, 6), 1);
  a.gap(true, 4);
  send(a, true, q1.subarray(10), 1);
  send(a, true, framed(simpleQuery(2)), 2);
  a.finish(3);
  assert.deepEqual(sink.of('dns').map((f) => f.trans_id), [2]);
  assert.equal(sink.counters.get('decoder.dns.tcp_gap_message_dropped'), 1);
  assert.equal(a.done, false);

  const r = run(tcpConn());
  send(r.a, true, q1.subarray(0, 6), 1);
  r.a.gap(true, q1.length + 10);
  assert.equal(r.a.done, true);
  assert.equal(r.sink.counters.get('decoder.dns.tcp_gap_lost_sync'), 1);
});

// ---- caps and malformed input ----

test('names longer than 255 bytes are cut with a weird and a counter', () => {
  const labels: string[] = [];
  for (let i = 0; i < 6; i++) labels.push('a'.repeat(60));
  const p = new DnsParser();
  const r = new CollectReport();
  const m = p.parse(buf([...header({ qd: 1 }), ...question(name(labels.join('.')), 1)]), 0, 12 + 6 * 61 + 1 + 4, false, false, r);
  assert.equal(m.status, DnsStatus.Complete);
  assert.ok(m.query !== undefined && m.query.length <= MAX_NAME_BYTES);
  assert.ok(m.query.startsWith('a'.repeat(60) + '.'));
  assert.ok(r.weirds.includes('dns_name_too_long'));
  assert.ok(r.counts.includes('decoder.dns.name_too_long'));
});

test('compression loops and forward pointers are refused', () => {
  const p = new DnsParser();
  const self = new CollectReport();
  p.parse(buf([...header({ qd: 1 }), ...ptr(12), 0, 1, 0, 1]), 0, 18, false, false, self);
  assert.ok(self.weirds.includes('dns_label_forward_compress_offset'));
  const fwd = new CollectReport();
  p.parse(buf([...header({ qd: 1 }), ...ptr(40), 0, 1, 0, 1]), 0, 18, false, false, fwd);
  assert.ok(fwd.weirds.includes('dns_label_forward_compress_offset'));
  // A label followed by a pointer back to that label: bounded by the pointer position, so it ends.
  const loop = new CollectReport();
  const m = p.parse(buf([...header({ qd: 1 }), 1, 0x61, ...ptr(12), 0, 1, 0, 1]), 0, 20, false, false, loop);
  assert.equal(m.status, DnsStatus.Header);
  assert.ok(loop.weirds.includes('dns_label_len_gt_pkt'));
});

test('more than 128 compression jumps is a weird and a counter', () => {
  // Answer 1 (type NULL) carries a chain: a root byte then 130 pointers, each to the previous.
  const chain: number[] = [0];
  const start = 12 + 1 + 10; // header, root owner, type/class/ttl/rdlength
  for (let i = 0; i < 130; i++) chain.push(...ptr(i === 0 ? start : start + 1 + (i - 1) * 2));
  const last = start + 1 + 129 * 2;
  const bytes = [...header({ qr: true, an: 2 }), ...rr(name(''), 10, 0, chain), ...rr(ptr(last), 1, 0, [1, 2, 3, 4])];
  const r = new CollectReport();
  const m = new DnsParser().parse(buf(bytes), 0, bytes.length, false, false, r);
  assert.ok(r.weirds.includes('dns_name_too_many_pointers'));
  assert.ok(r.counts.includes('decoder.dns.pointer_jumps_capped'));
  assert.equal(m.status, DnsStatus.Questions);
});

test('more than 64 RRs in a section are capped', () => {
  const bytes = [...header({ qr: true, qd: 1, an: 70 }), ...question(name('a.test'), 1)];
  for (let i = 0; i < 70; i++) bytes.push(...rr(ptr(12), 1, 1, [10, 0, 0, i]));
  const r = new CollectReport();
  const m = new DnsParser().parse(buf(bytes), 0, bytes.length, false, false, r);
  assert.equal(m.answers?.length, 64);
  assert.ok(r.counts.includes('decoder.dns.rrs_capped'));
});

test('absurd question counts and short headers are weirds, not records', () => {
  const { a, sink } = run();
  send(a, true, buf([...header({ qd: 26 })]), 1);
  send(a, true, buf([1, 2, 3]), 1);
  a.finish(2);
  assert.equal(sink.of('dns').length, 0);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['dns_conn_count_too_large', 'dns_truncated_len_lt_hdr_len']);
});

test('hostile bytes in names are escaped, not kept raw', () => {
  const { a, sink } = run();
  const evil = [...header({ id: 1, qd: 1 }), 5, 0x3c, 0x62, 0x3e, 0x07, 0xff, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1];
  send(a, true, buf(evil), 1);
  a.finish(2);
  assert.equal(sink.of('dns')[0].query, '<b>\\x07\\xff.test');
});

test('TXT strings are capped per record and overruns are weirds', () => {
  const strs = ['a', 'b', 'c', 'd', 'e', 'f'];
  const good = [...header({ qr: true, an: 1 }), ...rr(name('t.test'), 16, 1, txt(...strs))];
  const r = new CollectReport();
  const m = new DnsParser().parse(buf(good), 0, good.length, false, false, r);
  assert.deepEqual(m.answers, ['TXT 1 a TXT 1 b TXT 1 c TXT 1 d']);
  assert.ok(r.counts.includes('decoder.dns.txt_strings_capped'));
  const bad = [...header({ qr: true, an: 1 }), ...rr(name('t.test'), 16, 1, [2, 0x61, 9, 0x62])];
  const r2 = new CollectReport();
  const m2 = new DnsParser().parse(buf(bad), 0, bad.length, false, false, r2);
  assert.deepEqual(m2.answers, ['TXT 2 a\\x09']);
  assert.ok(r2.weirds.includes('dns_txt_char_str_past_rdlen'));
});

test('an unconfirmed flow of garbage is given up', () => {
  const { a, sink } = run();
  for (let i = 0; i < 8; i++) send(a, true, buf([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xde, 0xad]), i);
  assert.equal(a.done, true);
  assert.equal(a.confirmed, false);
  assert.equal(sink.of('dns').length, 0);
});

test('truncation at every length and bit flips never throw', () => {
  const conn = testConn({ origP: 5353, respP: 5353 });
  const full = buf([
    ...header({ id: 3, qr: true, aa: true, qd: 1, an: 4, ns: 1, ar: 2 }),
    ...question(name('dev._http._tcp.local'), 255),
    ...rr(ptr(12), 33, 120, [...u16(0), ...u16(0), ...u16(80), ...name('dev.local')]),
    ...rr(ptr(12), 16, 120, txt('k=v', 'x')),
    ...rr(name('_http._tcp.local'), 12, 120, ptr(12)),
    ...rr(name('dev.local'), 28, 120, new Array(16).fill(0)),
    ...rr(ptr(12), 47, 120, [...ptr(12), 0, 1, 0x40]),
    ...rr(name('dev.local'), 1, 120, [1, 2, 3, 4]),
    ...rr(name(''), 41, 0, []),
  ]);
  // Sanity: the whole message parses.
  const whole = new DnsParser().parse(full, 0, full.length, true, false, noReport);
  assert.equal(whole.status, DnsStatus.Complete);
  assert.ok(whole.names !== null && whole.names.includes('dev.local'));
  for (let n = 0; n <= full.length; n++) {
    const { a, sink } = run(conn);
    assert.doesNotThrow(() => { send(a, true, full.subarray(0, n), 1); a.finish(2); });
    if (n < 12) assert.deepEqual(sink.weirds.map((w) => w.name), ['dns_truncated_len_lt_hdr_len']);
  }
  let seed = 12345;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(full);
    for (let k = 0; k < 1 + (i % 4); k++) b[rnd() % b.length] ^= 1 << (rnd() % 8);
    const { a } = run(conn);
    const t = run({ ...conn, proto: 'tcp' });
    assert.doesNotThrow(() => {
      send(a, true, b, 1);
      a.finish(2);
      send(t.a, true, framed(b), 1);
      t.a.deliver(false, b, 3, b.length - 3, 2);
      t.a.finish(3);
    });
  }
});
