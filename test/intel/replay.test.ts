/**
 * Must-show 3 of issue 4: captures replayed through the real engine (`analyze` with a RecordBus
 * holding the matcher) with every corpus feed snapshot loaded (`loadIntelFiles` over all of
 * ../shared/corpus/intel), raising exactly the expected intel alerts and nothing else.
 *
 * 1. Every corpus capture. Only one holds listed values (found by running every capture against
 *    every feed): zeek/modbus-and-non-modbus-p502.pcap, a Modbus/TCP server on 192.168.10.111/.113
 *    reachable from the internet, which internet-wide scanners found (the feed snapshots are 2024-2026,
 *    the capture older: the same scanner networks were already at it):
 *      87.236.176.106 and .96 → 192.168.10.111:502   Maltrail mass_scanner_cidr 87.236.176.0/24
 *                                                    "driftnet.io"; .106 also in IPsum (3 lists)
 *      66.175.213.4 → 192.168.10.111:502             IPsum (on 6 blocklists)
 *      159.203.208.13 → 192.168.10.113:502           Maltrail 159.203.208.0/20 (binaryedge.ninja,
 *                                                    stretchoid.com)
 *    All inbound, answered by the server: low (never high: nothing here went OUT to them).
 *    The other 53 captures raise nothing (wikipedia.pcap's Zeek intel data is not a corpus feed).
 * 2. A capture built for the test (no corpus capture talks OUT to a listed value): a camera looks
 *    up a Mirai C2 domain (no connection follows), fetches a Mirai dropper path, a thermostat's
 *    real HTTP conversation (zeek/http-get.pcap) moved to a Feodo C2 address three times, a
 *    rapid7 scanner knocks on the camera's telnet port, and a device talks to an allow-listed
 *    Tor exit: exactly four alert keys, one of them raised three times.
 * 3. The same alerts in a real SQLite store: the C2 alert counted 3 times, then the owner
 *    allow-lists the Mirai domain and the scanner network and the store closes those alerts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { analyze } from '../../src/engine/analyze.js';
import { RecordBus } from '../../src/logs/record-sink.js';
import { AlertList, type Alert } from '../../src/alert/alert.js';
import { IntelMatcher } from '../../src/intel/matcher.js';
import { AllowList } from '../../src/intel/allow.js';
import { loadIntelFiles, type IntelFile } from '../../src/intel/load.js';
import type { IndicatorSet } from '../../src/intel/indicator-set.js';
import type { FeedDefaults } from '../../src/intel/types.js';
import { openStore } from '../../src/store/open.js';
import { CORPUS, PCAPS, pcap } from '../helpers/analyze.js';
import { merge, readCapture, repeat, rewriteIPv4, rewriteMac, tcpSession, udpExchange, writePcap, type Endpoint, type Frame } from '../helpers/pcap-writer.js';

const INTEL = join(CORPUS, 'intel');

/** What each corpus snapshot is, as the catalogue (or an owner adding it) would say. */
const FEED_DEFAULTS: Readonly<Record<string, Omit<FeedDefaults, 'feed'>>> = {
  'firehol/feodo.ipset': { category: 'c2', severity: 'high', reference: 'https://feodotracker.abuse.ch/blocklist/' },
  'firehol/spamhaus_drop.netset': { category: 'hostile', severity: 'medium', reference: 'https://www.spamhaus.org/drop/' },
  'ipsum/ipsum.txt': { category: 'suspicious', severity: 'medium', reference: 'https://github.com/stamparm/ipsum' },
  'maltrail/dns_tunneling_service.txt': { category: 'suspicious', severity: 'low', reference: 'https://github.com/stamparm/maltrail' },
  'maltrail/dynamic_domain.txt': { category: 'suspicious', severity: 'low', reference: 'https://github.com/stamparm/maltrail' },
  'maltrail/elf_mirai.txt': { category: 'malware', severity: 'high', reference: 'https://github.com/stamparm/maltrail' },
  'maltrail/mass_scanner_cidr.txt': { category: 'scanner', severity: 'low', reference: 'https://github.com/stamparm/maltrail' },
  'tor/tor-exit-nodes.lst': { category: 'tor', severity: 'info', reference: 'https://check.torproject.org/' },
  'zeek-intel/drb_ra_domain.intel': { category: 'suspicious', severity: 'medium', reference: '' },
  'zeek-intel/tweetfeed.intel': { category: 'suspicious', severity: 'medium', reference: 'https://tweetfeed.live/' },
};

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

let loaded: { set: IndicatorSet; allow: string[] } | null = null;

/** Every corpus feed snapshot, through intel-core's loader (once per test file). */
function corpusIntel(): { set: IndicatorSet; allow: string[] } {
  if (loaded) return loaded;
  const files: IntelFile[] = walk(INTEL).map((path) => {
    const rel = relative(INTEL, path);
    const d = FEED_DEFAULTS[rel];
    assert.ok(d, `a corpus feed without defaults in this test: ${rel}`);
    return { path, defaults: { feed: basename(dirname(rel)) + '-' + basename(rel).replace(/\.[a-z]+$/, ''), ...d } };
  });
  assert.equal(files.length, 10);
  const r = loadIntelFiles(files);
  for (const [p, res] of r.results) assert.equal(res.error, null, p);
  loaded = { set: r.set, allow: r.allow };
  return loaded;
}

interface Replay {
  alerts: Alert[];
  matcher: IntelMatcher;
}

async function replay(paths: string[], allow: AllowList = new AllowList(), sink?: (a: Alert) => void): Promise<Replay> {
  const { set } = corpusIntel();
  const list = new AlertList();
  const matcher = new IntelMatcher({ raise: (a) => { list.raise(a); sink?.(a); } }, { lookup: () => set, allow });
  await analyze(paths, new RecordBus().add(matcher));
  return { alerts: list.alerts, matcher };
}

const brief = (a: Alert) => `${a.severity} ${a.key} ${String(a.evidence.where)}`;

test('corpus feeds load: every snapshot through loadIntelFiles', () => {
  const { set } = corpusIntel();
  assert.ok(set.size > 70_000, `${set.size} indicators`);
});

test('every corpus capture: only the exposed Modbus server raises intel alerts, exactly these', async () => {
  const captures = walk(PCAPS);
  assert.equal(captures.length, 54);
  const byCapture = new Map<string, string[]>();
  for (const p of captures) {
    const { alerts } = await replay([p]);
    if (alerts.length > 0) byCapture.set(relative(PCAPS, p), alerts.map(brief));
  }
  const dev = '00:00:00:00:00:01'; // the Modbus server's MAC in this capture (both addresses)
  assert.deepEqual([...byCapture.keys()], ['zeek/modbus-and-non-modbus-p502.pcap']);
  assert.deepEqual(byCapture.get('zeek/modbus-and-non-modbus-p502.pcap')?.sort(), [
    `low intel.scanner|${dev}|cidr:159.203.208.0/20|in conn.orig`,
    `low intel.scanner|${dev}|cidr:87.236.176.0/24|in conn.orig`,
    `low intel.suspicious|${dev}|ip:66.175.213.4|in conn.orig`,
  ].sort());
});

test('the Modbus capture\'s alerts explain themselves: who knocked, which list, the device answered', async () => {
  const { alerts, matcher } = await replay([pcap('zeek/modbus-and-non-modbus-p502.pcap')]);
  const driftnet = alerts.find((a) => a.key.includes('87.236.176.0/24'));
  assert.ok(driftnet);
  assert.equal(driftnet.evidence.seen, '87.236.176.106');
  assert.equal(driftnet.summary,
    '87.236.176.106 (in 87.236.176.0/24), which maltrail-mass_scanner_cidr lists as a mass scanner or brute-forcer (driftnet.io) ' +
    'and ipsum-ipsum also lists it, connected to 00:00:00:00:00:01 at 192.168.10.111 on tcp/502 and the device answered, on 2023-07-03 01:33:23 UTC.');
  assert.equal(driftnet.evidence.answered, true);
  assert.deepEqual([...(driftnet.evidence.feeds as string[])].sort(), ['ipsum-ipsum', 'maltrail-mass_scanner_cidr']);
  const st = matcher.stats();
  assert.equal(st.hits, 4, '87.236.176.106, 87.236.176.96, 66.175.213.4, 159.203.208.13');
  assert.equal(st.alerts, 3);
  assert.equal(st.repeats, 1, '87.236.176.96 knocked within the minute: aggregated into the /24 alert');
});

// ---- a capture built for the test ----------------------------------------------------------------

const T = 1_700_000_000;
const GW = 'c0:ff:ee:00:00:01';
const CAM: Endpoint = { mac: '00:12:41:aa:bb:01', ip: '192.168.1.51', port: 41000 };
const THERMO = { mac: '18:b4:30:aa:bb:02', ip: '192.168.1.50' };
const LAPTOP: Endpoint = { mac: '3c:22:fb:aa:bb:03', ip: '192.168.1.52', port: 50000 };
const RESOLVER: Endpoint = { mac: GW, ip: '192.168.1.1', port: 53 };
const FEODO_C2 = '5.45.123.152'; // firehol/feodo.ipset
const MIRAI_DOMAIN = 'traplife.ru'; // maltrail/elf_mirai.txt
const MIRAI_PATH = '/izuku.sh'; // maltrail/elf_mirai.txt (a dropper script name)
const DROPPER_HOST = '45.95.1.2'; // listed nowhere: the path alone is the trail
const RAPID7 = '5.63.151.7'; // in maltrail/mass_scanner_cidr.txt 5.63.151.0/24 (scanners.labs.rapid7.com)
const TOR_EXIT = '101.99.92.179'; // tor/tor-exit-nodes.lst
const ALLOW = ['101.99.92.0/24'];

/** A DNS query for `name` (type A) and, when `rcode` is given, its answer with no records. */
function dnsMessage(id: number, name: string, response: boolean, rcode = 0): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  const q = Buffer.concat([...labels, Buffer.from([0, 0, 1, 0, 1])]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(response ? 0x8180 | rcode : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([h, q]);
}

function http(method: string, path: string, host: string): Buffer {
  return Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Wget/1.21\r\nAccept: */*\r\n\r\n`, 'latin1');
}

function builtCapture(): Frame[] {
  // t+0: the camera asks for a Mirai C2 name; NXDOMAIN, so no connection ever follows.
  const lookup = udpExchange({
    client: CAM, server: RESOLVER, start: T,
    datagrams: [{ from: 'client', payload: dnsMessage(0x1234, MIRAI_DOMAIN, false) }, { from: 'server', payload: dnsMessage(0x1234, MIRAI_DOMAIN, true, 3) }],
  });
  // t+20: the camera fetches a Mirai dropper script by its well-known path.
  const body = Buffer.from('#!/bin/sh\n', 'latin1');
  const dropper = tcpSession({
    client: { ...CAM, port: 41001 }, server: { mac: GW, ip: DROPPER_HOST, port: 80 }, start: T + 20,
    toServer: http('GET', MIRAI_PATH, DROPPER_HOST),
    toClient: Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]),
  });
  // t+10, +100, +190: a real HTTP conversation (zeek/http-get.pcap), moved to the thermostat and a Feodo C2.
  let real = readCapture(pcap('zeek/http-get.pcap'));
  real = rewriteIPv4(real, '141.142.228.5', THERMO.ip);
  real = rewriteIPv4(real, '192.150.187.43', FEODO_C2);
  real = rewriteMac(real, 'c8:bc:c8:96:d2:a0', THERMO.mac);
  const c2 = repeat(real, 3, 90, T + 10);
  // t+30: a rapid7 scanner knocks on the camera's telnet port, and the camera answers.
  const knock = tcpSession({ client: { mac: GW, ip: RAPID7, port: 61000 }, server: { ...CAM, port: 23 }, start: T + 30, toClient: 20 });
  // t+40: the laptop talks to a Tor exit the owner allow-listed.
  const tor = tcpSession({ client: LAPTOP, server: { mac: GW, ip: TOR_EXIT, port: 9001 }, start: T + 40, toServer: 300, toClient: 300 });
  return merge(lookup, dropper, c2, knock, tor);
}

test('built capture: outbound C2/malware are high, the inbound scanner low, the allow-listed Tor exit silent', async () => {
  const { set } = corpusIntel();
  // Preconditions: what the capture uses is (or is not) listed, as the comments say.
  assert.equal(set.matchIp(FEODO_C2)[0]?.category, 'c2');
  assert.equal(set.matchDomain(MIRAI_DOMAIN)[0]?.category, 'malware');
  assert.equal(set.matchIp(DROPPER_HOST).length, 0);
  assert.equal(set.matchUrl(DROPPER_HOST + MIRAI_PATH)[0]?.value, MIRAI_PATH);
  assert.equal(set.matchIp(RAPID7)[0]?.value, '5.63.151.0/24');
  assert.equal(set.matchIp(TOR_EXIT)[0]?.category, 'tor');
  for (const ip of [CAM.ip, THERMO.ip, LAPTOP.ip, RESOLVER.ip]) assert.equal(set.matchIp(ip).length, 0);

  const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-replay-'));
  try {
    const file = join(dir, 'built.pcap');
    writePcap(file, builtCapture());
    const { alerts, matcher } = await replay([file], new AllowList(ALLOW));
    assert.deepEqual(alerts.map(brief), [
      `high intel.malware|${CAM.mac}|domain:${MIRAI_DOMAIN}|out dns.query`,
      `high intel.c2|${THERMO.mac}|ip:${FEODO_C2}|out conn.resp`,
      `high intel.malware|${CAM.mac}|url:${MIRAI_PATH}|out http.url`,
      `low intel.scanner|${CAM.mac}|cidr:5.63.151.0/24|in conn.orig`,
      `high intel.c2|${THERMO.mac}|ip:${FEODO_C2}|out conn.resp`,
      `high intel.c2|${THERMO.mac}|ip:${FEODO_C2}|out conn.resp`,
    ]);
    assert.match(alerts[0].summary, new RegExp(`^${CAM.mac} at ${CAM.ip} looked up traplife\\.ru, which maltrail-elf_mirai lists as a malware distribution site on 2023-11-14 22:13:20 UTC\\.$`));
    assert.match(alerts[1].summary, /^18:b4:30:aa:bb:02 at 192\.168\.1\.50 connected to 5\.45\.123\.152 \(tcp\/80\), which firehol-feodo lists as a botnet command-and-control server on /);
    assert.equal(alerts[1].evidence.reference, 'https://feodotracker.abuse.ch/blocklist/');
    assert.equal(alerts[2].evidence.seen, `${DROPPER_HOST}${MIRAI_PATH}`);
    assert.match(String(alerts[0].evidence.reference), /^https:\/\//, 'Maltrail\'s per-section reference');
    const st = matcher.stats();
    assert.equal(st.allowed, 1, 'the Tor exit: matched, then allow-listed');
    assert.equal(st.repeats, 0);

    // Without the owner's entry the Tor exit is an informational alert: the allow-list did the silencing.
    const open = await replay([file]);
    const torAlerts = open.alerts.filter((a) => a.code === 'intel.tor');
    assert.deepEqual(torAlerts.map(brief), [`info intel.tor|${LAPTOP.mac}|ip:${TOR_EXIT}|out conn.resp`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('built capture into a real SQLite store: aggregated counts, then the allow-list closes stored alerts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-intel-store-'));
  try {
    const file = join(dir, 'built.pcap');
    writePcap(file, builtCapture());
    const { store } = openStore({ path: join(dir, 'vigil.db'), flowBudget: null });
    await replay([file], new AllowList(ALLOW), (a) => store.addAlert(a));
    store.flush();
    const stored = store.alerts({ code: 'intel.' });
    assert.equal(stored.length, 4, 'four keys: the C2 conversations are one alert');
    const c2 = stored.find((a) => a.code === 'intel.c2');
    assert.ok(c2);
    assert.equal(c2.count, 3);
    assert.equal(c2.lastTs - c2.firstTs, 180);
    assert.ok(stored.every((a) => a.status === 'open'));

    // The owner decides the Mirai lookup and the scanner are fine after all (say, a research lab).
    const closed = new AllowList([...ALLOW, MIRAI_DOMAIN, '5.63.151.0/24']).applyToStore(store, T + 300);
    assert.equal(closed, 2);
    const after = new Map(store.alerts({ code: 'intel.' }).map((a) => [a.key, a]));
    assert.equal(after.get(`intel.malware|${CAM.mac}|domain:${MIRAI_DOMAIN}|out`)?.status, 'closed');
    assert.equal(after.get(`intel.malware|${CAM.mac}|domain:${MIRAI_DOMAIN}|out`)?.closedReason, 'allow-listed');
    assert.equal(after.get(`intel.scanner|${CAM.mac}|cidr:5.63.151.0/24|in`)?.status, 'closed');
    assert.equal(after.get(`intel.c2|${THERMO.mac}|ip:${FEODO_C2}|out`)?.status, 'open');
    assert.equal(after.get(`intel.malware|${CAM.mac}|url:${MIRAI_PATH}|out`)?.status, 'open', 'a dropper URL on another host is not the allowed domain');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
