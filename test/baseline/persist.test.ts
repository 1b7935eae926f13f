import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertList } from '../../src/alert/alert.js';
import { Baselines } from '../../src/baseline/baselines.js';
import type { BaselineItem, BaselineProfile, FlowRow } from '../../src/store/store.js';
import { DAY, HOUR, T0, counterBag, inFlow, outFlow } from './helpers.js';

const TV = '02:00:00:00:00:0a';
const CAM = '02:00:00:00:00:0b';
const MB = 1e6;

/** What a store keeps: the last row put per item and per device (puts replace). */
class Kept {
  readonly items = new Map<string, BaselineItem>();
  readonly profiles = new Map<string, BaselineProfile>();
  puts = 0;
  take(b: Baselines, all = false): void {
    const d = b.drainDirty({ all });
    for (const i of d.items) this.items.set(`${i.device}|${i.kind}|${i.value}`, i);
    for (const p of d.profiles) this.profiles.set(p.device, p);
    this.puts += d.items.length + d.profiles.length;
  }
}

function week(): FlowRow[] {
  const rows: FlowRow[] = [];
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      const t = T0 + d * DAY + h * HOUR + 60;
      const busy = h >= 8 && h <= 21;
      rows.push(outFlow(TV, t, { origBytes: busy ? 2 * MB : 5000, respBytes: busy ? 30 * MB : 5000, duration: 60 }));
      if (h === 12) rows.push(inFlow(CAM, t, { respP: 554 }), outFlow(CAM, t + 1, { remoteAsn: 16509, remoteAsOrg: 'AMAZON-02', remoteDomain: 'camcloud.example' }));
    }
  }
  return rows;
}

/** Day 8: deviations of every kind, some accepted. */
function day8(): FlowRow[] {
  const t = T0 + 8 * DAY;
  return [
    outFlow(TV, t + 3 * HOUR, { origBytes: 60 * MB, remoteCountry: 'RU', remoteAsn: 12345, remoteAsOrg: 'Foo', remoteDomain: 'evil.example', respP: 6667 }),
    inFlow(CAM, t + 4 * HOUR, { respP: 23 }),
    outFlow(CAM, t + 5 * HOUR, { remoteAsn: 16509, remoteAsOrg: 'AMAZON-02', remoteDomain: 'new.example' }),
  ];
}

/** Day 9: the same deviations again, plus new ones. */
function day9(): FlowRow[] {
  const t = T0 + 9 * DAY;
  return [
    ...day8().map((r) => ({ ...r, ts: r.ts + DAY, uid: r.uid + 'b' })),
    outFlow(TV, t + 10 * HOUR, { remoteDomain: 'another.example' }),
    outFlow(CAM, t + 3 * HOUR + 1800, { origBytes: 4 * MB, remoteAsn: 16509, remoteAsOrg: 'AMAZON-02', remoteDomain: 'camcloud.example' }),
  ];
}

test('drain then load gives the same baselines: same status, and the same alerts from then on', () => {
  const alertsA = new AlertList();
  const a = new Baselines(alertsA, { timeZone: 'UTC' });
  const kept = new Kept();
  for (const r of week()) {
    a.observeFlow(r);
    a.tick(r.ts);
    kept.take(a);
  }
  for (const r of day8()) a.observeFlow(r);
  assert.deepEqual(alertsA.alerts.map((x) => x.code), ['baseline.volume_out', 'baseline.unusual_hour', 'baseline.new_country', 'baseline.new_service', 'baseline.new_listener', 'baseline.new_domain']);
  a.accept(CAM, { kind: 'domain', value: 'new.example' }, T0 + 8 * DAY + 6 * HOUR);
  kept.take(a, true);

  const alertsB = new AlertList();
  const b = new Baselines(alertsB, { timeZone: 'UTC' });
  b.load([...kept.items.values()], [...kept.profiles.values()]);
  assert.deepEqual(b.status(), a.status());
  assert.equal(b.status(CAM)[0].items.domain.accepted, 1);

  const before = alertsA.alerts.length;
  for (const r of day9()) {
    a.observeFlow(r);
    b.observeFlow(r);
  }
  const fresh = alertsA.alerts.slice(before);
  assert.deepEqual(alertsB.alerts, fresh);
  // Repeats of day 8: volume and hour again (new hours), items never twice, the accepted domain not at all;
  // the camera's 4 MB at 03:30 is under its volume floor, and a camera with no daily rhythm has no unusual hours.
  assert.deepEqual(fresh.map((x) => `${x.code} ${x.device}`), [`baseline.volume_out ${TV}`, `baseline.unusual_hour ${TV}`, `baseline.new_domain ${TV}`]);
  assert.deepEqual(b.status(), a.status());
});

test('persisting is throttled: new items and state changes at once, last-seen and profiles every persistSeconds of packet time', () => {
  const b = new Baselines(new AlertList(), { persistSeconds: 600, timeZone: 'UTC' });
  b.observeFlow(outFlow(TV, T0));
  b.tick(T0 + 1);
  let d = b.drainDirty();
  assert.deepEqual(d.items.map((i) => `${i.kind} ${i.value} ${i.state}`).sort(), ['asn 15133 learned', 'country US learned', 'domain example.com learned', 'service tcp/443 learned']);
  assert.deepEqual(d.profiles.map((p) => p.device), [TV], 'a new device is persisted at once (its learning start)');
  const first = JSON.parse(d.profiles[0].data);
  assert.equal(first.firstSeen, T0);

  for (let s = 10; s < 590; s += 10) {
    b.observeFlow(outFlow(TV, T0 + s));
    b.tick(T0 + s + 1);
  }
  d = b.drainDirty();
  assert.deepEqual([d.items.length, d.profiles.length], [0, 0], 'nothing written for ten minutes of routine');
  b.observeFlow(outFlow(TV, T0 + 600));
  b.tick(T0 + 601);
  d = b.drainDirty();
  assert.equal(d.items.length, 4);
  assert.equal(d.items[0].lastSeen, T0 + 601);
  assert.equal(d.items[0].count, 60);
  assert.deepEqual(d.profiles.map((p) => p.device), [TV]);
  b.observeFlow(outFlow(TV, T0 + 700));
  assert.deepEqual(b.drainDirty(), { items: [], profiles: [] });
  d = b.drainDirty({ all: true });
  assert.equal(d.items.length, 4, 'at shutdown: everything not yet written');
  assert.equal(d.profiles.length, 1);
  assert.equal(JSON.parse(d.profiles[0].data).lastSeen, T0 + 701);
  assert.deepEqual(b.drainDirty({ all: true }), { items: [], profiles: [] });
});

test('load survives an unreadable profile and unknown item kinds; loading again merges (acceptance from another process wins)', () => {
  const c = counterBag();
  const alerts = new AlertList();
  const b = new Baselines(alerts, { counters: c.counters });
  const item = (value: string, state: BaselineItem['state']): BaselineItem => ({ device: TV, kind: 'domain', value, firstSeen: T0, lastSeen: T0 + DAY, count: 5, state });
  b.load(
    [item('example.com', 'learned'), item('evil.example', 'alerted'), { ...item('1.2.3.4', 'learned'), kind: 'ip' }],
    [{ device: TV, data: '{"v":1,"firstSeen":' }, { device: CAM, data: 'null' }],
  );
  assert.equal(c.get('baseline.profile_unreadable'), 2);
  assert.equal(c.get('baseline.item_kind_unknown'), 1);
  assert.equal(b.size, 1, 'the camera had nothing readable: it starts afresh');
  const st = b.status(TV)[0];
  assert.equal(st.firstSeen, T0, 'learning start from the items');
  assert.deepEqual(st.items.domain, { learned: 1, alerted: 1, accepted: 0 });
  assert.equal(st.learning, true);

  b.load([item('evil.example', 'accepted')], []);
  assert.deepEqual(b.status(TV)[0].items.domain, { learned: 1, alerted: 0, accepted: 1 });
  b.observeFlow(outFlow(TV, T0 + 8 * DAY, { remoteDomain: 'evil.example' }));
  b.observeFlow(outFlow(TV, T0 + 8 * DAY, { remoteDomain: 'example.com' }));
  // Only the domains were kept: the first flow after learning is new in country, ASN and service.
  assert.deepEqual(alerts.alerts.map((a) => [a.code, a.evidence.new ?? null]), [
    ['baseline.new_country', ['country:US', 'asn:15133']],
    ['baseline.new_service', null],
  ]);
});
