/**
 * Modbus/TCP through the real engine on corpus captures, compared with Zeek (modbus.log,
 * conn.log), Suricata-verify (modbus test.yaml alert counts) and, for the ICS-Security-Tools
 * capture that has no oracle, the PDUs tshark decodes (`-e mbtcp.trans_id -e modbus.func_code
 * -e modbus.reference_num ...`, read by hand).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ORACLES, analyzeFile, pcap } from '../helpers/analyze.js';
import { readSuricataTest, readZeekTsv, zv } from './oracles.js';
import type { LogFields } from '../../src/decode/app/analyzer.js';

test('zeek modbus-and-non-modbus-p502.pcap: modbus.log equals Zeek, non-Modbus flows never confirmed', async () => {
  const r = await analyzeFile(pcap('zeek/modbus-and-non-modbus-p502.pcap'));
  const zeek = readZeekTsv(join(ORACLES, 'zeek/modbus-and-non-modbus-p502.pcap.zeek.modbus.log'));
  const ours = r.of('modbus');
  assert.equal(zeek.length, 12);
  assert.equal(ours.length, zeek.length);
  zeek.forEach((z, i) => {
    const o = ours[i];
    assert.equal(o['id.orig_h'], z['id.orig_h'], `row ${i}`);
    assert.equal(o['id.orig_p'], Number(z['id.orig_p']), `row ${i}`);
    assert.equal(o['id.resp_p'], Number(z['id.resp_p']), `row ${i}`);
    assert.equal(o.tid, Number(z.tid), `row ${i} tid`);
    assert.equal(o.unit, Number(z.unit), `row ${i} unit`);
    assert.equal(o.func, z.func, `row ${i} func`);
    assert.equal(o.pdu_type, z.pdu_type, `row ${i} pdu_type`);
    assert.equal(o.exception, zv(z, 'exception'), `row ${i} exception`);
  });
  // Our extras on the same rows: writes flagged, addresses from tshark (reference_num).
  assert.deepEqual(ours.map((o) => [o.write, o.address, o.quantity]), [
    [false, 0, 1], [false, 0, 1], [false, 2, 2], [false, 2, 2], [false, 5, 2], [false, 5, 2],
    [true, 2, 1], [true, 2, 1], [true, 1, 1], [true, 1, 1], [true, 5, 1], [true, 5, 1],
  ]);
  // conn.log: exactly Zeek's modbus flow carries the service (DCE-RPC, TLS, HTTP … on 502 do not).
  const zconn = readZeekTsv(join(ORACLES, 'zeek/modbus-and-non-modbus-p502.pcap.zeek.conn.log'));
  const key = (c: LogFields | Record<string, string>): string => `${String(c['id.orig_h'])}:${String(c['id.orig_p'])}`;
  const zeekModbus = zconn.filter((c) => c.service === 'modbus').map(key);
  const ourModbus = r.of('conn').filter((c) => String(c.service ?? '').split(',').includes('modbus')).map(key);
  assert.deepEqual(ourModbus, zeekModbus);
  assert.deepEqual(zeekModbus, ['10.0.0.9:3082']);
  // Every non-Modbus flow with payload was refused on its MBAP protocol id.
  assert.equal(r.summary.weirds.modbus_invalid_protocol_id, 6);
  assert.deepEqual(Object.keys(r.summary.weirds).filter((w) => w.startsWith('modbus') && w !== 'modbus_invalid_protocol_id'), []);
});

test('suricata-verify modbus.pcap: transaction counts match the test.yaml alert counts', async () => {
  const r = await analyzeFile(pcap('suricata-verify/modbus.pcap'));
  const t = readSuricataTest(join(ORACLES, 'suricata-verify/modbus.pcap.suricata.test.yaml'));
  const sid = (n: number, extra?: string): number => {
    // The plain check of a signature, or the one that also filters on `extra`.
    const c = t.checks
      .filter((k) => k.match['alert.signature_id'] === n && (extra === undefined || extra in k.match))
      .sort((x, y) => Object.keys(x.match).length - Object.keys(y.match).length)[0];
    assert.ok(c?.count !== undefined, `sid ${n}`);
    return c.count;
  };
  const reqs = r.of('modbus').filter((o) => o.pdu_type === 'REQ');
  // Suricata alerts once per transaction, i.e. per request.
  assert.equal(reqs.length, sid(4)); // unit 10: all of them
  assert.ok(reqs.every((o) => o.unit === 10));
  assert.equal(reqs.length, sid(2)); // "function assigned": every code here is publicly assigned
  assert.equal(reqs.filter((o) => o.func === 'DIAGNOSTICS').length, sid(7)); // function 8
  assert.equal(reqs.filter((o) => o.func === 'READ_COILS').length, sid(1)); // function 1
  assert.equal(reqs.filter((o) => o.func === 'ENCAP_INTERFACE_TRANSPORT').length, sid(4, 'modbus.request.function_code'));
  assert.equal(reqs.filter((o) => o.write === true).length, sid(6)); // access write
  // access read: read coils/registers requests (Suricata's "read" access excludes diagnostics).
  assert.equal(reqs.filter((o) => /^READ_(COILS|DISCRETE_INPUTS|HOLDING_REGISTERS|INPUT_REGISTERS)$/.test(String(o.func))).length, sid(3));
  const rdCoils = t.checks.find((k) => k.match['modbus.request.function_code'] === 'RdCoils');
  assert.equal(reqs.filter((o) => o.func === 'READ_COILS').length, rdCoils?.count);
  // Diagnostics answered with exceptions (0x88, code 11) are logged, unlike Zeek's script.
  const exc = r.of('modbus').filter((o) => o.exception !== undefined);
  assert.equal(exc.length, 4);
  assert.ok(exc.every((o) => o.func === 'DIAGNOSTICS_EXCEPTION' && o.exception === 'GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND'));
});

test('ICS-Security-Tools modbus_test_data_part1.pcap: PDUs as tshark decodes them', async () => {
  const r = await analyzeFile(pcap('ics-security-tools/modbus_test_data_part1.pcap'));
  const byFlow = new Map<number, string[]>();
  for (const o of r.of('modbus')) {
    const p = o['id.orig_p'] as number;
    const list = byFlow.get(p) ?? [];
    list.push(`${String(o.tid)} ${String(o.pdu_type)} ${String(o.func)}${o.exception ? ' ' + String(o.exception) : ''}`);
    byFlow.set(p, list);
  }
  const diag = ['0 REQ DIAGNOSTICS', '0 RESP DIAGNOSTICS_EXCEPTION GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND'];
  assert.deepEqual(byFlow.get(2578), [
    ...diag, ...diag, ...diag,
    '0 REQ DIAGNOSTICS', '0 RESP DIAGNOSTICS_EXCEPTION GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND',
    '0 REQ DIAGNOSTICS', '0 RESP DIAGNOSTICS', '0 REQ DIAGNOSTICS', '0 RESP DIAGNOSTICS',
    '0 REQ DIAGNOSTICS', '0 RESP DIAGNOSTICS', '0 REQ DIAGNOSTICS', '0 RESP DIAGNOSTICS',
    '0 REQ REPORT_SLAVE_ID', '0 RESP REPORT_SLAVE_ID', '0 REQ REPORT_SLAVE_ID', '0 RESP REPORT_SLAVE_ID',
  ]);
  assert.deepEqual(byFlow.get(2579), ['1 REQ ENCAP_INTERFACE_TRANSPORT', '1 REQ ENCAP_INTERFACE_TRANSPORT']);
  assert.equal(byFlow.get(3082)?.length, 12);
  // 10.0.0.57:2585 sends MBAP length 0x8804: refused, never confirmed.
  assert.equal(byFlow.get(2585), undefined);
  assert.equal(r.summary.weirds.modbus_invalid_length, 1);
  const c2585 = r.of('conn').find((c) => c['id.orig_p'] === 2585);
  assert.ok(c2585 !== undefined);
  assert.equal(String(c2585.service ?? '').includes('modbus'), false);
});
