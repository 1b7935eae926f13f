/**
 * DHCP / DHCPv6 through the real engine on corpus captures, compared with the answer keys of
 * Zeek (dhcp.log, conn.log), Suricata-verify (EVE dhcp checks), Arkime (session dhcp.*) and nDPI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import type { LogFields } from '../../src/decode/app/analyzer.js';
import { readZeekTsv } from './oracles.js';


function opt(row: Record<string, string>, k: string): string | undefined {
  return row[k] === '-' ? undefined : row[k];
}

test('zeek dhcp.pcap: dhcp.log rows equal Zeek field by field', async () => {
  const r = await analyzeFile(pcap('zeek/dhcp.pcap'));
  const ours = r.of('dhcp');
  const zeek = readZeekTsv(join(ORACLES, 'zeek/dhcp.pcap.zeek.dhcp.log'));
  assert.equal(zeek.length, 3);
  assert.equal(ours.length, zeek.length);
  for (let i = 0; i < zeek.length; i++) {
    const z = zeek[i];
    const o = ours[i];
    for (const k of ['client_addr', 'server_addr', 'mac', 'host_name', 'client_fqdn', 'domain',
      'requested_addr', 'assigned_addr', 'client_message', 'server_message']) {
      assert.equal(o[k], opt(z, k), `row ${i} ${k}`);
    }
    assert.deepEqual(o.msg_types, z.msg_types.split(','), `row ${i} msg_types`);
    const lease = opt(z, 'lease_time');
    assert.equal(o.lease_time, lease === undefined ? undefined : Number(lease), `row ${i} lease_time`);
    assert.ok(Math.abs((o.duration as number) - Number(z.duration)) < 1e-5, `row ${i} duration`);
    // uids are engine-generated; their number must match.
    assert.equal((o.uids as string[]).length, z.uids.split(',').length, `row ${i} uids`);
  }
  // Row ts is the first message of each transaction (Zeek masks ts in the baseline).
  assert.deepEqual(ours.map((o) => o.ts), [1370200442.323173, 1370200446.402928, 1370200447.422207]);
  // The first row's uids are exactly the four conn.log flows, all with service dhcp.
  const conns = r.of('conn');
  const zconn = readZeekTsv(join(ORACLES, 'zeek/dhcp.pcap.zeek.conn.log'));
  assert.equal(conns.length, zconn.length);
  assert.ok(conns.every((c) => c.service === 'dhcp'));
  assert.deepEqual([...(ours[0].uids as string[])].sort(), conns.map((c) => c.uid as string).sort());
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('dhcp')), []);
});

test('suricata-verify dhcp-eve-extended: REQUEST/ACK fields', async () => {
  const r = await analyzeFile(pcap('suricata-verify/dhcp-eve-extended.pcap'));
  const rows = r.of('dhcp');
  assert.equal(rows.length, 1, 'xid 4016330564 is one transaction');
  const d = rows[0];
  assert.deepEqual(d.msg_types, ['REQUEST', 'ACK']);
  assert.equal(d.mac, '00:11:32:17:49:f0'); // dhcp.client_mac, dhcp.client_id
  assert.equal(d.client_id, '01' + '001132' + '1749f0');
  assert.equal(d.host_name, 'nas1\\x00'); // Suricata: "nas1\u0000"
  assert.equal(d.client_addr, '10.16.1.4'); // dhcp.client_ip
  assert.equal(d.assigned_addr, '10.16.1.4'); // ack dhcp.assigned_ip
  assert.equal(d.lease_time, 3600);
  assert.deepEqual(d.dns_servers, ['10.16.1.1']);
  assert.deepEqual(d.routers, ['10.16.1.1']);
  assert.equal(d.subnet_mask, '255.255.0.0');
  assert.equal(d.server_addr, '10.16.1.1');
  assert.equal(d.server_id, '10.16.1.1');
  // Suricata lists the named params in order: subnet_mask, router, domain, dns_server.
  const pl = d.param_list as number[];
  assert.deepEqual(pl, [1, 28, 2, 3, 15, 6, 12]);
  assert.deepEqual(pl.filter((p) => [1, 3, 15, 6].includes(p)), [1, 3, 15, 6]);
});

test('arkime wireshark-dhcp: two transactions, types, mac, requested IPs', async () => {
  const r = await analyzeFile(pcap('arkime/wireshark-dhcp.pcap'));
  const rows = r.of('dhcp');
  assert.equal(rows.length, 2, 'ids 3d1d and 3d1e');
  const types = new Set(rows.flatMap((x) => x.msg_types as string[]));
  assert.deepEqual([...types].sort(), ['ACK', 'DISCOVER', 'OFFER', 'REQUEST']);
  assert.ok(rows.every((x) => x.mac === '00:0b:82:01:fc:42'));
  assert.deepEqual(rows.map((x) => x.requested_addr), ['0.0.0.0', '192.168.0.10']);
  assert.deepEqual(rows.map((x) => x.assigned_addr), ['192.168.0.10', '192.168.0.10']);
});

function byHost(rows: LogFields[], host: string): LogFields[] {
  return rows.filter((x) => String(x.host_name).toLowerCase() === host);
}

test('nDPI android.pcap: hostname, DHCP fingerprint, DHCPv6', async () => {
  const r = await analyzeFile(pcap('ndpi/android.pcap'));
  const rows = r.of('dhcp');
  const mac = byHost(rows, 'lucas-imac');
  // 12 DISCOVERs in 82 s with gaps of ~9 s: split like Zeek's 5 s inactivity expiry.
  assert.deepEqual(mac.map((x) => (x.msg_types as string[]).length), [4, 2, 2, 2]);
  assert.ok(mac.every((x) => (x.param_list as number[]).join(',') === '1,121,3,6,15,119,252,95,44,46'));
  const phone = rows.find((x) => x.mac === '4c:6a:f6:9f:f6:27');
  assert.ok(phone);
  assert.deepEqual(phone.msg_types, ['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
  assert.equal(phone.client_software, 'android-dhcp-9');
  assert.equal(phone.assigned_addr, '192.168.2.16');
  assert.equal(phone.lease_time, 85536);
  const v6 = r.of('dhcpv6');
  assert.equal(v6.length, 2, 'nDPI: DHCPV6 2 packets');
  for (const m of v6) {
    assert.equal(m.msg_type, 'SOLICIT');
    assert.equal(m.trans_id, 0xd8e4fe);
    assert.equal(m.client_duid, '0001000125e5148e4c6af69ff627');
    assert.equal(m.mac, '4c:6a:f6:9f:f6:27');
    assert.deepEqual(m.requested_options, [23, 24]);
  }
  const services = r.of('conn').map((c) => c.service);
  assert.ok(services.includes('dhcpv6'));
  assert.equal(services.filter((s) => s === 'dhcp').length, 2, 'nDPI: DHCP in 2 flows');
});

test('nDPI alexa-app.pcapng: hostname, fingerprint, class identifier', async () => {
  const r = await analyzeFile(pcap('ndpi/alexa-app.pcapng'));
  const rows = byHost(r.of('dhcp'), 'android-1c1335ec95a27318');
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].param_list, [1, 33, 3, 6, 15, 26, 28, 51, 58, 59]);
  assert.equal(rows[0].client_software, 'dhcpcd-5.5.6');
  assert.equal(rows[0].domain, 'lan');
  assert.equal(rows[0].server_addr, '172.16.42.1');
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('dhcp')), []);
});
