/**
 * What a user meets before the first packet: a missing helper, a missing permission, a wrong
 * interface or filter (each one coded error with the fix), and the two ways Vigil captures
 * without root, run for real as user `nobody`: the capability-carrying helper copy that
 * scripts/install-capture.sh makes, and the ambient capability of the systemd unit in deploy/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveSource, checkHelper, classifyHelperFailure, type LiveEvent, type LiveOptions } from '../../src/capture/live.js';
import type { PacketSink } from '../../src/capture/packet-sink.js';
import { isVigilError, type VigilError } from '../../src/util/errors.js';
import { REPO } from '../helpers/analyze.js';
import { NetLab, sendUdp, sh, waitFor } from './live-netns.js';

const lab = new NetLab();
let NS = '';
let tmp = '';
const GROUP = `vgt${lab.tag}`;

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests create namespaces and a group: run the suite as root (CI does)');
  NS = lab.ns('p');
  tmp = mkdtempSync(join(tmpdir(), 'vigil-priv-'));
  chmodSync(tmp, 0o755); // user nobody must reach the helper copy and the wrappers
});
after(() => {
  lab.close();
  spawnSync('groupdel', [GROUP]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** An executable wrapper script, so a LiveSource helper can be "tcpdump as someone else". */
function wrapper(name: string, body: string): string {
  const p = join(tmp, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

async function failure(opts: LiveOptions): Promise<VigilError> {
  const src = new LiveSource({ log: () => {}, restart: { minMs: 50, maxMs: 100 }, ...opts });
  const sink: PacketSink = { packet() {} };
  try {
    await src.run(sink);
  } catch (e) {
    assert.ok(isVigilError(e), `a VigilError, not ${String(e)}`);
    return e;
  }
  assert.fail('run() should have failed at the first start');
}

test('a helper path that does not exist: VIGIL_ERR_CAPTURE_HELPER_MISSING saying what to install; root is warned once', { timeout: 30_000 }, async () => {
  const events: LiveEvent[] = [];
  const e = await failure({ iface: 'lo', helperPath: join(tmp, 'no-such-tcpdump'), onEvent: (ev) => events.push(ev) });
  assert.equal(e.code, 'VIGIL_ERR_CAPTURE_HELPER_MISSING');
  assert.match(e.message, /no-such-tcpdump does not exist: run scripts\/setup\.sh \(or apt install tcpdump\)/);
  // The suite runs as root: the first start says once that Vigil should not.
  const root = events.filter((x) => x.kind === 'running_as_root');
  assert.equal(root.length, 1);
  assert.match(root[0].message, /does not need to and should not: run `sudo scripts\/install-capture\.sh`/);
  const again: LiveEvent[] = [];
  await failure({ iface: 'lo', helperPath: join(tmp, 'no-such-tcpdump'), onEvent: (ev) => again.push(ev) });
  assert.equal(again.filter((x) => x.kind === 'running_as_root').length, 0, 'warned once per process');
});

test('tcpdump not installed at all: the sentence names the package', { timeout: 30_000 }, () => {
  const f = classifyHelperFailure({ resolved: { helper: 'tcpdump', path: 'tcpdump', explicit: false, note: null }, iface: 'eth0' }, 'ENOENT', '', 'exit code ?');
  assert.equal(f.code, 'VIGIL_ERR_CAPTURE_HELPER_MISSING');
  assert.equal(f.message, 'tcpdump is not installed: run scripts/setup.sh (or apt install tcpdump).');
  const d = classifyHelperFailure({ resolved: { helper: 'dumpcap', path: 'dumpcap', explicit: false, note: null }, iface: 'eth0' }, 'ENOENT', '', 'exit code ?');
  assert.equal(d.message, 'dumpcap is not installed: run scripts/setup.sh (or apt install wireshark-common).');
});

test('the helper without permission: VIGIL_ERR_CAPTURE_PERMISSION with the fix, from run() and from checkHelper', { timeout: 30_000 }, async () => {
  const nobody = wrapper('tcpdump-as-nobody', 'exec setpriv --reuid=65534 --regid=65534 --clear-groups -- /usr/bin/tcpdump "$@"');
  const e = await failure({ iface: 'lo', helperPath: nobody });
  assert.equal(e.code, 'VIGIL_ERR_CAPTURE_PERMISSION');
  assert.match(e.message, /may not capture on lo as user root: run `sudo scripts\/install-capture\.sh` to give the capture helper CAP_NET_RAW, or run Vigil under the systemd unit in deploy\//);
  const c = await checkHelper({ iface: 'lo', helperPath: nobody });
  assert.equal(c.ok, false);
  assert.equal(c.error?.code, 'VIGIL_ERR_CAPTURE_PERMISSION');
  const ok = await checkHelper({ iface: 'lo' });
  assert.equal(ok.ok, true, `root's tcpdump may capture: ${ok.error?.message}`);
  assert.equal(ok.error, null);
});

test('an interface that does not exist: VIGIL_ERR_CAPTURE_INTERFACE listing the ones that do', { timeout: 30_000 }, async () => {
  const e = await failure({ iface: 'vgnosuch0' });
  assert.equal(e.code, 'VIGIL_ERR_CAPTURE_INTERFACE');
  assert.match(e.message, /^interface vgnosuch0 does not exist; interfaces here: .*\blo\b.*Choose one with -i\.$/);
  const bad = await failure({ iface: '../../etc' });
  assert.equal(bad.code, 'VIGIL_ERR_CAPTURE_INTERFACE', 'a path is not an interface name');
});

test('a filter tcpdump rejects: VIGIL_ERR_CONFIG quoting it', { timeout: 30_000 }, async () => {
  const e = await failure({ iface: 'lo', bpf: 'udp portt 9999' });
  assert.equal(e.code, 'VIGIL_ERR_CONFIG');
  assert.match(e.message, /the capture filter 'udp portt 9999' is not valid \(.*syntax error.*\): fix it/);
  // A filter is one argument after `--`: it can never smuggle in an option.
  const opt = await failure({ iface: 'lo', bpf: '-V /etc/shadow' });
  assert.equal(opt.code, 'VIGIL_ERR_CONFIG');
});

test('a helper whose output is not a capture: VIGIL_ERR_CAPTURE_OPEN saying so', { timeout: 30_000 }, async () => {
  const fake = wrapper('not-a-capture', 'echo "this is not pcap"; sleep 5');
  const e = await failure({ iface: 'lo', helperPath: fake });
  assert.equal(e.code, 'VIGIL_ERR_CAPTURE_OPEN');
  assert.match(e.message, /stopped at start .*its output stopped being a capture: not a pcap or pcapng file/);
});

/** Captures 60 datagrams on the lab namespace's loopback through `helperPath`; returns the count. */
async function captureAs(helperPath: string): Promise<number> {
  const ac = new AbortController();
  let started = false;
  let n = 0;
  // LiveSource checks `lo` in this namespace; the wrapper runs the helper inside the lab's.
  const src = new LiveSource({ iface: 'lo', bpf: 'udp port 9999', helperPath, signal: ac.signal, log: () => {}, onEvent: (e) => (started ||= e.kind === 'helper_start') });
  const done = src.run({ packet: () => void n++ });
  try {
    await waitFor(() => started, 10_000, () => 'the helper to listen');
    await sendUdp(NS, { dst: '127.0.0.1', port: 9999, count: 60 });
    await waitFor(() => n === 60, 10_000, () => `60 packets (have ${n})`);
  } finally {
    ac.abort();
    await done;
  }
  return n;
}

test('scripts/install-capture.sh: a capability-carrying tcpdump copy for one group; user nobody in it captures, outside it may not', { timeout: 60_000 }, async () => {
  const dir = join(tmp, 'lib');
  const env = { ...process.env, VIGIL_GROUP: GROUP, VIGIL_HELPER_DIR: dir, VIGIL_USER: 'nobody' };
  const script = join(REPO, 'scripts', 'install-capture.sh');
  const first = spawnSync(script, [], { env, encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`created system group ${GROUP}`));
  assert.match(first.stdout, /installed .*lib\/tcpdump from .*tcpdump \(root:vgt\d+, mode 0750, cap_net_raw=eip\)/);
  assert.match(first.stdout, new RegExp(`added nobody to group ${GROUP}`));

  const copy = join(dir, 'tcpdump');
  const st = statSync(copy);
  assert.equal(st.mode & 0o777, 0o750, 'not executable by others');
  assert.equal(st.uid, 0);
  assert.equal(String(st.gid), sh('getent', ['group', GROUP]).split(':')[2]);
  assert.match(sh('getcap', [copy]), /cap_net_raw=eip/);
  assert.ok(sh('id', ['-nG', 'nobody']).split(/\s+/).includes(GROUP));

  const second = spawnSync(script, [], { env, encoding: 'utf8' });
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`group ${GROUP} exists`));
  assert.match(second.stdout, /is already installed/);
  assert.match(second.stdout, /nobody is already in group/);

  // nobody, with its groups from /etc/group: the copy runs and its file capability lets it capture.
  // (`sh -c exec` makes the exec happen after setpriv dropped every privilege, as for a login.)
  const member = wrapper('copy-as-member', `exec ip netns exec ${NS} setpriv --reuid=65534 --regid=65534 --init-groups -- sh -c 'exec "$0" "$@"' ${copy} "$@"`);
  assert.equal(await captureAs(member), 60);

  // Outside the group the copy is not even executable.
  const outsider = wrapper('copy-as-outsider', `exec ip netns exec ${NS} setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c 'exec "$0" "$@"' ${copy} "$@"`);
  const e = await failure({ iface: 'lo', helperPath: outsider });
  assert.equal(e.code, 'VIGIL_ERR_CAPTURE_PERMISSION');

  const unprivileged = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', script], { env, encoding: 'utf8' });
  assert.equal(unprivileged.status, 1);
  assert.match(unprivileged.stderr, /needs root .* run it as 'sudo /);
});

test('deploy/vigil.service: valid for systemd, and its capability setup (user, ambient caps, no_new_privs) captures with the stock tcpdump', { timeout: 30_000 }, async () => {
  const unitPath = join(REPO, 'deploy', 'vigil.service');
  const unit = readFileSync(unitPath, 'utf8');
  const key = (k: string) => unit.match(new RegExp(`^${k}=(.*)$`, 'm'))?.[1]?.trim();
  assert.equal(key('User'), 'vigil');
  assert.equal(key('NoNewPrivileges'), 'yes');
  assert.equal(key('StateDirectory'), 'vigil');
  assert.equal(key('ProtectSystem'), 'strict');
  const ambient = (key('AmbientCapabilities') ?? '').split(/\s+/).filter(Boolean);
  assert.ok(ambient.includes('CAP_NET_RAW'), 'the unit grants CAP_NET_RAW');
  assert.deepEqual((key('CapabilityBoundingSet') ?? '').split(/\s+/).filter(Boolean).sort(), [...ambient].sort());
  if (existsSync('/usr/bin/systemd-analyze')) {
    const v = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.equal(v.stderr.trim(), '', 'no unknown keys or bad values');
  }
  // What systemd does for this unit, done with setpriv: an unprivileged user, the unit's ambient
  // capabilities and bounding set, no_new_privs. The stock tcpdump then captures.
  const caps = ambient.map((c) => '+' + c.replace(/^CAP_/, '').toLowerCase()).join(',');
  const asUnit = wrapper('tcpdump-as-unit', `exec ip netns exec ${NS} setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=${caps} --ambient-caps=${caps} --bounding-set=-all,${caps} --no-new-privs -- /usr/bin/tcpdump "$@"`);
  assert.equal(await captureAs(asUnit), 60);
  // The same without the ambient capabilities fails: the capture really rests on them.
  const without = wrapper('tcpdump-without-caps', `exec ip netns exec ${NS} setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs -- /usr/bin/tcpdump "$@"`);
  assert.equal((await failure({ iface: 'lo', helperPath: without })).code, 'VIGIL_ERR_CAPTURE_PERMISSION');
});
