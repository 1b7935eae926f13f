/**
 * Every format on hand-written input (test/intel/parse-samples.ts): what is kept, in canonical
 * form, with which description/reference/category/severity; what is skipped and why; what is
 * malformed (counted, with examples, never fatal). Also format detection and normalisation rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFormat, parseFeed } from '../../src/intel/parse/index.js';
import { loadIntelFiles } from '../../src/intel/load.js';
import type { FeedDefaults, Indicator } from '../../src/intel/types.js';
import { canonicalNet, normalizeDomain, normalizeUrl } from '../../src/intel/normalize.js';
import * as S from './parse-samples.js';

const D: FeedDefaults = { feed: 'test', category: 'suspicious', severity: 'medium', reference: 'https://feed.example/' };

/** `type value[:port]` of each indicator, in order. */
function vals(list: readonly Indicator[]): string[] {
  return list.map((i) => i.type + ' ' + i.value + (i.port > 0 ? ' :' + i.port : ''));
}

test('plain: addresses, networks, ranges, ip:port, domains, URLs; reserved space and broad nets skipped', () => {
  const r = parseFeed(S.PLAIN, 'plain', D);
  assert.deepEqual(vals(r.indicators), [
    'ip 1.2.3.4',
    'cidr 1.2.3.0/24', // host bits cleared
    'ip 5.6.7.8',
    'ip 2a00:1450:4001:812::200e', // RFC 5952: lower case, no leading zeros, longest zero run compressed
    'ip 45.33.2.9', // IPv4-mapped IPv6 → IPv4
    'domain evil.example.com', // lower case, trailing dot dropped
    'domain bad.example', // "*." dropped
    'url evil.example/Path?q=1', // scheme, default port and the path's trailing "/" dropped; path case kept
    'ip 45.33.2.10 :8080',
    'cidr 1.2.4.0/23', // the range 1.2.4.0 - 1.2.5.255
  ]);
  assert.equal(r.indicators[2].description, 'SBL123'); // "; comment" on the line
  // 10.0.0.1 192.168.1.0/24 100.64.1.1 169.254.1.1 127.0.0.1 224.0.0.251 fe80::1 fc00::1 2001:db8::1 0.0.0.0/0
  assert.deepEqual(r.skippedBy, { reserved: 10, broad: 1, duplicate: 1 }); // 16.0.0.0/4; 1.2.3.4 twice
  assert.equal(r.malformed, 3);
  assert.deepEqual(r.examples, ['1.2.3.256', 'not a value!', '45.33.2.11/33']);
  assert.equal(r.skipped, 12);
});

test('plain: keepReserved keeps private space (for tests of other modules)', () => {
  const r = parseFeed('10.0.0.1\n192.168.0.0/16\n', 'plain', D, { keepReserved: true });
  assert.deepEqual(vals(r.indicators), ['ip 10.0.0.1', 'cidr 192.168.0.0/16']);
});

test('FireHOL: data lines must be addresses or networks; examples capped at 5 and truncated', () => {
  const r = parseFeed(S.FIREHOL, 'firehol', D);
  assert.deepEqual(vals(r.indicators), ['cidr 45.33.2.0/24', 'cidr 45.33.4.0/24', 'ip 45.33.5.1']);
  assert.equal(r.malformed, 6); // hello, "… trailing", 300 x, 1.1.1, ::1::, zz
  assert.equal(r.examples.length, 5);
  assert.equal(r.examples[2], 'x'.repeat(120) + '…');
  assert.equal(r.header.Entries, '3 subnets, 513 unique IPs');
});

test('hosts: sinkhole lines, several names per line, localhost boilerplate skipped', () => {
  const r = parseFeed(S.HOSTS, 'hosts', D);
  assert.deepEqual(vals(r.indicators), ['domain ads.example.com', 'domain tracker.example.net', 'domain malware.example.org', 'ip 45.33.2.20']);
  assert.equal(r.indicators[0].description, 'two names');
  // localhost; localhost ip6-localhost ip6-loopback; 0.0.0.0; broadcasthost
  assert.deepEqual(r.skippedBy, { localhost: 6 });
  assert.equal(r.malformed, 3);
});

test('domains: adblock and wildcard forms; single labels and empty labels are malformed', () => {
  const r = parseFeed(S.DOMAINS, 'domains', D);
  assert.deepEqual(vals(r.indicators), ['domain ads.example', 'domain wild.example', 'domain plain.example', 'ip 45.33.2.21', 'domain trailing.example']);
  assert.deepEqual(r.examples, ['bad..example', 'com']);
});

test('abuse.ch Feodo CSV: unprefixed header, ip + port, family, per-host reference', () => {
  const r = parseFeed(S.FEODO_CSV, 'abusech-csv', { ...D, category: 'c2', severity: 'high' });
  assert.deepEqual(vals(r.indicators), ['ip 51.178.161.32 :4643', 'ip 51.178.161.32 :443']); // same host, two ports: two entries
  assert.equal(r.indicators[0].description, 'Dridex');
  assert.equal(r.indicators[0].reference, 'https://feodotracker.abuse.ch/browse/host/51.178.161.32/');
  assert.equal(r.indicators[0].category, 'c2');
  assert.deepEqual(r.skippedBy, { reserved: 1 });
  assert.equal(r.malformed, 2); // not-an-ip; unterminated quote
});

test('abuse.ch URLhaus CSV: commented header, quoted values, URL page as reference', () => {
  const r = parseFeed(S.URLHAUS_CSV, 'abusech-csv', D);
  assert.deepEqual(vals(r.indicators), ['url 45.33.2.30/bins/x.sh', 'url dl.evil.example/a.exe?x=1']);
  assert.equal(r.indicators[0].description, 'malware_download (elf,mirai)');
  assert.equal(r.indicators[0].reference, 'https://urlhaus.abuse.ch/url/3412345/');
  assert.equal(r.indicators[1].description, 'malware_download'); // tags "None" dropped
  assert.deepEqual(r.skippedBy, { reserved: 1 }); // http://10.1.2.3/x
  assert.equal(r.malformed, 1);
});

test('abuse.ch ThreatFox CSV: ", " separators, ioc types, threat type → category', () => {
  const r = parseFeed(S.THREATFOX_CSV, 'abusech-csv', D);
  assert.deepEqual(vals(r.indicators), [
    'ip 45.95.147.236 :1337', 'domain evil-c2.example', 'url dl.evil.example/a.exe', 'hash d41d8cd98f00b204e9800998ecf8427e',
  ]);
  assert.deepEqual(r.indicators.map((i) => i.category), ['c2', 'c2', 'malware', 'malware']);
  assert.equal(r.indicators[0].description, 'Mirai (mirai)');
  assert.equal(r.indicators[1].reference, 'https://threatfox.abuse.ch/ioc/1273542/');
  assert.deepEqual(r.skippedBy, { unsupported: 1 }); // email
  assert.equal(r.malformed, 1); // 300.1.1.1:80
});

test('abuse.ch SSLBL JA3 CSV: commented header; hashes lower-cased', () => {
  const r = parseFeed(S.SSLBL_JA3, 'abusech-csv', D);
  assert.deepEqual(vals(r.indicators), ['ja3 b386946a5a44d1ddcc843bc75336dfce', 'ja3 8991a387e4cc841740f25d6f5139f92d']);
  assert.deepEqual(r.indicators.map((i) => i.description), ['Dridex', 'Adwind']);
  assert.equal(r.malformed, 1);
});

test('Zeek intel: types, meta columns, do_notice, whitelist, remove, bad rows', () => {
  const r = parseFeed(S.ZEEK_INTEL, 'zeek-intel', D);
  assert.deepEqual(vals(r.indicators), [
    'ip 45.33.2.40', 'cidr 45.33.8.0/22', 'domain evil.example', 'url evil.example/gate.php',
    'ja3 b386946a5a44d1ddcc843bc75336dfce', 'hash aabbccddeeff00112233445566778899aabbccdd', 'hash ' + '0'.repeat(64),
  ]);
  const ip = r.indicators[0];
  assert.equal(ip.description, 'srcA: C2 server');
  assert.equal(ip.reference, 'http://a.example/1');
  assert.equal(ip.severity, 'high'); // meta.do_notice T
  assert.equal(r.indicators[1].severity, 'medium'); // F
  assert.equal(r.indicators[1].reference, D.reference); // meta.url "-"
  assert.deepEqual(r.allow, ['good.example']);
  assert.deepEqual(r.skippedBy, { unsupported: 1, allow: 1, removed: 1 });
  // junk before #fields, short line, unknown type, bad address, SUBNET without prefix
  assert.equal(r.malformed, 5);
});

test('Maltrail: blocks, references, aliases, scheme and trailing-slash rules, paths', () => {
  const r = parseFeed(S.MALTRAIL, 'maltrail', D);
  assert.deepEqual(vals(r.indicators), [
    'domain evil-one.example', 'ip 45.33.2.50 :23', 'ip 45.33.2.51', 'ip 45.33.2.52 :8080', 'url /bins/tb.arm7',
    'url evil-one.example/gate.php?id=1', 'cidr 45.33.9.0/24', 'domain evil-two.example',
  ]);
  assert.deepEqual(r.indicators.map((i) => i.reference), [...Array(7).fill('https://ref.example/one'), 'https://ref.example/two']);
  assert.equal(r.indicators[6].description, 'scanners.example');
  assert.equal(r.header.aliases, 'testbot, tb');
  assert.equal(r.malformed, 2);
});

test('IPsum: threshold and severity by count', () => {
  const r = parseFeed(S.IPSUM, 'ipsum', { ...D, severity: 'low' });
  assert.deepEqual(vals(r.indicators), ['ip 45.33.2.60', 'ip 45.33.2.61', 'ip 45.33.2.62']);
  assert.deepEqual(r.indicators.map((i) => i.severity), ['high', 'medium', 'low']);
  assert.deepEqual(r.skippedBy, { 'below-min': 1, reserved: 1 });
  assert.equal(r.malformed, 2);
  const d = parseFeed(S.IPSUM, 'ipsum', { ...D, severity: 'medium' });
  assert.deepEqual(d.indicators.map((i) => i.severity), ['high', 'medium', 'medium']); // never below the feed's default
});

test('Tor TorDNSEL exit-addresses: ExitAddress lines, relay fingerprint as description', () => {
  const r = parseFeed(S.TORDNSEL, 'tor-exits', { ...D, category: 'tor', severity: 'info' });
  assert.deepEqual(vals(r.indicators), ['ip 162.247.74.201', 'ip 185.220.101.1', 'ip 185.220.101.2']);
  assert.equal(r.indicators[1].description, 'Tor exit relay 0086E4A0A6C8F8E3E5C4B1D0A6C8F8E3E5C4B1D0');
  assert.equal(r.indicators[0].category, 'tor');
  assert.equal(r.malformed, 1);
  assert.deepEqual(vals(parseFeed('185.220.101.1\n2a0b:f4c2::1\n', 'tor-exits', D).indicators), ['ip 185.220.101.1', 'ip 2a0b:f4c2::1']);
});

test('Spamhaus DROP: text and NDJSON (escaped slash, metadata, ASN lines)', () => {
  const t = parseFeed(S.SPAMHAUS_TXT, 'spamhaus', D);
  assert.deepEqual(vals(t.indicators), ['cidr 1.10.16.0/20', 'cidr 1.19.0.0/16']);
  assert.equal(t.indicators[0].description, 'SBL256894');
  assert.equal(t.indicators[0].reference, 'https://www.spamhaus.org/sbl/query/SBL256894');
  assert.equal(t.malformed, 1);
  const j = parseFeed(S.SPAMHAUS_JSON, 'spamhaus', D);
  assert.deepEqual(vals(j.indicators), ['cidr 1.10.16.0/20', 'cidr 2a06:e480::/29']);
  assert.deepEqual(j.skippedBy, { unsupported: 1 });
  assert.equal(j.malformed, 2); // truncated object, object without cidr
  assert.equal(j.header.records, '2');
});

test('STIX 2.1: the equality/IN/ISSUBSET subset; the rest skipped per branch, never broadened', () => {
  const r = parseFeed(S.STIX, 'stix', D, { now: Date.parse('2024-06-01T00:00:00Z') / 1000 });
  assert.deepEqual(vals(r.indicators), [
    'ip 45.33.2.70', 'domain evil.example', // [ipv4 = '…/32'] OR [domain = …]
    'url a.example/x', 'url b.example/y', // IN
    'ip 45.33.2.71 :443', // dst_ref AND dst_port
    'hash ' + S.SHA256,
    'cidr 45.33.3.0/24', // ISSUBSET
    'domain o1.example', // the supported branch of a mixed OR
    'ja3 b386946a5a44d1ddcc843bc75336dfce',
    'ip 2a00:1450::1',
  ]);
  assert.equal(r.indicators[0].description, 'C2 of Foo');
  assert.equal(r.indicators[0].reference, 'https://acme.example/foo');
  // FOLLOWEDBY, WITHIN, LIKE, email, yara, AND of two values, the email branch of #16
  assert.deepEqual(r.skippedBy, { unsupported: 7, removed: 1, expired: 1, allow: 1 });
  assert.deepEqual(r.allow, ['good.example']);
  assert.equal(r.malformed, 3); // unterminated string, "it's.example", no pattern
  // Without `now`, valid_until is not checked.
  assert.equal(parseFeed(S.STIX, 'stix', D).count, 11);
  assert.equal(parseFeed('{"not":"stix"}', 'stix', D).malformed, 1);
  assert.equal(parseFeed('{', 'stix', D).malformed, 1);
});

test('MISP event: to_ids only, types, objects, threat level, deleted', () => {
  const r = parseFeed(S.MISP_EVENT, 'misp', D);
  assert.deepEqual(vals(r.indicators), [
    'ip 45.33.2.80', 'ip 45.33.2.82 :8080', 'domain emotet.example', 'domain c2.emotet.example', 'domain pair.example',
    'ip 45.33.2.83', 'url emotet.example/load.php', 'url /wp-content/x.php', 'ja3 b386946a5a44d1ddcc843bc75336dfce',
    'hash ' + S.SHA256, 'hash d41d8cd98f00b204e9800998ecf8427e', 'ip 45.33.2.85',
  ]);
  assert.equal(r.indicators[0].description, 'Emotet wave: C2');
  assert.equal(r.indicators[0].severity, 'high'); // threat_level_id 1
  assert.deepEqual(r.skippedBy, { 'not-to-ids': 1, unsupported: 1, removed: 1 });
  assert.equal(r.malformed, 2);
  // A REST search response and a bare list read the same.
  assert.equal(parseFeed(JSON.stringify({ response: [JSON.parse(S.MISP_EVENT)] }), 'misp', D).count, 12);
  assert.equal(parseFeed(JSON.stringify([JSON.parse(S.MISP_EVENT)]), 'misp', D).count, 12);
});

test('MISP feed: manifest + event files (directory or manifest path); a missing event is malformed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-misp-'));
  try {
    const feed = join(dir, 'circl');
    mkdirSync(feed);
    writeFileSync(join(feed, 'manifest.json'), S.MISP_MANIFEST);
    writeFileSync(join(feed, '5f1b5b5e-0000-4000-8000-000000000001.json'), S.MISP_EVENT);
    for (const path of [feed, join(feed, 'manifest.json')]) {
      const { set, results } = loadIntelFiles([{ path, defaults: D }]);
      const res = results.get(path);
      assert.ok(res !== undefined);
      assert.equal(res.format, 'misp');
      assert.equal(res.count, 12);
      assert.equal(res.malformed, 3);
      assert.ok(res.examples.includes('event 5f1b5b5e-0000-4000-8000-000000000002 missing'));
      assert.equal(set.matchIp('45.33.2.82')[0].port, 8080);
    }
    // Without a way to read events, a manifest alone is reported, not fatal.
    assert.equal(parseFeed(S.MISP_MANIFEST, 'misp', D).malformed, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MISP CSV: header columns, to_ids, quoted comments', () => {
  const r = parseFeed(S.MISP_CSV, 'misp-csv', D);
  assert.deepEqual(vals(r.indicators), ['ip 45.33.2.90', 'domain x-c2.example', 'hash d41d8cd98f00b204e9800998ecf8427e']);
  assert.equal(r.indicators[1].description, 'with, comma');
  assert.deepEqual(r.skippedBy, { 'not-to-ids': 1, unsupported: 1 });
  assert.equal(r.malformed, 1);
  assert.ok(r.examples[0].startsWith('5f1b0001-0000-4000-8000-000000000006,'));
});

test('detectFormat: each sample by content; names as a fallback', () => {
  const expected: Record<string, string> = {
    plain: 'plain', firehol: 'firehol', hosts: 'hosts', domains: 'plain', feodo: 'abusech-csv', urlhaus: 'abusech-csv',
    threatfox: 'abusech-csv', 'sslbl-ja3': 'abusech-csv', 'zeek-intel': 'zeek-intel', maltrail: 'maltrail', ipsum: 'ipsum',
    tordnsel: 'tor-exits', 'spamhaus-txt': 'spamhaus', 'spamhaus-json': 'spamhaus', stix: 'stix', misp: 'misp', 'misp-csv': 'misp-csv',
  };
  for (const s of S.SAMPLES) assert.equal(detectFormat(s.text), expected[s.name], s.name);
  assert.equal(detectFormat(S.MISP_MANIFEST), 'misp');
  assert.equal(detectFormat('a.example\nb.example\n'), 'domains');
  assert.equal(detectFormat('1.2.3.4\n5.6.7.0/24\n'), 'plain');
  assert.equal(detectFormat('1.2.3.4\n', 'feodo.ipset'), 'firehol');
  assert.equal(detectFormat('', 'whatever.intel'), 'zeek-intel');
  assert.equal(detectFormat(Buffer.from(S.STIX)), 'stix');
  // 'auto' parses with the detected format.
  assert.equal(parseFeed(S.SSLBL_JA3, 'auto', D).count, 2);
});

test('normalisation rules', () => {
  assert.equal(canonicalNet('2001:0DB8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1'); // first longest run
  assert.equal(canonicalNet('2a00:1450:0:0:1:0:0:0/128'), '2a00:1450:0:0:1::');
  assert.equal(canonicalNet('2a00:1450::ff/32'), '2a00:1450::/32');
  assert.equal(canonicalNet('::ffff:1.2.3.0/120'), '1.2.3.0/24');
  assert.equal(canonicalNet('1.2.3.4/32'), '1.2.3.4');
  assert.equal(canonicalNet('01.2.3.4'), null); // octal-looking octets are refused
  assert.equal(normalizeDomain('xn--80ak6aa92e.com'), 'xn--80ak6aa92e.com'); // punycode as written
  assert.equal(normalizeDomain('пример.испытание'), 'пример.испытание'); // IDN as given
  assert.equal(normalizeDomain('*.Example.ORG.'), 'example.org');
  assert.equal(normalizeDomain('1.2.3.4'), null);
  assert.equal(normalizeDomain('a'.repeat(64) + '.example'), null);
  assert.equal(normalizeUrl('HTTPS://user:pw@Evil.Example:443/a/b/#frag')?.value, 'evil.example/a/b');
  assert.equal(normalizeUrl('http://evil.example:8080')?.value, 'evil.example:8080/');
  assert.equal(normalizeUrl('hxxp://[2A00:1450::1]/x')?.value, '[2a00:1450::1]/x');
  assert.equal(normalizeUrl('/only/path'), null);
  assert.equal(normalizeUrl('/only/path', true)?.value, '/only/path');
});

test('unreadable files are reported per file, the others still load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-load-'));
  try {
    writeFileSync(join(dir, 'ok.txt'), '45.33.2.1\n');
    const { set, results } = loadIntelFiles([
      { path: join(dir, 'missing.txt'), defaults: { ...D, feed: 'missing' } },
      { path: join(dir, 'ok.txt'), defaults: D },
    ]);
    assert.equal(set.size, 1);
    const miss = results.get(join(dir, 'missing.txt'));
    assert.equal(miss?.count, 0);
    assert.match(miss?.error ?? '', /cannot read the missing feed file: ENOENT/);
    assert.equal(results.get(join(dir, 'ok.txt'))?.error, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a plain list of 32-digit hex values: hashes by default, JA3 when the feed says so', () => {
  const text = 'b386946a5a44d1ddcc843bc75336dfce\n' + 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n';
  assert.deepEqual(vals(parseFeed(text, 'plain', D).indicators), ['hash b386946a5a44d1ddcc843bc75336dfce', 'hash ' + S.SHA256]);
  assert.deepEqual(vals(parseFeed(text, 'plain', D, { hex32As: 'ja3' }).indicators), ['ja3 b386946a5a44d1ddcc843bc75336dfce', 'hash ' + S.SHA256]);
});

test('UTF-8 feeds (IDN names) decode as UTF-8; ASCII feeds as latin1 give the same values', () => {
  const r = parseFeed(Buffer.from('пример.испытание\nascii.example\n', 'utf8'), 'domains', D);
  assert.deepEqual(vals(r.indicators), ['domain пример.испытание', 'domain ascii.example']);
  assert.deepEqual(vals(parseFeed(Buffer.from('\ufeffascii.example\r\n', 'utf8'), 'domains', D).indicators), ['domain ascii.example']); // BOM, CRLF
});

test('IP ranges become the fewest covering CIDRs; a reversed range is malformed, one wider than a /8 skipped', () => {
  const r = parseFeed('45.33.2.1 - 45.33.2.6\n45.33.4.0-45.33.7.255\n45.33.2.9 - 45.33.2.9\n45.33.2.9 - 45.33.2.1\n1.0.0.1 - 223.255.255.254\n', 'plain', D);
  assert.deepEqual(vals(r.indicators), [
    'ip 45.33.2.1', 'cidr 45.33.2.2/31', 'cidr 45.33.2.4/31', 'ip 45.33.2.6', // .1 .2-.3 .4-.5 .6
    'cidr 45.33.4.0/22', 'ip 45.33.2.9',
  ]);
  assert.equal(r.malformed, 1);
  assert.deepEqual(r.skippedBy, { broad: 1 });
  // Just under 2^24 addresses, misaligned at both ends: 23 + 23 pieces.
  assert.equal(parseFeed('45.0.0.1 - 45.255.255.254', 'plain', D).count, 46);
});
