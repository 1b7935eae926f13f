import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTlsFactory, MAX_HELLO_BYTES } from '../../src/decode/app/tls/index.js';
import { parseClientHello, parseServerHello, ClientHello } from '../../src/decode/app/tls/hello.js';
import { ja3String, ja4, ja4Parts } from '../../src/decode/app/tls/fingerprint.js';
import { cipherName, curveName, isGrease, versionName } from '../../src/decode/app/tls/consts.js';
import type { AppAnalyzer, ConnInfo } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

// ---- byte builders (RFC 8446 §4 / RFC 5246 §7.4 layouts) ----

function u8(n: number): number[] { return [n & 255]; }
function u16(n: number): number[] { return [(n >> 8) & 255, n & 255]; }
function u24(n: number): number[] { return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; }
function vec8(b: number[]): number[] { return [...u8(b.length), ...b]; }
function vec16(b: number[]): number[] { return [...u16(b.length), ...b]; }
function list16(v: number[]): number[] { return v.flatMap(u16); }
function ascii(s: string): number[] { return [...Buffer.from(s, 'latin1')]; }

function ext(type: number, body: number[]): number[] { return [...u16(type), ...vec16(body)]; }
function sniExt(...names: string[]): number[] {
  return ext(0, vec16(names.flatMap((n) => [0, ...vec16(ascii(n))])));
}
function alpnExt(...protos: (string | number[])[]): number[] {
  return ext(16, vec16(protos.flatMap((p) => vec8(typeof p === 'string' ? ascii(p) : p))));
}
function groupsExt(...g: number[]): number[] { return ext(10, vec16(list16(g))); }
function pointsExt(...p: number[]): number[] { return ext(11, vec8(p)); }
function sigExt(...s: number[]): number[] { return ext(13, vec16(list16(s))); }
function versionsExt(...v: number[]): number[] { return ext(43, vec8(list16(v))); }
function keyShareClient(group: number): number[] { return ext(51, vec16([...u16(group), ...vec16(new Array(32).fill(7))])); }
function keyShareServer(group: number): number[] { return ext(51, [...u16(group), ...vec16(new Array(32).fill(9))]); }

interface Ch { version?: number; sid?: number[]; ciphers?: number[]; comp?: number[]; exts?: number[][] | null }
function clientHelloBody(c: Ch): number[] {
  const b = [...u16(c.version ?? 0x0303), ...new Array(32).fill(0x11), ...vec8(c.sid ?? []),
    ...vec16(list16(c.ciphers ?? [0xc02f])), ...vec8(c.comp ?? [0])];
  if (c.exts !== null) b.push(...vec16((c.exts ?? []).flat()));
  return b;
}
const HRR_RANDOM = [
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];
interface Sh { version?: number; random?: number[]; sid?: number[]; cipher?: number; exts?: number[][] | null }
function serverHelloBody(s: Sh): number[] {
  const b = [...u16(s.version ?? 0x0303), ...(s.random ?? new Array(32).fill(0x22)), ...vec8(s.sid ?? []),
    ...u16(s.cipher ?? 0xc02f), 0];
  if (s.exts !== null) b.push(...vec16((s.exts ?? []).flat()));
  return b;
}
function hs(type: number, body: number[]): number[] { return [type, ...u24(body.length), ...body]; }
function record(type: number, body: number[], ver = 0x0303): number[] { return [type, ...u16(ver), ...u16(body.length), ...body]; }
function hsRecord(...msgs: number[][]): number[] { return record(22, msgs.flat()); }
const CCS = record(20, [1]);
function appData(n = 40): number[] { return record(23, new Array(n).fill(0xab)); }

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const TLS_CONN = testConn({ proto: 'tcp', respP: 443 });

function newFlow(conn: ConnInfo = TLS_CONN): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createTlsFactory().create(conn, sink), sink };
}

/** Feeds [isOrig, bytes] steps, each split into chunks of `chunk` bytes (0 = whole). */
function run(steps: [boolean, number[]][], chunk = 0, conn?: ConnInfo): { a: AppAnalyzer; sink: RecordingSink } {
  const f = newFlow(conn);
  let ts = 1000;
  for (const [isOrig, bytes] of steps) {
    const b = Buffer.from(bytes);
    const n = chunk > 0 ? chunk : b.length;
    for (let i = 0; i < b.length; i += n) {
      // Views into a larger buffer, as the engine delivers them.
      const big = Buffer.concat([Buffer.from([0xee, 0xee]), b, Buffer.from([0xee])]);
      f.a.deliver(isOrig, big, 2 + i, Math.min(n, b.length - i), ts);
    }
    ts += 0.01;
  }
  return f;
}

// ---- a TLS 1.2 ECDHE handshake as browsers ran it before 1.3 ----

const CH12 = clientHelloBody({
  ciphers: [0x0a0a, 0xc02b, 0xc02f, 0x009c, 0x002f],
  exts: [ext(0x1a1a, []), sniExt('example.com'), ext(0xff01, [0]), groupsExt(0x2a2a, 29, 23, 24), pointsExt(0),
    alpnExt('h2', 'http/1.1'), sigExt(0x0403, 0x0804, 0x0401)],
});
const SH12 = serverHelloBody({ cipher: 0xc02f, exts: [ext(0xff01, [0]), alpnExt('h2'), pointsExt(0)] });
const CERT = hs(11, vec16(new Array(600).fill(0x30)).concat([0]));
const SKE = hs(12, [3, ...u16(23), ...vec8(new Array(65).fill(4)), ...u16(0x0401), ...vec16(new Array(64).fill(1))]);
const SHD = hs(14, []);
const CKE = hs(16, vec8(new Array(65).fill(4)));
const TLS12: [boolean, number[]][] = [
  [true, hsRecord(hs(1, CH12))],
  [false, hsRecord(hs(2, SH12), CERT, SKE, SHD)],
  [true, [...hsRecord(CKE), ...CCS, ...record(22, new Array(40).fill(0x5a))]],
  [false, [...CCS, ...record(22, new Array(40).fill(0x5b))]],
  [true, appData()],
];

test('TLS 1.2 handshake: Zeek ssl.log columns, history, established, fingerprints', () => {
  const { a, sink } = run(TLS12);
  const logs = sink.of('ssl');
  assert.equal(logs.length, 1);
  const r = logs[0];
  assert.equal(r.version, 'TLSv12');
  assert.equal(r.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.equal(r.curve, 'secp256r1');
  assert.equal(r.server_name, 'example.com');
  assert.equal(r.resumed, false);
  assert.equal(r.next_protocol, 'h2');
  assert.equal(r.established, true);
  assert.equal(r.ssl_history, 'CsxknGIi');
  assert.deepEqual(r.client_alpn, ['h2', 'http/1.1']);
  assert.equal(r.client_versions, undefined);
  assert.equal(r.ja3_string, '771,49195-49199-156-47,0-65281-10-11-16-13,29-23-24,0');
  assert.equal(r.ja3, md5('771,49195-49199-156-47,0-65281-10-11-16-13,29-23-24,0'));
  assert.equal(r.ja3s_string, '771,49199,65281-16-11');
  assert.equal(r.ja3s, md5('771,49199,65281-16-11'));
  assert.match(String(r.ja4), /^t12d0406h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  assert.ok(!('last_alert' in r), 'unset fields are absent');
  // Zeek column order, then package fingerprints, then our extras.
  assert.deepEqual(Object.keys(r), ['version', 'cipher', 'curve', 'server_name', 'resumed', 'next_protocol',
    'established', 'ssl_history', 'ja3', 'ja3s', 'ja4', 'client_alpn', 'ja3_string', 'ja3s_string']);
  assert.equal(sink.logs[0].ts, 1000, 'ts is the first TLS record');
  assert.equal(sink.logs[0].conn, TLS_CONN);
  assert.equal(a.confirmed, true);
  assert.equal(a.done, true, 'nothing cleartext after establishment');
  assert.equal(sink.weirds.length, 0);
  a.finish(2000);
  assert.equal(sink.of('ssl').length, 1, 'finish after done does not log twice');
});

test('TLS 1.2: byte-by-byte and odd-sized segments give the same record', () => {
  const whole = run(TLS12).sink.of('ssl');
  for (const chunk of [1, 2, 3, 7, 100]) {
    const got = run(TLS12, chunk).sink.of('ssl');
    assert.deepEqual(got, whole, 'chunk ' + chunk);
  }
});

test('ClientHello fragmented over two records and two segments (Chrome + Kyber style)', () => {
  const msg = hs(1, CH12);
  const cut = 50;
  const recs = [...record(22, msg.slice(0, cut), 0x0301), ...record(22, msg.slice(cut), 0x0301)];
  const steps: [boolean, number[]][] = [[true, recs.slice(0, 30)], [true, recs.slice(30)], ...TLS12.slice(1)];
  const got = run(steps).sink.of('ssl');
  assert.deepEqual(got, run(TLS12).sink.of('ssl'));
});

test('not established until the server finished: logged at finish with established=false', () => {
  const { a, sink } = run(TLS12.slice(0, 3));
  assert.equal(sink.of('ssl').length, 0, 'waits for the handshake to complete');
  assert.equal(a.done, false);
  a.finish(1234);
  const r = sink.of('ssl')[0];
  assert.equal(r.established, false);
  assert.equal(r.ssl_history, 'CsxknGI');
});

// ---- TLS 1.3 ----

const SID = new Array(32).fill(0).map((_, i) => i + 1);
function ch13(extra: number[][] = [], ciphers = [0x1301, 0x1302, 0x1303]): number[] {
  return clientHelloBody({
    sid: SID, ciphers,
    exts: [sniExt('www.example.org'), groupsExt(29, 23), sigExt(0x0403, 0x0804), versionsExt(0x7a7a, 0x0304, 0x0303),
      keyShareClient(29), alpnExt('h2'), ...extra],
  });
}
function sh13(opts: { random?: number[]; group?: number; extra?: number[][] } = {}): number[] {
  return serverHelloBody({
    sid: SID, cipher: 0x1301, random: opts.random,
    exts: [versionsExt13(), keyShareServer(opts.group ?? 29), ...(opts.extra ?? [])],
  });
}
function versionsExt13(): number[] { return ext(43, u16(0x0304)); }

test('TLS 1.3: version from supported_versions, key_share curve, CCS ignored, established on client data', () => {
  const { a, sink } = run([
    [true, hsRecord(hs(1, ch13()))],
    [false, [...hsRecord(hs(2, sh13())), ...CCS, ...appData(), ...appData()]],
    [true, [...CCS]],
  ]);
  assert.equal(sink.of('ssl').length, 0, 'client has not sent encrypted data yet');
  a.deliver(true, Buffer.from(appData()), 0, appData().length, 1001);
  const r = sink.of('ssl')[0];
  assert.equal(r.version, 'TLSv13');
  assert.equal(r.cipher, 'TLS_AES_128_GCM_SHA256');
  assert.equal(r.curve, 'x25519');
  assert.equal(r.server_name, 'www.example.org');
  assert.equal(r.resumed, false, 'compat-mode echoed session id is not a resumption');
  assert.equal(r.established, true);
  assert.equal(r.ssl_history, 'CsiI');
  assert.deepEqual(r.client_versions, ['TLSv13', 'TLSv12']);
  assert.equal(r.ja3s_string, '771,4865,43-51');
  assert.equal(a.done, true);
});

test('TLS 1.3 HelloRetryRequest: j, second ClientHello in clear, first hello fingerprinted', () => {
  const first = ch13();
  const second = ch13([], [0x1302]);
  const { sink } = run([
    [true, hsRecord(hs(1, first))],
    [false, [...hsRecord(hs(2, serverHelloBody({ sid: SID, cipher: 0x1302, random: HRR_RANDOM,
      exts: [versionsExt13(), ext(51, u16(23))] }))), ...CCS]],
    [true, [...CCS, ...hsRecord(hs(1, second))]],
    [false, [...hsRecord(hs(2, sh13({ group: 23 }))), ...appData()]],
    [true, appData()],
  ]);
  const r = sink.of('ssl')[0];
  assert.equal(r.ssl_history, 'CjiICs');
  assert.equal(r.curve, 'secp256r1');
  assert.equal(r.established, true);
  const parsed = parseClientHello(Buffer.from(first), 0, first.length) as ClientHello;
  assert.equal(r.ja3_string, ja3String(parsed));
});

test('TLS 1.3 PSK accepted: resumed', () => {
  const { sink } = run([
    [true, hsRecord(hs(1, ch13([ext(45, vec8([1])), ext(41, [0, 1, 2, 3])])))],
    [false, [...hsRecord(hs(2, sh13({ extra: [ext(41, u16(0))] }))), ...appData()]],
    [true, appData()],
  ]);
  assert.equal(sink.of('ssl')[0].resumed, true);
});

test('TLS 1.2 resumption by session id and by session ticket', () => {
  const sid = new Array(32).fill(0x42);
  const bySid = run([
    [true, hsRecord(hs(1, clientHelloBody({ sid })))],
    [false, [...hsRecord(hs(2, serverHelloBody({ sid }))), ...CCS, ...record(22, [1, 2, 3])]],
    [true, [...CCS, ...record(22, [1, 2, 3])]],
  ]).sink.of('ssl')[0];
  assert.equal(bySid.resumed, true);
  assert.equal(bySid.ssl_history, 'CsiI');
  assert.equal(bySid.established, true);

  const otherSid = run([
    [true, hsRecord(hs(1, clientHelloBody({ sid })))],
    [false, hsRecord(hs(2, serverHelloBody({ sid: new Array(32).fill(0x43) })))],
  ]);
  otherSid.a.finish(1);
  assert.equal(otherSid.sink.of('ssl')[0].resumed, false);

  const byTicket = run([
    [true, hsRecord(hs(1, clientHelloBody({ exts: [ext(35, [9, 9, 9, 9])] })))],
    [false, [...hsRecord(hs(2, serverHelloBody({ exts: [ext(35, [])] }))), ...CCS]],
    [true, CCS],
  ]);
  byTicket.a.finish(1);
  assert.equal(byTicket.sink.of('ssl')[0].resumed, true);

  const fullHandshake = run([
    [true, hsRecord(hs(1, clientHelloBody({ exts: [ext(35, [9, 9, 9, 9])] })))],
    [false, hsRecord(hs(2, serverHelloBody({})), SHD)],
    [true, [...hsRecord(CKE), ...CCS]],
  ]);
  fullHandshake.a.finish(1);
  assert.equal(fullHandshake.sink.of('ssl')[0].resumed, false, 'key exchange means a new session');
});

test('cleartext alert: Cl, last_alert, logged at finish', () => {
  const { a, sink } = run([
    [true, hsRecord(hs(1, CH12))],
    [false, record(21, [2, 70])],
  ]);
  a.finish(5);
  const r = sink.of('ssl')[0];
  assert.equal(r.ssl_history, 'Cl');
  assert.equal(r.last_alert, 'protocol_version');
  assert.equal(r.established, false);
  assert.equal(r.version, undefined);
  assert.equal(r.ja3s, undefined);
  assert.ok(typeof r.ja3 === 'string');
});

test('alerts split across segments and several alerts per record', () => {
  const { a, sink } = run([[true, hsRecord(hs(1, CH12))], [false, record(21, [1, 0, 2, 40])]], 1);
  a.finish(5);
  const r = sink.of('ssl')[0];
  assert.equal(r.ssl_history, 'Cll');
  assert.equal(r.last_alert, 'handshake_failure');
});

test('ClientHello from the responder: history starts with ^ and letters follow roles', () => {
  const { a, sink } = run([[false, hsRecord(hs(1, CH12))], [true, hsRecord(hs(2, SH12))]]);
  a.finish(1);
  assert.equal(sink.of('ssl')[0].ssl_history, '^Cs');
});

// ---- fingerprints: the vectors of formats.md §1.12 ----

test('JA3 vectors from formats.md', () => {
  const bodyA = clientHelloBody({
    version: 0x0301, ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
    exts: [ext(0, []), groupsExt(23, 24, 25), pointsExt(0)],
  });
  const chA = parseClientHello(Buffer.from(bodyA), 0, bodyA.length) as ClientHello;
  assert.equal(typeof parseClientHello(Buffer.from(bodyA), 0, bodyA.length + 1), 'string', 'length past the buffer');
  assert.equal(ja3String(chA), '769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0');
  assert.equal(md5(ja3String(chA)), 'ada70206e40642a3e4461f35503241d5');
  const bodyB = clientHelloBody({ version: 0x0301, ciphers: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99], exts: null });
  const chB = parseClientHello(Buffer.from(bodyB), 0, bodyB.length) as ClientHello;
  assert.equal(ja3String(chB), '769,4-5-10-9-100-98-3-6-19-18-99,,,');
  assert.equal(md5(ja3String(chB)), 'de350869b8c85de67a350c8d186f11e6');
});

const JA4_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
  0x009c, 0x009d, 0x002f, 0x0035];
const JA4_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
function ja4Hello(alpn: number[] | null, extraFirst: number[][] = []): ClientHello {
  // Extension order of the FoxIO reference test, with GREASE sprinkled in (must be ignored).
  const exts: number[][] = [...extraFirst, ext(0x1b, [0]), sniExt('example.com'), ext(0x33, []),
    ...(alpn === null ? [] : [ext(16, vec16(vec8(alpn)))]), ext(0x4469, []), ext(0x17, []), ext(0x2d, vec8([1])),
    sigExt(0x0a0a, ...JA4_SIGS), ext(0x05, []), ext(0x23, []), ext(0x12, []), versionsExt(0xfafa, 0x0304, 0x0303),
    ext(0xff01, [0]), pointsExt(0), groupsExt(29), ext(0x15, [0, 0])];
  const body = clientHelloBody({ ciphers: [0x4a4a, ...JA4_CIPHERS], exts });
  const r = parseClientHello(Buffer.from(body), 0, body.length);
  assert.notEqual(typeof r, 'string');
  return r as ClientHello;
}

test('JA4 vector from formats.md (GREASE removed, sorted, sig algs in order)', () => {
  const ch = ja4Hello(ascii('h2'), [ext(0x2a2a, [])]);
  assert.equal(ja4(ch), 't13d1516h2_8daaf6152771_e5627efa2ab1');
  const p = ja4Parts(ch);
  assert.equal(p.b, '002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9');
  assert.equal(p.c, '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
});

test('JA4 ALPN characters, counts, missing parts', () => {
  const alpnOf = (v: number[] | null): string => ja4(ja4Hello(v)).slice(8, 10);
  assert.equal(alpnOf(ascii('http/1.1')), 'h1');
  assert.equal(alpnOf(ascii('x')), 'xx');
  assert.equal(alpnOf([0xab, 0xcd]), 'ad');
  assert.equal(alpnOf([0x68, 0xff]), '6f');
  assert.equal(alpnOf([]), '00');
  assert.equal(alpnOf(null), '00');
  assert.equal(ja4(ja4Hello(null)).slice(0, 8), 't13d1515', 'ALPN extension counts when present only');
  // No SNI, no extensions, no ciphers: "i", zero counts and zero hashes.
  const bare = clientHelloBody({ version: 0x0301, ciphers: [], exts: null });
  const ch = parseClientHello(Buffer.from(bare), 0, bare.length) as ClientHello;
  assert.equal(ja4(ch), 't10i000000_000000000000_000000000000');
  // Counts cap at 99.
  const many = clientHelloBody({ ciphers: Array.from({ length: 120 }, (_, i) => 0x100 + i), exts: null });
  assert.equal(ja4(parseClientHello(Buffer.from(many), 0, many.length) as ClientHello).slice(0, 10), 't12i990000');
  // Drafts and unknown versions map to 00 (the highest supported_version wins).
  const draft = clientHelloBody({ exts: [versionsExt(0x7f12, 0x0303)] });
  assert.equal(ja4(parseClientHello(Buffer.from(draft), 0, draft.length) as ClientHello).slice(0, 3), 't00');
});

test('GREASE test, names', () => {
  for (let h = 0; h < 16; h++) assert.equal(isGrease(h * 0x1010 + 0x0a0a), true);
  assert.equal(isGrease(0x0a1a), false);
  assert.equal(isGrease(0x0303), false);
  assert.equal(versionName(0x7f1c), 'TLSv13-draft28');
  assert.equal(versionName(0x0300), 'SSLv3');
  assert.equal(versionName(0x1234), 'unknown-4660');
  assert.equal(cipherName(0x1302), 'TLS_AES_256_GCM_SHA384');
  assert.equal(cipherName(0xbeef), 'unknown-48879');
  assert.equal(curveName(25497), 'X25519Kyber768Draft00');
});

// ---- strings, caps, malformed input ----

test('SNI: first host_name kept, several names weird, hostile bytes escaped and capped', () => {
  const long = 'a'.repeat(300);
  const evil = '<script>\x00\x1b[31m';
  const { a, sink } = run([[true, hsRecord(hs(1, clientHelloBody({ exts: [sniExt(evil, long)] })))]]);
  a.finish(1);
  const r = sink.of('ssl')[0];
  assert.equal(r.server_name, '<script>\\x00\\x1b[31m');
  assert.deepEqual(sink.weirds.map((w) => w.name), ['tls_many_server_names']);
  const { a: a2, sink: s2 } = run([[true, hsRecord(hs(1, clientHelloBody({ exts: [sniExt(long)] })))]]);
  a2.finish(1);
  assert.equal(String(s2.of('ssl')[0].server_name).length, 256);
});

test('ALPN list capped at 16 with a counter', () => {
  const names = Array.from({ length: 20 }, (_, i) => 'p' + i);
  const { a, sink } = run([[true, hsRecord(hs(1, clientHelloBody({ exts: [alpnExt(...names)] })))]]);
  a.finish(1);
  assert.deepEqual(sink.of('ssl')[0].client_alpn, names.slice(0, 16));
  assert.equal(sink.counters.get('decoder.tls.list_capped'), 1);
});

test('ClientHello larger than 16 KiB: counter, weird, done, no throw', () => {
  const f = newFlow();
  const hdr = [22, 3, 1, ...u16(16384), 1, ...u24(MAX_HELLO_BYTES + 1)];
  f.a.deliver(true, Buffer.from([...hdr, ...new Array(1000).fill(0)]), 0, hdr.length + 1000, 1);
  assert.equal(f.a.done, true);
  assert.equal(f.sink.counters.get('decoder.tls.hello_too_large'), 1);
  assert.deepEqual(f.sink.weirds.map((w) => w.name), ['tls_hello_too_large']);
  // A hello of exactly the cap, spread over two records, is still parsed.
  const pad = MAX_HELLO_BYTES - clientHelloBody({ exts: [] }).length - 4;
  const body = clientHelloBody({ exts: [ext(21, new Array(pad).fill(0))] });
  assert.equal(body.length, MAX_HELLO_BYTES);
  const msg = hs(1, body);
  const g = run([[true, [...record(22, msg.slice(0, 16000)), ...record(22, msg.slice(16000))]]], 1500);
  g.a.finish(1);
  assert.equal(g.sink.weirds.length, 0);
  assert.match(String(g.sink.of('ssl')[0].ja3_string), /,21,/);
});

test('ssl_history is capped at 100 letters', () => {
  const beats = Array.from({ length: 120 }, () => record(24, [1, 0, 0])).flat();
  const { a, sink } = run([[true, hsRecord(hs(1, CH12))], [true, beats]]);
  a.finish(1);
  const h = String(sink.of('ssl')[0].ssl_history);
  assert.equal(h.length, 100);
  assert.equal(h, 'C' + 'B'.repeat(99));
  assert.equal(sink.counters.get('decoder.tls.history_capped'), 1);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['tls_max_history_length_reached']);
});

test('non-TLS bytes on a TLS port: quietly not TLS, no record', () => {
  const { a, sink } = run([[true, ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]]);
  a.finish(1);
  assert.equal(a.done, true);
  assert.equal(a.confirmed, false);
  assert.equal(sink.logs.length, 0);
  assert.equal(sink.weirds.length, 0);
  assert.equal(sink.counters.get('decoder.tls.not_tls'), 1);
});

test('SSLv2-framed hello: weird and stop', () => {
  const { a, sink } = run([[true, [0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15]]]);
  assert.equal(a.done, true);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['tls_sslv2_unsupported']);
});

test('bad record after a good one: weird, record written, done', () => {
  const { a, sink } = run([[true, hsRecord(hs(1, CH12))], [false, [0x99, 3, 3, 0, 2, 0, 0]]]);
  assert.equal(a.done, true);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['tls_invalid_record']);
  assert.equal(sink.of('ssl').length, 1);
  const long = run([[true, hsRecord(hs(1, CH12))], [false, [22, 3, 3, 0x50, 0x00]]]);
  assert.deepEqual(long.sink.weirds.map((w) => w.name), ['tls_record_too_long']);
  assert.equal(long.a.done, true);
});

test('malformed hellos and extensions become weirds', () => {
  const badExtLen = clientHelloBody({ exts: null }).concat(u16(10), 0, 0);
  const { a, sink } = run([[true, hsRecord(hs(1, badExtLen))]]);
  a.finish(1);
  assert.deepEqual(sink.weirds.map((w) => [w.name, w.addl]), [['tls_client_hello_malformed', 'bad_extensions']]);
  assert.equal(sink.of('ssl')[0].ja3, undefined);
  assert.equal(sink.of('ssl')[0].ssl_history, 'C');
  const badSni = run([[true, hsRecord(hs(1, clientHelloBody({ exts: [ext(0, [0, 9, 0, 0, 1])] })))]]);
  badSni.a.finish(1);
  assert.deepEqual(badSni.sink.weirds.map((w) => [w.name, w.addl]), [['tls_extension_malformed', 'client 0']]);
  assert.match(String(badSni.sink.of('ssl')[0].ja3_string), /,0,/, 'the extension still counts');
  const shBad = run([[true, hsRecord(hs(1, CH12))], [false, hsRecord(hs(2, [3, 3, 1, 2]))]]);
  shBad.a.finish(1);
  assert.deepEqual(shBad.sink.weirds.map((w) => [w.name, w.addl]), [['tls_server_hello_malformed', 'truncated']]);
});

test('gaps: inside a skipped certificate the analysis goes on; inside a hello it stops', () => {
  const f = newFlow();
  const steps = TLS12;
  const sendAll = (isOrig: boolean, b: number[]): void => f.a.deliver(isOrig, Buffer.from(b), 0, b.length, 1);
  sendAll(true, steps[0][1]);
  const srv = steps[1][1];
  // Record header (5) + SH message (4 + SH12) + cert header (4) + 100 cert bytes, then a hole of 200.
  const cut = 5 + 4 + SH12.length + 4 + 100;
  sendAll(false, srv.slice(0, cut));
  f.a.gap(false, 200);
  sendAll(false, srv.slice(cut + 200));
  sendAll(true, steps[2][1]);
  sendAll(false, steps[3][1]);
  const r = f.sink.of('ssl')[0];
  assert.equal(r.established, true);
  assert.equal(r.ssl_history, 'CsxknGIi');
  assert.equal(f.sink.counters.get('decoder.tls.gap_abort'), undefined);

  const g = newFlow();
  const ch = steps[0][1];
  g.a.deliver(true, Buffer.from(ch.slice(0, 40)), 0, 40, 1);
  g.a.gap(true, 10);
  assert.equal(g.a.done, true);
  assert.equal(g.sink.counters.get('decoder.tls.gap_abort'), 1);
  assert.equal(g.sink.logs.length, 0, 'nothing understood, nothing logged');
});

test('sniff: only a ClientHello handshake record', () => {
  const fac = createTlsFactory();
  assert.equal(fac.service, 'ssl');
  assert.equal(fac.tcp, true);
  assert.equal(fac.udp, false);
  for (const p of [443, 8443, 993, 995, 465, 853, 5061, 8883]) assert.ok(fac.ports.includes(p), String(p));
  const ch = Buffer.from(hsRecord(hs(1, CH12)));
  assert.equal(fac.sniff?.(true, ch, 0, ch.length), true);
  const v10 = Buffer.from(record(22, hs(1, CH12), 0x0301));
  assert.equal(fac.sniff?.(true, v10, 0, v10.length), true);
  const sh = Buffer.from(hsRecord(hs(2, SH12)));
  assert.equal(fac.sniff?.(false, sh, 0, sh.length), false);
  const http = Buffer.from('GET / HTTP/1.1\r\n');
  assert.equal(fac.sniff?.(true, http, 0, http.length), false);
  assert.equal(fac.sniff?.(true, ch, 0, 5), false);
  assert.equal(fac.sniff?.(true, ch, ch.length - 3, 6), false, 'never reads past the buffer');
  const bad = Buffer.from([0x16, 0x03, 0x05, 0, 10, 1]);
  assert.equal(fac.sniff?.(true, bad, 0, 6), false);
});

test('parsers never read outside (buf, off, len)', () => {
  const body = Buffer.from([0xff, 0xff, ...CH12, 0xff]);
  const ok = parseClientHello(body, 2, CH12.length);
  assert.notEqual(typeof ok, 'string');
  for (let n = 0; n < CH12.length; n++) {
    const r = parseClientHello(body, 2, n);
    // A prefix is either rejected or parsed as a hello without extensions (SSLv3 style).
    if (typeof r !== 'string') assert.ok(r.extensions.length === 0, 'prefix ' + n);
  }
  const shb = Buffer.from(SH12);
  for (let n = 0; n < SH12.length; n++) parseServerHello(shb, 0, n);
});

test('fuzz: truncation at every length and bit flips never throw', () => {
  const streams: [boolean, number[]][][] = [TLS12, [
    [true, hsRecord(hs(1, ch13([ext(41, [0, 1])])))],
    [false, [...hsRecord(hs(2, sh13())), ...CCS, ...appData()]],
    [true, [...CCS, ...appData()]],
  ]];
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  for (const steps of streams) {
    const flat: [boolean, number][] = steps.flatMap(([o, b]) => b.map((x) => [o, x] as [boolean, number]));
    for (let cut = 0; cut <= flat.length; cut++) {
      const f = newFlow();
      for (let i = 0; i < cut; i++) f.a.deliver(flat[i][0], Buffer.from([flat[i][1]]), 0, 1, 1);
      f.a.finish(2);
      assert.ok(f.sink.of('ssl').length <= 1);
    }
    for (let iter = 0; iter < 600; iter++) {
      const mutated = steps.map(([o, b]) => [o, b.slice()] as [boolean, number[]]);
      for (let k = 0; k < 1 + rnd(6); k++) {
        const s = mutated[rnd(mutated.length)][1];
        const i = rnd(s.length);
        s[i] = rnd(3) === 0 ? rnd(256) : s[i] ^ (1 << rnd(8));
      }
      const f = run(mutated, 1 + rnd(40));
      f.a.gap(rnd(2) === 0, rnd(100));
      f.a.finish(3);
      assert.ok(f.sink.of('ssl').length <= 1);
    }
  }
  // Pure garbage.
  for (let iter = 0; iter < 200; iter++) {
    const b = Buffer.from(Array.from({ length: 1 + rnd(300) }, () => rnd(256)));
    if (iter % 2 === 0) { b[0] = 22; b[1] = 3; b[2] = 1; }
    const f = newFlow();
    f.a.deliver(true, b, 0, b.length, 1);
    f.a.deliver(false, b, 0, b.length, 1);
    f.a.finish(1);
  }
});

test('edge records: empty record, unknown handshake type, all-zero session id, alert caps', () => {
  const zeroSid = new Array(32).fill(0);
  const { a, sink } = run([
    [true, [...record(22, []), ...hsRecord(hs(1, clientHelloBody({ sid: zeroSid })))]],
    [false, hsRecord(hs(2, serverHelloBody({ sid: zeroSid })), hs(99, [1, 2]), SHD)],
    [false, record(21, new Array(12).fill(0).flatMap(() => [1, 0]))],
  ]);
  a.finish(1);
  const r = sink.of('ssl')[0];
  assert.equal(r.resumed, false, 'an all-zero session id is a placeholder');
  assert.equal(r.ssl_history, 'Cszn' + 'l'.repeat(10));
  assert.deepEqual(sink.weirds.map((w) => w.name), ['tls_excessive_alerts_in_record']);
  // TLS 1.3 allows one alert per record.
  const t13 = run([[true, hsRecord(hs(1, ch13()))], [false, [...hsRecord(hs(2, sh13())), ...record(21, [2, 40, 2, 40])]]]);
  t13.a.finish(1);
  assert.equal(t13.sink.of('ssl')[0].ssl_history, 'Csl');
});

test('0-RTT: client application data before the ServerHello counts as encrypted', () => {
  const { a, sink } = run([
    [true, [...hsRecord(hs(1, ch13([ext(42, [])]))), ...appData()]],
    [false, [...hsRecord(hs(2, sh13())), ...appData()]],
  ]);
  const r = sink.of('ssl')[0];
  assert.equal(r.established, true);
  assert.equal(r.ssl_history, 'Cs');
  assert.equal(a.done, true);
});

test('flow picked up mid-stream (first record not a handshake): no record, no weird, done', () => {
  for (const first of [appData(), record(21, new Array(26).fill(0x77)), CCS]) {
    const { a, sink } = run([[false, first], [true, appData()]]);
    a.finish(1);
    assert.equal(a.done, true);
    assert.equal(sink.logs.length, 0);
    assert.equal(sink.weirds.length, 0);
    assert.equal(sink.counters.get('decoder.tls.midstream'), 1);
  }
});
