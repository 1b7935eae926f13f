/**
 * LAN-level detectors: arp-spoof (mitm.*) and rogue-dhcp (dhcp.rogue_server). The corpus ARP
 * poisoning capture is the golden case; crafted ARP, IPv6 router advertisement and DHCP frames
 * (a corpus DHCP exchange moved to a second server) cover the other codes and the benign
 * look-alikes that must stay quiet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFile, type DetectResult } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import {
  type Frame, ipv4Bytes, macBytes, merge, readCapture, rewriteIPv4, rewriteMac, shift, udpExchange, writePcap,
} from '../helpers/pcap-writer.js';

const T0 = 1_700_000_000;
const GW = { mac: '00:11:22:33:44:01', ip: '192.168.1.1' };
const VICTIM = { mac: '00:11:22:33:44:05', ip: '192.168.1.5' };
const ATTACKER = { mac: '00:11:22:33:44:66', ip: '192.168.1.66' };
const BCAST = 'ff:ff:ff:ff:ff:ff';

interface ArpSpec {
  readonly ts: number;
  readonly op: 'request' | 'reply';
  /** Sender MAC and address (who claims what). */
  readonly sha: string;
  readonly spa: string;
  /** Target address (and MAC for a reply). */
  readonly tpa: string;
  readonly tha?: string;
  /** Ethernet destination; broadcast for requests by default. */
  readonly dst?: string;
}

/** One Ethernet + ARP frame, built by hand (the engine's ARP path). */
function arp(a: ArpSpec): Frame {
  const d = Buffer.alloc(42);
  macBytes(a.dst ?? (a.op === 'request' ? BCAST : a.tha ?? BCAST)).copy(d, 0);
  macBytes(a.sha).copy(d, 6);
  d.writeUInt16BE(0x0806, 12);
  d.writeUInt16BE(1, 14);
  d.writeUInt16BE(0x0800, 16);
  d[18] = 6;
  d[19] = 4;
  d.writeUInt16BE(a.op === 'request' ? 1 : 2, 20);
  macBytes(a.sha).copy(d, 22);
  ipv4Bytes(a.spa).copy(d, 28);
  macBytes(a.tha ?? '00:00:00:00:00:00').copy(d, 32);
  ipv4Bytes(a.tpa).copy(d, 38);
  return { ts: a.ts, data: d, linktype: 1 };
}

/** An IPv6 router advertisement from `mac` (link-local source derived from it). */
function routerAdvert(ts: number, mac: string, lifetime: number): Frame {
  const icmp = Buffer.alloc(16 + 8 + 32);
  icmp[0] = 134;
  icmp[4] = 64;
  icmp.writeUInt16BE(lifetime, 6);
  icmp[16] = 1; // source link-layer address option
  icmp[17] = 1;
  macBytes(mac).copy(icmp, 18);
  icmp[24] = 3; // prefix information
  icmp[25] = 4;
  icmp[26] = 64;
  Buffer.from('fd00000000000001', 'hex').copy(icmp, 40);
  const d = Buffer.alloc(14 + 40 + icmp.length);
  macBytes('33:33:00:00:00:01').copy(d, 0);
  macBytes(mac).copy(d, 6);
  d.writeUInt16BE(0x86dd, 12);
  d[14] = 0x60;
  d.writeUInt16BE(icmp.length, 18);
  d[20] = 58;
  d[21] = 255;
  d[22] = 0xfe;
  d[23] = 0x80;
  macBytes(mac).copy(d, 22 + 10);
  d[54 - 16] = 0xff; // ff02::1
  d[54 - 15] = 0x02;
  d[53] = 1;
  icmp.copy(d, 54);
  return { ts, data: d, linktype: 1 };
}

/** Internet flows of the victim through next hop `mac` (DNS to a public resolver). */
function internet(start: number, n: number, mac: string): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) {
    out.push(...udpExchange({
      client: { ...VICTIM, port: 40000 + i + Math.round(start % 1000) },
      server: { mac, ip: '9.9.9.9', port: 53 },
      start: start + i,
      datagrams: [{ from: 'client', payload: 40 }, { from: 'server', payload: 80 }],
    }));
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-lan-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function run(frames: Frame[], config: Record<string, unknown> = {}): Promise<DetectResult> {
  const p = join(dir, `c${n++}.pcap`);
  writePcap(p, [...frames].sort((a, b) => a.ts - b.ts));
  return detectFile(p, { config });
}

/** Alerts above low of the LAN detectors. */
function alarms(r: DetectResult): string[] {
  return r.alerts.filter((a) => (a.code.startsWith('mitm.') || a.code.startsWith('dhcp.')) && a.severity !== 'low' && a.severity !== 'info')
    .map((a) => `${a.code} ${a.severity} ${a.device}`);
}

// ---- arp-spoof ----------------------------------------------------------------------------------

test('golden: the corpus ARP poisoning names the attacker, its victim and the router it impersonates', async () => {
  const r = await detectFile(pcap('chrissanders-packets/arppoison.pcapng'));
  const a = r.of('mitm.arp_spoof');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].device, '00:25:b3:bf:91:ee');
  assert.deepEqual(a[0].evidence.impersonated_ips, ['172.16.0.1']);
  assert.deepEqual(a[0].evidence.victim_ips, ['172.16.0.107']);
  assert.deepEqual(a[0].evidence.impersonated_macs, ['00:26:0b:31:07:33']);
  assert.deepEqual(a[0].evidence.own_ips, ['172.16.0.105']);
  assert.equal(a[0].evidence.gateway, true);
  assert.equal(a[0].evidence.diverted_flows, 13);
  assert.match(a[0].summary, /pretending to be the router \(172\.16\.0\.1\)/);
  // One incident, one alert: the router change it caused is part of it.
  assert.equal(r.of('mitm.gateway_mac_changed').length, 0);
});

test('benign corpus ARP (one gratuitous ARP, plain who-has) raises nothing', async () => {
  for (const f of ['chrissanders-packets/arp_gratuitous.pcapng', 'arkime/cloudshark-arp.pcap', 'ndpi/android.pcap', 'ndpi/nest_log_sink.pcap']) {
    const r = await detectFile(pcap(f));
    assert.deepEqual(r.of('mitm.'), [], f);
  }
});

test('arpspoof-style poisoning: the attacker asks for the router, then claims its address to the victim', async () => {
  const frames: Frame[] = [
    arp({ ts: T0, op: 'request', sha: VICTIM.mac, spa: VICTIM.ip, tpa: GW.ip }),
    arp({ ts: T0 + 0.001, op: 'reply', sha: GW.mac, spa: GW.ip, tpa: VICTIM.ip, tha: VICTIM.mac }),
    arp({ ts: T0 + 10, op: 'request', sha: ATTACKER.mac, spa: ATTACKER.ip, tpa: GW.ip }),
    arp({ ts: T0 + 10.001, op: 'reply', sha: GW.mac, spa: GW.ip, tpa: ATTACKER.ip, tha: ATTACKER.mac }),
  ];
  for (let i = 0; i < 60; i++) frames.push(arp({ ts: T0 + 12 + 2 * i, op: 'reply', sha: ATTACKER.mac, spa: GW.ip, tpa: VICTIM.ip, tha: VICTIM.mac }));
  const r = await run(frames);
  const a = r.of('mitm.arp_spoof');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, ATTACKER.mac);
  assert.equal(a[0].severity, 'high');
  assert.deepEqual(a[0].evidence.impersonated_ips, [GW.ip]);
  assert.deepEqual(a[0].evidence.impersonated_macs, [GW.mac]);
  assert.deepEqual(a[0].evidence.victim_ips, [VICTIM.ip]);
  assert.equal(a[0].evidence.count, 61);
  // Raised after the settle time, then once more 10 minutes on at most (it stopped after 2 minutes).
  assert.ok(a[0].count <= 2);
  assert.deepEqual(alarms(r), [`mitm.arp_spoof high ${ATTACKER.mac}`]);
});

test('a tug of war over an address (owner keeps claiming it back) is spoofing; a plain move is not', async () => {
  const other = { mac: '00:11:22:33:44:07', ip: '192.168.1.7' };
  const war: Frame[] = [
    arp({ ts: T0, op: 'request', sha: other.mac, spa: other.ip, tpa: '192.168.1.9' }),
    arp({ ts: T0 + 1, op: 'request', sha: ATTACKER.mac, spa: ATTACKER.ip, tpa: '192.168.1.9' }),
  ];
  for (let i = 0; i < 5; i++) {
    war.push(arp({ ts: T0 + 5 + 10 * i, op: 'reply', sha: ATTACKER.mac, spa: other.ip, tpa: VICTIM.ip, tha: VICTIM.mac }));
    war.push(arp({ ts: T0 + 8 + 10 * i, op: 'reply', sha: other.mac, spa: other.ip, tpa: VICTIM.ip, tha: VICTIM.mac }));
  }
  const r = await run(war);
  const a = r.of('mitm.arp_spoof');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, ATTACKER.mac);
  assert.deepEqual(a[0].evidence.impersonated_ips, [other.ip]);
  assert.deepEqual(a[0].evidence.impersonated_macs, [other.mac]);
  assert.equal(a[0].evidence.gateway, false);

  // Benign: a phone re-joins with a new random MAC and gets the old address; a laptop gets a new
  // address from DHCP. Each MAC holds one address at a time: nothing to report.
  const phoneOld = '02:aa:bb:cc:dd:01';
  const phoneNew = '0a:aa:bb:cc:dd:02';
  const moves: Frame[] = [
    arp({ ts: T0, op: 'request', sha: phoneOld, spa: '192.168.1.30', tpa: GW.ip }),
    arp({ ts: T0 + 300, op: 'request', sha: phoneNew, spa: '192.168.1.30', tpa: '192.168.1.30' }),
    arp({ ts: T0 + 301, op: 'request', sha: phoneNew, spa: '192.168.1.30', tpa: GW.ip }),
    arp({ ts: T0 + 10, op: 'request', sha: VICTIM.mac, spa: VICTIM.ip, tpa: GW.ip }),
    arp({ ts: T0 + 400, op: 'request', sha: VICTIM.mac, spa: '0.0.0.0', tpa: '192.168.1.40' }),
    arp({ ts: T0 + 401, op: 'request', sha: VICTIM.mac, spa: '192.168.1.40', tpa: '192.168.1.40' }),
    arp({ ts: T0 + 402, op: 'request', sha: VICTIM.mac, spa: '192.168.1.40', tpa: GW.ip }),
  ];
  const b = await run(moves);
  assert.deepEqual(b.of('mitm.'), []);
});

test('gratuitous-ARP storm: medium past the per-minute threshold; a few announcements are fine', async () => {
  const storm: Frame[] = [];
  for (let i = 0; i < 40; i++) storm.push(arp({ ts: T0 + i, op: 'request', sha: ATTACKER.mac, spa: ATTACKER.ip, tpa: ATTACKER.ip }));
  const r = await run(storm);
  const a = r.of('mitm.arp_storm');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'medium');
  assert.equal(a[0].device, ATTACKER.mac);
  assert.equal(a[0].evidence.count, 30);
  assert.equal(a[0].count, 1); // once per window, not per packet
  const calm = await run(storm.slice(0, 5));
  assert.deepEqual(calm.of('mitm.'), []);
});

test('one MAC claiming many addresses is mitm.arp_many_ips; the threshold is a setting', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 9; i++) frames.push(arp({ ts: T0 + i, op: 'reply', sha: ATTACKER.mac, spa: `192.168.1.${100 + i}`, tpa: GW.ip, tha: GW.mac }));
  const r = await run(frames);
  const a = r.of('mitm.arp_many_ips');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'medium');
  assert.equal(a[0].device, ATTACKER.mac);
  assert.equal(a[0].evidence.count, 8);
  const high = await run(frames, { 'detect.arpSpoof.ipsPerMac': 20 });
  assert.deepEqual(high.of('mitm.arp_many_ips'), []);
});

test("the router's address moving to another MAC: medium; to a VRRP virtual MAC: low", async () => {
  const newRouter = '00:11:22:33:44:fe';
  const base: Frame[] = [
    ...internet(T0, 12, GW.mac),
    arp({ ts: T0 + 100, op: 'reply', sha: GW.mac, spa: GW.ip, tpa: VICTIM.ip, tha: VICTIM.mac }),
  ];
  const r = await run([...base, arp({ ts: T0 + 200, op: 'request', sha: newRouter, spa: GW.ip, tpa: GW.ip })]);
  const a = r.of('mitm.gateway_mac_changed');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'medium');
  assert.equal(a[0].device, newRouter);
  assert.equal(a[0].evidence.old_mac, GW.mac);
  assert.equal(a[0].evidence.router_ip, GW.ip);
  assert.deepEqual(r.of('mitm.arp_spoof'), []);

  const vrrp = '00:00:5e:00:01:07';
  const v = await run([...base, arp({ ts: T0 + 200, op: 'request', sha: vrrp, spa: GW.ip, tpa: GW.ip })]);
  assert.deepEqual(v.of('mitm.gateway_mac_changed').map((x) => x.severity), ['low']);
});

test('internet traffic moving to a new next hop without ARP seen is a gateway change', async () => {
  const other = '00:11:22:33:44:fd';
  const r = await run([...internet(T0, 12, GW.mac), ...internet(T0 + 200, 4, other)]);
  const a = r.of('mitm.gateway_mac_changed');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, other);
  assert.equal(a[0].evidence.old_mac, GW.mac);
  assert.equal((a[0].evidence.uids as string[]).length, 4);
  // A couple of flows through another MAC after only a few through the first: no established router.
  const few = await run([...internet(T0, 3, GW.mac), ...internet(T0 + 200, 2, other)]);
  assert.deepEqual(few.of('mitm.'), []);
});

test('IPv6 router advertisements: the first router is adopted, a second one is rogue', async () => {
  const rogue = '00:11:22:33:44:99';
  const thread = '00:11:22:33:44:98';
  const r = await run([
    routerAdvert(T0, GW.mac, 1800),
    routerAdvert(T0 + 60, GW.mac, 1800),
    routerAdvert(T0 + 100, rogue, 1800),
    routerAdvert(T0 + 101, rogue, 1800),
    routerAdvert(T0 + 120, thread, 0),
  ]);
  const a = r.of('mitm.rogue_ra');
  assert.deepEqual(a.map((x) => `${x.device} ${x.severity}`).sort(), [`${thread} low`, `${rogue} high`].sort());
  const high = a.find((x) => x.device === rogue);
  assert.deepEqual(high?.evidence.routers, [GW.mac]);
  assert.equal(high?.count, 1);
  const one = await run([routerAdvert(T0, GW.mac, 1800), routerAdvert(T0 + 600, GW.mac, 1800)]);
  assert.deepEqual(one.of('mitm.'), []);
});

test('odd ARP input (zero MACs, probes) never throws or fires', async () => {
  const r = await run([
    arp({ ts: T0, op: 'reply', sha: '00:00:00:00:00:00', spa: GW.ip, tpa: VICTIM.ip }),
    arp({ ts: T0 + 1, op: 'request', sha: VICTIM.mac, spa: '0.0.0.0', tpa: GW.ip }),
    arp({ ts: T0 + 2, op: 'request', sha: BCAST, spa: GW.ip, tpa: VICTIM.ip }),
  ]);
  assert.deepEqual(r.of('mitm.'), []);
});

// ---- rogue-dhcp -------------------------------------------------------------------------------

const DHCP = 'arkime/wireshark-dhcp.pcap';
const LEGIT_MAC = '00:08:74:ad:f1:9b';
const ROGUE = { mac: '00:11:22:33:44:66', ip: '192.168.0.66' };

/** The corpus exchange answered by another server (its MAC and address, server-id option too). */
function rogueCopy(frames: readonly Frame[]): Frame[] {
  return rewriteIPv4(rewriteMac(frames, LEGIT_MAC, ROGUE.mac), '192.168.0.1', ROGUE.ip, { payload: true });
}

test('a second DHCP server answering is dhcp.rogue_server naming its MAC and the client', async () => {
  const legit = readCapture(pcap(DHCP));
  const r = await run([...legit, ...shift(rogueCopy(legit), 300)]);
  const a = r.of('dhcp.rogue_server');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].device, ROGUE.mac);
  assert.equal(a[0].evidence.server_ip, ROGUE.ip);
  assert.equal(a[0].evidence.server_mac, ROGUE.mac);
  assert.deepEqual(a[0].evidence.clients, ['00:0b:82:01:fc:42']);
  assert.deepEqual(a[0].evidence.known_servers, ['192.168.0.1', LEGIT_MAC]);
  assert.equal(a[0].evidence.count, 2); // the OFFER and the ACK transactions
});

test('a rogue answering the same request as the real server is caught too', async () => {
  const legit = readCapture(pcap(DHCP));
  // The rogue's OFFER arrives 1 ms after the real one, inside the same transaction.
  const offer = rogueCopy([legit[1]]).map((f) => ({ ...f, ts: f.ts + 0.001 }));
  const r = await run(merge(legit, offer));
  const a = r.of('dhcp.rogue_server');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, ROGUE.mac);
});

test('configured servers: a server not listed is rogue even when it answers first', async () => {
  const legit = readCapture(pcap(DHCP));
  const r = await run([...rogueCopy(legit), ...shift(legit, 300)], { 'detect.rogueDhcp.servers': [LEGIT_MAC] });
  assert.deepEqual(r.of('dhcp.rogue_server').map((x) => x.device), [ROGUE.mac]);
  // Without the setting, the first server seen (here the rogue) is taken as the network's own.
  const learnt = await run([...rogueCopy(legit), ...shift(legit, 300)]);
  assert.deepEqual(learnt.of('dhcp.rogue_server').map((x) => x.device), [LEGIT_MAC]);
});

test('benign corpus DHCP (renewals, NAK/DECLINE, one server) raises nothing', async () => {
  for (const f of [DHCP, 'zeek/dhcp.pcap', 'suricata-verify/dhcp-eve-extended.pcap', 'ndpi/android.pcap', 'ndpi/alexa-app.pcapng']) {
    const r = await detectFile(pcap(f));
    assert.deepEqual(r.of('dhcp.'), [], f);
  }
  // The same server answering twice, five minutes apart (a renewal), is still the one server.
  const legit = readCapture(pcap(DHCP));
  const again = await run([...legit, ...shift(legit, 300)]);
  assert.deepEqual(again.of('dhcp.'), []);
});
