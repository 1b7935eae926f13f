/**
 * The device inventory on real captures from the corpus, run through the real engine: what it
 * learns from DHCP, mDNS, SSDP, NetBIOS, ARP/ND and flows, and what it must not believe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '../../src/device/device.js';
import { AddrKind, addrKind } from '../../src/device/ip.js';
import { isUnicastMac } from '../../src/device/oui.js';
import { PCAPS, pcap } from '../helpers/analyze.js';
import { inventoryOf } from './run-inventory.js';

function dev(devices: Device[], mac: string): Device {
  const d = devices.find((x) => x.mac === mac);
  assert.ok(d, `device ${mac} in ${devices.map((x) => x.mac).join(' ')}`);
  return d;
}

const names = (d: Device, source?: string) => d.names.filter((n) => source === undefined || n.source === source).map((n) => n.name);
const ips = (d: Device) => d.addresses.map((a) => a.ip).sort();

test('wants exactly the logs it reads', async () => {
  const { inv } = await inventoryOf([]);
  for (const p of ['arp', 'ndp', 'dhcp', 'dns', 'ssdp', 'netbios', 'conn']) assert.equal(inv.wants(p), true, p);
  for (const p of ['ssl', 'http', 'weird', 'ssh', 'dhcpv6']) assert.equal(inv.wants(p), false, p);
});

test('DHCP: host name (NUL padding removed), parameter list, client id, acknowledged address, Synology vendor -> NAS (dhcp-eve-extended)', async () => {
  const { inv, alerts } = await inventoryOf(pcap('suricata-verify/dhcp-eve-extended.pcap'));
  const all = inv.all();
  const nas = dev(all, '00:11:32:17:49:f0');
  assert.equal(nas.vendor, 'Synology Incorporated');
  assert.deepEqual(nas.dhcp, { hostname: 'nas1', fqdn: null, vendorClass: null, clientId: '010011321749f0', paramList: '1,28,2,3,15,6,12' });
  assert.deepEqual(names(nas), ['nas1']);
  assert.deepEqual(ips(nas), ['10.16.1.4']);
  assert.equal(nas.type, 'nas');
  assert.ok(nas.typeEvidence.some((e) => e.includes('nas1')) && nas.typeEvidence.some((e) => e.includes('Synology')), nas.typeEvidence.join(' | '));
  // The server answered from 10.16.1.1 and named itself the router in the lease (option 3).
  const server = dev(all, 'a0:36:9f:4c:4c:28');
  assert.deepEqual(ips(server), ['10.16.1.1']);
  assert.equal(server.type, 'router');
  assert.deepEqual(server.typeEvidence, ['named as the router by DHCP', 'hands out DHCP leases']);
  assert.equal(inv.macForIp('10.16.1.4'), nas.mac);
  assert.equal(inv.macForIp('10.16.1.1'), server.mac);
  const a = alerts.find((x) => x.device === nas.mac);
  assert.ok(a);
  assert.equal(a.code, 'new_device');
  assert.equal(a.severity, 'low');
  assert.equal(a.key, 'new_device|00:11:32:17:49:f0');
  assert.equal(a.summary, 'A new device joined the network: "nas1" (Synology Incorporated, 00:11:32:17:49:f0) at 10.16.1.4.');
  assert.deepEqual({ mac: a.evidence.mac, vendor: a.evidence.vendor, ip: a.evidence.ip, name: a.evidence.name }, { mac: nas.mac, vendor: 'Synology Incorporated', ip: '10.16.1.4', name: 'nas1' });
});

test('DHCP: a client on a public LAN is a device without addresses; its server with a public address is not a device (zeek dhcp.pcap)', async () => {
  const { inv } = await inventoryOf(pcap('zeek/dhcp.pcap'));
  const all = inv.all();
  assert.deepEqual(all.map((d) => d.mac), ['90:b1:1c:99:49:29']);
  const c = all[0];
  assert.equal(c.vendor, 'Dell Inc.');
  assert.equal(c.dhcp.hostname, 'btest.is.cool');
  assert.deepEqual(c.addresses, [], '128.2.6.189 is public: not recorded as the device\'s own');
  assert.equal(inv.macForIp('128.2.6.189'), null);
});

test('DHCP: Grandstream VoIP phone and Android phones typed from vendor, vendor class and fingerprint (wireshark-dhcp, android, alexa-app)', async () => {
  const ws = (await inventoryOf(pcap('arkime/wireshark-dhcp.pcap'))).inv.all();
  const voip = dev(ws, '00:0b:82:01:fc:42');
  assert.equal(voip.vendor, 'Grandstream Networks, Inc.');
  assert.equal(voip.dhcp.paramList, '1,3,6,42');
  assert.deepEqual(ips(voip), ['192.168.0.10'], 'the address of the ACK');
  assert.equal(voip.type, 'voip');
  // The DHCP server names no router in its lease: serving DHCP alone (a Pi-hole, a NAS) is a weak
  // router hint that loses to the vendor's.
  const server = dev(ws, '00:08:74:ad:f1:9b');
  assert.deepEqual(ips(server), ['192.168.0.1']);
  assert.equal(server.type, 'computer');
  assert.deepEqual(server.typeEvidence, ['PC maker (vendor Dell Inc.)']);

  const an = (await inventoryOf(pcap('ndpi/android.pcap'))).inv.all();
  const phone = dev(an, '4c:6a:f6:9f:f6:27');
  assert.equal(phone.dhcp.vendorClass, 'android-dhcp-9');
  assert.equal(phone.type, 'phone');
  assert.ok(phone.typeEvidence[0].includes('android-dhcp-9'), phone.typeEvidence.join(' | '));
  const imac = dev(an, 'd8:30:62:56:00:1c');
  assert.equal(imac.vendor, 'Apple, Inc.');
  assert.deepEqual(names(imac, 'dhcp'), ['Lucas-iMac']);
  assert.equal(imac.type, 'computer');
  // The phone hotspot forwards the internet with its own (randomised) MAC: it gets its LAN address
  // only, and is recognised as the router.
  const gw = dev(an, 'c6:2c:03:60:6a:64');
  assert.equal(gw.randomized, true);
  assert.equal(gw.vendor, null);
  assert.deepEqual(ips(gw), ['192.168.2.1']);
  assert.equal(gw.type, 'router');
  assert.ok(gw.typeEvidence.includes('forwards internet traffic'), gw.typeEvidence.join(' | '));

  const lg = dev((await inventoryOf(pcap('ndpi/alexa-app.pcapng'))).inv.all(), '78:f8:82:d3:fb:c2');
  assert.equal(lg.dhcp.hostname, 'android-1c1335ec95a27318');
  assert.equal(lg.dhcp.vendorClass, 'dhcpcd-5.5.6');
  assert.equal(lg.type, 'phone');
  assert.deepEqual(ips(lg), ['172.16.42.216', 'fe80::7af8:82ff:fed3:fbc2']);
});

test('mDNS: names tied to the sender; what a host asks for is not what it offers (zeek mdns.pcap)', async () => {
  const { inv } = await inventoryOf(pcap('zeek/mdns.pcap'));
  const all = inv.all();
  assert.equal(all.length, 1);
  const vm = all[0];
  assert.equal(vm.mac, '8a:3c:d6:e1:4d:c4');
  assert.equal(vm.randomized, true);
  assert.equal(vm.vendor, null);
  assert.deepEqual(names(vm), ['johanna-QEMU-Virtual-Machine']);
  assert.deepEqual(names(vm, 'mdns'), ['johanna-QEMU-Virtual-Machine']);
  assert.deepEqual(ips(vm), ['10.0.2.7', 'fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4', 'fe80::883c:d6ff:fee1:4dc4']);
  // It browsed for _ipps._tcp (queries merged with its own answers in dns.log): not a printer.
  assert.deepEqual(vm.mdnsServices, []);
  assert.notEqual(vm.type, 'printer');
  assert.equal(inv.macForIp('fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4'), vm.mac);
  assert.equal(inv.macForIp('fd52:429e:c03c:8235:0:0:0:0'), null);
});

test('mDNS over fragmented IPv6: instance name, offered service, TXT model -> Mac desktop; router advertisements -> router (mdns-ipv6-frag-9)', async () => {
  const all = (await inventoryOf(pcap('suricata-verify/mdns-ipv6-frag-9.pcap'))).inv.all();
  const imac = dev(all, 'a8:60:b6:0b:27:cd');
  assert.equal(imac.vendor, 'Apple, Inc.');
  assert.deepEqual(names(imac, 'mdns'), ['John’s iMac']);
  assert.deepEqual(imac.mdnsServices, ['_companion-link._tcp.local'], 'the _apple-pairable query is not an offer');
  assert.equal(imac.type, 'computer');
  assert.ok(imac.typeEvidence.some((e) => e.includes('model=iMac17,1')), imac.typeEvidence.join(' | '));
  const router = dev(all, '64:00:6a:5b:8e:b3');
  assert.equal(router.type, 'router');
  assert.deepEqual(router.typeEvidence, ['sends IPv6 router advertisements']);
  assert.deepEqual(ips(router), ['fe80::6600:6aff:fe5b:8eb3']);
});

test('SSDP: a NOTIFY\'s SERVER string is kept and identifies the router; an M-SEARCH\'s target does not make the searcher a TV', async () => {
  const ssdp = (await inventoryOf(pcap('suricata-verify/ssdp.pcap'))).inv.all();
  const r = dev(ssdp, 'e0:91:f5:73:8c:c2');
  assert.equal(r.vendor, 'Netgear');
  assert.deepEqual(r.ssdpServers, ['UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6']);
  assert.deepEqual(ips(r), ['192.168.1.1']);
  assert.equal(r.type, 'router');
  assert.ok(r.typeEvidence[0].startsWith('router UPnP stack (SSDP UPnP/Tomato'), r.typeEvidence.join(' | '));

  // home-multicast-short: 192.168.0.10 searches for DIAL screens (urn:dial-multiscreen-org…).
  const home = (await inventoryOf(pcap('zeek/home-multicast-short.pcap'))).inv.all();
  const searcher = dev(home, '7c:10:c9:44:16:bb');
  assert.deepEqual(ips(searcher), ['192.168.0.10']);
  assert.notEqual(searcher.type, 'tv');
  assert.equal(home.length, 4);

  // upnp.pcap is WS-Discovery (port 3702) from one Dell host over IPv4 and IPv6.
  const upnp = (await inventoryOf(pcap('ndpi/upnp.pcap'))).inv.all();
  assert.deepEqual(upnp.map((d) => [d.mac, d.vendor, ips(d)]), [['18:db:f2:2f:a0:18', 'Dell Inc.', ['192.168.61.66', 'fe80::3441:3d24:6d30:a807']]]);
});

test('NetBIOS: the <20> machine name is the device\'s; the workgroup it registers is not (nbns.pcap)', async () => {
  const { inv, alerts } = await inventoryOf(pcap('arkime/nbns.pcap'));
  const all = inv.all();
  assert.equal(all.length, 1);
  const pc = all[0];
  assert.equal(pc.mac, '00:50:56:33:78:9e');
  assert.equal(pc.vendor, 'VMware, Inc.');
  assert.deepEqual(pc.names.map((n) => [n.source, n.name]), [['netbios', 'MDJR98']]);
  assert.deepEqual(ips(pc), ['192.168.239.129']);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].evidence.name, 'MDJR98');
});

test('ARP: senders are devices with their addresses; probes and requests with 0.0.0.0 add no address', async () => {
  const who = (await inventoryOf(pcap('zeek/arp-who-has.pcap'))).inv;
  assert.deepEqual(who.all().map((d) => [d.mac, ips(d)]).sort(), [['78:31:c1:c6:3f:c2', ['10.0.0.2']], ['f8:ed:a5:c0:a4:f1', ['10.0.0.1']]]);
  assert.equal(who.macForIp('10.0.0.1'), 'f8:ed:a5:c0:a4:f1');
  const sll = (await inventoryOf(pcap('zeek/linuxsll-arp.pcap'))).inv;
  assert.equal(sll.size, 3, 'Linux cooked capture: MACs from the SLL header and ARP body');
  assert.equal(sll.get('cc:2d:e0:26:19:99')?.vendor, 'Routerboard.com');
  // ARP poisoning: the attacker claims the gateway's address; the newest claim owns it.
  const poison = (await inventoryOf(pcap('chrissanders-packets/arppoison.pcapng'))).inv;
  assert.deepEqual(ips(poison.get('00:25:b3:bf:91:ee') as Device), ['172.16.0.1', '172.16.0.105']);
  assert.equal(poison.macForIp('172.16.0.1'), '00:25:b3:bf:91:ee');
});

test('every corpus capture: devices are unicast MACs, addresses are local and owned, vendors null when randomised', async () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng)$/.test(e)) files.push(p);
    }
  };
  walk(PCAPS);
  assert.ok(files.length >= 50);
  let devices = 0;
  let addresses = 0;
  for (const f of files) {
    const { inv, alerts } = await inventoryOf(f);
    const all = inv.all();
    devices += all.length;
    assert.equal(new Set(alerts.map((a) => a.key)).size, alerts.length, `${f}: one alert per device`);
    assert.equal(alerts.filter((a) => a.code === 'new_device').length, all.length, `${f}: every device raised new_device once (grace off)`);
    for (const d of all) {
      assert.ok(isUnicastMac(d.mac), `${f}: ${d.mac}`);
      if (d.randomized) assert.equal(d.vendor, null, `${f}: ${d.mac}`);
      assert.equal(d.type === null, d.typeEvidence.length === 0, `${f}: ${d.mac} type ${d.type} / ${d.typeEvidence.join(' | ')}`);
      assert.ok(d.firstSeen <= d.lastSeen);
      for (const a of d.addresses) {
        addresses++;
        assert.equal(addrKind(a.ip), AddrKind.Local, `${f}: ${d.mac} has ${a.ip}`);
        const owner = inv.macForIp(a.ip);
        assert.ok(owner !== null && all.find((x) => x.mac === owner)?.addresses.some((b) => b.ip === a.ip), `${f}: owner of ${a.ip}`);
      }
    }
  }
  assert.ok(devices >= 70 && addresses >= 80, `${devices} devices, ${addresses} addresses`);
});
