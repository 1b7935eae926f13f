import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSshFactory, MAX_KEEP, SSH_PORTS } from '../../src/decode/app/ssh/index.js';
import { findAlg, findBidiAlg, parseKexInit } from '../../src/decode/app/ssh/kexinit.js';
import type { AppAnalyzer, LogFields } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

// ---- builders (RFC 4253 §6 binary packets, §7.1 KEXINIT) ----

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function sshString(b: Buffer | string): Buffer {
  const v = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
  return Buffer.concat([u32(v.length), v]);
}

/** packet_length, padding_length, payload, random padding: 8-byte aligned, padding ≥ 4. */
function packet(payload: Buffer): Buffer {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  return Buffer.concat([u32(1 + payload.length + pad), Buffer.from([pad]), payload, Buffer.alloc(pad, 0xa5)]);
}

interface Lists {
  kex: string; hostKey: string; encC2S: string; encS2C: string; macC2S: string; macS2C: string;
  cmpC2S: string; cmpS2C: string;
}

const CLIENT: Lists = {
  kex: 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c',
  hostKey: 'ssh-ed25519-cert-v01@openssh.com,ssh-ed25519,rsa-sha2-512',
  encC2S: 'chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com',
  encS2C: 'chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com',
  macC2S: 'umac-64-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1',
  macS2C: 'umac-64-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1',
  cmpC2S: 'none,zlib@openssh.com,zlib',
  cmpS2C: 'none,zlib@openssh.com,zlib',
};

const SERVER: Lists = {
  kex: 'diffie-hellman-group14-sha256,curve25519-sha256,ecdh-sha2-nistp256',
  hostKey: 'rsa-sha2-512,ssh-ed25519-cert-v01@openssh.com',
  encC2S: 'aes256-gcm@openssh.com,chacha20-poly1305@openssh.com',
  encS2C: 'aes256-gcm@openssh.com,chacha20-poly1305@openssh.com',
  macC2S: 'hmac-sha2-512-etm@openssh.com,umac-64-etm@openssh.com',
  macS2C: 'hmac-sha2-512-etm@openssh.com,umac-64-etm@openssh.com',
  cmpC2S: 'none,zlib@openssh.com',
  cmpS2C: 'none,zlib@openssh.com',
};

function kexinit(l: Lists): Buffer {
  return packet(Buffer.concat([
    Buffer.from([20]), Buffer.alloc(16, 0x42),
    sshString(l.kex), sshString(l.hostKey), sshString(l.encC2S), sshString(l.encS2C),
    sshString(l.macC2S), sshString(l.macS2C), sshString(l.cmpC2S), sshString(l.cmpS2C),
    sshString(''), sshString(''), Buffer.from([0]), u32(0),
  ]));
}

const HOST_KEY = Buffer.concat([sshString('ssh-ed25519-cert-v01@openssh.com'), Buffer.alloc(200, 0x33)]);

function kexReply(type: number, hostKey: Buffer): Buffer {
  return packet(Buffer.concat([Buffer.from([type]), sshString(hostKey), sshString(Buffer.alloc(32, 1)), sshString(Buffer.alloc(83, 2))]));
}

const NEWKEYS = packet(Buffer.from([21]));
const ECDH_INIT = packet(Buffer.concat([Buffer.from([30]), sshString(Buffer.alloc(32, 7))]));

function hassh(kex: string, enc: string, mac: string, cmp: string): string {
  return createHash('md5').update(kex + ';' + enc + ';' + mac + ';' + cmp).digest('hex');
}

function fp(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

// ---- driving ----

interface Run { a: AppAnalyzer; sink: RecordingSink }

function start(): Run {
  const sink = new RecordingSink();
  return { a: createSshFactory().create(testConn({ proto: 'tcp', respP: 22 }), sink), sink };
}

function send(r: Run, isOrig: boolean, data: Buffer | string, ts = 1, step = 0): void {
  const d = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const big = Buffer.concat([Buffer.from('SSH-JUNK'), d, Buffer.from('\r\nSSH-9.9-trailing\r\n')]);
  if (step <= 0) { r.a.deliver(isOrig, big, 8, d.length, ts); return; }
  for (let i = 0; i < d.length; i += step) r.a.deliver(isOrig, big, 8 + i, Math.min(step, d.length - i), ts);
}

/** Banners, both KEXINITs, ECDH, reply + NEWKEYS from the server, NEWKEYS from the client. */
function handshake(r: Run, step = 0, cli: Lists = CLIENT, srv: Lists = SERVER): void {
  send(r, true, 'SSH-2.0-OpenSSH_9.6\r\n', 5, step);
  send(r, false, 'SSH-2.0-OpenSSH_9.7 Debian\r\n', 6, step);
  send(r, true, kexinit(cli), 7, step);
  send(r, false, kexinit(srv), 7, step);
  send(r, true, ECDH_INIT, 8, step);
  send(r, false, Buffer.concat([kexReply(31, HOST_KEY), NEWKEYS]), 8, step);
  send(r, true, NEWKEYS, 9, step);
}

function only(r: Run): LogFields {
  const l = r.sink.of('ssh');
  assert.equal(l.length, 1, JSON.stringify(l));
  return l[0];
}

function enc(r: Run, isOrig: boolean, len: number): void {
  send(r, isOrig, Buffer.alloc(len, 0xee), 10);
}

// ---- tests ----

test('full key exchange: banners, negotiated algorithms, HASSH, host key fingerprint', () => {
  const r = start();
  handshake(r);
  assert.equal(r.a.confirmed, true);
  assert.equal(r.sink.of('ssh').length, 0, 'logged only when done');
  r.a.finish(20);
  assert.deepEqual(only(r), {
    version: 2,
    auth_attempts: 0,
    client: 'SSH-2.0-OpenSSH_9.6',
    server: 'SSH-2.0-OpenSSH_9.7 Debian',
    // Client preference wins (RFC 4253 §7.1).
    cipher_alg: 'chacha20-poly1305@openssh.com',
    mac_alg: 'umac-64-etm@openssh.com',
    compression_alg: 'none',
    kex_alg: 'curve25519-sha256',
    host_key_alg: 'ssh-ed25519-cert-v01@openssh.com',
    host_key_fingerprint: fp(HOST_KEY),
    hassh: hassh(CLIENT.kex, CLIENT.encC2S, CLIENT.macC2S, CLIENT.cmpC2S),
    hasshServer: hassh(SERVER.kex, SERVER.encS2C, SERVER.macS2C, SERVER.cmpS2C),
  });
  assert.equal(r.sink.logs[0].ts, 5, 'record time is the first banner');
  assert.deepEqual(r.sink.weirds, []);
});

test('byte-by-byte and odd splits give the same record', () => {
  const whole = start();
  handshake(whole);
  whole.a.finish(20);
  for (const step of [1, 3, 5, 6, 7, 100]) {
    const r = start();
    handshake(r, step);
    r.a.finish(20);
    assert.deepEqual(only(r), only(whole), 'step ' + step);
  }
});

test('HASSH uses the sender\'s own direction lists', () => {
  const cli = { ...CLIENT, encS2C: 'aes128-ctr', macS2C: 'hmac-sha1', cmpS2C: 'zlib' };
  const k = parseKexInit(kexinit(cli), 6, 10000, true);
  assert.ok(k);
  assert.equal(k.hassh, hassh(cli.kex, cli.encC2S, cli.macC2S, cli.cmpC2S));
  const s = parseKexInit(kexinit(cli), 6, 10000, false);
  assert.ok(s);
  assert.equal(s.hassh, hassh(cli.kex, 'aes128-ctr', 'hmac-sha1', 'zlib'));
  assert.deepEqual(k.kex, cli.kex.split(','));
});

test('negotiation: per-direction difference and failure are spelled as Zeek does', () => {
  assert.equal(findAlg(['a', 'b'], ['b', 'a']), 'a');
  assert.equal(findAlg(['a'], ['b']), 'Algorithm negotiation failed');
  assert.equal(findBidiAlg(['x', 'y'], ['y'], ['y'], ['y']), 'y');
  assert.equal(findBidiAlg(['x'], ['y'], ['x'], ['y']), 'To server: x, to client: y');
  assert.equal(findBidiAlg(['x'], ['y'], ['x', 'y'], ['x', 'y']), 'To server: x, to client: y');
  const r = start();
  handshake(r, 0, { ...CLIENT, encS2C: 'aes128-ctr' }, { ...SERVER, encS2C: 'aes128-ctr', kex: 'sntrup761x25519-sha512' });
  r.a.finish(20);
  const l = only(r);
  assert.equal(l.cipher_alg, 'To server: chacha20-poly1305@openssh.com, to client: aes128-ctr');
  assert.equal(l.kex_alg, 'Algorithm negotiation failed');
  assert.equal(l.host_key_fingerprint, undefined, 'no known kex, so no reply message to read');
});

test('auth heuristic (Zeek SSH.cc): failure size repeats, then success is 16 smaller than SERVICE_ACCEPT', () => {
  const r = start();
  handshake(r);
  enc(r, false, 60); // server data before encrypted client data: ignored
  enc(r, true, 44); // SERVICE_REQUEST
  enc(r, false, 44); // SERVICE_ACCEPT: the yardstick
  enc(r, true, 68);
  enc(r, false, 44); // first USERAUTH_FAILURE sets the failure size
  enc(r, true, 300);
  enc(r, false, 44); // same size: a failed attempt
  enc(r, false, 332); // something else (PK_OK)
  assert.equal(r.sink.of('ssh').length, 0);
  enc(r, false, 28); // USERAUTH_SUCCESS
  const l = only(r);
  assert.equal(l.auth_success, true);
  assert.equal(l.auth_attempts, 2);
  assert.equal(r.a.done, true, 'nothing more to learn after success');
  r.a.finish(30);
  assert.equal(r.sink.of('ssh').length, 1, 'not logged twice');
});

test('auth heuristic: only failures → auth_success false at finish; "none" success; banner skip', () => {
  const r = start();
  handshake(r);
  enc(r, true, 44);
  enc(r, false, 44);
  enc(r, false, 76);
  enc(r, true, 100);
  enc(r, false, 76);
  enc(r, false, 76);
  r.a.finish(30);
  assert.equal(only(r).auth_success, false);
  assert.equal(only(r).auth_attempts, 2);

  const n = start();
  handshake(n);
  enc(n, true, 44);
  enc(n, false, 44);
  enc(n, false, 28); // success right after SERVICE_ACCEPT: the "none" method
  assert.equal(only(n).auth_success, true);
  assert.equal(only(n).auth_attempts, 1);

  const b = start();
  handshake(b);
  enc(b, true, 44);
  enc(b, false, 44);
  enc(b, false, 600); // pre-auth banner, skipped once
  enc(b, false, 76);
  enc(b, false, 76);
  b.a.finish(30);
  assert.equal(only(b).auth_attempts, 1);
});

test('auth heuristic gives up after too many server segments', () => {
  const r = start();
  handshake(r);
  enc(r, true, 44);
  for (let i = 0; i < 300 && !r.a.done; i++) enc(r, false, 1000 + i);
  assert.equal(r.a.done, true);
  assert.equal(r.sink.counters.get('decoder.ssh.auth_undecided'), 1);
  assert.equal(only(r).auth_success, undefined);
});

test('bytes after NEWKEYS in the same segment count as the first encrypted segment', () => {
  const r = start();
  send(r, true, 'SSH-2.0-c\r\n');
  send(r, false, 'SSH-2.0-s\r\n');
  send(r, true, kexinit(CLIENT));
  send(r, false, kexinit(SERVER));
  send(r, true, Buffer.concat([NEWKEYS, Buffer.alloc(44, 1)])); // client encrypted seen
  send(r, false, Buffer.concat([kexReply(31, HOST_KEY), NEWKEYS, Buffer.alloc(44, 2)])); // SERVICE_ACCEPT 44
  enc(r, false, 28);
  assert.equal(only(r).auth_success, true);
  assert.equal(only(r).host_key_fingerprint, fp(HOST_KEY));
});

test('compressed session: no auth guess, done after both NEWKEYS', () => {
  const r = start();
  const z = { cmpC2S: 'zlib@openssh.com', cmpS2C: 'zlib@openssh.com' };
  handshake(r, 0, { ...CLIENT, ...z }, { ...SERVER, ...z });
  assert.equal(r.a.done, true);
  const l = only(r);
  assert.equal(l.compression_alg, 'zlib@openssh.com');
  assert.equal(l.auth_success, undefined);
  assert.equal(l.auth_attempts, 0);
});

test('group exchange: host key comes from message 33, not the group (31)', () => {
  const r = start();
  const gex = 'diffie-hellman-group-exchange-sha256';
  send(r, false, 'SSH-1.99-OpenSSH_3.9p1\r\n');
  send(r, true, 'SSH-2.0-OpenSSH_5.3\r\n');
  send(r, true, kexinit({ ...CLIENT, kex: gex }));
  send(r, false, kexinit({ ...SERVER, kex: gex }));
  send(r, true, packet(Buffer.concat([Buffer.from([34]), u32(1024), u32(2048), u32(8192)])));
  const prime = Buffer.alloc(257, 0xff);
  send(r, false, packet(Buffer.concat([Buffer.from([31]), sshString(prime), sshString(Buffer.from([2]))])));
  const rsa = Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.from([1, 0, 1])), sshString(Buffer.alloc(257, 9))]);
  send(r, false, kexReply(33, rsa));
  r.a.finish(3);
  const l = only(r);
  assert.equal(l.kex_alg, gex);
  assert.equal(l.host_key_fingerprint, fp(rsa));
  assert.equal(l.version, 2, 'SSH-1.99 server with an SSH-2 client is version 2');
});

test('server may send lines before its version; too many is a weird', () => {
  const r = start();
  send(r, false, 'Welcome to router\r\nAuthorized use only\nSSH-2.0-dropbear_2022.83\r\n');
  send(r, true, 'SSH-2.0-PuTTY\r\n');
  r.a.finish(2);
  assert.equal(only(r).server, 'SSH-2.0-dropbear_2022.83');
  assert.deepEqual(r.sink.weirds, []);

  const r2 = start();
  send(r2, false, 'x\r\n'.repeat(40));
  assert.deepEqual(r2.sink.weirds.map((w) => w.name), ['ssh_too_many_pre_banner_lines']);
  assert.equal(r2.a.done, true);
  assert.equal(r2.sink.of('ssh').length, 0, 'never confirmed, never logged');
});

test('client that does not start with SSH- is not SSH', () => {
  const r = start();
  send(r, true, 'GET / HTTP/1.1\r\n');
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['ssh_bad_banner']);
  assert.equal(r.a.confirmed, false);
  assert.equal(r.a.done, true);
  r.a.finish(2);
  assert.equal(r.sink.of('ssh').length, 0);
});

test('version rules from the two banners; SSH-1 stops after the banners', () => {
  const v = (c: string, s: string): LogFields => {
    const r = start();
    send(r, true, c + '\r\n');
    send(r, false, s + '\r\n');
    r.a.finish(2);
    return only(r);
  };
  assert.equal(v('SSH-1.5-old', 'SSH-1.99-srv').version, 1);
  assert.equal(v('SSH-1.99-c', 'SSH-1.99-s').version, 2);
  assert.equal(v('SSH-1.5-old', 'SSH-2.0-srv').version, 0);
  assert.equal(v('SSH-2.0-c', 'SSH-1.5-srv').version, 0);
  assert.equal(v('SSH-2.0-c', 'SSH-2.0-s').version, 2);
  const r = start();
  send(r, true, 'SSH-1.5-old\r\n');
  send(r, false, 'SSH-1.99-srv\r\n');
  assert.equal(r.a.done, true, 'no SSH-2 packets to read');
  assert.equal(only(r).client, 'SSH-1.5-old');
});

test('banner over 255 bytes is cut and flagged; control bytes escaped', () => {
  const r = start();
  send(r, true, 'SSH-2.0-' + 'A'.repeat(400) + '\r\n');
  send(r, false, 'SSH-2.0-evil\x1b[31m\r\n');
  r.a.finish(2);
  const l = only(r);
  assert.equal((l.client as string).length, 255);
  assert.equal(l.server, 'SSH-2.0-evil\\x1b[31m');
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['ssh_banner_too_long']);
});

test('LF-only banners are accepted', () => {
  const r = start();
  send(r, true, 'SSH-2.0-a\n');
  send(r, false, 'SSH-2.0-b\n');
  send(r, true, kexinit(CLIENT));
  send(r, false, kexinit(SERVER));
  r.a.finish(2);
  assert.equal(only(r).kex_alg, 'curve25519-sha256');
});

test('bad packet length: weird, logs what it has, done', () => {
  const r = start();
  send(r, true, 'SSH-2.0-a\r\n');
  send(r, false, 'SSH-2.0-b\r\n');
  send(r, true, Buffer.from([0x7f, 0xff, 0xff, 0xff, 4, 20]));
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['ssh_bad_packet_length']);
  assert.equal(r.a.done, true);
  assert.equal(only(r).client, 'SSH-2.0-a');
  const r2 = start();
  send(r2, true, 'SSH-2.0-a\r\n');
  send(r2, true, Buffer.from([0, 0, 0, 5, 10, 20])); // padding longer than the packet
  assert.deepEqual(r2.sink.weirds.map((w) => w.name), ['ssh_bad_packet_length']);
});

test('KEXINIT with lists past its end is a weird; oversize KEXINIT is capped', () => {
  const r = start();
  send(r, true, 'SSH-2.0-a\r\n');
  send(r, true, packet(Buffer.concat([Buffer.from([20]), Buffer.alloc(16), u32(5000), Buffer.from('x')])));
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['ssh_bad_kexinit']);
  const big = start();
  send(big, true, 'SSH-2.0-a\r\n');
  send(big, true, kexinit({ ...CLIENT, kex: 'k'.repeat(MAX_KEEP + 100) }));
  assert.equal(big.sink.counters.get('decoder.ssh.packet_capped'), 1);
  assert.deepEqual(big.sink.weirds.map((w) => w.name), ['ssh_bad_kexinit']);
  assert.equal(big.a.done, false, 'the stream stays in sync after a skipped packet');
  send(big, false, 'SSH-2.0-b\r\n');
  send(big, true, NEWKEYS);
  big.a.finish(2);
  assert.equal(only(big).server, 'SSH-2.0-b');
});

test('truncated host key in the reply is flagged', () => {
  const r = start();
  send(r, true, 'SSH-2.0-a\r\n');
  send(r, false, 'SSH-2.0-b\r\n');
  send(r, true, kexinit(CLIENT));
  send(r, false, kexinit(SERVER));
  send(r, false, packet(Buffer.concat([Buffer.from([31]), u32(900), Buffer.alloc(10)])));
  r.a.finish(2);
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['ssh_host_key_truncated']);
  assert.equal(only(r).host_key_fingerprint, undefined);
});

test('a gap stops analysis and logs', () => {
  const r = start();
  send(r, true, 'SSH-2.0-a\r\n');
  send(r, false, 'SSH-2.0-b\r\n');
  r.a.gap(true, 100);
  assert.deepEqual(r.sink.weirds.map((w) => w.name), ['ssh_content_gap']);
  assert.equal(r.a.done, true);
  assert.equal(only(r).server, 'SSH-2.0-b');
});

test('factory: service, ports, sniffing', () => {
  const f = createSshFactory();
  assert.equal(f.service, 'ssh');
  assert.equal(f.tcp, true);
  assert.equal(f.udp, false);
  assert.deepEqual(f.ports, SSH_PORTS);
  assert.ok(f.ports.includes(22) && f.ports.includes(2222));
  const b = Buffer.from('..SSH-2.0-x\r\n');
  assert.equal(f.sniff!(false, b, 2, 11), true);
  assert.equal(f.sniff!(true, b, 2, 11), true);
  assert.equal(f.sniff!(true, b, 2, 3), false, 'too short');
  assert.equal(f.sniff!(true, b, 0, 11), false);
  assert.equal(f.sniff!(true, Buffer.from('SSH'), 0, 4), false, 'length past the buffer');
});

test('truncation at every length and bit flips never throw', () => {
  const c = Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), kexinit(CLIENT), ECDH_INIT, NEWKEYS, Buffer.alloc(44)]);
  const s = Buffer.concat([Buffer.from('pre\r\nSSH-1.99-x\r\n'), kexinit(SERVER), kexReply(31, HOST_KEY), NEWKEYS, Buffer.alloc(44), Buffer.alloc(28)]);
  for (let n = 0; n <= Math.max(c.length, s.length); n++) {
    const r = start();
    r.a.deliver(true, c, 0, Math.min(n, c.length), 1);
    r.a.deliver(false, s, 0, Math.min(n, s.length), 1);
    r.a.finish(2);
  }
  let seed = 99;
  const rnd = (m: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % m;
  };
  for (let k = 0; k < 3000; k++) {
    const a = Buffer.from(c);
    const b = Buffer.from(s);
    for (let f = 0; f < 1 + rnd(4); f++) {
      a[rnd(a.length)] ^= 1 << rnd(8);
      b[rnd(b.length)] ^= 1 << rnd(8);
    }
    const r = start();
    const step = 1 + rnd(64);
    for (let i = 0; i < Math.max(a.length, b.length); i += step) {
      if (i < a.length) r.a.deliver(true, a, i, Math.min(step, a.length - i), 1);
      if (i < b.length) r.a.deliver(false, b, i, Math.min(step, b.length - i), 1);
    }
    r.a.finish(2);
    assert.ok(r.sink.of('ssh').length <= 1);
  }
});
