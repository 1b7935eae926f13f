import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNbnsFactory } from '../../src/decode/app/nbns/index.js';
import type { AppAnalyzer, ConnInfo } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';
import { truncateAndFlipDatagram } from '../helpers/robustness.js';

// ---- RFC 1002 builders ----

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/** First-level encoding (RFC 1001 §14.1): pad to 15 with spaces, append the suffix, nibbles as 'A'+n. */
function encodedName(nb: string | number[], suffix: number, scope: string[] = []): number[] {
  const raw = typeof nb === 'string' ? Array.from(Buffer.from(nb, 'latin1')) : nb.slice();
  while (raw.length < 15) raw.push(0x20);
  raw.push(suffix);
  const out = [32];
  for (const b of raw) out.push(0x41 + (b >> 4), 0x41 + (b & 15));
  for (const s of scope) out.push(s.length, ...Buffer.from(s));
  out.push(0);
  return out;
}

interface Hdr { id?: number; response?: boolean; opcode?: number; broadcast?: boolean; rcode?: number; qd?: number; an?: number; ar?: number }

function header(h: Hdr): number[] {
  const flags = (h.response ? 0x8000 : 0) | ((h.opcode ?? 0) << 11) | 0x100 | (h.broadcast ? 0x10 : 0) | (h.rcode ?? 0);
  return [...u16(h.id ?? 1), ...u16(flags), ...u16(h.qd ?? 0), ...u16(h.an ?? 0), 0, 0, ...u16(h.ar ?? 0)];
}

function rr(owner: number[], type: number, rdata: number[]): number[] {
  return [...owner, ...u16(type), 0, 1, 0, 0, 0x0d, 0x2f, ...u16(rdata.length), ...rdata];
}

function nbRdata(...addrs: string[]): number[] {
  const out: number[] = [];
  for (const a of addrs) out.push(0x60, 0x00, ...a.split('.').map(Number));
  return out;
}

function run(conn: ConnInfo = testConn({ origP: 137, respH: '192.168.1.255', respP: 137 })): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createNbnsFactory().create(conn, sink), sink };
}

function send(a: AppAnalyzer, bytes: number[] | Buffer, ts = 1, isOrig = true): void {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  a.deliver(isOrig, b, 0, b.length, ts);
}

test('registration: name, suffix, opcode and the address from the additional record', () => {
  const { a, sink } = run();
  // Name at offset 12; the additional record points back to it (0xc00c), as Windows sends it.
  send(a, [...header({ id: 0x8004, opcode: 5, broadcast: true, qd: 1, ar: 1 }),
    ...encodedName('MDJR98', 0x20), 0, 0x20, 0, 1,
    ...rr([0xc0, 0x0c], 0x20, nbRdata('192.168.239.129'))], 3.5);
  const logs = sink.logs.filter((l) => l.path === 'netbios');
  assert.equal(logs.length, 1);
  assert.equal(logs[0].ts, 3.5);
  assert.deepEqual(logs[0].fields, {
    trans_id: 0x8004, name: 'MDJR98', suffix: 0x20, qtype_name: 'NB', opcode: 5, opcode_name: 'netbios-registration',
    is_response: false, broadcast: true, answers: ['192.168.239.129'],
  });
  assert.equal(a.confirmed, true);
  assert.deepEqual(sink.weirds, []);
});

test('positive query response lists every address; rcode is named', () => {
  const { a, sink } = run();
  send(a, [...header({ id: 9, response: true, an: 1 }),
    ...rr(encodedName('FILESERVER', 0x00), 0x20, nbRdata('10.0.0.5', '10.0.1.5', '10.0.0.5'))]);
  const [f] = sink.of('netbios');
  assert.equal(f.name, 'FILESERVER');
  assert.equal(f.suffix, 0);
  assert.equal(f.is_response, true);
  assert.equal(f.rcode_name, 'NOERROR');
  assert.deepEqual(f.answers, ['10.0.0.5', '10.0.1.5'], 'addresses de-duplicated, in order');
});

test('special names: __MSBROWSE__ loses its control bytes, * keeps itself, scope is skipped', () => {
  const { a, sink } = run();
  send(a, [...header({ id: 1, qd: 1 }), ...encodedName([1, 2, ...Buffer.from('__MSBROWSE__'), 2], 0x01), 0, 0x20, 0, 1]);
  send(a, [...header({ id: 2, qd: 1 }), ...encodedName([0x2a, ...new Array(14).fill(0)], 0x00), 0, 0x21, 0, 1]);
  send(a, [...header({ id: 3, qd: 1 }), ...encodedName('HOST', 0x00, ['corp', 'example']), 0, 0x20, 0, 1]);
  const recs = sink.of('netbios');
  assert.equal(recs[0].name, '__MSBROWSE__');
  assert.equal(recs[0].suffix, 1);
  assert.equal(recs[1].name, '*');
  assert.equal(recs[1].qtype_name, 'NBSTAT');
  assert.equal(recs[1].opcode_name, 'netbios-query');
  assert.equal(recs[2].name, 'HOST');
});

test('node status response yields the names table and the MAC address', () => {
  const { a, sink } = run();
  const entry = (n: string, sfx: number): number[] => {
    const b = Array.from(Buffer.from(n.padEnd(15, ' ')));
    return [...b, sfx, 0x04, 0x00];
  };
  const rdata = [3, ...entry('NAS', 0x00), ...entry('WORKGROUP', 0x00), ...entry('NAS', 0x20),
    0x00, 0x11, 0x32, 0xaa, 0xbb, 0xcc, ...new Array(40).fill(0)];
  send(a, [...header({ id: 4, response: true, an: 1 }), ...rr(encodedName([0x2a, ...new Array(14).fill(0)], 0), 0x21, rdata)]);
  const [f] = sink.of('netbios');
  assert.deepEqual(f.nbstat_names, ['NAS<00>', 'WORKGROUP<00>', 'NAS<20>']);
  assert.equal(f.mac, '00:11:32:aa:bb:cc');
  assert.equal(f.qtype_name, 'NBSTAT');
});

test('hostile bytes in a NetBIOS name are escaped', () => {
  const { a, sink } = run();
  send(a, [...header({ qd: 1 }), ...encodedName([0x3c, 0x73, 0x3e, 0x07, 0x41], 0x00), 0, 0x20, 0, 1]);
  assert.equal(sink.of('netbios')[0].name, '<s>\\x07A');
});

test('bad encodings and counts are weirds, and garbage flows are given up', () => {
  const { a, sink } = run();
  // Label of 32 bytes but outside 'A'..'P'.
  send(a, [...header({ qd: 1 }), 32, ...new Array(32).fill(0x5a), 0, 0, 0x20, 0, 1]);
  send(a, [...header({ qd: 3 })]);
  send(a, [1, 2, 3]);
  send(a, [...header({ qd: 1 }), 0xc0, 0x20, 0, 0x20, 0, 1]);
  assert.deepEqual(sink.weirds.map((w) => w.name),
    ['netbios_bad_name_encoding', 'netbios_bad_question_count', 'netbios_truncated_header', 'netbios_bad_name_pointer']);
  assert.equal(a.done, true);
  assert.equal(a.confirmed, false);
  assert.equal(sink.of('netbios').length, 0);
});

test('address list is capped', () => {
  const { a, sink } = run();
  const addrs: string[] = [];
  for (let i = 0; i < 80; i++) addrs.push('10.0.0.' + i);
  send(a, [...header({ response: true, an: 1 }), ...rr(encodedName('GROUP', 0x1c), 0x20, nbRdata(...addrs))]);
  assert.equal((sink.of('netbios')[0].answers as string[]).length, 64);
  assert.equal(sink.counters.get('decoder.netbios.addresses_capped'), 1);
});

test('truncation at every length and bit flips never throw', () => {
  const full = Buffer.from([...header({ id: 7, opcode: 5, qd: 1, ar: 1 }), ...encodedName('MDJR98', 0x03), 0, 0x20, 0, 1,
    ...rr([0xc0, 0x0c], 0x20, nbRdata('192.168.239.129')),
  ]);
  truncateAndFlipDatagram(full, (msg) => {
    const { a } = run();
    assert.doesNotThrow(() => { send(a, msg); a.finish(2); });
  }, 99);
});
