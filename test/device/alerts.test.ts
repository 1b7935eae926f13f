/**
 * new_device alerts, the grace period, persistence round trips (load/drainDirty), caps and the
 * randomised-MAC tie, on real captures, moved in time or given another MAC with the pcap writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertList } from '../../src/alert/alert.js';
import { DeviceInventory } from '../../src/device/inventory.js';
import { pcap } from '../helpers/analyze.js';
import { readCapture, rewriteMac, shift, startAt, writePcap } from '../helpers/pcap-writer.js';
import { feed, inventoryOf } from './run-inventory.js';

const DAY = 86400;
const TUYA = pcap('ndpi/tuya_lp.pcap');
const TPLINK = pcap('ndpi/tplink_shp.pcap');
const NAS = pcap('suricata-verify/dhcp-eve-extended.pcap');

function tempDir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-device-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('new_device once per MAC: a second replay, a restarted inventory and a device back after weeks raise nothing', async (t) => {
  const { inv, alerts } = await inventoryOf(TUYA);
  assert.equal(inv.size, 13);
  assert.equal(alerts.length, 13);
  assert.deepEqual(new Set(alerts.map((a) => a.key)), new Set(inv.all().map((d) => `new_device|${d.mac}`)));
  for (const a of alerts) {
    assert.equal(a.code, 'new_device');
    assert.equal(a.ts, inv.get(a.device ?? '')?.firstSeen);
  }
  const espressif = alerts.find((a) => a.device === 'cc:50:e3:7d:8b:f0');
  assert.equal(espressif?.summary, 'A new device joined the network: Espressif Inc. device (cc:50:e3:7d:8b:f0) at 192.168.242.175.');

  await feed(inv, TUYA);
  assert.equal(alerts.length, 13, 'the same capture again: nothing new');

  // Restart: a new inventory loaded with what the store had; the devices come back weeks later.
  const later = join(tempDir(t), 'tuya-later.pcap');
  writePcap(later, shift(readCapture(TUYA), 30 * DAY));
  const restarted = new AlertList();
  const inv2 = new DeviceInventory(restarted, { newDeviceGraceSeconds: 0 });
  inv2.load(inv.all());
  await feed(inv2, later);
  assert.equal(restarted.alerts.length, 0);
  assert.equal(inv2.size, 13);
  const d = inv2.get('cc:50:e3:7d:8b:f0');
  assert.equal(d?.firstSeen, inv.get('cc:50:e3:7d:8b:f0')?.firstSeen, 'first seen survives');
  assert.ok((d?.lastSeen ?? 0) >= (inv.get('cc:50:e3:7d:8b:f0')?.lastSeen ?? 0) + 30 * DAY - 1);
});

test('a new MAC on an old address is new, and the alert says which device had the address', async (t) => {
  const { inv } = await inventoryOf(TUYA);
  const next = join(tempDir(t), 'tuya-swapped.pcap');
  // The next day, the plug at .175 is replaced: same address, another Espressif MAC.
  writePcap(next, shift(rewriteMac(readCapture(TUYA), 'cc:50:e3:7d:8b:f0', 'cc:50:e3:11:22:33'), DAY));
  const alerts = new AlertList();
  const inv2 = new DeviceInventory(alerts, { newDeviceGraceSeconds: 0 });
  inv2.load(inv.all());
  await feed(inv2, next);
  assert.equal(alerts.alerts.length, 1);
  const a = alerts.alerts[0];
  assert.equal(a.device, 'cc:50:e3:11:22:33');
  assert.equal(a.evidence.previous_mac, 'cc:50:e3:7d:8b:f0');
  assert.equal(a.evidence.previous_ip, '192.168.242.175');
  assert.equal(a.summary, 'A new device joined the network: Espressif Inc. device (cc:50:e3:11:22:33) at 192.168.242.175. Its address 192.168.242.175 belonged to cc:50:e3:7d:8b:f0 before.');
  assert.equal(inv2.macForIp('192.168.242.175'), 'cc:50:e3:11:22:33', 'the newest claim owns the address');
});

test('grace period: no alerts in the first hour after the first packet; devices that join later alert', async (t) => {
  // Default grace (3600 s), no persisted start: a 31-minute capture is the initial inventory.
  const first = await inventoryOf(TPLINK, { newDeviceGraceSeconds: undefined });
  assert.equal(first.inv.size, 8);
  assert.equal(first.alerts.length, 0);
  const t0 = Math.min(...first.inv.all().map((d) => d.firstSeen));
  assert.equal(first.inv.startedAt, t0, 'start = earliest packet time seen');
  // Two days later other devices join: they alert.
  const later = join(tempDir(t), 'tuya-day3.pcap');
  writePcap(later, startAt(readCapture(TUYA), t0 + 2 * DAY));
  await feed(first.inv, later);
  assert.equal(first.alerts.length, 13);

  // A persisted start 2.5 s before... an hour ago: the grace ends in the middle of the capture.
  const base = await inventoryOf(TUYA);
  const tuya0 = base.inv.startedAt ?? 0;
  const cut = tuya0 + 2.5;
  const r = await inventoryOf(TUYA, { newDeviceGraceSeconds: 3600, startedAt: cut - 3600 });
  const expected = base.inv.all().filter((d) => d.firstSeen >= cut).map((d) => d.mac).sort();
  assert.ok(expected.length > 3 && expected.length < 13, `${expected.length} devices after the cut`);
  assert.deepEqual(r.alerts.map((a) => a.device).sort(), expected);
  assert.equal(r.inv.startedAt, cut - 3600, 'a persisted start is kept');
});

test('an alert waits (in packet time) for the name; flush() raises what still waits at end of input', async () => {
  const alerts = new AlertList();
  const inv = new DeviceInventory(alerts, { newDeviceGraceSeconds: 0 });
  const { analyze } = await import('../../src/engine/analyze.js');
  await analyze([TUYA], inv);
  // The 4.6 s capture holds no names and is shorter than the 30 s wait: nothing raised yet.
  assert.equal(alerts.alerts.length, 0);
  inv.flush();
  assert.equal(alerts.alerts.length, 13);
  // tplink_shp lasts 31 minutes: every device is due during the capture, before any flush.
  const a2 = new AlertList();
  const inv2 = new DeviceInventory(a2, { newDeviceGraceSeconds: 0 });
  await analyze([TPLINK], inv2);
  assert.equal(a2.alerts.length, 8);
});

test('drainDirty hands out each change once; lastSeen alone only once it moved a minute', async (t) => {
  const mdns = pcap('zeek/mdns.pcap');
  const { inv } = await inventoryOf(mdns);
  const first = inv.drainDirty();
  assert.equal(first.length, 1);
  assert.deepEqual(first[0], inv.get('8a:3c:d6:e1:4d:c4'));
  assert.deepEqual(inv.drainDirty(), []);
  const dir = tempDir(t);
  const soon = join(dir, 'mdns-30s.pcap');
  writePcap(soon, shift(readCapture(mdns), 30));
  await feed(inv, soon);
  assert.deepEqual(inv.drainDirty(), [], '30 s later, nothing but lastSeen changed');
  const later = join(dir, 'mdns-2min.pcap');
  writePcap(later, shift(readCapture(mdns), 120));
  await feed(inv, later);
  const again = inv.drainDirty();
  assert.equal(again.length, 1);
  assert.ok(again[0].lastSeen >= first[0].lastSeen + 119);
  assert.equal(inv.setLabel('8a:3c:d6:e1:4d:c4', 'Johanna\'s VM'), true);
  assert.equal(inv.setLabel('00:00:00:00:00:01', 'x'), false);
  assert.deepEqual(inv.drainDirty().map((d) => d.label), ['Johanna\'s VM']);
});

test('caps: devices, addresses per device and string length are bounded and counted', async () => {
  const few = await inventoryOf(TUYA, { maxDevices: 3 });
  assert.equal(few.inv.size, 3);
  assert.equal(few.alerts.length, 3);
  assert.ok((few.counters.get('device.capped') ?? 0) >= 10);

  const one = await inventoryOf(pcap('zeek/mdns.pcap'), { maxAddressesPerDevice: 1 });
  const full = await inventoryOf(pcap('zeek/mdns.pcap'));
  const vm = one.inv.get('8a:3c:d6:e1:4d:c4');
  assert.equal(vm?.addresses.length, 1);
  const newest = [...(full.inv.get('8a:3c:d6:e1:4d:c4')?.addresses ?? [])].sort((a, b) => b.lastSeen - a.lastSeen)[0];
  assert.equal(vm?.addresses[0].ip, newest.ip, 'the most recently seen address stays');
  assert.ok((one.counters.get('device.addresses_capped') ?? 0) >= 2);
  for (const a of full.inv.get('8a:3c:d6:e1:4d:c4')?.addresses ?? []) {
    assert.equal(one.inv.macForIp(a.ip), a.ip === newest.ip ? vm?.mac : null, `owner of ${a.ip}`);
  }

  const short = await inventoryOf(pcap('ndpi/android.pcap'), { maxStringLength: 5 });
  assert.equal(short.inv.get('d8:30:62:56:00:1c')?.dhcp.hostname, 'Lucas');
  assert.deepEqual(short.inv.get('d8:30:62:56:00:1c')?.names.map((n) => n.name), ['Lucas']);
  assert.ok((short.counters.get('device.strings_truncated') ?? 0) >= 1);
});

test('a randomised MAC with the DHCP host name of a device that went quiet is that device, not a new one', async (t) => {
  const { inv } = await inventoryOf(NAS);
  const dir = tempDir(t);
  // The next day the NAS comes back with a locally administered MAC (chaddr and client id follow).
  const next = join(dir, 'nas-random-mac.pcap');
  writePcap(next, shift(rewriteMac(readCapture(NAS), '00:11:32:17:49:f0', '02:11:32:aa:bb:cc', { payload: true }), DAY));
  const alerts = new AlertList();
  const inv2 = new DeviceInventory(alerts, { newDeviceGraceSeconds: 0 });
  inv2.load(inv.all());
  await feed(inv2, next);
  const d = inv2.get('02:11:32:aa:bb:cc');
  assert.ok(d);
  assert.equal(d.randomized, true);
  assert.equal(d.vendor, null);
  assert.equal(d.dhcp.hostname, 'nas1');
  assert.equal(d.dhcp.clientId, '01021132aabbcc', 'the client id carried the MAC');
  assert.equal(d.sameAs, '00:11:32:17:49:f0');
  assert.deepEqual(alerts.alerts.map((a) => [a.code, a.severity, a.device, a.evidence.previous_mac, a.evidence.matched_by]),
    [['device.mac_changed', 'info', '02:11:32:aa:bb:cc', '00:11:32:17:49:f0', 'dhcp_hostname']]);
  assert.equal(alerts.alerts[0].key, 'device.mac_changed|02:11:32:aa:bb:cc');

  // The same host name at the same time as the original: two devices, so the new one is new.
  const same = join(dir, 'nas-random-mac-same-time.pcap');
  writePcap(same, rewriteMac(readCapture(NAS), '00:11:32:17:49:f0', '02:11:32:aa:bb:cc', { payload: true }));
  const a3 = new AlertList();
  const inv3 = new DeviceInventory(a3, { newDeviceGraceSeconds: 0 });
  inv3.load(inv.all());
  await feed(inv3, same);
  assert.equal(inv3.get('02:11:32:aa:bb:cc')?.sameAs, null);
  assert.deepEqual(a3.alerts.map((a) => [a.code, a.device]), [['new_device', '02:11:32:aa:bb:cc']]);
});
