import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Geo, defaultGeoPath, openGeoOrNull } from '../../src/enrich/geo.js';
import { VigilError } from '../../src/util/errors.js';
import { buildMmdb } from './mmdb-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-geo-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function assertEnrichError(fn: () => unknown, mention: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VigilError);
    assert.equal(e.code, 'VIGIL_ERR_ENRICH_DATA');
    assert.match(e.message, mention);
    assert.match(e.message, /enrich\.geoDb/); // says what to do
    return true;
  });
}

test('bundled data: known addresses, IPv4 and IPv6', () => {
  const g = Geo.open();
  assert.equal(g.path, defaultGeoPath());
  assert.equal(g.country('8.8.8.8'), 'US');
  assert.equal(g.country('2001:4860:4860::8888'), 'US');
  assert.equal(g.country('81.2.69.160'), 'GB');
  assert.equal(g.country('2a00:1450:4001:80b::200e'), 'IE');
  // The mapped form is looked up as IPv4.
  assert.equal(g.country('::ffff:81.2.69.160'), 'GB');
  // 1.1.1.1 is registered to APNIC research in Australia (whois data), whatever anycast says.
  assert.equal(g.country('1.1.1.1'), 'AU');
});

test('private, reserved and non-addresses are null without touching the database', () => {
  const g = Geo.open();
  const before = g.lookups;
  // 192.168.1.1 has a (bogus) AU record in the bundled data: it must not be looked up.
  for (const ip of ['192.168.1.1', '10.0.0.1', '172.20.1.1', '100.64.1.1', '127.0.0.1', '224.0.0.251', 'fe80::1', 'fd12::1', 'ff02::fb', '::1', 'example.com', '']) {
    assert.equal(g.country(ip), null, ip);
  }
  assert.equal(g.lookups, before);
  assert.equal(g.country('8.8.8.8'), 'US');
  assert.equal(g.lookups, before + 1);
});

test('a GeoLite2-Country style file ({ country: { iso_code } }) is read too', () => {
  const file = join(dir, 'GeoLite2-Country.mmdb');
  writeFileSync(file, buildMmdb([
    ['8.8.8.0/24', { country: { iso_code: 'US', names: { en: 'United States' } }, registered_country: { iso_code: 'US' } }],
    ['2a00:1450::/32', { country: { iso_code: 'IE' }, continent: { code: 'EU' } }],
    // Satellite/anonymous ranges in GeoLite2 have only registered_country.
    ['81.2.69.0/24', { registered_country: { iso_code: 'GB' } }],
    ['5.5.5.0/24', { country: { iso_code: 'not a code' } }],
  ], 'GeoLite2-Country'));
  const g = Geo.open(file);
  assert.equal(g.databaseType, 'GeoLite2-Country');
  assert.equal(g.country('8.8.8.8'), 'US');
  assert.equal(g.country('2a00:1450:4001:80b::200e'), 'IE');
  assert.equal(g.country('81.2.69.160'), 'GB');
  assert.equal(g.country('5.5.5.5'), null);
  assert.equal(g.country('9.9.9.9'), null); // not in this file
});

test('missing, damaged and wrong-kind files give VIGIL_ERR_ENRICH_DATA', () => {
  assertEnrichError(() => Geo.open(join(dir, 'nope.mmdb')), /cannot read the country database .*nope\.mmdb \(ENOENT\)/);
  assertEnrichError(() => Geo.open(dir), /EISDIR/);
  const junk = join(dir, 'junk.mmdb');
  writeFileSync(junk, Buffer.from('this is not a MaxMind database at all\n'.repeat(100)));
  assertEnrichError(() => Geo.open(junk), /junk\.mmdb is not a valid MaxMind DB file/);
  // The first megabyte of the real file: a search tree without its metadata.
  const cut = join(dir, 'cut.mmdb');
  writeFileSync(cut, readFileSync(defaultGeoPath()).subarray(0, 1 << 20));
  assertEnrichError(() => Geo.open(cut), /cut\.mmdb is not a valid MaxMind DB file/);
  const asn = join(dir, 'GeoLite2-ASN.mmdb');
  writeFileSync(asn, buildMmdb([['8.8.8.0/24', { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }]], 'GeoLite2-ASN'));
  assertEnrichError(() => Geo.open(asn), /is an ASN database \(GeoLite2-ASN\), not a country one/);
});

test('openGeoOrNull: a problem is one sentence and the caller goes on without countries', () => {
  const problems: string[] = [];
  assert.equal(openGeoOrNull(join(dir, 'missing.mmdb'), (m) => problems.push(m)), null);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^VIGIL_ERR_ENRICH_DATA: cannot read the country database .*missing\.mmdb.*Countries are left out\.$/);
  const g = openGeoOrNull(undefined, (m) => problems.push(m));
  assert.ok(g !== null);
  assert.equal(g.country('8.8.8.8'), 'US');
  assert.equal(openGeoOrNull('', (m) => problems.push(m))?.path, defaultGeoPath());
  assert.equal(problems.length, 1);
});
