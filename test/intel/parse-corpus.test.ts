/**
 * Issue 4, must-show 1: every feed snapshot in ../shared/corpus/intel parses with the right
 * indicator count, detected format, and malformed lines counted (none in these real files).
 *
 * The expected numbers were derived WITHOUT Vigil's parsers, from the files themselves:
 * - line counts with grep/awk/sort (`grep -v '^#' F | grep -v '^\s*$' | sort -u | wc -l`),
 * - the FireHOL headers' own "Entries" lines,
 * - Python's `ipaddress` module for which values are addresses/networks and which fall in
 *   private/reserved space (RFC 1918, CGNAT, loopback, link local, documentation, multicast …),
 * - for Maltrail, its own loading rules re-done in Python: strip a trailing `# comment`, a
 *   scheme and a trailing `/`, then classify (address / ip:port / network / path / domain).
 * Each literal below says how it was obtained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, ORACLES } from '../helpers/analyze.js';
import { detectFormat, parseFeed } from '../../src/intel/parse/index.js';
import { loadIntelFiles } from '../../src/intel/load.js';
import type { FeedDefaults, FeedFormat, Indicator, IndicatorType } from '../../src/intel/types.js';

const INTEL = join(CORPUS, 'intel');

function defaults(feed: string): FeedDefaults {
  return { feed, category: 'suspicious', severity: 'medium', reference: 'https://example.org/' + feed };
}

interface Expect {
  file: string;
  format: FeedFormat;
  count: number;
  byType: Partial<Record<IndicatorType, number>>;
  skippedBy: Record<string, number>;
  why: string;
}

const EXPECT: Expect[] = [
  {
    file: 'firehol/feodo.ipset', format: 'firehol', count: 235, byType: { ip: 235 }, skippedBy: {},
    why: 'header "Entries : 235 unique IPs"; 235 data lines, 235 unique; python: none private',
  },
  {
    file: 'firehol/spamhaus_drop.netset', format: 'firehol', count: 683, byType: { cidr: 683 }, skippedBy: {},
    why: 'header "Entries : 683 subnets"; 683 data lines, all CIDRs, unique; python: none overlaps reserved space',
  },
  {
    file: 'ipsum/ipsum.txt', format: 'ipsum', count: 14217, byType: { ip: 14217 }, skippedBy: { 'below-min': 106213 },
    why: "awk -F'\\t' '!/^#/ && NF==2': 120430 rows (120430 unique addresses); $2>=3: 14217, <3: 106213; python: none private",
  },
  {
    file: 'maltrail/dns_tunneling_service.txt', format: 'maltrail', count: 7, byType: { domain: 7 }, skippedBy: {},
    why: '7 data lines, 7 unique domains',
  },
  {
    file: 'maltrail/dynamic_domain.txt', format: 'maltrail', count: 2035, byType: { domain: 2035 }, skippedBy: { duplicate: 461 },
    why: '2496 data lines; sort -u: 2035; so 461 repeats (373 names listed more than once)',
  },
  {
    file: 'maltrail/elf_mirai.txt', format: 'maltrail', count: 54358, byType: { url: 37586, domain: 4173, ip: 12599 },
    skippedBy: { duplicate: 440 },
    why: '54798 data lines (blank-with-spaces excluded); after Maltrail normalisation 54358 unique: '
      + '37586 URL paths, 10770 ip:port, 1829 addresses (incl. http://IP trails), 4173 domains; none private',
  },
  {
    file: 'maltrail/mass_scanner_cidr.txt', format: 'maltrail', count: 1102, byType: { cidr: 1089, ip: 13 }, skippedBy: { duplicate: 4 },
    why: '1106 data lines; comment stripped, sort -u: 1102 (4 /20s of 159.203.x listed twice); 10 bare addresses + 3 written as /32',
  },
  {
    file: 'tor/tor-exit-nodes.lst', format: 'plain', count: 1746, byType: { ip: 1746 }, skippedBy: {},
    why: '1746 lines, unique, no header; grep -c ":" = 619 IPv6; python: none private',
  },
  {
    file: 'zeek-intel/drb_ra_domain.intel', format: 'zeek-intel', count: 61, byType: { domain: 61 }, skippedBy: {},
    why: '61 data lines, all Intel::DOMAIN, unique',
  },
  {
    file: 'zeek-intel/tweetfeed.intel', format: 'zeek-intel', count: 164, byType: { ip: 164 }, skippedBy: { duplicate: 85, reserved: 1 },
    why: '250 Intel::ADDR lines, cut -f1 | sort -u: 165; python: 198.51.100.1 (TEST-NET-2) is not global → 164',
  },
];

function byType(list: readonly Indicator[]): Partial<Record<IndicatorType, number>> {
  const out: Partial<Record<IndicatorType, number>> = {};
  for (const i of list) out[i.type] = (out[i.type] ?? 0) + 1;
  return out;
}

for (const ex of EXPECT) {
  test(`corpus ${ex.file}: ${ex.count} indicators (${ex.why})`, () => {
    const path = join(INTEL, ex.file);
    const bytes = readFileSync(path);
    assert.equal(detectFormat(bytes, path), ex.format, 'detected format');
    const r = parseFeed(bytes, ex.format, defaults(ex.file));
    assert.equal(r.malformed, 0, 'malformed: ' + r.examples.join(' | '));
    assert.equal(r.count, ex.count);
    assert.equal(r.indicators.length, ex.count);
    assert.deepEqual(byType(r.indicators), ex.byType);
    assert.deepEqual(r.skippedBy, ex.skippedBy);
    assert.equal(r.skipped, Object.values(ex.skippedBy).reduce((a, b) => a + b, 0));
    for (const i of r.indicators) assert.equal(i.feed, ex.file);
  });
}

test('all snapshots into one set: per-feed counts agree with the parse results; lookups answer', () => {
  const files = EXPECT.map((e) => ({ path: join(INTEL, e.file), defaults: defaults(e.file) })); // format guessed
  const { set, results } = loadIntelFiles(files);
  const total = EXPECT.reduce((a, e) => a + e.count, 0);
  assert.equal(set.size, total);
  for (const e of EXPECT) {
    const r = results.get(join(INTEL, e.file));
    assert.ok(r !== undefined);
    assert.equal(r.error, null);
    assert.equal(r.format, e.format);
    assert.equal(r.count, e.count);
    assert.equal(r.indicators.length, e.count); // materialised lazily from the set's rows
  }
  const counts = new Map(set.feedCounts().map((c) => [c.feed, c.total]));
  for (const e of EXPECT) assert.equal(counts.get(e.file), e.count, e.file);

  // First/last data lines of some files, found through the set.
  assert.deepEqual(set.matchIp('2.50.11.28').map((i) => i.feed), ['firehol/feodo.ipset']);
  assert.deepEqual(set.matchIp('1.10.31.255').map((i) => [i.value, i.type]), [['1.10.16.0/20', 'cidr']]); // last address of a DROP /20
  assert.deepEqual(set.matchIp('1.10.32.0'), []);
  assert.deepEqual(set.matchDomain('x.Y.dnstunnel.run.').map((i) => i.value), ['dnstunnel.run']);
  assert.equal(set.matchDomain('localtonet.com').length, 1);
});

test('FireHOL header facts are kept (the updater checks Entries)', () => {
  const r = parseFeed(readFileSync(join(INTEL, 'firehol/feodo.ipset')), 'firehol', defaults('feodo'));
  assert.equal(r.header.Entries, '235 unique IPs');
  assert.equal(r.header.Category, 'malware');
  assert.equal(r.header['Maintainer URL'], 'https://feodotracker.abuse.ch/');
  const s = parseFeed(readFileSync(join(INTEL, 'firehol/spamhaus_drop.netset')), 'firehol', defaults('drop'));
  assert.equal(s.header.Entries, '683 subnets, 22583552 unique IPs');
  // The header's unique-IP total equals the sum of the parsed networks' sizes.
  const sum = s.indicators.reduce((a, i) => a + 2 ** (32 - Number(i.value.split('/')[1])), 0);
  assert.equal(sum, 22583552);
});

test('IPsum: count → severity and description; the threshold is an option', () => {
  const bytes = readFileSync(join(INTEL, 'ipsum/ipsum.txt'));
  const r = parseFeed(bytes, 'ipsum', { ...defaults('ipsum'), severity: 'low' });
  const top = r.indicators.find((i) => i.value === '77.90.185.20'); // first row: 10 lists
  assert.ok(top !== undefined);
  assert.equal(top.severity, 'high');
  assert.equal(top.description, 'listed by 10 blacklists');
  const mid = r.indicators.find((i) => i.value === '2.57.122.238'); // 8 lists
  assert.equal(mid?.severity, 'high');
  assert.equal(r.indicators.find((i) => i.value === '23.224.4.114'), undefined); // last row: 1 list, below 3
  // awk '$2>=2': 30773 rows; '$2>=1': all 120430.
  assert.equal(parseFeed(bytes, 'ipsum', defaults('ipsum'), { ipsumMinCount: 2 }).count, 30773);
  assert.equal(parseFeed(bytes, 'ipsum', defaults('ipsum'), { ipsumMinCount: 1 }).count, 120430);
});

test('Maltrail: reference blocks, trailing comments, scheme and ip:port trails', () => {
  const m = parseFeed(readFileSync(join(INTEL, 'maltrail/elf_mirai.txt')), 'maltrail', defaults('mirai'), { description: 'Mirai (ELF)' });
  const arm7 = m.indicators.find((i) => i.value === '/izuku.arm7');
  assert.equal(arm7?.type, 'url');
  assert.equal(arm7?.reference, 'https://www.virustotal.com/#/ip-address/77.87.77.250'); // the block's "# Reference:"
  assert.equal(arm7?.description, 'Mirai (ELF)');
  assert.equal(m.header.aliases?.startsWith('gorillabotnet, moobot'), true);
  // "http://104.244.76.15" is the address trail 104.244.76.15
  assert.deepEqual(m.indicators.filter((i) => i.value === '104.244.76.15').map((i) => [i.type, i.port]), [['ip', 0]]);
  // " 134.209.72.171:4554" (leading blank): ip:port
  assert.deepEqual(m.indicators.filter((i) => i.value === '134.209.72.171').map((i) => [i.type, i.port]), [['ip', 4554]]);

  const s = parseFeed(readFileSync(join(INTEL, 'maltrail/mass_scanner_cidr.txt')), 'maltrail', defaults('scanners'));
  const r7 = s.indicators.find((i) => i.value === '5.63.151.0/24');
  assert.equal(r7?.description, 'scanners.labs.rapid7.com');
  assert.equal(s.indicators.find((i) => i.value === '35.203.210.0/24')?.description, 'cortex xpanse');
});

test('Zeek intel files: source and description, Tor list IPv6 in canonical form', () => {
  const z = parseFeed(readFileSync(join(INTEL, 'zeek-intel/drb_ra_domain.intel')), 'zeek-intel', defaults('drb'));
  assert.equal(z.indicators[0].value, '3se9ewodke339f0e83.connectivitytests.com');
  assert.equal(z.indicators[0].description, 'DRB-RA: C2');
  assert.equal(z.indicators[0].severity, 'medium'); // meta.do_notice F keeps the default
  const t = parseFeed(readFileSync(join(INTEL, 'zeek-intel/tweetfeed.intel')), 'zeek-intel', defaults('tf'));
  assert.equal(t.indicators[0].description, 'TweetFeed');
  assert.equal(t.indicators.some((i) => i.value === '198.51.100.1'), false);
  const tor = parseFeed(readFileSync(join(INTEL, 'tor/tor-exit-nodes.lst')), 'plain', defaults('tor'));
  const v6 = tor.indicators.filter((i) => i.value.includes(':'));
  assert.equal(v6.length, 619);
  for (const i of v6) assert.equal(i.value, i.value.toLowerCase());
  for (const i of v6) assert.ok(!/(^|:)0[0-9a-f]/.test(i.value), 'no leading zeros (RFC 5952): ' + i.value);
});

test("Zeek's whitelisting btest: intel.dat gives 2 domains; whitelist.dat's entry goes to allow", () => {
  const script = readFileSync(join(ORACLES, 'zeek', 'wikipedia.pcap.zeek-intel-btest.whitelisting.zeek'), 'utf8');
  const inline = (name: string): string => {
    const m = new RegExp('#@TEST-START-FILE ' + name.replace('.', '\\.') + '\\n([\\s\\S]*?)#@TEST-END-FILE').exec(script);
    assert.ok(m !== null, name);
    return m[1];
  };
  const intel = parseFeed(inline('intel.dat'), 'auto', defaults('intel.dat'));
  assert.deepEqual(intel.indicators.map((i) => [i.type, i.value, i.description, i.reference]), [
    ['domain', 'upload.wikimedia.org', 'source1: somehow bad', 'http://some-data-distributor.com/1'],
    ['domain', 'meta.wikimedia.org', 'source1: also bad', 'http://some-data-distributor.com/1'],
  ]);
  const white = parseFeed(inline('whitelist.dat'), 'auto', defaults('whitelist.dat'));
  assert.equal(white.count, 0);
  assert.deepEqual(white.allow, ['meta.wikimedia.org']);
  assert.deepEqual(white.skippedBy, { allow: 1 });
});
