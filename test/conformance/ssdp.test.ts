/**
 * SSDP through the real engine: Suricata-verify's ssdp case (one flow to 239.255.255.250:1900,
 * not SIP) and nDPI's SSDP classification of an M-SEARCH flow on a non-standard port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';

test('suricata-verify ssdp.pcap: one NOTIFY flow to the SSDP group, logged as ssdp', async () => {
  const r = await analyzeFile(pcap('suricata-verify/ssdp.pcap'));
  const conns = r.of('conn').filter((c) => c['id.resp_h'] === '239.255.255.250' && c['id.resp_p'] === 1900);
  assert.equal(conns.length, 1, 'suricata: one flow to 239.255.255.250:1900');
  assert.equal(conns[0].service, 'ssdp', 'and it is not SIP');
  // Header values read with tshark.
  assert.deepEqual(r.of('ssdp').map(({ method, server, usn, location, nt, nts }) => ({ method, server, usn, location, nt, nts })), [{
    method: 'NOTIFY',
    server: 'UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6',
    usn: 'uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice',
    location: 'http://192.168.1.1:7406/rootDesc.xml',
    nt: 'upnp:rootdevice',
    nts: 'ssdp:alive',
  }]);
});

test('ndpi ssdp-m-search.pcap: M-SEARCH on port 32412 is found by content', async () => {
  const r = await analyzeFile(pcap('ndpi/ssdp-m-search.pcap'));
  const ndpi = readFileSync(join(ORACLES, 'ndpi/ssdp-m-search.pcap.ndpi.out'), 'utf8');
  const m = /UDP ([\d.]+):(\d+) -> ([\d.]+):(\d+) \[proto: \d+\/SSDP\].*?\[(\d+) pkts/.exec(ndpi);
  assert.ok(m, 'oracle line');
  const conn = r.of('conn').find((c) => c['id.orig_h'] === m[1] && c['id.orig_p'] === Number(m[2]) && c['id.resp_p'] === Number(m[4]));
  assert.ok(conn);
  assert.equal(conn.service, 'ssdp');
  const ssdp = r.of('ssdp');
  assert.equal(ssdp.length, Number(m[5]), 'one record per datagram, as nDPI counts packets');
  assert.ok(ssdp.every((s) => s.method === 'M-SEARCH'));
});

test('ndpi upnp.pcap: WS-Discovery XML on 3702 is not mistaken for SSDP', async () => {
  const r = await analyzeFile(pcap('ndpi/upnp.pcap'));
  assert.equal(r.of('ssdp').length, 0);
  for (const c of r.of('conn')) assert.notEqual(c.service, 'ssdp');
});
