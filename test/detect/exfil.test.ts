/**
 * exfil detector: uploads to one internet address above the absolute bar, far above the device's
 * learned volume, or to a new destination after learning. Synthetic sessions (large segments, so
 * tens of MB are a few thousand frames) written to a temp dir; the benign look-alikes are LAN
 * backups, downloads, uploads spread over hours and the usual cloud destination.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFile } from '../helpers/detect.js';
import { pcap } from '../helpers/analyze.js';
import { merge, tcpSession, writePcap, type Endpoint, type Frame } from '../helpers/pcap-writer.js';

const DEV: Endpoint = { mac: '02:00:00:00:00:20', ip: '192.168.1.20', port: 50000 };
const NAS: Endpoint = { mac: '02:00:00:00:00:60', ip: '192.168.1.60', port: 445 };
const GW = '02:00:00:00:00:01';
const CLOUD = '52.94.236.248';
const NEW = '45.83.64.10';
const T0 = 1_700_000_000;

function up(i: number, ip: string, bytes: number, start: number, down = 2000): Frame[] {
  return tcpSession({ client: { ...DEV, port: 50000 + i }, server: { mac: GW, ip, port: 443 }, start, toServer: bytes, toClient: down, segment: 65000, duration: 10 });
}

async function run(frames: Frame[], config: Record<string, unknown>): Promise<Awaited<ReturnType<typeof detectFile>>> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-exfil-'));
  try {
    const file = join(dir, 'exfil.pcap');
    writePcap(file, frames);
    return await detectFile(file, { config });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('absolute bar: 3 MB in three flows to one address crosses 2 MB once; LAN backups and downloads never count', async () => {
  const frames = merge(
    up(0, NEW, 1e6, T0),
    up(1, NEW, 1e6, T0 + 60),
    up(2, NEW, 1e6, T0 + 120),
    // 5 MB to the NAS, 5 MB downloaded: neither is an upload to the internet.
    tcpSession({ client: { ...DEV, port: 51000 }, server: NAS, start: T0 + 200, toServer: 5e6, segment: 65000 }),
    up(3, CLOUD, 1000, T0 + 300, 5e6),
  );
  const r = await run(frames, { 'detect.exfil.bytes': 2e6 });
  const a = r.of('exfil.upload');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].device, DEV.mac);
  assert.equal(a[0].count, 1, 'raised once when the bar was crossed, not per flow');
  assert.equal(a[0].evidence.rule, 'absolute');
  assert.equal(a[0].evidence.remote, NEW);
  assert.equal(a[0].evidence.bytes, 2e6, 'the bytes when it crossed');
  assert.equal(a[0].evidence.flows, 2);
  assert.equal((a[0].evidence.uids as string[]).length, 2);
  assert.match(a[0].summary, /uploaded 2 MB to 45\.83\.64\.10/);
});

test('a device serving an outside client counts what it sent (resp bytes); uploads spread beyond the window do not add up', async () => {
  const server: Endpoint = { ...DEV, port: 8443 };
  const serving = tcpSession({ client: { mac: GW, ip: NEW, port: 40000 }, server, start: T0, toServer: 500, toClient: 3e6, segment: 65000 });
  const r = await run(serving, { 'detect.exfil.bytes': 2e6 });
  const a = r.of('exfil.upload');
  assert.equal(a.length, 1);
  assert.equal(a[0].device, DEV.mac);
  assert.equal(a[0].evidence.remote, NEW);
  assert.equal(a[0].evidence.bytes, 3e6);
  // 1.5 MB, then 1.5 MB two hours later: each window stays under 2 MB.
  const spread = await run(merge(up(0, NEW, 1.5e6, T0), up(1, NEW, 1.5e6, T0 + 7200)), { 'detect.exfil.bytes': 2e6 });
  assert.deepEqual(spread.of('exfil.upload'), []);
});

test('after learning: 60 MB to a new destination fires (new_destination); the usual cloud stays quiet below 20x', async () => {
  const frames: Frame[][] = [];
  // Day 0 (learning, 1 day): 4 MB every two hours to the usual cloud.
  for (let h = 0; h < 24; h += 2) frames.push(up(h, CLOUD, 4e6, T0 + h * 3600));
  // Day 2: 60 MB to the usual cloud (15x the learned 4 MB/hour: under the factor 20), then 60 MB to a new address.
  frames.push(up(100, CLOUD, 60e6, T0 + 2 * 86400));
  frames.push(up(101, NEW, 60e6, T0 + 2 * 86400 + 600));
  const r = await run(merge(...frames), { 'baseline.learningDays': 1 });
  const a = r.of('exfil.upload');
  assert.equal(a.length, 1, JSON.stringify(a.map((x) => x.evidence)));
  assert.equal(a[0].device, DEV.mac);
  assert.equal(a[0].severity, 'high');
  assert.equal(a[0].evidence.rule, 'new_destination');
  assert.equal(a[0].evidence.remote, NEW);
  assert.equal(a[0].evidence.learnedMaxOut, 4e6);
  assert.match(a[0].summary, /never sent data to before/);
});

test('after learning: far above the learned volume fires (volume); while learning only the absolute bar applies', async () => {
  const frames: Frame[][] = [];
  for (let h = 0; h < 24; h += 2) frames.push(up(h, CLOUD, 2e6, T0 + h * 3600));
  frames.push(up(100, CLOUD, 60e6, T0 + 2 * 86400)); // 30x the learned 2 MB/hour
  const r = await run(merge(...frames), { 'baseline.learningDays': 1 });
  const a = r.of('exfil.upload');
  assert.equal(a.length, 1);
  assert.equal(a[0].evidence.rule, 'volume');
  assert.equal(a[0].evidence.remote, CLOUD);
  assert.match(a[0].summary, /at most 2 MB/);
  // The same capture with the default 7-day learning: still learning, 60 MB < 500 MB → nothing.
  const learning = await run(merge(...frames), {});
  assert.deepEqual(learning.of('exfil.upload'), []);
});

test('corpus captures with the biggest uploads raise nothing at the default bar', async () => {
  for (const f of ['ics-security-tools/melsoft_129_clean.pcap', 'ndpi/alexa-app.pcapng', 'zeek/wikipedia.pcap']) {
    const r = await detectFile(pcap(f));
    assert.deepEqual(r.of('exfil.upload'), [], f);
  }
});
