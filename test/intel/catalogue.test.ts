/**
 * The built-in catalogue: every entry is complete and safe (https, a known format, a valid id),
 * cadences never beat what the providers ask, the key rules (who gets it, which feeds need it),
 * which feeds are on by default, and that the catalogue's formats read the corpus snapshots of
 * the same lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE, catalogueFeed, keyAllowed } from '../../src/intel/catalogue.js';
import { resolveFeeds } from '../../src/intel/update/spec.js';
import { isValidFeedId, FEED_FORMATS, CATEGORIES } from '../../src/intel/update/user-feeds.js';
import { parseFeed } from '../../src/intel/parse/index.js';
import { DEFAULTS, type VigilConfig } from '../../src/config/schema.js';
import { SEVERITIES } from '../../src/alert/alert.js';
import { CORPUS } from '../helpers/analyze.js';

const H = 3600;
const D = 86400;
const intel = (o: Partial<VigilConfig['intel']> = {}): VigilConfig['intel'] => ({ ...DEFAULTS.intel, ...o });

test('every catalogue entry is complete: id, https URLs, format, category, severity, licence, reference', () => {
  const ids = new Set<string>();
  for (const f of CATALOGUE) {
    assert.ok(isValidFeedId(f.id), `${f.id}: a file-name-safe id`);
    assert.ok(!ids.has(f.id), `${f.id}: unique`);
    ids.add(f.id);
    assert.ok(f.urls.length >= 1);
    for (const u of f.urls) assert.equal(new URL(u).protocol, 'https:', `${f.id}: ${u} over https`);
    assert.ok(FEED_FORMATS.includes(f.format) && f.format !== 'auto', `${f.id}: a concrete format`);
    assert.ok(CATEGORIES.includes(f.category));
    assert.ok(SEVERITIES.includes(f.severity));
    assert.ok(f.name && f.what && f.licence, `${f.id}: name, what and licence for the attribution`);
    assert.match(f.reference, /^https:\/\//);
    assert.ok(f.minEverySeconds > 0 && f.minEverySeconds <= f.everySeconds, `${f.id}: default cadence respects the floor`);
    assert.equal(catalogueFeed(f.id), f);
  }
});

test('cadences are never faster than the providers ask', () => {
  const every = (id: string) => catalogueFeed(id)!.everySeconds;
  const floor = (id: string) => catalogueFeed(id)!.minEverySeconds;
  assert.ok(every('feodo') >= H && floor('feodo') >= H, 'Feodo: 1 h');
  assert.equal(every('spamhaus-drop'), 12 * H, 'Spamhaus DROP: 12 h by default');
  assert.ok(floor('spamhaus-drop') >= H && floor('spamhaus-drop-v6') >= H, 'Spamhaus: at most once per hour');
  assert.ok(every('tor-exits') >= H);
  assert.equal(every('firehol-level1'), D, 'FireHOL level1 daily');
  assert.ok(every('urlhaus') >= H && floor('urlhaus') >= 300, 'URLhaus: hourly, never more often than every 5 min');
  assert.ok(every('threatfox') >= H);
  assert.equal(every('sslbl-ja3'), D);
  assert.equal(every('sslbl-certs'), D);
  assert.equal(every('stevenblack'), D);
  // No EDROP: it was merged into DROP in April 2024.
  assert.ok(!CATALOGUE.some((f) => /edrop/i.test(f.id + f.urls.join())));
});

test('on by default: the feeds needing no account; key feeds turn on with the key; optional ones with intel.enable', () => {
  const on = (c: VigilConfig['intel']) => resolveFeeds(c, []).filter((s) => s.enabled).map((s) => s.id).sort();
  assert.deepEqual(on(intel()), ['feodo', 'spamhaus-drop', 'spamhaus-drop-v6', 'tor-exits']);
  const noKey = resolveFeeds(intel(), []);
  assert.deepEqual(noKey.filter((s) => s.needsKey).map((s) => s.id).sort(), ['sslbl-certs', 'sslbl-ja3', 'threatfox', 'urlhaus']);
  assert.deepEqual(on(intel({ abuseChKey: 'k-123456' })), ['feodo', 'spamhaus-drop', 'spamhaus-drop-v6', 'sslbl-certs', 'sslbl-ja3', 'threatfox', 'tor-exits', 'urlhaus']);
  assert.deepEqual(on(intel({ enable: ['firehol-level1', 'stevenblack', 'misp-circl'], disabled: ['tor-exits'] })),
    ['feodo', 'firehol-level1', 'misp-circl', 'spamhaus-drop', 'spamhaus-drop-v6', 'stevenblack']);
  // Enabling a key feed without a key does not fetch it: it says "needs key".
  const want = resolveFeeds(intel({ enable: ['urlhaus'] }), []).find((s) => s.id === 'urlhaus')!;
  assert.equal(want.enabled, false);
  assert.equal(want.needsKey, true);
  // Turned off explicitly: off, not "needs key".
  const off = resolveFeeds(intel({ disabled: ['urlhaus'] }), []).find((s) => s.id === 'urlhaus')!;
  assert.deepEqual([off.enabled, off.needsKey], [false, false]);
});

test('the abuse.ch key goes to abuse.ch hosts only; URLhaus also takes it in the query', () => {
  for (const f of CATALOGUE) {
    const hosts = f.urls.map((u) => new URL(u).hostname);
    if (f.key !== 'none') assert.ok(hosts.every((h) => keyAllowed(f, h)), `${f.id}: a key feed lives on abuse.ch`);
    else assert.ok(hosts.every((h) => !h.endsWith('abuse.ch')), `${f.id}`);
  }
  const u = catalogueFeed('urlhaus')!;
  assert.equal(u.key, 'required');
  assert.equal(u.keyInQuery, true);
  assert.equal(catalogueFeed('feodo')!.key, 'optional', 'Feodo works without an account; the key is sent when set');
  assert.ok(keyAllowed(u, 'urlhaus-api.abuse.ch'));
  assert.ok(!keyAllowed(u, 'abuse.ch.evil.example'));
  assert.ok(!keyAllowed(u, 'notabuse.ch'));
  assert.ok(!keyAllowed(u, 'raw.githubusercontent.com'));
});

test('the catalogue formats read the corpus snapshots of the same lists', () => {
  const read = (rel: string) => readFileSync(join(CORPUS, 'intel', rel), 'utf8');
  const tor = catalogueFeed('tor-exits')!;
  const t = parseFeed(read('tor/tor-exit-nodes.lst'), tor.format, { feed: tor.id, category: tor.category, severity: tor.severity, reference: tor.reference });
  // 1746 lines, one public IPv4 each, no duplicates (checked with Python's ipaddress.is_global).
  assert.equal(t.indicators.length, 1746);
  assert.equal(t.malformed, 0);
  assert.equal(t.indicators[0].feed, 'tor-exits');
  assert.equal(t.indicators[0].category, 'tor');
  const fh = catalogueFeed('firehol-level1')!;
  const d = parseFeed(read('firehol/feodo.ipset'), fh.format, { feed: fh.id, category: fh.category, severity: fh.severity, reference: fh.reference });
  // 265 lines: 30 comment lines, 235 addresses ("Entries: 235 unique IPs"), all public.
  assert.equal(d.indicators.length, 235);
  assert.equal(d.malformed, 0);
});
