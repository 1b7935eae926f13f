import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDhcpFactory } from '../../src/decode/app/dhcp/index.js';
import type { DhcpOptions } from '../../src/decode/app/dhcp/index.js';
import {
  DhcpMessage, ParseResult, hwAddr, msgTypeName, parseDhcp, wireName,
} from '../../src/decode/app/dhcp/parser.js';
import type { AppAnalyzer, ConnInfo } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

// ---- message builder (RFC 2131 §2 layout) ----

interface Msg {
  op?: number;
  htype?: number;
  hlen?: number;
  xid?: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  chaddr?: string;
  cookie?: number;
  /** Each option as [code, ...value bytes]; the length byte is added. */
  options?: number[][];
  /** Raw bytes placed in sname (64) / file (128). */
  sname?: number[];
  file?: number[];
  end?: boolean;
}

const MAC = '00:11:22:33:44:55';

function ipBytes(a: string): number[] {
  return a.split('.').map(Number);
}

function opt(code: number, ...v: number[]): number[] {
  return [code, ...v];
}
function str(code: number, s: string): number[] {
  return [code, ...Buffer.from(s, 'latin1')];
}
function ipOpt(code: number, ...addrs: string[]): number[] {
  return [code, ...addrs.flatMap(ipBytes)];
}
function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

function build(m: Msg): Buffer {
  const h = Buffer.alloc(240);
  h[0] = m.op ?? 1;
  h[1] = m.htype ?? 1;
  h[2] = m.hlen ?? 6;
  h.writeUInt32BE(m.xid ?? 0x1234abcd, 4);
  h.set(ipBytes(m.ciaddr ?? '0.0.0.0'), 12);
  h.set(ipBytes(m.yiaddr ?? '0.0.0.0'), 16);
  h.set(ipBytes(m.siaddr ?? '0.0.0.0'), 20);
  h.set(ipBytes(m.giaddr ?? '0.0.0.0'), 24);
  h.set((m.chaddr ?? MAC).split(':').map((x) => parseInt(x, 16)), 28);
  if (m.sname) h.set(m.sname, 44);
  if (m.file) h.set(m.file, 108);
  h.writeUInt32BE(m.cookie ?? 0x63825363, 236);
  const body: number[] = [];
  for (const o of m.options ?? []) body.push(o[0], o.length - 1, ...o.slice(1));
  if (m.end !== false) body.push(255);
  return Buffer.concat([h, Buffer.from(body)]);
}

const T0 = 1_700_000_000;

function near(v: unknown, want: number): void {
  assert.equal(typeof v, 'number');
  assert.ok(Math.abs((v as number) - want) < 1e-6, `${String(v)} ≈ ${want}`);
}

const clientConn = testConn({
  uid: 'Cclient', origH: '0.0.0.0', origP: 68, respH: '255.255.255.255', respP: 67,
});
const serverBcastConn = testConn({
  uid: 'Cbcast', origH: '192.168.1.1', origP: 67, respH: '255.255.255.255', respP: 68,
});
const serverUniConn = testConn({
  uid: 'Cunicast', origH: '192.168.1.1', origP: 67, respH: '192.168.1.50', respP: 68,
});

interface Rig {
  sink: RecordingSink;
  f: ReturnType<typeof createDhcpFactory>;
  a(conn: ConnInfo): AppAnalyzer;
}

function rig(opts: DhcpOptions = {}): Rig {
  const sink = new RecordingSink();
  const f = createDhcpFactory(opts);
  const cache = new Map<string, AppAnalyzer>();
  return {
    sink,
    f,
    a(conn: ConnInfo): AppAnalyzer {
      let an = cache.get(conn.uid);
      if (!an) { an = f.create(conn, sink); cache.set(conn.uid, an); }
      return an;
    },
  };
}

function send(r: Rig, conn: ConnInfo, isOrig: boolean, m: Msg, ts: number): AppAnalyzer {
  const an = r.a(conn);
  const b = build(m);
  // Embed in a larger buffer to check offsets are honoured.
  const big = Buffer.concat([Buffer.from([9, 9, 9]), b, Buffer.from([7, 7])]);
  an.deliver(isOrig, big, 3, b.length, ts);
  return an;
}

const PRL = opt(55, 1, 3, 6, 15, 119, 252);

function dora(r: Rig, xid = 0x1234abcd): void {
  send(r, clientConn, true, {
    xid, options: [opt(53, 1), str(12, 'thermostat'), PRL, str(60, 'udhcp 1.30.1'),
      opt(61, 1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55), str(161, 'https://mud.example.com/t.json')],
  }, T0);
  send(r, serverBcastConn, true, {
    op: 2, xid, yiaddr: '192.168.1.50', siaddr: '192.168.1.1',
    options: [opt(53, 2), ipOpt(54, '192.168.1.1'), opt(51, ...u32(86400)), ipOpt(1, '255.255.255.0'),
      ipOpt(3, '192.168.1.1'), ipOpt(6, '192.168.1.1', '9.9.9.9'), str(15, 'home.lan\0')],
  }, T0 + 0.01);
  send(r, clientConn, true, {
    xid, options: [opt(53, 3), ipOpt(50, '192.168.1.50'), ipOpt(54, '192.168.1.1'), str(12, 'thermostat'), PRL],
  }, T0 + 1);
  send(r, serverUniConn, true, {
    op: 2, xid, yiaddr: '192.168.1.50',
    options: [opt(53, 5), ipOpt(54, '192.168.1.1'), opt(51, ...u32(43200)), str(15, 'home.lan'),
      str(60, 'dnsmasq')],
  }, T0 + 1.5);
}

test('factory shape', () => {
  const f = createDhcpFactory();
  assert.equal(f.service, 'dhcp');
  assert.equal(f.udp, true);
  assert.equal(f.tcp, false);
  assert.deepEqual([...f.ports], [67, 68, 4011]);
  assert.equal(typeof f.tick, 'function');
  assert.equal(typeof f.flush, 'function');
});

test('DORA across three flows is one dhcp.log row with all fields', () => {
  const r = rig();
  dora(r);
  assert.equal(r.sink.logs.length, 0, 'nothing logged before expiry');
  r.f.flush!(T0 + 2);
  assert.equal(r.sink.logs.length, 1);
  const l = r.sink.logs[0];
  assert.equal(l.path, 'dhcp');
  assert.equal(l.ts, T0);
  assert.equal(l.conn, null);
  assert.deepEqual(l.fields, {
    uids: ['Cclient', 'Cbcast', 'Cunicast'],
    client_addr: '192.168.1.50',
    server_addr: '192.168.1.1',
    mac: MAC,
    host_name: 'thermostat',
    domain: 'home.lan',
    requested_addr: '192.168.1.50',
    assigned_addr: '192.168.1.50',
    lease_time: 43200,
    msg_types: ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'],
    duration: 1.5, // exact: T0 + 1.5 is representable
    client_software: 'udhcp 1.30.1',
    server_software: 'dnsmasq',
    msg_orig: ['0.0.0.0', '192.168.1.1', '0.0.0.0', '192.168.1.1'],
    param_list: [1, 3, 6, 15, 119, 252],
    client_id: '01001122334455',
    mud_url: 'https://mud.example.com/t.json',
    server_id: '192.168.1.1',
    subnet_mask: '255.255.255.0',
    routers: ['192.168.1.1'],
    dns_servers: ['192.168.1.1', '9.9.9.9'],
  });
  // Column order follows Zeek's dhcp.log #fields.
  assert.deepEqual(Object.keys(l.fields).slice(0, 14), [
    'uids', 'client_addr', 'server_addr', 'mac', 'host_name', 'domain', 'requested_addr',
    'assigned_addr', 'lease_time', 'msg_types', 'duration', 'client_software', 'server_software', 'msg_orig',
  ]);
  assert.equal(r.a(clientConn).confirmed, true);
  assert.equal(r.a(serverUniConn).confirmed, true);
  assert.equal(r.sink.weirds.length, 0);
});

test('expiry follows Zeek: not before 10 s, then after 5 s quiet; late DECLINE joins', () => {
  const r = rig();
  dora(r);
  // Zeek logs DISCOVER..ACK,DECLINE as one row when the DECLINE comes a second later.
  send(r, clientConn, true, { options: [opt(53, 4), str(56, 'address in use')] }, T0 + 2.5);
  r.f.tick!(T0 + 8); // quiet 5.5 s but younger than 10 s
  assert.equal(r.sink.logs.length, 0);
  r.f.tick!(T0 + 10);
  assert.equal(r.sink.logs.length, 1);
  const f = r.sink.logs[0].fields;
  assert.deepEqual(f.msg_types, ['DISCOVER', 'OFFER', 'REQUEST', 'ACK', 'DECLINE']);
  assert.equal(f.client_message, 'address in use');
  near(f.duration, 2.5);
  r.f.flush!(T0 + 11);
  assert.equal(r.sink.logs.length, 1, 'flush after expiry writes nothing twice');
});

test('a transaction older than 10 s waits for 5 s of quiet', () => {
  const r = rig();
  send(r, clientConn, true, { options: [opt(53, 1)] }, T0);
  send(r, clientConn, true, { options: [opt(53, 1)] }, T0 + 9);
  r.f.tick!(T0 + 11); // old enough, but only 2 s quiet
  assert.equal(r.sink.logs.length, 0);
  r.f.tick!(T0 + 14);
  assert.equal(r.sink.logs.length, 0, 'exactly 5 s quiet is not yet more than 5 s');
  r.f.tick!(T0 + 14.5);
  assert.equal(r.sink.logs.length, 1);
  near(r.sink.logs[0].fields.duration, 9);
});

test('a busy transaction is still cut after 30 s; the same xid then starts a new row', () => {
  const r = rig();
  for (let t = 0; t <= 30; t += 3) send(r, clientConn, true, { options: [opt(53, 1)] }, T0 + t);
  r.f.tick!(T0 + 30);
  assert.equal(r.sink.logs.length, 0);
  // Arrival after the watch limit closes the old row first (no dependence on tick timing).
  send(r, clientConn, true, { options: [opt(53, 1)] }, T0 + 30.5);
  assert.equal(r.sink.logs.length, 1);
  assert.equal((r.sink.logs[0].fields.msg_types as string[]).length, 11);
  r.f.flush!(T0 + 31);
  assert.equal(r.sink.logs.length, 2);
  assert.equal(r.sink.logs[1].ts, T0 + 30.5);
  assert.deepEqual(r.sink.logs[1].fields.msg_types, ['DISCOVER']);
});

test('quiet gap after 10 s splits repeated DISCOVERs like Zeek', () => {
  const r = rig();
  for (const t of [0, 2, 5, 9.4]) send(r, clientConn, true, { options: [opt(53, 1)] }, T0 + t);
  send(r, clientConn, true, { options: [opt(53, 1)] }, T0 + 18); // 8.6 s quiet, age 18
  r.f.flush!(T0 + 20);
  assert.deepEqual(r.sink.logs.map((l) => (l.fields.msg_types as string[]).length), [4, 1]);
  near(r.sink.logs[0].fields.duration, 9.4);
  // Client-only transaction: mac comes from chaddr (no client id), no addresses.
  assert.equal(r.sink.logs[0].fields.mac, MAC);
  assert.equal(r.sink.logs[0].fields.client_addr, undefined);
});

test('transactions are keyed by xid and client hardware address', () => {
  const r = rig();
  send(r, clientConn, true, { xid: 7, options: [opt(53, 1)] }, T0);
  send(r, clientConn, true, { xid: 7, chaddr: 'aa:bb:cc:dd:ee:ff', options: [opt(53, 1)] }, T0);
  send(r, clientConn, true, { xid: 8, options: [opt(53, 7)] }, T0);
  r.f.flush!(T0);
  assert.deepEqual(r.sink.logs.map((l) => l.fields.mac), [MAC, 'aa:bb:cc:dd:ee:ff', MAC]);
  assert.deepEqual(r.sink.logs[2].fields.msg_types, ['RELEASE']);
});

test('transaction cap evicts (and logs) the oldest, with a counter', () => {
  const r = rig({ maxTransactions: 2 });
  for (let x = 1; x <= 3; x++) send(r, clientConn, true, { xid: x, options: [opt(53, 1), str(12, 'h' + x)] }, T0 + x);
  assert.equal(r.sink.counters.get('decoder.dhcp.transactions_capped'), 1);
  assert.equal(r.sink.logs.length, 1);
  assert.equal(r.sink.logs[0].fields.host_name, 'h1');
  r.f.flush!(T0 + 5);
  assert.deepEqual(r.sink.logs.map((l) => l.fields.host_name), ['h1', 'h2', 'h3']);
});

test('Zeek limits on uids and msg_types per row write the row early', () => {
  const r = rig({ maxUids: 2 });
  send(r, clientConn, true, { options: [opt(53, 1)] }, T0);
  send(r, serverBcastConn, true, { op: 2, options: [opt(53, 2)] }, T0 + 0.1);
  assert.equal(r.sink.logs.length, 1);
  assert.equal(r.sink.counters.get('decoder.dhcp.transactions_split'), 1);
  const r2 = rig({ maxMsgTypes: 3 });
  for (let i = 0; i < 3; i++) send(r2, clientConn, true, { options: [opt(53, 1)] }, T0 + i);
  assert.equal(r2.sink.logs.length, 1);
  assert.deepEqual(r2.sink.logs[0].fields.msg_types, ['DISCOVER', 'DISCOVER', 'DISCOVER']);
});

test('INFORM from a configured client gives client_addr; server without yiaddr is not server_addr', () => {
  const r = rig();
  const c = testConn({ uid: 'Cinf', origH: '192.168.1.77', origP: 68, respH: '192.168.1.1', respP: 67 });
  send(r, c, true, { ciaddr: '192.168.1.77', options: [opt(53, 8), str(12, 'printer')] }, T0);
  send(r, c, false, { op: 2, ciaddr: '192.168.1.77', options: [opt(53, 5), str(15, 'lan')] }, T0 + 0.1);
  r.f.flush!(T0 + 1);
  const f = r.sink.logs[0].fields;
  assert.equal(f.client_addr, '192.168.1.77');
  assert.equal(f.server_addr, undefined);
  assert.equal(f.assigned_addr, undefined);
  assert.equal(f.domain, 'lan');
  assert.deepEqual(f.msg_orig, ['192.168.1.77', '192.168.1.1']);
  assert.deepEqual(f.uids, ['Cinf']);
});

test('client id with Ethernet type wins over chaddr; other types leave chaddr as mac', () => {
  const r = rig();
  send(r, clientConn, true, { xid: 1, options: [opt(53, 1), opt(61, 1, 0xde, 0xad, 0xbe, 0xef, 0, 1)] }, T0);
  send(r, clientConn, true, { xid: 2, options: [opt(53, 1), opt(61, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9)] }, T0);
  // The server's chaddr does not override a mac the client gave in option 61.
  send(r, serverBcastConn, true, { op: 2, xid: 1, yiaddr: '192.168.1.3', options: [opt(53, 2)] }, T0);
  r.f.flush!(T0);
  assert.equal(r.sink.logs[0].fields.mac, 'de:ad:be:ef:00:01');
  assert.equal(r.sink.logs[1].fields.mac, MAC);
  assert.equal(r.sink.logs[1].fields.client_id, 'ff010203040506070809');
});

test('server chaddr fills mac only when the client gave none', () => {
  const r = rig();
  send(r, serverBcastConn, true, { op: 2, yiaddr: '192.168.1.9', chaddr: '02:00:00:00:00:09', options: [opt(53, 2)] }, T0);
  r.f.flush!(T0);
  const f = r.sink.logs[0].fields;
  assert.equal(f.mac, '02:00:00:00:00:09');
  assert.equal(f.client_addr, '192.168.1.9', 'assigned address stands in for the client');
  assert.equal(f.server_addr, '192.168.1.1');
});

test('client FQDN option 81: ASCII and wire-encoded forms, flags kept', () => {
  const r = rig();
  send(r, clientConn, true, { xid: 1, options: [opt(53, 3), str(81, '\x01\x00\x00laptop.example.com')] }, T0);
  const wire = [3, ...Buffer.from('cam'), 4, ...Buffer.from('home'), 4, ...Buffer.from('arpa'), 0];
  send(r, clientConn, true, { xid: 2, options: [opt(53, 3), opt(81, 0x05, 0, 0, ...wire)] }, T0);
  // Broken wire form (label runs past the end): weird, raw bytes kept escaped.
  send(r, clientConn, true, { xid: 3, options: [opt(53, 3), opt(81, 0x04, 0, 0, 9, 0x61, 0x62)] }, T0);
  r.f.flush!(T0);
  assert.equal(r.sink.logs[0].fields.client_fqdn, 'laptop.example.com');
  assert.equal(r.sink.logs[0].fields.client_fqdn_flags, 1);
  assert.equal(r.sink.logs[1].fields.client_fqdn, 'cam.home.arpa');
  assert.equal(r.sink.logs[1].fields.client_fqdn_flags, 5);
  assert.equal(r.sink.logs[2].fields.client_fqdn, '\\x09ab');
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['dhcp_bad_fqdn']);
});

test('hostile strings are escaped, trailing NUL of domain dropped, host_name raw like Zeek', () => {
  const r = rig();
  const host = [12, ...Buffer.from('<script>\u0000\u202e', 'utf8')];
  send(r, clientConn, true, { options: [opt(53, 1), host, str(60, 'a\\b')] }, T0);
  send(r, serverBcastConn, true, { op: 2, yiaddr: '10.0.0.2', options: [opt(53, 2), str(15, 'x.lan\0\0')] }, T0);
  r.f.flush!(T0);
  const f = r.sink.logs[0].fields;
  assert.equal(f.host_name, '<script>\\x00\\xe2\\x80\\xae');
  assert.equal(f.client_software, 'a\\\\b');
  assert.equal(f.domain, 'x.lan');
});

test('option overload (52): options in file and sname are read', () => {
  const r = rig();
  const file = [12, 4, ...Buffer.from('olhn'), 255];
  const sname = [60, 3, ...Buffer.from('vcl'), 255];
  send(r, clientConn, true, { options: [opt(53, 1), opt(52, 3)], file, sname }, T0);
  // Without option 52 the same bytes are ignored.
  send(r, clientConn, true, { xid: 5, options: [opt(53, 1)], file, sname }, T0);
  r.f.flush!(T0);
  assert.equal(r.sink.logs[0].fields.host_name, 'olhn');
  assert.equal(r.sink.logs[0].fields.client_software, 'vcl');
  assert.equal(r.sink.logs[1].fields.host_name, undefined);
  assert.equal(r.sink.logs[1].fields.client_software, undefined);
});

test('relay agent information (82) sub-options; relay source is not client_addr', () => {
  const r = rig();
  const relayConn = testConn({ uid: 'Crelay', origH: '10.1.0.1', origP: 67, respH: '10.9.9.9', respP: 67 });
  const o82 = opt(82, 1, 3, ...Buffer.from('ge0'), 2, 2, 0xab, 0xcd, 6, 4, ...Buffer.from('sub1'));
  send(r, relayConn, true, { giaddr: '10.1.0.1', options: [opt(53, 1), o82] }, T0);
  r.f.flush!(T0);
  const f = r.sink.logs[0].fields;
  assert.equal(f.circuit_id, 'ge0');
  assert.equal(f.agent_remote_id, '\\xab\\xcd');
  assert.equal(f.subscriber_id, 'sub1');
  assert.equal(f.client_addr, undefined);
  assert.deepEqual(f.msg_orig, ['10.1.0.1']);
  // Malformed sub-option list: weird, nothing taken.
  const r2 = rig();
  send(r2, clientConn, true, { options: [opt(53, 1), opt(82, 1, 9, 0x41)] }, T0);
  r2.f.flush!(T0);
  assert.equal(r2.sink.logs[0].fields.circuit_id, undefined);
  assert.deepEqual(r2.sink.weirds.map((w) => w.name), ['dhcp_bad_relay_agent_info']);
});

test('options are capped at 255 with a counter', () => {
  const r = rig();
  const many: number[][] = [opt(53, 1)];
  for (let i = 0; i < 299; i++) many.push(opt(250, i & 255));
  many.push(str(12, 'late'));
  send(r, clientConn, true, { options: many }, T0);
  r.f.flush!(T0);
  assert.equal(r.sink.counters.get('decoder.dhcp.options_capped'), 1);
  assert.equal(r.sink.logs[0].fields.host_name, undefined, 'options past the cap are not read');
  const m = new DhcpMessage();
  const b = build({ options: many });
  assert.equal(parseDhcp(b, 0, b.length, m), ParseResult.Ok);
  assert.equal(m.optionCount, 255);
  assert.equal(m.optionsCapped, true);
});

test('malformed input: weirds, no exception, non-DHCP gives up', () => {
  const r = rig();
  const short = Buffer.alloc(100);
  const an = r.a(clientConn);
  an.deliver(true, short, 0, short.length, T0);
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['dhcp_truncated_message']);
  assert.equal(an.done, true);
  assert.equal(an.confirmed, false);

  const r2 = rig();
  const bad = build({ cookie: 0x01020304, options: [opt(53, 1)] });
  const an2 = r2.a(clientConn);
  an2.deliver(true, bad, 0, bad.length, T0);
  assert.deepEqual(r2.sink.weirds.map((w) => w.name), ['dhcp_bad_cookie']);
  assert.equal(an2.done, true);

  // Once confirmed, a bad datagram is a weird and the flow goes on.
  const r3 = rig();
  const an3 = send(r3, clientConn, true, { options: [opt(53, 1)] }, T0);
  const badOp = build({ op: 7, options: [opt(53, 1)] });
  an3.deliver(true, badOp, 0, badOp.length, T0);
  assert.equal(an3.done, false);
  send(r3, clientConn, true, { options: [opt(53, 3)] }, T0 + 1);
  r3.f.flush!(T0 + 1);
  assert.deepEqual(r3.sink.weirds.map((w) => w.name), ['dhcp_bad_op']);
  assert.deepEqual(r3.sink.logs[0].fields.msg_types, ['DISCOVER', 'REQUEST']);
});

test('truncated options and bad lengths keep what was read', () => {
  const r = rig();
  // Hostname, then an option whose length runs past the end, no End option.
  const b = Buffer.concat([build({ options: [opt(53, 1), str(12, 'ok')], end: false }), Buffer.from([60, 50, 0x41])]);
  const an = r.a(clientConn);
  an.deliver(true, b, 0, b.length, T0);
  // Lease with 3 bytes, and no message type at all.
  send(r, serverBcastConn, true, { op: 2, xid: 9, options: [opt(51, 0, 0, 1)] }, T0);
  r.f.flush!(T0);
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['dhcp_truncated_option', 'dhcp_bad_option_length']);
  assert.equal(r.sink.logs[0].fields.host_name, 'ok');
  assert.equal(r.sink.logs[0].fields.client_software, undefined);
  assert.equal(r.sink.logs[1].fields.lease_time, undefined);
  assert.deepEqual(r.sink.logs[1].fields.msg_types, ['unknown-message-type-0']);
  // Missing option 53 alone is its own weird.
  const m = new DhcpMessage();
  const nb = build({ options: [str(12, 'x')] });
  parseDhcp(nb, 0, nb.length, m);
  assert.equal(m.weird, 'dhcp_no_message_type');
});

test('parser helpers', () => {
  assert.equal(msgTypeName(6), 'NAK');
  assert.equal(msgTypeName(18), 'TLS');
  assert.equal(msgTypeName(42), 'unknown-message-type-42');
  const hw = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
  assert.equal(hwAddr(hw, 0, 6), '01:02:03:04:05:06');
  assert.equal(hwAddr(hw, 0, 10), '01:02:03:04:05:06:07:08');
  assert.equal(hwAddr(Buffer.from([1, 2, 3, 4, 5, 6, 0, 0, 9]), 0, 9), '01:02:03:04:05:06');
  assert.equal(hwAddr(hw, 0, 4), '');
  const id = (b: Uint8Array, o: number, l: number): string => Buffer.from(b.subarray(o, o + l)).toString('latin1');
  assert.equal(wireName(Buffer.from([1, 0x61, 1, 0x62, 0]), 0, 5, id), 'a.b');
  assert.equal(wireName(Buffer.from([1, 0x61, 0xc0, 0x00]), 0, 4, id), null, 'no compression in option 81');
  const long: number[] = [];
  for (let i = 0; i < 5; i++) long.push(63, ...new Array<number>(63).fill(0x61));
  assert.equal(wireName(Buffer.from(long), 0, long.length, id), null, 'over 255 bytes');
});

test('fuzz: truncation at every length and bit flips never throw', () => {
  const r = rig({ maxTransactions: 8 });
  const base = build({
    options: [opt(53, 1), str(12, 'fuzz'), PRL, opt(61, 1, 1, 2, 3, 4, 5, 6), opt(81, 4, 0, 0, 1, 0x61, 0),
      opt(82, 1, 1, 0x41), opt(52, 3), ipOpt(3, '1.2.3.4'), opt(51, ...u32(60)), str(161, 'u')],
    file: [12, 2, 0x61, 0x62, 255], sname: [0, 255],
  });
  let seed = 12345;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
  let ts = T0;
  for (let cut = 0; cut <= base.length; cut++) {
    const an = r.f.create(clientConn, r.sink);
    an.deliver(true, base, 0, cut, ts);
  }
  for (let i = 0; i < 4000; i++) {
    const b = Buffer.from(base);
    const flips = 1 + (rnd() % 8);
    for (let k = 0; k < flips; k++) {
      const pos = 236 + (rnd() % (b.length - 236));
      b[pos] ^= 1 << (rnd() % 8);
    }
    if (i % 3 === 0) b[rnd() % 240] = rnd() & 255;
    const an = r.f.create(i % 2 ? clientConn : serverUniConn, r.sink);
    an.deliver(i % 2 === 0, b, 0, b.length - (rnd() % 4), ts);
    ts += 0.5;
    r.f.tick!(ts);
  }
  r.f.flush!(ts);
  assert.ok(r.sink.logs.length > 0);
  assert.ok(r.sink.logs.every((l) => Array.isArray(l.fields.msg_types)));
});
