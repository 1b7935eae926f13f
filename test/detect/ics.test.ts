/**
 * ics-write detector: Modbus/DNP3 writes a client never sent before (high after learning, info
 * while learning) and ICS protocols reached from the internet. Corpus captures read in place;
 * synthetic Modbus/DNP3 sessions (written to a temp dir) for the cases the corpus lacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFile } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import { merge, tcpSession, writePcap, type Endpoint } from '../helpers/pcap-writer.js';

const HMI = '00:50:04:93:70:67'; // 10.0.0.9 in the Modbus captures (tcpdump -e)
const PLC = '00:02:b3:ce:70:51'; // 10.0.0.3

/** One Modbus/TCP request ADU: MBAP (tid, protocol 0, length, unit) + PDU. */
function modbus(tid: number, fc: number, body: number[]): Buffer {
  const pdu = [fc, ...body];
  return Buffer.from([tid >> 8, tid & 255, 0, 0, 0, pdu.length + 1, 1, ...pdu]);
}

function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ics-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('corpus Modbus writes: ics.write high for the client once nothing is learning', async () => {
  const r = await detectFile(pcap('suricata-verify/modbus.pcap'), { config: { 'baseline.learningDays': 0 } });
  const writes = r.of('ics.write');
  const funcs = writes.map((a) => a.evidence.function).sort();
  assert.deepEqual(funcs, ['WRITE_SINGLE_COIL', 'WRITE_SINGLE_REGISTER']);
  for (const a of writes) {
    assert.equal(a.severity, 'high');
    assert.equal(a.device, HMI, 'the client that wrote is named');
    assert.equal(a.evidence.client, '10.0.0.9');
    assert.equal(a.evidence.server, '10.0.0.3');
    assert.match(a.summary, /for the first time/);
    assert.match(a.summary, /^3Com|^[A-Z]/);
  }
  // The coil was written twice (addresses 2 and 1): one alert per function code, not per write.
  const coil = writes.find((a) => a.evidence.function === 'WRITE_SINGLE_COIL');
  assert.ok(coil);
  assert.equal(coil.count, 1);
  assert.equal(coil.evidence.address, 2);
});

test('corpus Modbus writes with defaults (everyone learning): info only, reads never alert', async () => {
  for (const f of ['suricata-verify/modbus.pcap', 'ics-security-tools/modbus_test_data_part1.pcap', 'zeek/modbus-and-non-modbus-p502.pcap']) {
    const r = await detectFile(pcap(f));
    const writes = r.of('ics.write');
    assert.equal(writes.length, 2, f);
    for (const a of writes) assert.equal(a.severity, 'info', f);
    for (const a of r.of('ics.')) assert.ok(a.severity === 'info' || a.severity === 'low', `${f}: ${a.code} ${a.severity}`);
  }
});

test('corpus DNP3 reads (public addresses, READ only): nothing', async () => {
  const r = await detectFile(pcap('zeek/dnp3_read.pcap'), { config: { 'baseline.learningDays': 0 } });
  assert.equal(r.log('dnp3').length > 0, true, 'the capture has DNP3');
  assert.deepEqual(r.of('ics.'), []);
});

test('corpus internet scanners on port 502 (non-Modbus probes): ics.external low for the exposed device', async () => {
  const r = await detectFile(pcap('zeek/modbus-and-non-modbus-p502.pcap'));
  const ext = r.of('ics.external');
  assert.ok(ext.length >= 1);
  for (const a of ext) {
    assert.equal(a.severity, 'low');
    assert.equal(a.evidence.port, 502);
    assert.equal(a.evidence.service, null);
  }
  const main = ext.find((a) => a.evidence.target === '192.168.10.111');
  assert.ok(main);
  assert.ok((main.evidence.remotes as string[]).includes('87.236.176.106'));
});

test('synthetic: Modbus write from the internet → ics.external high naming the PLC; a new write code after learning → high', async () => {
  await withTemp(async (dir) => {
    const plc: Endpoint = { mac: '02:00:00:00:00:03', ip: '192.168.1.30', port: 502 };
    const hmi: Endpoint = { mac: '02:00:00:00:00:09', ip: '192.168.1.9', port: 40000 };
    const attacker: Endpoint = { mac: '02:00:00:00:00:01', ip: '45.83.64.10', port: 51000 };
    const t0 = 1_700_000_000;
    // Day 0: the HMI reads and writes a register (learned); day 2: it writes coils (new code).
    const day0 = tcpSession({ client: hmi, server: plc, start: t0, toServer: Buffer.concat([modbus(1, 3, [0, 0, 0, 2]), modbus(2, 6, [0, 5, 0, 1])]), toClient: Buffer.concat([modbus(1, 3, [4, 0, 1, 0, 2]), modbus(2, 6, [0, 5, 0, 1])]) });
    const day2 = tcpSession({ client: { ...hmi, port: 40001 }, server: plc, start: t0 + 2 * 86400, toServer: Buffer.concat([modbus(3, 6, [0, 5, 0, 2]), modbus(4, 15, [0, 0, 0, 8, 1, 0xff])]), toClient: modbus(4, 15, [0, 0, 0, 8]) });
    const ext = tcpSession({ client: attacker, server: plc, start: t0 + 2 * 86400 + 60, toServer: modbus(9, 5, [0, 1, 0xff, 0]), toClient: modbus(9, 5, [0, 1, 0xff, 0]) });
    const file = join(dir, 'ics.pcap');
    writePcap(file, merge(day0, day2, ext));
    const r = await detectFile(file, { config: { 'baseline.learningDays': 1 } });
    const byFunc = new Map(r.of('ics.write').map((a) => [`${a.evidence.client}|${a.evidence.function}`, a]));
    assert.equal(byFunc.get('192.168.1.9|WRITE_SINGLE_REGISTER')?.severity, 'info', 'learned on day 0');
    assert.equal(byFunc.get('192.168.1.9|WRITE_SINGLE_REGISTER')?.count, 1, 'the same code after learning is not raised again');
    const coils = byFunc.get('192.168.1.9|WRITE_MULTIPLE_COILS');
    assert.equal(coils?.severity, 'high');
    assert.equal(coils?.device, hmi.mac);
    assert.equal(coils?.evidence.quantity, 8);
    // The outside client's write: the PLC is named (the actor is outside).
    const outside = byFunc.get('45.83.64.10|WRITE_SINGLE_COIL');
    assert.equal(outside?.device, plc.mac);
    const e = r.of('ics.external');
    assert.equal(e.length, 1);
    assert.equal(e[0].severity, 'high');
    assert.equal(e[0].device, plc.mac);
    assert.equal(e[0].evidence.service, 'modbus');
    assert.deepEqual(e[0].evidence.remotes, ['45.83.64.10']);
    assert.match(e[0].summary, /from 45\.83\.64\.10/);
  });
});

test('synthetic: a LAN client on port 502 and an unanswered SYN from outside raise no ics.external', async () => {
  await withTemp(async (dir) => {
    const plc: Endpoint = { mac: '02:00:00:00:00:03', ip: '192.168.1.30', port: 502 };
    const hmi: Endpoint = { mac: '02:00:00:00:00:09', ip: '192.168.1.9', port: 40000 };
    const t0 = 1_700_000_000;
    const lan = tcpSession({ client: hmi, server: plc, start: t0, toServer: modbus(1, 3, [0, 0, 0, 1]), toClient: modbus(1, 3, [2, 0, 1]) });
    // An outside SYN that never got an answer: only the first frame of a session.
    const knock = tcpSession({ client: { mac: '02:00:00:00:00:01', ip: '45.83.64.11', port: 5555 }, server: plc, start: t0 + 10 }).slice(0, 1);
    const file = join(dir, 'lan.pcap');
    writePcap(file, merge(lan, knock));
    const r = await detectFile(file, { config: { 'baseline.learningDays': 0 } });
    assert.deepEqual(r.of('ics.'), []);
  });
});
