import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFtpFactory } from '../../src/decode/app/ftp/index.js';
import { buildPath, extractSize, ftpUrl, parseEprt, parseEpsv, parseHostPort6 } from '../../src/decode/app/ftp/parser.js';
import type { AppAnalyzer } from '../../src/decode/app/analyzer.js';
import { RecordingSink, testConn } from '../helpers/app-harness.js';

const conn = testConn({ proto: 'tcp', origH: '10.0.0.5', respH: '10.0.0.1', respP: 21 });

function setup(): { a: AppAnalyzer; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { a: createFtpFactory().create(conn, sink), sink };
}

function c(a: AppAnalyzer, s: string, ts = 1): void {
  const b = Buffer.from(s, 'latin1');
  a.deliver(true, b, 0, b.length, ts);
}

function s(a: AppAnalyzer, str: string, ts = 1): void {
  const b = Buffer.from(str, 'latin1');
  a.deliver(false, b, 0, b.length, ts);
}

test('factory: service ftp on TCP 21', () => {
  const f = createFtpFactory();
  assert.equal(f.service, 'ftp');
  assert.equal(f.tcp, true);
  assert.deepEqual([...f.ports], [21]);
});

test('a full session: one record per command/reply pair, password hidden everywhere', () => {
  const { a, sink } = setup();
  s(a, '220 ProFTPD Server ready.\r\n', 1);
  assert.equal(a.confirmed, true);
  c(a, 'USER bob\r\n', 2);
  s(a, '331 Password required for bob\r\n', 3);
  c(a, 'PASS hunter2\r\n', 4);
  s(a, '530 Login incorrect.\r\n', 5);
  c(a, 'USER alice\r\n', 6);
  s(a, '331 Password required for alice\r\n', 7);
  c(a, 'PASS s3cr3t-pw\r\n', 8);
  s(a, '230 User alice logged in\r\n', 9);
  c(a, 'PWD\r\n', 10);
  s(a, '257 "/home/alice" is the current directory\r\n', 11);
  c(a, 'CWD pub\r\n', 12);
  s(a, '250 CWD command successful\r\n', 13);
  c(a, 'PASV\r\n', 14);
  s(a, '227 Entering Passive Mode (10,0,0,1,195,80).\r\n', 15);
  c(a, 'RETR notes.txt\r\n', 16);
  s(a, '150 Opening BINARY mode data connection for notes.txt (1234 bytes)\r\n', 17);
  s(a, '226 Transfer complete\r\n', 18);
  c(a, 'QUIT\r\n', 19);
  s(a, '221 Goodbye.\r\n', 20);
  a.finish(21);

  const rows = sink.of('ftp');
  assert.deepEqual(rows.map((r) => r.command), ['USER', 'PASS', 'USER', 'PASS', 'PWD', 'CWD', 'PASV', 'RETR', 'QUIT']);
  assert.deepEqual(sink.logs.filter((l) => l.path === 'ftp').map((l) => l.ts), [2, 4, 6, 8, 10, 12, 14, 16, 19]);
  assert.deepEqual(rows[0], { user: 'bob', command: 'USER', arg: 'bob', reply_code: 331, reply_msg: 'Password required for bob' });
  assert.deepEqual(rows[1], { user: 'bob', password: '<hidden>', command: 'PASS', arg: '<hidden>', reply_code: 530, reply_msg: 'Login incorrect.' });
  assert.equal(rows[3].user, 'alice');
  assert.equal(rows[3].reply_code, 230);
  assert.equal(rows[5].arg, 'ftp://10.0.0.1/home/alice/pub');
  assert.deepEqual(rows[6], {
    user: 'alice', password: '<hidden>', command: 'PASV', reply_code: 227, reply_msg: 'Entering Passive Mode (10,0,0,1,195,80).',
    'data_channel.passive': true, 'data_channel.orig_h': '10.0.0.5', 'data_channel.resp_h': '10.0.0.1', 'data_channel.resp_p': 50000,
  });
  assert.equal(rows[7].arg, 'ftp://10.0.0.1/home/alice/pub/notes.txt');
  assert.equal(rows[7].file_size, 1234);
  assert.equal(rows[7].reply_code, 226);
  assert.equal(rows[8].reply_msg, 'Goodbye.');

  assert.deepEqual(sink.of('ftp_login'), [{ users: ['bob', 'alice'], login_attempts: 2, login_failures: 1, login_success: true }]);
  assert.equal(sink.logs.find((l) => l.path === 'ftp_login')?.ts, 1);
  const all = JSON.stringify(sink.logs) + JSON.stringify(sink.weirds);
  assert.equal(all.includes('hunter2'), false);
  assert.equal(all.includes('s3cr3t'), false);
  assert.equal(sink.weirds.length, 0);
});

test('brute force: failures counted, success false', () => {
  const { a, sink } = setup();
  s(a, '220 ready\r\n');
  for (let i = 0; i < 3; i++) {
    c(a, 'USER root\r\n');
    s(a, '331 Password required\r\n');
    c(a, 'PASS x' + i + '\r\n');
    s(a, '530 Login incorrect.\r\n');
  }
  c(a, 'USER admin\r\n');
  s(a, '530 User admin access denied.\r\n');
  a.finish(9);
  assert.deepEqual(sink.of('ftp_login'), [{ users: ['root', 'admin'], login_attempts: 4, login_failures: 4, login_success: false }]);
});

test('no login at all: no ftp_login record', () => {
  const { a, sink } = setup();
  s(a, '220 ready\r\n');
  c(a, 'SYST\r\n');
  s(a, '215 UNIX Type: L8\r\n');
  a.finish(2);
  assert.equal(sink.of('ftp_login').length, 0);
  assert.deepEqual(sink.of('ftp'), [{ command: 'SYST', reply_code: 215, reply_msg: 'UNIX Type: L8' }]);
});

test('multi-line reply: one record, final line text', () => {
  const { a, sink } = setup();
  s(a, '220-Welcome\r\n220-to the server\r\n220 ready\r\n');
  c(a, 'USER anonymous\r\n');
  s(a, '331 send email\r\n');
  c(a, 'PASS guest@example.com\r\n');
  s(a, '230-Hello\r\n  line two\r\n230 Logged in\r\n');
  c(a, 'HELP\r\n');
  s(a, '214-The following commands are recognized\r\n 214 is not the end here\r\n214 Help OK\r\n');
  const rows = sink.of('ftp');
  assert.deepEqual(rows.map((r) => [r.command, r.reply_code, r.reply_msg]), [
    ['USER', 331, 'send email'], ['PASS', 230, 'Logged in'], ['HELP', 214, 'Help OK'],
  ]);
  // Anonymous passwords are hidden too (Zeek would show them).
  assert.equal(rows[1].password, '<hidden>');
  assert.equal(JSON.stringify(sink.logs).includes('guest@'), false);
});

test('lines split anywhere and joined in one delivery parse the same', () => {
  const client = 'USER bob\r\nPASS pw\r\nCWD /tmp\r\nQUIT\r\n';
  const server = '220 hi\r\n331 pw please\r\n230 ok\r\n250 ok\r\n221 bye\r\n';
  const ref = setup();
  s(ref.a, server.slice(0, 8));
  c(ref.a, client);
  s(ref.a, server.slice(8));
  const want = ref.sink.of('ftp');
  assert.equal(want.length, 4);
  assert.equal(want[2].arg, 'ftp://10.0.0.1/tmp');
  for (const step of [1, 3, 7]) {
    const { a, sink } = setup();
    const sb = Buffer.from(server);
    for (let i = 0; i < 8; i += step) a.deliver(false, sb, i, Math.min(step, 8 - i), 1);
    const cb = Buffer.from(client);
    for (let i = 0; i < cb.length; i += step) a.deliver(true, cb, i, Math.min(step, cb.length - i), 1);
    for (let i = 8; i < sb.length; i += step) a.deliver(false, sb, i, Math.min(step, sb.length - i), 1);
    assert.deepEqual(sink.of('ftp'), want, `step ${step}`);
  }
});

test('PORT, EPRT and EPSV data channels', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, 'PORT 10,0,0,5,7,138\r\n');
  s(a, '200 PORT command successful\r\n');
  c(a, 'EPRT |2|fe80::1|6275|\r\n');
  s(a, '200 EPRT command successful\r\n');
  c(a, 'EPSV\r\n');
  s(a, '229 Entering Extended Passive Mode (|||6446|)\r\n');
  const rows = sink.of('ftp');
  assert.deepEqual(rows.map((r) => [r['data_channel.passive'], r['data_channel.orig_h'], r['data_channel.resp_h'], r['data_channel.resp_p']]), [
    [false, '10.0.0.1', '10.0.0.5', 1930],
    [false, '10.0.0.1', 'fe80::1', 6275],
    [true, '10.0.0.5', '10.0.0.1', 6446],
  ]);
});

test('pipelined commands pair FIFO; preliminary 1xx replies keep the command open', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, 'TYPE I\r\nSIZE big.iso\r\nRETR big.iso\r\n');
  s(a, '200 Type set to I\r\n213 4096\r\n150 Opening data connection\r\n');
  assert.equal(sink.of('ftp').length, 2);
  s(a, '226 Done\r\n');
  const rows = sink.of('ftp');
  assert.deepEqual(rows.map((r) => [r.command, r.reply_code, r.file_size]), [['TYPE', 200, undefined], ['SIZE', 213, 4096], ['RETR', 226, undefined]]);
  assert.equal(rows[1].arg, 'ftp://10.0.0.1/./big.iso');
});

test('joined mid-session (client speaks first): replies pair with the commands seen', () => {
  const { a, sink } = setup();
  c(a, 'CWD /srv\r\n');
  s(a, '250 ok\r\n');
  c(a, 'RETR x\r\n');
  s(a, '550 No such file\r\n');
  assert.deepEqual(sink.of('ftp').map((r) => [r.command, r.reply_code, r.arg]), [
    ['CWD', 250, 'ftp://10.0.0.1/srv'], ['RETR', 550, 'ftp://10.0.0.1/srv/x'],
  ]);
});

test('unanswered commands are logged at finish without a reply', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, 'STOR up.bin\r\n', 5);
  a.finish(6);
  assert.deepEqual(sink.of('ftp'), [{ command: 'STOR', arg: 'ftp://10.0.0.1/./up.bin' }]);
  a.finish(7);
  assert.equal(sink.of('ftp').length, 1);
});

test('too many pending commands is a weird', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  for (let i = 0; i < 25; i++) c(a, 'NOOP\r\n');
  assert.equal(sink.weirds.filter((w) => w.name === 'ftp_too_many_pending_commands').length, 5);
});

test('non-FTP traffic on 21: weird, done, never confirmed', () => {
  const srv = setup();
  s(srv.a, 'SSH-2.0-OpenSSH_8.9\r\n');
  assert.equal(srv.a.confirmed, false);
  assert.equal(srv.a.done, true);
  assert.deepEqual(srv.sink.weirds.map((w) => w.name), ['ftp_bad_reply']);

  const cli = setup();
  c(cli.a, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n');
  assert.equal(cli.a.done, true);
  assert.deepEqual(cli.sink.weirds.map((w) => w.name), ['ftp_bad_command']);

  const bin = setup();
  const junk = Buffer.alloc(600, 0x41);
  bin.a.deliver(false, junk, 0, junk.length, 1);
  assert.equal(bin.a.done, true);
  assert.deepEqual(bin.sink.weirds.map((w) => w.name), ['ftp_line_too_long']);
});

test('overlong line after confirmation: weird, line truncated, parsing continues', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, 'STOR ' + 'a'.repeat(700) + '\r\n');
  s(a, '553 Bad name\r\n');
  c(a, 'NOOP\r\n');
  s(a, '200 ok\r\n');
  assert.deepEqual(sink.weirds.map((w) => w.name), ['ftp_line_too_long']);
  const rows = sink.of('ftp');
  assert.deepEqual(rows.map((r) => r.command), ['STOR', 'NOOP']);
  assert.ok(String(rows[0].arg).length <= 'ftp://10.0.0.1/./'.length + 256);
  assert.equal(sink.counters.get('decoder.ftp.arg_truncated'), 1);
});

test('user names are capped at 128 bytes and 16 distinct names', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, 'USER ' + 'u'.repeat(200) + '\r\n');
  s(a, '331 ok\r\n');
  for (let i = 0; i < 20; i++) {
    c(a, 'USER user' + i + '\r\n');
    s(a, '331 ok\r\n');
  }
  a.finish(2);
  assert.equal(String(sink.of('ftp')[0].user).length, 128);
  assert.deepEqual(sink.weirds.map((w) => w.name), ['ftp_user_too_long']);
  assert.equal((sink.of('ftp_login')[0].users as string[]).length, 16);
  assert.equal(sink.counters.get('decoder.ftp.users_capped'), 5);
});

test('telnet IAC before ABOR and lowercase verbs', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, '\xff\xf4\xff\xf2ABOR\r\n');
  s(a, '226 Abort ok\r\n');
  c(a, 'noop\r\n');
  s(a, '200 ok\r\n');
  assert.deepEqual(sink.of('ftp').map((r) => r.command), ['ABOR', 'NOOP']);
  assert.equal(sink.weirds.length, 0);
});

test('gap: the partial line is dropped up to the next newline', () => {
  const { a, sink } = setup();
  s(a, '220 hi\r\n');
  c(a, 'US');
  a.gap(true, 10);
  c(a, 'ER lost\r\nNOOP\r\n');
  s(a, '200 ok\r\n');
  assert.deepEqual(sink.of('ftp').map((r) => r.command), ['NOOP']);
  assert.equal(sink.counters.get('decoder.ftp.gaps'), 1);
});

test('parser helpers: host/port, EPRT/EPSV, Zeek-style paths, sizes', () => {
  assert.deepEqual(parseHostPort6('Entering Passive Mode (192,168,1,2,4,1)'), { host: '192.168.1.2', port: 1025 });
  assert.equal(parseHostPort6('(300,1,1,1,1,1)'), null);
  assert.equal(parseHostPort6('1,2,3,4,5'), null);
  assert.equal(parseEpsv('Entering Extended Passive Mode (|||6446|)'), 6446);
  assert.equal(parseEpsv('Entering Extended Passive Mode (|||0|)'), -1);
  assert.equal(parseEpsv('no parens'), -1);
  assert.deepEqual(parseEprt('|1|132.235.1.2|6275|'), { host: '132.235.1.2', port: 6275 });
  assert.equal(parseEprt('|3|x|1|'), null);
  assert.equal(parseEprt('|1|<script>|21|'), null);
  assert.equal(buildPath('.', 'file'), './file');
  assert.equal(buildPath('/a/b', '../c'), '/a/c');
  assert.equal(buildPath('/a/b', '/x//y/./z/'), '/x/y/z');
  assert.equal(buildPath('/', '..'), '/..');
  assert.equal(ftpUrl('fe80::1', '/pub', 'f'), 'ftp://[fe80::1]/pub/f');
  assert.equal(extractSize('Opening BINARY mode data connection for a1.txt (1234 bytes)'), 1234);
  assert.equal(extractSize('4096'), 4096);
  assert.equal(extractSize('Opening data connection'), -1);
});

test('robustness: truncations, bit flips and junk never throw', () => {
  const client = Buffer.from('USER bob\r\nPASS pw\r\nPORT 1,2,3,4,5,6\r\nEPRT |2|::1|99|\r\nRETR a/../b\r\nQUIT\r\n');
  const server = Buffer.from('220-a\r\n220 b\r\n331 ok\r\n230 ok\r\n200 ok\r\n200 ok\r\n150 x (9 bytes)\r\n226 ok\r\n221 bye\r\n');
  for (let cut = 0; cut <= client.length; cut++) {
    const { a } = setup();
    a.deliver(false, server, 0, Math.min(cut, server.length), 1);
    a.deliver(true, client, 0, cut, 1);
    a.finish(2);
  }
  for (let i = 0; i < client.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const cb = Buffer.from(client);
      const sb = Buffer.from(server);
      cb[i] ^= 1 << bit;
      if (i < sb.length) sb[i] ^= 1 << bit;
      const { a } = setup();
      a.deliver(false, sb, 0, 14, 1);
      a.deliver(true, cb, 0, cb.length, 1);
      a.deliver(false, sb, 14, sb.length - 14, 1);
      a.finish(2);
    }
  }
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 0) % 256;
  for (let k = 0; k < 100; k++) {
    const junk = Buffer.from(Array.from({ length: 200 }, () => (rnd() % 4 === 0 ? 10 : rnd())));
    const { a } = setup();
    s(a, '220 hi\r\n');
    a.deliver(k % 2 === 0, junk, 0, junk.length, 1);
    a.finish(2);
  }
});
