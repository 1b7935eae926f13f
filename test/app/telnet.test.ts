import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTelnetFactory } from '../../src/decode/app/telnet/index.js';
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

const conn = testConn({ proto: 'tcp', respP: 23 });

const IAC = 0xff;
const WILL = 0xfb;
const WONT = 0xfc;
const DO = 0xfd;
const DONT = 0xfe;
const SB = 0xfa;
const SE = 0xf0;
const ECHO = 1;
const SGA = 3;
const TTYPE = 24;
const NAWS = 31;

function setup(): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createTelnetFactory().create(conn, sink), sink };
}

function send(a: AppAnalyzer, isOrig: boolean, data: string | number[], ts = 1): void {
  const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  a.deliver(isOrig, b, 0, b.length, ts);
}

/** Character mode: the client sends one key per segment and the server echoes it (not the password). */
function type(a: AppAnalyzer, text: string, echo: boolean): void {
  for (const ch of text) {
    send(a, true, ch);
    if (echo) send(a, false, ch);
  }
  send(a, true, '\r\0');
  if (echo) send(a, false, '\r\n');
}

function record(sink: RecordingSink): Record<string, unknown> {
  const rows = sink.of('telnet');
  assert.equal(rows.length, 1);
  return rows[0];
}

test('factory: service telnet on 23 and 2323, sniffs IAC negotiation', () => {
  const f = createTelnetFactory();
  assert.equal(f.service, 'telnet');
  assert.deepEqual([...f.ports], [23, 2323]);
  const neg = Buffer.from([IAC, DO, ECHO, IAC, WILL, SGA]);
  assert.equal(f.sniff?.(false, neg, 0, neg.length), true);
  const http = Buffer.from('HTTP/1.1 200 OK\r\n');
  assert.equal(f.sniff?.(false, http, 0, http.length), false);
  assert.equal(f.sniff?.(false, Buffer.from([IAC, SB, 1]), 0, 3), false);
});

test('Mirai-style session: failed then successful login, character mode with echo', () => {
  const { a, sink } = setup();
  send(a, false, [IAC, DO, ECHO, IAC, DO, NAWS, IAC, WILL, ECHO, IAC, WILL, SGA], 1);
  send(a, true, [IAC, WONT, ECHO, IAC, WILL, NAWS, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE, IAC, DO, SGA], 2);
  assert.equal(a.confirmed, true);
  send(a, false, '\r\nBusyBox-based router\r\n(none) login: ');
  type(a, 'root', true);
  send(a, false, 'Password: ');
  type(a, 'xc3511', false);
  send(a, false, '\r\nLogin incorrect\r\n');
  send(a, false, '(none) login: ');
  type(a, 'admin', true);
  send(a, false, 'Password: ');
  type(a, 'vizxv', false);
  send(a, false, '\r\n\r\nBusyBox v1.19.4 (2014-03-05) built-in shell (ash)\r\n# ');
  send(a, true, 'enable\r\n');
  a.finish(9);
  assert.deepEqual(record(sink), {
    users: ['root', 'admin'], login_attempts: 2, login_failures: 1, login_success: true, client_options: 4, server_options: 4,
  });
  assert.equal(sink.logs[0].ts, 1);
  const all = JSON.stringify(sink.logs) + JSON.stringify(sink.weirds);
  for (const secret of ['xc3511', 'vizxv']) assert.equal(all.includes(secret), false);
  assert.equal(sink.weirds.length, 0);
});

test('line mode (as in suricata-verify telnet.pcap): prompt, user line, password line, Last login', () => {
  const { a, sink } = setup();
  send(a, false, '\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n');
  send(a, false, 'login: ');
  send(a, true, 'fake\r\n');
  send(a, false, [IAC, WILL, ECHO]);
  send(a, true, [IAC, DO, ECHO]);
  send(a, false, 'Password:');
  send(a, true, 'user\r\n');
  send(a, false, '\r\n');
  send(a, false, 'Last login: Sat Nov 27 20:11:43 on ttyp2 from bam.zing.org\r\n');
  send(a, false, '$ ');
  a.finish(2);
  assert.deepEqual(record(sink), {
    users: ['fake'], login_attempts: 1, login_failures: 0, login_success: true, client_options: 1, server_options: 1,
  });
});

test('every attempt fails: login_success false; failure by a fresh prompt counts too', () => {
  const { a, sink } = setup();
  send(a, false, 'Username: ');
  send(a, true, 'admin\r\n');
  send(a, false, 'Password: ');
  send(a, true, '1234\r\n');
  send(a, false, '\r\n% Authentication failed\r\n\r\nUsername: ');
  send(a, true, 'admin\r\n');
  send(a, false, 'Password: ');
  send(a, true, 'admin\r\n');
  send(a, false, '\r\nUsername: ');
  send(a, true, 'guest\r\n');
  send(a, false, 'Password: ');
  send(a, true, 'guest\r\n');
  send(a, false, '\r\nPassword: ');
  a.finish(2);
  assert.deepEqual(record(sink), {
    users: ['admin', 'guest'], login_attempts: 3, login_failures: 3, login_success: false, client_options: 0, server_options: 0,
  });
});

test('credentials blasted before the password prompt: the second line is the password, never a user', () => {
  const { a, sink } = setup();
  send(a, false, 'login: ');
  send(a, true, 'root\r\nantslq\r\n');
  send(a, false, 'root\r\nPassword: ');
  send(a, false, '\r\nLogin incorrect\r\n');
  a.finish(2);
  const r = record(sink);
  assert.deepEqual(r.users, ['root']);
  assert.equal(r.login_attempts, 1);
  assert.equal(r.login_failures, 1);
  assert.equal(JSON.stringify(sink.logs).includes('antslq'), false);
});

test('password-only device and user accepted without a password', () => {
  const p = setup();
  send(p.a, false, '\r\nPassword: ');
  send(p.a, true, 'secret\r\n');
  send(p.a, false, '\r\nWelcome!\r\n> ');
  p.a.finish(2);
  assert.deepEqual(record(p.sink), { login_attempts: 1, login_failures: 0, login_success: true, client_options: 0, server_options: 0 });

  const u = setup();
  send(u.a, false, 'login: ');
  send(u.a, true, 'root\r\n');
  send(u.a, false, 'root\r\n\r\n~ # ');
  u.a.finish(2);
  assert.deepEqual(record(u.sink), { users: ['root'], login_attempts: 1, login_failures: 0, login_success: true, client_options: 0, server_options: 0 });
});

test('a last attempt without a verdict leaves the outcome unknown', () => {
  const { a, sink } = setup();
  send(a, false, 'login: ');
  send(a, true, 'root\r\n');
  send(a, false, 'Password: ');
  send(a, true, 'a\r\n');
  send(a, false, '\r\nLogin incorrect\r\nlogin: ');
  send(a, true, 'root\r\n');
  send(a, false, 'Password: ');
  send(a, true, 'b\r\n');
  a.finish(2);
  const r = record(sink);
  assert.equal(r.login_attempts, 2);
  assert.equal(r.login_failures, 1);
  assert.equal('login_success' in r, false);
});

test('no dialogue: outcome unknown, no users field; no data at all: no record', () => {
  const { a, sink } = setup();
  send(a, false, [IAC, DO, TTYPE]);
  send(a, true, [IAC, WILL, TTYPE, IAC, SB, TTYPE, 0, 0x78, 0x74, 0x65, 0x72, 0x6d, IAC, SE]);
  a.finish(2);
  assert.deepEqual(record(sink), { login_attempts: 0, login_failures: 0, client_options: 2, server_options: 1 });
  const e = setup();
  e.a.finish(1);
  assert.equal(e.sink.logs.length, 0);
});

test('IAC IAC is a data 0xFF; EC/EL and backspace edit the user name', () => {
  const { a, sink } = setup();
  send(a, false, 'login: ');
  send(a, true, [0x72, 0x6f, 0x6f, 0x7f, 0x6f, 0x74, IAC, 0xf7, 0x74, 0x0d, 0x0a]); // roo<DEL>ot<EC>t
  send(a, false, 'Password: ');
  send(a, true, 'x\r\n');
  send(a, false, 'Login incorrect\r\nlogin: ');
  send(a, true, [0x78, IAC, 0xf8, 0x61, IAC, IAC, 0x0d, 0x00]); // x<EL>a<0xFF>
  a.finish(2);
  assert.deepEqual(record(sink).users, ['root', 'a\\xff']);
  assert.equal(record(sink).client_options, 0);
});

test('user names are capped at 64 bytes and 16 distinct names', () => {
  const { a, sink } = setup();
  for (let i = 0; i < 20; i++) {
    send(a, false, 'login: ');
    send(a, true, (i === 0 ? 'x'.repeat(100) : 'user' + i) + '\r\n');
    send(a, false, 'Password: ');
    send(a, true, 'pw\r\n');
    send(a, false, '\r\nLogin incorrect\r\n');
  }
  a.finish(2);
  const r = record(sink);
  const users = r.users as string[];
  assert.equal(users.length, 16);
  assert.equal(users[0].length, 64);
  assert.equal(r.login_attempts, 20);
  assert.equal(r.login_failures, 20);
  assert.equal(sink.counters.get('decoder.telnet.users_capped'), 4);
});

test('prompts split across segments are still recognised', () => {
  const { a, sink } = setup();
  send(a, false, 'Last log');
  send(a, false, 'in: Mon from x\r\nlog');
  send(a, false, 'in: ');
  send(a, true, 'bob\r\n');
  send(a, false, 'Pass');
  send(a, false, 'word: ');
  send(a, true, 'pw\r\n');
  send(a, false, '\r\nLogin incor');
  send(a, false, 'rect\r\n');
  a.finish(2);
  const r = record(sink);
  assert.deepEqual(r.users, ['bob']);
  assert.equal(r.login_failures, 1);
});

test('endless subnegotiation: weird once, data resumes', () => {
  const { a, sink } = setup();
  const sb = [IAC, SB, 24, ...new Array<number>(5000).fill(0x41)];
  send(a, false, sb);
  send(a, false, '\r\nlogin: ');
  send(a, true, 'joe\r\n');
  a.finish(2);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['telnet_subnegotiation_too_long']);
  assert.deepEqual(record(sink).users, ['joe']);
});

test('gap resets the parser of that direction', () => {
  const { a, sink } = setup();
  send(a, false, [IAC, SB, 24]);
  a.gap(false, 100);
  send(a, false, 'login: ');
  send(a, true, 'ann\r\n');
  a.finish(2);
  assert.deepEqual(record(sink).users, ['ann']);
  assert.equal(sink.counters.get('decoder.telnet.gaps'), 1);
});

test('robustness: truncations, bit flips and junk never throw', () => {
  const srv = Buffer.from([IAC, DO, ECHO, IAC, SB, NAWS, 1, IAC, IAC, IAC, SE, ...Buffer.from('login: '), IAC, WILL, ECHO,
    ...Buffer.from('Password:'), ...Buffer.from('\r\nLogin incorrect\r\n$ ')]);
  const cli = Buffer.from([IAC, WONT, ECHO, ...Buffer.from('root\r\0pass\r\n'), IAC, 0xf7, 0x7f]);
  for (let cut = 0; cut <= srv.length; cut++) {
    const { a } = setup();
    a.deliver(false, srv, 0, cut, 1);
    a.deliver(true, cli, 0, Math.min(cut, cli.length), 1);
    a.finish(2);
  }
  for (let i = 0; i < srv.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const s = Buffer.from(srv);
      s[i] ^= 1 << bit;
      const { a } = setup();
      a.deliver(false, s, 0, 10, 1);
      a.deliver(true, cli, 0, cli.length, 1);
      a.deliver(false, s, 10, s.length - 10, 1);
      a.finish(2);
    }
  }
  let seed = 3;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 0) % 256;
  for (let k = 0; k < 100; k++) {
    const junk = Buffer.from(Array.from({ length: 300 }, () => (rnd() % 3 === 0 ? IAC : rnd())));
    const { a } = setup();
    for (let i = 0; i < junk.length; i += 13) a.deliver(k % 2 === 0, junk, i, Math.min(13, junk.length - i), 1);
    a.finish(2);
  }
});
