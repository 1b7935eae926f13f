import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNtpFactory, parseNtp } from '../../src/decode/app/ntp/index.js';
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

const conn = testConn({ respP: 123 });
const NTP_EPOCH = 2208988800;

interface Std {
  li?: number; vn?: number; mode?: number; stratum?: number; poll?: number; precision?: number;
  rootDelay?: [number, number]; rootDisp?: [number, number]; ref?: number[];
  refTs?: [number, number]; orgTs?: [number, number]; recTs?: [number, number]; xmtTs?: [number, number];
}

/** RFC 5905 §7.3 packet header, 48 bytes. */
function std(o: Std = {}): Buffer {
  const b = Buffer.alloc(48);
  b[0] = ((o.li ?? 0) << 6) | ((o.vn ?? 4) << 3) | (o.mode ?? 3);
  b[1] = o.stratum ?? 2;
  b.writeInt8(o.poll ?? 6, 2);
  b.writeInt8(o.precision ?? -20, 3);
  b.writeUInt16BE(o.rootDelay?.[0] ?? 0, 4);
  b.writeUInt16BE(o.rootDelay?.[1] ?? 0, 6);
  b.writeUInt16BE(o.rootDisp?.[0] ?? 0, 8);
  b.writeUInt16BE(o.rootDisp?.[1] ?? 0, 10);
  Buffer.from(o.ref ?? [192, 0, 2, 1]).copy(b, 12);
  const ts = (t: [number, number] | undefined, at: number): void => {
    b.writeUInt32BE(t?.[0] ?? 0, at);
    b.writeUInt32BE(t?.[1] ?? 0, at + 4);
  };
  ts(o.refTs, 16);
  ts(o.orgTs, 24);
  ts(o.recTs, 32);
  ts(o.xmtTs, 40);
  return b;
}

function setup(): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createNtpFactory().create(conn, sink), sink };
}

function send(a: AppAnalyzer, isOrig: boolean, b: Buffer, ts = 1): void {
  a.deliver(isOrig, b, 0, b.length, ts);
}

test('factory: service ntp on UDP 123', () => {
  const f = createNtpFactory();
  assert.equal(f.service, 'ntp');
  assert.equal(f.udp, true);
  assert.equal(f.tcp, false);
  assert.deepEqual([...f.ports], [123]);
});

test('server response: every Zeek field', () => {
  const { a, sink } = setup();
  const unix = 1582454867;
  send(a, false, std({
    vn: 4, mode: 4, stratum: 2, poll: 10, precision: -23,
    rootDelay: [1, 0x8000], rootDisp: [0, 0x4000], ref: [10, 1, 2, 3],
    refTs: [unix + NTP_EPOCH - 60, 0], orgTs: [unix + NTP_EPOCH - 1, 0x80000000],
    recTs: [unix + NTP_EPOCH, 0x40000000], xmtTs: [unix + NTP_EPOCH, 0xc0000000],
  }), 5);
  assert.equal(a.confirmed, true);
  assert.deepEqual(sink.of('ntp'), [{
    version: 4, mode: 4, stratum: 2, poll: 1024, precision: Math.pow(2, -23),
    root_delay: 1.5, root_disp: 0.25, ref_id: '10.1.2.3',
    ref_time: unix - 60, org_time: unix - 1 + 0.5, rec_time: unix + 0.25, xmt_time: unix + 0.75,
    num_exts: 0,
  }]);
  assert.equal(sink.logs[0].ts, 5);
  assert.equal(sink.weirds.length, 0);
});

test('client request: zero timestamps are 0, stratum 0 with an empty ref id omits it', () => {
  const { a, sink } = setup();
  send(a, true, std({ vn: 3, mode: 3, stratum: 0, poll: 0, precision: 0, ref: [0, 0, 0, 0], xmtTs: [3791443598, 0] }));
  const r = sink.of('ntp')[0];
  assert.equal(r.version, 3);
  assert.equal(r.mode, 3);
  assert.equal(r.poll, 1);
  assert.equal(r.precision, 1);
  assert.equal(r.ref_time, 0);
  assert.equal(r.org_time, 0);
  assert.equal(r.xmt_time, 3791443598 - NTP_EPOCH);
  assert.equal('ref_id' in r, false);
});

test('ref id: stratum 1 clock name and stratum 0 kiss code, NUL padding stripped', () => {
  const { a, sink } = setup();
  send(a, false, std({ mode: 4, stratum: 1, ref: [0x47, 0x50, 0x53, 0] }));
  send(a, false, std({ mode: 4, stratum: 0, ref: [0x52, 0x41, 0x54, 0x45] }));
  send(a, false, std({ mode: 4, stratum: 1, ref: [0x47, 0x01, 0x53, 0] }));
  assert.deepEqual(sink.of('ntp').map((r) => r.ref_id), ['GPS', 'RATE', 'G\\x01S']);
});

test('mode 6 and mode 7 (amplification vectors) logged with mode and opcode only', () => {
  const { a, sink } = setup();
  // ntpdc monlist: mode 7, version 2, implementation 3 (XNTPD), request 42 (MON_GETLIST_1).
  send(a, true, Buffer.from([0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0]));
  send(a, false, Buffer.from([0x97, 0x00, 0x03, 0x2a, 0, 6, 0, 0x48]));
  // ntpq readvar: mode 6, version 2, opcode 2.
  send(a, true, Buffer.from([0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(sink.of('ntp'), [
    { version: 2, mode: 7, req_code: 42, response: false },
    { version: 2, mode: 7, req_code: 42, response: true },
    { version: 2, mode: 6, ctl_opcode: 2, response: false },
  ]);
  assert.equal(sink.counters.get('decoder.ntp.mode7'), 2);
  assert.equal(sink.counters.get('decoder.ntp.mode6'), 1);
});

test('extension fields are counted; a trailing MAC is not one', () => {
  const ext = (type: number, len: number): Buffer => {
    const e = Buffer.alloc(len);
    e.writeUInt16BE(type, 0);
    e.writeUInt16BE(len, 2);
    return e;
  };
  const count = (b: Buffer): unknown => {
    const r = parseNtp(b, 0, b.length);
    return r.ok ? [r.rec.num_exts, r.weird] : r.error;
  };
  assert.deepEqual(count(Buffer.concat([std(), Buffer.alloc(20)])), [0, '']);
  assert.deepEqual(count(Buffer.concat([std(), Buffer.alloc(24)])), [0, '']);
  assert.deepEqual(count(Buffer.concat([std(), ext(0x0104, 16), Buffer.alloc(20)])), [1, '']);
  assert.deepEqual(count(Buffer.concat([std(), ext(0x0104, 32), ext(0x0204, 28)])), [2, '']);
  assert.deepEqual(count(Buffer.concat([std(), ext(1, 15), Buffer.alloc(13)])), [0, 'ntp_bad_extension_field']);
  const overlong = ext(1, 32);
  overlong.writeUInt16BE(64, 2);
  assert.deepEqual(count(Buffer.concat([std(), overlong])), [0, 'ntp_bad_extension_field']);
  assert.deepEqual(count(Buffer.concat([std(), ext(1, 64)])), [1, '']);
  // Logged anyway, with the weird.
  const { a, sink } = setup();
  send(a, true, Buffer.concat([std(), Buffer.alloc(7)]));
  assert.equal(sink.of('ntp').length, 1);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['ntp_bad_extension_field']);
});

test('extension fields are capped', () => {
  const many = Buffer.concat([std(), ...Array.from({ length: 40 }, () => {
    const e = Buffer.alloc(16);
    e.writeUInt16BE(16, 2);
    return e;
  })]);
  const { a, sink } = setup();
  send(a, true, many);
  assert.equal(sink.of('ntp')[0].num_exts, 32);
  assert.equal(sink.counters.get('decoder.ntp.extensions_capped'), 1);
});

test('not NTP: short, bad version or reserved mode is a weird, and stops an unconfirmed flow', () => {
  for (const [b, name] of [
    [Buffer.from([0x23, 0, 0]), 'ntp_truncated'],
    [std({ vn: 0 }), 'ntp_bad_version'],
    [std({ vn: 6 }), 'ntp_bad_version'],
    [std({ mode: 0 }), 'ntp_reserved_mode'],
    [Buffer.alloc(0), 'ntp_truncated'],
    [Buffer.from([0x16, 0x02, 0]), 'ntp_truncated'],
  ] as const) {
    const { a, sink } = setup();
    send(a, true, b);
    assert.deepEqual(sink.weirds.map((w) => w.name), [name]);
    assert.equal(a.done, true);
    assert.equal(a.confirmed, false);
    assert.equal(sink.of('ntp').length, 0);
  }
  // Once confirmed, a bad datagram is only a weird.
  const { a, sink } = setup();
  send(a, true, std());
  send(a, true, Buffer.from([0x23]));
  send(a, false, std({ mode: 4 }));
  assert.equal(a.done, false);
  assert.equal(sink.of('ntp').length, 2);
});

test('deliver honours off/len', () => {
  const { a, sink } = setup();
  const m = std({ stratum: 3 });
  const b = Buffer.concat([Buffer.from([1, 2, 3]), m, Buffer.alloc(20, 0xff)]);
  a.deliver(true, b, 3, m.length, 1);
  assert.equal(sink.of('ntp')[0].stratum, 3);
  assert.equal(sink.of('ntp')[0].num_exts, 0);
  assert.equal(sink.weirds.length, 0);
});

test('robustness: every truncation and bit flip, never throws', () => {
  const msgs = [std({ mode: 4, stratum: 1, ref: [0x47, 0x50, 0x53, 0] }), Buffer.from([0x17, 0, 3, 42, 0, 0, 0, 0]),
    Buffer.concat([std(), Buffer.from([0, 1, 0, 16]), Buffer.alloc(12), Buffer.alloc(20)])];
  for (const m of msgs) {
    for (let cut = 0; cut <= m.length; cut++) {
      const { a } = setup();
      a.deliver(true, m, 0, cut, 1);
      a.finish(2);
    }
    for (let i = 0; i < m.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const x = Buffer.from(m);
        x[i] ^= 1 << bit;
        const { a } = setup();
        a.deliver(true, x, 0, x.length, 1);
        a.deliver(false, x, 0, x.length, 1);
        a.finish(2);
      }
    }
  }
});
