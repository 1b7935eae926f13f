/**
 * Parsers never throw, whatever the input: mutated samples of every format, real corpus excerpts
 * with flipped bytes, random bytes, random STIX patterns from a token soup, nested patterns deep
 * enough to blow a naive recursive reader, and MISP attributes of the wrong JSON types. Whatever
 * comes out must be sane: counts add up, examples are bounded, values are canonical and never in
 * reserved space, and every kept indicator is found again through the set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from '../helpers/analyze.js';
import { parseFeed, FEED_FORMATS, type FeedParseResult } from '../../src/intel/parse/index.js';
import { IndicatorSet } from '../../src/intel/indicator-set.js';
import { NetValue, canonicalNet, netVerdict, normalizeDomain, parseNet } from '../../src/intel/normalize.js';
import type { FeedDefaults, FeedFormat } from '../../src/intel/types.js';
import { SAMPLES } from './parse-samples.js';

const D: FeedDefaults = { feed: 'fuzz', category: 'suspicious', severity: 'low', reference: '' };

let seed = 0xc0ffee;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

const ALPHABET = '\t\n\r ,;#"\'/:.|-_*[](){}\\0123456789abcdefxyzABCDEF=%@?!\u00e9\u0000\ufeff';

function mutate(text: string): string {
  let s = text;
  const edits = 1 + rnd(8);
  for (let k = 0; k < edits; k++) {
    const at = rnd(s.length + 1);
    switch (rnd(6)) {
      case 0: s = s.slice(0, at) + ALPHABET[rnd(ALPHABET.length)] + s.slice(at); break; // insert
      case 1: s = s.slice(0, at) + s.slice(at + 1 + rnd(20)); break; // delete a run
      case 2: s = s.slice(0, at) + ALPHABET[rnd(ALPHABET.length)] + s.slice(at + 1); break; // replace
      case 3: s = s.slice(0, at); break; // truncate
      case 4: { const b = rnd(s.length + 1); s = s.slice(0, at) + s.slice(Math.min(at, b), Math.max(at, b)) + s.slice(at); break; } // duplicate
      default: s = s.slice(at) + s.slice(0, at); // rotate
    }
  }
  return s;
}

const probe = new NetValue();

function checkSane(r: FeedParseResult, what: string): void {
  assert.equal(r.indicators.length, r.count, what);
  assert.ok(r.malformed >= 0 && r.skipped >= 0, what);
  assert.ok(r.examples.length <= 5 && r.examples.length <= r.malformed, what);
  for (const e of r.examples) {
    assert.ok(e.length <= 121, what);
    assert.ok(!e.startsWith('parser error'), what + ': a parser threw: ' + e);
  }
  assert.equal(Object.values(r.skippedBy).reduce((a, b) => a + (b ?? 0), 0), r.skipped, what);
  for (const i of r.indicators) {
    if (i.type === 'ip' || i.type === 'cidr') {
      assert.equal(canonicalNet(i.value), i.value, what + ': canonical ' + i.value);
      assert.ok(parseNet(i.value, probe) && netVerdict(probe) === 'ok', what + ': reserved/broad kept ' + i.value);
    } else if (i.type === 'domain') {
      assert.equal(normalizeDomain(i.value), i.value, what + ': canonical ' + i.value);
    }
    assert.ok(Number.isInteger(i.port) && i.port >= 0 && i.port <= 65535, what);
  }
}

/** Every kept indicator is found again by value in a set built from the result. */
function checkRoundTrip(r: FeedParseResult, what: string): void {
  const s = IndicatorSet.build([r]);
  assert.equal(s.size, r.count, what);
  for (const i of r.indicators) {
    const found = s.lookup(i.value).some((x) => x.value === i.value && x.type === i.type && x.port === i.port);
    assert.ok(found, what + ': not found again: ' + i.type + ' ' + i.value);
  }
}

test('mutated samples of every format, read as their format and as every other one', () => {
  let parses = 0;
  for (const s of SAMPLES) {
    for (let k = 0; k < 150; k++) {
      const text = mutate(s.text);
      const r = parseFeed(text, s.format, D, { now: 1.7e9 });
      checkSane(r, s.name + ' #' + k);
      if (k % 10 === 0) checkRoundTrip(r, s.name + ' #' + k);
      const other = FEED_FORMATS[rnd(FEED_FORMATS.length)];
      checkSane(parseFeed(text, other, D), s.name + ' as ' + other);
      parses += 2;
    }
    // And each sample as every format, unmutated.
    for (const f of FEED_FORMATS) checkSane(parseFeed(s.text, f, D), s.name + ' as ' + f);
  }
  assert.ok(parses > 5000);
});

test('corpus excerpts with flipped bytes; random bytes; auto-detection on garbage', () => {
  const files = ['firehol/feodo.ipset', 'maltrail/elf_mirai.txt', 'maltrail/mass_scanner_cidr.txt', 'zeek-intel/tweetfeed.intel', 'ipsum/ipsum.txt', 'tor/tor-exit-nodes.lst'];
  for (const f of files) {
    const head = readFileSync(join(CORPUS, 'intel', f)).subarray(0, 4000);
    for (let k = 0; k < 40; k++) {
      const b = Buffer.from(head);
      for (let j = 0; j < 10; j++) b[rnd(b.length)] = rnd(256);
      checkSane(parseFeed(b, 'auto', D), f + ' flipped #' + k);
    }
  }
  for (let k = 0; k < 200; k++) {
    const b = Buffer.alloc(rnd(600));
    for (let j = 0; j < b.length; j++) b[j] = rnd(256);
    const f: FeedFormat = k % 2 === 0 ? 'auto' : FEED_FORMATS[rnd(FEED_FORMATS.length)];
    checkSane(parseFeed(b, f, D), 'random bytes #' + k + ' as ' + f);
  }
  checkSane(parseFeed('', 'auto', D), 'empty');
  checkSane(parseFeed('\n\n\r\n', 'auto', D), 'blank');
  // An unknown format name (a bad catalogue entry) is reported, not thrown.
  const bad = parseFeed('1.2.3.4', 'nope' as FeedFormat, D);
  assert.equal(bad.malformed, 1);
  assert.match(bad.examples[0], /unknown feed format/);
});

const TOKENS = ['[', ']', '(', ')', ' AND ', ' OR ', ' FOLLOWEDBY ', ' NOT ', 'ipv4-addr:value', 'ipv6-addr:value', 'domain-name:value',
  'url:value', "file:hashes.'SHA-256'", 'network-traffic:dst_port', 'network-traffic:dst_ref.value', 'email-addr:value', ' = ', ' != ',
  ' IN ', ' LIKE ', ' ISSUBSET ', "'evil.example'", "'45.33.2.1'", "'45.33.2.0/24'", "'2a00::1'", "'it\\'s'", ',', ' WITHIN ', ' 5 ',
  ' SECONDS', ' REPEATS ', ' TIMES', " START t'2024-01-01T00:00:00Z' STOP t'2024-01-02T00:00:00Z'", "h'ab'", "'unterminated", '\\', '443',
  "'http://x.example/a'", ' MATCHES ', "'^a$'"];

test('STIX: random patterns from a token soup, deep nesting, odd object shapes', () => {
  const objs: unknown[] = [];
  for (let k = 0; k < 600; k++) {
    let p = '';
    const n = 1 + rnd(14);
    for (let j = 0; j < n; j++) p += TOKENS[rnd(TOKENS.length)];
    objs.push({ type: 'indicator', id: 'indicator--' + k, pattern: p });
  }
  // Well-formed patterns mixed in, so the soup is not all errors.
  for (let k = 0; k < 50; k++) objs.push({ type: 'indicator', id: 'ok-' + k, pattern: `[domain-name:value = 'd${k}.example'] OR [ipv4-addr:value = '45.33.7.${k}']` });
  objs.push({ type: 'indicator', pattern: '('.repeat(5000) + "[domain-name:value = 'deep.example']" + ')'.repeat(5000) });
  objs.push({ type: 'indicator', pattern: '['.repeat(5000) });
  objs.push({ type: 'indicator', pattern: "[url:value IN (" + Array.from({ length: 2000 }, (_, i) => `'http://u${i}.example/'`).join(',') + ")] AND [a:b = 'c']" });
  objs.push({ type: 'indicator', pattern: 'x'.repeat(70000) });
  objs.push({ type: 'indicator', pattern: 42 }, { type: 'indicator', pattern: null }, null, 7, 'str', [], { type: 'indicator', pattern: "[domain-name:value = 'p.example']", external_references: 'nope', name: 5, indicator_types: 'benign' });
  const r = parseFeed(JSON.stringify({ type: 'bundle', id: 'bundle--x', objects: objs }), 'stix', D);
  checkSane(r, 'stix soup');
  checkRoundTrip(r, 'stix soup');
  for (let k = 0; k < 50; k++) {
    assert.ok(r.indicators.some((i) => i.value === `d${k}.example`), 'well-formed pattern kept: d' + k);
  }
  assert.ok(r.malformed > 100 && r.skippedBy.unsupported !== undefined, JSON.stringify({ m: r.malformed, s: r.skippedBy }));
  assert.ok(r.indicators.some((i) => i.value === 'p.example'));
});

test('MISP: attributes and events of the wrong JSON types', () => {
  const weird = [null, 1, 'x', [], {}, { type: 5, value: 6, to_ids: 'yes' }, { type: 'ip-dst', value: null, to_ids: true },
    { type: 'ip-dst|port', value: '45.33.2.1|99999', to_ids: true }, { type: 'ip-dst|port', value: '45.33.2.1', to_ids: true },
    { type: 'domain|ip', value: '|', to_ids: true }, { type: 'filename|sha256', value: 'a|b', to_ids: 1 }, { type: 'url', value: '', to_ids: '1' }];
  const docs = [
    { Event: { Attribute: weird, Object: [null, { Attribute: 'no' }, { Attribute: weird }], threat_level_id: {} } },
    { Event: 'no' }, { response: [1, 2] }, [null], { Event: { Attribute: { not: 'a list' } } },
  ];
  for (const d of docs) checkSane(parseFeed(JSON.stringify(d), 'misp', D), JSON.stringify(d).slice(0, 60));
  const r = parseFeed(JSON.stringify({ 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa': {} }), 'misp', D, {
    readEvent: () => { throw new Error('disk on fire'); },
  });
  assert.equal(r.malformed, 1);
  checkSane(r, 'throwing reader');
});
