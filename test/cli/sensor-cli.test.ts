/**
 * The sensor's commands as a user types them: `vigil analyze --db` replays real captures into a
 * database, then `vigil devices`, `vigil alerts`, `vigil baseline` read it back (tables and JSON),
 * and bad input gets one sentence and a non-zero exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, pcap } from '../helpers/analyze.js';
import type { Device } from '../../src/device/device.js';
import type { StoredAlert } from '../../src/store/store.js';

const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
const db = join(dir, 'vigil.db');
const cfg = join(dir, 'vigil.yaml');
writeFileSync(cfg, 'devices:\n  newDeviceGraceSeconds: 0\n');

function vigil(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('analyze --db, then devices, alerts and baseline read the database', { timeout: 120_000 }, (t) => {
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = vigil('devices', '--db', db);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no database at .*vigil\.db: start the sensor first/);

  const r = vigil('analyze', pcap('zeek/dhcp.pcap'), pcap('ndpi/android.pcap'), pcap('suricata-verify/dhcp-eve-extended.pcap'), '--db', db, '--config', cfg, '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { devices: number; alerts: number; db: string };
  assert.equal(summary.db, db);
  assert.ok(summary.devices >= 3, `${summary.devices} devices`);

  const dj = vigil('devices', '--db', db, '--json');
  assert.equal(dj.status, 0, dj.stderr);
  const devices = JSON.parse(dj.stdout) as Device[];
  assert.equal(devices.length, summary.devices);
  const phone = devices.find((d) => d.mac === '4c:6a:f6:9f:f6:27');
  assert.ok(phone, 'the android phone');
  assert.equal(phone.vendor, 'HMD Global Oy');
  assert.ok(phone.addresses.some((a) => a.ip === '192.168.2.16'));

  const table = vigil('devices', '--db', db);
  assert.match(table.stdout, /^MAC\s+NAME\s+VENDOR\s+TYPE\s+ADDRESSES\s+FIRST SEEN\s+LAST SEEN$/m);
  assert.match(table.stdout, /4c:6a:f6:9f:f6:27 .*HMD Global Oy/);
  assert.match(table.stdout, new RegExp(`^${devices.length} devices$`, 'm'));

  const label = vigil('devices', 'label', '4c:6a:f6:9f:f6:27', "Lucas's phone", '--db', db);
  assert.equal(label.status, 0, label.stderr);
  assert.match(vigil('devices', '--db', db).stdout, /4c:6a:f6:9f:f6:27\s+Lucas's phone/);
  assert.equal(vigil('devices', 'label', '00:00:00:00:00:01', 'x', '--db', db).status, 1);

  const aj = vigil('alerts', '--db', db, '--json', '--code', 'new_device');
  assert.equal(aj.status, 0, aj.stderr);
  const alerts = JSON.parse(aj.stdout) as StoredAlert[];
  assert.equal(alerts.length, summary.devices, 'one new_device alert per device (no grace in this config)');
  const at = vigil('alerts', '--db', db);
  assert.match(at.stdout, /^ID\s+WHEN\s+SEVERITY\s+CODE\s+WHAT$/m);
  assert.match(at.stdout, /new_device +A new device joined the network/);
  const close = vigil('alerts', 'close', String(alerts[0].id), '--db', db);
  assert.equal(close.status, 0, close.stderr);
  assert.equal((JSON.parse(vigil('alerts', '--db', db, '--json', '--code', 'new_device').stdout) as StoredAlert[]).length, alerts.length - 1);
  assert.equal((JSON.parse(vigil('alerts', '--db', db, '--json', '--all', '--code', 'new_device').stdout) as StoredAlert[]).length, alerts.length);

  const bs = vigil('baseline', 'status', '4c:6a', '--db', db, '--json');
  assert.equal(bs.status, 0, bs.stderr);
  const st = JSON.parse(bs.stdout) as { device: string; learning: boolean; firstSeen: number; learningUntil: number; items: { country: { learned: number } } }[];
  assert.equal(st.length, 1);
  assert.equal(st[0].device, '4c:6a:f6:9f:f6:27', 'a unique start of a MAC names the device');
  // The other captures are from later years: in packet time the phone's week of learning is over.
  assert.equal(st[0].learning, false);
  assert.ok(Math.abs(st[0].learningUntil - st[0].firstSeen - 7 * 86400) < 1, 'seven days of learning from its first flow');
  assert.ok(st[0].items.country.learned >= 1, 'learned at least one country from its flows');
  assert.match(vigil('baseline', 'status', '--db', db).stdout, /^DEVICE\s+NAME\s+LEARNING/m);

  const bad = [
    vigil('baseline', 'accept', '--db', db),
    vigil('baseline', 'accept', '4c:6a:f6:9f:f6:27', 'colour', 'red', '--db', db),
    vigil('alerts', '--severity', 'urgent', '--db', db),
    vigil('alerts', '--since', 'yesterday', '--db', db),
    vigil('devices', '--db', db, '--bogus'),
  ];
  for (const b of bad) {
    assert.notEqual(b.status, 0);
    assert.equal(b.stderr.trim().split('\n').length, 1, `one line: ${b.stderr}`);
  }
  assert.match(bad[1].stderr, /Unknown kind 'colour'/);
});

test('a feed added with vigil intel add is matched by the replay, and the allow-list closes the alert', { timeout: 120_000 }, (t) => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-cli-intel-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const list = join(d, 'my-c2.txt');
  // 216.239.38.120 is the Google server android.pcap's phone talks to: listed here on purpose.
  writeFileSync(list, '# my list\n216.239.38.120\n');
  const conf = join(d, 'vigil.yaml');
  writeFileSync(conf, `dataDir: ${d}\nintel:\n  update: false\n  disabled: [feodo, spamhaus-drop, spamhaus-drop-v6, tor-exits]\n`);
  const add = vigil('intel', 'add', list, '--category', 'c2', '--name', 'my-c2', '--config', conf);
  assert.equal(add.status, 0, add.stderr);
  const ls = vigil('intel', 'list', '--json', '--config', conf);
  assert.equal(ls.status, 0, ls.stderr);
  const r = vigil('analyze', pcap('ndpi/android.pcap'), '--db', join(d, 'vigil.db'), '--config', conf, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  const alerts = JSON.parse(vigil('alerts', '--config', conf, '--json', '--code', 'intel.').stdout) as StoredAlert[];
  assert.ok(alerts.length >= 1, 'an intel alert was stored');
  const hit = alerts.find((a) => a.device === '4c:6a:f6:9f:f6:27');
  assert.ok(hit, `the phone is named as the device: ${JSON.stringify(alerts.map((a) => [a.device, a.summary]))}`);
  assert.equal(hit.code, 'intel.c2');
  assert.match(hit.summary, /216\.239\.38\.120/);
  // The owner allow-lists it: the next start of the pipeline closes what is stored.
  writeFileSync(conf, `dataDir: ${d}\nintel:\n  update: false\n  allow: [216.239.38.120]\n  disabled: [feodo, spamhaus-drop, spamhaus-drop-v6, tor-exits]\n`);
  const again = vigil('analyze', pcap('ndpi/android.pcap'), '--db', join(d, 'vigil.db'), '--config', conf, '--quiet');
  assert.equal(again.status, 0, again.stderr);
  assert.equal((JSON.parse(vigil('alerts', '--config', conf, '--json', '--code', 'intel.').stdout) as StoredAlert[]).length, 0, 'no open intel alert after allow-listing');
});
