/**
 * DNS tunnel / DGA detector: the corpus dnscat2 capture (golden) with the default settings,
 * synthetic captures for an iodine-style tunnel under a real domain and a DGA NXDOMAIN storm
 * through the real pipeline, and benign look-alikes (antivirus and blocklist lookups, CDN and
 * cloud hostnames, DNS-SD, DNSSEC, mDNS, reverse lookups, typo NXDOMAINs) that must stay quiet
 * or at most low.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureFiles, detectFile } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import { type Endpoint, type Frame, merge, udpExchange } from '../helpers/pcap-writer.js';
import { DnsTunnelDetector, looksEncoded, looksGenerated } from '../../src/detect/dns-tunnel.js';
import { DETECT_DEFAULTS } from '../../src/config/detect.js';
import type { Alert } from '../../src/alert/alert.js';
import type { ConnInfo } from '../../src/decode/app/analyzer.js';
import type { DetectContext } from '../../src/detect/detector.js';

const file = captureFiles('vigil-dns-tunnel-');

const LAPTOP_MAC = '3c:22:fb:00:00:02';
const CAMERA_MAC = '44:19:b6:00:00:01';
const ROUTER_MAC = 'e4:8d:8c:00:00:03';
const RESOLVER: Endpoint = { mac: ROUTER_MAC, ip: '192.168.1.1', port: 53 };
const T0 = 1_700_000_000;

// ---- a small DNS message builder ---------------------------------------------------------------

function qname(name: string): Buffer {
  const parts = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function dnsMessage(id: number, name: string, qtype: number, response: boolean, rcode = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(response ? 0x8180 | rcode : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([h, qname(name), q]);
}

/** One query and its (answerless) response from a client on its own source port. */
function lookup(client: { mac: string; ip: string }, i: number, name: string, qtype: number, rcode: number, ts: number): Frame[] {
  return udpExchange({
    client: { ...client, port: 30000 + (i % 30000) },
    server: RESOLVER,
    start: ts,
    datagrams: [
      { from: 'client', payload: dnsMessage(i & 0xffff, name, qtype, false) },
      { from: 'server', payload: dnsMessage(i & 0xffff, name, qtype, true, rcode) },
    ],
  });
}

/** Deterministic pseudo-random generator (tests must be exact). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomString(r: () => number, n: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';

// ---- the shape heuristics ----------------------------------------------------------------------

test('looksEncoded: hex, base32 and base64 data yes; long hostnames made of words no', () => {
  const r = rng(1);
  for (let i = 0; i < 50; i++) {
    assert.ok(looksEncoded(randomString(r, 48, HEX)), 'hex');
    assert.ok(looksEncoded(randomString(r, 48, BASE32)), 'base32');
    assert.ok(looksEncoded(randomString(r, 48, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')), 'base64');
  }
  for (const benign of [
    'mobileanalyticsuseast1amazonaws', 'myloadbalancer1234567890uswest2elb', 'audioakspotifycomakamaized',
    'internationalbusinessmachinesresearchcenter', 'secureimagesfrontendcdnwebservicesregion',
    'prodeuwest1apigatewayingressv2', 'clientservicesgoogleapissettingscrosdevice', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  ]) assert.equal(looksEncoded(benign), false, benign);
});

test('looksGenerated: most random letter strings yes; real registered names no', () => {
  const r = rng(2);
  let hits = 0;
  for (let i = 0; i < 200; i++) if (looksGenerated(randomString(r, 8 + Math.floor(r() * 10), LETTERS))) hits++;
  assert.ok(hits >= 120, `${hits}/200 random names judged generated`);
  for (const real of ['google', 'facebook', 'wikipedia', 'amazon', 'netflix', 'spotify', 'tplinkcloud', 'hikvision',
    'ukathletics', 'bigbluehistory', 'internetbadguys', 'connectivitycheck', 'wikipedia-mirror12', 'googleusercontent']) {
    assert.equal(looksGenerated(real), false, real);
  }
});

// ---- the golden capture ------------------------------------------------------------------------

test('corpus dnscat2 capture: dns.tunnel (high) for the querying device with the default settings', async () => {
  const r = await detectFile(pcap('ndpi/dns_exfiltration.pcap'));
  const t = r.of('dns.tunnel');
  assert.equal(t.length, 1, JSON.stringify(r.alerts.map((a) => a.summary)));
  const a = t[0]!;
  assert.equal(a.device, '8c:dc:d4:46:be:c4');
  assert.equal(a.severity, 'high');
  // 150 queries, every one a distinct dnscat2 message; the final raise carries the whole episode.
  assert.equal(a.evidence.count, 150);
  assert.equal(a.evidence.queries, 150);
  assert.equal(a.evidence.parent, '');
  assert.equal(a.evidence.server, '192.168.203.167');
  assert.deepEqual(a.evidence.uids, ['CyI2fpMExme897MrD1']);
  assert.ok((a.evidence.last as number) - (a.evidence.first as number) < 61);
  assert.match(a.summary, /^Hewlett Packard .*8c:dc:d4:46:be:c4.* sent 150 DNS queries carrying encoded data/);
  assert.match(a.summary, /192\.168\.203\.167/);
  assert.equal(r.of('dns.dga').length, 0);
});

test('corpus dnscat2 capture: with a threshold above what it sends, nothing fires (the threshold matters)', async () => {
  const r = await detectFile(pcap('ndpi/dns_exfiltration.pcap'), { config: { 'detect.dnsTunnel.subdomains': 240 } });
  assert.equal(r.of('dns.tunnel').length, 0);
});

// ---- synthetic captures through the pipeline ---------------------------------------------------

test('iodine-style tunnel under a real domain (NULL lookups, base32 labels): dns.tunnel high with the parent', async () => {
  const r = rng(3);
  const laptop = { mac: LAPTOP_MAC, ip: '192.168.1.30' };
  const frames: Frame[][] = [];
  for (let i = 0; i < 120; i++) {
    const name = `${randomString(r, 50, BASE32)}.${randomString(r, 30, BASE32)}.t.tunnel-example.com`;
    frames.push(lookup(laptop, i, name, 10, 0, T0 + i * 2));
  }
  // The same laptop's normal browsing: must not add to anything.
  for (let i = 0; i < 30; i++) frames.push(lookup(laptop, 1000 + i, `www.site${i}.example.org`, 1, 0, T0 + i * 7 + 0.5));
  const res = await detectFile(file(merge(...frames)));
  const t = res.of('dns.tunnel');
  assert.equal(t.length, 1, JSON.stringify(res.alerts.map((a) => a.summary)));
  assert.equal(t[0]!.device, LAPTOP_MAC);
  assert.equal(t[0]!.severity, 'high');
  assert.equal(t[0]!.evidence.parent, 'tunnel-example.com');
  assert.equal(t[0]!.evidence.count, 120);
  assert.deepEqual(t[0]!.evidence.qtypes, ['NULL']);
  assert.equal(t[0]!.key, `dns.tunnel|${LAPTOP_MAC}|tunnel-example.com`);
  assert.match(t[0]!.summary, /tunnel-example\.com/);
});

test('DGA: NXDOMAIN storm of generated names → dns.dga high for the device; typos and blocklist misses do not count', async () => {
  const r = rng(4);
  const camera = { mac: CAMERA_MAC, ip: '192.168.1.20' };
  const laptop = { mac: LAPTOP_MAC, ip: '192.168.1.30' };
  const frames: Frame[][] = [];
  const tlds = ['com', 'net', 'org', 'info', 'biz'];
  for (let i = 0; i < 70; i++) {
    const name = `${randomString(r, 9 + (i % 8), 'bcdfghjklmnpqrstvwxz')}.${tlds[i % tlds.length]}`;
    frames.push(lookup(camera, i, name, 1, 3, T0 + i * 3));
  }
  // The laptop: 80 NXDOMAINs too, but for a mail blocklist (one domain), search-suffix misses and typos.
  for (let i = 0; i < 40; i++) frames.push(lookup(laptop, 500 + i, `${i}.2.0.192.zen.spamhaus.org`, 1, 3, T0 + i * 2 + 0.3));
  for (let i = 0; i < 40; i++) frames.push(lookup(laptop, 600 + i, `www.wikipedia-mirror${i}.org`, 1, 3, T0 + i * 2 + 0.6));
  const res = await detectFile(file(merge(...frames)));
  const dga = res.of('dns.dga');
  assert.equal(dga.length, 1, JSON.stringify(res.alerts.map((a) => `${a.device} ${a.summary}`)));
  assert.equal(dga[0]!.device, CAMERA_MAC);
  assert.equal(dga[0]!.severity, 'high');
  const n = dga[0]!.evidence.count as number;
  assert.ok(n >= 50 && n <= 70, `distinct generated domains ${n}`);
  assert.equal((dga[0]!.evidence.examples as string[]).length, 3);
  assert.equal(res.of('dns.tunnel').length, 0);
});

test('DGA: fewer generated NXDOMAINs than the threshold stay quiet', async () => {
  const r = rng(5);
  const camera = { mac: CAMERA_MAC, ip: '192.168.1.20' };
  const frames: Frame[][] = [];
  for (let i = 0; i < 30; i++) frames.push(lookup(camera, i, `${randomString(r, 12, 'bcdfghjklmnpqrstvwxz')}.com`, 1, 3, T0 + i * 3));
  const res = await detectFile(file(merge(...frames)));
  assert.equal(res.of('dns.').length, 0);
});

// ---- benign look-alikes, fed to the detector directly ------------------------------------------

interface Harness {
  readonly alerts: Alert[];
  readonly det: DnsTunnelDetector;
  query(name: string, opts?: { qtype?: number; rcode?: number; ts?: number; respP?: number; ip?: string; mac?: string }): void;
}

function harness(overrides: Partial<typeof DETECT_DEFAULTS.dnsTunnel> = {}): Harness {
  const alerts: Alert[] = [];
  const ctx: DetectContext = {
    raise: (a) => alerts.push(a),
    deviceOf: (ip, mac) => (ip.startsWith('192.168.') ? mac || null : null),
    describe: (mac, ip) => (mac ? `Laptop (${mac})` : `the device at ${ip}`),
    isGateway: () => false,
    intel: () => null,
    baselines: null,
    learning: () => false,
    count: () => {},
  };
  const det = new DnsTunnelDetector({ ...DETECT_DEFAULTS, dnsTunnel: { ...DETECT_DEFAULTS.dnsTunnel, ...overrides } }, ctx);
  let i = 0;
  return {
    alerts,
    det,
    query(name, o = {}) {
      const respP = o.respP ?? 53;
      const conn: ConnInfo = {
        uid: `C${i++}`, origH: o.ip ?? '192.168.1.30', origP: respP === 53 ? 40000 : respP, respH: '192.168.1.1', respP, proto: 'udp',
        origMac: o.mac ?? LAPTOP_MAC, respMac: ROUTER_MAC,
      };
      det.record('dns', o.ts ?? T0 + i, conn, { query: name, qtype: o.qtype ?? 1, rcode: o.rcode ?? 0, qtype_name: 'A' });
    },
  };
}

test('antivirus and blocklist lookups (hashes in names) are at most low, and say why', () => {
  const h = harness();
  const r = rng(6);
  for (let i = 0; i < 200; i++) h.query(`0.0.0.0.1.0.0.4e.${randomString(r, 40, HEX)}.avqs.mcafee.com`, { qtype: 16 });
  for (let i = 0; i < 200; i++) h.query(`${randomString(r, 40, HEX)}.${randomString(r, 20, HEX)}.hashbl.example-mail.net`);
  assert.ok(h.alerts.length >= 1);
  for (const a of h.alerts) {
    assert.equal(a.code, 'dns.tunnel');
    assert.equal(a.severity, 'low', a.summary);
    assert.match(a.summary, /probably fine/);
  }
  assert.ok(h.alerts.some((a) => a.evidence.service === 'McAfee antivirus cloud lookups'));
  assert.ok(h.alerts.some((a) => a.evidence.service === 'a DNS blocklist'));
});

test('CDN and cloud hostnames, DNS-SD, DNSSEC, mDNS, LLMNR and reverse lookups never fire', () => {
  const h = harness({ subdomains: 20 });
  const r = rng(7);
  for (let i = 0; i < 100; i++) {
    // Long hashed CDN/cloud names: a few distinct ones each, as browsing makes them.
    h.query(`${randomString(r, 14, LETTERS)}${i % 3}.cloudfront.net`);
    h.query(`r${i % 5}---sn-4g5e6nls.googlevideo.com`);
    h.query(`audio-ak-spotify-com.akamaized.net`);
    h.query(`123456789012-${randomString(r, 32, HEX)}.apps.googleusercontent.com`.slice(0, 60 + (i % 2)), { ts: T0 + i * 700 });
    // Service discovery and DKIM: underscore labels.
    h.query(`b._dns-sd._udp.${randomString(r, 40, HEX)}.example.com`);
    h.query(`${randomString(r, 44, HEX)}._domainkey.example.com`, { qtype: 16 });
    // DNSSEC validation (DS, DNSKEY).
    h.query(`${randomString(r, 48, HEX)}.example.com`, { qtype: 43 });
    h.query(`${randomString(r, 48, HEX)}.example.com`, { qtype: 48 });
    // mDNS and LLMNR on their own ports; reverse lookups.
    h.query(`${randomString(r, 48, HEX)}._googlecast._tcp.local`, { respP: 5353 });
    h.query(`${randomString(r, 48, HEX)}.example.com`, { respP: 5353 });
    h.query(`${randomString(r, 48, HEX)}`, { respP: 5355 });
    h.query(`${i}.1.168.192.in-addr.arpa`, { qtype: 12, rcode: 3 });
    h.query(`${randomString(r, 32, HEX).split('').join('.')}.ip6.arpa`, { qtype: 12, rcode: 3 });
  }
  assert.deepEqual(h.alerts.map((a) => a.summary), []);
});

test('the window: encoded names spread thinner than the threshold per window stay quiet', () => {
  const h = harness();
  const r = rng(8);
  // 300 encoded A lookups, one every 10 s: 60 per 600 s window < 100.
  for (let i = 0; i < 300; i++) h.query(`${randomString(r, 48, HEX)}.data.example-exfil.com`, { ts: T0 + i * 10 });
  h.det.tick(T0 + 4000);
  h.det.finish();
  assert.equal(h.alerts.length, 0);
});

test('a continuing tunnel is raised once per window, each with the same key; odd input does not throw', () => {
  const h = harness();
  const r = rng(9);
  for (let i = 0; i < 600; i++) h.query(`${randomString(r, 48, HEX)}.t.example-exfil.com`, { qtype: 16, ts: T0 + i * 2 });
  // 600 queries over 1,200 s: two windows of 600 s, each crossing the threshold once.
  assert.equal(h.alerts.length, 2);
  assert.equal(new Set(h.alerts.map((a) => a.key)).size, 1);
  assert.ok(h.alerts.every((a) => a.severity === 'high' && a.device === LAPTOP_MAC));
  const conn: ConnInfo = { uid: 'Cx', origH: 'fe80::1', origP: 1, respH: 'fe80::2', respP: 53, proto: 'udp', origMac: '', respMac: '' };
  h.det.record('dns', T0, conn, {});
  h.det.record('dns', T0, conn, { query: 42 });
  h.det.record('dns', T0, conn, { query: '.'.repeat(80), rcode: 3 });
  h.det.record('dns', T0, conn, { query: `${'\u00ff'.repeat(70)}.com`, rcode: 3 });
  h.det.record('dns', T0, null, { query: 'x' });
});
