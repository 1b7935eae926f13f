/**
 * IndicatorSet: lookups by address (exact and every covering network, IPv4 and IPv6, checked
 * against a brute-force scan on random data), by name (walking up the labels), URL, JA3/JA4,
 * hash, `lookup` for any value; several feeds listing one value; duplicates; the cap; rebuilding
 * with one feed replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IndicatorSet, IndicatorSetBuilder } from '../../src/intel/indicator-set.js';
import { parseFeed, parseFeedInto } from '../../src/intel/parse/index.js';
import { parseIp } from '../../src/enrich/ip.js';
import type { FeedDefaults, Indicator } from '../../src/intel/types.js';

function def(feed: string, extra: Partial<FeedDefaults> = {}): FeedDefaults {
  return { feed, category: 'c2', severity: 'high', reference: 'https://' + feed + '.example/', ...extra };
}

const feedA = parseFeed([
  '45.33.2.1', '45.33.2.0/24', '45.33.0.0/16', '45.0.0.0/8', '45.33.2.1:8080',
  '2a00:1450:4001:812::200e', '2a00:1450::/32', '2a00:1450:4001::/48', '2a00:1450:4001:812::/64', '2a00:1450:4001:812::2000/120',
  'evil.example', 'b.evil.example', 'http://evil.example/gate.php?id=1', 'http://evil.example/x/', 'other.example/only?q',
].join('\n'), 'plain', def('a'));
const feedB = parseFeed('45.33.2.1\nEVIL.example\n', 'plain', def('b', { category: 'scanner', severity: 'low' }));
const maltrail = parseFeed('/bins/x.arm7\n', 'maltrail', def('m'));
const ja = parseFeed('# ja3_md5,Firstseen,Lastseen,Listingreason\nb386946a5a44d1ddcc843bc75336dfce,a,b,Dridex\n', 'abusech-csv', def('ja3'));
const z = parseFeed([
  '#fields\tindicator\tindicator_type\tmeta.source',
  't13d1516h2_8daaf6152771_b186095e22b6\tIntel::JA4\tz',
  'd41d8cd98f00b204e9800998ecf8427e\tIntel::FILE_HASH\tz',
].join('\n'), 'zeek-intel', def('z'));
const set = IndicatorSet.build([feedA, feedB, maltrail, ja, z]);

function brief(list: readonly Indicator[]): string[] {
  return list.map((i) => i.feed + ' ' + i.value + (i.port > 0 ? ':' + i.port : ''));
}

test('sizes: every parsed indicator is in the set', () => {
  assert.equal(feedA.count, 15);
  assert.equal(set.size, feedA.count + feedB.count + maltrail.count + ja.count + z.count);
  assert.deepEqual(set.feedCounts().map((c) => [c.feed, c.total]), [['a', 15], ['b', 2], ['m', 1], ['ja3', 1], ['z', 2]]);
  assert.deepEqual(set.feedCounts()[0].byType, { ip: 3, cidr: 7, domain: 2, url: 3 });
});

test('IPv4: exact, ip:port and every covering network, longest prefix first, all feeds', () => {
  assert.deepEqual(brief(set.matchIp('45.33.2.1')), [
    'b 45.33.2.1', 'a 45.33.2.1:8080', 'a 45.33.2.1', 'a 45.33.2.0/24', 'a 45.33.0.0/16', 'a 45.0.0.0/8',
  ]);
  assert.deepEqual(brief(set.matchIp('45.33.2.200')), ['a 45.33.2.0/24', 'a 45.33.0.0/16', 'a 45.0.0.0/8']);
  assert.deepEqual(brief(set.matchIp('45.200.1.1')), ['a 45.0.0.0/8']);
  assert.deepEqual(set.matchIp('46.0.0.1'), []);
  assert.deepEqual(brief(set.matchIp('::ffff:45.33.2.1')).length, 6); // mapped form of the same address
  assert.deepEqual(set.matchIp('not an ip'), []);
  assert.deepEqual(set.matchIp(''), []);
  const b = set.matchIp('45.33.2.1')[0];
  assert.deepEqual({ ...b }, {
    type: 'ip', value: '45.33.2.1', port: 0, feed: 'b', category: 'scanner', severity: 'low', description: '', reference: 'https://b.example/',
  });
  assert.ok(Object.isFrozen(b));
});

test('IPv6: exact and networks of /32, /48, /64, /120', () => {
  assert.deepEqual(brief(set.matchIp('2a00:1450:4001:812::200e')), [
    'a 2a00:1450:4001:812::200e', 'a 2a00:1450:4001:812::2000/120', 'a 2a00:1450:4001:812::/64', 'a 2a00:1450:4001::/48', 'a 2a00:1450::/32',
  ]);
  assert.deepEqual(brief(set.matchIp('2A00:1450:4001:0812:0:0:0:1')), [
    'a 2a00:1450:4001:812::/64', 'a 2a00:1450:4001::/48', 'a 2a00:1450::/32',
  ]);
  assert.deepEqual(brief(set.matchIp('[2a00:1450:ffff::1]')), ['a 2a00:1450::/32']);
  assert.deepEqual(set.matchIp('2a01::1'), []);
});

test('domains: the name and each parent, case and trailing dot ignored, no partial-label matches', () => {
  assert.deepEqual(brief(set.matchDomain('a.b.Evil.Example.')), ['a b.evil.example', 'b evil.example', 'a evil.example']);
  assert.deepEqual(brief(set.matchDomain('evil.example')), ['b evil.example', 'a evil.example']);
  assert.deepEqual(set.matchDomain('notevil.example'), []);
  assert.deepEqual(set.matchDomain('example'), []);
  assert.deepEqual(set.matchDomain('evil.example.com'), []);
  assert.deepEqual(set.matchDomain(''), []);
});

test('URLs: exact, query ignored when the indicator has none, host-less path trails, trailing slash', () => {
  assert.deepEqual(brief(set.matchUrl('evil.example/gate.php?id=1')), ['a evil.example/gate.php?id=1']);
  assert.deepEqual(set.matchUrl('evil.example/gate.php?id=2'), []);
  assert.deepEqual(brief(set.matchUrl('Evil.Example/x?utm=1')), ['a evil.example/x']);
  assert.deepEqual(brief(set.matchUrl('evil.example/x/')), ['a evil.example/x']);
  assert.deepEqual(brief(set.matchUrl('45.33.9.9:8080/bins/x.arm7')), ['m /bins/x.arm7']);
  assert.deepEqual(brief(set.matchUrl('http://any.example/bins/x.arm7?y')), ['m /bins/x.arm7']);
  assert.deepEqual(brief(set.matchUrl('other.example/only?q')), ['a other.example/only?q']);
  assert.deepEqual(set.matchUrl('other.example/only'), []); // the indicator has a query: it must be there
  assert.deepEqual(set.matchUrl('evil.example/'), []);
});

test('JA3, JA4, hashes and lookup() of any value', () => {
  assert.deepEqual(brief(set.matchJa3('B386946A5A44D1DDCC843BC75336DFCE')), ['ja3 b386946a5a44d1ddcc843bc75336dfce']);
  assert.equal(set.matchJa3('00000000000000000000000000000000').length, 0);
  assert.deepEqual(brief(set.matchJa4('t13d1516h2_8daaf6152771_b186095e22b6')), ['z t13d1516h2_8daaf6152771_b186095e22b6']);
  assert.deepEqual(brief(set.matchHash('d41d8cd98f00b204e9800998ecf8427e')), ['z d41d8cd98f00b204e9800998ecf8427e']);
  assert.equal(set.lookup('45.33.2.1').length, 6);
  assert.deepEqual(brief(set.lookup('45.33.2.0/24')), ['a 45.33.2.0/24', 'a 45.33.0.0/16', 'a 45.0.0.0/8']); // the network and its parents
  assert.equal(set.lookup('45.33.2.1:8080').length, 6);
  assert.equal(set.lookup('[2a00:1450:4001:812::200e]:443').length, 5);
  assert.equal(set.lookup('c.b.evil.example').length, 3);
  assert.deepEqual(brief(set.lookup('http://evil.example/x')), ['a evil.example/x']);
  assert.deepEqual(brief(set.lookup('b386946a5a44d1ddcc843bc75336dfce')), ['ja3 b386946a5a44d1ddcc843bc75336dfce']);
  assert.deepEqual(brief(set.lookup('D41D8CD98F00B204E9800998ECF8427E')), ['z d41d8cd98f00b204e9800998ecf8427e']);
  assert.deepEqual(brief(set.lookup('t13d1516h2_8daaf6152771_b186095e22b6')).length, 1);
  assert.deepEqual(set.lookup('nothing here'), []);
  assert.deepEqual(set.lookup(''), []);
});

test('duplicates within a feed are dropped; different ports and different feeds are not', () => {
  const r = parseFeed('45.33.2.1\n45.33.2.1\n45.33.2.1:80\n45.33.2.1:80\nevil.example\nEVIL.EXAMPLE.\n', 'plain', def('d'));
  assert.equal(r.count, 3);
  assert.deepEqual(r.skippedBy, { duplicate: 3 });
  const b = new IndicatorSetBuilder();
  const e1 = parseFeedInto('45.33.2.1\n45.33.2.1\n', 'plain', def('x'), b);
  const e2 = parseFeedInto('45.33.2.1\n', 'plain', def('y'), b);
  assert.equal(e1.count, 1);
  assert.equal(e1.skippedBy.duplicate, 1);
  assert.equal(e2.count, 1);
  assert.deepEqual(brief(b.finish().matchIp('45.33.2.1')), ['y 45.33.2.1', 'x 45.33.2.1']);
});

test('cap: beyond maxIndicators entries are counted, not stored', () => {
  const b = new IndicatorSetBuilder({ maxIndicators: 3 });
  const e = parseFeedInto('45.33.2.1\n45.33.2.2\n45.33.2.3\n45.33.2.4\nx.example\n', 'plain', def('c'), b);
  const s = b.finish();
  assert.equal(s.size, 3);
  assert.equal(e.count, 3);
  assert.deepEqual(e.skippedBy, { capped: 2 });
  assert.equal(s.dropped, 2);
  assert.equal(IndicatorSet.build([feedA], { maxIndicators: 5 }).size, 5);
});

test('addFrom: a new set with one feed replaced and the others copied', () => {
  const b = new IndicatorSetBuilder();
  const copied = b.addFrom(set, (f) => f !== 'a');
  parseFeedInto('46.1.1.1\n', 'plain', def('a'), b);
  const next = b.finish();
  assert.equal(copied, set.size - feedA.count);
  assert.equal(next.size, copied + 1);
  assert.deepEqual(brief(next.matchIp('45.33.2.1')), ['b 45.33.2.1']);
  assert.deepEqual(brief(next.matchIp('46.1.1.1')), ['a 46.1.1.1']);
  assert.deepEqual(brief(next.matchDomain('x.evil.example')), ['b evil.example']);
  assert.deepEqual(brief(next.matchUrl('h.example/bins/x.arm7')), ['m /bins/x.arm7']);
  assert.deepEqual(next.indicators('ja3'), set.indicators('ja3'));
  // The old set is untouched (the swap is atomic for readers holding it).
  assert.equal(set.matchIp('45.33.2.1').length, 6);
});

test('an empty set answers every lookup with nothing', () => {
  const e = IndicatorSet.empty();
  assert.equal(e.size, 0);
  for (const v of ['45.33.2.1', '2a00::1', 'a.example', 'a.example/x', 'b386946a5a44d1ddcc843bc75336dfce']) assert.deepEqual(e.lookup(v), []);
  assert.deepEqual(IndicatorSet.build([]).matchDomain('x.example'), []);
  assert.deepEqual(IndicatorSet.build([[]]).matchIp('1.1.1.1'), []);
});

test('build from plain Indicator lists (values as parsers give them)', () => {
  const list: Indicator[] = [
    { type: 'cidr', value: '45.33.2.0/24', port: 0, feed: 'u', category: 'hostile', severity: 'medium', description: 'd', reference: '' },
    { type: 'domain', value: 'x.example', port: 0, feed: 'u', category: 'phishing', severity: 'high', description: '', reference: 'r' },
    { type: 'ip', value: 'garbage', port: 0, feed: 'u', category: 'c2', severity: 'high', description: '', reference: '' },
  ];
  const s = IndicatorSet.build([list]);
  assert.equal(s.size, 2);
  assert.equal(s.matchIp('45.33.2.9')[0].description, 'd');
  assert.equal(s.matchDomain('a.x.example')[0].category, 'phishing');
});

// ---------------------------------------------------------------------------------------------
// Random networks of every length against a brute-force containment scan (the per-length hashes
// and the /24 and /32 pre-filters must never lose a match or invent one).

let seed = 12345;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function words(ip: string): Uint32Array {
  const w = new Uint32Array(4);
  const fam = parseIp(ip, w);
  assert.ok(fam !== 0, ip);
  return w;
}

interface Net { w: Uint32Array; len: number; v6: boolean; text: string }

function toNet(text: string): Net {
  const [a, lenText] = text.split('/');
  const v6 = a.includes(':');
  return { w: words(a), len: lenText === undefined ? (v6 ? 128 : 32) : Number(lenText), v6, text };
}

function contains(n: Net, ip: Uint32Array, ipV6: boolean): boolean {
  if (n.v6 !== ipV6) return false;
  for (let k = 0, left = n.len; k < (n.v6 ? 4 : 1); k++, left -= 32) {
    const bits = Math.max(0, Math.min(32, left));
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((n.w[k] & mask) >>> 0) !== ((ip[k] & mask) >>> 0)) return false;
  }
  return true;
}

function v4(a: number): string {
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
}

test('random networks: matchIp equals a brute-force scan (IPv4 /8-/32, IPv6 /16-/128)', () => {
  const lines: string[] = [];
  const probes: string[] = [];
  for (let i = 0; i < 3000; i++) {
    // 45.0.0.0/8 and 2a00::/12: dense enough that networks overlap and queries hit several.
    const len = 8 + (rnd() % 25);
    const a = ((45 << 24) | (rnd() & 0xfffff)) >>> 0;
    lines.push(v4(a) + '/' + len);
    probes.push(v4(a), v4((a ^ (rnd() & 0xff)) >>> 0));
    const l6 = 16 + (rnd() % 113);
    const g = ['2a00', (rnd() & 0xf).toString(16), (rnd() & 0xffff).toString(16), (rnd() & 3).toString(16), '0', '0', (rnd() & 0xffff).toString(16), (rnd() & 0xff).toString(16)];
    lines.push(g.join(':') + '/' + l6);
    probes.push(g.join(':'), g.slice(0, 7).join(':') + ':' + (rnd() & 0xff).toString(16));
  }
  const r = parseFeed(lines.join('\n'), 'plain', def('r'));
  assert.equal(r.malformed, 0);
  const s = IndicatorSet.build([r]);
  const nets = r.indicators.map((i) => toNet(i.value));
  let hits = 0;
  for (const p of probes) {
    const pw = words(p);
    const want = nets.filter((n) => contains(n, pw, p.includes(':'))).map((n) => n.text).sort();
    const got = s.matchIp(p).map((i) => i.value).sort();
    assert.deepEqual(got, want, p);
    hits += got.length;
  }
  assert.ok(hits > probes.length, 'the data overlaps enough to test multiple matches: ' + hits);
});
