/**
 * Real DHCP clients and a real DHCP/DNS server in network namespaces this test creates: busybox
 * udhcpc (with randomised MACs) against dnsmasq, captured by the real tcpdump, then replayed into
 * the inventory. Covers what the corpus lacks: a randomised MAC tied by DHCP client id, generic
 * host names that must not tie, and a reverse-DNS name for a local address. Nothing leaves the
 * namespaces; every step is bounded in time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventoryOf } from './run-inventory.js';

const ID = process.pid % 100000;
const NS_S = `vdev-s${ID}`;
const NS_C = `vdev-c${ID}`;
const IF_S = `vds${ID}`;
const IF_C = `vdc${ID}`;

const PHONE = '02:00:5e:10:00:01';
const PHONE_NEW_MAC = '02:00:5e:10:00:02';
const IPHONE_A = '02:00:5e:10:00:03';
const IPHONE_B = '02:00:5e:10:00:04';

function run(args: string[], timeout = 10_000): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.stdout || r.error}`);
  return r.stdout + r.stderr;
}

const inS = (...a: string[]) => run(['ip', 'netns', 'exec', NS_S, ...a]);
const inC = (...a: string[]) => run(['ip', 'netns', 'exec', NS_C, ...a]);

/** One DHCP exchange from the client namespace with `mac`; returns the leased address. */
function lease(mac: string, opts: string[]): string {
  inC('ip', 'link', 'set', IF_C, 'down');
  inC('ip', 'addr', 'flush', 'dev', IF_C);
  inC('ip', 'link', 'set', IF_C, 'address', mac);
  inC('ip', 'link', 'set', IF_C, 'up');
  // -q: quit with the lease; -n: fail rather than retry for ever; -s /bin/true: configure nothing.
  const out = inC('busybox', 'udhcpc', '-i', IF_C, '-f', '-q', '-n', '-t', '4', '-T', '1', '-s', '/bin/true', ...opts);
  const m = /lease of (\S+) obtained/.exec(out);
  assert.ok(m, out);
  return m[1];
}

test('randomised MACs through real udhcpc and dnsmasq: tie by DHCP client id, no tie by a generic name, reverse DNS names', { timeout: 60_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test creates network namespaces: run the suite as root (CI does)');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-live-dhcp-'));
  const procs: ChildProcess[] = [];
  t.after(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', NS_S]);
    spawnSync('ip', ['netns', 'del', NS_C]);
    rmSync(dir, { recursive: true, force: true });
  });
  run(['ip', 'netns', 'add', NS_S]);
  run(['ip', 'netns', 'add', NS_C]);
  run(['ip', 'link', 'add', IF_S, 'netns', NS_S, 'type', 'veth', 'peer', 'name', IF_C, 'netns', NS_C]);
  for (const ns of [inS, inC]) {
    // IPv4 only: keeps the capture to the exchanges under test.
    ns('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
    ns('sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1');
    ns('ip', 'link', 'set', 'lo', 'up');
  }
  inS('ip', 'addr', 'add', '10.77.0.1/24', 'dev', IF_S);
  inS('ip', 'link', 'set', IF_S, 'up');
  const serverMac = inS('cat', `/sys/class/net/${IF_S}/address`).trim();

  const capture = join(dir, 'dhcp.pcap');
  const dump = spawn('ip', ['netns', 'exec', NS_S, 'tcpdump', '-i', IF_S, '-U', '-w', capture, '-s', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(dump);
  let dumpErr = '';
  dump.stderr?.on('data', (d: Buffer) => (dumpErr += d.toString()));
  const dnsmasq = spawn('ip', ['netns', 'exec', NS_S, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--bind-interfaces', `--interface=${IF_S}`,
    '--except-interface=lo', '--dhcp-range=10.77.0.50,10.77.0.60,255.255.255.0,1h', '--no-ping', '--domain=lan', '--no-resolv', '--no-hosts',
    `--dhcp-leasefile=${join(dir, 'leases')}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(dnsmasq);
  let dnsmasqErr = '';
  dnsmasq.stderr?.on('data', (d: Buffer) => (dnsmasqErr += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!dumpErr.includes('listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(dumpErr.includes('listening'), `tcpdump: ${dumpErr}`);
  await new Promise((r) => setTimeout(r, 300)); // dnsmasq binds its sockets
  assert.equal(dnsmasq.exitCode, null, `dnsmasq: ${dnsmasqErr}`);

  // 1. A phone with a randomised MAC, a stable client id (option 61 of type 255) and a name.
  const ip1 = lease(PHONE, ['-x', 'hostname:phone-test', '-x', '0x3d:ff00112233445566', '-V', 'vigil-test-1.0']);
  inC('ip', 'addr', 'add', `${ip1}/24`, 'dev', IF_C);
  // The server's reverse DNS knows the lease by name.
  const ns = inC('busybox', 'nslookup', ip1, '10.77.0.1');
  assert.match(ns, /phone-test\.lan/);
  // 2. The same phone with a new random MAC (and, to prove what ties them, another name).
  const ip2 = lease(PHONE_NEW_MAC, ['-x', 'hostname:phone-test-2', '-x', '0x3d:ff00112233445566', '-V', 'vigil-test-1.0']);
  assert.equal(ip2, ip1, 'dnsmasq keys the lease on the client id');
  // 3. and 4. Two different phones, one after the other, both called iPhone.
  lease(IPHONE_A, ['-x', 'hostname:iPhone', '-x', '0x3d:ff0303030303']);
  lease(IPHONE_B, ['-x', 'hostname:iPhone', '-x', '0x3d:ff0404040404']);
  await new Promise((r) => setTimeout(r, 300));
  dump.kill('SIGINT');
  await new Promise((r) => (dump.exitCode !== null ? r(null) : dump.on('close', r)));
  dnsmasq.kill('SIGTERM');
  assert.ok(readFileSync(capture).length > 24 * 10, 'packets were captured');

  const { inv, alerts } = await inventoryOf(capture);
  const phone = inv.get(PHONE);
  assert.ok(phone);
  assert.equal(phone.randomized, true);
  assert.equal(phone.vendor, null);
  assert.equal(phone.dhcp.hostname, 'phone-test');
  assert.equal(phone.dhcp.clientId, 'ff00112233445566');
  assert.equal(phone.dhcp.vendorClass, 'vigil-test-1.0');
  assert.match(phone.dhcp.paramList ?? '', /^\d+(,\d+)+$/);
  assert.deepEqual(phone.names.map((n) => [n.source, n.name]).sort(), [['dhcp', 'phone-test'], ['dns_ptr', 'phone-test.lan']]);
  assert.deepEqual(phone.addresses.map((a) => a.ip), [ip1]);
  assert.equal(phone.sameAs, null);

  const moved = inv.get(PHONE_NEW_MAC);
  assert.equal(moved?.sameAs, PHONE);
  assert.equal(moved?.dhcp.hostname, 'phone-test-2');
  assert.equal(inv.macForIp(ip1), PHONE_NEW_MAC, 'the address belongs to the newest claim');
  const changed = alerts.filter((a) => a.code === 'device.mac_changed');
  assert.deepEqual(changed.map((a) => [a.device, a.severity, a.evidence.previous_mac, a.evidence.matched_by, a.evidence.value]),
    [[PHONE_NEW_MAC, 'info', PHONE, 'dhcp_client_id', 'ff00112233445566']]);

  assert.equal(inv.get(IPHONE_A)?.sameAs, null);
  assert.equal(inv.get(IPHONE_B)?.sameAs, null, '"iPhone" is too common a name to tie two MACs');
  assert.equal(inv.get(IPHONE_B)?.type, 'phone');
  const server = inv.get(serverMac);
  assert.equal(server?.type, 'router');
  assert.deepEqual(server?.addresses.map((a) => a.ip), ['10.77.0.1']);
  assert.deepEqual(alerts.filter((a) => a.code === 'new_device').map((a) => a.device).sort(), [PHONE, IPHONE_A, IPHONE_B, serverMac].sort());
  assert.equal(inv.size, 5);

  // Names per device are capped, keeping the most recently seen.
  const capped = await inventoryOf(capture, { maxNamesPerDevice: 1 });
  assert.deepEqual(capped.inv.get(PHONE)?.names.map((n) => n.name), ['phone-test.lan']);
  assert.ok((capped.counters.get('device.names_capped') ?? 0) >= 1);
});
