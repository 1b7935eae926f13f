/**
 * Brute-force detector: the corpus FTP brute force (golden, compared with Zeek's notice), and
 * synthetic sessions for telnet (Mirai-style dialogue), SSH, RTSP and MQTT short-session storms,
 * HTTP Basic guessing and a successful login after failures; benign look-alikes must stay quiet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureFiles, detectFile } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import { type Endpoint, type Frame, macBytes, ipv4Bytes, merge, readCapture, rewriteIPv4, startAt, tcpSession } from '../helpers/pcap-writer.js';
import { responderClosedFirst } from '../../src/detect/bruteforce.js';

const file = captureFiles('vigil-bruteforce-');

const CAMERA: Endpoint = { mac: '44:19:b6:00:00:01', ip: '192.168.1.20', port: 23 };
const LAPTOP_MAC = '3c:22:fb:00:00:02';
const ROUTER_MAC = 'e4:8d:8c:00:00:03';
const ATTACKER_IP = '45.155.205.99';

// ---- a small TCP dialogue builder (tcpSession sends all client bytes first; logins need turns) --

let ipId = 1;
function segment(src: Endpoint, dst: Endpoint, seq: number, ack: number, flags: number, payload: Buffer, ts: number): Frame {
  const tcp = Buffer.alloc(20 + payload.length);
  tcp.writeUInt16BE(src.port, 0);
  tcp.writeUInt16BE(dst.port, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  payload.copy(tcp, 20);
  const d = Buffer.alloc(14 + 20 + tcp.length);
  macBytes(dst.mac).copy(d, 0);
  macBytes(src.mac).copy(d, 6);
  d.writeUInt16BE(0x0800, 12);
  d[14] = 0x45;
  d.writeUInt16BE(20 + tcp.length, 16);
  d.writeUInt16BE(ipId++ & 0xffff, 18);
  d[22] = 64;
  d[23] = 6;
  ipv4Bytes(src.ip).copy(d, 26);
  ipv4Bytes(dst.ip).copy(d, 30);
  tcp.copy(d, 34);
  return { ts, data: d, linktype: 1 };
}

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

/** Handshake, the turns in order (each ACKed), then FIN from `closer` first. */
function dialogue(c: Endpoint, s: Endpoint, start: number, turns: [('c' | 's'), string][], closer: 'c' | 's' = 'c'): Frame[] {
  let t = start;
  const next = () => (t += 0.01);
  let cs = 1000;
  let ss = 5000;
  const out: Frame[] = [segment(c, s, cs++, 0, SYN, Buffer.alloc(0), t)];
  out.push(segment(s, c, ss++, cs, SYN | ACK, Buffer.alloc(0), next()));
  out.push(segment(c, s, cs, ss, ACK, Buffer.alloc(0), next()));
  for (const [who, text] of turns) {
    const p = Buffer.from(text, 'latin1');
    if (who === 'c') {
      out.push(segment(c, s, cs, ss, ACK | PSH, p, next()));
      cs += p.length;
      out.push(segment(s, c, ss, cs, ACK, Buffer.alloc(0), next()));
    } else {
      out.push(segment(s, c, ss, cs, ACK | PSH, p, next()));
      ss += p.length;
      out.push(segment(c, s, cs, ss, ACK, Buffer.alloc(0), next()));
    }
  }
  if (closer === 'c') {
    out.push(segment(c, s, cs++, ss, FIN | ACK, Buffer.alloc(0), next()));
    out.push(segment(s, c, ss++, cs, FIN | ACK, Buffer.alloc(0), next()));
    out.push(segment(c, s, cs, ss, ACK, Buffer.alloc(0), next()));
  } else {
    out.push(segment(s, c, ss++, cs, FIN | ACK, Buffer.alloc(0), next()));
    out.push(segment(c, s, cs++, ss, FIN | ACK, Buffer.alloc(0), next()));
    out.push(segment(s, c, ss, cs, ACK, Buffer.alloc(0), next()));
  }
  return out;
}

/** One Mirai-style telnet guess: prompt, user, password prompt, password, verdict. */
function telnetGuess(client: Endpoint, server: Endpoint, start: number, user: string, ok: boolean): Frame[] {
  return dialogue(client, server, start, [
    ['s', 'login: '], ['c', `${user}\r\n`], ['s', 'Password: '], ['c', 'secret-guess\r\n'],
    ok ? ['s', '\r\nBusyBox v1.19.4 built-in shell (ash)\r\n# '] : ['s', '\r\nLogin incorrect\r\n'],
  ], ok ? 'c' : 's');
}

function outside(port: number, i: number): Endpoint {
  return { mac: ROUTER_MAC, ip: ATTACKER_IP, port: 40000 + i };
}

test('corpus FTP brute force raises bruteforce.ftp for the attacker, as Zeek does', async () => {
  const r = await detectFile(pcap('zeek/ftp-bruteforce.pcap'));
  const a = r.of('bruteforce.ftp');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, '0a:00:27:00:00:00');
  assert.equal(a[0].severity, 'high');
  // 30 control connections, one wrong password each (ftp_login agrees), one incident.
  const failures = r.log('ftp_login').reduce((s, f) => s + (f.login_failures as number), 0);
  assert.equal(failures, 30);
  assert.equal(a[0].evidence.count, 30);
  assert.equal(a[0].evidence.attacker, '192.168.56.1');
  assert.equal(a[0].evidence.target, '192.168.56.101');
  assert.deepEqual(a[0].evidence.users, ['bro']);
  assert.equal((a[0].evidence.uids as string[]).length, 10);
  assert.match(a[0].summary, /^0a:00:27:00:00:00 tried 30 wrong FTP passwords on .* in 57 seconds/);
  assert.equal(a[0].key, 'bruteforce.ftp|192.168.56.1');
  assert.equal(r.of('bruteforce.success').length, 0);
  // Never a password in an alert.
  assert.doesNotMatch(JSON.stringify(r.alerts), /<hidden>|password":/);
});

test("Zeek's threshold (20 failures) crosses at Zeek's moment: 20 failed logins in 0m37s", async () => {
  const r = await detectFile(pcap('zeek/ftp-bruteforce.pcap'), { config: { 'detect.bruteforce.failures': 20 } });
  const a = r.of('bruteforce.ftp');
  assert.equal(a.length, 1);
  const ts = r.log('ftp_login').map((f) => f.ts as number).sort((x, y) => x - y);
  // The first raise is at the 20th failed connection; its span from the first one is Zeek's 37 s.
  assert.equal(a[0].ts, ts[19]);
  assert.equal(Math.round(ts[19] - ts[0]), 37);
  // Below the threshold nothing fires.
  const quiet = await detectFile(pcap('zeek/ftp-bruteforce.pcap'), { config: { 'detect.bruteforce.failures': 31 } });
  assert.equal(quiet.of('bruteforce.').length, 0);
});

test('telnet guesses from the internet against a camera, then a login: bruteforce.telnet and bruteforce.success', async () => {
  const frames: Frame[][] = [];
  for (let i = 0; i < 12; i++) frames.push(telnetGuess(outside(23, i), CAMERA, 1_700_000_000 + i * 3, i % 2 ? 'root' : 'admin', false));
  frames.push(telnetGuess(outside(23, 99), CAMERA, 1_700_000_040, 'root', true));
  const r = await detectFile(file(merge(...frames)));
  const tl = r.log('telnet');
  assert.equal(tl.length, 13);
  assert.equal(tl.filter((f) => f.login_success === false).length, 12);
  const a = r.of('bruteforce.telnet');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, CAMERA.mac);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].evidence.count, 12);
  assert.equal(a[0].evidence.attacker, ATTACKER_IP);
  assert.deepEqual(a[0].evidence.users, ['admin', 'root']);
  assert.match(a[0].summary, /received 12 failed telnet logins from 45\.155\.205\.99 on the internet/);
  const s = r.of('bruteforce.success');
  assert.equal(s.length, 1);
  assert.equal(s[0].severity, 'critical');
  assert.equal(s[0].device, CAMERA.mac);
  assert.equal(s[0].evidence.failures, 12);
  assert.match(s[0].summary, /accepted a telnet login from 45\.155\.205\.99 after 12 wrong passwords/);
  assert.doesNotMatch(JSON.stringify(r.alerts), /secret-guess/);
});

test('a LAN device guessing telnet passwords on its neighbours is named as the attacker', async () => {
  const bot: Endpoint = { mac: '44:19:b6:00:00:09', ip: '192.168.1.50', port: 0 };
  const frames: Frame[][] = [];
  for (let i = 0; i < 11; i++) {
    const victim: Endpoint = { mac: `02:00:00:00:01:${(10 + i).toString(16)}`, ip: `192.168.1.${100 + i}`, port: 23 };
    frames.push(telnetGuess({ ...bot, port: 30000 + i }, victim, 1_700_000_000 + i, 'root', false));
  }
  const r = await detectFile(file(merge(...frames)));
  const a = r.of('bruteforce.telnet');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, bot.mac);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].evidence.targets, 11);
  assert.match(a[0].summary, /tried 11 wrong telnet passwords on 11 addresses .*infected/);
});

test('a user mistyping a password twice and then logging in raises nothing', async () => {
  const laptop: Endpoint = { mac: LAPTOP_MAC, ip: '192.168.1.10', port: 50000 };
  const r = await detectFile(file(merge(
    telnetGuess(laptop, CAMERA, 1_700_000_000, 'admin', false),
    telnetGuess({ ...laptop, port: 50001 }, CAMERA, 1_700_000_010, 'admin', false),
    telnetGuess({ ...laptop, port: 50002 }, CAMERA, 1_700_000_020, 'admin', true),
  )));
  assert.equal(r.of('bruteforce.').length, 0);
});

test('SSH: many short sessions from the internet raise bruteforce.ssh (kind short_sessions)', async () => {
  const server: Endpoint = { mac: '52:54:00:00:00:22', ip: '192.168.1.22', port: 22 };
  const frames: Frame[][] = [];
  for (let i = 0; i < 15; i++) {
    frames.push(tcpSession({
      client: outside(22, i), server, start: 1_700_000_000 + i * 2, duration: 1.5,
      toServer: Buffer.from('SSH-2.0-libssh_0.9.6\r\n' + 'x'.repeat(1200)),
      toClient: Buffer.from('SSH-2.0-OpenSSH_8.9p1\r\n' + 'y'.repeat(1500)),
    }));
  }
  const r = await detectFile(file(merge(...frames)));
  const a = r.of('bruteforce.ssh');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, server.mac);
  assert.equal(a[0].evidence.kind, 'short_sessions');
  assert.equal(a[0].evidence.count, 15);
  assert.match(a[0].summary, /received 15 short SSH sessions from 45\.155\.205\.99 on the internet/);
  // Long, busy SSH sessions (an admin at work) are not guesses.
  const busy: Frame[][] = [];
  for (let i = 0; i < 15; i++) {
    busy.push(tcpSession({ client: outside(22, i), server, start: 1_700_000_000 + i * 40, duration: 35, toServer: 2000, toClient: 200_000 }));
  }
  assert.equal((await detectFile(file(merge(...busy)))).of('bruteforce.').length, 0);
});

test('SSH: repeated logins that succeed (a script at work) are not guesses, however short', async () => {
  // zeek/ssh_kex_curve25519.pcap: a 2-second session whose auth succeeds after a refused method
  // (auth_attempts 2), replayed against 12 servers: short enough to look like guesses by size alone.
  const one = readCapture(pcap('zeek/ssh_kex_curve25519.pcap'));
  const frames: Frame[][] = [];
  for (let i = 0; i < 12; i++) frames.push(rewriteIPv4(startAt(one, 1_700_000_000 + i * 5), '192.168.1.32', `192.168.1.${40 + i}`));
  const r = await detectFile(file(merge(...frames)));
  const ssh = r.log('ssh');
  assert.equal(ssh.length, 12);
  assert.ok(ssh.every((f) => f.auth_success === true && f.auth_attempts === 2));
  assert.equal(r.of('bruteforce.').length, 0);
});

test('RTSP: a burst of small short sessions to a camera raises bruteforce.rtsp; video sessions do not', async () => {
  const cam: Endpoint = { ...CAMERA, port: 554 };
  const guess = 'DESCRIBE rtsp://192.168.1.20/stream1 RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic YWRtaW46MTIzNA==\r\n\r\n';
  const deny = 'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n';
  const frames: Frame[][] = [];
  for (let i = 0; i < 10; i++) {
    frames.push(dialogue({ mac: LAPTOP_MAC, ip: '192.168.1.10', port: 41000 + i }, cam, 1_700_000_000 + i, [['c', guess], ['s', deny]]));
  }
  const r = await detectFile(file(merge(...frames)));
  const a = r.of('bruteforce.rtsp');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, LAPTOP_MAC);
  assert.equal(a[0].evidence.count, 10);
  assert.equal(a[0].evidence.port, 554);
  // The same number of sessions that stream video are a viewer, not a guesser.
  const viewer: Frame[][] = [];
  for (let i = 0; i < 10; i++) {
    viewer.push(tcpSession({ client: { mac: LAPTOP_MAC, ip: '192.168.1.10', port: 41000 + i }, server: cam, start: 1_700_000_000 + i, toServer: 300, toClient: 60_000, segment: 60_000 }));
  }
  assert.equal((await detectFile(file(merge(...viewer)))).of('bruteforce.').length, 0);
});

test('MQTT: refused CONNECTs (the broker hangs up) raise bruteforce.mqtt; publish-and-leave clients do not', async () => {
  const broker: Endpoint = { mac: '52:54:00:00:18:83', ip: '192.168.1.5', port: 1883 };
  const connect = '\x10\x1e\x00\x04MQTT\x04\xc2\x00\x3c\x00\x04hydr\x00\x05admin\x00\x05guess';
  const frames: Frame[][] = [];
  for (let i = 0; i < 10; i++) {
    frames.push(dialogue(outside(1883, i), broker, 1_700_000_000 + i, [['c', connect], ['s', '\x20\x02\x00\x05']], 's'));
  }
  const r = await detectFile(file(merge(...frames)));
  const a = r.of('bruteforce.mqtt');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, broker.mac);
  assert.equal(a[0].evidence.count, 10);
  // A sensor that connects, publishes and disconnects every few seconds closes first itself.
  const sensor: Endpoint = { mac: '24:0a:c4:00:00:07', ip: '192.168.1.77', port: 0 };
  const ok: Frame[][] = [];
  for (let i = 0; i < 20; i++) {
    ok.push(dialogue({ ...sensor, port: 42000 + i }, broker, 1_700_000_000 + i * 5, [['c', connect], ['s', '\x20\x02\x00\x00'], ['c', '\x30\x05\x00\x01t1\xe0\x00']], 'c'));
  }
  assert.equal((await detectFile(file(merge(...ok)))).of('bruteforce.').length, 0);
});

test('HTTP Basic: 401s to requests with credentials, then a 200: bruteforce.http and bruteforce.success', async () => {
  const web: Endpoint = { ...CAMERA, port: 80 };
  const req = (pw: string) => `GET /cgi-bin/admin HTTP/1.1\r\nHost: 192.168.1.20\r\nAuthorization: Basic ${Buffer.from(`admin:${pw}`).toString('base64')}\r\n\r\n`;
  const deny = 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="cam"\r\nContent-Length: 0\r\n\r\n';
  const allow = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const frames: Frame[][] = [];
  for (let i = 0; i < 10; i++) frames.push(tcpSession({ client: outside(80, i), server: web, start: 1_700_000_000 + i, toServer: Buffer.from(req(`pw${i}`)), toClient: Buffer.from(deny) }));
  frames.push(tcpSession({ client: outside(80, 50), server: web, start: 1_700_000_020, toServer: Buffer.from(req('12345')), toClient: Buffer.from(allow) }));
  const r = await detectFile(file(merge(...frames)));
  assert.equal(r.log('http').filter((f) => f.username === 'admin' && f.status_code === 401).length, 10);
  const a = r.of('bruteforce.http');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, CAMERA.mac);
  assert.equal(a[0].evidence.count, 10);
  const s = r.of('bruteforce.success');
  assert.equal(s.length, 1);
  assert.equal(s[0].device, CAMERA.mac);
  assert.equal(s[0].severity, 'critical');
  assert.equal(s[0].key, `bruteforce.success|http|${ATTACKER_IP}|192.168.1.20`);
  // Base64 credentials never reach an alert.
  assert.doesNotMatch(JSON.stringify(r.alerts), /YWRtaW46|12345|pw3/);
});

test('guesses spread too thinly (fewer than the threshold per window) raise nothing', async () => {
  const frames: Frame[][] = [];
  // 12 failures, one every 2 minutes: at most 5 fall in any 10-minute window.
  for (let i = 0; i < 12; i++) frames.push(telnetGuess(outside(23, i), CAMERA, 1_700_000_000 + i * 120, 'root', false));
  const r = await detectFile(file(merge(...frames)));
  assert.equal(r.of('bruteforce.').length, 0);
  const wide = await detectFile(file(merge(...frames)), { config: { 'detect.bruteforce.windowSeconds': 3600 } });
  assert.equal(wide.of('bruteforce.telnet').length, 1);
});

test('responderClosedFirst reads Zeek history order', () => {
  assert.equal(responderClosedFirst('ShADadfF'), true);
  assert.equal(responderClosedFirst('ShADadFf'), false);
  assert.equal(responderClosedFirst('ShADar'), true);
  assert.equal(responderClosedFirst('ShADaR'), false);
  assert.equal(responderClosedFirst(''), false);
});
