/**
 * tor detector: connections to relays listed by the corpus Tor feed (tor.connection) and Tor's own
 * TLS recognised by its random server names (tor.tls). Synthetic sessions go to a temp dir; the
 * corpus TLS captures are the benign look-alikes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFile } from '../helpers/detect.js';
import { CORPUS, pcap } from '../helpers/analyze.js';
import { merge, tcpSession, writePcap, type Endpoint, type Frame } from '../helpers/pcap-writer.js';
import { loadIntelFiles } from '../../src/intel/load.js';
import { torLikeName } from '../../src/detect/tor.js';

const TOR_LIST = join(CORPUS, 'intel', 'tor', 'tor-exit-nodes.lst');
const intel = loadIntelFiles([{ path: TOR_LIST, defaults: { feed: 'tor-exits', category: 'tor', severity: 'low', reference: '' } }]).set;
/** Listed in tor-exit-nodes.lst (checked below). */
const RELAY = '101.99.92.179';

const DEV: Endpoint = { mac: '02:00:00:00:00:50', ip: '192.168.1.50', port: 50000 };
const GW = '02:00:00:00:00:01';
const T0 = 1_700_000_000;

function u16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}

/** A TLS 1.2-style ClientHello record with one SNI name and optional ALPN protocols. */
function clientHello(sni: string, alpn: string[] = []): Buffer {
  const name = [...Buffer.from(sni)];
  const ext = [...u16(0), ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
  if (alpn.length > 0) {
    const l = alpn.flatMap((p) => [p.length, ...Buffer.from(p)]);
    ext.push(...u16(16), ...u16(l.length + 2), ...u16(l.length), ...l);
  }
  const body = [3, 3, ...new Array<number>(32).fill(1), 0, ...u16(4), 0x13, 0x01, 0x13, 0x02, 1, 0, ...u16(ext.length), ...ext];
  const hs = [1, 0, ...u16(body.length), ...body];
  return Buffer.from([22, 3, 1, ...u16(hs.length), ...hs]);
}

function hello(i: number, sni: string, server: string, port: number, start: number, alpn: string[] = []): Frame[] {
  return tcpSession({ client: { ...DEV, port: 50000 + i }, server: { mac: GW, ip: server, port }, start, toServer: clientHello(sni, alpn), toClient: 300 });
}

async function run(frames: Frame[], withIntel: boolean): Promise<Awaited<ReturnType<typeof detectFile>>> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tor-'));
  try {
    const file = join(dir, 'tor.pcap');
    writePcap(file, frames);
    return await detectFile(file, withIntel ? { intel } : {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the relay used below is on the corpus Tor list', () => {
  assert.ok(intel.matchIp(RELAY).some((i) => i.category === 'tor'));
  assert.equal(intel.matchIp('51.15.1.1').length, 0);
});

test('tor.connection: a device talking to a listed relay, once per device per day (count grows)', async () => {
  const s = [
    tcpSession({ client: DEV, server: { mac: GW, ip: RELAY, port: 9001 }, start: T0, toServer: 500, toClient: 800 }),
    tcpSession({ client: { ...DEV, port: 50001 }, server: { mac: GW, ip: RELAY, port: 443 }, start: T0 + 60, toServer: 500, toClient: 800 }),
    // A flow to an unlisted address counts for nothing.
    tcpSession({ client: { ...DEV, port: 50002 }, server: { mac: GW, ip: '51.15.1.1', port: 443 }, start: T0 + 70, toServer: 500, toClient: 800 }),
    // The next day: the same alert again (its count becomes 2).
    tcpSession({ client: { ...DEV, port: 50003 }, server: { mac: GW, ip: RELAY, port: 9001 }, start: T0 + 86400 + 100, toServer: 500, toClient: 800 }),
  ];
  const r = await run(merge(...s), true);
  const a = r.of('tor.connection');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'medium');
  assert.equal(a[0].device, DEV.mac);
  assert.equal(a[0].count, 2, 'raised on day 1 and again on day 2, not per flow');
  assert.equal(a[0].evidence.count, 3);
  assert.deepEqual(a[0].evidence.relays, [`${RELAY}:9001`, `${RELAY}:443`]);
  assert.match(a[0].summary, /Tor/);
  // Without intel there is nothing to match.
  const none = await run(merge(...s), false);
  assert.deepEqual(none.of('tor.connection'), []);
});

test('tor.tls: three random www.*.com names without ALPN from one device in an hour', async () => {
  const names = ['www.q7bx3kfm2zra.com', 'www.hdzqwlmbxkfv.com', 'www.t2vjcl6pqs3n.com'];
  const r = await run(merge(...names.map((n, i) => hello(i, n, `51.15.1.${i + 1}`, 443, T0 + i * 300))), false);
  const a = r.of('tor.tls');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'medium');
  assert.equal(a[0].device, DEV.mac);
  assert.deepEqual(a[0].evidence.names, names);
  assert.equal(a[0].evidence.count, 3);
  // Two are not enough on port 443 …
  const two = await run(merge(...names.slice(0, 2).map((n, i) => hello(i, n, `51.15.1.${i + 1}`, 443, T0 + i * 300))), false);
  assert.deepEqual(two.of('tor.tls'), []);
  // … but one to Tor's ORPort is.
  const orport = await run(hello(0, names[0], '51.15.1.1', 9001, T0), false);
  assert.equal(orport.of('tor.tls').length, 1);
});

test('tor.tls look-alikes: the same random names with ALPN, real names, names spread over hours', async () => {
  const random = ['www.q7bx3kfm2zra.com', 'www.hdzqwlmbxkfv.com', 'www.t2vjcl6pqs3n.com'];
  const withAlpn = random.map((n, i) => hello(i, n, `51.15.1.${i + 1}`, 443, T0 + i * 60, ['h2', 'http/1.1']));
  const real = ['www.internetbadguys.com', 'www.strengths.com', 'www.w3schools.com', 'www.tplinkcloud2.com', 'www.nightscout.net']
    .map((n, i) => hello(10 + i, n, `51.15.2.${i + 1}`, 443, T0 + 1000 + i * 60));
  const spread = random.map((n, i) => hello(20 + i, n, `51.15.3.${i + 1}`, 443, T0 + 10_000 + i * 4000));
  const r = await run(merge(...withAlpn, ...real, ...spread), false);
  assert.equal(r.log('ssl').length, 11, 'every hello was decoded');
  assert.deepEqual(r.of('tor.'), []);
});

test('torLikeName: random base32 names pass, real names do not', () => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let hits = 0;
  for (let i = 0; i < 1000; i++) {
    const len = 8 + Math.floor(rnd() * 18);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * 32)];
    if (torLikeName(`www.${s}.com`)) hits++;
  }
  assert.ok(hits > 850, `random names recognised: ${hits}/1000`);
  const real = [
    'www.internetbadguys.com', 'www.mcdonalds.com', 'www.speedtest.net', 'www.facebook.com', 'www.instagram.com',
    'www.microsoft.com', 'www.wikipedia.com', 'www.starbucks.com', 'www.strengths.com', 'www.4shared.com',
    'www.wellsfargo.com', 'www.washingtonpost.com', 'www.homedepot.com', 'www.linkedin.com', 'www.nightscout.net',
    'www.kraftheinz.com', 'www.sportsdirect.com', 'www.crunchyroll.com', 'www.tplinkcloud.com', 'www.tplinkcloud2.com',
    'www.hikvision.com', 'www.ezvizlife.com', 'www.synology.com', 'www.pinterest.com', 'www.w3schools.com',
    'www.mp3juices.net', 'www.b2bsales.com', 'www.skyscanner.net', 'www.booking.com', 'www.theguardian.com',
  ];
  assert.deepEqual(real.filter(torLikeName), []);
  // Not the shape at all.
  for (const n of ['q7bx3kfm2zra.com', 'www.q7bx3kfm2zra.org', 'www.q7b.x3kfm2zra.com', 'www.q7bx3.com', 'www.Q7BX3KFM2ZRA.com']) {
    assert.equal(torLikeName(n), false, n);
  }
});

test('corpus TLS captures with the Tor list loaded: no tor alerts', async () => {
  for (const f of ['ndpi/alexa-app.pcapng', 'ndpi/android.pcap', 'arkime/tls13.pcap', 'zeek/tls1.2.pcap', 'ndpi/ja3_lots_of_cipher_suites.pcap']) {
    const r = await detectFile(pcap(f), { intel });
    assert.deepEqual(r.of('tor.').map((a) => a.summary), [], f);
  }
});
