/**
 * LiveSource with the real tcpdump (and dumpcap) on a veth whose other end sits in a namespace
 * this test creates: packets arrive through the real engine, the helper's death and the
 * interface's disappearance are survived, counters are exact, and loss raises an event.
 * The capture end stays in the root namespace (no address, no IPv6) so that LiveSource reads the
 * same /sys the helper captures on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveSource, type LiveEvent, type LiveOptions } from '../../src/capture/live.js';
import type { PacketSink } from '../../src/capture/packet-sink.js';
import { Engine } from '../../src/engine/engine.js';
import { createAnalyzers } from '../../src/decode/app/registry.js';
import { MemorySink } from '../../src/logs/log-dir.js';
import { NetLab, sendUdp, sh, waitFor } from './live-netns.js';

const lab = new NetLab();
let DEV_NS = '';
const SENSOR = lab.ifname('s');
const DEVICE = lab.ifname('d');
const SINK_IP = '10.201.0.99';

function wire(): void {
  lab.veth(SENSOR, null, DEVICE, DEV_NS);
  lab.addr(DEV_NS, DEVICE, '10.201.0.1/24', { ip: SINK_IP, mac: '02:00:00:00:00:99' });
}

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests create network namespaces: run the suite as root (CI does)');
  DEV_NS = lab.ns('dev');
  wire();
});
after(() => lab.close());

class Counter implements PacketSink {
  n = 0;
  packet(): void {
    this.n++;
  }
}

/** A LiveSource on the sensor end, filtered to the test's datagrams, with fast restarts and timers. */
function live(extra: Partial<LiveOptions> = {}) {
  const ac = new AbortController();
  const events: LiveEvent[] = [];
  /** When each event came (performance.now()), for rate checks. */
  const times: number[] = [];
  const src = new LiveSource({
    iface: SENSOR,
    bpf: 'udp port 9999',
    signal: ac.signal,
    restart: { minMs: 100, maxMs: 400 },
    statsIntervalMs: 200,
    log: () => {},
    onEvent: (e) => {
      events.push(e);
      times.push(performance.now());
    },
    ...extra,
  });
  const of = (kind: LiveEvent['kind']) => events.filter((e) => e.kind === kind);
  return { src, ac, events, times, of };
}

const send = (count: number, extra: { intervalMs?: number; size?: number } = {}) => sendUdp(DEV_NS, { dst: SINK_IP, port: 9999, count, ...extra });

test('LiveSource feeds the engine: every datagram sent is one packet, one flow, exact counters', { timeout: 30_000 }, async () => {
  const { src, ac, of } = live();
  const logs = new MemorySink();
  const engine = new Engine(createAnalyzers(), logs);
  const done = src.run(engine);
  await waitFor(() => of('helper_start').length === 1, 10_000, () => 'tcpdump to listen');
  assert.equal(typeof src.helperPid, 'number');
  await send(300);
  await waitFor(() => src.stats()['capture.packets'] === 300, 10_000, () => `300 packets (have ${src.stats()['capture.packets']})`);
  // tcpdump's own counters arrive on SIGUSR1 at each stats read.
  await waitFor(() => src.stats()['capture.received'] >= 300, 5_000, () => `tcpdump's counters (${JSON.stringify(src.stats())})`);
  ac.abort();
  const result = await done;
  engine.finish();

  assert.equal(result.records, 300);
  assert.equal(result.format, 'pcap');
  assert.deepEqual(result.linktypes, [1]);
  assert.equal(src.helperPid, null, 'the helper is gone after stop');
  const conn = (logs.logs.get('conn') ?? []).filter((c) => c['id.resp_p'] === 9999);
  assert.equal(conn.length, 1, 'one UDP flow');
  assert.equal(conn[0]['id.orig_h'], '10.201.0.1');
  assert.equal(conn[0].orig_pkts, 300);

  const s = src.stats();
  for (const [k, v] of Object.entries(s)) assert.ok(Number.isFinite(v) && v >= 0, `${k} = ${v}`);
  assert.equal(s['capture.packets'], 300);
  // The exit report is exact: the filter passed exactly our datagrams, none dropped.
  assert.equal(s['capture.received'], 300);
  assert.equal(s['capture.helper_captured'], 300);
  assert.equal(s['capture.kernel_drops'], 0);
  assert.ok(s['capture.if_received'] >= 300, `interface counter ${s['capture.if_received']}`);
  assert.equal(s['capture.helper_restarts'], 0);
  assert.ok(s['capture.stats_reads'] >= 2);
  assert.equal(of('helper_exit').length, 0, 'a stop is not a helper death');
});

test('a killed helper is restarted with an event, and capture goes on', { timeout: 30_000 }, async () => {
  const { src, ac, of } = live();
  const counter = new Counter();
  const done = src.run(counter);
  await waitFor(() => of('helper_start').length === 1, 10_000, () => 'tcpdump to listen');
  await send(100);
  await waitFor(() => counter.n === 100, 10_000, () => `100 packets (have ${counter.n})`);
  const first = src.helperPid!;
  process.kill(first, 'SIGKILL');
  await waitFor(() => of('helper_start').length === 2, 10_000, () => 'the helper to be restarted');
  const exit = of('helper_exit')[0];
  assert.ok(exit && exit.kind === 'helper_exit');
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.ifaceGone, false);
  assert.equal(exit.restartInMs, 100);
  assert.match(exit.message, /stopped \(killed by SIGKILL\).*restarting in 100 ms/);
  assert.notEqual(src.helperPid, first, 'a new helper process');
  await send(100);
  await waitFor(() => counter.n === 200, 10_000, () => `200 packets (have ${counter.n})`);
  ac.abort();
  await done;
  assert.equal(src.stats()['capture.helper_restarts'], 1);
  assert.equal(src.stats()['capture.packets'], 200);
});

test('the interface vanishing and coming back is survived', { timeout: 30_000 }, async () => {
  const { src, ac, of } = live();
  const counter = new Counter();
  const done = src.run(counter);
  try {
    await waitFor(() => of('helper_start').length === 1, 10_000, () => 'tcpdump to listen');
    await send(50);
    await waitFor(() => counter.n === 50, 10_000, () => `50 packets (have ${counter.n})`);
    sh('ip', ['link', 'del', SENSOR]); // the pair goes with it
    await waitFor(() => of('helper_exit').length >= 1, 10_000, () => 'the helper to notice');
    const exit = of('helper_exit')[0];
    assert.ok(exit.kind === 'helper_exit' && exit.ifaceGone, `event says the interface is gone: ${JSON.stringify(exit)}`);
    assert.match(exit.message, new RegExp(`interface ${SENSOR} is gone`));
    await waitFor(() => of('interface_wait').length >= 1, 10_000, () => 'an interface_wait event');
    // Several retries pass while it is gone, with one event for the outage, not one per retry.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(of('interface_wait').length, 1);
    assert.equal(of('helper_start').length, 1, 'no helper while the interface is gone');
    wire();
    await waitFor(() => of('helper_start').length === 2, 10_000, () => 'capture to resume');
    await send(50);
    await waitFor(() => counter.n === 100, 10_000, () => `100 packets (have ${counter.n})`);
  } finally {
    ac.abort();
    await done;
  }
  assert.ok(src.stats()['capture.helper_restarts'] >= 1);
});

test('an interface that is down at the start is waited for, not an error', { timeout: 30_000 }, async () => {
  sh('ip', ['link', 'set', SENSOR, 'down']);
  const { src, ac, of } = live();
  const counter = new Counter();
  const done = src.run(counter);
  try {
    await waitFor(() => of('interface_wait').length === 1, 10_000, () => 'an interface_wait event');
    const wait = of('interface_wait')[0];
    assert.ok(wait.kind === 'interface_wait' && wait.state === 'down');
    assert.match(wait.message, new RegExp(`interface ${SENSOR} is down; capture resumes by itself`));
    assert.equal(src.helperPid, null);
    sh('ip', ['link', 'set', SENSOR, 'up']);
    await waitFor(() => of('helper_start').length === 1, 10_000, () => 'capture to start');
    await send(20);
    await waitFor(() => counter.n === 20, 10_000, () => `20 packets (have ${counter.n})`);
  } finally {
    sh('ip', ['link', 'set', SENSOR, 'up']);
    ac.abort();
    await done;
  }
});

test('loss above 10 % over the window raises one loss event per window', { timeout: 30_000 }, async () => {
  // A sink that needs 0.2 ms per packet (5,000 packets/s) behind a 64 KiB kernel buffer, fed a
  // flood: the ring overflows and the kernel drops, as on a Pi that cannot keep up.
  const { src, ac, of, events, times } = live({ bufferKiB: 64, statsIntervalMs: 250, loss: { windowMs: 3000, minPackets: 100 } });
  const lossTimes = () => times.filter((_, i) => events[i].kind === 'loss');
  const slow: PacketSink = {
    packet() {
      const t = performance.now();
      while (performance.now() - t < 0.2);
    },
  };
  const done = src.run(slow);
  try {
    await waitFor(() => of('helper_start').length === 1, 10_000, () => 'tcpdump to listen');
    await send(30_000, { intervalMs: 0, size: 1000 });
    await waitFor(() => of('loss').length >= 1, 10_000, () => `a loss event (stats ${JSON.stringify(src.stats())})`);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    ac.abort();
    await done;
  }
  const loss = of('loss')[0];
  const at = lossTimes();
  assert.ok(loss && loss.kind === 'loss');
  assert.ok(loss.ratio > 0.1 && loss.ratio <= 1, `ratio ${loss.ratio}`);
  assert.ok(loss.lost > 0 && loss.seen >= loss.lost);
  assert.match(loss.message, /lost \d+\.\d% of the packets/);
  for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 3000 - 50, 'at most one loss event per window');
  const s = src.stats();
  assert.ok(s['capture.kernel_drops'] > 0, 'the kernel counted the drops');
  assert.equal(s['capture.loss_events'], at.length);
  // Everything tcpdump wrote reached the pipeline; what it received was written or dropped (a few
  // may still sit in the ring when it stops, hence >=).
  assert.equal(s['capture.helper_captured'], s['capture.packets']);
  assert.ok(s['capture.received'] >= s['capture.helper_captured'] + s['capture.kernel_drops'], JSON.stringify(s));
  assert.equal(of('helper_exit').length, 0);
});

test('dumpcap works as the helper too, with its counters from the exit report', { timeout: 30_000 }, async () => {
  const { src, ac, of } = live({ helper: 'dumpcap' });
  const counter = new Counter();
  const done = src.run(counter);
  await waitFor(() => of('helper_start').length === 1, 10_000, () => 'dumpcap to listen');
  assert.match(src.resolved.path, /dumpcap$/);
  await send(120);
  await waitFor(() => counter.n === 120, 10_000, () => `120 packets (have ${counter.n})`);
  ac.abort();
  await done;
  const s = src.stats();
  assert.equal(s['capture.packets'], 120);
  assert.equal(s['capture.received'], 120);
  assert.equal(s['capture.helper_captured'], 120);
  assert.equal(s['capture.kernel_drops'], 0);
});
