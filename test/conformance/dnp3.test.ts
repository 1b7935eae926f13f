/** DNP3 through the real engine on zeek/dnp3_read.pcap, compared with Zeek's dnp3.log and conn.log. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import { readZeekTsv, zn, zv } from './oracles.js';

test('zeek dnp3_read.pcap: dnp3.log equals Zeek, conn.log service dnp3', async () => {
  const r = await analyzeFile(pcap('zeek/dnp3_read.pcap'));
  const zeek = readZeekTsv(join(ORACLES, 'zeek/dnp3_read.pcap.zeek.dnp3.log'));
  const ours = r.of('dnp3');
  assert.equal(zeek.length, 1);
  assert.equal(ours.length, 1);
  for (const k of ['id.orig_h', 'id.resp_h', 'fc_request', 'fc_reply']) assert.equal(ours[0][k], zv(zeek[0], k), k);
  for (const k of ['id.orig_p', 'id.resp_p', 'iin']) assert.equal(ours[0][k], zn(zeek[0], k), k);
  // Request time (frame 4), read with tshark.
  assert.equal(ours[0].ts, 1324327254.646079);
  const conn = r.of('conn');
  assert.equal(conn.length, 1);
  assert.equal(conn[0].service, 'dnp3');
  assert.equal(conn[0].uid, ours[0].uid);
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('dnp3')), []);
});
