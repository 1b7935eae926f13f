import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDhcpv6Factory } from '../../src/decode/app/dhcpv6/index.js';
import { Dhcpv6Parser, MAX_OPTIONS, ParseResult, duidMac, ip6, msgTypeName } from '../../src/decode/app/dhcpv6/parser.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

// ---- builders (RFC 8415 §8, §9, §21) ----

function o(code: number, ...v: number[]): number[] {
  return [code >> 8, code & 255, v.length >> 8, v.length & 255, ...v];
}
function u16(n: number): number[] { return [n >> 8, n & 255]; }
function u32(n: number): number[] { return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]; }
function bytes(s: string): number[] { return [...Buffer.from(s, 'utf8')]; }
function name(...labels: string[]): number[] {
  return [...labels.flatMap((l) => [l.length, ...bytes(l)]), 0];
}
function addr(...groups: number[]): number[] {
  return groups.flatMap(u16);
}
function msg(type: number, xid: number, ...opts: number[][]): Buffer {
  return Buffer.from([type, (xid >> 16) & 255, (xid >> 8) & 255, xid & 255, ...opts.flat()]);
}
function relay(type: number, hops: number, link: number[], peer: number[], ...opts: number[][]): Buffer {
  return Buffer.from([type, hops, ...link, ...peer, ...opts.flat()]);
}

const DUID_LLT = [0, 1, 0, 1, ...u32(0x25e5148e), 0x4c, 0x6a, 0xf6, 0x9f, 0xf6, 0x27];
const SERVER_DUID = [0, 3, 0, 1, 0x02, 0, 0, 0, 0, 0x01];
const LL = addr(0xfe80, 0, 0, 0, 0x4e6a, 0xf6ff, 0xfe9f, 0xf627);
const T0 = 1_600_000_000;

const conn = testConn({ uid: 'C6', origH: 'fe80::4e6a:f6ff:fe9f:f627', origP: 546, respH: 'ff02::1:2', respP: 547 });

function run(...datagrams: Buffer[]): { sink: RecordingSink; done: boolean; confirmed: boolean } {
  const sink = new RecordingSink();
  const a = createDhcpv6Factory().create(conn, sink);
  let ts = T0;
  for (const d of datagrams) {
    const big = Buffer.concat([Buffer.from([0xee]), d, Buffer.from([0xdd])]);
    a.deliver(true, big, 1, d.length, ts++);
  }
  return { sink, done: a.done, confirmed: a.confirmed };
}

test('factory shape', () => {
  const f = createDhcpv6Factory();
  assert.equal(f.service, 'dhcpv6');
  assert.equal(f.udp, true);
  assert.equal(f.tcp, false);
  assert.deepEqual([...f.ports], [546, 547]);
});

test('SOLICIT: DUID, MAC, FQDN, vendor/user class, ORO, IA_NA, elapsed time, rapid commit, MUD', () => {
  const solicit = msg(1, 0xd8e4fe,
    o(1, ...DUID_LLT),
    o(3, ...u32(0x0e0008ca), ...u32(0), ...u32(0)),
    o(8, ...u16(150)),
    o(6, ...u16(23), ...u16(24), ...u16(39)),
    o(39, 0x01, ...name('tv', 'home', 'arpa')),
    o(16, ...u32(311), ...u16(8), ...bytes('MSFT 5.0')),
    o(15, ...u16(3), ...bytes('abc'), ...u16(2), ...bytes('xy')),
    o(14),
    o(112, ...bytes('https://mud.example/x')),
  );
  const { sink, confirmed } = run(solicit);
  assert.equal(confirmed, true);
  assert.equal(sink.weirds.length, 0);
  assert.equal(sink.logs.length, 1);
  const l = sink.logs[0];
  assert.equal(l.path, 'dhcpv6');
  assert.equal(l.ts, T0);
  assert.equal(l.conn, conn);
  assert.deepEqual(l.fields, {
    msg_type: 'SOLICIT',
    trans_id: 0xd8e4fe,
    client_duid: '0001000125e5148e4c6af69ff627',
    mac: '4c:6a:f6:9f:f6:27',
    client_fqdn: 'tv.home.arpa',
    client_fqdn_flags: 1,
    vendor_enterprise: 311,
    vendor_class: ['MSFT 5.0'],
    user_class: ['abc', 'xy'],
    requested_options: [23, 24, 39],
    elapsed_time: 1.5,
    rapid_commit: true,
    mud_url: 'https://mud.example/x',
  });
});

test('REPLY: server DUID, addresses, prefixes, lifetimes, DNS, domain list, status', () => {
  const iaaddr = o(5, ...addr(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42), ...u32(3600), ...u32(7200));
  const iaprefix = o(26, ...u32(1000), ...u32(2000), 56, ...addr(0x2001, 0xdb8, 0xab, 0, 0, 0, 0, 0));
  const reply = msg(7, 0x000102,
    o(1, ...DUID_LLT),
    o(2, ...SERVER_DUID),
    o(3, ...u32(1), ...u32(1800), ...u32(2880), ...iaaddr, ...o(13, ...u16(0), ...bytes('ok'))),
    o(25, ...u32(2), ...u32(0), ...u32(0), ...iaprefix),
    o(23, ...addr(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888), ...addr(0, 0, 0, 0, 0, 0, 0, 1)),
    o(24, ...name('lan'), ...name('corp', 'example')),
    o(13, ...u16(2), ...bytes('no addrs')),
  );
  const { sink } = run(reply);
  assert.equal(sink.weirds.length, 0);
  const f = sink.logs[0].fields;
  assert.equal(f.msg_type, 'REPLY');
  assert.equal(f.trans_id, 0x102);
  assert.equal(f.server_duid, '00030001020000000001');
  assert.deepEqual(f.addrs, ['2001:db8::42']);
  assert.deepEqual(f.prefixes, ['2001:db8:ab::/56']);
  assert.equal(f.valid_lifetime, 7200);
  assert.deepEqual(f.dns_servers, ['2001:4860:4860::8888', '::1']);
  assert.deepEqual(f.domain_list, ['lan', 'corp.example']);
  // The top-level status wins over the one inside the IA.
  assert.equal(f.status_code, 2);
  assert.equal(f.status_message, 'no addrs');
  // DUID-LL with hardware type 1 also gives the MAC.
  assert.equal(duidMac(Buffer.from(SERVER_DUID), 0, SERVER_DUID.length), '02:00:00:00:00:01');
});

test('IA status is used when there is no top-level status', () => {
  const reply = msg(7, 5, o(3, ...u32(1), ...u32(0), ...u32(0), ...o(13, ...u16(2), ...bytes('none'))));
  const f = run(reply).sink.logs[0].fields;
  assert.equal(f.status_code, 2);
  assert.equal(f.status_message, 'none');
  assert.equal(f.addrs, undefined);
});

test('relayed SOLICIT: inner message fields plus relay envelope, option 79 MAC', () => {
  const inner = msg(1, 0xabcdef, o(1, 0, 2, ...u32(9), 1, 2, 3), o(6, ...u16(23)));
  const link = addr(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
  const r1 = relay(12, 0, link, LL, o(79, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff), o(9, ...inner));
  const r2 = relay(12, 1, addr(0, 0, 0, 0, 0, 0, 0, 0), addr(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1), o(9, ...r1));
  const { sink } = run(r2);
  assert.equal(sink.weirds.length, 0);
  assert.deepEqual(sink.logs[0].fields, {
    msg_type: 'SOLICIT',
    trans_id: 0xabcdef,
    relay_type: 'RELAY-FORW',
    relay_hops: 2,
    link_addr: '2001:db8:1::1',
    peer_addr: 'fe80::4e6a:f6ff:fe9f:f627',
    client_duid: '000200000009010203',
    mac: 'aa:bb:cc:dd:ee:ff',
    requested_options: [23],
  });
});

test('relay nesting is capped with a counter; relay without message is a weird', () => {
  let m: Buffer = msg(1, 1);
  for (let i = 0; i < 12; i++) m = relay(12, i, LL, LL, o(9, ...m));
  const { sink } = run(m);
  assert.equal(sink.counters.get('decoder.dhcpv6.relay_depth_capped'), 1);
  assert.equal(sink.logs[0].fields.msg_type, 'RELAY-FORW');
  assert.equal(sink.logs[0].fields.relay_hops, 8);
  const r = run(relay(13, 0, LL, LL, o(18, 1, 2)));
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['dhcpv6_relay_without_message']);
  assert.equal(r.sink.logs[0].fields.msg_type, 'RELAY-REPL');
  assert.equal(r.sink.logs[0].fields.trans_id, undefined);
});

test('option and list caps', () => {
  const opts: number[][] = [];
  for (let i = 0; i < 300; i++) opts.push(o(200));
  opts.push(o(14));
  const r = run(msg(1, 1, ...opts));
  assert.equal(r.sink.counters.get('decoder.dhcpv6.options_capped'), 1);
  assert.equal(r.sink.logs[0].fields.rapid_commit, undefined, 'options past the cap are not read');
  const p = new Dhcpv6Parser();
  const b = msg(1, 1, ...opts);
  assert.equal(p.parse(b, 0, b.length), ParseResult.Ok);
  assert.equal(p.optionsCapped, true);
  assert.equal(MAX_OPTIONS, 255);

  const oro: number[] = [];
  for (let i = 0; i < 100; i++) oro.push(...u16(i));
  const r2 = run(msg(1, 1, o(6, ...oro)));
  assert.equal((r2.sink.logs[0].fields.requested_options as number[]).length, 64);
  assert.equal(r2.sink.counters.get('decoder.dhcpv6.list_capped'), 1);
});

test('hostile strings are escaped', () => {
  const r = run(msg(1, 1, o(39, 0, ...name('<img src=x>', 'a\u0000b')), o(15, ...u16(3), 0x1b, 0x5b, 0x41)));
  const f = r.sink.logs[0].fields;
  assert.equal(f.client_fqdn, '<img src=x>.a\\x00b');
  assert.deepEqual(f.user_class, ['\\x1b[A']);
});

test('malformed input: weirds, no exception, non-DHCPv6 gives up', () => {
  const short = run(Buffer.from([1, 2]));
  assert.deepEqual(short.sink.weirds.map((w) => w.name), ['dhcpv6_truncated_message']);
  assert.equal(short.done, true);
  assert.equal(short.confirmed, false);
  const zero = run(Buffer.from([0, 1, 2, 3]));
  assert.deepEqual(zero.sink.weirds.map((w) => w.name), ['dhcpv6_bad_msg_type']);
  assert.equal(zero.done, true);
  assert.equal(zero.sink.logs.length, 0);

  // Option overrunning the datagram: weird, earlier options kept, not confirmed.
  const trunc = Buffer.concat([msg(3, 7, o(1, ...DUID_LLT)), Buffer.from([0, 39, 0, 50, 1])]);
  const t = run(trunc);
  assert.deepEqual(t.sink.weirds.map((w) => w.name), ['dhcpv6_truncated_option']);
  assert.equal(t.confirmed, false);
  assert.equal(t.done, false);
  assert.equal(t.sink.logs[0].fields.client_duid, '0001000125e5148e4c6af69ff627');

  // Bad FQDN (compression pointer) and bad lengths.
  const bad = run(msg(1, 1, o(39, 0, 0xc0, 0x0c), o(8, 1), o(3, 1, 2)));
  assert.deepEqual(bad.sink.weirds.map((w) => w.name), ['dhcpv6_bad_fqdn']);
  assert.equal(bad.sink.logs[0].fields.client_fqdn, undefined);
  assert.equal(bad.sink.logs[0].fields.elapsed_time, undefined);
  // Once confirmed, a bad datagram does not stop the flow.
  const seq = run(msg(1, 1), Buffer.from([0, 0]), msg(3, 2));
  assert.equal(seq.done, false);
  assert.deepEqual(seq.sink.logs.map((l) => l.fields.msg_type), ['SOLICIT', 'REQUEST']);
});

test('helpers: message names and RFC 5952 addresses', () => {
  assert.equal(msgTypeName(11), 'INFORMATION-REQUEST');
  assert.equal(msgTypeName(99), 'unknown-message-type-99');
  const b = (...g: number[]): Buffer => Buffer.from(addr(...g));
  assert.equal(ip6(b(0, 0, 0, 0, 0, 0, 0, 0), 0), '::');
  assert.equal(ip6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), 0), '2001:db8::1:0:0:1');
  assert.equal(ip6(b(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), 0), '2001:db8:0:1:1:1:1:1');
  assert.equal(ip6(b(0xff02, 0, 0, 0, 0, 0, 1, 2), 0), 'ff02::1:2');
  assert.equal(ip6(b(1, 0, 0, 0, 0, 0, 0, 0), 0), '1::');
  assert.equal(ip6(b(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001), 0), '::ffff:10.0.0.1');
});

test('fuzz: truncation at every length and bit flips never throw', () => {
  const base = relay(12, 0, LL, LL, o(79, 0, 1, 1, 2, 3, 4, 5, 6), o(9, ...msg(7, 9,
    o(1, ...DUID_LLT), o(2, ...SERVER_DUID),
    o(3, ...u32(1), ...u32(0), ...u32(0), ...o(5, ...LL, ...u32(1), ...u32(2), ...o(13, 0, 1))),
    o(25, ...u32(2), ...u32(0), ...u32(0), ...o(26, ...u32(1), ...u32(2), 48, ...LL)),
    o(39, 0, ...name('a', 'b')), o(24, ...name('x')), o(16, ...u32(1), ...u16(1), 0x41), o(15, ...u16(1), 0x42),
    o(23, ...LL), o(6, 0, 23), o(8, 0, 1))));
  const sink = new RecordingSink();
  const f = createDhcpv6Factory();
  for (let cut = 0; cut <= base.length; cut++) f.create(conn, sink).deliver(true, base, 0, cut, T0);
  let seed = 99;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(base);
    const flips = 1 + (rnd() % 6);
    for (let k = 0; k < flips; k++) b[rnd() % b.length] ^= 1 << (rnd() % 8);
    f.create(conn, sink).deliver(true, b, 0, b.length - (rnd() % 3), T0);
  }
  assert.ok(sink.logs.length > 0);
  assert.ok(sink.logs.every((l) => typeof l.fields.msg_type === 'string'));
});
