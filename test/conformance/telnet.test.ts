/**
 * Telnet through the real engine on suricata-verify/telnet.pcap (a real OpenBSD login as "fake"),
 * compared with the Suricata-verify checks (one telnet flow) and option counts read with
 * `tshark -Y telnet -T fields -e ip.src -e telnet.cmd` (WILL/WONT/DO/DONT and SB per side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import { readSuricataTest } from './oracles.js';

test('suricata-verify telnet.pcap: one successful login as "fake", options counted, password never logged', async () => {
  const r = await analyzeFile(pcap('suricata-verify/telnet.pcap'));
  const t = readSuricataTest(join(ORACLES, 'suricata-verify/telnet.pcap.suricata.test.yaml'));
  const flows = t.checks.find((c) => c.match.event_type === 'flow' && c.match.app_proto === 'telnet');
  const rows = r.of('telnet');
  assert.equal(rows.length, flows?.count);
  const o = rows[0];
  assert.equal(o['id.orig_h'], '192.168.0.2');
  assert.equal(o['id.resp_p'], 23);
  assert.deepEqual(o.users, ['fake']);
  assert.equal(o.login_attempts, 1);
  assert.equal(o.login_failures, 0);
  assert.equal(o.login_success, true);
  assert.equal(o.client_options, 27);
  assert.equal(o.server_options, 26);
  // The password typed was "user": it must not appear as a user name or anywhere else.
  assert.equal(JSON.stringify(r.of('telnet')).includes('"user"'), false);
  const conn = r.of('conn');
  assert.equal(conn.filter((c) => c.service === 'telnet').length, flows?.count);
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('telnet')), []);
});
