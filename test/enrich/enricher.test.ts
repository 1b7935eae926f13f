import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnInfo, LogFields } from '../../src/decode/app/analyzer.js';
import { AsnDb } from '../../src/enrich/asn.js';
import { DnsNames } from '../../src/enrich/dns-names.js';
import { registeredDomain } from '../../src/enrich/domain.js';
import { Enricher, type RemoteInfo } from '../../src/enrich/enricher.js';
import { Geo } from '../../src/enrich/geo.js';
import { analyze } from '../../src/engine/analyze.js';
import type { ConnRecord } from '../../src/flow/conn-record.js';
import { RecordBus, type RecordSink } from '../../src/logs/record-sink.js';
import { pcap } from '../helpers/analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-enricher-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// The bundled data, opened once and shared (the ASN tables take ~0.5 s to load).
const geo = Geo.open();
const asn = AsnDb.open();

test('remote(): country, AS and organisation of external addresses, IPv4 and IPv6', () => {
  const e = new Enricher({ geo, asn });
  assert.deepEqual(e.remote('192.168.1.20', '8.8.8.8'), { country: 'US', asn: 15169, asOrg: 'Google LLC', name: null, domain: null });
  assert.deepEqual(e.remote(null, '2606:4700:4700::1111'), { country: 'US', asn: 13335, asOrg: 'Cloudflare, Inc.', name: null, domain: null });
  assert.deepEqual(e.remote(null, '2a00:1450:4001:80b::200e'), { country: 'IE', asn: 15169, asOrg: 'Google LLC', name: null, domain: null });
  assert.deepEqual(e.remote(null, '1.1.1.1'), { country: 'AU', asn: 13335, asOrg: 'Cloudflare, Inc.', name: null, domain: null });
});

test('private and reserved remotes: nothing looked up, nothing cached, but a DNS name still shown', () => {
  const names = new DnsNames();
  const c: ConnInfo = { uid: 'C1', origH: '192.168.1.20', origP: 5000, respH: '192.168.1.1', respP: 53, proto: 'udp', origMac: '', respMac: '' };
  names.record('dns', 10, c, { query: 'nas.example.com', qtype: 1, rcode: 0, answers: ['192.168.1.5'], TTLs: [60] } as LogFields);
  const e = new Enricher({ geo, asn, dnsNames: names });
  const before = e.stats();
  assert.deepEqual(e.remote('192.168.1.20', '192.168.1.5'), { country: null, asn: null, asOrg: null, name: 'nas.example.com', domain: 'example.com' });
  assert.deepEqual(e.remote('192.168.1.20', 'fe80::1'), { country: null, asn: null, asOrg: null, name: null, domain: null });
  assert.deepEqual(e.stats(), before);
});

test('per-address cache: hits, misses and evictions counted; the cap holds', () => {
  const e = new Enricher({ geo, asn, cacheSize: 2 });
  const g0 = geo.lookups;
  e.remote(null, '8.8.8.8');
  e.remote(null, '8.8.8.8');
  e.remote(null, '9.9.9.9');
  e.remote(null, '1.1.1.1'); // evicts 8.8.8.8
  e.remote(null, '8.8.8.8');
  const s = e.stats();
  assert.equal(s['enrich.cache_hits'], 1);
  assert.equal(s['enrich.cache_misses'], 4);
  assert.equal(s['enrich.cache_evicted'], 2);
  assert.equal(geo.lookups - g0, 4); // only misses reach the database
});

test('missing data: one sentence per problem, and the rest still works', () => {
  const problems: string[] = [];
  const e = new Enricher({ geoPath: join(dir, 'GeoLite2-Country.mmdb'), asn, onProblem: (m) => problems.push(m) });
  assert.equal(e.geo, null);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /VIGIL_ERR_ENRICH_DATA: cannot read the country database .*GeoLite2-Country\.mmdb \(ENOENT\); point enrich\.geoDb to/);
  assert.deepEqual(e.remote(null, '8.8.8.8'), { country: null, asn: 15169, asOrg: 'Google LLC', name: null, domain: null });

  const bad = join(dir, 'bad.mmdb');
  writeFileSync(bad, 'not an mmdb');
  const e2 = new Enricher({ geo, asnPath: bad, onProblem: (m) => problems.push(m) });
  assert.equal(e2.asn, null);
  assert.equal(problems.length, 2);
  assert.match(problems[1], /not a valid MaxMind DB file/);
  assert.deepEqual(e2.remote(null, '8.8.8.8'), { country: 'US', asn: null, asOrg: null, name: null, domain: null });

  const none = new Enricher({ geo: null, asn: null });
  assert.deepEqual(none.remote('10.0.0.1', '8.8.8.8'), { country: null, asn: null, asOrg: null, name: null, domain: null });
});

test('android.pcap through the engine: each TLS flow to the internet named and placed as the sensor will', async () => {
  const names = new DnsNames();
  const e = new Enricher({ geo, asn, dnsNames: names });
  const info = new Map<string, RemoteInfo>();
  const sni = new Map<string, string>();
  // Like the sensor pipeline: DnsNames first on the bus, enrichment when the flow's record comes out.
  const sink: RecordSink = {
    wants: (p) => p === 'conn' || p === 'ssl',
    conn(r: ConnRecord): void {
      if (r.localOrig && !r.localResp) info.set(r.uid, e.remote(r.origH, r.respH, r.ts));
    },
    record(_p: string, _ts: number, c: ConnInfo | null, f: LogFields): void {
      if (c !== null && typeof f.server_name === 'string') sni.set(c.uid, f.server_name);
    },
  };
  await analyze([pcap('ndpi/android.pcap')], new RecordBus().add(names).add(sink));
  assert.equal(sni.size, 18);
  for (const [uid, server] of sni) {
    const r = info.get(uid);
    assert.ok(r, `no enrichment for ${uid}`);
    assert.equal(r.name, server);
    assert.equal(r.domain, registeredDomain(server));
    assert.equal(r.asn, 15169); // every TLS peer of this phone is Google
    assert.equal(r.asOrg, 'Google LLC');
    assert.equal(r.country, 'US');
  }
  const doms = new Set([...info.values()].map((r) => r.domain));
  // googleapis.com is a private PSL suffix (customer projects live under it): see domain.ts.
  for (const d of ['google.com', 'play.googleapis.com', 'gstatic.com', 'googlezip.net', 'app-measurement.com']) assert.ok(doms.has(d), d);
});

test('throughput of remote() (figures for the report)', () => {
  const e = new Enricher({ geo, asn, cacheSize: 8192 });
  const ips: string[] = [];
  for (let i = 0; i < 20000; i++) ips.push(`${((i * 7919) % 223) + 1}.${(i * 31) % 256}.${(i >> 8) % 256}.${(i % 200) + 1}`);
  let t = process.hrtime.bigint();
  for (const ip of ips) e.remote('192.168.1.20', ip);
  const missPerS = ips.length / (Number(process.hrtime.bigint() - t) / 1e9);
  const hot = ips.slice(0, 500);
  t = process.hrtime.bigint();
  for (let k = 0; k < 100; k++) for (const ip of hot) e.remote('192.168.1.20', ip);
  const hitPerS = (hot.length * 100) / (Number(process.hrtime.bigint() - t) / 1e9);
  console.log(`# Enricher.remote: ${Math.round(missPerS)}/s uncached (geo + ASN lookups), ${Math.round(hitPerS)}/s cached`);
  // Far below the measured figures (~170k/s and ~4M/s), so a shared CI core cannot flake it,
  // but an accidental per-call scan or reload would.
  assert.ok(missPerS > 10_000, String(missPerS));
  assert.ok(hitPerS > 200_000, String(hitPerS));
});
