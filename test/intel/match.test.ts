/**
 * The matcher's rules on single records, with a real IndicatorSet and AllowList: where values are
 * looked up, direction and severity, aggregation, the allow-list (incl. the built-ins and the
 * retroactive close on a real SQLite store), the swappable set, caps and counters.
 * (The whole engine on captures: replay.test.ts; Zeek's own test: zeek-oracle.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertList, type Alert } from '../../src/alert/alert.js';
import { ConnRecord } from '../../src/flow/conn-record.js';
import type { ConnInfo, LogFields } from '../../src/decode/app/analyzer.js';
import { IntelMatcher, hitSeverity, isLocalAddress, type IntelMatcherOptions, type IntelSighting } from '../../src/intel/matcher.js';
import { AllowList, BUILT_IN_ALLOW, parseAllowEntry } from '../../src/intel/allow.js';
import { IndicatorSet } from '../../src/intel/indicator-set.js';
import { timeText } from '../../src/intel/explain.js';
import type { Indicator, IndicatorType, IntelCategory } from '../../src/intel/types.js';
import type { Severity } from '../../src/alert/alert.js';
import { openStore } from '../../src/store/open.js';
import { isVigilError } from '../../src/util/errors.js';

const T0 = 1_700_000_000;
const DEV = { mac: '00:11:22:33:44:55', ip: '192.168.1.20' };
const C2 = '5.45.123.152'; // from FireHOL feodo.ipset
const SCANNER_NET = '46.101.16.0/24'; // Maltrail mass_scanner_cidr (binaryedge.ninja)
const TOR = '101.99.92.179';

function ind(type: IndicatorType, value: string, feed: string, category: IntelCategory, severity: Severity, description = '', reference = '', port = 0): Indicator {
  return { type, value, port, feed, category, severity, description, reference };
}

const FEEDS: Indicator[] = [
  ind('ip', C2, 'feodo', 'c2', 'high', 'Dridex', 'https://feodotracker.abuse.ch/browse/host/5.45.123.152/', 443),
  ind('cidr', SCANNER_NET, 'maltrail-scanners', 'scanner', 'low', 'binaryedge.ninja', 'https://github.com/stamparm/maltrail'),
  ind('ip', TOR, 'tor-exits', 'tor', 'info', '', 'https://check.torproject.org/'),
  ind('domain', 'mirai.ao', 'maltrail-mirai', 'malware', 'medium', 'Mirai', 'https://github.com/stamparm/maltrail'),
  ind('domain', 'tracker.example.com', 'ads', 'privacy', 'info'),
  ind('url', 'bad.example.net/payload/x.sh', 'urlhaus', 'malware', 'high', 'Mozi'),
  ind('ja3', 'b386946a5a44d1ddcc843bc75336dfce', 'ja3-list', 'c2', 'high', 'Dridex'),
  ind('ja4', 't13d1516h2_8daaf6152771_02713d6af862', 'ja4-list', 'suspicious', 'medium'),
  ind('ip', '8.8.8.8', 'sandbox-feed', 'c2', 'high', 'seen in a sandbox run'),
  ind('domain', 'googleapis.com', 'sandbox-feed', 'malware', 'high'),
  ind('url', 'storage.googleapis.com/evil-bucket/drop.exe', 'urlhaus', 'malware', 'high'),
];

function setOf(list: Indicator[] = FEEDS): IndicatorSet {
  return IndicatorSet.build([list]);
}

interface Rig {
  m: IntelMatcher;
  alerts: Alert[];
  sightings: IntelSighting[];
  counters: Map<string, number>;
}

function rig(opts: Partial<IntelMatcherOptions> = {}, set: IndicatorSet = setOf()): Rig {
  const list = new AlertList();
  const sightings: IntelSighting[] = [];
  const counters = new Map<string, number>();
  const m = new IntelMatcher(list, {
    lookup: () => set,
    allow: new AllowList(),
    describe: (mac) => `Kitchen speaker (${mac})`,
    counters: (n, k = 1) => counters.set(n, (counters.get(n) ?? 0) + k),
    onSighting: (s) => sightings.push(s),
    ...opts,
  });
  return { m, alerts: list.alerts, sightings, counters };
}

function conn(p: Partial<ConnRecord>): ConnRecord {
  const r = new ConnRecord();
  Object.assign(r, {
    ts: T0, uid: 'Cabc', origH: DEV.ip, origP: 40000, respH: '1.2.3.4', respP: 443, proto: 'tcp',
    origL2: DEV.mac, respL2: 'aa:aa:aa:aa:aa:01', history: 'ShADadFf', origPkts: 5, respPkts: 5, respBytes: 100,
    connState: 'SF',
  }, p);
  // As the engine sets them (Zeek's private space), unless the test says otherwise.
  if (p.localOrig === undefined) r.localOrig = isLocalAddress(r.origH);
  if (p.localResp === undefined) r.localResp = isLocalAddress(r.respH);
  return r;
}

function info(p: Partial<ConnInfo> = {}): ConnInfo {
  return { uid: 'Cdns', origH: DEV.ip, origP: 53000, respH: '192.168.1.1', respP: 53, proto: 'udp', origMac: DEV.mac, respMac: 'aa:aa:aa:aa:aa:01', ...p };
}

function rec(m: IntelMatcher, path: string, fields: LogFields, c: Partial<ConnInfo> = {}, ts = T0): void {
  assert.ok(m.wants(path));
  m.record(path, ts, info(c), fields);
}

test('a device connecting out to a Feodo C2 is high, says who/what/which feed/when, links the reference', () => {
  const { m, alerts } = rig();
  m.conn(conn({ respH: C2, respP: 443 }));
  assert.equal(alerts.length, 1);
  const a = alerts[0];
  assert.equal(a.code, 'intel.c2');
  assert.equal(a.severity, 'high');
  assert.equal(a.device, DEV.mac);
  assert.equal(a.key, `intel.c2|${DEV.mac}|ip:${C2}|out`);
  assert.equal(a.summary,
    `Kitchen speaker (${DEV.mac}) at ${DEV.ip} connected to ${C2} (tcp/443), which abuse.ch Feodo Tracker botnet C2 IPs lists as ` +
    `a botnet command-and-control server (Dridex) on ${timeText(T0)}.`);
  assert.equal(a.evidence.reference, 'https://feodotracker.abuse.ch/browse/host/5.45.123.152/');
  assert.equal(a.evidence.feed, 'feodo');
  assert.equal(a.evidence.where, 'conn.resp');
  assert.equal(a.evidence.seen, C2);
  assert.equal(a.evidence.listedPort, 443);
  assert.equal(a.evidence.uid, 'Cabc');
  assert.equal(timeText(T0), '2023-11-14 22:13:20 UTC');
});

test('direction: a listed scanner knocking from outside is low when answered, info when not', () => {
  const { m, alerts } = rig();
  const ip = '46.101.16.77';
  m.conn(conn({ origH: ip, origP: 51000, origL2: 'aa:aa:aa:aa:aa:01', respH: DEV.ip, respP: 23, respL2: DEV.mac }));
  m.conn(conn({ ts: T0 + 1, origH: '46.101.16.78', origP: 51001, origL2: 'aa:aa:aa:aa:aa:01', respH: '192.168.1.21', respP: 23, respL2: '00:11:22:33:44:66', respPkts: 0, respBytes: 0, history: 'S', connState: 'S0' }));
  assert.equal(alerts.length, 2);
  assert.equal(alerts[0].code, 'intel.scanner');
  assert.equal(alerts[0].severity, 'low');
  assert.equal(alerts[0].device, DEV.mac);
  assert.equal(alerts[0].key, `intel.scanner|${DEV.mac}|cidr:${SCANNER_NET}|in`);
  assert.match(alerts[0].summary, /^46\.101\.16\.77 \(in 46\.101\.16\.0\/24\), which maltrail-scanners lists as a mass scanner or brute-forcer \(binaryedge\.ninja\), connected to Kitchen speaker .* on tcp\/23 and the device answered/);
  assert.equal(alerts[0].evidence.answered, true);
  assert.equal(alerts[1].severity, 'info');
  assert.equal(alerts[1].evidence.answered, false);
  assert.match(alerts[1].summary, /tried to reach .* \(no answer\)/);
});

test('severity rules: out raises C2/malware to at least high; in caps; Tor stays as its feed says', () => {
  const c2 = ind('ip', C2, 'x', 'c2', 'low');
  const mal = ind('domain', 'a.b', 'x', 'malware', 'medium');
  const tor = ind('ip', TOR, 'x', 'tor', 'info');
  const phish = ind('domain', 'p.q', 'x', 'phishing', 'medium');
  const crit = ind('ip', C2, 'x', 'c2', 'critical');
  assert.equal(hitSeverity(c2, 'out', true), 'high');
  assert.equal(hitSeverity(mal, 'out', true), 'high');
  assert.equal(hitSeverity(crit, 'out', true), 'critical');
  assert.equal(hitSeverity(phish, 'out', true), 'medium');
  assert.equal(hitSeverity(tor, 'out', true), 'info');
  assert.equal(hitSeverity(crit, 'in', true), 'medium');
  assert.equal(hitSeverity(crit, 'in', false), 'info');
  assert.equal(hitSeverity(phish, 'in', true), 'low');
  assert.equal(hitSeverity(tor, 'in', true), 'info');
});

test('Tor: an exit node is informational', () => {
  const { m, alerts } = rig();
  m.conn(conn({ respH: TOR, respP: 9001 }));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].code, 'intel.tor');
  assert.equal(alerts[0].severity, 'info');
});

test('DNS: a query for a name under a listed domain alerts although no connection follows', () => {
  const { m, alerts, sightings } = rig();
  rec(m, 'dns', { query: 'cnc.mirai.ao', qtype_name: 'A', rcode_name: 'NXDOMAIN' });
  assert.equal(alerts.length, 1);
  const a = alerts[0];
  assert.equal(a.code, 'intel.malware');
  assert.equal(a.severity, 'high', 'a malware domain looked up from inside is raised to high');
  assert.equal(a.key, `intel.malware|${DEV.mac}|domain:mirai.ao|out`);
  assert.match(a.summary, /looked up cnc\.mirai\.ao \(under mirai\.ao\), which maltrail-mirai lists as a malware distribution site \(Mirai\)/);
  assert.equal(sightings[0].where, 'dns.query');
  assert.equal(sightings[0].uid, 'Cdns');
});

test('DNS answers: a listed address or name in the answers alerts, under the same key as the connection', () => {
  const { m, alerts } = rig({ repeatSeconds: 0 });
  rec(m, 'dns', { query: 'innocent.example.org', answers: ['TXT 5 hello', 'cdn.example.org', C2] });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].evidence.where, 'dns.answer');
  assert.equal(alerts[0].evidence.query, 'innocent.example.org');
  assert.match(alerts[0].summary, /was told that innocent\.example\.org is 5\.45\.123\.152, which/);
  m.conn(conn({ respH: C2 }));
  assert.equal(alerts.length, 2);
  assert.equal(alerts[1].key, alerts[0].key, 'one alert in the store: the lookup and the connection');
  rec(m, 'dns', { query: 'x.example.org', answers: ['cnc.mirai.ao'] });
  assert.equal(alerts[2].evidence.seen, 'cnc.mirai.ao');
});

test('DNS: mDNS/LLMNR and reverse lookups are not looked up', () => {
  const { m, alerts, counters } = rig();
  rec(m, 'dns', { query: 'cnc.mirai.ao' }, { respH: '224.0.0.251', respP: 5353, origP: 5353 });
  rec(m, 'dns', { query: 'cnc.mirai.ao' }, { respH: '224.0.0.252', respP: 5355 });
  rec(m, 'dns', { query: '152.123.45.5.in-addr.arpa', answers: ['cnc.mirai.ao'] });
  assert.equal(alerts.length, 1, 'only the PTR answer naming a listed domain');
  assert.equal(alerts[0].evidence.where, 'dns.answer');
  assert.equal(counters.get('intel.hits'), 1);
});

test('TLS: SNI, JA3 and JA4 are matched; HTTP: Host (port stripped) and host+URI', () => {
  const { m, alerts, sightings } = rig();
  rec(m, 'ssl', { server_name: 'api.mirai.ao', ja3: 'b386946a5a44d1ddcc843bc75336dfce', ja4: 't13d1516h2_8daaf6152771_02713d6af862' }, { respH: '9.9.9.10', respP: 443, proto: 'tcp' });
  assert.deepEqual(sightings.map((s) => s.where), ['ssl.sni', 'ssl.ja3', 'ssl.ja4']);
  assert.deepEqual(alerts.map((a) => a.code), ['intel.malware', 'intel.c2', 'intel.suspicious']);
  assert.match(alerts[1].summary, /with the client fingerprint b386946a5a44d1ddcc843bc75336dfce \(JA3\), which ja3-list lists as a botnet command-and-control server \(Dridex\)/);
  rec(m, 'http', { host: 'BAD.example.net:8080', uri: '/payload/x.sh?arch=mips' }, { respH: '1.2.3.5', respP: 8080, proto: 'tcp' });
  const url = alerts.at(-1);
  assert.ok(url);
  assert.equal(url.evidence.where, 'http.url');
  assert.equal(url.evidence.seen, 'bad.example.net/payload/x.sh?arch=mips');
  assert.match(url.summary, /fetched http:\/\/bad\.example\.net\/payload\/x\.sh\?arch=mips, which abuse\.ch URLhaus recent malware URLs lists as a malware distribution site \(Mozi\)/);
  rec(m, 'http', { host: 'www.tracker.example.com', uri: '/p.gif' });
  assert.equal(alerts.at(-1)?.code, 'intel.privacy');
  assert.equal(alerts.at(-1)?.severity, 'info');
  assert.equal(alerts.at(-1)?.evidence.where, 'http.host');
});

test('aggregation: the same device, indicator and direction is raised once a minute of packet time', () => {
  const { m, alerts, counters } = rig();
  for (let i = 0; i < 30; i++) m.conn(conn({ ts: T0 + i, respH: C2 }));
  rec(m, 'dns', { query: 'x', answers: [C2] }, {}, T0 + 40);
  assert.equal(alerts.length, 1);
  m.conn(conn({ ts: T0 + 61, respH: C2 }));
  assert.equal(alerts.length, 2);
  assert.equal(alerts[1].key, alerts[0].key);
  assert.equal(counters.get('intel.repeats'), 30);
  // Another device, or the other direction, is another alert.
  m.conn(conn({ ts: T0 + 62, respH: C2, origH: '192.168.1.30', origL2: '00:11:22:33:44:77' }));
  m.conn(conn({ ts: T0 + 63, origH: C2, origL2: 'aa:aa:aa:aa:aa:01', respH: DEV.ip, respL2: DEV.mac }));
  assert.equal(alerts.length, 4);
  assert.deepEqual(alerts.slice(2).map((a) => [a.device, a.evidence.direction, a.severity]), [
    ['00:11:22:33:44:77', 'out', 'high'], [DEV.mac, 'in', 'medium'],
  ]);
});

test('the remembered keys are capped (all forgotten at the cap, counted)', () => {
  const { m, alerts, counters } = rig({ maxRecent: 3 });
  for (let i = 0; i < 5; i++) m.conn(conn({ respH: C2, origH: `192.168.1.${100 + i}`, origL2: `00:00:00:00:00:0${i}` }));
  assert.equal(alerts.length, 5);
  assert.equal(counters.get('intel.recent_evicted'), 3, 'the 4th key found 3 remembered: all forgotten');
  // Keys 4 and 5 are remembered (aggregated), key 1 was forgotten: raised again within the minute
  // (the store still aggregates it under the same key).
  m.conn(conn({ ts: T0 + 1, respH: C2, origH: '192.168.1.104', origL2: '00:00:00:00:00:04' }));
  assert.equal(alerts.length, 5);
  m.conn(conn({ ts: T0 + 1, respH: C2, origH: '192.168.1.100', origL2: '00:00:00:00:00:00' }));
  assert.equal(alerts.length, 6);
  assert.equal(alerts[5].key, alerts[0].key);
  assert.equal(m.stats().recentEvicted, 3);
});

test('several feeds listing one value: one alert, the strongest listing decides, the others are evidence', () => {
  const set = setOf([
    ind('ip', C2, 'feodo', 'c2', 'high', 'Dridex', 'https://feodotracker.abuse.ch/'),
    ind('cidr', '5.45.123.0/24', 'spamhaus-drop', 'hostile', 'medium', 'SBL1', 'https://www.spamhaus.org/drop/'),
    ind('ip', C2, 'tor-exits', 'tor', 'info'),
  ]);
  const { m, alerts, sightings } = rig({}, set);
  m.conn(conn({ respH: C2 }));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].code, 'intel.c2');
  assert.deepEqual([...(alerts[0].evidence.feeds as string[])].sort(), ['feodo', 'spamhaus-drop', 'tor-exits']);
  assert.deepEqual([...(alerts[0].evidence.references as string[])].sort(), ['https://feodotracker.abuse.ch/', 'https://www.spamhaus.org/drop/']);
  assert.match(alerts[0].summary, /and 2 other feeds also list it/);
  assert.equal(sightings[0].indicators.length, 3);
});

test('the set is swappable: each record asks for the current one', () => {
  let current = IndicatorSet.empty();
  const { m, alerts } = rig({ lookup: () => current });
  m.conn(conn({ respH: C2 }));
  assert.equal(alerts.length, 0);
  assert.equal(m.stats().records, 0, 'an empty set costs one call per record');
  current = setOf();
  m.conn(conn({ respH: C2 }));
  assert.equal(alerts.length, 1);
  // Repeated name lookups come from the memo, which a swap empties: the new set answers at once.
  rec(m, 'dns', { query: 'cnc.mirai.ao' }, {}, T0 + 100);
  rec(m, 'dns', { query: 'cnc.mirai.ao' }, {}, T0 + 200);
  assert.equal(m.stats().memoHits, 1);
  assert.equal(alerts.length, 3);
  current = setOf(FEEDS.filter((i) => i.value !== 'mirai.ao'));
  rec(m, 'dns', { query: 'cnc.mirai.ao' }, {}, T0 + 300);
  assert.equal(alerts.length, 3, 'mirai.ao is no longer listed: the memo did not answer for the old set');
  assert.equal(m.stats().memoHits, 1);
});

test('local (private) ends of a flow are not looked up: no feed lists LAN space', () => {
  // A set built directly (parsers would have dropped the private entry) shows the skip.
  const set = setOf([ind('ip', '192.168.1.1', 'mine', 'c2', 'high'), ind('ip', C2, 'feodo', 'c2', 'high')]);
  const { m, alerts, counters } = rig({}, set);
  m.conn(conn({ respH: '192.168.1.1', respP: 80 }));
  assert.equal(alerts.length, 0);
  assert.equal(counters.get('intel.hits'), undefined);
  m.conn(conn({ respH: C2 }));
  assert.equal(alerts.length, 1);
});

test('a local device whose own address is listed is counted, not alerted on every flow', () => {
  const set = setOf([ind('ip', '2a02:8070:1:2::5', 'tor-exits', 'tor', 'info')]);
  const { m, alerts, counters } = rig({ deviceOf: (ip, mac) => (mac === DEV.mac ? mac : null) }, set);
  m.conn(conn({ origH: '2a02:8070:1:2::5', respH: '2a00:1450:4001::1', origL2: DEV.mac }));
  assert.equal(alerts.length, 0);
  assert.equal(counters.get('intel.own_address_listed'), 1);
});

test('allow-list: the built-in resolvers and platforms silence sandbox-feed listings, but not a precise URL', () => {
  const { m, alerts, counters } = rig();
  m.conn(conn({ respH: '8.8.8.8', respP: 53, proto: 'udp' }));
  rec(m, 'dns', { query: 'www.googleapis.com', answers: ['142.250.1.1'] });
  rec(m, 'ssl', { server_name: 'storage.googleapis.com' }, { respP: 443, proto: 'tcp' });
  assert.equal(alerts.length, 0);
  assert.equal(counters.get('intel.allowed'), 3);
  rec(m, 'http', { host: 'storage.googleapis.com', uri: '/evil-bucket/drop.exe' });
  assert.equal(alerts.length, 1, 'the URL listing is precise: it still alerts');
  assert.equal(alerts[0].evidence.where, 'http.url');
  assert.equal(counters.get('intel.allowed'), 4, 'the Host header hit on googleapis.com is still allowed');
});

test('allow-list: owner entries (address, network, domain with subdomains, URL, fingerprint)', () => {
  const allow = new AllowList(['5.45.123.0/24', 'Mirai.AO.', 'https://bad.example.net/payload/', 'B386946A5A44D1DDCC843BC75336DFCE', '2001:db8:1::/48'], { builtIn: false });
  assert.equal(allow.size, 5);
  assert.match(allow.allowsIp(C2) ?? '', /^5\.45\.123\.0\/24 \(your allow-list\)$/);
  assert.equal(allow.allowsIp('5.45.124.1'), null);
  assert.ok(allow.allowsIp('2001:db8:1:ffff::1'));
  assert.equal(allow.allowsIp('2001:db8:2::1'), null);
  assert.ok(allow.allowsDomain('a.b.mirai.ao'));
  assert.equal(allow.allowsDomain('notmirai.ao'), null);
  assert.ok(allow.allows('url', 'bad.example.net/payload/x.sh'));
  assert.equal(allow.allows('url', 'bad.example.net/other'), null);
  assert.ok(allow.allows('ja3', 'b386946a5a44d1ddcc843bc75336dfce'));
  assert.equal(allow.allows('ip', '8.8.8.8'), null, 'built-ins off');
  const { m, alerts } = rig({ allow });
  m.conn(conn({ respH: C2 }));
  rec(m, 'dns', { query: 'cnc.mirai.ao' });
  assert.equal(alerts.length, 0);
  assert.deepEqual(parseAllowEntry('*.Example.COM'), { kind: 'domain', value: 'example.com', prefix: 0 });
  assert.deepEqual(parseAllowEntry('10.1.2.3/8'), { kind: 'ip', value: '10.0.0.0/8', prefix: 8 });
  assert.deepEqual(parseAllowEntry('2001:DB8::1/32'), { kind: 'ip', value: '2001:db8::/32', prefix: 32 });
});

test('allow-list: an entry that is nothing readable is a coded configuration error', () => {
  assert.throws(() => new AllowList(['8.8.8.8', 'not a value', '300.1.1.1/8']), (e: unknown) =>
    isVigilError(e) && e.code === 'VIGIL_ERR_CONFIG' && /"not a value", "300\.1\.1\.1\/8" are not an IP address/.test(e.message));
  // Every built-in entry is readable and justified.
  const all = new AllowList([], { builtIn: true });
  assert.equal(all.size, BUILT_IN_ALLOW.length);
  for (const b of BUILT_IN_ALLOW) assert.ok(b.why.length > 5, b.value);
  assert.ok(BUILT_IN_ALLOW.length <= 40, 'the built-in list stays short');
});

test('retroactive allow-list: open intel alerts about a now-allowed value are closed in the SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-allow-'));
  try {
    const { store } = openStore({ path: join(dir, 'vigil.db'), flowBudget: null });
    const list = new AlertList();
    const m2 = new IntelMatcher({ raise: (a) => { list.raise(a); store.addAlert(a); } }, {
      lookup: () => setOf(), allow: new AllowList(), describe: (mac) => mac,
    });
    m2.conn(conn({ respH: C2 }));
    rec(m2, 'dns', { query: 'cnc.mirai.ao' });
    m2.conn(conn({ respH: '46.101.16.9', respP: 80 }));
    store.addAlert({ ts: T0, code: 'baseline.new_country', severity: 'low', device: DEV.mac, summary: 'x', evidence: { seen: 'mirai.ao', indicatorType: 'domain' }, key: 'b|1' });
    store.flush();
    assert.equal(store.alerts({ code: 'intel.', status: 'open' }).length, 3);
    // Nothing allowed yet: nothing closed.
    assert.equal(new AllowList([]).applyToStore(store, T0 + 100), 0);
    // The owner allows the Mirai domain (covers cnc.mirai.ao) and the scanner's whole network.
    const closed = new AllowList(['mirai.ao', '46.101.16.0/22']).applyToStore(store, T0 + 100);
    assert.equal(closed, 2);
    const after = store.alerts({ code: 'intel.' });
    const byCode = new Map(after.map((a) => [a.code, a]));
    assert.equal(byCode.get('intel.malware')?.status, 'closed');
    assert.equal(byCode.get('intel.malware')?.closedReason, 'allow-listed');
    assert.equal(byCode.get('intel.malware')?.closedTs, T0 + 100);
    assert.equal(byCode.get('intel.scanner')?.status, 'closed');
    assert.equal(byCode.get('intel.c2')?.status, 'open');
    assert.equal(store.alerts({ code: 'baseline.' })[0].status, 'open', 'other alerts are never touched');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
