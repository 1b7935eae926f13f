import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModbusFactory } from '../../src/decode/app/modbus/index.js';
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';
import { truncateAndFlip } from '../helpers/robustness.js';

const conn = testConn({ proto: 'tcp', respP: 502 });

/** MBAP header + PDU (Modbus Messaging on TCP/IP §3.1.3), big-endian. */
function adu(tid: number, unit: number, fc: number, data: number[], pid = 0): Buffer {
  const len = 2 + data.length;
  return Buffer.from([tid >> 8, tid & 255, pid >> 8, pid & 255, len >> 8, len & 255, unit, fc, ...data]);
}

function be16(v: number): number[] {
  return [v >> 8, v & 255];
}

function setup(): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createModbusFactory().create(conn, sink), sink };
}

function send(a: AppAnalyzer, isOrig: boolean, b: Buffer, ts = 1): void {
  a.deliver(isOrig, b, 0, b.length, ts);
}

test('factory: service, TCP 502', () => {
  const f = createModbusFactory();
  assert.equal(f.service, 'modbus');
  assert.equal(f.tcp, true);
  assert.equal(f.udp, false);
  assert.deepEqual([...f.ports], [502]);
});

test('read holding registers: request and response logged, response inherits the range', () => {
  const { a, sink } = setup();
  send(a, true, adu(7, 17, 0x03, [...be16(0x006b), ...be16(3)]), 10);
  assert.equal(a.confirmed, true);
  send(a, false, adu(7, 17, 0x03, [6, 0x02, 0x2b, 0, 0, 0, 0x64]), 11);
  const rows = sink.of('modbus');
  assert.deepEqual(rows, [
    { tid: 7, unit: 17, func: 'READ_HOLDING_REGISTERS', pdu_type: 'REQ', write: false, address: 0x6b, quantity: 3 },
    { tid: 7, unit: 17, func: 'READ_HOLDING_REGISTERS', pdu_type: 'RESP', write: false, address: 0x6b, quantity: 3 },
  ]);
  assert.deepEqual(sink.logs.map((l) => l.ts), [10, 11]);
  assert.equal(sink.logs[0].conn, conn);
  assert.equal(sink.weirds.length, 0);
});

test('write function codes are flagged with address and quantity', () => {
  const { a, sink } = setup();
  send(a, true, adu(1, 1, 0x05, [...be16(0x00ac), 0xff, 0x00]));
  send(a, true, adu(2, 1, 0x06, [...be16(0x0001), ...be16(3)]));
  send(a, true, adu(3, 1, 0x0f, [...be16(0x0013), ...be16(10), 2, 0xcd, 0x01]));
  send(a, true, adu(4, 1, 0x10, [...be16(0x0001), ...be16(2), 4, 0, 0x0a, 1, 2]));
  send(a, true, adu(5, 1, 0x16, [...be16(0x0004), ...be16(0x00f2), ...be16(0x0025)]));
  send(a, true, adu(6, 1, 0x17, [...be16(0x0003), ...be16(6), ...be16(0x000e), ...be16(3), 6, 0, 0xff, 0, 0xff, 0, 0xff]));
  send(a, true, adu(7, 1, 0x01, [...be16(0x0013), ...be16(19)]));
  const rows = sink.of('modbus');
  assert.deepEqual(
    rows.map((r) => [r.func, r.write, r.address, r.quantity]),
    [
      ['WRITE_SINGLE_COIL', true, 0xac, 1],
      ['WRITE_SINGLE_REGISTER', true, 1, 1],
      ['WRITE_MULTIPLE_COILS', true, 0x13, 10],
      ['WRITE_MULTIPLE_REGISTERS', true, 1, 2],
      ['MASK_WRITE_REGISTER', true, 4, 1],
      ['READ_WRITE_MULTIPLE_REGISTERS', true, 0x0e, 3],
      ['READ_COILS', false, 0x13, 19],
    ],
  );
  assert.equal(rows[5].read_address, 3);
  assert.equal(rows[5].read_quantity, 6);
  assert.equal(rows[0].read_address, undefined);
});

test('write responses echo their own range; fc 15/16 responses too', () => {
  const { a, sink } = setup();
  send(a, false, adu(3, 1, 0x0f, [...be16(0x0013), ...be16(10)]));
  send(a, false, adu(4, 1, 0x06, [...be16(0x0009), ...be16(0x1234)]));
  const rows = sink.of('modbus');
  assert.deepEqual(rows.map((r) => [r.pdu_type, r.write, r.address, r.quantity]), [['RESP', true, 0x13, 10], ['RESP', true, 9, 1]]);
  assert.equal(sink.counters.get('decoder.modbus.unmatched_response'), 2);
});

test('exception response: names as Zeek, range from the request', () => {
  const { a, sink } = setup();
  send(a, true, adu(9, 1, 0x03, [...be16(100), ...be16(5)]));
  send(a, false, adu(9, 1, 0x83, [0x02]));
  send(a, true, adu(10, 1, 0x05, [...be16(1), 0, 0]));
  send(a, false, adu(10, 1, 0x85, [0x0c]));
  send(a, false, adu(11, 1, 0xc1, [0x01]));
  const rows = sink.of('modbus');
  assert.deepEqual(rows[1], {
    tid: 9, unit: 1, func: 'READ_HOLDING_REGISTERS_EXCEPTION', pdu_type: 'RESP', exception: 'ILLEGAL_DATA_ADDRESS',
    write: false, address: 100, quantity: 5,
  });
  assert.equal(rows[3].func, 'WRITE_SINGLE_COIL_EXCEPTION');
  assert.equal(rows[3].exception, 'unknown-12');
  assert.equal(rows[3].write, true);
  assert.equal(rows[4].func, 'unknown-193');
  assert.equal(rows[4].exception, 'ILLEGAL_FUNCTION');
});

test('function names: diagnostics, MEI, unknown codes', () => {
  const { a, sink } = setup();
  send(a, true, adu(1, 1, 0x08, [0, 0, 0xa5, 0x37]));
  send(a, true, adu(2, 1, 0x2b, [0x0e, 1, 0]));
  send(a, true, adu(3, 1, 0x41, []));
  assert.deepEqual(sink.of('modbus').map((r) => r.func), ['DIAGNOSTICS', 'ENCAP_INTERFACE_TRANSPORT', 'unknown-65']);
});

test('ADUs split across deliveries and several per delivery give the same records', () => {
  const msgs = Buffer.concat([
    adu(1, 1, 0x03, [...be16(0), ...be16(2)]),
    adu(2, 1, 0x06, [...be16(4), ...be16(9)]),
    adu(3, 1, 0x10, [...be16(1), ...be16(1), 2, 0, 7]),
  ]);
  const whole = setup();
  send(whole.a, true, msgs);
  assert.equal(whole.sink.of('modbus').length, 3);
  for (const step of [1, 2, 5, 7, 11]) {
    const { a, sink } = setup();
    for (let i = 0; i < msgs.length; i += step) {
      const end = Math.min(msgs.length, i + step);
      a.deliver(true, msgs, i, end - i, 1);
    }
    assert.deepEqual(sink.of('modbus'), whole.sink.of('modbus'), `step ${step}`);
    assert.equal(sink.weirds.length, 0);
  }
});

test('deliver honours off/len: bytes outside the view are ignored', () => {
  const { a, sink } = setup();
  const m = adu(1, 1, 0x03, [...be16(0), ...be16(2)]);
  const b = Buffer.concat([Buffer.from([0xde, 0xad]), m, Buffer.from([0xbe, 0xef, 0, 0])]);
  a.deliver(true, b, 2, m.length, 1);
  assert.equal(sink.of('modbus').length, 1);
  assert.equal(sink.weirds.length, 0);
});

test('non-Modbus on 502: protocol id != 0 is a weird, never confirmed, nothing logged', () => {
  const { a, sink } = setup();
  send(a, true, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(a.confirmed, false);
  assert.equal(a.done, true);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['modbus_invalid_protocol_id']);
  assert.equal(sink.of('modbus').length, 0);
  // A TLS ClientHello: 16 03 01 00 85 → pid 0x0100.
  const t = setup();
  send(t.a, true, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x85, 0x01, 0x00, 0x00, 0x81, 0x03, 0x03]));
  assert.equal(t.a.confirmed, false);
  assert.deepEqual(t.sink.weirds.map((w) => w.name), ['modbus_invalid_protocol_id']);
});

test('bad MBAP length (0 or > 254) is a weird and stops', () => {
  for (const len of [0, 1, 255, 0x8804]) {
    const { a, sink } = setup();
    send(a, true, Buffer.from([0, 1, 0, 0, len >> 8, len & 255, 1, 3, 0, 0, 0, 1]));
    assert.equal(a.done, true, `len ${len}`);
    assert.equal(a.confirmed, false);
    assert.deepEqual(sink.weirds.map((w) => w.name), ['modbus_invalid_length']);
  }
  // 254 is the largest legal length.
  const { a, sink } = setup();
  send(a, true, adu(1, 1, 0x10, new Array<number>(252).fill(0)));
  assert.equal(a.confirmed, true);
  assert.equal(sink.weirds.length, 0);
});

test('header split before the length field is checked once complete', () => {
  const { a, sink } = setup();
  const bad = Buffer.from([0, 1, 0, 7, 0, 6, 1, 3]);
  a.deliver(true, bad, 0, 3, 1);
  assert.equal(sink.weirds.length, 0);
  a.deliver(true, bad, 3, 5, 1);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['modbus_invalid_protocol_id']);
});

test('truncated PDU data is a weird but the PDU is still logged', () => {
  const { a, sink } = setup();
  send(a, true, adu(1, 1, 0x03, [0, 1]));
  assert.deepEqual(sink.weirds.map((w) => w.name), ['modbus_truncated_pdu']);
  assert.deepEqual(sink.of('modbus')[0], { tid: 1, unit: 1, func: 'READ_HOLDING_REGISTERS', pdu_type: 'REQ', write: false });
});

test('gap: skips segments until one starts on an ADU boundary', () => {
  const { a, sink } = setup();
  send(a, true, adu(1, 1, 0x03, [...be16(0), ...be16(1)]));
  a.gap(true, 100);
  const m = adu(2, 1, 0x03, [...be16(8), ...be16(1)]);
  a.deliver(true, m, 3, m.length - 3, 2); // the tail of an ADU: not a header
  assert.equal(sink.counters.get('decoder.modbus.resync_skipped'), 1);
  send(a, true, adu(3, 1, 0x03, [...be16(9), ...be16(1)]), 3);
  assert.equal(a.done, false);
  assert.deepEqual(sink.of('modbus').map((r) => r.tid), [1, 3]);
  assert.equal(sink.weirds.length, 0);
});

test('outstanding requests are capped per flow', () => {
  const { a, sink } = setup();
  for (let t = 0; t < 40; t++) send(a, true, adu(t, 1, 0x03, [...be16(t), ...be16(1)]));
  assert.equal(sink.counters.get('decoder.modbus.pending_evicted'), 8);
  // The newest request is still remembered.
  send(a, false, adu(39, 1, 0x03, [2, 0, 0]));
  assert.equal(sink.of('modbus').at(-1)?.address, 39);
  // The oldest were evicted.
  send(a, false, adu(0, 1, 0x03, [2, 0, 0]));
  assert.equal(sink.of('modbus').at(-1)?.address, undefined);
});

test('a response to a different function does not inherit the range', () => {
  const { a, sink } = setup();
  send(a, true, adu(5, 1, 0x03, [...be16(77), ...be16(2)]));
  send(a, false, adu(5, 1, 0x04, [4, 0, 0, 0, 0]));
  assert.equal(sink.of('modbus')[1].address, undefined);
});

test('robustness: every truncation and bit flip, any split, never throws', () => {
  const msgs = Buffer.concat([
    adu(1, 1, 0x03, [...be16(0), ...be16(2)]),
    adu(1, 1, 0x83, [2]),
    adu(2, 1, 0x17, [...be16(3), ...be16(6), ...be16(14), ...be16(3), 6, 0, 0xff, 0, 0xff, 0, 0xff]),
    adu(3, 1, 0x0f, [...be16(0x13), ...be16(10), 2, 0xcd, 1]),
  ]);
  truncateAndFlip(msgs, () => setup().a, 10);
  // Random junk in random splits.
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 0) % 256;
  for (let k = 0; k < 200; k++) {
    const junk = Buffer.from(Array.from({ length: 64 }, rnd));
    junk[2] = 0;
    junk[3] = 0;
    const { a } = setup();
    for (let i = 0; i < junk.length; i += 1 + (rnd() % 9)) a.deliver(k % 2 === 0, junk, i, Math.min(9, junk.length - i), 1);
    a.finish(2);
  }
});
