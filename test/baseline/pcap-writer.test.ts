import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFile, pcap } from '../helpers/analyze.js';
import {
  checksumsValid, merge, readCapture, repeat, rewriteIPv4, rewriteMac, shift, startAt, tcpSession, udpExchange, writePcap,
  type Endpoint, type Frame,
} from '../helpers/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-pcapw-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function write(frames: readonly Frame[]): string {
  const p = join(dir, `t${n++}.pcap`);
  writePcap(p, frames);
  return p;
}

/** tshark's own verdicts on every IP/TCP/UDP checksum in a file: [good, bad]. */
function tsharkChecksums(path: string): [number, number] {
  const out = execFileSync('tshark', ['-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let good = 0, bad = 0;
  for (const v of out.split(/\s+/)) {
    if (v === '1') good++;
    else if (v === '0') bad++;
  }
  return [good, bad];
}

const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z
const device: Endpoint = { mac: '02:00:00:00:00:10', ip: '192.168.1.10', port: 50123 };
const server: Endpoint = { mac: '02:00:00:00:00:01', ip: '93.184.216.34', port: 8443 };

test('a corpus capture written back is read by the engine exactly as the original (pcap and pcapng in)', async () => {
  for (const rel of ['zeek/http-get.pcap', 'ndpi/sonos.pcapng']) {
    const frames = readCapture(pcap(rel));
    assert.ok(frames.length > 10);
    const copy = write(frames);
    const again = readCapture(copy);
    assert.equal(again.length, frames.length);
    for (let i = 0; i < frames.length; i++) {
      assert.ok(again[i].data.equals(frames[i].data), `${rel} frame ${i} bytes`);
      assert.ok(Math.abs(again[i].ts - frames[i].ts) < 1e-6, `${rel} frame ${i} time`);
    }
    const a = await analyzeFile(pcap(rel));
    const b = await analyzeFile(copy);
    assert.ok(a.of('conn').length > 0);
    for (const log of new Set([...a.logs.keys(), ...b.logs.keys()])) assert.deepEqual(b.of(log), a.of(log), `${rel}: ${log}.log`);
  }
});

test('a crafted TCP session is one SF connection with the bytes, MACs and duration asked for; tshark finds every checksum good', async () => {
  const frames = tcpSession({ client: device, server, start: T0, toServer: 5000, toClient: 20_000, duration: 2 });
  const p = write(frames);
  const r = await analyzeFile(p);
  const conn = r.of('conn');
  assert.equal(conn.length, 1);
  const c = conn[0];
  assert.equal(c['id.orig_h'], device.ip);
  assert.equal(c['id.orig_p'], device.port);
  assert.equal(c['id.resp_h'], server.ip);
  assert.equal(c['id.resp_p'], server.port);
  assert.equal(c.orig_bytes, 5000);
  assert.equal(c.resp_bytes, 20_000);
  assert.equal(c.conn_state, 'SF');
  assert.equal(c.history, 'ShADadFf');
  assert.equal(c.orig_l2_addr, device.mac);
  assert.equal(c.resp_l2_addr, server.mac);
  assert.equal(c.ts, T0);
  // The engine (as Zeek) ends the connection at the second FIN; the last ACK, 2 s after the SYN, is after it.
  assert.equal(frames[frames.length - 1].ts, T0 + 2);
  assert.ok(Math.abs(Number(c.duration) - (frames[frames.length - 2].ts - T0)) < 1e-5, `duration ${c.duration}`);
  assert.deepEqual(r.summary.weirds, {});
  assert.ok(frames.every(checksumsValid));
  const [good, bad] = tsharkChecksums(p);
  assert.equal(bad, 0);
  assert.equal(good, frames.length * 2, 'IP and TCP checksum of every frame verified');
});

test('full-size segments move megabytes in a few frames (volume bursts stay cheap to build)', async () => {
  const frames = tcpSession({ client: device, server: { ...server, port: 443 }, start: T0, toServer: 6_000_000, segment: 65495 });
  assert.equal(frames.length, 3 + 2 * Math.ceil(6_000_000 / 65495) + 3);
  const r = await analyzeFile(write(frames));
  const [c] = r.of('conn');
  assert.equal(c.orig_bytes, 6_000_000);
  assert.equal(c.resp_bytes, 0);
  assert.equal(c.conn_state, 'SF');
  assert.ok(frames.every(checksumsValid));
});

test('a crafted UDP exchange is one answered UDP flow; one-way datagrams are an unanswered one', async () => {
  const ntp: Endpoint = { mac: server.mac, ip: '162.159.200.1', port: 123 };
  const answered = udpExchange({ client: { ...device, port: 40000 }, server: ntp, start: T0, datagrams: [{ from: 'client', payload: 48 }, { from: 'server', payload: 48 }] });
  const oneWay = udpExchange({ client: { ...device, port: 40001 }, server: { ...ntp, port: 9999 }, start: T0 + 1, datagrams: [{ from: 'client', payload: 10 }, { from: 'client', payload: 10 }] });
  const r = await analyzeFile(write(merge(answered, oneWay)));
  const conn = r.of('conn').sort((a, b) => Number(a.ts) - Number(b.ts));
  assert.equal(conn.length, 2);
  assert.equal(conn[0].proto, 'udp');
  assert.equal(conn[0].conn_state, 'SF');
  assert.equal(conn[0].orig_bytes, 48);
  assert.equal(conn[0].resp_bytes, 48);
  assert.equal(conn[1].conn_state, 'S0');
  assert.equal(conn[1].orig_bytes, 20);
  assert.ok([...answered, ...oneWay].every(checksumsValid));
});

test('rewriting an IPv4 address moves it in headers and DNS answers and keeps checksums right (both byte alignments)', async () => {
  const frames = readCapture(pcap('suricata-verify/dns-google-a-aaaa-mx.pcap'));
  assert.ok(frames.every(checksumsValid), 'the original verifies');
  let moved = rewriteIPv4(frames, '8.8.8.8', '9.9.9.9');
  moved = rewriteIPv4(moved, '216.197.242.244', '95.173.136.70', { payload: true });
  assert.ok(moved.every(checksumsValid), 'checksums adjusted');
  assert.ok(frames[0].data.includes(Buffer.from([8, 8, 8, 8])), 'inputs are not modified');
  const p = write(moved);
  assert.deepEqual(tsharkChecksums(p)[1], 0);
  const r = await analyzeFile(p);
  assert.deepEqual(new Set(r.of('conn').map((c) => c['id.resp_h'])), new Set(['9.9.9.9']));
  const a = r.of('dns').find((d) => d.qtype_name === 'A');
  assert.ok(a);
  const answers = a.answers as string[];
  assert.equal(answers[0], '95.173.136.70');
  assert.ok(!answers.includes('216.197.242.244'));
  assert.equal(answers.length, 12);

  // An address at an odd offset of the payload (the ones'-complement sum swaps bytes there).
  for (const at of [3, 4]) {
    const payload = Buffer.alloc(16, 0x5a);
    Buffer.from([1, 2, 3, 4]).copy(payload, at);
    const [f] = udpExchange({ client: device, server: { ...server, port: 5000 }, start: T0, datagrams: [{ from: 'client', payload }] });
    const [g] = rewriteIPv4([f], '1.2.3.4', '203.0.113.77', { payload: true });
    assert.ok(g.data.includes(Buffer.from([203, 0, 113, 77])));
    assert.ok(checksumsValid(g), `payload offset ${at}`);
  }
});

test('rewriting a MAC moves it in Ethernet headers and DHCP payloads', async () => {
  const to = '02:11:22:33:44:55';
  const moved = rewriteMac(readCapture(pcap('zeek/dhcp.pcap')), '90:b1:1c:99:49:29', to, { payload: true });
  assert.ok(moved.every(checksumsValid));
  const r = await analyzeFile(write(moved));
  const macs = new Set(r.of('dhcp').map((d) => d.mac));
  assert.deepEqual(macs, new Set([to]));
  assert.ok(r.of('conn').some((c) => c.orig_l2_addr === to));
  assert.ok(!r.of('conn').some((c) => c.orig_l2_addr === '90:b1:1c:99:49:29' || c.resp_l2_addr === '90:b1:1c:99:49:29'));
});

test('a capture laid out as one copy per day gives one set of flows per day at the chosen times', async () => {
  const frames = readCapture(pcap('zeek/http-get.pcap'));
  const days = repeat(frames, 3, 86400, T0);
  assert.equal(days.length, frames.length * 3);
  assert.equal(startAt(frames, T0)[0].ts, T0);
  assert.equal(shift(frames, 10)[0].ts, frames[0].ts + 10);
  const burst = tcpSession({ client: device, server, start: T0 + 86400 + 30, toServer: 1000 });
  const all = merge(days, burst);
  for (let i = 1; i < all.length; i++) assert.ok(all[i].ts >= all[i - 1].ts, 'merged in time order');
  const r = await analyzeFile(write(all));
  const conn = r.of('conn').map((c) => [c['id.resp_h'], Math.round(Number(c.ts) - T0)]).sort((a, b) => Number(a[1]) - Number(b[1]));
  assert.deepEqual(conn, [['192.150.187.43', 0], ['192.150.187.43', 86400], [server.ip, 86430], ['192.150.187.43', 172800]]);
});
