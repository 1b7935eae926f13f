/**
 * NetBIOS name service through the real engine, compared with Arkime's session nbns.* answer key
 * and Zeek's NetBIOS rows (which Zeek writes to dns.log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';

interface ArkSession { body: { source: { ip: string; port: number }; destination: { ip: string }; protocol: string[]; nbns?: { name: string[]; ip: string[]; queryType: string[] } } }

test('arkime nbns.pcap: names, addresses and record types per session', async () => {
  const r = await analyzeFile(pcap('arkime/nbns.pcap'));
  const ark = (JSON.parse(readFileSync(join(ORACLES, 'arkime/nbns.pcap.arkime.test.json'), 'utf8')) as { sessions3: ArkSession[] })
    .sessions3.filter((s) => s.body.nbns !== undefined);
  assert.equal(ark.length, 4);
  const nb = r.of('netbios');
  assert.equal(nb.length, 46, 'tshark: 46 NBNS registrations');
  // Arkime splits the two flows into four sessions by time; union per destination.
  for (const dst of ['192.168.239.2', '192.168.239.255']) {
    const want = { names: new Set<string>(), ips: new Set<string>(), types: new Set<string>() };
    for (const s of ark.filter((x) => x.body.destination.ip === dst)) {
      s.body.nbns?.name.forEach((n) => want.names.add(n));
      s.body.nbns?.ip.forEach((n) => want.ips.add(n));
      s.body.nbns?.queryType.forEach((n) => want.types.add(n));
    }
    const ours = nb.filter((n) => n['id.resp_h'] === dst);
    assert.deepEqual(new Set(ours.map((n) => n.name)), want.names, dst + ' names');
    assert.deepEqual(new Set(ours.flatMap((n) => n.answers as string[])), want.ips, dst + ' ips');
    assert.deepEqual(new Set(ours.map((n) => n.qtype_name)), want.types, dst + ' types');
    for (const n of ours) assert.equal(n.opcode_name, 'netbios-registration');
  }
  // Suffixes read with tshark: <00> <03> <20> <1d> <1e> and __MSBROWSE__<01>.
  assert.deepEqual(new Set(nb.map((n) => n.suffix)), new Set([0x00, 0x03, 0x20, 0x1d, 0x1e, 0x01]));
  assert.equal(nb.find((n) => n.name === '__MSBROWSE__')?.suffix, 0x01);
  assert.ok(nb.filter((n) => n['id.resp_h'] === '192.168.239.255').every((n) => n.broadcast === true));
  for (const c of r.of('conn').filter((x) => x['id.resp_p'] === 137)) assert.equal(c.service, 'netbios-ns');
});
