import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDnp3Factory } from '../../src/decode/app/dnp3/index.js';
import { dnp3Crc } from '../../src/decode/app/dnp3/consts.js';
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';
import { truncateAndFlip } from '../helpers/robustness.js';

const conn = testConn({ proto: 'tcp', respP: 20000 });

/**
 * One link-layer frame (DNP3 Vol. 4): 05 64 len ctrl dst(LE) src(LE) CRC, then user data in
 * 16-byte blocks each followed by its CRC (low byte first).
 */
function frame(ctrl: number, dst: number, src: number, user: number[]): Buffer {
  const hdr = [0x05, 0x64, user.length + 5, ctrl, dst & 255, dst >> 8, src & 255, src >> 8];
  const out = [...hdr, ...crc(hdr)];
  for (let i = 0; i < user.length; i += 16) {
    const block = user.slice(i, i + 16);
    out.push(...block, ...crc(block));
  }
  return Buffer.from(out);
}

function crc(bytes: number[]): number[] {
  const c = dnp3Crc(Uint8Array.from(bytes), 0, bytes.length);
  return [c & 255, c >> 8];
}

const MASTER = 0xc4; // DIR | PRM | unconfirmed user data
const OUTSTATION = 0x44; // PRM | unconfirmed user data

/** Transport header (FIN|FIR|seq) + application fragment. */
function request(fc: number, objs: number[] = []): Buffer {
  return frame(MASTER, 2, 3, [0xc0 | 7, 0xc0 | 8, fc, ...objs]);
}

function response(fc: number, iin1: number, iin2: number, objs: number[] = []): Buffer {
  return frame(OUTSTATION, 3, 2, [0xc0 | 5, 0xc0 | 8, fc, iin1, iin2, ...objs]);
}

function setup(): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createDnp3Factory().create(conn, sink), sink };
}

function send(a: AppAnalyzer, isOrig: boolean, b: Buffer, ts = 1): void {
  a.deliver(isOrig, b, 0, b.length, ts);
}

// Frame 4 of zeek/dnp3_read.pcap: a class 0123 READ.
const PCAP_REQUEST = Buffer.from('056414c4020003004503c7c8013c02063c03063c04063c010642ac', 'hex');

test('CRC-16/DNP matches a real capture', () => {
  assert.equal(dnp3Crc(PCAP_REQUEST, 0, 8), 0x0345);
  assert.equal(dnp3Crc(PCAP_REQUEST, 10, 15), 0xac42);
  assert.deepEqual(frame(0xc4, 2, 3, [...PCAP_REQUEST.subarray(10, 25)]), PCAP_REQUEST);
});

test('factory: service dnp3 on TCP 20000 with a CRC-checked sniffer', () => {
  const f = createDnp3Factory();
  assert.equal(f.service, 'dnp3');
  assert.deepEqual([...f.ports], [20000]);
  assert.equal(f.sniff?.(true, PCAP_REQUEST, 0, PCAP_REQUEST.length), true);
  const bad = Buffer.from(PCAP_REQUEST);
  bad[8] ^= 1;
  assert.equal(f.sniff?.(true, bad, 0, bad.length), false);
  assert.equal(f.sniff?.(true, Buffer.from('GET / HTTP/1.1\r\n'), 0, 16), false);
});

test('read request and response pair into one record (Zeek dnp3.log shape)', () => {
  const { a, sink } = setup();
  send(a, true, PCAP_REQUEST, 10);
  assert.equal(a.confirmed, true);
  send(a, false, response(0x81, 0x00, 0x00, [0x01, 0x01, 0x01]), 12);
  assert.deepEqual(sink.of('dnp3'), [{ fc_request: 'READ', fc_reply: 'RESPONSE', iin: 0 }]);
  assert.equal(sink.logs[0].ts, 10);
  assert.equal(sink.weirds.length, 0);
});

test('IIN is IIN1 << 8 | IIN2', () => {
  const { a, sink } = setup();
  send(a, true, request(0x01));
  send(a, false, response(0x81, 0x90, 0x02));
  assert.equal(sink.of('dnp3')[0].iin, 0x9002);
});

test('function names: operate family, restart, unknown codes', () => {
  const { a, sink } = setup();
  for (const fc of [0x05, 0x0d, 0x02, 0x55]) {
    send(a, true, request(fc));
    send(a, false, response(0x81, 0, 0));
  }
  assert.deepEqual(sink.of('dnp3').map((r) => r.fc_request), ['DIRECT_OPERATE', 'COLD_RESTART', 'WRITE', 'unknown-85']);
});

test('an application fragment over several link frames is parsed from its first frame', () => {
  const { a, sink } = setup();
  const objs = Array.from({ length: 300 }, (_, i) => i & 255);
  const app = [0xc0, 0x81, 0x12, 0x34, ...objs];
  // Transport segments: FIR on the first, FIN on the last, up to 249 app bytes each.
  const parts: Buffer[] = [];
  for (let i = 0, seq = 0; i < app.length; i += 249, seq++) {
    const chunk = app.slice(i, i + 249);
    const th = (i === 0 ? 0x40 : 0) | (i + 249 >= app.length ? 0x80 : 0) | seq;
    parts.push(frame(OUTSTATION, 3, 2, [th, ...chunk]));
  }
  assert.equal(parts.length, 2);
  send(a, true, request(0x01));
  send(a, false, parts[0]);
  assert.equal(sink.of('dnp3').length, 0);
  send(a, false, parts[1]);
  assert.deepEqual(sink.of('dnp3'), [{ fc_request: 'READ', fc_reply: 'RESPONSE', iin: 0x1234 }]);
});

test('byte-at-a-time delivery and several frames per delivery', () => {
  const stream = Buffer.concat([request(0x01), request(0x05, [0x0c, 0x01, 0x28, 0x01, 0x00, 0x00, 0x00])]);
  const reply = Buffer.concat([response(0x81, 0, 1), response(0x81, 0, 2)]);
  const { a, sink } = setup();
  for (let i = 0; i < stream.length; i++) a.deliver(true, stream, i, 1, 1);
  for (let i = 0; i < reply.length; i++) a.deliver(false, reply, i, 1, 2);
  // The first READ got no answer before the next request: logged on its own.
  assert.deepEqual(sink.of('dnp3'), [
    { fc_request: 'READ' },
    { fc_request: 'DIRECT_OPERATE', fc_reply: 'RESPONSE', iin: 1 },
    { fc_reply: 'RESPONSE', iin: 2 },
  ]);
  assert.equal(sink.weirds.length, 0);
});

test('unsolicited responses stand alone; an unanswered request is flushed at finish', () => {
  const { a, sink } = setup();
  send(a, true, request(0x06), 1);
  send(a, false, response(0x82, 0x80, 0), 2);
  a.finish(3);
  assert.deepEqual(sink.of('dnp3'), [{ fc_reply: 'UNSOLICITED_RESPONSE', iin: 0x8000 }, { fc_request: 'DIRECT_OPERATE_NR' }]);
  assert.deepEqual(sink.logs.map((l) => l.ts), [2, 1]);
});

test('link-layer only frames (no user data) are skipped', () => {
  const { a, sink } = setup();
  send(a, true, Buffer.concat([frame(0xc9, 2, 3, []), request(0x01)]));
  send(a, false, Buffer.concat([frame(0x0b, 3, 2, []), response(0x81, 0, 0)]));
  assert.equal(sink.of('dnp3').length, 1);
  assert.equal(sink.weirds.length, 0);
});

test('no start bytes: weird, done, not confirmed', () => {
  const { a, sink } = setup();
  send(a, true, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  assert.equal(a.done, true);
  assert.equal(a.confirmed, false);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['dnp3_header_lacks_magic']);
});

test('corrupt header checksum / chunk checksum / short link length are weirds', () => {
  const h = setup();
  const b1 = Buffer.from(PCAP_REQUEST);
  b1[4] ^= 0x10;
  send(h.a, true, b1);
  assert.deepEqual(h.sink.weirds.map((w) => w.name), ['dnp3_corrupt_header_checksum']);
  assert.equal(h.a.confirmed, false);

  const c = setup();
  const b2 = Buffer.from(PCAP_REQUEST);
  b2[14] ^= 0x01;
  send(c.a, true, b2);
  assert.deepEqual(c.sink.weirds.map((w) => w.name), ['dnp3_corrupt_app_chunk_checksum']);
  assert.equal(c.a.done, true);

  const l = setup();
  const hdr = [0x05, 0x64, 4, 0xc4, 2, 0, 3, 0];
  send(l.a, true, Buffer.from([...hdr, ...crc(hdr)]));
  assert.deepEqual(l.sink.weirds.map((w) => w.name), ['dnp3_invalid_link_length']);
});

test('continuation without a first segment is a weird; direction mismatch is a weird once', () => {
  const { a, sink } = setup();
  send(a, true, frame(MASTER, 2, 3, [0x80 | 3, 0xc0, 0x01]));
  assert.deepEqual(sink.weirds.map((w) => w.name), ['dnp3_first_application_layer_chunk_missing']);
  assert.equal(a.done, false);
  // Outstation frames (DIR clear) from the originator.
  send(a, true, frame(OUTSTATION, 2, 3, [0xc0, 0xc0, 0x01]));
  send(a, true, frame(OUTSTATION, 2, 3, [0xc0, 0xc0, 0x01]));
  assert.deepEqual(sink.weirds.map((w) => w.name).slice(1), ['dnp3_unexpected_flow_direction']);
});

test('truncated application header is a weird', () => {
  const { a, sink } = setup();
  send(a, false, frame(OUTSTATION, 3, 2, [0xc0, 0xc0, 0x81]));
  assert.deepEqual(sink.weirds.map((w) => w.name), ['dnp3_truncated_application_header']);
  assert.equal(sink.of('dnp3').length, 0);
});

test('after a gap, junk is skipped up to the next valid frame', () => {
  const { a, sink } = setup();
  send(a, true, request(0x01));
  send(a, false, response(0x81, 0, 0));
  a.gap(true, 50);
  const r = request(0x02);
  send(a, true, Buffer.concat([Buffer.from([0x05, 0x64, 0x99, 0x05, 0x00, 0x01]), r.subarray(4), Buffer.from([1, 2, 3]), request(0x0e)]));
  send(a, false, response(0x81, 0, 0));
  assert.equal(a.done, false);
  assert.deepEqual(sink.of('dnp3').map((x) => x.fc_request), ['READ', 'WARM_RESTART']);
  assert.equal(sink.weirds.length, 0);
  assert.equal(sink.counters.get('decoder.dnp3.gaps'), 1);
});

test('robustness: every truncation and bit flip, never throws', () => {
  const msgs = Buffer.concat([PCAP_REQUEST, response(0x81, 0, 0, Array.from({ length: 40 }, (_, i) => i))]);
  truncateAndFlip(msgs, () => setup().a, 5);
  let seed = 99;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 0) % 256;
  for (let k = 0; k < 200; k++) {
    const junk = Buffer.from(Array.from({ length: 80 }, rnd));
    junk[0] = 0x05;
    junk[1] = 0x64;
    const { a } = setup();
    a.gap(true, 1);
    for (let i = 0; i < junk.length; i += 7) a.deliver(true, junk, i, Math.min(7, junk.length - i), 1);
    a.finish(2);
  }
});
