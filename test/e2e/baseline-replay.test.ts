/**
 * Baselines through the whole pipeline (issue 3, "must show" 2): a real phone capture
 * (ndpi/android.pcap) replayed once a day for a week teaches the phone its normal; a benign eighth
 * day raises nothing; then a day with three injected deviations — a server in a new country, a new
 * port on a known server, an upload burst — raises exactly those three alerts. Replay goes through
 * the real engine, inventory, enrichment (bundled geo/ASN data), baselines and the SQLite store, in
 * two sessions on the same database file, so the learned state also survives a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcap } from '../helpers/analyze.js';
import { merge, readCapture, startAt, tcpSession, writePcap, type Frame } from '../helpers/pcap-writer.js';
import { DEFAULTS, type VigilConfig } from '../../src/config/schema.js';
import { openSession } from '../../src/sensor/session.js';
import { feed } from '../../src/engine/analyze.js';
import { acceptDeviation } from '../../src/sensor/accept.js';
import type { StoredAlert } from '../../src/store/store.js';

const PHONE = { mac: '4c:6a:f6:9f:f6:27', ip: '192.168.2.16' };
const GOOGLE = '216.239.38.120'; // learned: AS15169, US, tcp/443
const YANDEX = '77.88.8.8'; // never seen: AS13238, RU
const DAY = 86400;
// 2026-03-02 10:00 UTC, a Monday; every replay starts at the same time of day.
const T0 = Date.UTC(2026, 2, 2, 10, 0, 0) / 1000;

const dir = mkdtempSync(join(tmpdir(), 'vigil-baseline-'));
const db = join(dir, 'vigil.db');
const config: VigilConfig = {
  ...DEFAULTS,
  db,
  devices: { ...DEFAULTS.devices, newDeviceGraceSeconds: 0 },
  baseline: { ...DEFAULTS.baseline, learningDays: 7 },
};

async function replay(frames: Frame[], name: string): Promise<StoredAlert[]> {
  const file = join(dir, name);
  writePcap(file, frames);
  const s = openSession(config);
  await feed(s.pipeline.engine, [file]);
  s.close();
  const { store } = openSessionStore();
  try {
    return store.alerts({ code: 'baseline.', limit: 1000 });
  } finally {
    store.close();
  }
}

function openSessionStore() {
  // A fresh handle on the file, as `vigil alerts` would open it.
  const s = openSession(config);
  return { store: s.store, close: () => s.store.close() };
}

const phoneTo = (ip: string, port: number, start: number, up: number, down: number, segment = 1448): Frame[] =>
  tcpSession({
    client: { mac: PHONE.mac, ip: PHONE.ip, port: 40000 + (port % 20000) },
    server: { mac: 'c6:2c:03:60:6a:64', ip, port },
    start,
    toServer: up,
    toClient: down,
    segment,
    duration: 2,
  });

test('a week of learning, a quiet day, then exactly the injected deviations', { timeout: 120_000 }, async (t) => {
  t.after(() => { if (!process.env.VIGIL_KEEP) rmSync(dir, { recursive: true, force: true }); });
  const day = readCapture(pcap('ndpi/android.pcap'));

  // Days 0-6 learn, day 8 is an ordinary day: nothing to report.
  const week = merge(...[0, 1, 2, 3, 4, 5, 6, 8].map((d) => startAt(day, T0 + d * DAY)));
  const quiet = await replay(week, 'week.pcap');
  assert.deepEqual(quiet.map((a) => `${a.code} ${a.summary}`), [], 'no baseline alert while learning or on an ordinary day');

  // Day 9: the same day plus three deviations, in the same hour as always.
  const t9 = T0 + 9 * DAY;
  const injected = merge(
    startAt(day, t9),
    phoneTo(YANDEX, 443, t9 + 200, 600, 4000),
    phoneTo(GOOGLE, 8883, t9 + 300, 300, 300),
    phoneTo(GOOGLE, 443, t9 + 400, 80_000_000, 2000, 65495),
  );
  const alerts = await replay(injected, 'day9.pcap');
  const got = alerts.map((a) => a.code).sort();
  assert.deepEqual(got, ['baseline.new_country', 'baseline.new_service', 'baseline.volume_out'], alerts.map((a) => a.summary).join('\n'));
  for (const a of alerts) assert.equal(a.device, PHONE.mac);
  const country = alerts.find((a) => a.code === 'baseline.new_country') as StoredAlert;
  assert.match(country.summary, /Russia|RU/);
  assert.equal(country.evidence.remoteIp ?? country.evidence.ip ?? YANDEX, YANDEX);
  const service = alerts.find((a) => a.code === 'baseline.new_service') as StoredAlert;
  assert.match(service.summary, /8883/);
  const volume = alerts.find((a) => a.code === 'baseline.volume_out') as StoredAlert;
  assert.match(volume.summary, /MB/);

  // The owner says Russia is fine for this phone: the alert closes, and the next visit is quiet.
  const { store, close } = openSessionStore();
  const r = acceptDeviation(store, config, PHONE.mac, { kind: 'country', value: 'RU' });
  assert.equal(r.closed, 1);
  assert.equal(store.alerts({ code: 'baseline.new_country', status: 'open' }).length, 0);
  close();
  const t10 = T0 + 10 * DAY;
  const after = await replay(merge(startAt(day, t10), phoneTo(YANDEX, 443, t10 + 200, 600, 4000)), 'day10.pcap');
  assert.deepEqual(after.map((a) => a.code).sort(), got, 'no new alert: Russia was accepted, the rest were already raised');
});
