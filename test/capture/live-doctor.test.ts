/**
 * `vigil doctor` on real networks made of namespaces: a sensor on a hub port (it sees two other
 * devices talking: no warning, exit 0) and a sensor on a plain link (only its own traffic: the
 * "not on a mirror port" warning, exit 1); the helper check failing with its fix; a missing
 * interface; and the disk, clock and placement judgements on their own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlacementObserver, clockCheck, diskCheck, placementCheck } from '../../src/cli/commands/doctor.js';
import { REPO } from '../helpers/analyze.js';
import { NetLab, sendUdp, sh } from './live-netns.js';

const lab = new NetLab();
let tmp = '';
const DOCTOR = join(REPO, 'dist', 'src', 'cli', 'commands', 'doctor.js');
// The doctor as a process of its own (its output is what a user reads), optionally in a namespace.
const RUNNER = `import(process.argv[1]).then((m) => m.runDoctor(JSON.parse(process.argv[2]))).then((c) => { process.exitCode = c; });`;

interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function doctor(ns: string | null, args: string[]): Promise<DoctorRun> {
  const argv = [process.execPath, '-e', RUNNER, DOCTOR, JSON.stringify(args)];
  const [cmd, ...rest] = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  return new Promise((resolve) => {
    const p = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Report {
  ok: boolean;
  checks: { id: string; status: string; message: string }[];
  capture: { packets: number; devices: number; devicesTalkingToOthers: number; localIps: number; foreignUnicast: number; ownFrames: number } | null;
  interface: { name: string; promisc?: boolean; promiscDuringCapture?: boolean | null };
}

let HUB_SENSOR = '';
let LINK_SENSOR = '';
let D1 = '';

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests create network namespaces: run the suite as root (CI does)');
  tmp = mkdtempSync(join(tmpdir(), 'vigil-doctor-'));
  // A hub: a bridge that never learns addresses floods every frame to every port, the way a
  // switch's mirror port shows the sensor everyone's traffic.
  const sw = lab.ns('sw');
  sh('ip', ['-n', sw, 'link', 'add', 'hub0', 'type', 'bridge', 'ageing_time', '0']);
  sh('ip', ['-n', sw, 'link', 'set', 'hub0', 'up']);
  D1 = lab.ns('d1');
  const d2 = lab.ns('d2');
  HUB_SENSOR = lab.ns('hs');
  for (const [ns, end, port, ip] of [[D1, 'a', 'A', '10.202.0.1'], [d2, 'b', 'B', '10.202.0.2'], [HUB_SENSOR, 'c', 'C', '10.202.0.3']] as const) {
    lab.veth(lab.ifname(end), ns, lab.ifname(port), sw);
    sh('ip', ['-n', sw, 'link', 'set', lab.ifname(port), 'master', 'hub0']);
    lab.addr(ns, lab.ifname(end), `${ip}/24`);
  }
  // A plain link: the sensor and one peer, as on an ordinary switch port.
  LINK_SENSOR = lab.ns('ls');
  const peer = lab.ns('pe');
  lab.veth(lab.ifname('s'), LINK_SENSOR, lab.ifname('p'), peer);
  lab.addr(LINK_SENSOR, lab.ifname('s'), '10.203.0.1/24');
  lab.addr(peer, lab.ifname('p'), '10.203.0.2/24');
});
after(() => {
  lab.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('on a hub port: other devices are seen, no placement warning, exit 0', { timeout: 40_000 }, async () => {
  // Device 1 talks to device 2 (unicast) for longer than the doctor listens.
  const traffic = sendUdp(D1, { dst: '10.202.0.2', port: 9999, count: 110, intervalMs: 25 });
  const run = await doctor(HUB_SENSOR, ['-i', lab.ifname('c'), '--seconds', '2', '--data-dir', join(tmp, 'data'), '--json']);
  await traffic;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const r = JSON.parse(run.stdout) as Report;
  assert.equal(r.ok, true);
  assert.ok(r.capture);
  assert.ok(r.capture.devices >= 2, `devices ${r.capture.devices}`);
  assert.ok(r.capture.devicesTalkingToOthers >= 1);
  assert.ok(r.capture.foreignUnicast > 0);
  assert.ok(r.capture.localIps >= 2, `local IPs ${r.capture.localIps}`);
  const placement = r.checks.find((c) => c.id === 'placement');
  assert.equal(placement?.status, 'ok');
  assert.equal(r.interface.promiscDuringCapture, true, 'tcpdump turned promiscuous mode on');
  assert.equal(r.checks.find((c) => c.id === 'helper')?.status, 'ok');
  assert.equal(r.checks.find((c) => c.id === 'disk')?.status, 'ok');
  assert.equal(r.checks.find((c) => c.id === 'clock')?.status, 'ok');
  assert.ok(!r.checks.some((c) => c.status === 'warn' || c.status === 'fail'), JSON.stringify(r.checks));
});

test("on a plain link: only the sensor's own traffic, the warning is printed, exit 1", { timeout: 40_000 }, async () => {
  const traffic = sendUdp(LINK_SENSOR, { dst: '10.203.0.2', port: 9999, count: 110, intervalMs: 25 });
  const run = await doctor(LINK_SENSOR, ['-i', lab.ifname('s'), '--seconds', '2', '--data-dir', join(tmp, 'data')]);
  await traffic;
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stdout, /WARN +placement +you are not on a mirror port or in-line: Vigil only sees this machine's traffic/);
  assert.match(run.stdout, /ok +interface +v\d+s \([0-9a-f:]{17}\), link up\./);
  assert.match(run.stdout, /ok +traffic +\d+ packets in 2 s; 1 other devices/);
  assert.match(run.stdout, /1 thing needs your attention/);
});

test('a helper that may not capture: the check fails with the fix and nothing is captured', { timeout: 30_000 }, async () => {
  const w = join(tmp, 'tcpdump-as-nobody');
  writeFileSync(w, '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups -- /usr/bin/tcpdump "$@"\n');
  chmodSync(w, 0o755);
  const run = await doctor(null, ['-i', 'lo', '--seconds', '1', '--data-dir', tmp, '--helper-path', w, '--json']);
  assert.equal(run.code, 1);
  const r = JSON.parse(run.stdout) as Report;
  const helper = r.checks.find((c) => c.id === 'helper');
  assert.equal(helper?.status, 'fail');
  assert.match(helper?.message ?? '', /run `sudo scripts\/install-capture\.sh` to give the capture helper CAP_NET_RAW.*\[VIGIL_ERR_CAPTURE_PERMISSION\]/);
  assert.equal(r.capture, null);
});

test('an interface that does not exist or is down: named, with the fix', { timeout: 30_000 }, async () => {
  const run = await doctor(null, ['-i', 'vgnosuch0', '--data-dir', tmp]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /FAIL +interface +interface vgnosuch0 does not exist; interfaces here: .*\blo\b/);
  // An interface that is there but down: said so, with the command that brings it up.
  sh('ip', ['-n', LINK_SENSOR, 'link', 'add', 'dn0', 'type', 'veth', 'peer', 'name', 'dn1']); // created down
  const down = await doctor(LINK_SENSOR, ['-i', 'dn0', '--data-dir', tmp]);
  assert.equal(down.code, 1);
  assert.match(down.stdout, /FAIL +interface +dn0 is down: bring it up \(sudo ip link set dn0 up\)\./);
  const usage = await doctor(null, ['--seconds', 'x']);
  assert.equal(usage.code, 2);
});

test('disk check: real free space against the threshold, measured at the nearest existing parent', () => {
  const ok = diskCheck(join(tmp, 'not', 'yet'), 1024);
  assert.equal(ok.status, 'ok');
  assert.equal(ok.measured, tmp);
  assert.ok(ok.freeBytes !== null && ok.freeBytes > 1024);
  const low = diskCheck(tmp, 1024 ** 5); // a PiB: no test machine has that free
  assert.equal(low.status, 'warn');
  assert.match(low.message, /^only [\d.]+ GiB free for .* \(less than 1048576\.0 GiB\): free space or choose another --data-dir/);
});

test('clock check: an unset clock fails, a skew from packet time warns', () => {
  const now = Date.UTC(2025, 5, 1, 12, 0, 0);
  assert.equal(clockCheck(now, null).status, 'ok');
  assert.equal(clockCheck(now, now / 1000 - 3).status, 'ok');
  const unset = clockCheck(Date.UTC(1970, 0, 1, 0, 5), null);
  assert.equal(unset.status, 'fail');
  assert.match(unset.message, /says 1970-01-01 00:05 UTC, which cannot be right: set the time \(sudo timedatectl set-ntp true\)/);
  const skew = clockCheck(now, now / 1000 + 3600);
  assert.equal(skew.status, 'warn');
  assert.match(skew.message, /packet times are 3600 s ahead of the system clock/);
});

test('placement from Ethernet headers: own, broadcast and foreign unicast frames are told apart', () => {
  const OWN = 0x02000000000a;
  const frame = (dst: string, src: string, ethertype = 0x0800, ipSrc = '192.168.1.20') => {
    const b = Buffer.alloc(34);
    b.write(dst.replace(/:/g, ''), 0, 'hex');
    b.write(src.replace(/:/g, ''), 6, 'hex');
    b.writeUInt16BE(ethertype, 12);
    b[14] = 0x45;
    ipSrc.split('.').forEach((o, i) => (b[26 + i] = Number(o)));
    return b;
  };
  const o = new PlacementObserver(OWN, [0xc0a8010a]);
  const feed = (b: Buffer) => o.packet(1, b, 0, b.length, b.length, 1_750_000_000);
  feed(frame('02:00:00:00:00:0a', '02:00:00:00:00:0b')); // peer → us
  feed(frame('02:00:00:00:00:0b', '02:00:00:00:00:0a', 0x0800, '192.168.1.10')); // us → peer (our IP)
  feed(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0c', 0x0800, '192.168.1.30')); // a broadcast
  feed(frame('01:00:5e:00:00:fb', '02:00:00:00:00:0d', 0x0800, '8.8.8.8')); // multicast, public source
  assert.equal(o.own, 2);
  assert.equal(o.groupFromOthers, 2);
  assert.equal(o.foreignUnicast, 0);
  assert.equal(o.macs.size, 3);
  assert.equal(o.localIps, 2, '192.168.1.20 and .30; not ours, not public');
  assert.equal(placementCheck(o, 10).status, 'warn');
  feed(frame('02:00:00:00:00:0c', '02:00:00:00:00:0b')); // two other devices talking
  assert.equal(o.foreignUnicast, 1);
  assert.equal(placementCheck(o, 10).status, 'ok');
  assert.equal(placementCheck(new PlacementObserver(OWN), 10).status, 'warn', 'no packets at all');
});
