/**
 * NTP through the real engine. No corpus capture has a Zeek ntp.log; the only NTP exchange is in
 * ndpi/android.pcap, whose values were read with `tshark -r android.pcap -Y ntp -V` and whose flow
 * nDPI classifies as NTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import { readNdpiFlows } from './oracles.js';

test('ndpi android.pcap: client request and server reply as tshark decodes them', async () => {
  const r = await analyzeFile(pcap('ndpi/android.pcap'));
  const ours = r.of('ntp');
  assert.equal(ours.length, 2);
  const [q, a] = ours;
  // tshark: NTP Version 3, client; stratum 0; poll 0; precision 1 s; root delay/dispersion 0;
  // reference id NULL; transmit timestamp Feb 23, 2020 10:46:38.887000012 UTC.
  assert.deepEqual(
    { version: q.version, mode: q.mode, stratum: q.stratum, poll: q.poll, precision: q.precision, root_delay: q.root_delay, root_disp: q.root_disp, ref_id: q.ref_id, ref_time: q.ref_time, org_time: q.org_time, rec_time: q.rec_time, num_exts: q.num_exts },
    { version: 3, mode: 3, stratum: 0, poll: 1, precision: 1, root_delay: 0, root_disp: 0, ref_id: undefined, ref_time: 0, org_time: 0, rec_time: 0, num_exts: 0 },
  );
  assert.ok(Math.abs((q.xmt_time as number) - 1582454798.887000012) < 1e-6);
  assert.equal(q['id.orig_p'], 45863);
  assert.equal(q['id.resp_p'], 123);
  // tshark: server, stratum 1 (primary), precision 0.000001 s, root dispersion 0.000183 s,
  // reference id 'GOOG', reference/receive 10:47:47.339609639, transmit 10:47:47.339609640,
  // origin = the client's transmit timestamp.
  assert.equal(a.version, 3);
  assert.equal(a.mode, 4);
  assert.equal(a.stratum, 1);
  assert.equal(a.poll, 1);
  assert.equal(a.precision, Math.pow(2, -20));
  assert.equal(a.root_delay, 0);
  assert.ok(Math.abs((a.root_disp as number) - 0.000183) < 1e-6);
  assert.equal(a.ref_id, 'GOOG');
  assert.ok(Math.abs((a.ref_time as number) - 1582454867.339609639) < 1e-6);
  assert.ok(Math.abs((a.rec_time as number) - 1582454867.339609639) < 1e-6);
  assert.ok(Math.abs((a.xmt_time as number) - 1582454867.33960964) < 1e-6);
  assert.equal(a.org_time, q.xmt_time);
  // nDPI: the flow is NTP; ours is confirmed as ntp in conn.log.
  const nd = readNdpiFlows(join(ORACLES, 'ndpi/android.pcap.ndpi.out')).filter((f) => f.proto === 'NTP');
  assert.equal(nd.length, 1);
  assert.deepEqual([nd[0].src, nd[0].sport, nd[0].dst, nd[0].dport], [q['id.orig_h'], q['id.orig_p'], q['id.resp_h'], q['id.resp_p']]);
  const conn = r.of('conn').filter((c) => c.service === 'ntp');
  assert.equal(conn.length, 1);
  assert.equal(conn[0]['id.resp_p'], 123);
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('ntp')), []);
});
