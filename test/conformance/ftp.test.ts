/**
 * FTP through the real engine on zeek/ftp-bruteforce.pcap (30 control connections, each
 * USER bro / PASS n / 530 / QUIT), compared with Zeek's ftp.log, notice.log (FTP::Bruteforcing)
 * and conn.log expectations; command/reply counts read with
 * `tshark -Y ftp -T fields -e ftp.request.command -e ftp.response.code`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import { readZeekTsv, zn, zv } from './oracles.js';

test('zeek ftp-bruteforce.pcap: ftp.log agrees with Zeek, every login fails, brute force visible', async () => {
  const r = await analyzeFile(pcap('zeek/ftp-bruteforce.pcap'));
  const ours = r.of('ftp');
  // tshark: 30 × USER (331), PASS (530), QUIT (221).
  assert.equal(ours.length, 90);
  for (const [cmd, code] of [['USER', 331], ['PASS', 530], ['QUIT', 221]] as const) {
    const rows = ours.filter((o) => o.command === cmd);
    assert.equal(rows.length, 30, cmd);
    assert.ok(rows.every((o) => o.reply_code === code), cmd);
  }
  // Zeek logs one row per connection (the QUIT, via log_at_least_one_command): ours has it with
  // the same user, hidden password, command, reply.
  const zeek = readZeekTsv(join(ORACLES, 'zeek/ftp-bruteforce.pcap.zeek.ftp.log'));
  assert.equal(zeek.length, 30);
  for (const z of zeek) {
    const o = ours.find((x) => x['id.orig_p'] === zn(z, 'id.orig_p') && x.command === z.command);
    assert.ok(o !== undefined, `flow ${z['id.orig_p']}`);
    for (const k of ['id.orig_h', 'id.resp_h', 'user', 'password', 'command', 'arg', 'reply_msg', 'mime_type']) {
      assert.equal(o[k], zv(z, k), `${z['id.orig_p']} ${k}`);
    }
    for (const k of ['id.resp_p', 'reply_code', 'file_size']) assert.equal(o[k], zn(z, k), `${z['id.orig_p']} ${k}`);
  }
  // No password ever reaches a log: PASS arguments were 1..30.
  for (const o of ours.filter((x) => x.command === 'PASS')) {
    assert.equal(o.arg, '<hidden>');
    assert.equal(o.password, '<hidden>');
  }
  // Per-flow login summary: one failed attempt each.
  const logins = r.of('ftp_login');
  assert.equal(logins.length, 30);
  for (const l of logins) {
    assert.deepEqual([l.users, l.login_attempts, l.login_failures, l.login_success], [['bro'], 1, 1, false]);
  }
  // notice.log: "192.168.56.1 had 20 failed logins on 1 FTP server in 0m37s".
  const notice = readZeekTsv(join(ORACLES, 'zeek/ftp-bruteforce.pcap.zeek.notice.log'));
  assert.equal(notice.length, 1);
  const m = /^(\S+) had (\d+) failed logins on (\d+) FTP server in (\d+)m(\d+)s$/.exec(notice[0].msg);
  assert.ok(m !== null);
  const fails = ours.filter((o) => o.reply_code === 530);
  assert.ok(fails.length >= Number(m[2]));
  assert.ok(fails.every((o) => o['id.orig_h'] === m[1]));
  assert.equal(new Set(fails.map((o) => o['id.resp_h'])).size, Number(m[3]));
  const span = (fails[Number(m[2]) - 1].ts as number) - (fails[0].ts as number);
  assert.equal(Math.floor(span), Number(m[4]) * 60 + Number(m[5]));
  // conn.log: all 30 control connections carry service ftp.
  const conn = r.of('conn');
  assert.equal(conn.length, 30);
  assert.ok(conn.every((c) => c.service === 'ftp'));
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('ftp')), []);
});
