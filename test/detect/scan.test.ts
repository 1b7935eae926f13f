/**
 * Port scans, Mirai-style propagation and flood participation (src/detect/portscan.ts,
 * propagation.ts, flood.ts): the corpus nmap SYN scan, synthetic captures of each attack built
 * with test/helpers/pcap-writer.ts (written to a temp dir), and benign look-alikes that must stay
 * quiet (a browser on many web servers, a camera streaming to a recorder, a busy LAN resolver).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFile, type DetectResult } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import {
  checksum, ipv4Bytes, macBytes, merge, tcpSession, udpExchange, writePcap, type Endpoint, type Frame,
} from '../helpers/pcap-writer.js';
import { ConnRecord } from '../../src/flow/conn-record.js';
import { isGroup, probeKind, ProbeKind } from '../../src/detect/portscan.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-scan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000;
const ROUTER = '02:00:00:00:00:01';
const BOT = { mac: '02:11:22:33:44:55', ip: '192.168.1.50' };
const VICTIM_LAN = { mac: '02:aa:aa:aa:aa:01', ip: '192.168.1.20' };

let n = 0;
async function run(frames: Frame[], config: Record<string, unknown> = {}): Promise<DetectResult> {
  const path = join(dir, `c${n++}.pcap`);
  writePcap(path, merge(frames));
  return detectFile(path, { config });
}

const ep = (mac: string, ip: string, port: number): Endpoint => ({ mac, ip, port });
/** The SYN of a TCP session: an unanswered connection attempt (S0). */
const syn = (client: Endpoint, server: Endpoint, ts: number): Frame => tcpSession({ client, server, start: ts })[0];
/** A public address per index, spread over the internet as a random scanner's would be. */
const FIRST = [23, 31, 37, 45, 51, 62, 77, 81, 85, 91, 104, 109, 141, 151, 176, 185, 193, 195, 212, 217];
const publicIp = (i: number): string => `${FIRST[i % 20]}.${Math.floor(i / 20)}.${(i * 7) % 256}.${1 + (i % 250)}`;

/** An ICMP echo request (type 8) frame; crafted here because pcap-writer speaks TCP/UDP only. */
function ping(src: { mac: string; ip: string }, dst: { mac: string; ip: string }, id: number, seq: number, ts: number): Frame {
  const d = Buffer.alloc(14 + 20 + 8 + 32);
  macBytes(dst.mac).copy(d, 0);
  macBytes(src.mac).copy(d, 6);
  d.writeUInt16BE(0x0800, 12);
  d[14] = 0x45;
  d.writeUInt16BE(20 + 8 + 32, 16);
  d[22] = 64;
  d[23] = 1;
  ipv4Bytes(src.ip).copy(d, 26);
  ipv4Bytes(dst.ip).copy(d, 30);
  d.writeUInt16BE(checksum(d, 14, 34), 24);
  d[34] = 8;
  d.writeUInt16BE(id, 38);
  d.writeUInt16BE(seq, 40);
  d.writeUInt16BE(checksum(d, 34, d.length), 36);
  return { ts, data: d, linktype: 1 };
}

function codes(r: DetectResult): string {
  return r.alerts.map((a) => `${a.code} ${a.severity} ${a.device}`).join('; ');
}

test('corpus nmap SYN scan: one scan.vertical for the scanning host, nothing else from these detectors', async () => {
  const r = await detectFile(pcap('ndpi/synscan.pcap'));
  const v = r.of('scan.vertical');
  assert.equal(v.length, 1, codes(r));
  assert.equal(v[0].device, '00:25:b3:bf:91:ee');
  assert.equal(v[0].severity, 'medium');
  assert.equal(v[0].evidence.kind, 'syn');
  assert.equal(v[0].evidence.victim, '64.13.134.52');
  assert.equal(v[0].evidence.ports, 1000);
  assert.equal((v[0].evidence.uids as string[]).length, 10);
  assert.match(v[0].summary, /^Hewlett Packard .*probed 1,000 ports of 64\.13\.134\.52 in 5 seconds \(a SYN port scan\)/);
  // Raised when the threshold was crossed, once more with the final totals: one key, count 2.
  assert.ok(v[0].count <= 2, `raised ${v[0].count} times`);
  assert.deepEqual(r.of('scan.horizontal'), []);
  assert.deepEqual(r.of('flood.'), [], 'a 1,000-port scan is not a SYN flood');
  assert.deepEqual(r.of('infected.propagation'), []);
});

test('Mirai-style telnet sweep: infected.propagation (critical) for the LAN device, not a second horizontal-scan alert', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 300; i++) {
    const port = i % 10 === 0 ? 2323 : 23;
    frames.push(syn(ep(BOT.mac, BOT.ip, 40000 + i), ep(ROUTER, publicIp(i), port), T0 + i * 0.2));
  }
  const r = await run(frames);
  const p = r.of('infected.propagation');
  assert.equal(p.length, 1, codes(r));
  assert.equal(p[0].severity, 'critical');
  assert.equal(p[0].device, BOT.mac);
  assert.equal(p[0].evidence.hosts, 300);
  assert.equal(p[0].evidence.failed, 300);
  assert.deepEqual(p[0].evidence.ports, ['23', '2323']);
  assert.match(p[0].summary, /tried to connect to 300 other addresses on telnet \(ports 23, 2323\) in 60 seconds: it is probably infected with a Mirai-type botnet.*Unplug it, reset it/);
  assert.deepEqual(r.of('scan.horizontal'), [], 'the same flows are not reported twice');

  // With propagation turned off, the sweep is still reported, as a horizontal scan.
  const off = await run(frames, { 'detect.disabled': ['propagation'] });
  const h = off.of('scan.horizontal').sort((a, b) => Number(a.evidence.port) - Number(b.evidence.port));
  assert.deepEqual(h.map((a) => [a.evidence.port, a.evidence.hosts, a.severity, a.device]), [[23, 270, 'high', BOT.mac], [2323, 30, 'high', BOT.mac]], codes(off));
});

test('a browser on many web servers (successful connections) and a few dead ones is not propagation or a scan', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 80; i++) {
    frames.push(...tcpSession({ client: ep(BOT.mac, BOT.ip, 41000 + i), server: ep(ROUTER, publicIp(i), 80), start: T0 + i, toServer: 300, toClient: 5000 }));
  }
  for (let i = 0; i < 10; i++) frames.push(syn(ep(BOT.mac, BOT.ip, 42000 + i), ep(ROUTER, publicIp(500 + i), 80), T0 + i * 3));
  const r = await run(frames);
  assert.deepEqual(r.of('infected.propagation'), [], codes(r));
  assert.deepEqual(r.of('scan.'), [], codes(r));
});

test('LAN sweep on one port: scan.horizontal (high) naming the scanning device', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 40; i++) frames.push(syn(ep(BOT.mac, BOT.ip, 43000 + i), ep(`02:00:00:00:01:${(i + 16).toString(16)}`, `192.168.1.${100 + i}`, 445), T0 + i * 0.5));
  const r = await run(frames);
  const h = r.of('scan.horizontal');
  assert.equal(h.length, 1, codes(r));
  assert.equal(h[0].device, BOT.mac);
  assert.equal(h[0].severity, 'high');
  assert.equal(h[0].evidence.hosts, 40);
  assert.equal(h[0].evidence.port, 445);
  assert.equal(h[0].evidence.proto, 'tcp');
  assert.deepEqual(r.of('infected.propagation'), [], 'port 445 is not an IoT exploit port');
});

test('connect scan and UDP scan are recognised as such', async () => {
  const frames: Frame[] = [];
  // Connect scan: full handshakes with no payload, then FIN.
  for (let i = 0; i < 25; i++) frames.push(...tcpSession({ client: ep(BOT.mac, BOT.ip, 44000 + i), server: ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 1000 + i), start: T0 + i }));
  // UDP scan of another host: no datagram comes back.
  for (let i = 0; i < 30; i++) {
    frames.push(...udpExchange({ client: ep(BOT.mac, BOT.ip, 45000), server: ep('02:aa:aa:aa:aa:02', '192.168.1.21', 2000 + i), start: T0 + i, datagrams: [{ from: 'client', payload: 8 }] }));
  }
  const r = await run(frames);
  const v = r.of('scan.vertical');
  assert.equal(v.length, 2, codes(r));
  const tcp = v.find((a) => a.evidence.victim === VICTIM_LAN.ip);
  const udp = v.find((a) => a.evidence.victim === '192.168.1.21');
  assert.equal(tcp?.evidence.kind, 'connect');
  assert.equal(tcp?.evidence.ports, 25);
  assert.equal(tcp?.device, BOT.mac);
  assert.equal(udp?.evidence.kind, 'udp');
  assert.equal(udp?.evidence.ports, 30);
  assert.match(udp?.summary ?? '', /a UDP port scan/);
});

test('below the threshold, or spread beyond the window, a few failed connections stay quiet', async () => {
  const frames: Frame[] = [];
  // 19 ports (threshold 20) at once, then 19 more ports ten minutes later: two windows, no alert.
  for (let i = 0; i < 19; i++) frames.push(syn(ep(BOT.mac, BOT.ip, 46000 + i), ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 100 + i), T0 + i));
  for (let i = 0; i < 19; i++) frames.push(syn(ep(BOT.mac, BOT.ip, 47000 + i), ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 200 + i), T0 + 600 + i));
  const r = await run(frames);
  assert.deepEqual(r.of('scan.'), [], codes(r));
});

test('scans from the internet: low when they hit no LAN device, medium when they reach one through the router', async () => {
  const scanner = { mac: ROUTER, ip: '45.155.205.7' };
  const frames: Frame[] = [];
  for (let i = 0; i < 30; i++) frames.push(syn(ep(scanner.mac, scanner.ip, 50000), ep('02:00:00:00:00:09', '185.199.108.9', 3000 + i), T0 + i * 0.1));
  const low = await run(frames);
  const v = low.of('scan.vertical');
  assert.equal(v.length, 1, codes(low));
  assert.equal(v[0].severity, 'low');
  assert.equal(v[0].device, null);

  // The LAN device must be known first (it talked); then the scan reaches it on 30 ports.
  const lan: Frame[] = [...tcpSession({ client: ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 33000), server: ep(ROUTER, '93.184.216.34', 443), start: T0 - 10, toServer: 100, toClient: 100 })];
  for (let i = 0; i < 30; i++) lan.push(syn(ep(scanner.mac, scanner.ip, 50000), ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 3000 + i), T0 + i * 0.1));
  const med = await run(lan);
  const m = med.of('scan.vertical');
  assert.equal(m.length, 1, codes(med));
  assert.equal(m[0].severity, 'medium');
  assert.equal(m[0].device, VICTIM_LAN.mac, 'an outside scan names the LAN device it targets');
  assert.equal(m[0].evidence.src, scanner.ip);
});

test('SYN flood: 3,000 attempts to one victim port in 10 s raise flood.syn naming the victim, not a scan', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 3000; i++) frames.push(syn(ep(BOT.mac, BOT.ip, 1024 + i), ep(ROUTER, '185.199.108.20', 80), T0 + i / 300));
  const r = await run(frames);
  const f = r.of('flood.syn');
  assert.equal(f.length, 1, codes(r));
  assert.equal(f[0].device, BOT.mac);
  assert.equal(f[0].severity, 'high');
  assert.equal(f[0].evidence.victim, '185.199.108.20');
  assert.equal(f[0].evidence.flows, 3000);
  assert.equal(f[0].evidence.ports, 1);
  assert.match(f[0].summary, /sent 3,000 connection attempts \(3,000 packets\) to 185\.199\.108\.20 on port 80 \(web\) in 10 seconds: this is a SYN flood/);
  assert.deepEqual(r.of('scan.'), [], 'one port: not a scan');
});

test('UDP flood to an internet victim fires; a camera streaming to the recorder on the LAN does not', async () => {
  const flood = udpExchange({
    client: ep(BOT.mac, BOT.ip, 40001), server: ep(ROUTER, '185.199.108.30', 53413), start: T0,
    datagrams: Array.from({ length: 15000 }, () => ({ from: 'client' as const, payload: 512 })), gap: 0.001,
  });
  const r = await run(flood);
  const f = r.of('flood.udp');
  assert.equal(f.length, 1, codes(r));
  assert.equal(f[0].device, BOT.mac);
  assert.equal(f[0].evidence.packets, 15000);
  assert.equal(f[0].evidence.victim, '185.199.108.30');

  // hping3 -2 -p 53: a new source port per datagram, to the victim's DNS port: a UDP flood, not
  // DNS amplification (one address, not many resolvers).
  const hping: Frame[] = [];
  for (let i = 0; i < 2000; i++) {
    hping.push(...udpExchange({ client: ep(BOT.mac, BOT.ip, 2000 + i), server: ep(ROUTER, '185.199.108.31', 53), start: T0 + i * 0.0001, datagrams: [{ from: 'client', payload: 64 }] }));
  }
  const h = await run(hping);
  assert.deepEqual(h.alerts.filter((a) => a.code.startsWith('flood.')).map((a) => [a.code, a.device, a.evidence.flows]), [['flood.udp', BOT.mac, 2000]], codes(h));

  // 20,000 RTP packets in 60 s one way (≈ 330/s, a 3 Mbit/s stream) to a LAN recorder.
  const stream = udpExchange({
    client: ep(BOT.mac, BOT.ip, 5004), server: ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 5004), start: T0,
    datagrams: Array.from({ length: 20000 }, () => ({ from: 'client' as const, payload: 1200 })), gap: 0.003,
  });
  const quiet = await run(stream);
  assert.deepEqual(quiet.of('flood.'), [], codes(quiet));
  assert.deepEqual(quiet.of('scan.'), [], codes(quiet));
});

test('ping flood: 12,000 echo requests in 24 s raise flood.icmp; a once-a-second monitor ping does not', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 12000; i++) frames.push(ping(BOT, { mac: ROUTER, ip: '185.199.108.40' }, 77, i, T0 + i * 0.002));
  const r = await run(frames);
  const f = r.of('flood.icmp');
  assert.equal(f.length, 1, codes(r));
  assert.equal(f[0].device, BOT.mac);
  assert.equal(f[0].evidence.packets, 12000);
  assert.match(f[0].summary, /sent 12,000 pings to 185\.199\.108\.40/);

  const calm: Frame[] = [];
  for (let i = 0; i < 600; i++) calm.push(ping(BOT, { mac: ROUTER, ip: '8.8.8.8' }, 78, i, T0 + i));
  const q = await run(calm);
  assert.deepEqual(q.of('flood.'), [], codes(q));
});

test('DNS amplification: queries to 150 open resolvers with no answers; a LAN resolver answering a flood from one internet address', async () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 150; i++) {
    frames.push(...udpExchange({ client: ep(BOT.mac, BOT.ip, 30000 + i), server: ep(ROUTER, publicIp(i), 53), start: T0 + i * 0.1, datagrams: [{ from: 'client', payload: 40 }] }));
  }
  const r = await run(frames);
  const a = r.of('flood.dns_amplification');
  assert.equal(a.length, 1, codes(r));
  assert.equal(a[0].device, BOT.mac);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].evidence.resolvers, 150);

  const resolver = { mac: '02:dd:dd:dd:dd:01', ip: '192.168.1.2' };
  const abuse: Frame[] = [];
  for (let i = 0; i < 1500; i++) {
    abuse.push(...udpExchange({
      client: ep(ROUTER, '185.199.108.50', 1024 + i), server: ep(resolver.mac, resolver.ip, 53), start: T0 + i * 0.02,
      datagrams: [{ from: 'client', payload: 40 }, { from: 'server', payload: 3000 }],
    }));
  }
  // The resolver first talks on its own, so the inventory knows it.
  abuse.push(...tcpSession({ client: ep(resolver.mac, resolver.ip, 34000), server: ep(ROUTER, '93.184.216.34', 443), start: T0 - 5, toServer: 10, toClient: 10 }));
  const b = await run(abuse);
  const d = b.of('flood.dns_amplification');
  assert.equal(d.length, 1, codes(b));
  assert.equal(d[0].device, resolver.mac);
  assert.equal(d[0].severity, 'medium');
  assert.equal(d[0].evidence.victim, '185.199.108.50');
  assert.equal(d[0].evidence.flows, 1500);
});

test('a busy LAN resolver answering its own network, and a NAS serving many files, raise nothing', async () => {
  const resolver = { mac: '02:dd:dd:dd:dd:01', ip: '192.168.1.2' };
  const frames: Frame[] = [];
  for (let i = 0; i < 2000; i++) {
    frames.push(...udpExchange({
      client: ep(BOT.mac, BOT.ip, 1024 + i), server: ep(resolver.mac, resolver.ip, 53), start: T0 + i * 0.02,
      datagrams: [{ from: 'client', payload: 40 }, { from: 'server', payload: 200 }],
    }));
  }
  for (let i = 0; i < 1200; i++) {
    frames.push(...tcpSession({ client: ep(BOT.mac, BOT.ip, 20000 + i), server: ep(VICTIM_LAN.mac, VICTIM_LAN.ip, 445), start: T0 + i * 0.04, toServer: 200, toClient: 3000 }));
  }
  const r = await run(frames);
  assert.deepEqual(r.alerts.filter((a) => /^(scan|flood|infected)\./.test(a.code)), [], codes(r));
});

test('odd records (empty fields, IPv6, no MACs) never throw and are not probes', () => {
  const r = new ConnRecord();
  assert.equal(probeKind(r), ProbeKind.None);
  r.ipProto = 6;
  r.history = 'S';
  r.origH = '2001:db8::1';
  r.respH = '2001:db8::2';
  assert.equal(probeKind(r), ProbeKind.Syn);
  r.history = '^hA';
  assert.equal(probeKind(r), ProbeKind.None, 'a flipped flow is not a probe');
  r.ipProto = 17;
  r.respH = 'ff02::fb';
  assert.equal(probeKind(r), ProbeKind.None, 'multicast is not a probe');
  for (const ip of ['224.0.0.251', '239.255.255.250', '255.255.255.255', '192.168.1.255', 'ff02::1']) assert.ok(isGroup(ip), ip);
  for (const ip of ['192.168.1.25', '8.8.8.8', '2001:db8::ff', '', '22.0.0.1']) assert.ok(!isGroup(ip), ip);
});
