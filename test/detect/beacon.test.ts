/**
 * Beacon detector: synthetic captures over two hours through the real pipeline: a camera calling
 * one address every 5 minutes (with jitter) with same-size requests must raise `beacon` (medium;
 * high with an intel hit); irregular traffic with as many connections over as long, NTP every
 * 64 s, three devices calling one vendor cloud (prevalence) and a regular beacon that has not yet
 * lasted `minSpanSeconds` must not. The score itself is checked on exact series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureFiles, detectFile } from '../helpers/detect.js';
import { type Endpoint, type Frame, merge, startAt, tcpSession, udpExchange } from '../helpers/pcap-writer.js';
import { BeaconDetector, beaconScore } from '../../src/detect/beacon.js';
import { ConnRecord } from '../../src/flow/conn-record.js';
import { DETECT_DEFAULTS } from '../../src/config/detect.js';
import type { Indicator, IntelLookup } from '../../src/intel/types.js';

const file = captureFiles('vigil-beacon-');

const ROUTER_MAC = 'e4:8d:8c:00:00:03';
const CAMERA = { mac: '44:19:b6:00:00:01', ip: '192.168.1.20' };
const LAPTOP = { mac: '3c:22:fb:00:00:02', ip: '192.168.1.30' };
const PLUGS = [
  { mac: 'd8:f1:5b:00:00:11', ip: '192.168.1.41' },
  { mac: 'd8:f1:5b:00:00:12', ip: '192.168.1.42' },
  { mac: 'd8:f1:5b:00:00:13', ip: '192.168.1.43' },
];
const C2 = '185.220.101.7';
const WEB = '151.101.1.69';
const CLOUD = '52.28.200.11';
const NTP = '162.159.200.1';
const T0 = 1_700_000_000;
const TWO_HOURS = 7200;

/** Deterministic pseudo-random generator (tests must be exact). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let port = 40000;
function session(client: { mac: string; ip: string }, server: string, dport: number, ts: number, up: number, down: number): Frame[] {
  const c: Endpoint = { ...client, port: port++ };
  const s: Endpoint = { mac: ROUTER_MAC, ip: server, port: dport };
  return startAt(tcpSession({ client: c, server: s, start: 0, toServer: up, toClient: down, duration: 0.2 }), ts);
}

/** A check-in every `every` s (± `jitter` s, uniform), `up` ± 3 bytes, from T0 for `length` s. */
function regular(client: { mac: string; ip: string }, server: string, every: number, jitter: number, up: number, length: number, seed: number): Frame[][] {
  const r = rng(seed);
  const out: Frame[][] = [];
  for (let t = 0; t <= length; t += every) {
    out.push(session(client, server, 443, T0 + t + (r() * 2 - 1) * jitter, up + Math.floor(r() * 7) - 3, 600));
  }
  return out;
}

/** Browsing-like: exponential gaps (mean 5 minutes), sizes from 100 B to 20 kB. */
function irregular(client: { mac: string; ip: string }, server: string, length: number, seed: number): Frame[][] {
  const r = rng(seed);
  const out: Frame[][] = [];
  for (let t = 0; t <= length; t += -Math.log(1 - r()) * 300) {
    out.push(session(client, server, 443, T0 + t, 100 + Math.floor(r() * 20_000), 5000));
  }
  return out;
}

function ntp(client: { mac: string; ip: string }, length: number): Frame[][] {
  const out: Frame[][] = [];
  for (let t = 0; t <= length; t += 64) {
    out.push(udpExchange({
      client: { ...client, port: 123 }, server: { mac: ROUTER_MAC, ip: NTP, port: 123 }, start: T0 + t,
      datagrams: [{ from: 'client', payload: 48 }, { from: 'server', payload: 48 }],
    }));
  }
  return out;
}

let capture = '';
function house(): string {
  if (capture) return capture;
  capture = file(merge(
    ...regular(CAMERA, C2, 300, 15, 220, TWO_HOURS, 1),
    ...irregular(LAPTOP, WEB, TWO_HOURS + 1800, 2),
    ...ntp(LAPTOP, TWO_HOURS),
    ...PLUGS.flatMap((p, i) => regular(p, CLOUD, 300, 15, 180, TWO_HOURS, 10 + i)),
  ));
  return capture;
}

test('score: a steady rhythm with same-size requests scores high; random gaps and sizes score low', () => {
  const r = rng(3);
  const n = 40;
  const ring = new Float64Array(128);
  for (let i = 0; i < n; i++) {
    ring[i * 2] = T0 + i * 300 + (r() * 2 - 1) * 15;
    ring[i * 2 + 1] = 220 + Math.floor(r() * 7);
  }
  const steady = beaconScore(ring, n, n, ring[0]!, ring[(n - 1) * 2]!);
  assert.ok(steady.score > 0.9, `steady ${steady.score}`);
  assert.ok(Math.abs(steady.interval - 300) < 20, `interval ${steady.interval}`);
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += -Math.log(1 - r()) * 300;
    ring[i * 2] = t;
    ring[i * 2 + 1] = 100 + Math.floor(r() * 20_000);
  }
  const noisy = beaconScore(ring, n, n, ring[0]!, ring[(n - 1) * 2]!);
  assert.ok(noisy.score < 0.75, `noisy ${noisy.score}`);
  // Fewer than 4 check-ins cannot be judged.
  assert.equal(beaconScore(ring, 3, 3, ring[0]!, ring[4]!).score, 0);
});

test('a camera calling one address every 5 minutes for 2 hours: beacon (medium) for the camera, nothing else', async () => {
  // Learned devices (learningDays 0): the check-ins are news, medium.
  const r = await detectFile(house(), { config: { 'baseline.learningDays': 0 } });
  const b = r.of('beacon');
  assert.equal(b.length, 1, JSON.stringify(r.alerts.map((a) => `${a.code} ${a.device} ${a.summary}`)));
  const a = b[0]!;
  assert.equal(a.device, CAMERA.mac);
  assert.equal(a.severity, 'medium');
  assert.equal(a.key, `beacon|${CAMERA.mac}|${C2}`);
  assert.equal(a.evidence.ip, C2);
  assert.equal(a.evidence.port, 443);
  // Raised when it crossed 20 connections over an hour; the final raise carries all 25.
  assert.equal(a.evidence.count, 25);
  assert.ok(Math.abs((a.evidence.interval as number) - 300) < 20, `interval ${a.evidence.interval}`);
  assert.ok((a.evidence.score as number) >= 0.85);
  assert.equal(a.evidence.otherDevices, 0);
  assert.equal((a.evidence.uids as string[]).length, 10);
  assert.match(a.summary, new RegExp(`^.*${CAMERA.mac.replace(/:/g, ':')}.* contacted 185\\.220\\.101\\.7 \\d+ times in 2 hours, about every 5 minutes`));
  // Irregular browsing (as many connections, as long), NTP every 64 s, and the plugs' common cloud: quiet.
  assert.ok(!r.alerts.some((x) => x.code === 'beacon' && x.device !== CAMERA.mac));
});

test('check-ins that began while the device was still learning are reported low (its maker\'s cloud, most likely)', async () => {
  const r = await detectFile(house());
  const b = r.of('beacon').filter((a) => a.device === CAMERA.mac);
  assert.equal(b.length, 1);
  assert.equal(b[0]!.severity, 'low');
  assert.equal(b[0]!.evidence.sinceLearning, true);
  assert.match(b[0]!.summary, /since Vigil first saw it/);
});

test('prevalence: the same rhythm to a destination three devices share is a common service, not a beacon', async () => {
  // One plug alone calling the cloud is a beacon (the rhythm is the same as the plugs' above) …
  const alone = await detectFile(file(merge(...regular(PLUGS[0]!, CLOUD, 300, 15, 180, TWO_HOURS, 10))));
  assert.equal(alone.of('beacon').length, 1);
  assert.equal(alone.of('beacon')[0]!.device, PLUGS[0]!.mac);
  // … three of them together are not (checked in the house capture).
  const r = await detectFile(house());
  for (const p of PLUGS) assert.ok(!r.of('beacon').some((a) => a.device === p.mac), `plug ${p.mac}`);
});

/** A DNS answer (A record) telling the device `name` is at `ip`. */
function dnsAnswer(client: { mac: string; ip: string }, name: string, ip: string, ts: number): Frame[] {
  const q = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, 0, 1, 0, 1])]);
  const head = (response: boolean) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(0x1234, 0);
    h.writeUInt16BE(response ? 0x8180 : 0x0100, 2);
    h.writeUInt16BE(1, 4);
    h.writeUInt16BE(response ? 1 : 0, 6);
    return h;
  };
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip.split('.').map(Number)]);
  return udpExchange({
    client: { ...client, port: 5555 }, server: { mac: ROUTER_MAC, ip: '192.168.1.1', port: 53 }, start: ts,
    datagrams: [{ from: 'client', payload: Buffer.concat([head(false), q]) }, { from: 'server', payload: Buffer.concat([head(true), q, rr]) }],
  });
}

test('a destination the device looked up by name is reported by that name (and keyed by it)', async () => {
  const r = await detectFile(file(merge(dnsAnswer(CAMERA, 'cdn.update-check.example.net', C2, T0 - 5), ...regular(CAMERA, C2, 300, 15, 220, TWO_HOURS, 1))));
  const b = r.of('beacon');
  assert.equal(b.length, 1);
  assert.equal(b[0]!.key, `beacon|${CAMERA.mac}|cdn.update-check.example.net`);
  assert.equal(b[0]!.evidence.destination, 'cdn.update-check.example.net');
  assert.match(b[0]!.summary, /contacted cdn\.update-check\.example\.net \(185\.220\.101\.7\)/);
});

test('threat intel listing the destination makes the beacon high', async () => {
  const indicator: Indicator = {
    type: 'ip', value: C2, port: 0, feed: 'feodo', category: 'c2', severity: 'high', description: 'Dridex C2', reference: '',
  } as Indicator;
  const none: readonly Indicator[] = [];
  const intel: IntelLookup = {
    matchIp: (ip) => (ip === C2 ? [indicator] : none),
    matchDomain: () => none,
    matchUrl: () => none,
    matchJa3: () => none,
    matchJa4: () => none,
    lookup: () => none,
    size: 1,
  };
  const r = await detectFile(house(), { intel });
  const b = r.of('beacon');
  assert.equal(b.length, 1);
  assert.equal(b[0]!.device, CAMERA.mac);
  assert.equal(b[0]!.severity, 'high');
  assert.match(String(b[0]!.evidence.intel), /feodo/);
  assert.match(b[0]!.summary, /threat intelligence/);
});

test('a steady rhythm shorter than minSpanSeconds, or with too few connections, is not reported yet', async () => {
  const short = await detectFile(file(merge(...regular(CAMERA, C2, 60, 3, 220, 3000, 4))));
  assert.equal(short.of('beacon').length, 0, 'span 50 minutes < 1 hour');
  const withLowerSpan = await detectFile(file(merge(...regular(CAMERA, C2, 60, 3, 220, 3000, 4))), { config: { 'detect.beacon.minSpanSeconds': 1800 } });
  assert.equal(withLowerSpan.of('beacon').length, 1, 'the same capture with minSpanSeconds 1800');
  const few = await detectFile(file(merge(...regular(CAMERA, C2, 600, 20, 220, TWO_HOURS, 5))));
  assert.equal(few.of('beacon').length, 0, '13 connections < 20');
});

test('bounded: with maxTracked 16, churn of 200 repeating pairs drops the oldest (counted) and a beacon after it still fires', () => {
  const alerts: { code: string; device: string | null }[] = [];
  const counts = new Map<string, number>();
  const det = new BeaconDetector({ ...DETECT_DEFAULTS, maxTracked: 16 }, {
    raise: (a) => alerts.push(a),
    deviceOf: (ip, mac) => (ip.startsWith('192.168.') ? mac : null),
    describe: (mac, ip) => mac ?? ip,
    isGateway: () => false,
    intel: () => null,
    baselines: null,
    learning: () => false,
    count: (n, k = 1) => counts.set(n, (counts.get(n) ?? 0) + k),
  });
  const flow = (ts: number, client: string, mac: string, server: string, bytes: number) => {
    const r = new ConnRecord();
    Object.assign(r, { ts, uid: `C${ts}`, origH: client, respH: server, respP: 443, proto: 'tcp', localOrig: true, localResp: false, origL2: mac, origIpBytes: bytes });
    det.conn(r);
  };
  for (let i = 0; i < 200; i++) for (let k = 0; k < 3; k++) flow(T0 + i + k * 0.3 + k, '192.168.1.50', LAPTOP.mac, `93.184.${i >> 8}.${i & 255}`, 500);
  assert.ok((counts.get('detect.beacon.dropped') ?? 0) >= 180, `dropped ${counts.get('detect.beacon.dropped')}`);
  for (let t = 0; t <= TWO_HOURS; t += 300) {
    flow(T0 + 1000 + t, CAMERA.ip, CAMERA.mac, C2, 260);
    det.tick(T0 + 1000 + t + 1);
  }
  det.finish(T0 + 1000 + TWO_HOURS + 10);
  assert.deepEqual(alerts.map((a) => `${a.code} ${a.device}`), [`beacon ${CAMERA.mac}`, `beacon ${CAMERA.mac}`]);
});
