import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertList } from '../../src/alert/alert.js';
import { Baselines, type BaselineOptions } from '../../src/baseline/baselines.js';
import { LocalHours } from '../../src/baseline/local-hours.js';
import { DAY, HOUR, T0, counterBag, outFlow } from './helpers.js';

const TV = '02:00:00:00:00:0a';
const describe = (mac: string) => `Living-room TV (${mac})`;
const MB = 1e6;

/**
 * Seven days: busy from 08:00 to 21:59 (2 MB up, 30 MB down per hour), 10 KB of background
 * chatter in the other hours.
 */
function learn(b: Baselines, mac = TV, up = 2 * MB, down = 30 * MB): void {
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++) {
      const busy = h >= 8 && h <= 21;
      b.observeFlow(outFlow(mac, T0 + d * DAY + h * HOUR + 60, { origBytes: busy ? up : 5000, respBytes: busy ? down : 5000, duration: 60 }));
    }
  }
}

function make(opts: BaselineOptions = {}): { b: Baselines; alerts: AlertList } {
  const alerts = new AlertList();
  return { b: new Baselines(alerts, { describe, timeZone: 'UTC', ...opts }), alerts };
}

test('upload volume: alerts when the running hour crosses max(10 × learned max, learned max + 50 MB), once per hour, again the next hour', () => {
  const { b, alerts } = make();
  learn(b);
  assert.equal(alerts.alerts.length, 0);
  const st = b.status(TV)[0];
  assert.equal(st.volume.learnedMaxOut, 2 * MB);
  assert.equal(st.volume.thresholdOut, 52 * MB);
  assert.equal(st.volume.learnedMaxIn, 30 * MB);
  assert.equal(st.volume.thresholdIn, 530 * MB);

  const h15 = T0 + 8 * DAY + 15 * HOUR;
  b.observeFlow(outFlow(TV, h15 + 300, { origBytes: 20 * MB, duration: 10 }));
  b.observeFlow(outFlow(TV, h15 + 600, { origBytes: 20 * MB, duration: 10 }));
  assert.equal(alerts.alerts.length, 0, '40 MB + background is under 52 MB');
  b.observeFlow(outFlow(TV, h15 + 1200, { origBytes: 20 * MB, duration: 10 }));
  assert.equal(alerts.alerts.length, 1, 'raised while the hour is still running');
  const a = alerts.alerts[0];
  assert.equal(a.code, 'baseline.volume_out');
  assert.equal(a.severity, 'medium');
  assert.equal(a.key, `baseline.volume_out|${TV}`);
  assert.equal(a.ts, h15 + 1210);
  assert.equal(a.summary, `Living-room TV (${TV}) sent 60 MB to the internet between 15:00 and 16:00, 30× its usual hourly maximum of 2 MB.`);
  assert.equal(a.evidence.hourStart, h15);
  assert.equal(a.evidence.threshold, 52 * MB);
  b.observeFlow(outFlow(TV, h15 + 1800, { origBytes: 20 * MB, duration: 10 }));
  assert.equal(alerts.alerts.length, 1, 'once per device, direction and hour');
  b.observeFlow(outFlow(TV, h15 + HOUR + 60, { origBytes: 70 * MB, duration: 10 }));
  assert.equal(alerts.alerts.length, 2, 'the next hour is a new hour');
  assert.deepEqual(b.status(TV)[0].pending, [{ kind: 'volume', value: 'out' }]);

  // Accepting learns the largest hour since learning (80 MB) as normal: 80 MB no longer alerts.
  const res = b.accept(TV, { kind: 'volume', value: 'out' }, h15 + 2 * HOUR);
  assert.deepEqual(res.keys, [`baseline.volume_out|${TV}`]);
  assert.equal(b.status(TV)[0].volume.learnedMaxOut, 80 * MB, 'the 15:00 hour: four 20 MB flows');
  b.observeFlow(outFlow(TV, h15 + DAY, { origBytes: 80 * MB, duration: 10 }));
  assert.equal(alerts.alerts.length, 2);
  b.observeFlow(outFlow(TV, h15 + DAY + HOUR, { origBytes: 801 * MB, duration: 10 }));
  assert.equal(alerts.alerts.length, 3, '10 × the new maximum still alerts');
});

test('the floor keeps small devices quiet; a device that never sent anything gets the plain sentence', () => {
  const { b, alerts } = make();
  const PLUG = '02:00:00:00:00:0c';
  learn(b, PLUG, 400, 400);
  const t = T0 + 8 * DAY + 12 * HOUR;
  b.observeFlow(outFlow(PLUG, t, { origBytes: 5 * MB, respBytes: 0, duration: 1 }));
  assert.equal(alerts.alerts.length, 0, '5 MB from a plug that sends 400 B an hour is under the 50 MB floor');
  b.observeFlow(outFlow(PLUG, t + 60, { origBytes: 46 * MB, respBytes: 0, duration: 1 }));
  assert.equal(alerts.alerts.length, 1);
  assert.equal(alerts.alerts[0].summary, `Living-room TV (${PLUG}) sent 51 MB to the internet between 12:00 and 13:00; while learning it never sent more than 5 KB in an hour.`);
});

test('a long flow is spread over the hours it lasted; the same bytes in one hour alert; downloads have their own floor', () => {
  const { b, alerts } = make();
  learn(b);
  const t = T0 + 8 * DAY + 10 * HOUR;
  b.observeFlow(outFlow(TV, t, { origBytes: 150 * MB, respBytes: 0, duration: 3 * HOUR }));
  assert.equal(alerts.alerts.length, 0, '50 MB in each of three hours');
  b.observeFlow(outFlow(TV, t + DAY, { origBytes: 150 * MB, respBytes: 0, duration: 600 }));
  assert.deepEqual(alerts.alerts.map((a) => a.code), ['baseline.volume_out']);
  b.observeFlow(outFlow(TV, t + 2 * DAY, { origBytes: 0, respBytes: 500 * MB, duration: 600 }));
  assert.equal(alerts.alerts.length, 1, '500 MB down is under 530 MB');
  b.observeFlow(outFlow(TV, t + 2 * DAY + 900, { origBytes: 0, respBytes: 40 * MB, duration: 60 }));
  assert.deepEqual(alerts.alerts.map((a) => [a.code, a.severity]), [['baseline.volume_out', 'medium'], ['baseline.volume_in', 'low']]);
  assert.equal(alerts.alerts[1].summary, `Living-room TV (${TV}) received 540 MB from the internet between 10:00 and 11:00, 18× its usual hourly maximum of 30 MB.`);
});

test('volume while learning is learning, however large; flows for hours older than the ring are counted, not added', () => {
  const c = counterBag();
  const { b, alerts } = make({ counters: c.counters });
  learn(b);
  b.observeFlow(outFlow(TV, T0 + 6 * DAY + 12 * HOUR + 600, { origBytes: 900 * MB, duration: 60 }));
  assert.equal(alerts.alerts.length, 0);
  assert.equal(b.status(TV)[0].volume.learnedMaxOut, 900 * MB + 2 * MB);
  b.observeFlow(outFlow(TV, T0 + 3 * DAY + 12 * HOUR, { origBytes: 2000 * MB, duration: 60 }));
  assert.equal(b.status(TV)[0].volume.learnedMaxOut, 902 * MB);
  assert.equal(c.get('baseline.volume_late'), 1);
});

test('unusual hours: activity in an hour of the day never active while learning alerts once per hour; background chatter does not', () => {
  const { b, alerts } = make();
  learn(b);
  assert.deepEqual(b.status(TV)[0].hours.active, [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
  const d8 = T0 + 8 * DAY;
  b.observeFlow(outFlow(TV, d8 + 2 * HOUR, { origBytes: 20_000, respBytes: 20_000 }));
  b.observeFlow(outFlow(TV, d8 + 12 * HOUR, { origBytes: 1 * MB, respBytes: 2 * MB }));
  assert.equal(alerts.alerts.length, 0);
  b.observeFlow(outFlow(TV, d8 + 3 * HOUR + 100, { origBytes: 1 * MB, respBytes: 2 * MB }));
  b.observeFlow(outFlow(TV, d8 + 3 * HOUR + 200, { origBytes: 1 * MB, respBytes: 2 * MB }));
  assert.equal(alerts.alerts.length, 1);
  const a = alerts.alerts[0];
  assert.deepEqual([a.code, a.severity, a.key], ['baseline.unusual_hour', 'low', `baseline.unusual_hour|${TV}|03`]);
  assert.equal(a.summary, `Living-room TV (${TV}) was active between 03:00 and 04:00, an hour of the day in which it was never active while learning: 3 MB exchanged with the internet.`);
  b.observeFlow(outFlow(TV, d8 + DAY + 3 * HOUR, { origBytes: 1 * MB, respBytes: 2 * MB }));
  assert.equal(alerts.alerts.length, 2, 'the next night again (same key: the store counts it)');
  assert.equal(alerts.alerts[1].key, a.key);
  const res = b.accept(TV, { kind: 'hours', value: '3' }, d8 + DAY + 4 * HOUR);
  assert.deepEqual(res.keys, [`baseline.unusual_hour|${TV}|03`]);
  b.observeFlow(outFlow(TV, d8 + 2 * DAY + 3 * HOUR, { origBytes: 1 * MB, respBytes: 2 * MB }));
  assert.equal(alerts.alerts.length, 2, 'accepted');
  b.observeFlow(outFlow(TV, d8 + 2 * DAY + 4 * HOUR, { origBytes: 1 * MB, respBytes: 2 * MB }));
  assert.equal(alerts.alerts.length, 3, '04:00 was not accepted');
  assert.deepEqual(b.status(TV)[0].hours.accepted, [3]);
});

test('an hour that came close to active while learning does not alert just over the threshold', () => {
  const { b, alerts } = make();
  learn(b);
  // 06:00 on the last learning day saw 0.6 MB (more than half the 1 MB threshold).
  b.observeFlow(outFlow(TV, T0 + 6 * DAY + 6 * HOUR + 600, { origBytes: 300_000, respBytes: 300_000 }));
  b.observeFlow(outFlow(TV, T0 + 8 * DAY + 6 * HOUR, { origBytes: 600_000, respBytes: 600_000 }));
  assert.equal(alerts.alerts.length, 0);
});

test('hours follow the configured time zone; learning shorter than a day does not judge hours', () => {
  const { b, alerts } = make({ timeZone: 'Europe/Berlin' }); // UTC+1 in January
  learn(b); // busy 08-21 UTC = 09-22 Berlin
  assert.deepEqual(b.status(TV)[0].hours.active, [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
  b.observeFlow(outFlow(TV, T0 + 8 * DAY + 21 * HOUR, { origBytes: 3 * MB }));
  assert.equal(alerts.alerts.length, 0);
  b.observeFlow(outFlow(TV, T0 + 8 * DAY + 2 * HOUR, { origBytes: 3 * MB }));
  assert.equal(alerts.alerts[0].key, `baseline.unusual_hour|${TV}|03`);
  assert.match(alerts.alerts[0].summary, /between 03:00 and 04:00/);
  assert.equal(alerts.alerts[0].evidence.timeZone, 'Europe/Berlin');

  const k = new LocalHours('Asia/Kolkata');
  const h = (T0 + 3 * HOUR) / HOUR; // 03:00 UTC Monday = 08:30 in India
  assert.equal(k.clock(h), '08:30');
  assert.equal(k.hourOfDay(h), 8);
  assert.equal(k.hourOfWeek(h), 8);
  const u = new LocalHours('UTC');
  assert.equal(u.hourOfWeek((T0 - HOUR) / HOUR), 167, 'Sunday 23:00');

  const short = make({ learningDays: 0.5 });
  learn(short.b);
  short.b.observeFlow(outFlow(TV, T0 + 8 * DAY + 3 * HOUR, { origBytes: 3 * MB }));
  assert.equal(short.alerts.alerts.length, 0);
});
