import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertList } from '../../src/alert/alert.js';
import { Baselines, parseAcceptSpec, acceptSpecForKey } from '../../src/baseline/baselines.js';
import { isVigilError } from '../../src/util/errors.js';
import { DAY, HOUR, T0, counterBag, inFlow, localFlow, outFlow } from './helpers.js';

const TV = '02:00:00:00:00:0a';
const CAM = '02:00:00:00:00:0b';
const names: Record<string, string> = { [TV]: `Living-room TV (${TV})`, [CAM]: `Camera (${CAM})` };
const describe = (mac: string) => names[mac] ?? mac;

/** Seven days of a TV's normal life: HTTPS to a US CDN, NTP, DNS to its resolver. */
function learnTv(b: Baselines, mac = TV, from = T0): void {
  for (let d = 0; d < 7; d++) {
    for (const h of [9, 13, 20]) {
      const t = from + d * DAY + h * HOUR;
      b.observeFlow(outFlow(mac, t));
      b.observeFlow(outFlow(mac, t + 60, { proto: 'udp', service: 'ntp', respP: 123, remoteIp: '162.159.200.1', remoteAsn: 13335, remoteAsOrg: 'CLOUDFLARENET', remoteName: 'time.cloudflare.com', remoteDomain: 'cloudflare.com' }));
    }
  }
}

const russian = {
  remoteIp: '95.173.136.70',
  remoteCountry: 'RU',
  remoteAsn: 12345,
  remoteAsOrg: 'Foo Hosting',
  remoteName: 'c2.evil.example',
  remoteDomain: 'evil.example',
  respP: 6667,
  service: '',
};

test('learning raises nothing; after it one alert per new destination and per new service, none on a benign continuation', () => {
  const alerts = new AlertList();
  const c = counterBag();
  const b = new Baselines(alerts, { describe, counters: c.counters });
  learnTv(b);
  assert.equal(alerts.alerts.length, 0);
  const st = b.status(TV)[0];
  assert.equal(st.learningUntil, T0 + 9 * HOUR + 7 * DAY);
  assert.deepEqual(st.items.country, { learned: 1, alerted: 0, accepted: 0 });
  assert.deepEqual(st.items.asn, { learned: 2, alerted: 0, accepted: 0 });
  assert.deepEqual(st.items.service, { learned: 2, alerted: 0, accepted: 0 });

  // Day 8 and 9: the same life goes on: nothing.
  for (let d = 7; d < 9; d++) for (const h of [9, 13, 20]) b.observeFlow(outFlow(TV, T0 + d * DAY + h * HOUR));
  assert.equal(alerts.alerts.length, 0);
  assert.equal(b.status(TV)[0].learning, false);

  // A server in Russia on an IRC port: one destination alert (country, with ASN and domain folded in) and one service alert.
  const t = T0 + 9 * DAY + 10 * HOUR;
  b.observeFlow(outFlow(TV, t, russian));
  assert.deepEqual(alerts.alerts.map((a) => [a.code, a.severity, a.key]), [
    ['baseline.new_country', 'medium', `baseline.new_country|${TV}|RU`],
    ['baseline.new_service', 'medium', `baseline.new_service|${TV}|tcp/6667`],
  ]);
  const [country, service] = alerts.alerts;
  assert.equal(country.summary, `Living-room TV (${TV}) talked to a server in Russia (AS12345 Foo Hosting) for the first time: 95.173.136.70 (evil.example).`);
  assert.deepEqual(country.evidence.new, ['country:RU', 'asn:12345', 'domain:evil.example']);
  assert.equal(country.evidence.ip, '95.173.136.70');
  assert.equal(country.ts, t + 1, 'raised at the flow end');
  assert.equal(country.device, TV);
  assert.equal(service.summary, `Living-room TV (${TV}) used tcp/6667 for the first time: 95.173.136.70:6667 (evil.example, Russia).`);

  // Talking to it again, and the old normal: nothing new.
  b.observeFlow(outFlow(TV, t + 600, russian));
  b.observeFlow(outFlow(TV, t + 700));
  assert.equal(alerts.alerts.length, 2);
  const after = b.status(TV)[0];
  assert.deepEqual(after.items.country, { learned: 1, alerted: 1, accepted: 0 });
  assert.deepEqual(after.pending.map((p) => `${p.kind} ${p.value}`), ['country RU', 'asn 12345', 'domain evil.example', 'service tcp/6667']);
  assert.equal(c.get('baseline.new_country'), 1);
  assert.equal(c.get('baseline.alerts'), 2);
});

test('a new domain on a known ASN, and a new ASN in a known country, each raise the alert of their own kind', () => {
  const alerts = new AlertList();
  const b = new Baselines(alerts, { describe });
  learnTv(b);
  const t = T0 + 8 * DAY;
  b.observeFlow(outFlow(TV, t, { remoteDomain: 'tracker.example', remoteName: 'x.tracker.example' }));
  b.observeFlow(outFlow(TV, t + 10, { remoteAsn: 64500, remoteAsOrg: 'Small ISP', remoteDomain: 'example.com' }));
  assert.deepEqual(alerts.alerts.map((a) => a.code), ['baseline.new_domain', 'baseline.new_asn']);
  assert.equal(alerts.alerts[0].summary, `Living-room TV (${TV}) talked to tracker.example for the first time, a domain no other device here uses: 93.184.216.34 (AS15133 EDGECAST, United States).`);
  assert.equal(alerts.alerts[1].summary, `Living-room TV (${TV}) talked to AS64500 Small ISP (United States) for the first time, a network no other device here uses: 93.184.216.34 (example.com).`);
  // Flows without a domain or ASN only learn what they have.
  b.observeFlow(outFlow(TV, t + 20, { remoteDomain: null, remoteName: null, remoteAsn: null, remoteAsOrg: null }));
  assert.equal(alerts.alerts.length, 2);
});

test('unanswered attempts are counted, never learned nor alerted; answered flows to the same port then alert once', () => {
  const alerts = new AlertList();
  const c = counterBag();
  const b = new Baselines(alerts, { describe, counters: c.counters });
  learnTv(b);
  const t = T0 + 8 * DAY;
  b.observeFlow(outFlow(TV, t, { ...russian, connState: 'S0', respPkts: 0, respBytes: 0, history: 'S' }));
  b.observeFlow(outFlow(TV, t + 1, { ...russian, connState: 'REJ', history: 'Sr', respBytes: 0 }));
  b.observeFlow(outFlow(TV, t + 2, { ...russian, proto: 'udp', connState: 'S0', respPkts: 0, respBytes: 0, respP: 9999 }));
  assert.equal(alerts.alerts.length, 0);
  assert.equal(b.status(TV)[0].attempts, 3);
  assert.equal(c.get('baseline.unanswered_out'), 3);
  assert.deepEqual(b.status(TV)[0].items.country, { learned: 1, alerted: 0, accepted: 0 });
  b.observeFlow(outFlow(TV, t + 3, russian));
  assert.deepEqual(alerts.alerts.map((a) => a.code), ['baseline.new_country', 'baseline.new_service']);
});

test('listeners: accepted inbound and local connections are learned per listening device; new ones alert, refused ones do not', () => {
  const alerts = new AlertList();
  const b = new Baselines(alerts, { describe });
  // The TV casts (local tcp/8009 on the camera — say it is a speaker) and the camera accepts RTSP from the internet.
  for (let d = 0; d < 8; d++) {
    b.observeFlow(localFlow(TV, CAM, T0 + d * DAY + 12 * HOUR, { respP: 8009 }));
    b.observeFlow(inFlow(CAM, T0 + d * DAY + 13 * HOUR, { respP: 554 }));
  }
  assert.equal(alerts.alerts.length, 0);
  assert.deepEqual(b.status(CAM)[0].items.listener, { learned: 2, alerted: 0, accepted: 0 });
  assert.deepEqual(b.status(TV)[0].items.listener, { learned: 0, alerted: 0, accepted: 0 });
  const t = T0 + 8 * DAY + 14 * HOUR;
  b.observeFlow(inFlow(CAM, t, { respP: 2323, connState: 'REJ', history: 'Sr' })); // refused: nothing
  b.observeFlow(inFlow(CAM, t + 1, { respP: 2323, connState: 'S0', respPkts: 0 })); // unanswered: nothing
  assert.equal(alerts.alerts.length, 0);
  b.observeFlow(inFlow(CAM, t + 2, { respP: 23, service: 'telnet' }));
  b.observeFlow(localFlow(TV, CAM, t + 3, { respP: 22, service: 'ssh' }));
  b.observeFlow(localFlow(TV, CAM, t + 4, { respP: 22 }));
  b.observeFlow(localFlow(TV, '01:00:5e:00:00:fb', t + 5, { proto: 'udp', respP: 5353 })); // multicast: no listener
  assert.deepEqual(alerts.alerts.map((a) => [a.code, a.severity, a.device, a.key]), [
    ['baseline.new_listener', 'high', CAM, `baseline.new_listener|${CAM}|tcp/23`],
    ['baseline.new_listener', 'medium', CAM, `baseline.new_listener|${CAM}|tcp/22`],
  ]);
  assert.equal(alerts.alerts[0].summary, `Camera (${CAM}) accepted a connection on tcp/23 (telnet) for the first time, from 203.0.113.9 (China, AS4134 CHINANET) on the internet.`);
  assert.equal(alerts.alerts[1].summary, `Camera (${CAM}) accepted a connection on tcp/22 (ssh) for the first time, from 192.168.1.10 on the local network.`);
});

test('high ports are one service: the first use alerts once, further random ports do not', () => {
  const alerts = new AlertList();
  const b = new Baselines(alerts, { describe });
  learnTv(b);
  const t = T0 + 8 * DAY;
  for (const port of [40000, 51234, 60001]) b.observeFlow(outFlow(TV, t + port / 1000, { proto: 'udp', service: '', respP: port }));
  assert.deepEqual(alerts.alerts.map((a) => a.key), [`baseline.new_service|${TV}|udp/32768-65535`]);
  assert.match(alerts.alerts[0].summary, /used UDP high ports \(32768-65535\) for the first time: 93\.184\.216\.34:40000 /);
});

test('each device learns from its own first flow: a late joiner is still learning when the first device alerts', () => {
  const alerts = new AlertList();
  const b = new Baselines(alerts, { describe });
  learnTv(b);
  learnTv(b, CAM, T0 + 5 * DAY); // first seen on day 6
  const t = T0 + 9 * DAY;
  b.observeFlow(outFlow(TV, t, russian));
  b.observeFlow(outFlow(CAM, t, russian));
  assert.deepEqual(alerts.alerts.map((a) => a.device), [TV, TV]);
  const cam = b.status(CAM)[0];
  assert.equal(cam.learning, true);
  assert.equal(cam.learningUntil, T0 + 5 * DAY + 9 * HOUR + 7 * DAY);
  assert.deepEqual(cam.items.country, { learned: 2, alerted: 0, accepted: 0 });
});

test('rarity across the network: a destination most devices use is learned silently; one some use alerts low; one nobody uses alerts medium', () => {
  const alerts = new AlertList();
  const c = counterBag();
  const b = new Baselines(alerts, { describe, counters: c.counters });
  const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
  learnTv(b);
  const cdn = { remoteAsn: 54113, remoteAsOrg: 'FASTLY', remoteDomain: 'fastly.example' };
  for (const m of macs) learnTv(b, m);
  // Three of the TV's three peers use the CDN, one uses a small hoster.
  for (const m of macs) b.observeFlow(outFlow(m, T0 + DAY, cdn));
  b.observeFlow(outFlow(macs[0], T0 + DAY, { remoteAsn: 64500, remoteAsOrg: 'Small Hoster', remoteDomain: 'smallhoster.example' }));
  for (const m of macs.slice(0, 2)) b.observeFlow(outFlow(m, T0 + DAY, { remoteCountry: 'DE' }));
  const t = T0 + 8 * DAY;
  b.observeFlow(outFlow(TV, t, cdn));
  assert.equal(alerts.alerts.length, 0, 'the CDN everyone uses is not news');
  assert.equal(c.get('baseline.common_learned'), 2);
  assert.deepEqual(b.status(TV)[0].items.asn, { learned: 3, alerted: 0, accepted: 0 });
  b.observeFlow(outFlow(TV, t + 1, { remoteAsn: 64500, remoteAsOrg: 'Small Hoster', remoteDomain: 'smallhoster.example' }));
  b.observeFlow(outFlow(TV, t + 2, { remoteAsn: 64666, remoteAsOrg: 'Nobody', remoteDomain: 'nobody.example' }));
  assert.deepEqual(alerts.alerts.map((a) => [a.code, a.severity]), [['baseline.new_asn', 'low'], ['baseline.new_asn', 'medium']]);
  assert.match(alerts.alerts[0].summary, /AS64500 Small Hoster \(United States\) for the first time \(1 other device here uses it\)/);
  assert.deepEqual(alerts.alerts[0].evidence.new, ['asn:64500', 'domain:smallhoster.example']);
  assert.equal(alerts.alerts[0].evidence.otherDevices, 1);

  // What raised an alert on one device is not "normal" for the network: a second device still gets medium.
  b.observeFlow(outFlow(macs[1], t + 3, { remoteAsn: 64666, remoteAsOrg: 'Nobody', remoteDomain: 'nobody.example' }));
  assert.deepEqual(alerts.alerts.slice(2).map((a) => [a.code, a.severity, a.device]), [['baseline.new_asn', 'medium', macs[1]]]);
  // New countries always alert, even where other devices go (low then).
  b.observeFlow(outFlow(macs[2], t + 4, { remoteCountry: 'RU', remoteAsn: 15133 }));
  b.observeFlow(outFlow(TV, t + 5, { remoteCountry: 'DE', remoteAsn: 15133 }));
  assert.deepEqual(alerts.alerts.slice(3).map((a) => [a.code, a.severity, a.device]), [['baseline.new_country', 'medium', macs[2]], ['baseline.new_country', 'low', TV]]);
});

test('accept: by kind and value, by kind, or everything; keys to close are returned and accepted things never alert again', () => {
  const alerts = new AlertList();
  const b = new Baselines(alerts, { describe });
  learnTv(b);
  const t = T0 + 8 * DAY;
  b.observeFlow(outFlow(TV, t, russian));
  b.observeFlow(outFlow(TV, t + 1, { remoteDomain: 'tracker.example' }));
  assert.equal(alerts.alerts.length, 3);

  const one = b.accept(TV, parseAcceptSpec('country', 'ru'), t + 10);
  assert.deepEqual(one, { device: TV, accepted: ['country RU'], keys: [`baseline.new_country|${TV}|RU`] });
  const kind = b.accept(TV.toUpperCase(), { kind: 'service' }, t + 11);
  assert.deepEqual(kind.keys, [`baseline.new_service|${TV}|tcp/6667`]);
  const all = b.accept(TV, {}, t + 12);
  assert.deepEqual(all.accepted, ['asn 12345', 'domain evil.example', 'domain tracker.example']);
  assert.deepEqual(all.keys, [`baseline.new_asn|${TV}|12345`, `baseline.new_domain|${TV}|evil.example`, `baseline.new_domain|${TV}|tracker.example`]);
  assert.deepEqual(b.status(TV)[0].pending, []);
  assert.deepEqual(b.status(TV)[0].items.country, { learned: 1, alerted: 0, accepted: 1 });
  assert.deepEqual(b.accept(TV, {}, t + 13).keys, [], 'nothing left to accept');

  // Accepted before ever seen: the owner's word is enough.
  b.accept(TV, parseAcceptSpec('domain', 'Updates.Example.'), t + 14);
  b.accept(TV, parseAcceptSpec('service', 'tcp/8883'), t + 14);
  b.observeFlow(outFlow(TV, t + 20, { remoteDomain: 'updates.example', respP: 8883 }));
  b.observeFlow(outFlow(TV, t + 30, russian));
  assert.equal(alerts.alerts.length, 3);

  // Alert keys map back to what accepting them means (for "accept this alert" in the UI).
  assert.deepEqual(acceptSpecForKey(`baseline.new_domain|${TV}|evil.example`), { device: TV, spec: { kind: 'domain', value: 'evil.example' } });
  assert.deepEqual(acceptSpecForKey(`baseline.volume_out|${TV}`), { device: TV, spec: { kind: 'volume', value: 'out' } });
  assert.deepEqual(acceptSpecForKey(`baseline.unusual_hour|${TV}|03`), { device: TV, spec: { kind: 'hours', value: '03' } });
  assert.equal(acceptSpecForKey('new_device|x'), null);
});

test('accept refuses an unknown device and malformed kinds or values with coded, actionable errors', () => {
  const b = new Baselines(new AlertList());
  learnTv(b);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(isVigilError(e));
      return e.code;
    }
    return 'no error';
  };
  assert.equal(code(() => b.accept('02:99:99:99:99:99', {}, T0)), 'VIGIL_ERR_NOT_FOUND');
  assert.equal(code(() => parseAcceptSpec('colour', 'red')), 'VIGIL_ERR_USAGE');
  assert.equal(code(() => parseAcceptSpec('ip', '1.2.3.4')), 'VIGIL_ERR_USAGE');
  assert.equal(code(() => parseAcceptSpec('country', 'Russia')), 'VIGIL_ERR_USAGE');
  assert.equal(code(() => parseAcceptSpec('service', 'https')), 'VIGIL_ERR_USAGE');
  assert.equal(code(() => parseAcceptSpec('hours', '25')), 'VIGIL_ERR_USAGE');
  assert.equal(code(() => b.accept(TV, { kind: 'volume', value: 'sideways' }, T0)), 'VIGIL_ERR_USAGE');
  assert.deepEqual(parseAcceptSpec('asn', 'AS13335'), { kind: 'asn', value: '13335' });
  assert.deepEqual(parseAcceptSpec('listener', 'tcp/50000'), { kind: 'listener', value: 'tcp/32768-65535' });
  assert.deepEqual(parseAcceptSpec('hours', '3'), { kind: 'hours', value: '03' });
  assert.deepEqual(parseAcceptSpec(), {});
});

test('caps: items per device and kind, items in total, devices; hitting one is counted and stops that kind, never throws', () => {
  const alerts = new AlertList();
  const c = counterBag();
  const b = new Baselines(alerts, { describe, counters: c.counters, maxItemsPerDevice: 3, maxDevices: 2, maxItemsTotal: 14 });
  for (let i = 0; i < 5; i++) b.observeFlow(outFlow(TV, T0 + i, { remoteDomain: `d${i}.example` }));
  const st = b.status(TV)[0];
  assert.equal(st.items.domain.learned, 3);
  assert.deepEqual(st.capped, ['domain']);
  assert.equal(c.get('baseline.items_capped'), 2);
  // A device past the cap of its kind: a general-purpose computer; new domains are no signal there.
  b.observeFlow(outFlow(TV, T0 + 8 * DAY, { remoteDomain: 'late.example' }));
  assert.equal(alerts.alerts.length, 0);
  assert.equal(c.get('baseline.items_capped'), 3);

  b.observeFlow(outFlow(CAM, T0, { remoteDomain: 'cam.example', respP: 1 }));
  b.observeFlow(outFlow('02:00:00:00:00:0c', T0, {}));
  assert.equal(b.size, 2);
  assert.equal(c.get('baseline.devices_capped'), 1);

  const c2 = counterBag();
  const small = new Baselines(new AlertList(), { counters: c2.counters, maxItemsTotal: 5 });
  small.observeFlow(outFlow(TV, T0)); // country, asn, domain, service: 4 items
  small.observeFlow(outFlow(CAM, T0)); // only the 5th fits
  const cam = small.status(CAM)[0].items;
  assert.deepEqual([cam.country.learned, cam.asn.learned, cam.domain.learned, cam.service.learned], [1, 0, 0, 0]);
  assert.equal(c2.get('baseline.items_capped_total'), 3);
});
