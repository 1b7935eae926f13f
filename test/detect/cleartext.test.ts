/**
 * Cleartext detector: the corpus telnet login (a real one, must stay low), the FTP brute force
 * (refused logins are no leak), synthetic HTTP Basic and FTP logins, telnet answered to the
 * internet, SSDP answered to a public address; look-alikes (LAN-only SSDP, anonymous FTP, scans
 * of a closed telnet port, a 401) must not fire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFile } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import { type Endpoint, type Frame, ipv4Bytes, macBytes, merge, tcpSession, udpExchange, writePcap } from '../helpers/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cleartext-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(frames: Frame[]): string {
  const p = join(dir, `c${n++}.pcap`);
  writePcap(p, frames);
  return p;
}

const CAMERA: Endpoint = { mac: '44:19:b6:00:00:01', ip: '192.168.1.20', port: 80 };
const LAPTOP: Endpoint = { mac: '3c:22:fb:00:00:02', ip: '192.168.1.10', port: 51000 };
const ROUTER_MAC = 'e4:8d:8c:00:00:03';
const OUTSIDE_IP = '45.155.205.99';
const T0 = 1_700_000_000;

/** A TCP conversation in turns (tcpSession sends all client bytes first; FTP needs its greeting first). */
function dialogue(c: Endpoint, s: Endpoint, start: number, turns: [('c' | 's'), string][]): Frame[] {
  let t = start;
  const seq = [1000, 5000];
  const seg = (fromClient: boolean, flags: number, payload: Buffer): Frame => {
    const [src, dst] = fromClient ? [c, s] : [s, c];
    const d = Buffer.alloc(54 + payload.length);
    macBytes(dst.mac).copy(d, 0);
    macBytes(src.mac).copy(d, 6);
    d.writeUInt16BE(0x0800, 12);
    d[14] = 0x45;
    d.writeUInt16BE(40 + payload.length, 16);
    d[22] = 64;
    d[23] = 6;
    ipv4Bytes(src.ip).copy(d, 26);
    ipv4Bytes(dst.ip).copy(d, 30);
    d.writeUInt16BE(src.port, 34);
    d.writeUInt16BE(dst.port, 36);
    d.writeUInt32BE(seq[fromClient ? 0 : 1] >>> 0, 38);
    d.writeUInt32BE(flags & 0x02 && fromClient ? 0 : seq[fromClient ? 1 : 0] >>> 0, 42);
    d[46] = 0x50;
    d[47] = flags;
    d.writeUInt16BE(65535, 48);
    payload.copy(d, 54);
    seq[fromClient ? 0 : 1] += payload.length + (flags & 0x03 ? 1 : 0);
    return { ts: (t += 0.01), data: d, linktype: 1 };
  };
  const none = Buffer.alloc(0);
  const out = [seg(true, 0x02, none), seg(false, 0x12, none), seg(true, 0x10, none)];
  for (const [who, text] of turns) {
    out.push(seg(who === 'c', 0x18, Buffer.from(text, 'latin1')), seg(who !== 'c', 0x10, none));
  }
  out.push(seg(true, 0x11, none), seg(false, 0x11, none), seg(true, 0x10, none));
  return out;
}

function basic(user: string, pw: string): string {
  return `GET /admin HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}\r\n\r\n`;
}
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
const DENY = 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n';

test('corpus telnet login: cleartext.login for the client and unsafe.telnet_exposed for the server, both low', async () => {
  const r = await detectFile(pcap('suricata-verify/telnet.pcap'));
  const login = r.of('cleartext.login');
  assert.equal(login.length, 1);
  assert.equal(login[0].severity, 'low');
  assert.equal(login[0].device, '00:a0:cc:3b:bf:fa'); // 192.168.0.2, who typed the password
  assert.deepEqual(login[0].evidence.users, ['fake']);
  assert.equal(login[0].key, 'cleartext.login|telnet|00:a0:cc:3b:bf:fa');
  assert.match(login[0].summary, /logged in to .* over telnet as user "fake", which sends the password unencrypted/);
  const exposed = r.of('unsafe.telnet_exposed');
  assert.equal(exposed.length, 1);
  assert.equal(exposed[0].severity, 'low');
  assert.equal(exposed[0].device, '00:00:c0:9f:a0:97'); // 192.168.0.1 answered on 23
  assert.equal(exposed[0].evidence.from_internet, false);
  // Nothing above low on this benign capture, from any detector.
  assert.deepEqual(r.alerts.filter((a) => !['info', 'low'].includes(a.severity)).map((a) => a.code), []);
});

test('refused FTP logins (the corpus brute force) are no cleartext finding', async () => {
  const r = await detectFile(pcap('zeek/ftp-bruteforce.pcap'));
  assert.equal(r.of('cleartext.').length, 0);
  assert.equal(r.of('unsafe.').length, 0);
});

test('HTTP Basic logins: one alert per device and service, however many logins; a 401 alone is none', async () => {
  const frames: Frame[][] = [];
  for (let i = 0; i < 5; i++) {
    frames.push(tcpSession({ client: { ...LAPTOP, port: 51000 + i }, server: CAMERA, start: T0 + i * 60, toServer: Buffer.from(basic('admin', `hunter${i}`)), toClient: Buffer.from(OK) }));
  }
  const r = await detectFile(file(merge(...frames)));
  const a = r.of('cleartext.login');
  assert.equal(a.length, 1);
  assert.equal(a[0].count, 1);
  assert.equal(a[0].device, LAPTOP.mac);
  assert.equal(a[0].severity, 'low');
  assert.equal(a[0].evidence.service, 'http');
  assert.deepEqual(a[0].evidence.users, ['admin']);
  assert.match(a[0].summary, /over HTTP \(web Basic auth\) as user "admin".*Use HTTPS/);
  assert.doesNotMatch(JSON.stringify(r.alerts), /hunter|YWRtaW4/);

  const refused = await detectFile(file(tcpSession({ client: LAPTOP, server: CAMERA, start: T0, toServer: Buffer.from(basic('admin', 'nope')), toClient: Buffer.from(DENY) })));
  assert.equal(refused.log('http')[0].username, 'admin');
  assert.equal(refused.of('cleartext.').length, 0);
});

test('a login from the internet names the LAN server; FTP anonymous logins are no finding', async () => {
  const ftp: Endpoint = { mac: '00:11:32:00:00:05', ip: '192.168.1.30', port: 21 };
  const session = (user: string, port: number, start: number) => dialogue({ mac: ROUTER_MAC, ip: OUTSIDE_IP, port }, ftp, start, [
    ['s', '220 NAS FTP\r\n'], ['c', `USER ${user}\r\n`], ['s', '331 Password required\r\n'], ['c', 'PASS x\r\n'],
    ['s', '230 Logged in\r\n'], ['c', 'QUIT\r\n'], ['s', '221 Bye\r\n'],
  ]);
  const r = await detectFile(file(session('backup', 40000, T0)));
  const fl = r.log('ftp_login');
  assert.equal(fl.length, 1);
  assert.equal(fl[0].login_success, true);
  const a = r.of('cleartext.login');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, ftp.mac);
  assert.equal(a[0].evidence.service, 'ftp');
  assert.match(a[0].summary, /accepted an FTP login from 45\.155\.205\.99 on the internet as user "backup"/);

  const anon = await detectFile(file(session('anonymous', 40001, T0)));
  assert.equal(anon.log('ftp_login')[0].login_success, true);
  assert.equal(anon.of('cleartext.').length, 0);
});

test('telnet answered to the internet is high, from the LAN low; a mute port or a scan is nothing', async () => {
  const cam: Endpoint = { ...CAMERA, port: 23 };
  const r = await detectFile(file(tcpSession({ client: { mac: ROUTER_MAC, ip: OUTSIDE_IP, port: 40000 }, server: cam, start: T0, toServer: 10, toClient: Buffer.from('\xff\xfd\x18\xff\xfd\x20login: ', 'latin1') })));
  const a = r.of('unsafe.telnet_exposed');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].device, CAMERA.mac);
  assert.equal(a[0].evidence.from_internet, true);
  assert.equal(a[0].key, `unsafe.telnet_exposed|${CAMERA.mac}|internet`);
  assert.match(a[0].summary, /answered telnet on port 23 to 45\.155\.205\.99 on the internet/);

  // Port 2323 too, from the LAN: low.
  const lan = await detectFile(file(tcpSession({ client: LAPTOP, server: { ...CAMERA, port: 2323 }, start: T0, toServer: 5, toClient: 20 })));
  assert.equal(lan.of('unsafe.telnet_exposed')[0]?.severity, 'low');

  // A port 23 that accepts the connection but never speaks is no telnet service.
  const mute = await detectFile(file(dialogue(LAPTOP, cam, T0, [['c', 'hello\r\n']])));
  assert.equal(mute.log('conn')[0].conn_state, 'SF');
  assert.equal(mute.of('unsafe.telnet_exposed').length, 0);
  // A scan of telnet ports (nmap in the corpus) finds no telnet server.
  const scan = await detectFile(pcap('ndpi/synscan.pcap'));
  assert.equal(scan.of('unsafe.telnet_exposed').length, 0);
});

test('SSDP answered to a public address raises unsafe.upnp_wan (high); LAN discovery does not', async () => {
  const tv: Endpoint = { mac: 'a8:23:fe:00:00:06', ip: '192.168.1.40', port: 1900 };
  const msearch = 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n';
  const reply = 'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\nLOCATION: http://192.168.1.40:49152/desc.xml\r\n\r\n';
  const wan = udpExchange({ client: { mac: ROUTER_MAC, ip: OUTSIDE_IP, port: 53211 }, server: tv, start: T0, datagrams: [{ from: 'client', payload: Buffer.from(msearch) }, { from: 'server', payload: Buffer.from(reply) }] });
  const r = await detectFile(file(wan));
  const a = r.of('unsafe.upnp_wan');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].device, tv.mac);
  assert.equal(a[0].evidence.remote, OUTSIDE_IP);
  // The same exchange with a LAN phone is ordinary discovery.
  const lan = udpExchange({ client: { mac: '3c:22:fb:00:00:09', ip: '192.168.1.11', port: 53211 }, server: tv, start: T0, datagrams: [{ from: 'client', payload: Buffer.from(msearch) }, { from: 'server', payload: Buffer.from(reply) }] });
  assert.equal((await detectFile(file(lan))).of('unsafe.').length, 0);
  // A public address probing a device that stays silent: nothing answered.
  const silent = udpExchange({ client: { mac: ROUTER_MAC, ip: OUTSIDE_IP, port: 53211 }, server: tv, start: T0, datagrams: [{ from: 'client', payload: Buffer.from(msearch) }] });
  assert.equal((await detectFile(file(silent))).of('unsafe.').length, 0);
});

test('corpus SSDP/UPnP captures stay quiet', async () => {
  for (const f of ['ndpi/ssdp-m-search.pcap', 'ndpi/upnp.pcap', 'suricata-verify/ssdp.pcap']) {
    const r = await detectFile(pcap(f));
    assert.equal(r.of('unsafe.upnp_wan').length, 0, f);
  }
});
