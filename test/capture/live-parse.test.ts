/**
 * The text the live path reads: the helper's counter lines (tcpdump's SIGUSR1 and exit reports,
 * dumpcap's exit report, as those versions print them), the kernel's route tables, and interface
 * names (which end up in /sys paths and on a command line).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HelperStderr, parseHelperStatsLine, type HelperCounts } from '../../src/capture/helper-stats.js';
import { defaultRouteFromIpv6Table, defaultRouteFromTable, isValidInterfaceName } from '../../src/capture/interfaces.js';
import { helperArgs } from '../../src/capture/live.js';

const zero = (): HelperCounts => ({ captured: 0, received: 0, dropped: 0, ifDropped: 0 });

test("tcpdump's counter lines: the one-line SIGUSR1 report, the exit report, singular forms", () => {
  const c = zero();
  assert.ok(parseHelperStatsLine('tcpdump', 'tcpdump: 4 packets captured, 6 packets received by filter, 2 packets dropped by kernel', c));
  assert.deepEqual(c, { captured: 4, received: 6, dropped: 2, ifDropped: 0 });
  const err = new HelperStderr('tcpdump');
  err.push('tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n10 packets captured\n1');
  assert.equal(err.listening, true);
  err.push('1 packets received by filter\n1 packet dropped by kernel\n3 packets dropped by interface');
  err.end();
  assert.deepEqual(err.counts, { captured: 10, received: 11, dropped: 1, ifDropped: 3 });
  assert.equal(err.reported, true);
  assert.equal(parseHelperStatsLine('tcpdump', 'tcpdump: pcap_loop: The interface disappeared', zero()), false);
});

test("dumpcap's exit report", () => {
  const err = new HelperStderr('dumpcap');
  err.push("Capturing on 'Loopback: lo'\nFile: -\nPackets: 20 Packets captured: 20\n");
  err.push("Packets received/dropped on interface 'Loopback: lo': 25/5 (pcap:3/dumpcap:1/flushed:1/ps_ifdrop:2) (80.0%)\n");
  assert.equal(err.listening, true);
  assert.deepEqual(err.counts, { captured: 20, received: 25, dropped: 5, ifDropped: 2 });
});

test('the stderr tail is bounded and the failure reason skips banners and counters', () => {
  const err = new HelperStderr('tcpdump', null, 256);
  err.push('tcpdump: listening on x, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n');
  for (let i = 0; i < 100; i++) err.push(`noise line ${i}\n`);
  err.push('5 packets captured\ntcpdump: pcap_loop: The interface disappeared\n');
  assert.ok(err.tail.length <= 256);
  assert.match(err.tail, /The interface disappeared$/);
  assert.equal(err.reason, 'noise line 98 noise line 99 tcpdump: pcap_loop: The interface disappeared');
  const long = new HelperStderr('tcpdump', null, 64);
  long.push('x'.repeat(10_000));
  long.push('\n');
  assert.ok(long.tail.length <= 64);
});

test('default route from /proc/net/route and /proc/net/ipv6_route (lowest metric, up, not unreachable)', () => {
  const v4 = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
    'eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    'eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
  ].join('\n');
  assert.equal(defaultRouteFromTable(v4), 'eth0');
  assert.equal(defaultRouteFromTable(v4.split('\n').filter((l) => !l.startsWith('eth0\t00000000')).join('\n')), 'wlan0');
  assert.equal(defaultRouteFromTable('Iface\tDestination\n'), null);
  const v6 = [
    'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth1',
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
  ].join('\n');
  assert.equal(defaultRouteFromIpv6Table(v6), 'eth1');
});

test('interface names: what the kernel allows, nothing that walks a path or looks like an option argument', () => {
  for (const ok of ['eth0', 'enp3s0', 'wlan0', 'br-lan', 'veth12345678901', 'eth0.100']) assert.ok(isValidInterfaceName(ok), ok);
  for (const bad of ['', '.', '..', '../etc', 'a/b', 'eth0 ', 'eth0:1', 'x'.repeat(16)]) assert.ok(!isValidInterfaceName(bad), JSON.stringify(bad));
});

test('helper command lines: the filter comes after -- (tcpdump) or as -f\'s argument (dumpcap)', () => {
  assert.deepEqual(helperArgs('tcpdump', 'eth0', 65535, 4096, 'not port 22'), ['-i', 'eth0', '-w', '-', '-U', '-n', '--immediate-mode', '-s', '65535', '-B', '4096', '--', 'not port 22']);
  assert.deepEqual(helperArgs('dumpcap', 'eth0', 65535, 4096, 'not port 22'), ['-i', 'eth0', '-P', '-q', '-w', '-', '-s', '65535', '-B', '4', '-f', 'not port 22']);
  assert.ok(!helperArgs('tcpdump', 'eth0').includes('--'), 'no filter, no separator');
});
