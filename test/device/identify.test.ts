/**
 * The type rules table and the mDNS attribution rules, as pure functions over the clues and
 * dns.log records the engine produces (field names and renderings as in src/decode/app/dns).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identify, RULES, type Clues } from '../../src/device/identify.js';
import { mdnsFacts } from '../../src/device/mdns.js';
import { reverseNameToIp, addrKind, AddrKind, connSideKind, canonicalIp } from '../../src/device/ip.js';

const NONE: Clues = { vendor: null, names: [], vendorClass: null, paramList: null, mdnsServices: [], mdnsTxt: [], ssdp: [], ssdpTypes: [], roles: [] };
const guess = (c: Partial<Clues>) => identify({ ...NONE, ...c });

test('no clue, no guess; an unmatched vendor stays unknown', () => {
  assert.deepEqual(guess({}), { type: null, evidence: [], strength: 0 });
  assert.equal(guess({ vendor: 'Apple, Inc.' }).type, null);
  assert.equal(guess({ vendor: 'Google, Inc.', names: ['xyz'] }).type, null);
});

test('each clue kind maps to its type, with the evidence phrase naming the clue', () => {
  const cases: [Partial<Clues>, string][] = [
    [{ mdnsServices: ['_googlecast._tcp.local'] }, 'tv'],
    [{ mdnsServices: ['_raop._tcp.local'] }, 'speaker'],
    [{ mdnsServices: ['_ipp._tcp.local'] }, 'printer'],
    [{ mdnsServices: ['_hap._tcp.local'] }, 'hub'],
    [{ mdnsServices: ['_companion-link._tcp.local'] }, 'phone'],
    [{ mdnsTxt: ['md=Chromecast'] }, 'tv'],
    [{ mdnsTxt: ['model=MacBookPro18,3'] }, 'laptop'],
    [{ vendorClass: 'android-dhcp-13' }, 'phone'],
    [{ vendorClass: 'MSFT 5.0' }, 'computer'],
    [{ vendorClass: 'udhcp 1.36.1' }, 'iot'],
    [{ paramList: '1,3,6,15,31,33,43,44,46,47,119,121,249,252' }, 'computer'],
    [{ names: ['DESKTOP-4F7K2QJ'] }, 'computer'],
    [{ names: ['LAPTOP-9QX1ABCD'] }, 'laptop'],
    [{ names: ['ESP_1A2B3C'] }, 'iot'],
    [{ names: ['tplink-plug'] }, 'plug'],
    [{ names: ['Living-Room-Nest'] }, 'thermostat'],
    [{ names: ['Ring-Doorbell'] }, 'camera'],
    [{ names: ['hikvision-ds2cd'] }, 'camera'],
    [{ names: ['Johns-iPhone'] }, 'phone'],
    [{ ssdp: ['Linux/3.14 UPnP/1.0 IpBridge/1.26.0'] }, 'hub'],
    [{ ssdpTypes: ['urn:schemas-upnp-org:device:InternetGatewayDevice:1'] }, 'router'],
    [{ roles: ['router_advert'] }, 'router'],
    [{ vendor: 'Espressif Inc.' }, 'iot'],
    [{ vendor: 'Sonos, Inc.' }, 'speaker'],
  ];
  for (const [c, type] of cases) {
    const g = guess(c);
    assert.equal(g.type, type, JSON.stringify(c));
    assert.equal(g.evidence.length, 1, JSON.stringify(c));
    const value = Object.values(c)[0];
    const shown = Array.isArray(value) ? value[0] : value;
    if (c.roles === undefined) assert.ok(g.evidence[0].includes(String(shown).slice(0, 40)), `${g.evidence[0]} names ${shown}`);
  }
});

test('the strongest clue decides; weaker clues for the same type are kept as evidence', () => {
  // An Espressif chip (iot, 1) whose mDNS TXT says Chromecast (tv, 4).
  const g = guess({ vendor: 'Espressif Inc.', mdnsTxt: ['md=Chromecast'], mdnsServices: ['_googlecast._tcp.local'] });
  assert.equal(g.type, 'tv');
  assert.equal(g.strength, 4);
  assert.deepEqual(g.evidence, ['Chromecast model (mDNS TXT md=Chromecast)', 'Google Cast receiver (mDNS _googlecast._tcp.local)']);
  // A Windows laptop named by the owner: the default-name rule (3) beats the PC-maker vendor (1).
  assert.equal(guess({ vendor: 'Dell Inc.', names: ['LAPTOP-AB12CD'] }).type, 'laptop');
  // A Pi-hole handing out leases: serving DHCP is the weakest router hint and loses the tie.
  assert.equal(guess({ vendor: 'Raspberry Pi Trading Ltd', roles: ['dhcp_server'] }).type, 'computer');
  assert.equal(guess({ vendor: 'Raspberry Pi Trading Ltd', roles: ['dhcp_server', 'dhcp_router'] }).type, 'router');
});

test('every rule is one line: a known clue field, a type and a strength 1-4', () => {
  const fields = new Set(Object.keys(NONE));
  for (const r of RULES) {
    assert.ok(fields.has(r.on), r.says);
    assert.match(r.type, /^[a-z_]+$/);
    assert.ok(r.strength >= 1 && r.strength <= 4);
    assert.ok(r.says.length >= 3 && r.says.length < 60, r.says);
  }
  assert.ok(RULES.length >= 80);
});

test('mDNS attribution: known answers in a merged query are not the sender\'s, confirmed answers and pure replies are', () => {
  // A host browsing AirPlay lists another host's instance as a known answer; its own reply (merged
  // into the same record by trans_id 0) answers for its own name only.
  const merged = mdnsFacts({
    query: '_airplay._tcp.local', qtype: 12, rcode: 0,
    answers: ['kitchen-mac.local', '192.168.1.40', 'TXT 14 model=iMac17,1'],
    mdns_names: ['Living Room._airplay._tcp.local', 'Kitchen-Mac.local'],
  });
  assert.deepEqual(merged, { hosts: ['Kitchen-Mac'], instances: [], services: [], txt: ['model=iMac17,1'] });
  // A pure announcement (no question merged in): every name and the PTR owner's service are its own.
  const pure = mdnsFacts({
    query: '_googlecast._tcp.local', rcode: 0,
    answers: ['Chromecast-Ultra-1a2b._googlecast._tcp.local', 'TXT 12 md=Chromecast TXT 17 fn=Living Room TV'],
    mdns_names: ['Chromecast-Ultra-1a2b._googlecast._tcp.local', '1a2b.local'],
  });
  assert.deepEqual(pure, { hosts: ['1a2b'], instances: ['Living Room TV', 'Chromecast-Ultra-1a2b'], services: ['_googlecast._tcp.local'], txt: ['md=Chromecast'] });
  // A probe (ANY query) proposes the prober's own records; a plain query says nothing about the sender.
  assert.deepEqual(mdnsFacts({ query: 'host-7.local', qtype: 255, mdns_names: ['host-7.local'] })?.hosts, ['host-7']);
  assert.equal(mdnsFacts({ query: '_ipps._tcp.local', qtype: 12 }), null);
  assert.equal(mdnsFacts({ query: '_ipps._tcp.local', qtype: 12, mdns_names: ['Other Printer._ipps._tcp.local'] }), null);
});

test('addresses: local, public, unspecified and ignored sources; reverse names', () => {
  assert.equal(addrKind('192.168.1.5'), AddrKind.Local);
  assert.equal(addrKind('fe80::1'), AddrKind.Local);
  assert.equal(addrKind('fd00::5'), AddrKind.Local);
  assert.equal(addrKind('8.8.8.8'), AddrKind.Public);
  assert.equal(addrKind('2a00:1450:4001::5'), AddrKind.Public);
  assert.equal(addrKind('0.0.0.0'), AddrKind.Unspecified);
  assert.equal(addrKind('::'), AddrKind.Unspecified);
  for (const ip of ['224.0.0.251', 'ff02::fb', '255.255.255.255', '127.0.0.1', '::1', 'bogus', '1.2.3']) assert.equal(addrKind(ip), AddrKind.Ignore, ip);
  assert.equal(connSideKind('10.0.0.2', true), AddrKind.Local);
  assert.equal(connSideKind('239.255.255.250', true), AddrKind.Ignore);
  assert.equal(connSideKind('ff02::1', true), AddrKind.Ignore);
  assert.equal(connSideKind('93.184.216.34', false), AddrKind.Public);
  assert.equal(reverseNameToIp('50.0.77.10.in-addr.arpa'), '10.77.0.50');
  assert.equal(reverseNameToIp('f.2.8.f.3.6.5.1.6.c.b.5.8.6.9.5.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa'), 'fd52:429e:c03c:8235:5968:5bc6:1563:f82f');
  assert.equal(reverseNameToIp('example.com'), null);
  assert.equal(canonicalIp('FE80:0:0:0:0:0:0:1'), 'fe80::1');
});
