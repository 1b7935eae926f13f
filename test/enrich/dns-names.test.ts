import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnInfo, LogFields } from '../../src/decode/app/analyzer.js';
import { DnsNames, type DnsNamesOptions } from '../../src/enrich/dns-names.js';
import { registeredDomain } from '../../src/enrich/domain.js';
import { analyze } from '../../src/engine/analyze.js';
import type { ConnRecord } from '../../src/flow/conn-record.js';
import { RecordBus, type RecordSink } from '../../src/logs/record-sink.js';
import { pcap } from '../helpers/analyze.js';

// ---- records in dns.log's shape (src/decode/app/dns/types.ts), as the engine hands them out ----

function conn(client: string, respP = 53, origP = 40000): ConnInfo {
  return { uid: 'Ctest', origH: client, origP, respH: '192.168.1.1', respP, proto: 'udp', origMac: '', respMac: '' };
}

interface Answer {
  query: string;
  answers: string[];
  TTLs?: number[];
  qtype?: number;
  rcode?: number;
  rtt?: number;
}

function dns(names: DnsNames, ts: number, client: string, a: Answer, c: ConnInfo = conn(client)): void {
  const f: LogFields = {
    proto: 'udp', trans_id: 1, rtt: a.rtt ?? 0.01, query: a.query, qclass: 1, qtype: a.qtype ?? 1, rcode: a.rcode ?? 0,
    AA: false, TC: false, RD: true, RA: true, Z: 0, answers: a.answers, TTLs: a.TTLs ?? a.answers.map(() => 300),
    rejected: false, opcode: 0, opcode_name: 'query',
  };
  assert.equal(names.wants('dns'), true);
  names.record('dns', ts, c, f);
}

const CAM = '192.168.1.20';
const TV = '192.168.1.30';

test('the queried name is kept for every address of a CNAME chain; CNAME targets are not addresses', () => {
  const n = new DnsNames();
  dns(n, 1000, CAM, { query: 'Time.Example-Cam.COM.', answers: ['time.cdn.example.net', 'edge.cdn.example.net', '203.0.113.7', '203.0.113.8'] });
  assert.equal(n.nameFor(CAM, '203.0.113.7'), 'time.example-cam.com');
  assert.equal(n.nameFor(CAM, '203.0.113.8'), 'time.example-cam.com');
  assert.equal(n.nameFor(CAM, 'time.cdn.example.net'), null);
  assert.equal(n.size.pairs, 2);
  assert.equal(n.stats()['enrich.dns_answers'], 2);
});

test('AAAA answers match the address however it is written', () => {
  const n = new DnsNames();
  dns(n, 1000, 'fe80::10', { query: 'www.google.com', qtype: 28, answers: ['2a00:1450:4001:080b:0000:0000:0000:200e'] });
  assert.equal(n.nameFor('fe80::10', '2a00:1450:4001:80b::200e'), 'www.google.com');
  assert.equal(n.nameFor('fe80::10', '2A00:1450:4001:80B:0:0:0:200E'), 'www.google.com');
});

test("this device's own answer first, any client's as the fallback", () => {
  const n = new DnsNames();
  dns(n, 1000, CAM, { query: 'cam-cloud.example.com', answers: ['198.51.100.9'] });
  dns(n, 1001, TV, { query: 'tv-ads.example.org', answers: ['198.51.100.9'] });
  assert.equal(n.nameFor(CAM, '198.51.100.9', 1002), 'cam-cloud.example.com');
  assert.equal(n.nameFor(TV, '198.51.100.9', 1002), 'tv-ads.example.org');
  // A device that never asked gets the latest answer anyone got; no client at all, the same.
  assert.equal(n.nameFor('192.168.1.99', '198.51.100.9', 1002), 'tv-ads.example.org');
  assert.equal(n.nameFor('', '198.51.100.9', 1002), 'tv-ads.example.org');
  assert.equal(n.nameFor(CAM, '198.51.100.10', 1002), null);
  assert.equal(n.nameFor(CAM, 'not an address'), null);
});

test('with the flow start time: answers after it are not used, the latest before it is', () => {
  const n = new DnsNames();
  // A CDN address serving three names to one device, answered at 100.01, 200.01 and 300.01.
  dns(n, 100, CAM, { query: 'a.example.com', answers: ['203.0.113.50'] });
  dns(n, 200, CAM, { query: 'b.example.com', answers: ['203.0.113.50'] });
  dns(n, 300, CAM, { query: 'c.example.com', answers: ['203.0.113.50'] });
  assert.equal(n.nameFor(CAM, '203.0.113.50', 100), null); // before the first answer arrived (rtt 0.01)
  assert.equal(n.nameFor(CAM, '203.0.113.50', 150), 'a.example.com');
  assert.equal(n.nameFor(CAM, '203.0.113.50', 250), 'b.example.com');
  assert.equal(n.nameFor(CAM, '203.0.113.50', 301), 'c.example.com');
  assert.equal(n.nameFor(CAM, '203.0.113.50'), 'c.example.com'); // no time: the latest
  // a.example.com asked again at 400: a flow at 450 is a's, a flow at 250 still b's.
  dns(n, 400, CAM, { query: 'a.example.com', answers: ['203.0.113.50'] });
  assert.equal(n.nameFor(CAM, '203.0.113.50', 450), 'a.example.com');
  assert.equal(n.nameFor(CAM, '203.0.113.50', 250), 'b.example.com');
});

test('expiry by packet time: TTL clamped to [minTtl, maxTtl]; expired entries are swept', () => {
  const counts = new Map<string, number>();
  const n = new DnsNames({ counters: (k, v = 1) => counts.set(k, (counts.get(k) ?? 0) + v) });
  dns(n, 0, CAM, { query: 'short.example.com', answers: ['203.0.113.1'], TTLs: [30], rtt: 0 });
  dns(n, 0, CAM, { query: 'long.example.com', answers: ['203.0.113.2'], TTLs: [7 * 86400], rtt: 0 });
  dns(n, 0, CAM, { query: 'mid.example.com', answers: ['203.0.113.3'], TTLs: [7200], rtt: 0 });
  assert.equal(n.nameFor(CAM, '203.0.113.1', 3600), 'short.example.com'); // 30 s TTL kept an hour
  assert.equal(n.nameFor(CAM, '203.0.113.1', 3601), null);
  assert.equal(n.nameFor(CAM, '203.0.113.3', 7200), 'mid.example.com');
  assert.equal(n.nameFor(CAM, '203.0.113.3', 7201), null);
  assert.equal(n.nameFor(CAM, '203.0.113.2', 86400), 'long.example.com'); // a week's TTL kept a day
  assert.equal(n.nameFor(CAM, '203.0.113.2', 86401), null);
  assert.equal(n.size.pairs, 3);
  // Packet time moves on (a later DNS record): the sweep drops the three dead entries.
  dns(n, 90000, TV, { query: 'later.example.com', answers: ['203.0.113.9'] });
  assert.equal(n.size.pairs, 1);
  assert.equal(n.size.addresses, 1);
  assert.equal(counts.get('enrich.dns_names_expired'), 3);
  assert.equal(n.stats()['enrich.dns_names_expired'], 3);
  assert.equal(n.nameFor(TV, '203.0.113.9'), 'later.example.com');
});

test('bounded: least recently used entries go first, counted', () => {
  const counts = new Map<string, number>();
  // The any-client fallback keeps one address here, so it cannot answer for the evicted pairs.
  const opts: DnsNamesOptions = { maxEntries: 3, maxAddresses: 1, counters: (k, v = 1) => counts.set(k, (counts.get(k) ?? 0) + v) };
  const n = new DnsNames(opts);
  for (let i = 1; i <= 3; i++) dns(n, i, CAM, { query: `n${i}.example.com`, answers: [`203.0.113.${i}`] });
  assert.equal(n.nameFor(CAM, '203.0.113.1'), 'n1.example.com'); // now the most recently used
  dns(n, 4, CAM, { query: 'n4.example.com', answers: ['203.0.113.4'] });
  dns(n, 5, CAM, { query: 'n5.example.com', answers: ['203.0.113.5'] });
  assert.deepEqual(n.size, { pairs: 3, addresses: 1 });
  assert.equal(n.nameFor(CAM, '203.0.113.2'), null);
  assert.equal(n.nameFor(CAM, '203.0.113.3'), null);
  assert.equal(n.nameFor(CAM, '203.0.113.1'), 'n1.example.com');
  assert.equal(n.nameFor(CAM, '203.0.113.5'), 'n5.example.com');
  assert.equal(counts.get('enrich.dns_names_evicted'), 2);
  assert.equal(n.stats()['enrich.dns_names_evicted'], 2);
  assert.equal(n.stats()['enrich.dns_addresses_evicted'], 4);
  assert.equal(counts.get('enrich.dns_addresses_evicted'), 4);
});

test('ignored: mDNS/LLMNR, errors, non-address query types, records without a flow, other logs', () => {
  const n = new DnsNames();
  dns(n, 1, CAM, { query: 'printer.local', answers: ['192.168.1.40'] }, conn(CAM, 5353, 5353));
  dns(n, 1, CAM, { query: 'printer', answers: ['192.168.1.40'] }, conn(CAM, 5355));
  dns(n, 1, CAM, { query: 'gone.example.com', answers: ['203.0.113.1'], rcode: 3 });
  dns(n, 1, CAM, { query: '7.113.0.203.in-addr.arpa', answers: ['203.0.113.2'], qtype: 12 });
  dns(n, 1, CAM, { query: 'x.example.com', answers: [] });
  n.record('dns', 1, null, { query: 'y.example.com', qtype: 1, rcode: 0, answers: ['203.0.113.3'], TTLs: [60] });
  n.record('ssl', 1, conn(CAM), { server_name: 'z.example.com' });
  assert.equal(n.wants('conn'), false);
  assert.deepEqual(n.size, { pairs: 0, addresses: 0 });
  // qtype ANY answers count.
  dns(n, 1, CAM, { query: 'any.example.com', answers: ['203.0.113.4'], qtype: 255 });
  assert.equal(n.nameFor(CAM, '203.0.113.4'), 'any.example.com');
});

// ---- real captures: the name DnsNames gives a flow vs the SNI / Host the client sent in it ----

interface Flow {
  client: string;
  remote: string;
  /** SNI (ssl.log) or Host (http.log) of the flow. */
  sent: string;
  /** DnsNames' answer when the flow's conn record came out, with the flow start time. */
  name: string | null;
}

/** Runs a capture through the real engine with DnsNames on the bus, as the sensor does. */
async function flowsOf(file: string): Promise<{ flows: Flow[]; names: DnsNames }> {
  const names = new DnsNames();
  const atEnd = new Map<string, { client: string; remote: string; name: string | null }>();
  const sent = new Map<string, string>();
  const probe: RecordSink = {
    wants: (p) => p === 'conn' || p === 'ssl' || p === 'http',
    conn(r: ConnRecord): void {
      atEnd.set(r.uid, { client: r.origH, remote: r.respH, name: names.nameFor(r.origH, r.respH, r.ts) });
    },
    record(p: string, _ts: number, c: ConnInfo | null, f: LogFields): void {
      const s = p === 'ssl' ? f.server_name : f.host;
      if (c !== null && typeof s === 'string' && !sent.has(c.uid)) sent.set(c.uid, s.toLowerCase());
    },
  };
  await analyze([pcap(file)], new RecordBus().add(names).add(probe));
  const flows: Flow[] = [];
  for (const [uid, s] of sent) {
    const f = atEnd.get(uid);
    assert.ok(f, `no conn record for ${uid}`);
    flows.push({ ...f, sent: s });
  }
  return { flows, names };
}

test('android.pcap: every TLS/HTTP flow gets the name the phone resolved, even on a shared Google address', async () => {
  const { flows } = await flowsOf('ndpi/android.pcap');
  assert.equal(flows.length, 21);
  // 216.239.38.120 answered clients1, mtalk, android.clients, www and accounts.google.com.
  const shared = flows.filter((f) => f.remote === '216.239.38.120');
  assert.ok(new Set(shared.map((f) => f.sent)).size >= 4);
  for (const f of flows) assert.equal(f.name, f.sent, `${f.client} -> ${f.remote}`);
});

test('wikipedia.pcap: HTTP Host matches; flows whose DNS preceded the capture get no name, not a wrong one', async () => {
  const { flows, names } = await flowsOf('zeek/wikipedia.pcap');
  const named = flows.filter((f) => f.name !== null);
  assert.equal(named.length, 7);
  for (const f of named) assert.equal(f.name, f.sent);
  // www.wikipedia.org (208.80.152.2) was fetched before meta.wikimedia.org was resolved to the same address.
  const early = flows.filter((f) => f.name === null).map((f) => f.sent).sort();
  assert.deepEqual(early, ['bits.wikimedia.org', 'www.wikipedia.org']);
  // Another client on the network: the fallback names the address.
  assert.equal(names.nameFor('141.142.220.99', '208.80.152.3'), 'upload.wikimedia.org');
});

test('alexa-app.pcapng: names agree with SNI/Host; where they differ, the registered domain still does', async () => {
  const { flows } = await flowsOf('ndpi/alexa-app.pcapng');
  const named = flows.filter((f) => f.name !== null);
  const exact = named.filter((f) => f.name === f.sent).length;
  assert.ok(flows.length >= 100, String(flows.length));
  assert.equal(named.length, flows.length);
  // pitangui.amazon.com and alexa.amazon.com share addresses and the app alternates between them.
  assert.ok(exact >= 88, `${exact}/${flows.length} exact`);
  for (const f of named) assert.equal(registeredDomain(f.name as string), registeredDomain(f.sent), `${f.name} vs ${f.sent}`);
});
